package dev.ortho.core.edit;

/** Supplies the unit direction for a layer's writers (-1: the embeddings). */
@FunctionalInterface
public interface DirectionSource {
    double[] forLayer(int layer);
}
