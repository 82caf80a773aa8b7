package dev.ortho.core.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ortho.core.arch.ArchChoice;
import dev.ortho.core.arch.RuntimeSpec;
import dev.ortho.formats.checkpoint.Checkpoint;
import dev.ortho.formats.config.ModelConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A causal LM checkpoint run by ONNX Runtime on a graph built from its config.json, with the
 * checkpoint's tensors bound as initializers (see {@link WeightStore}). One session per graph
 * variant ({@link GraphSpec}) is built on first use and kept. Not thread-safe.
 */
public final class ModelRuntime implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelRuntime.class);

    private final Path dir;
    private final ModelConfig config;
    private final ModelFamily family;
    private final RuntimeOptions options;
    private final Checkpoint checkpoint;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final WeightStore weights;
    private final Map<GraphSpec, OrtSession> sessions = new HashMap<>();
    private final Set<Integer> eos;
    private WeightOverlay overlay;

    private final ArchChoice arch;

    private ModelRuntime(Path dir, RuntimeOptions options, ArchChoice arch) {
        this.arch = arch;
        this.dir = dir;
        this.options = options;
        Path configFile = dir.resolve("config.json");
        ModelConfig read = ModelConfig.read(configFile);
        ModelFamily fam = ModelFamily.of(arch.resolve(read.modelType(), read.architectures(), configFile), dir);
        this.config = read.withRopeRules(fam.spec().rope(), configFile);
        // Refuse what cannot run before mapping anything: rope type, activation, MoE layout.
        if (fam.rotary()) {
            Rope.validate(config, dir);
            Rope.slidingLayers(config, fam.spec().localRopeTheta(), dir);
        }
        fam.activation(config, dir);
        fam.checkAttention(config, dir);
        this.checkpoint = Checkpoint.open(dir);
        this.family = fam.locate(name -> checkpoint.find(name).isPresent());
        this.weights = new WeightStore(checkpoint, env, options.maxChunkBytes(), options.widensWeights());
        if (family.kind() == RuntimeSpec.Block.DECODER) MoeBlock.validate(config, family, weights, dir);
        this.eos = eosIds(dir, config);
    }

    /** Opens a model whose architecture is detected from config.json among the built-in specs. */
    public static ModelRuntime open(Path modelDir, RuntimeOptions options) {
        return new ModelRuntime(modelDir, options, ArchChoice.detect());
    }

    /** Opens a model described by the chosen spec ({@code --arch} / {@code --arch-spec}). */
    public static ModelRuntime open(Path modelDir, RuntimeOptions options, ArchChoice arch) {
        return new ModelRuntime(modelDir, options, arch);
    }

    public static ModelRuntime open(Path modelDir) { return open(modelDir, RuntimeOptions.defaults()); }

    public ModelConfig config() { return config; }

    /** EOS ids from generation_config.json, else config.json. */
    public Set<Integer> eosTokenIds() { return eos; }

    /**
     * Off-heap bytes of float32 copies of BF16/F16 weights: 0 by default (they run from the mapping in
     * their stored dtype) and for F32 checkpoints; 4 bytes per parameter with {@link RuntimeOptions#weightsF32()}.
     */
    public long convertedWeightBytes() { return weights.convertedBytes(); }

    // ---- forward ----------------------------------------------------------------------------------

    /**
     * Runs the sequences as one left-padded batch. Positions come from the attention mask, so a
     * sequence gives the same numbers alone or in any batch.
     */
    public ForwardResult forward(List<int[]> sequences, Intervention intervention, Capture capture) {
        checkIds(sequences);
        Batch batch = Batch.leftPadded(sequences, options.padTokenId());
        GraphSpec spec = spec(false, intervention, capture.lastLogitsOnly(), capture.residuals(), capture.lastK());
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try {
            feeds.put("input_ids", longTensor(batch.ids(), batch.size(), batch.length()));
            feeds.put("attention_mask", longTensor(batch.mask(), batch.size(), batch.length()));
            interventionFeeds(intervention, batch.size(), feeds);
            ropeFeed(batch.length(), feeds);
            OrtSession session = session(spec);
            try (OrtSession.Result r = session.run(withWeights(feeds, intervention))) {
                return collect(r, batch, capture);
            }
        } catch (OrtException e) {
            throw RuntimeFailure.engine(dir, "forward pass failed", e);
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    private ForwardResult collect(OrtSession.Result r, Batch batch, Capture capture) throws OrtException {
        int v = config.vocabSize(), h = config.hiddenSize(), layers = config.numLayers();
        int tMax = batch.length();
        float[] logits = floats(r, "logits");
        List<float[]> perSeqLogits = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) {
            int len = batch.lengths()[b];
            if (capture.lastLogitsOnly()) {
                perSeqLogits.add(java.util.Arrays.copyOfRange(logits, b * v, (b + 1) * v));
            } else {
                int from = (b * tMax + tMax - len) * v;
                perSeqLogits.add(java.util.Arrays.copyOfRange(logits, from, from + len * v));
            }
        }
        List<float[][]> residuals = new ArrayList<>();
        List<float[]> finalNorm = new ArrayList<>();
        if (capture.residuals()) {
            int tCap = capture.lastK() > 0 ? Math.min(capture.lastK(), tMax) : tMax;
            float[][] all = new float[layers + 2][];
            for (int l = 0; l < layers; l++) all[l] = floats(r, "resid_" + l);
            all[layers] = floats(r, "resid_final");
            all[layers + 1] = floats(r, "normed_final");
            for (int b = 0; b < batch.size(); b++) {
                int keep = Math.min(batch.lengths()[b], tCap);
                int from = (b * tCap + tCap - keep) * h;
                float[][] seq = new float[layers + 1][];
                for (int l = 0; l <= layers; l++) seq[l] = java.util.Arrays.copyOfRange(all[l], from, from + keep * h);
                residuals.add(seq);
                finalNorm.add(java.util.Arrays.copyOfRange(all[layers + 1], from, from + keep * h));
            }
        }
        return new ForwardResult(v, h, layers, perSeqLogits, residuals, finalNorm);
    }

    // ---- generation --------------------------------------------------------------------------------

    /** Greedy decoding with a KV cache, batched; each prompt stops at EOS or after maxNewTokens. */
    public GenerationResult generate(List<int[]> prompts, int maxNewTokens, Intervention intervention) {
        return generate(prompts, maxNewTokens, intervention, true);
    }

    /**
     * Greedy decoding; {@code useCache = false} recomputes the whole prefix every step (a reference
     * for the cached path, quadratic in length).
     */
    public GenerationResult generate(List<int[]> prompts, int maxNewTokens, Intervention intervention, boolean useCache) {
        if (maxNewTokens < 0) throw RuntimeFailure.badRequest("maxNewTokens must be >= 0");
        checkIds(prompts);
        int n = prompts.size();
        List<List<Integer>> out = new ArrayList<>();
        boolean[] done = new boolean[n];
        boolean[] atEos = new boolean[n];
        for (int i = 0; i < n; i++) out.add(new ArrayList<>());
        if (maxNewTokens > 0) {
            if (useCache) generateCached(prompts, maxNewTokens, intervention, out, done, atEos);
            else generateUncached(prompts, maxNewTokens, intervention, out, done, atEos);
        }
        List<int[]> tokens = new ArrayList<>();
        List<Boolean> stopped = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            tokens.add(out.get(i).stream().mapToInt(Integer::intValue).toArray());
            stopped.add(atEos[i]);
        }
        return new GenerationResult(tokens, stopped);
    }

    /** Appends each unfinished row's argmax; returns whether every row is done. */
    private boolean step(float[] lastLogits, List<List<Integer>> out, boolean[] done, boolean[] atEos, int maxNew) {
        int v = config.vocabSize();
        boolean all = true;
        for (int b = 0; b < out.size(); b++) {
            if (done[b]) continue;
            int best = 0;
            for (int j = 1; j < v; j++) if (lastLogits[b * v + j] > lastLogits[b * v + best]) best = j;
            out.get(b).add(best);
            if (eos.contains(best)) { done[b] = true; atEos[b] = true; }
            else if (out.get(b).size() >= maxNew) done[b] = true;
            all &= done[b];
        }
        return all;
    }

    private void generateUncached(List<int[]> prompts, int maxNew, Intervention iv, List<List<Integer>> out,
                                  boolean[] done, boolean[] atEos) {
        while (true) {
            List<int[]> seqs = new ArrayList<>();
            for (int b = 0; b < prompts.size(); b++) {
                int[] p = prompts.get(b);
                int[] s = java.util.Arrays.copyOf(p, p.length + out.get(b).size());
                for (int j = 0; j < out.get(b).size(); j++) s[p.length + j] = out.get(b).get(j);
                seqs.add(s);
            }
            ForwardResult r = forward(seqs, iv, Capture.lastLogits());
            float[] last = new float[prompts.size() * config.vocabSize()];
            for (int b = 0; b < prompts.size(); b++) System.arraycopy(r.logits().get(b), 0, last, b * config.vocabSize(), config.vocabSize());
            if (step(last, out, done, atEos, maxNew)) return;
        }
    }

    private void generateCached(List<int[]> prompts, int maxNew, Intervention iv, List<List<Integer>> out,
                                boolean[] done, boolean[] atEos) {
        Batch batch = Batch.leftPadded(prompts, options.padTokenId());
        int n = batch.size();
        GraphSpec spec = spec(true, iv, true, false, 0);
        int kv = family.kind() == RuntimeSpec.Block.GPT2 ? config.numHeads() : config.numKvHeads();
        int hd = family.kind() == RuntimeSpec.Block.GPT2 ? config.hiddenSize() / config.numHeads() : config.headDim();
        Map<String, OnnxTensor> fixed = new HashMap<>();
        List<OnnxTensor> owned = new ArrayList<>();
        OrtSession.Result previous = null;
        try {
            OrtSession session = session(spec);
            interventionFeeds(iv, n, fixed);
            long[] ids = batch.ids();
            long[] mask = batch.mask();
            int t = batch.length();
            int total = t;
            Map<String, OnnxTensor> past = new HashMap<>();
            for (int l = 0; l < config.numLayers(); l++) {
                OnnxTensor empty = OnnxTensor.createTensor(env, FloatBuffer.allocate(0), new long[]{n, kv, 0, hd});
                owned.add(empty);
                past.put("past_key_" + l, empty);
                past.put("past_value_" + l, empty);
            }
            while (true) {
                Map<String, OnnxTensor> feeds = new HashMap<>(fixed);
                feeds.putAll(past);
                OnnxTensor idsT = longTensor(ids, n, t), maskT = longTensor(mask, n, total);
                feeds.put("input_ids", idsT);
                feeds.put("attention_mask", maskT);
                Map<String, OnnxTensor> rope = new HashMap<>();
                OrtSession.Result r;
                try {
                    // Each step's full length: the longest row holds `total` positions.
                    ropeFeed(total, rope);
                    feeds.putAll(rope);
                    r = session.run(withWeights(feeds, iv));
                } finally {
                    idsT.close();
                    maskT.close();
                    rope.values().forEach(OnnxTensor::close);
                }
                if (previous != null) previous.close();
                previous = r;
                float[] logits = floats(r, "logits");
                if (step(logits, out, done, atEos, maxNew)) return;
                past = new HashMap<>();
                for (int l = 0; l < config.numLayers(); l++) {
                    past.put("past_key_" + l, (OnnxTensor) r.get("present_key_" + l).orElseThrow());
                    past.put("past_value_" + l, (OnnxTensor) r.get("present_value_" + l).orElseThrow());
                }
                ids = new long[n];
                for (int b = 0; b < n; b++) {
                    List<Integer> o = out.get(b);
                    // A finished row keeps decoding its last token; its outputs are ignored.
                    ids[b] = o.isEmpty() ? options.padTokenId() : o.getLast();
                }
                t = 1;
                long[] grown = new long[n * (total + 1)];
                for (int b = 0; b < n; b++) {
                    System.arraycopy(mask, b * total, grown, b * (total + 1), total);
                    grown[b * (total + 1) + total] = 1;
                }
                mask = grown;
                total++;
            }
        } catch (OrtException e) {
            throw RuntimeFailure.engine(dir, "generation failed", e);
        } finally {
            if (previous != null) previous.close();
            owned.forEach(OnnxTensor::close);
            fixed.values().forEach(OnnxTensor::close);
        }
    }

    // ---- sessions and feeds ----------------------------------------------------------------------

    private GraphSpec spec(boolean cache, Intervention iv, boolean lastLogits, boolean residuals, int lastK) {
        GraphSpec.Kind kind = switch (iv) {
            case Intervention.None none -> GraphSpec.Kind.NONE;
            case Intervention.Ablate a -> a.afterPostNorms() && family.sandwichNorms()
                    ? GraphSpec.Kind.ABLATE_POSTNORM : GraphSpec.Kind.ABLATE;
            case Intervention.WeightEdit we -> {
                if (options.binding() != WeightBinding.FEED) {
                    throw RuntimeFailure.badRequest("a weight-level intervention needs the FEED weight binding");
                }
                yield GraphSpec.Kind.NONE;
            }
            case Intervention.ActAdd a -> {
                if (a.layer() < 0 || a.layer() >= config.numLayers()) {
                    throw RuntimeFailure.badRequest("activation addition layer " + a.layer() + " is outside 0.."
                            + (config.numLayers() - 1));
                }
                yield GraphSpec.Kind.ACTADD;
            }
            case Intervention.PerSequence ps -> {
                for (Intervention.PerSequence.Row row : ps.rows()) {
                    if (row.addition() != null && (row.additionLayer() < 0 || row.additionLayer() >= config.numLayers())) {
                        throw RuntimeFailure.badRequest("activation addition layer " + row.additionLayer()
                                + " is outside 0.." + (config.numLayers() - 1));
                    }
                }
                yield GraphSpec.Kind.PER_SEQUENCE;
            }
        };
        int layer = iv instanceof Intervention.ActAdd a ? a.layer() : -1;
        return new GraphSpec(cache, kind, layer, lastLogits, residuals, lastK);
    }

    private OrtSession session(GraphSpec spec) throws OrtException {
        OrtSession s = sessions.get(spec);
        if (s != null) return s;
        long t0 = System.nanoTime();
        byte[] model = ModelGraph.build(config, family, weights, dir, spec, options.binding()).toByteArray();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            if (options.intraOpThreads() > 0) so.setIntraOpNumThreads(options.intraOpThreads());
            // Prepacking would copy every Gemm weight into ORT's own layout: twice the memory.
            so.addConfigEntry("session.disable_prepacking", "1");
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.BASIC_OPT);
            if (options.binding() == WeightBinding.INITIALIZER) weights.bind(so);
            s = env.createSession(model, so);
        } finally {
            so.close();
        }
        sessions.put(spec, s);
        LOG.debug("built graph {} for {} ({} bytes) in {} ms", spec, config.modelType(), model.length,
                (System.nanoTime() - t0) / 1_000_000);
        return s;
    }

    /** The run's own inputs plus, with FEED binding, every weight (not owned by the caller's map). */
    private Map<String, OnnxTensor> withWeights(Map<String, OnnxTensor> feeds, Intervention iv) {
        if (options.binding() != WeightBinding.FEED) return feeds;
        Map<String, OnnxTensor> all = new HashMap<>(weights.tensors());
        if (iv instanceof Intervention.WeightEdit we) all.putAll(overlay(we).tensors());
        all.putAll(feeds);
        return all;
    }

    /**
     * The edited writers of a weight-level intervention, computed on first use and kept while the
     * same recipe instance is used (a generation calls the graph once per token).
     */
    private WeightOverlay overlay(Intervention.WeightEdit we) {
        if (overlay != null && overlay.recipe() == we.recipe()) return overlay;
        if (overlay != null) overlay.close();
        overlay = null;
        long t0 = System.nanoTime();
        overlay = WeightOverlay.create(weights, dir, arch, we.recipe(), Math.max(1, Runtime.getRuntime().availableProcessors()));
        LOG.debug("weight-level intervention: {} writer tensors edited in {} ms", overlay.tensorCount(),
                (System.nanoTime() - t0) / 1_000_000);
        return overlay;
    }

    private void interventionFeeds(Intervention iv, int batchSize, Map<String, OnnxTensor> feeds) throws OrtException {
        int h = config.hiddenSize(), layers = config.numLayers();
        switch (iv) {
            case Intervention.None none -> { }
            case Intervention.Ablate a -> {
                if (a.bases().size() != 1 && a.bases().size() != layers) {
                    throw RuntimeFailure.badRequest("ablation needs 1 or " + layers + " directions, got " + a.bases().size());
                }
                if (a.alphas() != null && a.alphas().length != layers) {
                    throw RuntimeFailure.badRequest("ablation strengths cover " + a.alphas().length + " layers, the model has " + layers);
                }
                int k = a.k();
                float[] all = new float[layers * k * h];
                List<float[]> global = a.bases().size() == 1 ? orthonormal(a.bases().getFirst()) : null;
                for (int l = 0; l < layers; l++) {
                    List<float[]> q = global != null ? global : orthonormal(a.bases().get(l));
                    for (int j = 0; j < k; j++) System.arraycopy(q.get(j), 0, all, (l * k + j) * h, h);
                }
                feeds.put("ablate_dirs", OnnxTensor.createTensor(env, FloatBuffer.wrap(all), new long[]{layers, k, h}));
                float[] alpha = new float[layers * 3];
                for (int l = 0; l < layers; l++) {
                    for (int site = 0; site < 3; site++) alpha[l * 3 + site] = a.alphas() == null ? 1f : (float) a.alphas()[l][site];
                }
                feeds.put("ablate_alpha", OnnxTensor.createTensor(env, FloatBuffer.wrap(alpha), new long[]{layers, 3}));
            }
            case Intervention.WeightEdit we -> { }
            case Intervention.ActAdd a -> {
                checkLength(a.direction());
                float[] v = new float[h];
                for (int i = 0; i < h; i++) v[i] = (float) (a.coef() * a.direction()[i]);
                feeds.put("actadd_vec", OnnxTensor.createTensor(env, FloatBuffer.wrap(v), new long[]{h}));
            }
            case Intervention.PerSequence ps -> perSequenceFeeds(ps, batchSize, feeds);
        }
    }

    /** Row b's unit ablation direction (zeros for none) and its addition at its layer (zeros elsewhere). */
    private void perSequenceFeeds(Intervention.PerSequence ps, int batchSize, Map<String, OnnxTensor> feeds)
            throws OrtException {
        int h = config.hiddenSize(), layers = config.numLayers();
        if (ps.rows().size() != batchSize) {
            throw RuntimeFailure.badRequest("per-sequence intervention has " + ps.rows().size() + " rows for "
                    + batchSize + " sequences");
        }
        float[] dirs = new float[batchSize * h];
        float[] adds = new float[layers * batchSize * h];
        for (int b = 0; b < batchSize; b++) {
            Intervention.PerSequence.Row row = ps.rows().get(b);
            if (row.ablation() != null) System.arraycopy(unit(row.ablation()), 0, dirs, b * h, h);
            if (row.addition() != null) {
                checkLength(row.addition());
                System.arraycopy(row.addition(), 0, adds, (row.additionLayer() * batchSize + b) * h, h);
            }
        }
        feeds.put("seq_ablate_dirs", OnnxTensor.createTensor(env, FloatBuffer.wrap(dirs), new long[]{batchSize, h}));
        feeds.put("seq_add_vecs", OnnxTensor.createTensor(env, FloatBuffer.wrap(adds), new long[]{layers, batchSize, h}));
    }

    /**
     * The inverse frequencies of a length-dependent rope type (dynamic, longrope) for a call whose
     * longest row has {@code seqLen} positions: transformers' {@code max(position_ids) + 1}, one value
     * for the whole batch as transformers uses it.
     */
    private void ropeFeed(long seqLen, Map<String, OnnxTensor> feeds) throws OrtException {
        if (!family.rotary() || !Rope.lengthDependent(config)) return;
        float[] inv = Rope.at(config, dir, seqLen).invFreq();
        feeds.put(Rope.INPUT, OnnxTensor.createTensor(env, FloatBuffer.wrap(inv), new long[]{inv.length}));
    }

    /** Token ids index the embedding: one out of range would fail deep inside ONNX Runtime. */
    private void checkIds(List<int[]> sequences) {
        int v = config.vocabSize();
        if (options.padTokenId() < 0 || options.padTokenId() >= v) {
            throw RuntimeFailure.badRequest("pad token id " + options.padTokenId() + " is outside 0.." + (v - 1));
        }
        for (int i = 0; i < sequences.size(); i++) {
            for (int id : sequences.get(i)) {
                if (id < 0 || id >= v) {
                    throw RuntimeFailure.badRequest("sequence " + i + " has token id " + id + ", outside the vocabulary 0.." + (v - 1));
                }
            }
        }
    }

    private void checkLength(float[] r) {
        if (r.length != config.hiddenSize()) {
            throw RuntimeFailure.badRequest("direction has " + r.length + " values, the model's hidden size is " + config.hiddenSize());
        }
    }

    /** One direction: {@link #unit}; several: orthonormalized in float64 in the order given, as ortho ablate does. */
    private List<float[]> orthonormal(List<float[]> directions) {
        if (directions.size() == 1) return List.of(unit(directions.getFirst()));
        List<double[]> raw = new ArrayList<>();
        for (float[] r : directions) {
            checkLength(r);
            double[] d = new double[r.length];
            for (int i = 0; i < r.length; i++) d[i] = r[i];
            raw.add(d);
        }
        List<double[]> q;
        try {
            q = dev.ortho.core.edit.EditBasis.orthonormalize(raw, "ablation direction");
        } catch (dev.ortho.formats.InvalidInputException e) {
            throw RuntimeFailure.badRequest(e.getMessage());
        }
        List<float[]> out = new ArrayList<>();
        for (double[] v : q) {
            float[] f = new float[v.length];
            for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
            out.add(f);
        }
        return out;
    }

    /** Unit length; a direction already unit to 1e-6 is kept bit for bit. */
    private float[] unit(float[] r) {
        checkLength(r);
        double s = 0;
        for (float x : r) s += (double) x * x;
        double norm = Math.sqrt(s);
        if (!(norm > 0) || !Double.isFinite(norm)) throw RuntimeFailure.badRequest("direction has zero or non-finite norm");
        if (Math.abs(norm - 1) <= 1e-6) return r;
        float[] u = new float[r.length];
        for (int i = 0; i < r.length; i++) u[i] = (float) (r[i] / norm);
        return u;
    }

    private OnnxTensor longTensor(long[] data, int rows, int cols) throws OrtException {
        return OnnxTensor.createTensor(env, LongBuffer.wrap(data), new long[]{rows, cols});
    }

    private static float[] floats(OrtSession.Result r, String name) throws OrtException {
        Optional<OnnxValue> v = r.get(name);
        FloatBuffer fb = ((OnnxTensor) v.orElseThrow()).getFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    private static Set<Integer> eosIds(Path dir, ModelConfig config) {
        Set<Integer> ids = new LinkedHashSet<>();
        Path gen = dir.resolve("generation_config.json");
        if (Files.isRegularFile(gen)) {
            try {
                addIds(new ObjectMapper().readTree(gen.toFile()).get("eos_token_id"), ids);
            } catch (IOException e) {
                LOG.warn("cannot read {}: {}", gen, e.getMessage());
            }
        }
        if (ids.isEmpty()) addIds(config.raw().get("eos_token_id"), ids);
        return Set.copyOf(ids);
    }

    private static void addIds(JsonNode n, Set<Integer> ids) {
        if (n == null) return;
        if (n.isInt()) ids.add(n.asInt());
        else if (n.isArray()) for (JsonNode e : n) if (e.isInt()) ids.add(e.asInt());
    }

    @Override
    public void close() {
        for (OrtSession s : sessions.values()) {
            try {
                s.close();
            } catch (OrtException e) {
                LOG.warn("closing a session: {}", e.getMessage());
            }
        }
        sessions.clear();
        if (overlay != null) overlay.close();
        weights.close();
        checkpoint.close();
    }
}
