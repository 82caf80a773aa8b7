package dev.ortho.core.pipeline;

import dev.ortho.core.eval.RefusalJudge;
import dev.ortho.core.text.TextTokenizer;
import dev.ortho.formats.InvalidInputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The refusal tokens of the refusal score (METHOD.md §2.1) and how they were chosen, for every report.
 *
 * <p>Given as text, each string must be one token of this tokenizer. A string that is several tokens (on a
 * Llama tokenizer behind a Mistral-style template "As" may encode to two) cannot be scored: it is dropped with
 * a warning and recorded under {@code dropped}; only when none is left is that an error. With {@code auto} the
 * tokens are derived from the model's own greedy answers ({@link RefusalTokenDerivation}) and checked against the
 * substring judge, so that a compliance opener used only for harmful prompts is not taken for a refusal.
 *
 * @param ids        the token ids used
 * @param tokens     their text, decoded
 * @param dropped    strings that could not be used, and why
 * @param derivation how {@code auto} chose them; null when they were given
 */
public record RefusalTokenChoice(int[] ids, List<String> tokens, List<Dropped> dropped, RefusalTokenDerivation.Derived derivation) {

    private static final Logger LOG = LoggerFactory.getLogger(RefusalTokenChoice.class);

    /** The keyword that asks for derivation. */
    public static final String AUTO = "auto";

    /** A refusal-token string that was not used. */
    public record Dropped(String text, int[] encoding, String reason) {
        public Dropped {
            encoding = encoding.clone();
        }

        @Override public int[] encoding() { return encoding.clone(); }
    }

    public RefusalTokenChoice {
        ids = ids.clone();
        tokens = List.copyOf(tokens);
        dropped = List.copyOf(dropped);
    }

    @Override public int[] ids() { return ids.clone(); }

    public static boolean isAuto(String spec) { return spec.strip().equalsIgnoreCase(AUTO); }

    /**
     * @param spec     comma-separated strings, or {@code auto}
     * @param harmful  prompts for {@code auto} (asked for only then)
     */
    public static RefusalTokenChoice resolve(String spec, ModelSession session, Supplier<List<int[]>> harmful,
                                             Supplier<List<int[]>> harmless) {
        if (isAuto(spec)) return derived(session, harmful.get(), harmless.get());
        return given(session.tokenizer(), split(spec));
    }

    /** Comma-separated strings, blanks dropped. */
    public static List<String> split(String spec) {
        return Arrays.stream(spec.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** Strings given by the user: the single-token ones are used, the others dropped with a warning. */
    public static RefusalTokenChoice given(TextTokenizer tok, List<String> strings) {
        if (strings.isEmpty()) throw new InvalidInputException("no refusal token strings given");
        List<Integer> ids = new ArrayList<>();
        List<String> used = new ArrayList<>();
        List<Dropped> dropped = new ArrayList<>();
        for (String s : strings) {
            int[] enc = tok.encode(s, false);
            if (enc.length == 1) {
                if (!ids.contains(enc[0])) {
                    ids.add(enc[0]);
                    used.add(s);
                }
                continue;
            }
            String why = enc.length == 0 ? "encodes to no token"
                    : "encodes to " + enc.length + " tokens " + Arrays.toString(enc) + "; the refusal score needs single tokens";
            LOG.warn("refusal token string \"{}\" {}: dropped", s, why);
            dropped.add(new Dropped(s, enc, why));
        }
        if (ids.isEmpty()) {
            throw new InvalidInputException("none of the refusal token strings " + strings + " is a single token of this tokenizer ("
                    + String.join("; ", dropped.stream().map(d -> "\"" + d.text() + "\" " + d.reason()).toList())
                    + "); give other strings, or --refusal-tokens auto");
        }
        return new RefusalTokenChoice(ids.stream().mapToInt(Integer::intValue).toArray(), used, dropped, null);
    }

    /** {@code auto}: derived from the model's greedy answers and confirmed by the substring judge. */
    public static RefusalTokenChoice derived(ModelSession session, List<int[]> harmful, List<int[]> harmless) {
        RefusalTokenDerivation.Derived d = RefusalTokenDerivation.derive(session, harmful, harmless, RefusalJudge.paper());
        List<String> text = new ArrayList<>();
        for (int id : d.ids()) text.add(session.tokenizer().decode(new int[]{id}, false));
        return new RefusalTokenChoice(d.ids(), text, List.of(), d);
    }

    /** One line for a person: "I (43), As (581)" and what was dropped. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) b.append(", ");
            b.append(tokens.get(i).strip()).append(" (").append(ids[i]).append(')');
        }
        for (Dropped d : dropped) b.append(String.format(Locale.ROOT, "; dropped \"%s\" (%s)", d.text(), d.reason()));
        return b.toString();
    }
}
