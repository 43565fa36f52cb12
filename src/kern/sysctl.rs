// SPDX-License-Identifier: GPL-2.0
//! The sysctls under net/ipv4/vs, a table per namespace (C side: the
//! tables in `proc.c`), and the trampolines their handlers go through into
//! the director's `sysctl`.

use super::bindings as b;
use super::net::NetRef;
use super::sync::CfgGuard;
use core::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;

/// The sysctls under net/ipv4/vs of every namespace (`proc.c`), present
/// while a value exists. Made after the settings (`NetSettings`) and
/// dropped before them: a handler always finds its namespace's.
pub(crate) struct Sysctls(());

impl Sysctls {
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: static tables and pernet ops; `Drop` unregisters (waiting
        // for handlers in progress) before the settings go (`Rvs`'s order).
        let r = unsafe { b::rvs_sysctl_register() };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(Sysctls(()))
    }
}

impl Drop for Sysctls {
    fn drop(&mut self) {
        // SAFETY: registered in `register`.
        unsafe { b::rvs_sysctl_unregister() }
    }
}

/// Entry `idx`: its name and bounds; non-zero past the last.
#[no_mangle]
pub(crate) extern "C" fn rvs_sysctl_info(idx: c_uint, name: *mut *const c_char, min: *mut c_int, max: *mut c_int) -> c_int {
    let Some((n, lo, hi)) = crate::sysctl::info(idx) else { return 1 };
    // SAFETY: the C caller passes valid pointers for the three results.
    unsafe {
        *name = n.as_ptr();
        *min = lo;
        *max = hi;
    }
    0
}

/// The value of entry `idx` in namespace `net`.
#[no_mangle]
pub(crate) extern "C" fn rvs_sysctl_get(net: *mut b::net, idx: c_uint, val: *mut c_int) -> c_int {
    // SAFETY: a handler of `net`'s table runs before the table's
    // unregistration returns, which is in `net`'s exit.
    let net = unsafe { NetRef::from_raw(net) };
    let cfg = CfgGuard::lock();
    match crate::sysctl::get(&cfg, net, idx) {
        Ok(v) => {
            // SAFETY: the C caller passes a valid pointer.
            unsafe { *val = v };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Sets entry `idx` of namespace `net` to `val` (already within the
/// entry's bounds).
#[no_mangle]
pub(crate) extern "C" fn rvs_sysctl_set(net: *mut b::net, idx: c_uint, val: c_int) -> c_int {
    // SAFETY: as in `rvs_sysctl_get`.
    let net = unsafe { NetRef::from_raw(net) };
    let cfg = CfgGuard::lock();
    match crate::sysctl::set(&cfg, net, idx, val) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
