package dev.ortho.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One captured CLI invocation. */
record CliRun(int exit, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = OrthoCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
