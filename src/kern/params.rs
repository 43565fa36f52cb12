// SPDX-License-Identifier: GPL-2.0
//! Module parameters (C side: `helpers.c`): the two read at load, and the
//! text interface's `ctl` (write) and `stats` (read), whose callbacks go
//! through the trampolines here into the director's `ctl`.

use super::bindings as b;
use super::module;
use super::net::NetRef;
use super::sync::CfgGuard;
use core::ffi::{c_char, c_int};
use kernel::prelude::*;

/// Module parameter `conn_tab_bits`.
pub(crate) fn param_conn_tab_bits() -> u32 {
    // SAFETY: reads a 0444 parameter.
    unsafe { b::rvs_param_conn_tab_bits() }
}

/// Module parameter `max_conns`.
pub(crate) fn param_max_conns() -> u32 {
    // SAFETY: reads a 0444 parameter.
    unsafe { b::rvs_param_max_conns() }
}


/// Called by the `ctl` parameter's setter (process context): one command
/// for the writer's namespace.
#[no_mangle]
pub(crate) extern "C" fn rvs_ctl_write(buf: *const c_char, len: usize) -> c_int {
    // SAFETY: the parameter code passes a string of `len` bytes that
    // outlives this call.
    let line = unsafe { core::slice::from_raw_parts(buf as *const u8, len) };
    // The writer's namespace: services are added to and looked up in it.
    let net = NetRef::current();
    let cfg = CfgGuard::lock();
    let Some(st) = module::state_cfg(&cfg) else { return ENODEV.to_errno() };
    match crate::ctl::write(st, &cfg, net, line) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Called by the `stats` parameter's getter (process context): fills `buf`
/// (`len` bytes) with what the reader's namespace may see, returns the
/// bytes written.
#[no_mangle]
pub(crate) extern "C" fn rvs_stats_read(buf: *mut c_char, len: usize) -> c_int {
    // SAFETY: the parameter code passes a writable buffer of `len` bytes,
    // not otherwise used during this call.
    let out = unsafe { core::slice::from_raw_parts_mut(buf as *mut u8, len) };
    let reader = NetRef::current();
    let cfg = CfgGuard::lock();
    let Some(st) = module::state_cfg(&cfg) else { return ENODEV.to_errno() };
    crate::ctl::read_stats(st, &cfg, reader, out) as c_int
}
