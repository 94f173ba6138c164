package dev.tessera.cli;

import dev.tessera.convert.Inspector;
import dev.tessera.model.ModelInfo;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tessera inspect}: architecture, sizes and the tensor table of a bundle, checkpoint or synthetic spec. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Shows what a model holds: architecture, parameters, every tensor (name, dtype, shape, bytes),",
                "total size and the bytes of weights one decode step reads. Works on bundles, checkpoint folders and",
                "synthetic:<preset>[@scheme] (sizes only; nothing is generated).",
                "Example: tessera inspect synthetic:nanbeige4.1-3b@int8hu"})
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "M", description = "Bundle folder, checkpoint folder or synthetic:<preset>[@scheme].")
    String model;

    @Option(names = "--summary", description = "Leave out the per-tensor table.")
    boolean summary;

    @Override
    public Integer call() {
        Inspector.Report r = Inspector.inspect(model);
        ModelInfo i = r.info();
        var out = System.out;
        out.printf(Locale.ROOT, "model:           %s (%s, %s)%n", r.spec(), r.kind(), r.scheme());
        out.printf(Locale.ROOT, "architecture:    %s (%d layers, hidden %d, vocab %d, context %d)%n", i.architecture(),
                i.numLayers(), i.hiddenSize(), i.vocabSize(), i.contextLength());
        out.printf(Locale.ROOT, "parameters:      %,d (%.2f B)%n", i.parameterCount(), i.parameterCount() / 1e9);
        if (!summary) {
            int w = Math.max(4, r.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(4));
            out.printf(Locale.ROOT, "%n%-" + w + "s  %-5s  %-18s  %14s%n", "name", "dtype", "shape", "bytes");
            for (Inspector.Row t : r.tensors()) {
                out.printf(Locale.ROOT, "%-" + w + "s  %-5s  %-18s  %,14d%s%n", t.name(), t.dtype(),
                        Arrays.toString(t.shape()).replace(" ", ""), t.bytes(), t.used() ? "" : "  (not used by the model)");
            }
            out.println();
        }
        out.printf(Locale.ROOT, "tensors:         %d%n", r.tensors().size());
        out.printf(Locale.ROOT, "total size:      %s (%,d bytes stored)%n", Sizes.bytes(r.storedBytes()), r.storedBytes());
        out.printf(Locale.ROOT, "weights used:    %s%n", Sizes.bytes(i.weightBytes()));
        out.printf(Locale.ROOT, "decode reads:    %s per token (weights; the embedding contributes one row)%n",
                Sizes.bytes(i.decodeBytesPerToken()));
        java.nio.file.Path dir = model.startsWith("synthetic:") ? null : java.nio.file.Path.of(model);
        if (dir != null && dev.tessera.io.Bundle.isBundle(dir)) {
            var gate = dev.tessera.io.Json.read(dir.resolve(dev.tessera.io.Bundle.METADATA)).path("gate");
            if (gate.isMissingNode()) {
                out.println("gate:            not gated (run `tessera gate` or convert with --gate)");
            } else {
                StringBuilder sb = new StringBuilder(gate.path("result").asText());
                for (var p : gate.path("prompts")) {
                    sb.append("; prompt of ").append(p.path("input_ids").size()).append(" tokens: ")
                            .append(p.path("verdict").asText()).append(", top-1 ")
                            .append(p.path("summary").path("top1_agreement").asText());
                }
                out.println("gate:            " + sb + " (floor " + gate.path("protocol").path("margin_floor").asDouble() + " logits)");
            }
        }
        return 0;
    }
}
