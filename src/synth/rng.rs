//! The generator's pseudo-random numbers: SplitMix64, written out here.
//!
//! Why not the `rand` crate: a synthetic fleet is only useful if the same spec gives the
//! same bytes everywhere, forever (tests pin scenarios, benchmarks compare runs), and
//! `rand` does not promise a stable stream across versions or platforms. SplitMix64 is
//! ten lines, its output is fixed by its published definition, and it is plenty for
//! picking times and devices. All arithmetic is integer, so no float rounding differs
//! between machines.

/// A SplitMix64 stream (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", 2014; the constants are those of the reference implementation).
#[derive(Debug, Clone)]
pub(super) struct Rng {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function; also used to derive independent seeds.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// An independent stream for one part of the fleet (a device, the hub), so that what
    /// one device draws never shifts another device's numbers.
    pub(super) fn stream(seed: u64, stream: u64) -> Rng {
        Rng::new(mix(seed ^ mix(stream.wrapping_add(0x243F_6A88_85A3_08D3))))
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }

    /// Uniform in `0..n` (0 when `n` is 0), by multiply-shift: no modulo bias worth
    /// the name at the small `n` used here, and no rejection loop.
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`; `lo` when the range is empty.
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = hi.abs_diff(lo) + 1;
        lo.wrapping_add_unsigned(self.below(span))
    }

    /// True with probability `per_mille / 1000`.
    pub(super) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// One of `items`, which must not be empty (only called with constant tables).
    pub(super) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_splitmix64_stream() {
        // First outputs of the reference C implementation seeded with 0.
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(rng.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn range_stays_inside_its_bounds_and_reaches_both() {
        let mut rng = Rng::new(7);
        let draws: Vec<i64> = (0..2000).map(|_| rng.range(-3, 3)).collect();
        assert!(draws.iter().all(|d| (-3..=3).contains(d)));
        assert!(draws.contains(&-3) && draws.contains(&3));
        assert_eq!(rng.range(5, 5), 5);
        assert_eq!(rng.range(5, 2), 5);
    }

    #[test]
    fn streams_differ_by_index() {
        let a = Rng::stream(1, 0).next_u64();
        let b = Rng::stream(1, 1).next_u64();
        let c = Rng::stream(2, 0).next_u64();
        assert!(a != b && a != c && b != c);
    }
}
