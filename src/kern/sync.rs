// SPDX-License-Identifier: GPL-2.0
//! Locks: the connection table's striped bucket locks, and the two
//! mutexes of the control side (configuration, collector).

use super::bindings as b;
use kernel::prelude::*;

/// The striped bucket locks of the connection table (one set per module:
/// the C side refuses a second).
///
/// # Invariants
/// The C lock array is initialised while a value exists.
pub(crate) struct StripeLocks {
    mask: u32,
}

impl StripeLocks {
    /// Initialises `n` locks; `n` must be a power of two.
    pub(super) fn new(n: u32) -> Result<Self> {
        if !n.is_power_of_two() {
            return Err(EINVAL);
        }
        // SAFETY: the helper refuses to replace a live array (EBUSY);
        // `Drop` frees the one made here.
        let r = unsafe { b::rvs_locks_init(n) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        // INVARIANT: initialised just above.
        Ok(StripeLocks { mask: n - 1 })
    }

    /// Which lock guards bucket `bucket`.
    fn stripe(&self, bucket: u32) -> u32 {
        bucket & self.mask
    }

    /// Locks the stripes of buckets `a` and `b` (one lock if they share
    /// it), lowest first so that two lockers never wait on each other,
    /// bottom halves off, until the guard drops.
    pub(super) fn lock2(&self, a: u32, b: u32) -> StripeGuard<'_> {
        let (lo, hi) = {
            let (x, y) = (self.stripe(a), self.stripe(b));
            (x.min(y), x.max(y))
        };
        // SAFETY: the array is initialised (type invariant); indices are
        // taken modulo its size.
        unsafe { b::rvs_lock_bh(lo) };
        let hi = if hi != lo {
            // SAFETY: as above; `lo` is held and `hi > lo`, the one nesting
            // order ever used, which the lockdep annotation states.
            unsafe { b::rvs_lock_nested(hi) };
            Some(hi)
        } else {
            None
        };
        StripeGuard { _l: self, lo, hi }
    }
}

impl Drop for StripeLocks {
    fn drop(&mut self) {
        // SAFETY: no guard outlives `self` (they borrow it).
        unsafe { b::rvs_locks_free() }
    }
}

/// One or two held stripe locks.
pub(crate) struct StripeGuard<'a> {
    _l: &'a StripeLocks,
    lo: u32,
    hi: Option<u32>,
}

impl Drop for StripeGuard<'_> {
    fn drop(&mut self) {
        if let Some(hi) = self.hi {
            // SAFETY: locked (nested) by this guard.
            unsafe { b::rvs_unlock(hi) }
        }
        // SAFETY: locked by this guard.
        unsafe { b::rvs_unlock_bh(self.lo) }
    }
}

/// The collector's mutex, held while the guard lives: the collector's tick
/// and a namespace's cleanup, the only code that unlinks connections, never
/// run at once.
pub(crate) struct GcGuard(());

impl GcGuard {
    /// Takes the mutex (may sleep).
    pub(crate) fn lock() -> Self {
        // SAFETY: a static mutex; callers are in process context.
        unsafe { b::rvs_gc_lock() };
        GcGuard(())
    }
}

impl Drop for GcGuard {
    fn drop(&mut self) {
        // SAFETY: locked in `lock`.
        unsafe { b::rvs_gc_unlock() }
    }
}

/// The configuration mutex, held while the guard lives. Neither Send nor
/// Sync (the raw-pointer marker): it is released by the thread that took
/// it, and only that thread uses what it guards (`CfgCell`).
pub(crate) struct CfgGuard(core::marker::PhantomData<*mut ()>);

impl CfgGuard {
    /// Takes the mutex (may sleep).
    pub(crate) fn lock() -> Self {
        // SAFETY: a static mutex; callers are in process context.
        unsafe { b::rvs_cfg_lock() };
        CfgGuard(core::marker::PhantomData)
    }
}

impl Drop for CfgGuard {
    fn drop(&mut self) {
        // SAFETY: locked in `lock`.
        unsafe { b::rvs_cfg_unlock() }
    }
}


/// A value read and written only under the configuration mutex: what the
/// control plane keeps for itself in a place the packet path also reaches
/// (a namespace's settings), without a lock of its own.
pub(crate) struct CfgCell<T>(core::cell::UnsafeCell<T>);

// SAFETY: the value is reached only through `get` and `set`, each of which
// needs a `CfgGuard`. A guard is made only by `CfgGuard::lock`, after the
// mutex is taken, and lives no longer than the hold (its `Drop` releases
// it); it is neither Send nor Sync, so it stays with the thread that holds
// the mutex. Hence only that one thread touches the value at a time.
// `T: Send` as it may be written by one thread and read by another.
unsafe impl<T: Send> Sync for CfgCell<T> {}

impl<T: Copy> CfgCell<T> {
    pub(crate) const fn new(v: T) -> Self {
        CfgCell(core::cell::UnsafeCell::new(v))
    }

    /// A copy of the value.
    pub(crate) fn get(&self, _cfg: &CfgGuard) -> T {
        // SAFETY: the mutex the guard holds excludes every other access
        // (see `Sync` above), and no reference into the cell outlives a
        // call (values go in and out by copy), so this read overlaps no
        // write.
        unsafe { *self.0.get() }
    }

    /// Replaces the value.
    pub(crate) fn set(&self, _cfg: &CfgGuard, v: T) {
        // SAFETY: as in `get`: the only access at this moment.
        unsafe { *self.0.get() = v }
    }
}

/// Softirqs off on this CPU while it lives: a process-context taker of a
/// lock that the packet path (softirq) also takes holds one, so that the
/// packet path never spins on a lock its own CPU holds.
pub(crate) struct BhOff(core::marker::PhantomData<*mut ()>);

impl BhOff {
    pub(crate) fn new() -> Self {
        // SAFETY: paired with the enable in `Drop`; the guard is not Send
        // (the raw-pointer marker), so it ends on the CPU it began on.
        unsafe { b::rvs_local_bh_disable() };
        BhOff(core::marker::PhantomData)
    }
}

impl Drop for BhOff {
    fn drop(&mut self) {
        // SAFETY: `new` disabled them on this CPU.
        unsafe { b::rvs_local_bh_enable() };
    }
}
