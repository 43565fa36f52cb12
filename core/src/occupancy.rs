// SPDX-License-Identifier: GPL-2.0
//! Which buckets of the connection table may hold entries: one bit per
//! bucket, so that the collector's sweep reads 64 buckets' worth of state
//! in one word and skips the empty ones. With 2^20 buckets and a few
//! connections, a full sweep reads 128 KiB of bits instead of 8 MiB of
//! chain heads (and, under emulation, 16,384 loads instead of 1,048,576).
//!
//! The bits may be stale in one direction only: a set bit over an empty
//! bucket (cleared by the next sweep that looks), never a clear bit over
//! a bucket with entries. Inserters link the entry first and mark the
//! bucket after; the sweep clears a bit before it reads the bucket and
//! sets it again if entries remain. Both are read-modify-writes of the
//! same word, so one of them comes first: if the mark does, the clear
//! reads (and acquires) it, and the walk that follows sees the new entry;
//! if the clear does, the mark leaves the bit set.
//!
//! The caller owns the words (`words_for(buckets)` of them, zero).

use core::sync::atomic::AtomicU64;
use core::sync::atomic::Ordering::{AcqRel, Relaxed};

/// Words for a table of `buckets` buckets.
pub const fn words_for(buckets: usize) -> usize {
    buckets.div_ceil(64)
}

/// The bitmap of a table of `words.len() * 64` buckets or fewer.
pub struct Occupancy<'a> {
    words: &'a [AtomicU64],
}

impl<'a> Occupancy<'a> {
    /// A view over the caller's words.
    pub fn new(words: &'a [AtomicU64]) -> Self {
        Occupancy { words }
    }

    /// Bucket `b` holds an entry linked just before. Buckets past the end
    /// are ignored.
    pub fn mark(&self, b: u32) {
        if let Some(w) = self.words.get((b / 64) as usize) {
            w.fetch_or(1 << (b % 64), AcqRel);
        }
    }

    /// Walks the marked buckets among `[start, start + n)` (wrapping at the
    /// end of the table, whose size `mask + 1` is a power of two): clears
    /// each one's bit, calls `walk(b)`, and marks `b` again if `walk` says
    /// entries remain. `start` and `n` are rounded to whole words.
    pub fn sweep(&self, start: u32, n: u32, mask: u32, mut walk: impl FnMut(u32) -> bool) {
        self.each_marked(start, n, mask, |w, bit, b| {
            // Acquire: pairs with the mark of an entry linked since.
            w.fetch_and(!(1u64 << bit), AcqRel);
            if walk(b) {
                w.fetch_or(1 << bit, AcqRel);
            }
        });
    }

    /// Calls `f(b)` for the marked buckets among `[start, start + n)`, as
    /// `sweep` walks them, changing no bit (a reader beside the sweeper).
    pub fn marked(&self, start: u32, n: u32, mask: u32, mut f: impl FnMut(u32)) {
        self.each_marked(start, n, mask, |_, _, b| f(b));
    }

    /// The marked buckets of a slice: each one's word, bit and number.
    fn each_marked(&self, start: u32, n: u32, mask: u32, mut f: impl FnMut(&AtomicU64, u32, u32)) {
        // The table's words: a power of two (or 1), so a mask wraps. Words
        // the caller did not supply are skipped.
        let nwords = mask / 64 + 1;
        let first = start / 64;
        let count = n.div_ceil(64).min(nwords);
        for i in 0..count {
            let wi = (first.wrapping_add(i) & (nwords - 1)) as usize;
            let Some(w) = self.words.get(wi) else { continue };
            let mut bits = w.load(Relaxed);
            while bits != 0 {
                let bit = bits.trailing_zeros();
                bits &= bits - 1;
                let b = wi as u32 * 64 + bit;
                if b > mask {
                    continue;
                }
                f(w, bit, b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize) -> Vec<AtomicU64> {
        (0..words_for(n)).map(|_| AtomicU64::new(0)).collect()
    }

    fn swept(o: &Occupancy, start: u32, n: u32, mask: u32) -> Vec<u32> {
        let mut v = Vec::new();
        o.sweep(start, n, mask, |b| {
            v.push(b);
            false
        });
        v
    }

    #[test]
    fn marked_buckets_are_walked_once_then_forgotten() {
        let w = words(1 << 10);
        let o = Occupancy::new(&w);
        for b in [0, 5, 63, 64, 700, 1023] {
            o.mark(b);
        }
        o.mark(5); // twice: one bit
        assert_eq!(swept(&o, 0, 1024, 1023), vec![0, 5, 63, 64, 700, 1023]);
        assert_eq!(swept(&o, 0, 1024, 1023), Vec::<u32>::new());
    }

    #[test]
    fn buckets_with_entries_stay_marked() {
        let w = words(256);
        let o = Occupancy::new(&w);
        o.mark(3);
        o.mark(200);
        let mut seen = Vec::new();
        o.sweep(0, 256, 255, |b| {
            seen.push(b);
            b == 200 // 200 keeps an entry, 3 does not
        });
        assert_eq!(seen, vec![3, 200]);
        assert_eq!(swept(&o, 0, 256, 255), vec![200]);
    }

    #[test]
    fn slices_cover_the_table_and_wrap() {
        let w = words(1 << 12);
        let o = Occupancy::new(&w);
        let all: Vec<u32> = (0..4096).step_by(37).collect();
        for &b in &all {
            o.mark(b);
        }
        // Four slices of a quarter each, starting mid-table, as the
        // collector's cursor moves: every bucket once.
        let mut got = Vec::new();
        for k in 0..4u32 {
            got.extend(swept(&o, 2048 + k * 1024, 1024, 4095));
        }
        got.sort_unstable();
        assert_eq!(got, all);
    }

    #[test]
    fn small_tables_and_out_of_range() {
        let w = words(256);
        let o = Occupancy::new(&w);
        o.mark(255);
        o.mark(256); // past the words: ignored
        o.mark(u32::MAX);
        // A slice longer than the table walks it once.
        assert_eq!(swept(&o, 100, 1 << 20, 255), vec![255]);
        let none: [AtomicU64; 0] = [];
        Occupancy::new(&none).sweep(0, 64, 63, |_| panic!("no buckets"));
    }

    #[test]
    fn reading_the_marks_changes_none() {
        let w = words(1 << 10);
        let o = Occupancy::new(&w);
        for b in [1, 64, 900] {
            o.mark(b);
        }
        let mut seen = Vec::new();
        o.marked(0, 1024, 1023, |b| seen.push(b));
        assert_eq!(seen, vec![1, 64, 900]);
        // A slice, wrapping.
        let mut seen = Vec::new();
        o.marked(896, 256, 1023, |b| seen.push(b));
        assert_eq!(seen, vec![900, 1, 64]);
        assert_eq!(swept(&o, 0, 1024, 1023), vec![1, 64, 900]);
    }

    #[test]
    fn a_mark_during_the_walk_survives() {
        // An entry linked into a bucket while the sweep walks it (after the
        // bit was cleared): the inserter's mark leaves the bit set.
        let w = words(128);
        let o = Occupancy::new(&w);
        o.mark(70);
        o.sweep(0, 128, 127, |b| {
            o.mark(b);
            false
        });
        assert_eq!(swept(&o, 0, 128, 127), vec![70]);
    }
}
