// SPDX-License-Identifier: GPL-2.0
//! The director's state, and the one way the C callbacks (hooks, netlink,
//! /proc, sysctls, parameters, the collector's work) reach it.
//!
//! The state is published in a static pointer for the callbacks that are
//! handed no pointer of ours. It is unpublished with both the
//! configuration and the collector's mutex held, then a grace period
//! passes, and only then is it freed. So a callback that holds either
//! mutex, or is inside an RCU read section, and finds the pointer set, may
//! use the state until it lets go of the mutex or the section: the
//! accessors below hand out references bounded by those guards. What the
//! unloading order (`rvs_main.rs`) adds is that no callback is left to
//! find the pointer unset; safety does not depend on it.

use super::rcu::{synchronize_rcu, RcuGuard};
use super::sync::{CfgGuard, GcGuard};
use crate::State;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering::*};
use kernel::prelude::*;

/// The published state; null outside the module's life.
static STATE: AtomicPtr<State> = AtomicPtr::new(ptr::null_mut());

/// Owns the published state; unpublishes and frees it when dropped.
///
/// # Invariants
/// `0` came from `KBox::into_raw` and is the value of `STATE` while this
/// value exists; there is at most one.
pub(crate) struct Published(*mut State);

// SAFETY: `State` is shared by design (its fields are Sync); the owner only
// frees it.
unsafe impl Send for Published {}
// SAFETY: see `Send`.
unsafe impl Sync for Published {}

impl Published {
    /// Publishes `st`. `EBUSY` if a state is published already.
    pub(crate) fn new(st: KBox<State>) -> Result<Self> {
        let p = KBox::into_raw(st);
        if STATE.compare_exchange(ptr::null_mut(), p, AcqRel, Acquire).is_err() {
            // SAFETY: from `KBox::into_raw` just above, never published.
            drop(unsafe { KBox::from_raw(p) });
            return Err(EBUSY);
        }
        // INVARIANT: published just above, in place of null.
        Ok(Published(p))
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        {
            let _cfg = CfgGuard::lock();
            let _gc = GcGuard::lock();
            STATE.store(ptr::null_mut(), Release);
        }
        // Readers inside an RCU read section may still hold the pointer.
        synchronize_rcu();
        // SAFETY: from `KBox::into_raw` (type invariant), unpublished: a
        // mutex holder sees null from now on, and every RCU reader that
        // saw it has finished.
        drop(unsafe { KBox::from_raw(self.0) });
    }
}

/// The state, for a holder of the configuration mutex; `None` before the
/// module published it or once it is going away.
pub(crate) fn state_cfg<'a>(_cfg: &'a CfgGuard) -> Option<&'a State> {
    let p = STATE.load(Acquire);
    // SAFETY: unpublishing takes the configuration mutex, which `_cfg`
    // holds for `'a`; the state is freed only after it is unpublished.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// The state, for a holder of the collector's mutex.
pub(crate) fn state_gc<'a>(_gc: &'a GcGuard) -> Option<&'a State> {
    let p = STATE.load(Acquire);
    // SAFETY: as in `state_cfg`, with the collector's mutex.
    (!p.is_null()).then(|| unsafe { &*p })
}

/// The state, for the length of an RCU read section.
pub(crate) fn state_rcu<'a>(_g: &'a RcuGuard) -> Option<&'a State> {
    let p = STATE.load(Acquire);
    // SAFETY: the state is freed only a grace period after it was
    // unpublished, and `_g` holds the read section open for `'a`.
    (!p.is_null()).then(|| unsafe { &*p })
}
