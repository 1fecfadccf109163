package lab.streamtune.flink.util;

/** Stateless 64-bit mixing (SplitMix64 finaliser): the basis of every deterministic choice in the jobs. */
public final class Hashing {
    private Hashing() {}

    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    public static long mix(long a, long b) {
        return mix(a * 0x9e3779b97f4a7c15L + mix(b));
    }

    /** Uniform double in [0, 1) from a hash. */
    public static double unit(long h) {
        return (h >>> 11) * 0x1.0p-53;
    }

    /** Stable 64-bit hash of a string (FNV-1a then mixed). */
    public static long of(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return mix(h);
    }
}
