package dev.ortho.cli;

import dev.ortho.fixtures.FixtureArch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The direction the CLI tests edit fixtures with: sin(i + 1) over the fixtures' hidden size, as a JSON list. */
final class SineDirection {

    private SineDirection() {}

    static Path write(Path file) throws IOException {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < FixtureArch.HIDDEN; i++) sb.append(i == 0 ? "" : ",").append(Math.sin(i + 1));
        Files.writeString(file, sb.append("]").toString());
        return file;
    }
}
