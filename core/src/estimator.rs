// SPDX-License-Identifier: GPL-2.0
//! Rate estimation for ipvsadm's --rate columns (connections, packets and
//! bytes per second each way), in the manner of upstream IPVS: every
//! period the counters' growth is turned into a per-second rate and folded
//! into an exponentially weighted average (weight 1/4), kept in fixed point
//! with 10 fraction bits so that slow rates do not round to zero.

/// Fraction bits of the averaged rates.
pub const SHIFT: u32 = 10;

/// One averaged rate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ewma {
    /// Counter value at the last sample.
    pub last: u64,
    /// Averaged rate per second, `<< SHIFT`.
    pub avg: u64,
}

impl Ewma {
    /// Folds in a sample: the counter now reads `total`, `period_ms` after
    /// the previous sample.
    pub fn sample(&mut self, total: u64, period_ms: u64) {
        let delta = total.wrapping_sub(self.last);
        self.last = total;
        if period_ms == 0 {
            return;
        }
        // Per second, in fixed point; saturating against absurd inputs (no
        // 128-bit division: the kernel has no helper for it).
        let rate = (delta.saturating_mul(1000 << SHIFT) / period_ms).min(u64::MAX >> 2);
        // avg += (rate - avg) / 4, done without signed overflow.
        if rate >= self.avg {
            self.avg += (rate - self.avg) >> 2;
        } else {
            self.avg -= (self.avg - rate) >> 2;
        }
    }

    /// The rate per second, rounded.
    pub const fn per_sec(&self) -> u64 {
        (self.avg + (1 << (SHIFT - 1))) >> SHIFT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converges_to_steady_rate() {
        let mut e = Ewma::default();
        let mut total = 0;
        for _ in 0..40 {
            total += 2000; // 1000 per second over 2 s periods
            e.sample(total, 2000);
        }
        assert_eq!(e.per_sec(), 1000);
    }

    #[test]
    fn decays_when_idle_and_keeps_slow_rates() {
        let mut e = Ewma::default();
        e.sample(0, 2000);
        e.sample(10_000, 2000); // a burst: 5000/s, a quarter of it averaged
        assert_eq!(e.per_sec(), 1250);
        for _ in 0..60 {
            e.sample(10_000, 2000);
        }
        assert_eq!(e.per_sec(), 0);
        // One connection every 2 s is 0.5/s: visible, not rounded away.
        let mut s = Ewma::default();
        for k in 1..=40u64 {
            s.sample(k, 2000);
        }
        // 0.5 in fixed point, less the average's last integer step.
        assert!(s.avg >= (1 << (SHIFT - 1)) - 4 && s.avg <= 1 << (SHIFT - 1), "{}", s.avg);
    }

    #[test]
    fn odd_inputs() {
        let mut e = Ewma::default();
        e.sample(5, 0);
        assert_eq!(e.last, 5);
        assert_eq!(e.avg, 0);
        e.sample(u64::MAX, 1);
        assert!(e.avg > 0);
    }
}
