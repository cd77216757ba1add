package dev.omnigen2.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** One in-process run of the omnigen2 command line with captured output. */
record CliRun(int exitCode, String out, String err) {
    static CliRun of(String... args) {
        return of(Main.commandLine(), args);
    }

    static CliRun of(picocli.CommandLine cmd, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    List<String> errLines() { return err.lines().toList(); }
}
