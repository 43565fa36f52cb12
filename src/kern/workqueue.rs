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

/// Connection sync's receive work (`crate::sync_backup::receive`), queued
/// by a backup's socket as datagrams arrive: allowed to be queued while
/// this lives; on drop, no arrival queues it any more and a run in
/// progress is waited for.
pub(crate) struct SyncRxWork(());

impl SyncRxWork {
    pub(crate) fn start() -> Self {
        // SAFETY: sets a flag the static work item's queueing reads;
        // `Drop` clears it.
        unsafe { b::rvs_sync_rx_start() };
        SyncRxWork(())
    }
}

impl Drop for SyncRxWork {
    fn drop(&mut self) {
        // SAFETY: clears the flag, waits for a grace period and cancels
        // (waiting for) the static work item; process context.
        unsafe { b::rvs_sync_rx_stop() }
    }
}

/// The receive work's body (workqueue context), under the configuration
/// mutex, which the set of backups changes under and which keeps a
/// namespace's exit from taking a socket being read. True: there is more
/// to read, run again.
#[no_mangle]
pub(crate) extern "C" fn rvs_sync_rx() -> bool {
    let cfg = super::sync::CfgGuard::lock();
    match module::state_cfg(&cfg) {
        Some(st) => crate::sync_backup::receive(st, &cfg),
        None => false,
    }
}
