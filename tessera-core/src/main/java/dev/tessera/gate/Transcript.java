package dev.tessera.gate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraException;
import dev.tessera.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;

/** The gate's record ({@code tessera-gate-transcript/1}): everything needed to audit or recheck a verdict. */
public final class Transcript {
    public static final String FORMAT = "tessera-gate-transcript/1";

    private Transcript() {}

    /** Where the models came from, for the record. */
    public record Identity(String bundle, String source, String architecture, Map<String, String> bundleSha256,
                           String sourceId, String sourceRevision) {}

    public static ObjectNode build(Identity id, Gate.Settings s, List<Gate.PromptResult> results, Gate.Verdict verdict,
                                   Function<int[], String> detokenize) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("result", verdict.name());
        root.put("architecture", id.architecture());
        ObjectNode b = root.putObject("bundle");
        b.put("model", id.bundle());
        ObjectNode sha = b.putObject("sha256");
        id.bundleSha256().forEach(sha::put);
        ObjectNode src = root.putObject("source");
        src.put("model", id.source());
        src.put("id", id.sourceId());
        src.put("revision", id.sourceRevision());
        ObjectNode p = root.putObject("protocol");
        p.put("gen_tokens", s.genTokens());
        p.put("margin_floor", s.marginFloor());
        p.put("allow_ties", s.allowTies());
        p.put("chunk_size", s.chunkSize());
        p.put("units", "logits: margin = top-1 logit − top-2 logit of the fp32 reference; prob_margins give the "
                + "same gap in softmax probability");
        p.put("reference", "fp32 engine path on the source weights (widened exactly)");
        ArrayNode prompts = root.putArray("prompts");
        for (Gate.PromptResult r : results) {
            ObjectNode o = prompts.addObject();
            Gate.Reference ref = r.reference();
            o.set("input_ids", ints(ref.prompt()));
            if (detokenize != null) {
                o.put("input_text", detokenize.apply(ref.prompt()));
            }
            ObjectNode ro = o.putObject("reference");
            ro.set("ids", ints(ref.continuation()));
            if (detokenize != null) {
                ro.put("text", detokenize.apply(ref.continuation()));
            }
            ro.set("top1", ints(ref.top1()));
            ro.set("margins", floats(ref.margins()));
            ro.set("prob_margins", floats(ref.probMargins()));
            ro.put("min_margin", ref.minMargin());
            ObjectNode bo = o.putObject("bundle");
            bo.set("ids", ints(r.bundleContinuation()));
            if (detokenize != null && r.bundleContinuation().length > 0) {
                bo.put("text", detokenize.apply(r.bundleContinuation()));
            }
            ArrayNode sweep = o.putArray("teacher_forced");
            double worstCos = 1, worstDelta = 0;
            int agree = 0;
            for (Gate.Position pos : r.sweep()) {
                ObjectNode x = sweep.addObject();
                x.put("pos", pos.index());
                x.put("ref", pos.referenceTop1());
                x.put("bundle", pos.bundleTop1());
                x.put("margin", pos.margin());
                if (!Double.isNaN(pos.cosine())) {
                    x.put("cosine", pos.cosine());
                    x.put("max_abs_delta", pos.maxAbsDelta());
                    worstCos = Math.min(worstCos, pos.cosine());
                    worstDelta = Math.max(worstDelta, pos.maxAbsDelta());
                }
                x.put("outcome", pos.outcome());
                agree += pos.referenceTop1() == pos.bundleTop1() ? 1 : 0;
            }
            ObjectNode sum = o.putObject("summary");
            sum.put("top1_agreement", agree + "/" + r.sweep().size());
            if (!r.sweep().isEmpty() && !Double.isNaN(r.sweep().get(0).cosine())) {
                sum.put("worst_cosine", worstCos);
                sum.put("max_abs_delta", worstDelta);
            }
            o.put("seeded_step", r.seededOutcome());
            o.put("free_run", r.freeRunOutcome());
            o.put("first_divergence", r.firstDivergence());
            o.put("verdict", r.verdict().name());
            if (r.reason() != null) {
                o.put("reason", r.reason());
            }
        }
        ObjectNode env = root.putObject("environment");
        env.put("jdk", Runtime.version().toString());
        env.put("vm", System.getProperty("java.vm.name"));
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        env.put("cpu", cpuName());
        env.put("cores", Runtime.getRuntime().availableProcessors());
        env.put("tessera", String.valueOf(Transcript.class.getPackage().getImplementationVersion()));
        return root;
    }

    /** The stored reference half of each prompt, for {@code --recheck}. */
    public static List<Gate.Reference> references(JsonNode transcript, Path where) {
        if (transcript == null || !FORMAT.equals(transcript.path("format").asText())) {
            throw new TesseraException.InvalidInput(where + " is not a " + FORMAT + " transcript");
        }
        List<Gate.Reference> out = new ArrayList<>();
        for (JsonNode p : transcript.path("prompts")) {
            JsonNode r = p.path("reference");
            out.add(new Gate.Reference(toInts(p.path("input_ids")), toInts(r.path("ids")), toFloats(r.path("margins")),
                    toFloats(r.path("prob_margins")), toInts(r.path("top1")), null));
        }
        if (out.isEmpty()) {
            throw new TesseraException.InvalidInput(where + " holds no prompts");
        }
        return out;
    }

    public static Gate.Settings settings(JsonNode transcript) {
        JsonNode p = transcript.path("protocol");
        return new Gate.Settings(p.path("gen_tokens").asInt(), p.path("margin_floor").asDouble(),
                p.path("allow_ties").asBoolean(), p.path("chunk_size").asInt(128));
    }

    /** sha256 of every file under a bundle folder (relative path → hex), or of one file. */
    public static Map<String, String> sha256(Path path) {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(path)) {
            return out;
        }
        try (Stream<Path> s = Files.isDirectory(path) ? Files.walk(path) : Stream.of(path)) {
            for (Path f : (Iterable<Path>) s.filter(Files::isRegularFile).sorted()::iterator) {
                String rel = Files.isDirectory(path) ? path.relativize(f).toString() : f.getFileName().toString();
                out.put(rel, sha256File(f));
            }
        } catch (IOException e) {
            throw new TesseraException("cannot hash " + path + ": " + e.getMessage(), e);
        }
        return out;
    }

    public static String sha256File(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // Not Linux: fall through.
        }
        return System.getProperty("os.arch");
    }

    static ArrayNode ints(int[] v) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (int x : v) {
            a.add(x);
        }
        return a;
    }

    static ArrayNode floats(float[] v) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (float x : v) {
            a.add(x);
        }
        return a;
    }

    static int[] toInts(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asInt();
        }
        return v;
    }

    static float[] toFloats(JsonNode a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) a.get(i).asDouble();
        }
        return v;
    }
}
