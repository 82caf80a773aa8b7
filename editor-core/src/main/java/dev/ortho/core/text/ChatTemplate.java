package dev.ortho.core.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.ortho.formats.InvalidInputException;
import dev.ortho.formats.OrthoIoException;
import dev.ortho.formats.checkpoint.StrictJson;
import jinjava.javax.el.CompositeELResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's chat template, rendered as transformers' {@code apply_chat_template} does: Jinja with
 * {@code trim_blocks} and {@code lstrip_blocks} on, the globals {@code raise_exception} and
 * {@code strftime_now}, and the variables {@code messages}, {@code bos_token}, {@code eos_token},
 * {@code add_generation_prompt}.
 *
 * <p>Rendering uses Jinjava, which covers the Jinja of common chat templates, plus the Python string methods
 * templates call ({@link PythonStringMethods}). Anything else Jinjava cannot do makes {@link #render} fail with
 * an {@link InvalidInputException} naming the template's file, never a silently wrong prompt.
 */
public final class ChatTemplate {

    private static final Logger LOG = LoggerFactory.getLogger(ChatTemplate.class);
    public static final String CONFIG_FILE = "tokenizer_config.json";
    public static final String JINJA_FILE = "chat_template.jinja";
    private static final long MAX_TEMPLATE_BYTES = 1L << 20;
    private static final List<String> OTHER_SPECIAL_TOKENS = List.of("unk_token", "pad_token", "sep_token", "cls_token", "mask_token");

    /** Message of the first {@code raise_exception} of a render on this thread: Jinjava reports only that a function failed. */
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    private final Path source;
    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Map<String, String> otherSpecialTokens;
    private final Jinjava jinjava;

    public ChatTemplate(Path source, String template, String bosToken, String eosToken) {
        this(source, template, bosToken, eosToken, Map.of());
    }

    /** {@code otherSpecialTokens}: further variables such as {@code pad_token}, {@code unk_token}. */
    public ChatTemplate(Path source, String template, String bosToken, String eosToken, Map<String, String> otherSpecialTokens) {
        this.source = Objects.requireNonNull(source, "source");
        this.template = jinja2Source(Objects.requireNonNull(template, "template"));
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.otherSpecialTokens = Map.copyOf(otherSpecialTokens);
        // Python str methods first, then Jinjava's read-only default resolver for everything else.
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withElResolver(resolver).build());
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
    }

    /**
     * The template of {@code modelDir}: {@code chat_template.jinja} if present (newer transformers save it
     * there), else {@code chat_template} of {@code tokenizer_config.json}. BOS and EOS come from
     * tokenizer_config.json either way.
     *
     * @throws InvalidInputException naming the file if there is no template or a file is malformed
     */
    public static ChatTemplate load(Path modelDir) {
        Path config = modelDir.resolve(CONFIG_FILE);
        JsonNode cfg = Files.isRegularFile(config) ? StrictJson.read(config, CONFIG_FILE) : null;
        String bos = cfg == null ? null : specialToken(config, cfg, "bos_token");
        String eos = cfg == null ? null : specialToken(config, cfg, "eos_token");
        // transformers passes every special token of the tokenizer to the template, not only BOS and EOS.
        Map<String, String> others = new HashMap<>();
        for (String key : OTHER_SPECIAL_TOKENS) {
            String v = cfg == null ? null : specialToken(config, cfg, key);
            if (v != null) others.put(key, v);
        }
        Path jinja = modelDir.resolve(JINJA_FILE);
        if (Files.isRegularFile(jinja)) return new ChatTemplate(jinja, readJinja(jinja), bos, eos, others);
        if (cfg == null)
            throw new InvalidInputException(config, null, "no " + CONFIG_FILE + " or " + JINJA_FILE + ": the model has no chat template");
        return new ChatTemplate(config, templateFromConfig(config, cfg), bos, eos, others);
    }

    private static String readJinja(Path file) {
        try {
            if (Files.size(file) > MAX_TEMPLATE_BYTES) throw new InvalidInputException(file, null, "chat template is over 1 MiB");
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new InvalidInputException(file, null, "chat template is not valid UTF-8");
        } catch (IOException e) {
            throw new OrthoIoException(file, "cannot read the chat template", e);
        }
    }

    /** {@code chat_template} is a string, or a list of {name, template} of which "default" is used (as HF does). */
    private static String templateFromConfig(Path file, JsonNode cfg) {
        JsonNode t = cfg.get("chat_template");
        if (t == null || t.isNull())
            throw new InvalidInputException(file, null, "has no chat_template (and there is no " + JINJA_FILE + ")");
        if (t.isTextual()) return t.asText();
        if (t.isArray()) {
            for (JsonNode named : t) {
                if (named.isObject() && "default".equals(named.path("name").asText(null)) && named.path("template").isTextual())
                    return named.get("template").asText();
            }
            throw new InvalidInputException(file, null, "chat_template is a list without a template named \"default\"");
        }
        throw new InvalidInputException(file, null, "chat_template is neither a string nor a list of named templates");
    }

    /** A special token is written either as a string or as an AddedToken object {"content": ...}. */
    private static String specialToken(Path file, JsonNode cfg, String key) {
        JsonNode n = cfg.get(key);
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.get("content").asText();
        throw new InvalidInputException(file, null, key + " is neither a string nor an object with a string \"content\"");
    }

    /**
     * Renders {@code messages}; with {@code addGenerationPrompt} the template appends the assistant header
     * so that the model's next token starts the answer.
     *
     * @throws InvalidInputException naming the template's file if it raises or cannot be rendered
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) msgs.add(m.asTemplateValue());
        Map<String, Object> vars = new HashMap<>(otherSpecialTokens);
        vars.put("messages", msgs);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        vars.put("add_generation_prompt", addGenerationPrompt);
        RAISED.remove();
        RenderResult result;
        try {
            result = jinjava.renderForResult(template, vars);
        } catch (RuntimeException e) {
            throw new InvalidInputException(source, null, "chat template cannot be rendered: " + e.getMessage(), e);
        }
        String raised = RAISED.get();
        RAISED.remove();
        if (raised != null) throw new InvalidInputException(source, null, "chat template raised an exception: " + raised);
        for (TemplateError err : result.getErrors()) {
            if (err.getSeverity() == TemplateError.ErrorType.FATAL)
                throw new InvalidInputException(source, null, "chat template cannot be rendered (line " + err.getLineno() + "): " + err.getMessage());
            LOG.debug("{}: chat template warning: {}", source, err.getMessage());
        }
        return result.getOutput();
    }

    /**
     * What jinja2's lexer does to a template source before anything else, and Jinjava does not: line endings
     * become "\n" and one trailing newline is dropped ({@code keep_trailing_newline=False}, the default
     * transformers keeps). A {@code chat_template.jinja} file usually ends with a newline; kept, it would end
     * every prompt with an extra "\n" token and shift the post-instruction positions.
     */
    static String jinja2Source(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    /** File the template was read from (for messages). */
    public Path source() { return source; }

    public String bosToken() { return bosToken; }

    public String eosToken() { return eosToken; }

    /** Jinja global {@code raise_exception(msg)}: templates call it to refuse a conversation they cannot format. */
    public static String raiseException(String message) {
        // jinja2 stops at the first raise; Jinjava records the error and renders on, so keep the first message.
        if (RAISED.get() == null) RAISED.set(message);
        throw new IllegalStateException(message);
    }

    /** Jinja global {@code strftime_now(fmt)}: the local time formatted with a C strftime pattern. */
    public static String strftimeNow(String format) {
        return Strftime.format(LocalDateTime.now(), format);
    }
}
