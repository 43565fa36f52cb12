// SPDX-License-Identifier: GPL-2.0
//! Scheduler decisions: which real server gets a new connection.
//!
//! The functions see the destinations of one service as a slice of
//! [`DestView`] in configuration order and return an index. What state a
//! scheduler keeps between calls (a round-robin cursor, a weighted
//! round-robin position, a hash table) lives in a small value owned by the
//! service, passed in by reference. The kernel takes that under the
//! service's scheduler lock; nothing here blocks or allocates, except
//! building the Maglev table, which happens on configuration changes.

use super::addr::Addr;

/// Connection thresholds (ipvsadm -x/-y), upstream's rule. A destination
/// with an upper threshold `upper` is overloaded (takes no new connection)
/// once its connections (active + inactive) reach it, and stays so until
/// they fall below the lower threshold `lower`, or without one below three
/// quarters of the upper. 0 means no threshold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Thresholds {
    pub upper: u32,
    pub lower: u32,
}

impl Thresholds {
    /// Whether a destination is overloaded after a connection was added,
    /// with `total` connections now (`was`: overloaded before).
    pub const fn after_bind(&self, total: u32, was: bool) -> bool {
        was || (self.upper != 0 && total >= self.upper)
    }

    /// Whether a destination is overloaded after a connection went away,
    /// with `total` connections left.
    pub const fn after_unbind(&self, total: u32, was: bool) -> bool {
        if !was {
            false
        } else if self.lower != 0 {
            total >= self.lower
        } else if self.upper != 0 {
            (total as u64) * 4 >= (self.upper as u64) * 3
        } else {
            false
        }
    }

    /// Whether a destination stays overloaded when its thresholds change
    /// to `self` from `old`: raising or removing the upper one lifts it.
    pub const fn after_change(&self, old: &Thresholds, was: bool) -> bool {
        was && self.upper != 0 && self.upper <= old.upper
    }
}

/// What a scheduler may know of a destination.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DestView {
    /// Configured weight; 0 drains the destination.
    pub weight: u32,
    /// Active (established) connections.
    pub active: u32,
    /// Inactive connections (handshake, closing).
    pub inactive: u32,
    /// Over its upper connection threshold (until back under the lower).
    pub overloaded: bool,
}

impl DestView {
    /// May take new connections.
    pub const fn available(&self) -> bool {
        self.weight > 0 && !self.overloaded
    }

    /// Upstream's load measure for the least-connection family.
    pub const fn overhead(&self) -> u64 {
        ((self.active as u64) << 8) + self.inactive as u64
    }
}

/// A service's destinations as the schedulers see them: indexable views,
/// read on demand so that nothing is copied per decision.
pub trait DestSet {
    /// Number of destinations.
    fn len(&self) -> usize;
    /// The view of destination `i` (`i < len()`).
    fn get(&self, i: usize) -> DestView;
    /// True if there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl DestSet for [DestView] {
    fn len(&self) -> usize {
        <[DestView]>::len(self)
    }
    fn get(&self, i: usize) -> DestView {
        self[i]
    }
}

impl<const N: usize> DestSet for [DestView; N] {
    fn len(&self) -> usize {
        N
    }
    fn get(&self, i: usize) -> DestView {
        self[i]
    }
}

/// Scheduler algorithms by name, as ipvsadm -s names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algo {
    /// Round robin.
    Rr,
    /// Weighted round robin.
    Wrr,
    /// Least connection.
    Lc,
    /// Weighted least connection.
    Wlc,
    /// Shortest expected delay.
    Sed,
    /// Never queue.
    Nq,
    /// Source hashing.
    Sh,
    /// Maglev hashing.
    Mh,
}

impl Algo {
    /// Parses an ipvsadm scheduler name.
    pub fn from_name(name: &[u8]) -> Option<Algo> {
        Some(match name {
            b"rr" => Algo::Rr,
            b"wrr" => Algo::Wrr,
            b"lc" => Algo::Lc,
            b"wlc" => Algo::Wlc,
            b"sed" => Algo::Sed,
            b"nq" => Algo::Nq,
            b"sh" => Algo::Sh,
            b"mh" => Algo::Mh,
            _ => return None,
        })
    }

