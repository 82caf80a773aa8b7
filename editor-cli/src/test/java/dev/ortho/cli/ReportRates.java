package dev.ortho.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** Reads report.json's refusal list by "condition / prompt set", as the summary table names them. */
final class ReportRates {

    private ReportRates() {}

    static JsonNode find(JsonNode report, String key) {
        for (JsonNode r : report.get("refusal"))
            if ((r.get("condition").asText() + " / " + r.get("prompt_set").asText()).equals(key)) return r;
        throw new AssertionError("no refusal rate " + key + " in " + report.get("refusal"));
    }

    static double rate(JsonNode report, String key) {
        return find(report, key).get("refusal_rate").asDouble();
    }
}
