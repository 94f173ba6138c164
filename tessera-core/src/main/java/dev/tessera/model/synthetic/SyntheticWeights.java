package dev.tessera.model.synthetic;

import dev.tessera.TesseraException;
import dev.tessera.io.QuantScheme;
import dev.tessera.io.QuantizedWeights;
import dev.tessera.io.WeightSource;
import dev.tessera.tensor.DType;
import dev.tessera.tensor.Matrix;
import dev.tessera.tensor.NativeMemory;
import dev.tessera.tensor.Quantizer;
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
 *
 * <p>With a quantized {@link QuantScheme} the matrices that scheme quantizes are generated row by row (the exact
 * values the {@code dtype} tensor would hold) and quantized on the spot into {@code <module>.qweight/.scales}
 * planes: the 16-bit copy never exists, so a 3B model at int8 needs about 4 GB, not 12. With {@code fill = false}
 * tensors get their (untouched, hence free) memory but no values: enough to build a model for its shapes and sizes.
 */
public final class SyntheticWeights implements WeightSource {
    private final Preset preset;
    private final long seed;
    private final DType dtype;
    private final QuantScheme scheme;
    private final boolean fill;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> made = Collections.synchronizedMap(new LinkedHashMap<>());
    /**
     * Quantized matrices by module. Their int8 planes (values and scales) are tiled in place
     * ({@link dev.tessera.tensor.Q8Matrix}), so the {@code .qweight} and {@code .scales} tensors in {@link #made} hold
     * that layout: they are listed for names and sizes and read
     * only through these matrices.
     */
    private final Map<String, Matrix> quantized = Collections.synchronizedMap(new LinkedHashMap<>());

    public SyntheticWeights(Preset preset, long seed, DType dtype) {
        this(preset, seed, dtype, null, true);
    }

