// SPDX-License-Identifier: GPL-2.0
//! The sysctls under net/ipv4/vs (C side: the table in `proc.c`), and the
//! trampolines its handlers go through into the director's `sysctl`.

use super::bindings as b;
use super::module;
use super::sync::CfgGuard;
use core::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;

/// The sysctls under net/ipv4/vs (`proc.c`), present while a value
/// exists.
pub(crate) struct Sysctls(());

impl Sysctls {
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: a static table; `Drop` unregisters (waiting for handlers
        // in progress) before the state is freed.
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

/// The value of entry `idx`.
#[no_mangle]
pub(crate) extern "C" fn rvs_sysctl_get(idx: c_uint, val: *mut c_int) -> c_int {
    let cfg = CfgGuard::lock();
    let Some(st) = module::state_cfg(&cfg) else { return ENODEV.to_errno() };
    match crate::sysctl::get(st, &cfg, idx) {
        Ok(v) => {
            // SAFETY: the C caller passes a valid pointer.
            unsafe { *val = v };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Sets entry `idx` to `val` (already within the entry's bounds).
#[no_mangle]
pub(crate) extern "C" fn rvs_sysctl_set(idx: c_uint, val: c_int) -> c_int {
    let cfg = CfgGuard::lock();
    let Some(st) = module::state_cfg(&cfg) else { return ENODEV.to_errno() };
    match crate::sysctl::set(st, &cfg, idx, val) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
