//! What the unit tests share: reproducible random numbers (xorshift64, the generator the
//! benches and the integration tests write out too, so a unit test can draw the bench's exact
//! mix) and the distance between two doubles in ulps.

pub(crate) struct Xorshift(u64);

impl Xorshift {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform on `[0, 1)`, from the top 53 bits.
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Distance in ulps between two finite doubles of the same sign (0 when equal, ±0 included).
pub(crate) fn ulps(a: f64, b: f64) -> u64 {
    if a == b {
        return 0;
    }
    let (a, b) = (a.to_bits() as i64, b.to_bits() as i64);
    (a - b).unsigned_abs()
}