    /// The ipvsadm name.
    pub const fn name(self) -> &'static str {
        match self {
            Algo::Rr => "rr",
            Algo::Wrr => "wrr",
            Algo::Lc => "lc",
            Algo::Wlc => "wlc",
            Algo::Sed => "sed",
            Algo::Nq => "nq",
            Algo::Sh => "sh",
            Algo::Mh => "mh",
        }
    }
}

/// Round robin over the available destinations. `cursor` is the index of the
/// last one chosen.
pub fn rr<D: DestSet + ?Sized>(d: &D, cursor: &mut usize) -> Option<usize> {
    let n = d.len();
    for step in 1..=n {
        let i = (cursor.wrapping_add(step)) % n;
        if d.get(i).available() {
            *cursor = i;
            return Some(i);
        }
    }
    None
}

/// Weighted round robin position (upstream's interleaved algorithm: walk
/// the list, lowering the current weight by the gcd of the weights at each
/// wrap; pick destinations whose weight reaches it).
#[derive(Clone, Copy, Debug, Default)]
pub struct WrrPos {
    i: Option<usize>,
    cw: u32,
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Weighted round robin.
pub fn wrr<D: DestSet + ?Sized>(d: &D, pos: &mut WrrPos) -> Option<usize> {
    let n = d.len();
    let (mut g, mut max) = (0u32, 0u32);
    for i in 0..n {
        let x = d.get(i);
        if x.available() {
            g = gcd(g, x.weight);
            max = max.max(x.weight);
        }
    }
    if max == 0 {
        return None;
    }
    // Bounded: at most max/g rounds over n destinations.
    let rounds = (max / g) as usize + 1;
    let mut i = pos.i.unwrap_or(n - 1);
    for _ in 0..(rounds * n + 1) {
        i = (i + 1) % n;
        if i == 0 {
            pos.cw = if pos.cw <= g { max } else { pos.cw - g };
        }
        if pos.cw > max {
            pos.cw = max;
        }
        let x = d.get(i);
        if x.available() && x.weight >= pos.cw {
            pos.i = Some(i);
            return Some(i);
        }
    }
    None
}

/// Picks the available destination minimising `cost`, comparing
/// `cost(a) / w(a)` with `cost(b) / w(b)` by cross multiplication.
fn min_by_ratio<D: DestSet + ?Sized>(d: &D, cost: impl Fn(&DestView) -> u64, weighted: bool) -> Option<usize> {
    let mut best: Option<(usize, DestView)> = None;
    for i in 0..d.len() {
        let x = d.get(i);
        if !x.available() {
            continue;
        }
        match best {
            None => best = Some((i, x)),
            Some((_, y)) => {
                let (wx, wy) = if weighted { (x.weight as u128, y.weight as u128) } else { (1, 1) };
                if (cost(&x) as u128) * wy < (cost(&y) as u128) * wx {
                    best = Some((i, x));
                }
            }
        }
    }
    best.map(|(i, _)| i)
}

/// Least connection: the fewest (active * 256 + inactive).
pub fn lc<D: DestSet + ?Sized>(d: &D) -> Option<usize> {
    min_by_ratio(d, DestView::overhead, false)
}

/// Weighted least connection: the least overhead per weight.
pub fn wlc<D: DestSet + ?Sized>(d: &D) -> Option<usize> {
    min_by_ratio(d, DestView::overhead, true)
}

/// Shortest expected delay: the least (active + 1) per weight.
pub fn sed<D: DestSet + ?Sized>(d: &D) -> Option<usize> {
    min_by_ratio(d, |x| x.active as u64 + 1, true)
}

/// Never queue: an idle destination if there is one, else as sed.
pub fn nq<D: DestSet + ?Sized>(d: &D) -> Option<usize> {
    (0..d.len())
        .find(|&i| {
            let x = d.get(i);
            x.available() && x.active == 0
        })
        .or_else(|| sed(d))
}

/// A 32-bit mix of a client address (and port), for the hashing schedulers.
/// An IPv6 address's four words are folded in one after another, so that
/// each of its bits moves the result; an IPv4 address is its 32 bits.
pub fn hash_client(addr: &Addr, port: u16, seed: u32) -> u32 {
    let mut h = match addr.as_v4() {
        Some(v) => (v ^ seed).wrapping_mul(0x9e37_79b1),
        None => addr.words().iter().fold(seed, |h, &w| (h ^ w).wrapping_mul(0x9e37_79b1).rotate_left(13)),
    };
    h ^= (port as u32).wrapping_mul(0x85eb_ca6b);
    h ^= h >> 16;
    h = h.wrapping_mul(0x7feb_352d);
    h ^ (h >> 15)
}

/// Source hashing: the same client always goes to the same destination
/// while the set is unchanged. Buckets are spread over the destinations in
/// proportion to their weights; an unavailable destination's clients move
/// to the next available one.
pub fn sh<D: DestSet + ?Sized>(d: &D, client_hash: u32) -> Option<usize> {
    let total: u64 = (0..d.len()).map(|i| d.get(i).weight as u64).sum();
    if total == 0 {
        return None;
    }
    // Map the hash onto the weight line [0, total).
    let mut point = ((client_hash as u64) * total) >> 32;
    let mut start = 0;
    for i in 0..d.len() {
        let w = d.get(i).weight as u64;
        if point < w {
            start = i;
            break;
        }
        point -= w;
    }
    // From `start` round the list, without a division (no panic path in
    // the kernel build).
    (start..d.len()).chain(0..start).find(|&i| d.get(i).available())
}

/// Size of the Maglev lookup table (a prime, as the algorithm needs).
pub const MH_TABLE_SIZE: usize = 251;

/// Builds the Maglev lookup table for destinations identified by `keys`
/// (e.g. their address and port) with weights `d[i].weight`: each entry
/// names a destination index, or `u16::MAX` when none is available.
///
/// The table depends on the set of (key, weight, availability) only, not
/// on the order of `d`: destinations take their turns in the order of
/// their keys, so that directors of a cluster configured alike (but whose
/// real servers were added in different orders) send a client to the same
/// real server. Keys are distinct (an address and port each); at most
/// `MH_TABLE_SIZE` destinations, the lowest keys, can have entries.
pub fn mh_build(d: &[DestView], keys: &[u64], table: &mut [u16; MH_TABLE_SIZE]) {
    const M: u64 = MH_TABLE_SIZE as u64;
    table.fill(u16::MAX);
    let avail: u32 = d.iter().filter(|x| x.available()).map(|x| x.weight).sum();
    if avail == 0 || keys.len() != d.len() {
        return;
    }
    let mix = |k: u64, s: u64| {
        let mut h = k ^ s;
        h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
        h = (h ^ (h >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    };
    // The turn order: indices sorted by key (at most MH_TABLE_SIZE take
    // part; an index fits a u16, as the table's entries).
    if d.len() > u16::MAX as usize {
        return;
    }
    let mut order = [0u16; MH_TABLE_SIZE];
    let mut n = 0;
    for i in 0..d.len() {
        if n < MH_TABLE_SIZE {
            order[n] = i as u16;
            n += 1;
        } else if let Some(last) = (0..n).max_by_key(|&j| keys[order[j] as usize]) {
            // More destinations than entries: keep the lowest keys.
            if keys[i] < keys[order[last] as usize] {
                order[last] = i as u16;
            }
        }
    }
    let order = &mut order[..n];
    order.sort_unstable_by_key(|&i| keys[i as usize]);
    // Attempts so far per destination (by its place in `order`): below M
    // until the table is full.
    let mut next = [0u8; MH_TABLE_SIZE];
    let mut filled = 0usize;
    let max_w = order.iter().map(|&i| &d[i as usize]).filter(|x| x.available()).map(|x| x.weight).max().unwrap_or(0);
    if max_w == 0 {
        return;
    }
    let mut round = 0u32;
    while filled < MH_TABLE_SIZE {
        round += 1;
        for (p, &oi) in order.iter().enumerate() {
            let i = oi as usize;
            // Weighted: a destination takes part in `weight` of every
            // `max_w` rounds.
            if !d[i].available() || (round % max_w) >= d[i].weight && d[i].weight != max_w {
                continue;
            }
            let offset = mix(keys[i], 0x5eed_0001) % M;
            let skip = mix(keys[i], 0x5eed_0002) % (M - 1) + 1;
            loop {
                let c = ((offset + next[p] as u64 * skip) % M) as usize;
                next[p] = next[p].saturating_add(1);
                if table[c] == u16::MAX {
                    table[c] = i as u16;
                    filled += 1;
                    break;
                }
            }
            if filled == MH_TABLE_SIZE {
                break;
            }
        }
    }
}

/// Maglev lookup.
pub fn mh(table: &[u16; MH_TABLE_SIZE], client_hash: u32) -> Option<usize> {
    match table[client_hash as usize % MH_TABLE_SIZE] {
        u16::MAX => None,
        i => Some(i as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dv(w: u32) -> DestView {
        DestView { weight: w, ..Default::default() }
    }

    #[test]
    fn rr_is_exactly_even_and_skips_drained() {
        let d = [dv(1), dv(1), dv(1)];
        let mut c = usize::MAX % 3; // any start
        let mut count = [0; 3];
        for _ in 0..999 {
            count[rr(&d, &mut c).unwrap()] += 1;
        }
        assert_eq!(count, [333, 333, 333]);
        let d = [dv(1), dv(0), dv(1)];
        for _ in 0..10 {
            assert_ne!(rr(&d, &mut c), Some(1));
        }
        assert_eq!(rr(&[dv(0)], &mut c), None);
        assert_eq!(rr(&[], &mut c), None);
    }

    #[test]
    fn wrr_follows_weights() {
        let d = [dv(3), dv(1), dv(2)];
        let mut p = WrrPos::default();
        let mut count = [0; 3];
        for _ in 0..600 {
            count[wrr(&d, &mut p).unwrap()] += 1;
        }
        assert_eq!(count, [300, 100, 200]);
        // Interleaved, not in runs: the first six picks hold all three.
        let mut p = WrrPos::default();
        let seq: Vec<usize> = (0..6).map(|_| wrr(&d, &mut p).unwrap()).collect();
        assert_eq!(seq, vec![0, 0, 2, 0, 1, 2]);
        assert_eq!(wrr(&[dv(0), dv(0)], &mut p), None);
    }

    #[test]
    fn least_connection_family() {
        let mut d = [dv(1), dv(1), dv(4)];
        d[0].active = 2;
        d[1].active = 1;
        d[2].active = 3;
        assert_eq!(lc(&d), Some(1));
        assert_eq!(wlc(&d), Some(2)); // 3*256/4 < 1*256/1
        assert_eq!(sed(&d), Some(2)); // (3+1)/4 = 1 < (1+1)/1
        assert_eq!(nq(&d), Some(2));
        d[0].active = 0;
        assert_eq!(nq(&d), Some(0)); // idle wins
        d[0].overloaded = true;
        assert_eq!(nq(&d), Some(2));
    }

    #[test]
    fn sh_is_sticky_and_fails_over() {
        let d = [dv(1), dv(1), dv(1)];
        let mut seen = [0; 3];
        for c in 0..300u32 {
            let h = hash_client(&Addr::v4(0xc000_0200 + c), 0, 7);
            let a = sh(&d, h).unwrap();
            assert_eq!(sh(&d, h), Some(a));
            seen[a] += 1;
        }
        assert!(seen.iter().all(|&n| n > 50), "{seen:?}");
        let h = hash_client(&Addr::v4(0xc000_0201), 0, 7);
        let a = sh(&d, h).unwrap();
        let mut d2 = d;
        d2[a].weight = 0;
        let b = sh(&d2, h).unwrap();
        assert_ne!(a, b);
        // IPv6 clients of one /64 spread too, and each stays put.
        let mut seen = [0; 3];
        for c in 0..300u16 {
            let mut o = *Addr::parse(b"2001:db8:5::").unwrap().octets();
            o[14..].copy_from_slice(&c.to_be_bytes());
            let h = hash_client(&Addr::v6(o), 0, 7);
            assert_eq!(h, hash_client(&Addr::v6(o), 0, 7));
            seen[sh(&d, h).unwrap()] += 1;
        }
        assert!(seen.iter().all(|&n| n > 50), "{seen:?}");
    }

    #[test]
    fn maglev_fills_table_by_weight_and_is_stable() {
        let d = [dv(1), dv(1), dv(2)];
        let keys = [11, 22, 33];
        let mut t = [0u16; MH_TABLE_SIZE];
        mh_build(&d, &keys, &mut t);
        let mut count = [0; 3];
        for &e in t.iter() {
            count[e as usize] += 1;
        }
        assert_eq!(count.iter().sum::<i32>(), MH_TABLE_SIZE as i32);
        assert!(count[2] > count[0] && count[2] > count[1], "{count:?}");
        // Removing one destination moves only its own entries.
        let d2 = [dv(1), dv(0), dv(2)];
        let mut t2 = [0u16; MH_TABLE_SIZE];
        mh_build(&d2, &keys, &mut t2);
        let moved = t.iter().zip(t2.iter()).filter(|(a, b)| a != b && **a != 1).count();
        assert!(moved < MH_TABLE_SIZE / 5, "moved {moved}");
        assert!(t2.iter().all(|&e| e != 1));
        assert_eq!(mh(&t2, 12345).map(|i| i != 1), Some(true));
        let mut t3 = [0u16; MH_TABLE_SIZE];
        mh_build(&[dv(0)], &[1], &mut t3);
        assert_eq!(mh(&t3, 1), None);
    }

    /// The same destinations added in any order give the same table (read
    /// through the keys): what a cluster of directors needs.
    #[test]
    fn maglev_table_does_not_depend_on_the_order_of_destinations() {
        let keys = [0xc633_640b_1f90u64, 0xc633_640c_1f90, 0xc633_640d_1f90, 0xc633_640e_0050, 7];
        let w = [1, 3, 2, 1, 0];
        let build = |perm: &[usize]| {
            let d: Vec<DestView> = perm.iter().map(|&i| dv(w[i])).collect();
            let k: Vec<u64> = perm.iter().map(|&i| keys[i]).collect();
            let mut t = [0u16; MH_TABLE_SIZE];
            mh_build(&d, &k, &mut t);
            t.map(|e| if e == u16::MAX { u64::MAX } else { k[e as usize] })
        };
        let first = build(&[0, 1, 2, 3, 4]);
        assert!(first.iter().all(|&k| k != 7 && k != u64::MAX), "weight 0 has no entry, all others fill it");
        for perm in [[4, 3, 2, 1, 0], [2, 0, 4, 1, 3], [1, 4, 0, 3, 2]] {
            assert_eq!(build(&perm), first, "{perm:?}");
        }
    }

    /// More destinations than entries: the lowest keys take part, whatever
    /// the order.
    #[test]
    fn maglev_with_more_destinations_than_entries() {
        let n = MH_TABLE_SIZE + 20;
        let d: Vec<DestView> = (0..n).map(|_| dv(1)).collect();
        let fwd: Vec<u64> = (0..n as u64).map(|k| k * 7919).collect();
        let rev: Vec<u64> = fwd.iter().rev().copied().collect();
        let (mut a, mut b) = ([0u16; MH_TABLE_SIZE], [0u16; MH_TABLE_SIZE]);
        mh_build(&d, &fwd, &mut a);
        mh_build(&d, &rev, &mut b);
        assert_eq!(a.map(|e| fwd[e as usize]), b.map(|e| rev[e as usize]));
        assert!(a.iter().all(|&e| (e as usize) < MH_TABLE_SIZE));
    }

    #[test]
    fn names() {
        for n in ["rr", "wrr", "lc", "wlc", "sed", "nq", "sh", "mh"] {
            assert_eq!(Algo::from_name(n.as_bytes()).unwrap().name(), n);
        }
        assert_eq!(Algo::from_name(b"fo"), None);
    }

    #[test]
    fn thresholds_follow_upstream() {
        let t = Thresholds { upper: 4, lower: 0 };
        assert!(!t.after_bind(3, false));
        assert!(t.after_bind(4, false));
        // Without a lower threshold: below 3/4 of the upper (3) lifts it.
        assert!(t.after_unbind(3, true));
        assert!(!t.after_unbind(2, true));
        assert!(!t.after_unbind(3, false));
        let t = Thresholds { upper: 10, lower: 5 };
        assert!(t.after_unbind(5, true));
        assert!(!t.after_unbind(4, true));
        // No thresholds: never overloaded.
        let none = Thresholds::default();
        assert!(!none.after_bind(1_000_000, false));
        assert!(!none.after_unbind(7, true));
        // Raising or removing the upper threshold lifts the overload;
        // lowering it keeps it.
        assert!(!Thresholds { upper: 20, lower: 0 }.after_change(&t, true));
        assert!(!Thresholds { upper: 0, lower: 0 }.after_change(&t, true));
        assert!(Thresholds { upper: 8, lower: 0 }.after_change(&t, true));
        assert!(!Thresholds { upper: 8, lower: 0 }.after_change(&t, false));
        // Large thresholds do not overflow.
        let big = Thresholds { upper: u32::MAX, lower: 0 };
        assert!(big.after_unbind(u32::MAX, true));
    }

}
