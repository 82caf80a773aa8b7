package dev.ortho.core.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.formats.config.ModelConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The inverse frequencies and cos/sin factor of every rope type against the values transformers
 * recorded in reference.json (per reference sequence, so dynamic's length dependence is checked),
 * from config.json and from config.legacy.json alike: bit for bit.
 */
class RopeFrequenciesTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2_moe", "llama_rope3", "qwen2_yarn", "llama_dynamic", "gpt_oss"})
    void frequenciesEqualTransformers(String arch) throws Exception {
        Path d = GoldenRef.dir().resolve(arch);
        JsonNode ref = new ObjectMapper().readTree(d.resolve("reference.json").toFile());
        if (!ref.has("rope")) return; // the older folders record no frequencies
        int compared = 0;
        for (String cfg : new String[]{"config.json", "config.legacy.json"}) {
            ModelConfig c = ModelConfig.read(d.resolve(cfg));
            for (JsonNode seq : ref.get("rope").get("per_sequence")) {
                Rope.Frequencies f = Rope.at(c, d, seq.get("seq_len").asInt());
                JsonNode inv = seq.get("inv_freq");
                assertEquals(inv.size(), f.invFreq().length, arch);
                for (int i = 0; i < inv.size(); i++) {
                    assertEquals((float) inv.get(i).asDouble(), f.invFreq()[i], 0f,
                            arch + " " + cfg + " L=" + seq.get("seq_len") + " inv_freq[" + i + "]");
                }
                assertEquals((float) seq.get("attention_scaling").asDouble(), f.attentionScaling(), 0f,
                        arch + " " + cfg + " attention scaling");
                compared++;
                // The check discriminates: ignoring the scaling (plain rope) would fail it for every scaled type.
                if (!Rope.type(c).equals("default") && !(Rope.type(c).equals("dynamic") && seq.get("seq_len").asInt() <= c.maxPositionEmbeddings())) {
                    float[] plain = Rope.at(withoutScaling(d.resolve(cfg)), d, seq.get("seq_len").asInt()).invFreq();
                    boolean differs = false;
                    for (int i = 0; i < inv.size(); i++) differs |= plain[i] != (float) inv.get(i).asDouble();
                    org.junit.jupiter.api.Assertions.assertTrue(differs, arch + ": plain rope would pass too");
                }
            }
        }
        System.out.printf("ROPE %s %d frequency sets bit-exact%n", arch, compared);
    }

    private static ModelConfig withoutScaling(Path configFile) throws Exception {
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(configFile.toFile());
        root.remove("rope_scaling");
        if (root.get("rope_parameters") instanceof com.fasterxml.jackson.databind.node.ObjectNode rp) rp.put("rope_type", "default");
        return ModelConfig.fromJson(root, configFile);
    }
}
