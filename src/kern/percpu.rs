// SPDX-License-Identifier: GPL-2.0
//! Per-CPU counters.

use super::bindings as b;
use core::ffi::c_void;
use kernel::prelude::*;

/// Per-CPU u64 counters, `n` of them per CPU.
///
/// # Invariants
/// `p` is a per-CPU allocation of `n` u64 per CPU, freed on drop.
pub(crate) struct PerCpu {
    p: *mut c_void,
    n: u32,
}

// SAFETY: per-CPU counters are updated with this_cpu_add (safe from any
// context on the local CPU) and read by summing; sharing is their purpose.
unsafe impl Send for PerCpu {}
// SAFETY: see `Send`.
unsafe impl Sync for PerCpu {}

impl PerCpu {
    /// Allocates `n` zeroed counters per CPU.
    pub(crate) fn new(n: u32) -> Result<Self> {
        // SAFETY: plain allocation.
        let p = unsafe { b::rvs_pcpu_alloc(n) };
        if p.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: allocated just above with `n` counters.
        Ok(PerCpu { p, n })
    }

    /// Adds `v` to counter `idx` on this CPU.
    #[inline]
    pub(crate) fn add(&self, idx: u32, v: u64) {
        if idx < self.n {
            // SAFETY: `p` is valid with `n` counters and `idx < n`.
            unsafe { b::rvs_pcpu_add(self.p, idx, v) }
        }
    }

    /// Adds `a` to counter `idx` and `b` to counter `idx + 1` of each
    /// block given, on this CPU, in one call (a packet's accounting).
    /// Blocks too short for the pair are skipped.
    #[inline]
    pub(crate) fn add_pairs(blocks: [Option<(&PerCpu, u32)>; 4], a: u64, b: u64) {
        let mut p = [core::ptr::null_mut::<c_void>(); 4];
        let mut idx = [0u32; 4];
        for (i, blk) in blocks.iter().enumerate() {
            if let Some((c, j)) = *blk {
                if j.checked_add(1).is_some_and(|k| k < c.n) {
                    p[i] = c.p;
                    idx[i] = j;
                }
            }
        }
        // SAFETY: each non-null `p[i]` is a live block (borrowed above) of
        // `n` counters with `idx[i] + 1 < n`; null entries are skipped.
        unsafe { b::rvs_pcpu_add_pairs(p.as_ptr(), idx.as_ptr(), a, b) }
    }

    /// The sum over all CPUs of counter `idx`.
    pub(crate) fn sum(&self, idx: u32) -> u64 {
        if idx >= self.n {
            return 0;
        }
        // SAFETY: `p` is valid with `n` counters and `idx < n`.
        unsafe { b::rvs_pcpu_sum(self.p, idx) }
    }
}

impl Drop for PerCpu {
    fn drop(&mut self) {
        // SAFETY: allocated by `rvs_pcpu_alloc`, freed once here.
        unsafe { b::rvs_pcpu_free(self.p) }
    }
}
