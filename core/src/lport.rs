// SPDX-License-Identifier: GPL-2.0
//! Local port allocation for FULLNAT: a counter walking [min, max], each
//! candidate checked against the connection table's out-tuples, a bounded
//! number of tries.

/// Ports tried for one new connection: the bound on what it costs in
/// softirq once a (real server, LADDR) space is nearly full. Alibaba tried
/// 10,000, and with the space filled (60,000 spoofed UDP tuples will do)
/// every later flow paid that many table lookups before its refusal.
pub const MAX_PROBES: u32 = 64;

/// Port range and retry bound (Alibaba's range 5000..=65535; at most
/// [`MAX_PROBES`] tries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    /// Lowest port handed out.
    pub min: u16,
    /// Highest port handed out.
    pub max: u16,
    /// Candidates tried before giving up.
    pub tries: u32,
}

impl Default for PortRange {
    fn default() -> Self {
        PortRange { min: 5000, max: 65535, tries: MAX_PROBES }
    }
}

impl PortRange {
    /// Number of ports in the range (0 if empty).
    pub const fn size(&self) -> u32 {
        if self.max < self.min { 0 } else { (self.max - self.min) as u32 + 1 }
    }
}

/// Picks a port: the candidates are `min + (start + k) % size` for
/// k = 0.. up to `tries` (and never more than the range holds), the first
/// one for which `in_use` says no wins. `start` is a per-LADDR counter the
/// caller advances. `None` means no port is free: refuse and count.
pub fn pick(r: &PortRange, start: u32, mut in_use: impl FnMut(u16) -> bool) -> Option<u16> {
    let size = r.size();
    if size == 0 {
        return None;
    }
    let n = r.tries.min(size);
    for k in 0..n {
        let p = r.min as u32 + (start.wrapping_add(k)) % size;
        let p = p as u16;
        if !in_use(p) {
            return Some(p);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the default bound, a full space costs MAX_PROBES lookups per
    /// refused connection, not the size of the range.
    #[test]
    fn default_bound_on_a_full_space() {
        let r = PortRange::default();
        assert_eq!(r.size(), 60536);
        let mut asked = 0;
        assert_eq!(pick(&r, 12345, |_| { asked += 1; true }), None);
        assert_eq!(asked, MAX_PROBES);
    }


    #[test]
    fn walks_and_wraps() {
        let r = PortRange { min: 5000, max: 5009, tries: 100 };
        assert_eq!(r.size(), 10);
        assert_eq!(pick(&r, 0, |_| false), Some(5000));
        assert_eq!(pick(&r, 12, |_| false), Some(5002));
        assert_eq!(pick(&r, 9, |p| p == 5009), Some(5000));
    }

    #[test]
    fn exhaustion_is_none_after_range() {
        let r = PortRange { min: 5000, max: 5009, tries: 10000 };
        let mut asked = 0;
        assert_eq!(pick(&r, 3, |_| { asked += 1; true }), None);
        assert_eq!(asked, 10, "each port asked once, no more");
        let used = [5000u16, 5001, 5002, 5003, 5004, 5005, 5006, 5007, 5008];
        assert_eq!(pick(&r, 0, |p| used.contains(&p)), Some(5009));
    }

    #[test]
    fn tries_bound_and_empty_range() {
        let r = PortRange { min: 1, max: 65535, tries: 3 };
        let mut asked = 0;
        assert_eq!(pick(&r, 0, |_| { asked += 1; true }), None);
        assert_eq!(asked, 3);
        assert_eq!(pick(&PortRange { min: 10, max: 9, tries: 5 }, 0, |_| false), None);
        let full = PortRange { min: 0, max: 65535, tries: u32::MAX };
        assert_eq!(full.size(), 65536);
        assert_eq!(pick(&full, 65535, |_| false), Some(65535));
    }
}
