package dev.tessera.cli;

import dev.tessera.TesseraException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code tessera} command. Each job is a subcommand in its own class. */
@Command(
        name = "tessera",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Converts, quantizes, checks and runs small language models on the JVM.",
        subcommands = {
            CommandLine.HelpCommand.class,
            RunCommand.class,
            ModelsCommand.class,
            ConvertCommand.class,
            InspectCommand.class,
            VerifyCommand.class,
            BenchCommand.class,
            GateCommand.class,
            TokenizeCommand.class,
            DetokenizeCommand.class,
            TemplateCommand.class,
            ChatCommand.class,
            ServeCommand.class,
        })
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit code (used by tests to run commands in-process). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof TesseraException) {
                cmd.getErr().println("tessera: " + ex.getMessage());
                if (Boolean.getBoolean("tessera.debug")) {
                    ex.printStackTrace(cmd.getErr());
                }
                return 2;
            }
            throw ex;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"tessera " + (v == null ? "dev" : v), "JVM " + Runtime.version()};
        }
    }
}
