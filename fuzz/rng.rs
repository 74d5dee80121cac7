//! The fuzzer's random numbers: splitmix64, as in `benches/common`, so a seed gives the same
//! inputs on every machine and no dependency is needed for a few lines of arithmetic.

/// splitmix64.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// The generator of case `n` of a run with `seed`: each case draws from its own stream, so a
    /// case does not depend on how many numbers the cases before it drew.
    pub(crate) fn for_case(seed: u64, n: u64) -> Self {
        let mut r = Rng(seed ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next_u64();
        r
    }

    /// The next number.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// A number in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True once in `n` draws on average.
    pub(crate) fn one_in(&mut self, n: usize) -> bool {
        self.below(n.max(1)) == 0
    }

    /// A size in `1..=max`, small ones much more likely than large ones (log-uniform).
    pub(crate) fn size(&mut self, max: usize) -> usize {
        let max = max.max(1);
        let bits = usize::BITS - max.leading_zeros();
        let cap = 1usize << self.below(bits as usize + 1).min(usize::BITS as usize - 1);
        self.range(1, cap.min(max))
    }

    /// One element of `items`.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            Some(&items[self.below(items.len())])
        }
    }
}
