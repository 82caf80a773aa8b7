package dev.ortho.core.search;

import dev.ortho.core.edit.LayerKernel;
import dev.ortho.formats.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrialLogTest {

    @TempDir Path tmp;

    private static Trial trial(int n) {
        double[] x = new double[SearchSpace.VARIABLES];
        for (int i = 0; i < x.length; i++) x[i] = Math.nextUp(0.1 * i + n / 3.0);
        SearchPoint p = new SearchPoint(-2, 3.3333333333333335, 2, true, false, true, new LayerKernel(1.25, 1.1, 0.2, 3),
                new LayerKernel(6, 0.75, 0.5, 0.5));
        return n % 2 == 0 ? new Trial(n, x, p, new TrialObjectives(-1.0 / 3, 0.1 + n, 1e-17), null, 0.5)
                : new Trial(n, x, p, null, "directions are not independent", 0.25);
    }

    @Test
    void roundTripsExactlyAndDropsOnlyATornLastLine() throws Exception {
        Path f = tmp.resolve("trials.jsonl");
        try (TrialLog log = TrialLog.open(f, true)) {
            for (int i = 0; i < 3; i++) log.append(trial(i));
        }
        List<Trial> read = TrialLog.read(f);
        assertEquals(3, read.size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(trial(i).variables(), read.get(i).variables(), "doubles survive exactly");
            assertEquals(trial(i).point(), read.get(i).point());
            assertEquals(trial(i).objectives(), read.get(i).objectives());
        }
        assertNull(read.get(1).objectives());
        Files.writeString(f, "{\"number\":3,\"varia", StandardOpenOption.APPEND);      // killed while writing
        assertEquals(3, TrialLog.read(f).size());
        try (TrialLog log = TrialLog.open(tmp.resolve("fresh.jsonl"), true)) {
            log.append(trial(0));
        }
        assertEquals(1, TrialLog.read(tmp.resolve("fresh.jsonl")).size());
    }

    @Test
    void aCorruptOrReorderedLogIsRefused() throws Exception {
        Path f = tmp.resolve("t.jsonl");
        try (TrialLog log = TrialLog.open(f, true)) {
            log.append(trial(0));
            log.append(trial(2));
        }
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> TrialLog.read(f));
        assertTrue(e.getMessage().contains("line 2 is trial 2, expected 1"), e.getMessage());
        Files.writeString(f, "not json\n" + Files.readString(f));
        e = assertThrows(InvalidInputException.class, () -> TrialLog.read(f));
        assertTrue(e.getMessage().contains("line 1 is not a trial"), e.getMessage());
    }
}
