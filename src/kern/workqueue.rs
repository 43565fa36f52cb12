// SPDX-License-Identifier: GPL-2.0
//! The periodic work item of the collector.

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
