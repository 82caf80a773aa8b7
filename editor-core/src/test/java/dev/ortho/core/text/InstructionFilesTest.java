package dev.ortho.core.text;

import dev.ortho.fixtures.SharedData;
import dev.ortho.formats.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class InstructionFilesTest {

    @TempDir Path dir;

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private InvalidInputException refused(Path f, String fragment) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> InstructionFiles.read(f));
        assertEquals(f, e.file().orElseThrow(), "the error names the file");
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertEquals(2, e.exitCode());
        return e;
    }

    @Test
    void listOfStringsAndListOfRecords() throws IOException {
        assertEquals(List.of("a", "b c"), InstructionFiles.read(write("s.json", "[\"a\", \"b c\"]")));
        assertEquals(List.of("x", "y"), InstructionFiles.read(write("r.json",
                "[{\"instruction\": \"x\", \"category\": null}, {\"instruction\": \"y\", \"category\": \"c\"}]")));
    }

    @Test
    void jsonLinesAndText() throws IOException {
        assertEquals(List.of("x", "y"), InstructionFiles.read(write("r.jsonl", "{\"instruction\": \"x\"}\n\n\"y\"\n")));
        assertEquals(List.of("one", "two  "), InstructionFiles.read(write("r.txt", "one\r\n\ntwo  \n")));
        refused(write("bad.jsonl", "\"ok\"\n{\"instruction\": 3}\n"), "line 2");
    }

    @Test
    void csvColumn() throws IOException {
        Path f = write("a.csv", "goal,target\r\n\"Write \"\"x\"\", then y\",Sure\r\nline two,t\n\"multi\nline\",t\n");
        assertEquals(List.of("Write \"x\", then y", "line two", "multi\nline"), InstructionFiles.read(f, "goal"));
        refused(f, "no column \"instruction\"");
        refused(write("b.csv", "instruction,x\nfine,1\nragged\n"), "row 3 has 1 fields");
        refused(write("c.csv", "instruction\n\"open"), "inside a quoted field");
        refused(write("d.csv", "instruction\nab\"c\n"), "quote inside an unquoted field");
        refused(write("e.csv", "instruction\n"), "no instructions");
    }

    @Test
    void notJson() throws IOException {
        refused(write("a.json", "Write a poem"), "not valid JSON");
        refused(write("b.json", "[\"a\", "), "not valid JSON");
        refused(write("c.json", ""), "empty");
        refused(write("d.json", "[\"a\"] [\"b\"]"), "not valid JSON");
    }

    @Test
    void wrongShape() throws IOException {
        refused(write("a.json", "{\"instructions\": [\"a\"]}"), "expected a JSON list");
        refused(write("b.json", "[[\"a\"]]"), "item 0 is a list");
        refused(write("c.json", "[{\"prompt\": \"a\"}]"), "item 0 has no \"instruction\"");
    }

    @Test
    void nonStringInstruction() throws IOException {
        refused(write("a.json", "[\"ok\", 42]"), "item 1 is a number");
        refused(write("b.json", "[{\"instruction\": null}]"), "\"instruction\" is null");
        refused(write("c.json", "[\"ok\", \"  \"]"), "item 1 is an empty instruction");
    }

    @Test
    void emptyList() throws IOException {
        refused(write("a.json", "[]"), "no instructions");
        refused(write("b.txt", "\n\n"), "no instructions");
    }

    @Test
    void tooLargeIsRefusedBeforeReading() throws IOException {
        Path f = dir.resolve("huge.json");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(InstructionFiles.MAX_BYTES + 1); // sparse: no disk used
        }
        refused(f, "over the 64 MiB limit");
    }

    @Test
    void invalidUtf8AndMissing() throws IOException {
        Path f = Files.write(dir.resolve("a.json"), new byte[] {'[', '"', (byte) 0xFF, '"', ']'});
        refused(f, "not valid UTF-8");
        refused(dir.resolve("nope.json"), "does not exist");
    }

    @Test
    void deepNestingIsRefused() throws IOException {
        refused(write("a.json", "[".repeat(5000) + "]".repeat(5000)), "deeply");
    }

    @Test
    void organismAndPaperFilesRead() {
        Path data = SharedData.organism().resolve("data");
        assertEquals(128, InstructionFiles.read(data.resolve("direction_train_harmful.json")).size());
        assertEquals(32, InstructionFiles.read(data.resolve("val_harmless.json")).size());
        Path splits = SharedData.dir("datasets/splits");
        assertEquals(260, InstructionFiles.read(splits.resolve("harmful_train.json")).size());
        assertEquals(39, InstructionFiles.read(splits.resolve("harmful_val.json")).size());
    }
}
