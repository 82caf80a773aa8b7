package dev.ortho.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code -h} and {@code --help} print usage and exit 0 on every subcommand, even those with required parameters. */
class HelpOptionsTest {

    @Test
    void everySubcommandAnswersHelp() {
        CommandLine cli = new CommandLine(new OrthoCommand());
        List<String> names = new ArrayList<>(cli.getSubcommands().keySet());
        assertTrue(names.size() >= 13, "subcommands: " + names);
        for (String name : names) {
            for (String flag : List.of("-h", "--help")) {
                CliRun r = CliRun.of(name, flag);
                assertEquals(0, r.exit(), () -> "ortho " + name + " " + flag + ": " + r.out() + r.err());
                assertTrue(r.out().contains("Usage: ortho " + name), () -> "ortho " + name + " " + flag + ": " + r.out());
                assertTrue(r.err().isEmpty(), () -> "ortho " + name + " " + flag + " wrote to stderr: " + r.err());
            }
        }
    }

    @Test
    void helpWinsOverMissingRequiredParameters() {
        CliRun r = CliRun.of("ablate", "--help");
        assertEquals(0, r.exit(), r.err());
        assertFalse(r.err().contains("Missing required"), r.err());
        assertTrue(r.out().contains("--direction"), r.out());
        CliRun run = CliRun.of("run", "-h");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("--harmful"), run.out());
    }

    @Test
    void aMissingSubcommandNamesThemAll() {
        CliRun r = CliRun.of();
        assertEquals(2, r.exit());
        for (String name : new CommandLine(new OrthoCommand()).getSubcommands().keySet()) {
            assertTrue(r.err().contains(name), name + " missing from: " + r.err());
        }
    }
}
