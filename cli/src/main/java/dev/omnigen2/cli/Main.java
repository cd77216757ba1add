package dev.omnigen2.cli;

import dev.omnigen2.models.Weights;
import dev.omnigen2.safetensors.SafetensorsException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code omnigen2} command. Every subcommand is one class, registered in {@link #SUBCOMMANDS}; they share the
 * error handling of {@link #commandLine()}: user mistakes ({@link #USER_ERRORS}) become one line
 * {@code error: <file>: <what is wrong>} and exit code 2, anything else is a bug and prints its stack trace (exit 1).
 *
 * <p>This class must not touch {@code jdk.incubator.vector} before {@link #main} has checked that the module is
 * present: without it the JVM would fail with a NoClassDefFoundError instead of telling the user what to run.
 */
@Command(name = "omnigen2", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Pure-Java OmniGen2: text-to-image, image editing, in-context generation, understanding.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main {
    /** Exit code for invalid input (also picocli's code for bad options). */
    public static final int EXIT_USER_ERROR = 2;

    /** The subcommands, one class each; add new ones here. */
    static final List<Class<?>> SUBCOMMANDS = List.of(GenerateCommand.class, EditCommand.class, UnderstandCommand.class, ChatCommand.class, GenevalCommand.class,
            SynthCommand.class, BenchCommand.class, InspectCommand.class, DoctorCommand.class);

    /** Exceptions that report a user's mistake rather than a bug; add domain exceptions here. */
    static final List<Class<? extends Throwable>> USER_ERRORS =
            List.of(UserException.class, SafetensorsException.class, Weights.WeightsException.class,
                    dev.omnigen2.models.pipeline.CheckpointFolder.CheckpointException.class,
                    dev.omnigen2.tokenizer.TokenizerException.class);

    static final String VECTOR_MODULE = "jdk.incubator.vector";

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean debug;

    public static void main(String[] args) {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            System.err.println("error: the JVM was started without the module " + VECTOR_MODULE + "; run:");
            System.err.println("  " + relaunchCommand(args));
            Path launcher = launcher();
            if (launcher != null)
                System.err.println("or the launcher, which adds the flags itself: "
                        + String.join(" ", quoted(new String[]{launcher.toString()}))
                        + (args.length == 0 ? "" : " " + String.join(" ", quoted(args))));
            System.exit(EXIT_USER_ERROR);
        }
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for {@link #main} and for in-process tests. */
    public static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new Main());
        for (Class<?> sub : SUBCOMMANDS) cmd.addSubcommand(sub);
        cmd.setExecutionExceptionHandler(Main::handle);
        cmd.setOverwrittenOptionsAllowed(true); // the last of a repeated option wins, as in most CLIs
        return cmd;
    }

    private static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        boolean debug = false;
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand())
            debug |= p.hasMatchedOption("--debug");
        if (USER_ERRORS.stream().anyMatch(c -> c.isInstance(e))) {
            err.println("error: " + oneLine(e.getMessage()));
            if (debug) e.printStackTrace(err);
            err.flush();
            return EXIT_USER_ERROR;
        }
        err.println("internal error (a bug in omnigen2, please report it with this trace):");
        e.printStackTrace(err);
        err.flush();
        return 1;
    }

    private static String oneLine(String message) {
        if (message == null) return "(no message)";
        return message.replace("\r", "").replace('\n', ' ');
    }

    /** {@code java <the needed flags> -jar <this jar> <args>}, for a JVM started without them. */
    static String relaunchCommand(String[] args) {
        Path jar = jar();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return String.join(" ", quoted(new String[]{java})) + " " + jvmArgs()
                + " -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0 -jar "
                + String.join(" ", quoted(new String[]{jar == null ? "cli/target/omnigen2.jar" : jar.toString()}))
                + (args.length == 0 ? "" : " " + String.join(" ", quoted(args)));
    }

    /** The JVM flags of the parent pom's vector.args (filtered into launch.properties by the build). */
    static String jvmArgs() {
        java.util.Properties p = new java.util.Properties();
        try (var in = Main.class.getResourceAsStream("launch.properties")) {
            if (in != null) p.load(in);
        } catch (java.io.IOException ignored) { // fall back to the flags spelled out below
        }
        return p.getProperty("jvm.args", "--add-modules=" + VECTOR_MODULE + " --enable-native-access=ALL-UNNAMED");
    }

    /** The jar (or classes folder) this class was loaded from, or null. */
    private static Path jar() {
        try {
            return Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception | Error e) {
            return null;
        }
    }

    /** bin/omnigen2 of the checkout the jar was built in (jar at cli/target/omnigen2.jar), or null. */
    private static Path launcher() {
        Path jar = jar();
        if (jar == null || jar.getParent() == null || jar.getParent().getParent() == null) return null;
        Path root = jar.getParent().getParent().getParent();
        Path launcher = root == null ? null : root.resolve("bin").resolve("omnigen2");
        return launcher != null && java.nio.file.Files.isRegularFile(launcher) ? launcher : null;
    }

    private static List<String> quoted(String[] args) {
        return java.util.Arrays.stream(args)
                .map(a -> a.matches("[A-Za-z0-9_./=:@%+,-]+") ? a : "'" + a.replace("'", "'\\''") + "'").toList();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"omnigen2 " + (v == null ? "(development build)" : v),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
