package dev.ortho.core.edit;

import dev.ortho.formats.InvalidInputException;

import java.util.BitSet;

/**
 * The decoder layers an edit touches, parsed from {@code --layers 0-13,20}. "all" (the default)
 * selects every layer. Embeddings are not layers; {@code --components} controls them.
 */
public record LayerSelection(String text, BitSet layers) {

    public static final LayerSelection ALL = new LayerSelection("all", null);

    public boolean includes(int layer) {
        return layers == null || layers.get(layer);
    }

    public static LayerSelection parse(String text) {
        if (text == null || text.isBlank() || text.equals("all")) return ALL;
        BitSet set = new BitSet();
        for (String part : text.split(",")) {
            String p = part.strip();
            try {
                int dash = p.indexOf('-', 1);
                int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1));
                if (from < 0 || to < from || to > 1_000_000) throw new NumberFormatException();
                set.set(from, to + 1);
            } catch (NumberFormatException e) {
                throw new InvalidInputException("--layers: '" + p + "' is not a layer or a range like 0-13 (in '" + text + "')");
            }
        }
        return new LayerSelection(text, set);
    }

    /** Checks every selected layer exists in a model with {@code numLayers} layers. */
    public void requireWithin(int numLayers) {
        if (layers != null && layers.length() > numLayers) {
            throw new InvalidInputException("--layers " + text + " selects layer " + (layers.length() - 1)
                    + " but the model has " + numLayers + " layers (0-" + (numLayers - 1) + ")");
        }
    }

    @Override
    public String toString() { return text; }
}
