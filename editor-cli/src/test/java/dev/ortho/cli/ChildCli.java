package dev.ortho.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line that runs the CLI in a child JVM of this test run (same JDK, same class path). */
final class ChildCli {

    private ChildCli() {}

    /** {@code java} with the launcher's module flags, {@code extraJvmFlags}, the class path and the main class. */
    static List<String> command(List<String> extraJvmFlags) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(extraJvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), OrthoCommand.class.getName()));
        return cmd;
    }
}
