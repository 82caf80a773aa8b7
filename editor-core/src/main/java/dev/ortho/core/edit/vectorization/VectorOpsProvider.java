package dev.ortho.core.edit.vectorization;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the {@link VectorOps} implementation once per JVM: the Vector API one when the
 * {@code jdk.incubator.vector} module was added to the boot layer (the launcher passes
 * {@code --add-modules jdk.incubator.vector}), the scalar one otherwise. Both give identical
 * bits; the choice only changes speed. {@code -Dortho.vectorization=scalar} forces the fallback,
 * for benchmarks and tests.
 */
public final class VectorOpsProvider {

    private static final Logger LOG = LoggerFactory.getLogger(VectorOpsProvider.class);
    private static final VectorOps INSTANCE = choose();

    private VectorOpsProvider() {}

    public static VectorOps get() { return INSTANCE; }

    /** The scalar implementation, always available (tests compare against it). */
    public static VectorOps scalar() { return new ScalarVectorOps(); }

    /** The Vector API implementation if the module is present, else empty-handed scalar. */
    public static VectorOps panamaOrScalar() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return scalar();
        try {
            Class<?> c = Class.forName("dev.ortho.core.edit.vectorization.PanamaVectorOps");
            return (VectorOps) c.getDeclaredMethod("preferred").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warn("Vector API unavailable ({}); using the scalar kernel", e.toString());
            return scalar();
        }
    }

    private static VectorOps choose() {
        if ("scalar".equals(System.getProperty("ortho.vectorization"))) return scalar();
        VectorOps ops = panamaOrScalar();
        LOG.debug("projection kernel arithmetic: {}", ops.name());
        return ops;
    }
}
