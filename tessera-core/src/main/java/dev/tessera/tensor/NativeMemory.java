package dev.tessera.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Large off-heap buffers for weights made in memory (synthetic models, in-memory quantization). On Linux they come
 * from an anonymous mmap advised for transparent huge pages: no zeroing pass by the JVM (the kernel hands out zero
 * pages on first touch) and 512× fewer page faults than 4 KiB pages, which matters when filling gigabytes.
 * Elsewhere, or if the call fails, it falls back to {@link Arena#allocate}.
 */
public final class NativeMemory {
    private NativeMemory() {}

    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final long HUGE_THRESHOLD = 16L << 20;

    private static final MethodHandle MMAP;
    private static final MethodHandle MADVISE;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null, madvise = null, munmap = null;
        if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            } catch (Throwable t) {
                mmap = null;
            }
        }
        MMAP = mmap;
        MADVISE = madvise;
        MUNMAP = munmap;
    }

    /** Zero-filled memory of {@code bytes}, released when {@code arena} closes. */
    public static MemorySegment allocate(long bytes, Arena arena) {
        if (MMAP == null || bytes < HUGE_THRESHOLD) {
            return arena.allocate(Math.max(1, bytes), 64);
        }
        try {
            MemorySegment addr = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
            if (addr.address() == -1L || addr.address() == 0L) {
                return arena.allocate(bytes, 64);
            }
            if (!Boolean.getBoolean("tessera.noHugePages")) {
                int ignored = (int) MADVISE.invokeExact(addr, bytes, MADV_HUGEPAGE);
            }
            MemorySegment raw = addr;
            return addr.reinterpret(bytes, arena, seg -> unmap(raw, bytes));
        } catch (Throwable t) {
            return arena.allocate(bytes, 64);
        }
    }

    private static void unmap(MemorySegment addr, long bytes) {
        try {
            int ignored = (int) MUNMAP.invokeExact(addr, bytes);
        } catch (Throwable ignored) {
            // Nothing useful to do at close time; the process exit reclaims it.
        }
    }
}
