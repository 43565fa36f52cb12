// SPDX-License-Identifier: GPL-2.0
//! Cached routes (`struct dst_entry`) of connections and real servers.

use super::bindings as b;
use core::ffi::c_void;

/// A cached route: of one direction of a connection, or toward a real
/// server (see `rvs_route_cached_v4` and `_v6`), with the cookie an IPv6
/// route is checked against (unused for IPv4).
///
/// # Invariants
/// The slot holds null or a `struct dst_entry` this value holds a reference
/// to; only the C helpers change it (atomically), and the cookie
/// (READ_ONCE/WRITE_ONCE).
pub(crate) struct RouteCache(core::cell::UnsafeCell<*mut c_void>, core::cell::UnsafeCell<u32>);

// SAFETY: the slot is only read and swapped atomically by the C helpers
// (READ_ONCE/xchg), the cookie only read and written whole by them
// (READ_ONCE/WRITE_ONCE), and dst entries may be used and released on any
// CPU.
unsafe impl Send for RouteCache {}
// SAFETY: see `Send`.
unsafe impl Sync for RouteCache {}

impl RouteCache {
    pub(crate) const fn new() -> Self {
        RouteCache(core::cell::UnsafeCell::new(core::ptr::null_mut()), core::cell::UnsafeCell::new(0))
    }
}

impl Drop for RouteCache {
    fn drop(&mut self) {
        // SAFETY: the slot holds null or a referenced dst (invariant);
        // the helper swaps it out and drops that reference. A packet may
        // still borrow it (a connection's slot, or a real server's direct
        // routing slot) only under RCU, and a dst whose last reference
        // goes is freed only after a grace period.
        unsafe { b::rvs_route_cache_drop(self.0.get()) }
    }
}

/// A tunnelling real server's route with the source address it gives
/// (`rvs_tunnel`), one record published under RCU.
///
/// # Invariants
/// The slot holds null or a record `rvs_tunnel`'s helpers allocated
/// (holding a dst reference); only they change it (atomically).
pub(crate) struct TunRoute(core::cell::UnsafeCell<*mut c_void>);

// SAFETY: as `RouteCache`: the slot is only read and swapped atomically by
// the C helpers, and records are freed after a grace period.
unsafe impl Send for TunRoute {}
// SAFETY: see `Send`.
unsafe impl Sync for TunRoute {}

impl TunRoute {
    pub(crate) const fn new() -> Self {
        TunRoute(core::cell::UnsafeCell::new(core::ptr::null_mut()))
    }

    /// The slot, for the helpers of this layer.
    pub(super) fn slot(&self) -> *mut *mut c_void {
        self.0.get()
    }
}

impl Drop for TunRoute {
    fn drop(&mut self) {
        // SAFETY: the slot holds null or a record of the helpers
        // (invariant); the helper swaps it out, drops its dst reference
        // and frees it after a grace period, past any packet reading it.
        unsafe { b::rvs_tun_route_drop(self.0.get()) }
    }
}

impl RouteCache {
    /// Empties the slot (the next packet looks the route up again).
    pub(crate) fn clear(&self) {
        // SAFETY: the slot holds null or a referenced dst (invariant); the
        // helper swaps it out atomically and drops that reference. A
        // packet that borrowed it under RCU is safe: a dst whose last
        // reference goes is freed only after a grace period.
        unsafe { b::rvs_route_cache_drop(self.0.get()) }
    }

    /// The slot, for the helpers of this layer.
    pub(super) fn slot(&self) -> *mut *mut c_void {
        self.0.get()
    }

    /// The IPv6 cookie of the slot's route, for the helpers of this layer.
    pub(super) fn cookie(&self) -> *mut u32 {
        self.1.get()
    }
}