    /**
     * @param scheme a quantized scheme to quantize on generation, or null
     * @param fill false: allocate only (for shapes and sizes)
     */
    public SyntheticWeights(Preset preset, long seed, DType dtype, QuantScheme scheme, boolean fill) {
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32) {
            throw new IllegalArgumentException("synthetic weights are F32, F16 or BF16, not " + dtype);
        }
        this.preset = preset;
        this.seed = seed;
        this.dtype = dtype;
        this.scheme = scheme != null && scheme.quantized() ? scheme : null;
        this.fill = fill;
    }

    public Preset preset() {
        return preset;
    }

    public long seed() {
        return seed;
    }

    /** True when the preset has no lm_head (tied) but the scheme stores a separate quantized head. */
    private boolean untiedHead() {
        return scheme != null && scheme.headBits() > 0 && preset.absent().test("lm_head.weight");
    }

    @Override
    public String describe() {
        return "synthetic:" + preset.name() + (scheme == null ? "" : "@" + scheme.id());
    }

    /** The tensors generated so far (all of them once a model has been built). */
    @Override
    public Set<String> names() {
        synchronized (made) {
            return Collections.unmodifiableSet(new java.util.LinkedHashSet<>(made.keySet()));
        }
    }

    @Override
    public boolean has(String name) {
        return made.containsKey(name) || !preset.absent().test(name) || (name.equals("lm_head.weight") && untiedHead());
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
        Matrix q = quantized.get(module);
        if (q != null) {
            return q;
        }
        return tensor(module + ".weight").asMatrix();
    }

    @Override
    public Matrix matrix(String module, int rows, int cols) {
        int bits = scheme == null ? 0 : scheme.bitsFor(module);
        if (bits == 0) {
            return tensor(module + ".weight", rows, cols).asMatrix();
        }
        synchronized (made) {
            if (!made.containsKey(module + QuantizedWeights.QWEIGHT)) {
                String source = module + ".weight";
                if (QuantScheme.isHead(module) && untiedHead()) {
                    // The hu forms of a tied model: the head is a quantized copy of the (unquantized) embedding.
                    source = made.keySet().stream().filter(n -> n.endsWith(".weight")
                            && QuantScheme.isEmbedding(n.substring(0, n.length() - 7))).findFirst()
                            .orElseThrow(() -> new TesseraException("synthetic " + preset.name()
                                    + ": the untied head needs the embedding, which the model has not requested"));
                } else {
                    requirePresent(source);
                }
                Matrix q;
                if (fill) {
                    RowGen gen = new RowGen(source, cols, dtype);
                    q = Quantizer.quantize(rows, cols, bits, module, arena, gen::row);
                } else {
                    long qBytes = rows * Quantizer.rowBytes(bits, cols);
                    long sBytes = (long) rows * Quantizer.scalesPerRow(cols) * 2;
                    MemorySegment qs = NativeMemory.allocate(qBytes, arena).asSlice(0, qBytes);
                    MemorySegment ss = NativeMemory.allocate(sBytes, arena).asSlice(0, sBytes);
                    q = bits == 8 ? new dev.tessera.tensor.Q8Matrix(module, rows, cols, qs, ss)
                            : new dev.tessera.tensor.Q4Matrix(module, rows, cols, qs, ss);
                }
                if (q instanceof dev.tessera.tensor.Q8Matrix m8) {
                    // Unfilled planes are all zeros in either layout.
                    q = fill ? m8.tiledInPlace() : new dev.tessera.tensor.Q8Matrix(module, rows, cols, m8.q(), m8.scales(), true);
                }
                quantized.put(module, q);
                MemorySegment qPlane = q instanceof dev.tessera.tensor.Q8Matrix m8 ? m8.q() : ((dev.tessera.tensor.Q4Matrix) q).q();
                MemorySegment sPlane = q instanceof dev.tessera.tensor.Q8Matrix m8 ? m8.scales() : ((dev.tessera.tensor.Q4Matrix) q).scales();
                made.put(module + QuantizedWeights.QWEIGHT, new Tensor(module + QuantizedWeights.QWEIGHT,
                        bits == 8 ? DType.I8 : DType.U8, new long[] {rows, Quantizer.rowBytes(bits, cols)}, qPlane));
                made.put(module + QuantizedWeights.SCALES, new Tensor(module + QuantizedWeights.SCALES, DType.F16,
                        new long[] {rows, Quantizer.scalesPerRow(cols)}, sPlane));
            }
        }
        Matrix m = quantized.get(module);
        if (m.rows() != rows || m.cols() != cols) {
            throw new TesseraException("synthetic matrix '" + module + "' requested with two shapes: [" + m.rows() + ", "
                    + m.cols() + "] and [" + rows + ", " + cols + "]");
        }
        return m;
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

    /** The dtype a tensor of this shape is stored in: matrices in {@code dtype}, vectors F32 like real checkpoints. */
    public DType storedType(long[] shape) {
        return shape.length >= 2 ? dtype : DType.F32;
    }

    /**
     * Row r (last dimension) of tensor {@code name} at {@code shape}, as the stored values widened to fp32: what
     * {@link #tensor(String, long...)} would hold, without storing it.
     */
    public Quantizer.RowSource rowSource(String name, long[] shape) {
        int rowLen = shape.length == 0 ? 1 : (int) shape[shape.length - 1];
        return new RowGen(name, rowLen, storedType(shape))::row;
    }

    /**
     * Generator of one tensor's rows. Each value is one of 65536 evenly spaced points of its distribution: a table
     * maps 16 random bits to the stored value, so filling gigabytes costs a table lookup per value (4 per draw).
     */
    private final class RowGen {
        final long nameHash;
        final int rowLen;
        final float[] values = new float[65536];
        final short[] bits16;

        RowGen(String name, int rowLen, DType dt) {
            this.rowLen = rowLen;
            this.nameHash = mix(seed ^ (name.hashCode() * 0x9E3779B97F4A7C15L) ^ ((long) name.length() << 32));
            Init init = preset.init().apply(name);
            double convScale = 1.0 / Math.sqrt(rowLen);
            bits16 = dt == DType.F32 ? null : new short[65536];
            for (int i = 0; i < 65536; i++) {
                double u = (i - 32767.5) / 32768.0;
                float v = value(init, u, convScale);
                if (bits16 != null) {
                    bits16[i] = dt == DType.BF16 ? toBf16(v) : Float.floatToFloat16(v);
                    v = dt == DType.BF16 ? Float.intBitsToFloat((bits16[i] & 0xFFFF) << 16) : Float.float16ToFloat(bits16[i]);
                }
                values[i] = v;
            }
        }

        /** Visits the table indices of row r in column order. */
        void indices(long r, java.util.function.IntBinaryOperator sink) {
            long state = mix(nameHash + r * 0xD1B54A32D192ED03L);
            int c = 0;
            while (c < rowLen) {
                state += 0x9E3779B97F4A7C15L;
                long bits = mix(state);
                for (int k = 0; k < 4 && c < rowLen; k++, c++) {
                    sink.applyAsInt(c, (int) (bits >>> (16 * k)) & 0xFFFF);
                }
            }
        }

        void row(int r, float[] dst) {
            indices(r, (c, idx) -> {
                dst[c] = values[idx];
                return 0;
            });
        }
    }

    private Tensor generate(String name, long[] shape) {
        long numel = Tensor.numel(shape);
        int rowLen = shape.length == 0 ? 1 : (int) shape[shape.length - 1];
        long rows = numel / Math.max(1, rowLen);
        DType dt = storedType(shape);
        MemorySegment seg = NativeMemory.allocate(numel * dt.bytes(), arena).asSlice(0, numel * dt.bytes());
        if (fill) {
            RowGen gen = new RowGen(name, rowLen, dt);
            IntStream.range(0, (int) rows).parallel().forEach(r -> {
                long base = (long) r * rowLen;
                gen.indices(r, (c, idx) -> {
                    if (gen.bits16 != null) {
                        seg.setAtIndex(Tensor.SHORT_LE, base + c, gen.bits16[idx]);
                    } else {
                        seg.setAtIndex(Tensor.FLOAT_LE, base + c, gen.values[idx]);
                    }
                    return 0;
                });
            });
        }
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
