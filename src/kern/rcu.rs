// SPDX-License-Identifier: GPL-2.0
//! RCU: read sections, grace periods, and a value published under RCU.

use super::bindings as b;
use super::sync::CfgGuard;
use core::sync::atomic::AtomicPtr;
use kernel::prelude::*;

/// Waits for every RCU reader that started before the call.
pub(crate) fn synchronize_rcu() {
    // SAFETY: process context only (callers: config and GC work).
    unsafe { b::rvs_synchronize_rcu() }
}

/// Waits for every RCU reader that started before the call, the
/// networking way (expedited while RTNL is held).
pub(crate) fn synchronize_net() {
    // SAFETY: process context only (caller: the device notifier).
    unsafe { b::rvs_synchronize_net() }
}

/// Lets the scheduler run something else, and RCU see a quiescent state,
/// in a long loop of process context.
pub(crate) fn cond_resched() {
    // SAFETY: process context, outside any RCU read section or spinlock
    // (callers say so).
    unsafe { b::rvs_cond_resched() }
}

/// Proof that an RCU read-side critical section is open; dropping it closes
/// the section.
///
/// # Invariants
/// If `locked`, this guard opened the section and closes it when dropped;
/// otherwise a section its creator vouched for stays open while it lives.
pub(crate) struct RcuGuard {
    locked: bool,
    _not_send: core::marker::PhantomData<*mut ()>,
}

impl RcuGuard {
    /// Opens a read-side critical section (nests; cheap).
    pub(crate) fn new() -> Self {
        // SAFETY: rcu_read_lock has no preconditions; `Drop` unlocks. The
        // guard is !Send, so it is unlocked on the CPU/task that locked it.
        unsafe { b::rvs_rcu_read_lock() };
        // INVARIANT: locked just above.
        RcuGuard { locked: true, _not_send: core::marker::PhantomData }
    }

    /// Proof of a read-side critical section the caller is already in (a
    /// netfilter hook: `nf_hook` calls the hooks under `rcu_read_lock`),
    /// without taking it again: two calls fewer per packet.
    ///
    /// # Safety
    /// The caller must be inside an RCU read-side critical section that
    /// lasts at least as long as the returned guard.
    pub(super) unsafe fn held_by_caller() -> Self {
        // INVARIANT: the caller vouches for the open section.
        RcuGuard { locked: false, _not_send: core::marker::PhantomData }
    }
}

impl Drop for RcuGuard {
    fn drop(&mut self) {
        if self.locked {
            // SAFETY: locked in `new` (type invariant).
            unsafe { b::rvs_rcu_read_unlock() }
        }
    }
}

/// A heap value published under RCU: readers borrow it for the length of
/// their read section; a writer replaces it and frees the old one after a
/// grace period.
///
/// # Invariants
/// `p` always points to a live value from `KBox::into_raw`.
pub(crate) struct RcuBox<T> {
    p: AtomicPtr<T>,
}

// SAFETY: readers only get `&T`, shared across CPUs; so T must be Sync.
unsafe impl<T: Sync + Send> Sync for RcuBox<T> {}
// SAFETY: the box owns a `T`.
unsafe impl<T: Send> Send for RcuBox<T> {}

impl<T> RcuBox<T> {
    /// Publishes `v`.
    pub(crate) fn new(v: KBox<T>) -> Self {
        // INVARIANT: from `KBox::into_raw`.
        RcuBox { p: AtomicPtr::new(KBox::into_raw(v)) }
    }

    /// The current value, for the length of the read section `_g`.
    pub(crate) fn read<'a>(&'a self, _g: &'a RcuGuard) -> &'a T {
        let p = self.p.load(core::sync::atomic::Ordering::Acquire);
        // SAFETY: `p` is live (type invariant); a replaced value is freed
        // only after a grace period, which cannot end while `_g` is held.
        unsafe { &*p }
    }

    /// The current value, for a writer: values are replaced only under the
    /// configuration mutex, which `_cfg` proves is held, so the value lives
    /// at least as long as the borrow (rcu_dereference_protected).
    pub(crate) fn read_locked<'a>(&'a self, _cfg: &'a CfgGuard) -> &'a T {
        let p = self.p.load(core::sync::atomic::Ordering::Acquire);
        // SAFETY: `p` is live (type invariant) and only a holder of the
        // configuration mutex replaces (and frees) it.
        unsafe { &*p }
    }

    /// Publishes `v` in place of the current value, waits for the readers
    /// of the old one, then frees it. Process context, under the
    /// configuration mutex.
    pub(crate) fn replace(&self, _cfg: &CfgGuard, v: KBox<T>) {
        let old = self.p.swap(KBox::into_raw(v), core::sync::atomic::Ordering::AcqRel);
        synchronize_rcu();
        // SAFETY: `old` came from `KBox::into_raw` and no reader can still
        // hold it after the grace period.
        drop(unsafe { KBox::from_raw(old) });
    }
}

impl<T> Drop for RcuBox<T> {
    fn drop(&mut self) {
        // SAFETY: owned and live by the type invariant; no reader remains
        // once the owner is dropped (hooks are unregistered first).
        drop(unsafe { KBox::from_raw(*self.p.get_mut()) });
    }
}
