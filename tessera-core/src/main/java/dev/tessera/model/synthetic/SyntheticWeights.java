package dev.tessera.model.synthetic;

import dev.tessera.TesseraException;
import dev.tessera.io.WeightSource;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.NativeMemory;
import dev.tessera.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Random weights made on request at the shape the model asks for: deterministic (seed, tensor name, row) so the
 * same preset always yields the same model, in parallel, off-heap. Tensors are stored in {@code dtype} like a real
 * checkpoint (BF16 by default), and cached so a tied head and the embedding are one tensor.
 */
public final class SyntheticWeights implements WeightSource {
    private final Preset preset;
    private final long seed;
    private final DType dtype;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> made = Collections.synchronizedMap(new LinkedHashMap<>());

    public SyntheticWeights(Preset preset, long seed, DType dtype) {
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32) {
            throw new IllegalArgumentException("synthetic weights are F32, F16 or BF16, not " + dtype);
        }
        this.preset = preset;
        this.seed = seed;
        this.dtype = dtype;
    }

    public Preset preset() {
        return preset;
    }

    public long seed() {
        return seed;
    }

    @Override
    public String describe() {
        return "synthetic:" + preset.name();
    }

    /** The tensors generated so far (all of them once a model has been built). */
    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(made.keySet());
    }

    @Override
    public boolean has(String name) {
        return made.containsKey(name) || !preset.absent().test(name);
    }

    @Override
    public Tensor tensor(String name) {
        Tensor t = made.get(name);
        if (t == null) {
            throw new TesseraException("synthetic source: tensor '" + name + "' must be requested with its shape first");
        }
        return t;
    }

    @Override
    public Tensor tensor(String name, long... shape) {
        requirePresent(name);
        Tensor t = made.computeIfAbsent(name, n -> generate(n, shape));
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new TesseraException("synthetic tensor '" + name + "' requested with two shapes: "
                    + t.shapeString() + " and " + java.util.Arrays.toString(shape));
        }
        return t;
    }

    @Override
    public Matrix matrix(String module) {
        return tensor(module + ".weight").asMatrix();
    }

    @Override
    public Matrix matrix(String module, int rows, int cols) {
        return tensor(module + ".weight", rows, cols).asMatrix();
    }

    @Override
    public float[] vector(String name, int n) {
        return tensor(name, n).toFloatArray();
    }

    private void requirePresent(String name) {
        if (preset.absent().test(name)) {
            throw new TesseraException.InvalidInput("missing tensor '" + name + "' in " + describe());
        }
    }

    private Tensor generate(String name, long[] shape) {
        Init init = preset.init().apply(name);
        long numel = Tensor.numel(shape);
        int rowLen = shape.length == 0 ? 1 : (int) shape[shape.length - 1];
        long rows = numel / Math.max(1, rowLen);
        // Vectors (norms, per-head scalars) stay F32 like the F32 tensors of real checkpoints; matrices use dtype.
        DType dt = shape.length >= 2 ? dtype : DType.F32;
        MemorySegment seg = NativeMemory.allocate(numel * dt.bytes(), arena);
        long nameHash = mix(seed ^ (name.hashCode() * 0x9E3779B97F4A7C15L) ^ ((long) name.length() << 32));
        double convScale = 1.0 / Math.sqrt(rowLen);
        // Each value is one of 65536 evenly spaced points of its distribution: a table maps 16 random bits to the
        // stored bits, so filling gigabytes costs a table lookup per value (4 values per 64-bit draw).
        short[] table16 = dt == DType.F32 ? null : new short[65536];
        float[] values = new float[65536];
        for (int i = 0; i < 65536; i++) {
            double u = (i - 32767.5) / 32768.0;
            values[i] = value(init, u, convScale);
            if (table16 != null) {
                table16[i] = dt == DType.BF16 ? toBf16(values[i]) : Float.floatToFloat16(values[i]);
            }
        }
        IntStream.range(0, (int) rows).parallel().forEach(r -> {
            long state = mix(nameHash + r * 0xD1B54A32D192ED03L);
            long base = (long) r * rowLen;
            int c = 0;
            while (c < rowLen) {
                state += 0x9E3779B97F4A7C15L;
                long bits = mix(state);
                for (int k = 0; k < 4 && c < rowLen; k++, c++) {
                    int idx = (int) (bits >>> (16 * k)) & 0xFFFF;
                    if (table16 != null) {
                        seg.setAtIndex(Tensor.SHORT_LE, base + c, table16[idx]);
                    } else {
                        seg.setAtIndex(Tensor.FLOAT_LE, base + c, values[idx]);
                    }
                }
            }
        });
        return new Tensor(name, dt, shape.clone(), seg);
    }

    private static float value(Init init, double u, double convScale) {
        return switch (init) {
            case LINEAR -> (float) (u * 0.02 * Math.sqrt(3));
            case ONES -> 1f;
            case NEAR_ZERO -> (float) (u * 0.1);
            case ZEROS -> 0f;
            case A_LOG -> (float) Math.log(1 + 15 * (u + 1) / 2);
            case DT_BIAS -> {
                double dt = Math.exp(Math.log(0.001) + (Math.log(0.1) - Math.log(0.001)) * (u + 1) / 2);
                yield (float) Math.log(Math.expm1(dt));
            }
            case CONV -> (float) (u * convScale);
            case BIAS -> (float) (u * 0.02);
        };
    }

    /** fp32 → bf16 with round-to-nearest-even (what torch's .to(bfloat16) does for finite values). */
    public static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public void close() {
        arena.close();
    }
}
