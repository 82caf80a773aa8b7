package dev.ortho.formats.safetensors;

import dev.ortho.formats.SharedData;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.checkpoint.CheckpointWriter;
import dev.ortho.formats.checkpoint.TensorRef;
import dev.ortho.formats.config.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class GoldenReadWriteTest {

    static Stream<String> archs() { return Stream.of(SharedData.ARCHS); }

    @Test
    void readsLlamaShapesAndValues() {
        Path f = SharedData.golden().resolve("llama/model.safetensors");
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertEquals(Map.of("format", "pt"), st.header().metadata());
            TensorInfo emb = st.tensor("model.embed_tokens.weight");
            assertEquals(DType.F32, emb.dtype());
            assertEquals(List.of(512L, 64L), emb.shape());
            assertEquals(0, st.header().dataStart() % 8, "HF pads the header to a multiple of 8");
            float v = st.data(emb).get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            assertTrue(Float.isFinite(v) && v != 0);
        }
    }

    @Test
    void shardedLlamaEqualsSingleFile() {
        Path g = SharedData.golden().resolve("llama");
        try (Checkpoint single = Checkpoint.open(g); Checkpoint sharded = Checkpoint.open(g.resolve("sharded"))) {
            assertTrue(sharded.sharded());
            assertEquals(2, sharded.shards().size());
            assertEquals(single.tensors().size(), sharded.tensors().size());
            for (TensorRef t : single.tensors()) {
                TensorRef s = sharded.tensor(t.info().name());
                assertEquals(t.info().dtype(), s.info().dtype());
                assertEquals(t.info().shape(), s.info().shape());
                assertEquals(-1, t.data().mismatch(s.data()), t.info().name());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("archs")
    void bf16FixturesAreRneRoundingOfF32(String arch) {
        Path g = SharedData.golden().resolve(arch);
        try (SafetensorsFile f32 = SafetensorsFile.open(g.resolve("model.safetensors"));
             SafetensorsFile bf16 = SafetensorsFile.open(g.resolve("bf16/model.safetensors"))) {
            var F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            var S = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            int checked = 0;
            for (TensorInfo t : f32.tensors()) {
                TensorInfo b = bf16.tensor(t.name());
                assertEquals(DType.BF16, b.dtype());
                var a = f32.data(t);
                var c = bf16.data(b);
                for (long i = 0; i < t.elementCount(); i++) {
                    short expected = FloatConversions.floatToBf16(a.getAtIndex(F, i));
                    assertEquals(expected, c.getAtIndex(S, i), t.name() + "[" + i + "]");
                    checked++;
                }
            }
            assertTrue(checked > 10_000);
        }
    }

    @ParameterizedTest
    @MethodSource("archs")
    void unchangedRoundTripIsByteIdentical(String arch, @TempDir Path tmp) throws Exception {
        Path g = SharedData.golden().resolve(arch);
        List<Path> files = new ArrayList<>(List.of(g.resolve("model.safetensors"), g.resolve("bf16/model.safetensors")));
        if (arch.equals("llama")) {
            files.add(g.resolve("sharded/model-00001-of-00002.safetensors"));
            files.add(g.resolve("sharded/model-00002-of-00002.safetensors"));
        }
        for (Path in : files) {
            Path out = tmp.resolve(in.getParent().getFileName() + "-" + in.getFileName());
            try (SafetensorsFile f = SafetensorsFile.open(in)) {
                List<TensorLayout> layout = f.tensors().stream().map(t -> new TensorLayout(t.name(), t.dtype(), t.shape())).toList();
                try (SafetensorsWriter w = SafetensorsWriter.create(out, f.header().metadata(), layout)) {
                    for (TensorInfo t : f.tensors()) w.write(f.data(t));
                    w.finish();
                }
            }
            assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(out), "round trip of " + in);
        }
    }

    @Test
    void regeneratedIndexAndConfigAreByteIdentical(@TempDir Path tmp) throws Exception {
        Path sharded = SharedData.golden().resolve("llama/sharded");
        Path out = tmp.resolve("out");
        try (Checkpoint c = Checkpoint.open(sharded); CheckpointWriter w = CheckpointWriter.create(out, false, List.of(sharded))) {
            Map<String, String> weightMap = new LinkedHashMap<>();
            for (SafetensorsFile f : c.shards()) {
                String name = f.path().getFileName().toString();
                List<TensorLayout> layout = f.tensors().stream().map(t -> new TensorLayout(t.name(), t.dtype(), t.shape())).toList();
                try (SafetensorsWriter sw = w.newShard(name, f.header().metadata(), layout)) {
                    for (TensorInfo t : f.tensors()) sw.write(f.data(t));
                    sw.finish();
                }
            }
            w.writeIndex(c.index().orElseThrow().metadata(), c.index().orElseThrow().weightMap());
            for (Path aux : c.auxiliaryFiles()) w.copyFile(aux);
            w.commit();
        }
        for (String f : List.of("model.safetensors.index.json", "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors", "config.json", "generation_config.json")) {
            assertArrayEquals(Files.readAllBytes(sharded.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
        // A config rewritten with the same tie value is byte-identical too: the writer matches HF's style.
        byte[] cfg = Files.readAllBytes(sharded.resolve("config.json"));
        boolean tie = ModelConfig.read(sharded.resolve("config.json")).tieWordEmbeddingsRaw().orElseThrow();
        assertArrayEquals(cfg, ModelConfig.withTieWordEmbeddings(cfg, tie));
    }

    @ParameterizedTest
    @MethodSource("archs")
    void legacyAndTransformers5ConfigsAgree(String arch) {
        Path g = SharedData.golden().resolve(arch);
        ModelConfig a = ModelConfig.read(g.resolve("config.json"));
        ModelConfig b = ModelConfig.read(g.resolve("config.legacy.json"));
        assertEquals(withoutRaw(a), withoutRaw(b));
        assertEquals(64, a.hiddenSize());
        assertEquals(3, a.numLayers());
    }

    private static ModelConfig withoutRaw(ModelConfig c) {
        return new ModelConfig(c.modelType(), c.architectures(), c.hiddenSize(), c.numLayers(), c.numHeads(), c.numKvHeads(),
                c.headDim(), c.intermediateSize(), c.vocabSize(), c.tieWordEmbeddingsRaw(), c.dtype(), c.ropeTheta(),
                c.partialRotaryFactor(), c.ropeScaling(), c.normEps(), c.slidingWindow(), List.of(), c.maxPositionEmbeddings(),
                c.hiddenAct(), c.numExperts(), c.numExpertsPerTok(), c.attnLogitSoftcapping(), c.finalLogitSoftcapping(),
                c.queryPreAttnScalar(), c.useParallelResidual(), c.attentionBias(), null);
    }
}
