package dev.tessera.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.io.Json;
import dev.tessera.tensor.NativeMemory;
import dev.tessera.tensor.WorkerPool;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The decode ceiling: how fast this machine can stream memory into the cores, measured as a read-only SIMD sum over
 * a buffer far larger than the last-level cache, split across {@code threads} in contiguous ranges (exactly the
 * access pattern of a decode step). Results are cached per machine (CPU model, cores, memory) and thread count,
 * because a good measurement takes several seconds.
 */
public final class BandwidthProbe {
    private BandwidthProbe() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Larger than any last-level cache we expect (this machine family has a 260 MB L3). */
    private static final long BUFFER_BYTES = 2L << 30;
    private static final int REPEATS = 7;

    /** The cached read bandwidth for this machine and thread count, if there is one. */
    public static java.util.OptionalDouble cached(int threads) {
        Double v = lookup(cacheFile(), machineKey() + "|threads=" + threads);
        return v == null ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(v);
    }

    /** Read bandwidth in GB/s (10^9 bytes) with this many threads, from the cache or measured now. */
    public static double readGBs(int threads, boolean useCache) {
        Path cache = cacheFile();
        String key = machineKey() + "|threads=" + threads;
        if (useCache) {
            Double cached = lookup(cache, key);
            if (cached != null) {
                return cached;
            }
        }
        boolean quiet = isQuiet();
        double gbs = measure(threads);
        if (quiet && isQuiet()) {
            store(cache, key, gbs);
        }
        return gbs;
    }

    /**
     * Whether other work is unlikely to distort a measurement: over a short window, processes other than this one
     * kept the CPUs less than a quarter busy. (The load average is no good here: it still counts the build that
     * `./tessera` may have just run.) Where /proc is missing the answer is yes.
     */
    public static boolean isQuiet() {
        return othersBusyShare(300) < 0.25;
    }

    /** Share (0..1) of all CPU time used by other processes during the next {@code millis}; 0 without /proc. */
    public static double othersBusyShare(long millis) {
        long[] a = cpuTimes();
        long selfA = selfTicks();
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long[] b = cpuTimes();
        long selfB = selfTicks();
        if (a == null || b == null || selfA < 0 || selfB < 0) {
            return 0;
        }
        long total = b[0] - a[0];
        long busy = (b[1] - a[1]) - (selfB - selfA);
        return total <= 0 ? 0 : Math.max(0, (double) busy / total);
    }

    /** {total, busy} jiffies of all CPUs from /proc/stat. */
    private static long[] cpuTimes() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
            return new long[] {total, total - idle};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** utime + stime of this process in jiffies, or -1. */
    private static long selfTicks() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    public static double measure(int threads) {
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(threads)) {
            MemorySegment buf = NativeMemory.allocate(BUFFER_BYTES, arena);
            buf.fill((byte) 1);
            int blocks = (int) (BUFFER_BYTES / (1 << 20));
            double[] sink = new double[threads * 16 + 16];
            double[] rates = new double[REPEATS];
            WorkerPool.RangeTask task = (from, to) -> {
                float s = sum(buf, (long) from << 20, (long) (to - from) << 20);
                sink[(from * threads / blocks) * 16] += s;
            };
            // Compile the loop before timing anything: sum a cache-resident slice until C2 has it.
            for (int w = 0; w < 200; w++) {
                sink[1] += sum(buf, 0, 1 << 20);
            }
            for (int r = 0; r < REPEATS; r++) {
                long t0 = System.nanoTime();
                pool.forRange(blocks, task);
                long t1 = System.nanoTime();
                rates[r] = BUFFER_BYTES / ((t1 - t0) / 1e9) / 1e9;
            }
            if (sink[0] == 42.4242) {
                System.out.print("");
            }
            Arrays.sort(rates);
            // Interference (other processes, page faults) only ever slows a pass: the fastest pass is the
            // hardware's streaming rate, which makes the reported ceiling share conservative.
            return rates[REPEATS - 1];
        }
    }

    private static float sum(MemorySegment seg, long from, long bytes) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long step = F.vectorByteSize();
        long end = from + bytes - 4 * step;
        long off = from;
        for (; off <= end; off += 4 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, off, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, seg, off + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, seg, off + 2 * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, seg, off + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }

    static String machineKey() {
        String cpu = "unknown-cpu";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            cpu = System.getProperty("os.arch");
        }
        long mem = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    mem = Long.parseLong(line.replaceAll("[^0-9]", "")) >> 20;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // Memory size only refines the key.
        }
        return cpu + "|cores=" + Runtime.getRuntime().availableProcessors() + "|memGiB=" + mem;
    }

    /** Where measurements are cached (~/.cache/tessera/bandwidth.json, or under $XDG_CACHE_HOME). */
    public static Path cacheFile() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("tessera").resolve("bandwidth.json");
    }

    private static Double lookup(Path cache, String key) {
        try {
            if (Files.isRegularFile(cache)) {
                JsonNode n = Json.MAPPER.readTree(cache.toFile()).get(key);
                if (n != null && n.isNumber()) {
                    return n.asDouble();
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // A corrupt cache is re-measured.
        }
        return null;
    }

    private static void store(Path cache, String key, double gbs) {
        try {
            Files.createDirectories(cache.getParent());
            ObjectNode root = Files.isRegularFile(cache) && Json.MAPPER.readTree(cache.toFile()) instanceof ObjectNode o
                    ? o : Json.MAPPER.createObjectNode();
            root.put(key, gbs);
            Path tmp = Files.createTempFile(cache.getParent(), "bandwidth", ".tmp");
            Files.writeString(tmp, Json.MAPPER.writeValueAsString(root));
            Files.move(tmp, cache, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException ignored) {
            // Caching is an optimisation only.
        }
    }
}
