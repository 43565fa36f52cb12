// SPDX-License-Identifier: GPL-2.0
//! Large zeroed arrays of atomics (kvzalloc: big ones come from vmalloc).

use super::bindings as b;
use core::ffi::c_void;
use core::sync::atomic::{AtomicPtr, AtomicU64};
use kernel::prelude::*;

/// Atomic types whose all-zero bit pattern is a valid value.
///
/// # Safety
/// Implementors must be valid when zero-initialised.
pub(crate) unsafe trait ZeroValid {}
// SAFETY: a zeroed `AtomicPtr` is a null pointer.
unsafe impl<T> ZeroValid for AtomicPtr<T> {}
// SAFETY: a zeroed `AtomicU64` is 0.
unsafe impl ZeroValid for AtomicU64 {}

/// A zeroed array of `n` atomics, allocated with kvzalloc (large tables
/// come from vmalloc).
///
/// # Invariants
/// `p` points to `n` zero-initialised `A` slots, freed on drop.
pub(crate) struct Zeroed<A: ZeroValid> {
    p: *mut A,
    n: usize,
}

/// The RCU-published list heads of a hash table.
pub(crate) type Heads<T> = Zeroed<AtomicPtr<T>>;

// SAFETY: the slots are atomics; what they may point to is managed by
// their owner.
unsafe impl<A: ZeroValid> Send for Zeroed<A> {}
// SAFETY: see `Send`.
unsafe impl<A: ZeroValid> Sync for Zeroed<A> {}

impl<A: ZeroValid> Zeroed<A> {
    /// `n` zeroed slots.
    pub(crate) fn new(n: usize) -> Result<Self> {
        let size = n.checked_mul(core::mem::size_of::<A>()).ok_or(ENOMEM)?;
        // SAFETY: plain allocation.
        let p = unsafe { b::rvs_kvzalloc(size) } as *mut A;
        if p.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: zeroed memory is a valid `A` (`ZeroValid`).
        Ok(Zeroed { p, n })
    }

    /// The slots as a slice.
    pub(crate) fn as_slice(&self) -> &[A] {
        // SAFETY: `p` holds `n` initialised slots by the type invariant.
        unsafe { core::slice::from_raw_parts(self.p, self.n) }
    }
}

impl<A: ZeroValid> Drop for Zeroed<A> {
    fn drop(&mut self) {
        // SAFETY: allocated by `rvs_kvzalloc`, freed once here.
        unsafe { b::rvs_kvfree(self.p as *mut c_void) }
    }
}
