package dev.tessera.convert;

import dev.tessera.TesseraException;
import dev.tessera.io.Bundle;
import dev.tessera.io.CheckpointWeights;
import dev.tessera.io.HfConfig;
import dev.tessera.io.SafeTensorsFile;
import dev.tessera.io.WeightSource;
import dev.tessera.model.LoadOptions;
import dev.tessera.model.Model;
import dev.tessera.model.ModelInfo;
import dev.tessera.model.Models;
import dev.tessera.model.synthetic.Synthetic;
import dev.tessera.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code tessera inspect}: what a bundle, checkpoint or synthetic spec holds, without running it. The model is built
 * (memory maps only; synthetic weights allocated but not generated) so the numbers are the model's own: parameter
 * count, bytes of weights it holds and bytes a decode step reads.
 */
public final class Inspector {
    private Inspector() {}

    /** One stored tensor; {@code used} is false for tensors the model does not read (e.g. a vision tower). */
    public record Row(String name, String dtype, long[] shape, long bytes, boolean used) {}

    /**
     * @param kind "bundle", "checkpoint" or "synthetic"
     * @param scheme the bundle's or synthetic spec's scheme, or the checkpoint's dtypes
     * @param storedBytes bytes of all stored tensors
     */
    public record Report(String spec, String kind, String scheme, ModelInfo info, List<Row> tensors, long storedBytes) {}

    public static Report inspect(String spec) {
        LoadOptions opts = new LoadOptions(1, 0);
        if (Synthetic.isSynthetic(spec)) {
            Synthetic.Opened o = Synthetic.open(spec, false);
            try (Model m = Models.build(o.config(), new Recorder(o.weights()), opts)) {
                return report(spec, "synthetic", o.scheme() == null ? Synthetic.parse(spec).weights() : o.scheme().id(),
                        m.info(), o.weights(), null);
            } finally {
                o.weights().close();
            }
        }
        Path dir = Path.of(spec);
        if (!Files.isDirectory(dir)) {
            throw new TesseraException.InvalidInput("not found: " + dir + " (give a bundle, a checkpoint folder or synthetic:<preset>)");
        }
        if (Bundle.isBundle(dir)) {
            Bundle b = Bundle.open(dir);
            try (Bundle.BundleWeights w = b.openWeights(false)) {  // built only to describe it: no tiled copies
                Recorder rec = new Recorder(w);
                try (Model m = Models.build(b.config(), rec, opts)) {
                    return report(spec, "bundle", b.scheme().id(), m.info(), w, rec);
                }
            }
        }
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new TesseraException.InvalidInput("no config.json in " + dir + ": neither a bundle nor a checkpoint folder");
        }
        HfConfig config = HfConfig.read(dir.resolve("config.json"));
        try (CheckpointWeights w = CheckpointWeights.open(dir)) {
            Recorder rec = new Recorder(w);
            try (Model m = Models.build(config, rec, opts)) {
                java.util.Set<String> dtypes = new java.util.TreeSet<>();
                for (SafeTensorsFile f : w.files()) {
                    f.entries().values().forEach(e -> dtypes.add(e.dtype().name()));
                }
                return report(spec, "checkpoint", String.join("+", dtypes), m.info(), w, rec);
            }
        }
    }

    private static Report report(String spec, String kind, String scheme, ModelInfo info, WeightSource w, Recorder rec) {
        List<Row> rows = new ArrayList<>();
        long total = 0;
        for (String name : w.names()) {
            Tensor t = w.tensor(name);
            long bytes = t.data().byteSize();
            boolean used = rec == null || rec.used.containsKey(name) || isPlaneOfUsed(name, rec);
            rows.add(new Row(name, t.dtype().name(), t.shape(), bytes, used));
            total += bytes;
        }
        return new Report(spec, kind, scheme, info, rows, total);
    }

    /** A bundle's {@code X.qweight}/{@code X.scales} are read through the matrix request for {@code X}. */
    private static boolean isPlaneOfUsed(String name, Recorder rec) {
        for (String suffix : new String[] {".qweight", ".scales"}) {
            if (name.endsWith(suffix) && rec.used.containsKey(name.substring(0, name.length() - suffix.length()) + ".weight")) {
                return true;
            }
        }
        return false;
    }
}
