package dev.ortho.formats;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ortho.formats.checkpoint.ShardIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Coverage-guided fuzzing of {@code model.safetensors.index.json}: any input is either refused
 * with {@link InvalidInputException} or yields an index whose every shard is a plain file name
 * inside the checkpoint directory (no separators, no {@code ..}, no absolute path).
 */
class ShardIndexFuzzTest {

    private static Path dir;

    @FuzzTest(maxDuration = "10s")
    void indexJson(byte[] json) throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("ortho-fuzz-index");
            Files.write(dir.resolve("model-00001-of-00002.safetensors"), new byte[16]);
            Files.write(dir.resolve("model-00002-of-00002.safetensors"), new byte[16]);
        }
        Path index = dir.resolve(ShardIndex.FILE_NAME);
        Files.write(index, json);
        ShardIndex idx;
        try {
            idx = ShardIndex.read(index);
        } catch (InvalidInputException expected) {
            assertTrue(expected.getMessage().contains(ShardIndex.FILE_NAME), "the message names the file");
            return;
        }
        assertFalse(idx.weightMap().isEmpty());
        for (String shard : idx.weightMap().values()) {
            assertFalse(shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..") || shard.equals("."), shard);
            Path p = dir.resolve(shard).normalize();
            assertEquals(dir, p.getParent(), "shard outside the directory: " + shard);
        }
    }
}
