package dev.ortho.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.ortho.core.provenance.ToolInfo;
import dev.ortho.formats.OrthoException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;

/**
 * {@code ortho}: the command line. Exit codes: 0 ok, 1 verification failed, 2 bad input or usage,
 * 3 I/O error.
 */
@Command(name = "ortho",
        mixinStandardHelpOptions = true,
        versionProvider = OrthoCommand.Version.class,
        description = "Removes (or adds) the refusal direction of a chat model by editing its safetensors checkpoint.",
        subcommands = {InspectCommand.class, AblateCommand.class, VerifyCommand.class, DiffCommand.class, AssembleCommand.class, CleanCommand.class,
                LogitsCommand.class, GenerateCommand.class, CompareCommand.class,
                ExtractCommand.class, SelectCommand.class, EvalCommand.class, RunCommand.class, SearchCommand.class, FragilityCommand.class, DemoCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:ok", "1:verification failed", "2:bad input or usage", "3:I/O error"})
public final class OrthoCommand implements Runnable {

    public static final int EXIT_VERIFY_FAILED = 1;
    public static final int EXIT_BAD_INPUT = 2;
    public static final int EXIT_IO = 3;

    /** The argument vector, for the manifest. */
    static List<String> commandLine = List.of();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (one of: "
                + String.join(", ", spec.subcommands().keySet()) + ")");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code. */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the CLI with the given output streams (tests capture them) and returns its exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        commandLine = List.copyOf(Arrays.asList(args));
        boolean verbose = Arrays.asList(args).contains("-v") || Arrays.asList(args).contains("--verbose");
        setLogLevel(verbose ? Level.DEBUG : Level.WARN);
        CommandLine cli = new CommandLine(new OrthoCommand());
        addHelpOptions(cli);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, cmd, parseResult) -> report(ex, cmd.getErr(), verbose));
        cli.setParameterExceptionHandler((ex, args1) -> {
            PrintWriter e = ex.getCommandLine().getErr();
            e.println("ortho: error: " + ex.getMessage());
            e.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return EXIT_BAD_INPUT;
        });
        return cli.execute(args);
    }

    /**
     * {@code -h}/{@code --help} (and {@code -V}/{@code --version}) on every subcommand, added here rather than
     * on each annotation so that no command, present or future, can miss them. picocli answers a help request
     * before it validates required parameters, so {@code ortho ablate --help} prints usage, exit 0.
     */
    static void addHelpOptions(CommandLine cli) {
        for (CommandLine sub : cli.getSubcommands().values()) {
            CommandLine.Model.CommandSpec s = sub.getCommandSpec();
            if (s.findOption("-h") == null && s.findOption("--help") == null) s.mixinStandardHelpOptions(true);
            addHelpOptions(sub);
        }
    }

    private static int report(Exception ex, PrintWriter err, boolean verbose) {
        if (ex instanceof OrthoException oe) {
            err.println("ortho: error: " + oe.getMessage());
            if (verbose) ex.printStackTrace(err);
            return oe.exitCode();
        }
        if (ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) {
            err.println("ortho: I/O error: " + ex.getMessage());
            if (verbose) ex.printStackTrace(err);
            return EXIT_IO;
        }
        err.println("ortho: internal error: " + ex);
        if (verbose) ex.printStackTrace(err);
        else err.println("(run again with -v for the stack trace, and please report it)");
        return 4;
    }

    static void setLogLevel(Level level) {
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext ctx) {
            Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            root.setLevel(level);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            ToolInfo t = ToolInfo.current();
            return new String[]{"ortho " + t.version() + " (commit " + t.gitCommit() + ")",
                    "Java " + Runtime.version() + ", " + System.getProperty("os.name") + " " + System.getProperty("os.arch")};
        }
    }
}
