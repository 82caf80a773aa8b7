package dev.ortho.core.edit;

import dev.ortho.core.arch.ArchRegistry;
import dev.ortho.core.arch.ArchSpec;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.config.ModelConfig;
import dev.ortho.formats.safetensors.SafetensorsFile;
import dev.ortho.formats.safetensors.TensorInfo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A checkpoint opened and validated together with its config.json and architecture spec: the
 * common first step of inspect and ablate (verify re-plans from the output and its manifest instead).
 */
public final class LoadedModel implements AutoCloseable {

    private final Checkpoint checkpoint;
    private final ModelConfig config;
    private final Path configFile;
    private final ArchSpec spec;

    private LoadedModel(Checkpoint checkpoint, ModelConfig config, Path configFile, ArchSpec spec) {
        this.checkpoint = checkpoint;
        this.config = config;
        this.configFile = configFile;
        this.spec = spec;
    }

    public static LoadedModel open(Path model, Optional<String> arch, Optional<Path> archSpecFile) {
        Checkpoint checkpoint = Checkpoint.open(model);
        try {
            Path configFile = checkpoint.directory().resolve("config.json");
            if (!Files.isRegularFile(configFile)) {
                throw new InvalidInputException(checkpoint.directory(), null,
                        "no config.json next to the weights: Ortho needs it for the hidden size, layers and architecture");
            }
            ModelConfig config = ModelConfig.read(configFile);
            ArchRegistry registry = ArchRegistry.builtin();
            if (archSpecFile.isPresent()) registry = registry.with(archSpecFile.get());
            ArchSpec spec;
            if (arch.isPresent()) spec = registry.require(arch.get());
            else if (archSpecFile.isPresent()) spec = registry.require(ArchRegistry.readSpec(archSpecFile.get()).name());
            else spec = registry.detect(config.modelType(), config.architectures(), configFile);
            return new LoadedModel(checkpoint, config, configFile, spec);
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    public Checkpoint checkpoint() { return checkpoint; }

    public ModelConfig config() { return config; }

    public Path configFile() { return configFile; }

    public ArchSpec spec() { return spec; }

    public EditPlanner.ModelFacts facts() {
        return new EditPlanner.ModelFacts(checkpoint.directory(), config.hiddenSize(), config.numLayers(),
                config.tieWordEmbeddingsRaw());
    }

    /** Every tensor with the name of the shard file it lives in, in shard order then header order. */
    public List<EditPlanner.SourceTensor> sourceTensors() {
        List<EditPlanner.SourceTensor> out = new ArrayList<>();
        for (SafetensorsFile shard : checkpoint.shards()) {
            String file = shard.path().getFileName().toString();
            for (TensorInfo t : shard.tensors()) out.add(new EditPlanner.SourceTensor(file, t));
        }
        return out;
    }

    public SafetensorsFile shard(String fileName) {
        for (SafetensorsFile s : checkpoint.shards()) {
            if (s.path().getFileName().toString().equals(fileName)) return s;
        }
        throw new IllegalArgumentException("no shard " + fileName);
    }

    @Override
    public void close() { checkpoint.close(); }
}
