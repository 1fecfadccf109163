//! Stateless 64-bit mixing (the SplitMix64 finaliser, as jobs/flink's Hashing): the basis of every
//! deterministic choice in the jobs, so that the same event id always yields the same event.

#[inline]
pub fn mix(z: u64) -> u64 {
    let mut z = z;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

#[inline]
pub fn mix2(a: u64, b: u64) -> u64 {
    mix(a.wrapping_mul(0x9e3779b97f4a7c15).wrapping_add(mix(b)))
}

/// Uniform double in [0, 1) from a hash.
#[inline]
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Stable 64-bit hash of a string (FNV-1a, then mixed).
pub fn of_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for c in s.encode_utf16() {
        h ^= c as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    mix(h)
}

/// A small random stream (SplitMix64) seeded from a hash: one per event, so events do not depend on order.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        mix(self.0)
    }
    /// Uniform in [0, n).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
    #[inline]
    pub fn unit(&mut self) -> f64 {
        unit(self.next_u64())
    }
}
