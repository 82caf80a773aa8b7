package dev.ortho.core.provenance;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code direction.unit} in both shapes: [entry][k][hidden] (edit variants) and the older
 * [entry][hidden] (one vector per entry, read as k = 1).
 */
final class UnitVectorsDeserializer extends JsonDeserializer<List<List<double[]>>> {

    @Override
    public List<List<double[]>> deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
        JsonNode root = p.readValueAsTree();
        if (root == null || root.isNull()) return null;
        if (!root.isArray()) throw JsonMappingException.from(p, "direction.unit must be a list");
        List<List<double[]>> out = new ArrayList<>();
        for (JsonNode entry : root) {
            if (!entry.isArray()) throw JsonMappingException.from(p, "direction.unit entries must be lists");
            boolean old = entry.isEmpty() || entry.get(0).isNumber();
            List<double[]> basis = new ArrayList<>();
            if (old) basis.add(vector(p, entry));
            else for (JsonNode v : entry) basis.add(vector(p, v));
            out.add(basis);
        }
        return out;
    }

    private static double[] vector(JsonParser p, JsonNode n) throws JsonMappingException {
        if (!n.isArray()) throw JsonMappingException.from(p, "direction.unit vectors must be lists of numbers");
        double[] v = new double[n.size()];
        for (int i = 0; i < v.length; i++) {
            if (!n.get(i).isNumber()) throw JsonMappingException.from(p, "direction.unit holds a non-number");
            v[i] = n.get(i).asDouble();
        }
        return v;
    }
}
