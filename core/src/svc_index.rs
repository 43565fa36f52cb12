// SPDX-License-Identifier: GPL-2.0
//! An open-addressing index over an immutable list, for the service
//! lookup of the packet path. The services form a snapshot that is rebuilt
//! on every configuration change, so the index is built once per snapshot
//! and only read afterwards: no deletion, no resizing, linear probing.
//!
//! The caller owns the slots (`slots_for(n)` of them, each [`EMPTY`]) and
//! hashes its keys with [`hash`]; entries are list positions.

/// A free slot.
pub const EMPTY: u32 = u32::MAX;

/// Slots for an index of `n` entries: a power of two, at least twice `n`
/// (probe chains stay short), at least 4.
pub fn slots_for(n: usize) -> usize {
    n.saturating_mul(2).max(4).next_power_of_two()
}

/// A 32-bit hash of up to four words (murmur3's finaliser on a
/// multiply-xor chain). The keys are configured by an administrator, not
/// chosen by packets, so no secret seed is needed.
pub fn hash(words: [u64; 4]) -> u32 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    for w in words {
        h = (h ^ w).wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
    }
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h as u32
}

/// Adds entry `pos` with hash `h`. `slots` has a power-of-two length and a
/// free slot left (guaranteed with `slots_for`).
pub fn insert(slots: &mut [u32], h: u32, pos: u32) {
    let mask = slots.len() - 1;
    let mut i = h as usize & mask;
    while slots[i] != EMPTY {
        i = (i + 1) & mask;
    }
    slots[i] = pos;
}

/// The first entry with hash chain `h` for which `is` holds.
pub fn find(slots: &[u32], h: u32, mut is: impl FnMut(usize) -> bool) -> Option<usize> {
    if slots.is_empty() {
        return None;
    }
    let mask = slots.len() - 1;
    let mut i = h as usize & mask;
    for _ in 0..slots.len() {
        let p = slots[i];
        if p == EMPTY {
            return None;
        }
        if is(p as usize) {
            return Some(p as usize);
        }
        i = (i + 1) & mask;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(keys: &[u64]) -> Vec<u32> {
        let mut slots = vec![EMPTY; slots_for(keys.len())];
        for (i, k) in keys.iter().enumerate() {
            insert(&mut slots, hash([*k, 0, 0, 0]), i as u32);
        }
        slots
    }

    #[test]
    fn sizes() {
        assert_eq!(slots_for(0), 4);
        assert_eq!(slots_for(2), 4);
        assert_eq!(slots_for(3), 8);
        assert_eq!(slots_for(1000), 2048);
    }

    #[test]
    fn finds_every_key_and_no_other() {
        let keys: Vec<u64> = (0..500u64).map(|k| k * 7919).collect();
        let slots = build(&keys);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(find(&slots, hash([*k, 0, 0, 0]), |p| keys[p] == *k), Some(i));
        }
        for k in 0..200u64 {
            let k = k * 7919 + 1;
            assert_eq!(find(&slots, hash([k, 0, 0, 0]), |p| keys[p] == k), None);
        }
    }

    #[test]
    fn duplicates_give_the_first() {
        // Many entries under one key (one VIP, many ports): the lookup by
        // the shared key finds one, the lookup with the full key its own.
        let keys = [5u64, 5, 5, 9];
        let slots = build(&keys);
        assert_eq!(find(&slots, hash([5, 0, 0, 0]), |p| keys[p] == 5), Some(0));
        assert_eq!(find(&slots, hash([5, 0, 0, 0]), |p| keys[p] == 5 && p == 2), Some(2));
    }

    #[test]
    fn empty_and_full_tables_end() {
        assert_eq!(find(&[], 1, |_| true), None);
        // A table without a free slot (never built by `slots_for`) still
        // ends the probe.
        let slots = [0u32, 1, 2, 3];
        assert_eq!(find(&slots, 0, |_| false), None);
    }

    #[test]
    fn words_all_matter() {
        let a = hash([1, 2, 3, 4]);
        assert_ne!(a, hash([1, 2, 3, 5]));
        assert_ne!(a, hash([0, 2, 3, 4]));
        assert_ne!(a, hash([1, 3, 3, 4]));
    }
}
