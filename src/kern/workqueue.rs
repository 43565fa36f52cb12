// SPDX-License-Identifier: GPL-2.0
//! The periodic work items: the collector's, and connection sync's.

use super::bindings as b;
use super::module;
use super::sync::GcGuard;

/// The periodic GC work; stops (and waits for a running tick) on drop.
pub(crate) struct GcWork(());

impl GcWork {
    /// Starts calling `rvs_gc_tick` every `period_ms`.
    pub(crate) fn start(period_ms: u32) -> Self {
        // SAFETY: the work item is static; `Drop` stops it.
        unsafe { b::rvs_gc_start(period_ms) };
        GcWork(())
    }
}

impl Drop for GcWork {
    fn drop(&mut self) {
        // SAFETY: cancels and waits for the static work item.
        unsafe { b::rvs_gc_stop() }
    }
}

/// The collector's tick (workqueue context), under the collector's mutex.
#[no_mangle]
pub(crate) extern "C" fn rvs_gc_tick() {
    let gc = GcGuard::lock();
    if let Some(st) = module::state_gc(&gc) {
        crate::gc_tick(st, &gc);
    }
}

/// Connection sync's periodic work (`crate::sync::tick`: the masters'
/// queued messages sent); stops (and waits for a running tick) on drop.
pub(crate) struct SyncWork(());

impl SyncWork {
    /// Starts calling `rvs_sync_tick` every `period_ms`.
    pub(crate) fn start(period_ms: u32) -> Self {
        // SAFETY: the work item is static; `Drop` stops it.
        unsafe { b::rvs_sync_work_start(period_ms) };
        SyncWork(())
    }
}

impl Drop for SyncWork {
    fn drop(&mut self) {
        // SAFETY: cancels and waits for the static work item.
        unsafe { b::rvs_sync_work_stop() }
    }
}

/// Has the sync work run as soon as it can (a master's queue is filling).
/// Any context. Only the packet path calls it, between the hooks'
/// registration and their removal, both inside `SyncWork`'s life
/// (`rvs_main.rs`'s order): it never requeues a stopped work.
pub(crate) fn sync_work_now() {
    // SAFETY: the work item is static and initialised; queueing it is
    // allowed from any context.
    unsafe { b::rvs_sync_work_now() }
}

/// Sync's tick (workqueue context), under the configuration mutex: the
/// set of masters changes only under it, and sending may sleep.
#[no_mangle]
pub(crate) extern "C" fn rvs_sync_tick() {
    // Most directors run no master: then the tick costs one RCU read, not
    // the configuration mutex. (A master started after this look is sent
    // for at the next tick.)
    {
        let g = super::rcu::RcuGuard::new();
        match module::state_rcu(&g) {
            Some(st) if crate::sync::any(st, &g) => {}
            _ => return,
        }
    }
    let cfg = super::sync::CfgGuard::lock();
    if let Some(st) = module::state_cfg(&cfg) {
        crate::sync::tick(st, &cfg);
    }
}
