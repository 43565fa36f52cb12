// SPDX-License-Identifier: GPL-2.0
//! Upstream's `sync_threshold` sysctl (net.ipv4.vs.sync_threshold, two
//! numbers, "3 50" by default): besides the records a state change sends,
//! a master sends a connection's record again on its client's
//! `threshold`-th packet and every `period` packets after that (only on
//! the `threshold`-th with `period` 0; never with both 0). rvs's refresh
//! sweep (`sync_refresh_period`) also re-sends every connection once a
//! period, idle ones included: the packet rule is there for what an
//! ip_vs operator set and expects (a busy connection's backup copy
//! renewed as it goes), and "0 0" leaves the sweep alone.

use core::fmt;

/// The pair, as upstream checks it: `threshold < period`, unless
/// `period` is 0; both within an `int`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncThreshold {
    pub threshold: u32,
    pub period: u32,
}

impl SyncThreshold {
    /// Upstream's default.
    pub const DEFAULT: SyncThreshold = SyncThreshold { threshold: 3, period: 50 };

    /// Two decimal numbers separated by blanks (spaces or tabs), as
    /// upstream's proc handler reads them; `None` for anything else or a
    /// pair upstream refuses.
    pub fn parse(text: &[u8]) -> Option<SyncThreshold> {
        let mut it = text.split(|c| *c == b' ' || *c == b'\t').filter(|w| !w.is_empty());
        let mut num = || -> Option<u32> {
            let w = it.next()?;
            if w.len() > 10 || !w.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let v = w.iter().fold(0u64, |v, &c| v * 10 + (c - b'0') as u64);
            (v <= i32::MAX as u64).then_some(v as u32)
        };
        let (threshold, period) = (num()?, num()?);
        if it.next().is_some() || (period != 0 && threshold >= period) {
            return None;
        }
        Some(SyncThreshold { threshold, period })
    }

    /// Whether the client's `pkts`-th packet (counted from 1) sends the
    /// connection's record.
    pub fn due(self, pkts: u32) -> bool {
        if self.period > 0 {
            pkts % self.period == self.threshold
        } else {
            pkts == self.threshold && pkts != 0
        }
    }

    /// The pair in one word (an atomic's), and back.
    pub const fn pack(self) -> u64 {
        (self.threshold as u64) << 32 | self.period as u64
    }

    pub const fn unpack(v: u64) -> SyncThreshold {
        SyncThreshold { threshold: (v >> 32) as u32, period: v as u32 }
    }
}

/// As upstream prints it: "3\t50".
impl fmt::Display for SyncThreshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\t{}", self.threshold, self.period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(threshold: u32, period: u32) -> SyncThreshold {
        SyncThreshold { threshold, period }
    }

    #[test]
    fn parse_as_upstream() {
        assert_eq!(SyncThreshold::parse(b"3 50"), Some(SyncThreshold::DEFAULT));
        assert_eq!(SyncThreshold::parse(b"3\t50"), Some(t(3, 50)));
        assert_eq!(SyncThreshold::parse(b"  0   0 "), Some(t(0, 0)));
        assert_eq!(SyncThreshold::parse(b"7 0"), Some(t(7, 0)));
        assert_eq!(SyncThreshold::parse(b"0 2147483647"), Some(t(0, i32::MAX as u32)));
        for bad in [&b""[..], b"3", b"3 50 1", b"50 50", b"51 50", b"-1 50", b"3 x", b"3 2147483648", b"3,50"] {
            assert_eq!(SyncThreshold::parse(bad), None, "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn due_packets() {
        let due = |s: SyncThreshold| (1..=120).filter(|&n| s.due(n)).collect::<Vec<_>>();
        assert_eq!(due(SyncThreshold::DEFAULT), [3, 53, 103]);
        assert_eq!(due(t(0, 40)), [40, 80, 120]);
        assert_eq!(due(t(5, 0)), [5]);
        assert!(due(t(0, 0)).is_empty());
    }

    #[test]
    fn pack_and_print() {
        for s in [SyncThreshold::DEFAULT, t(0, 0), t(i32::MAX as u32 - 1, i32::MAX as u32)] {
            assert_eq!(SyncThreshold::unpack(s.pack()), s);
        }
        assert_eq!(format!("{}", SyncThreshold::DEFAULT), "3\t50");
    }
}
