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

/// Entry `idx`: its name, kind (0: integer within `min..=max`; 1: text;
/// 2: text for root only); non-zero past the last.
#[no_mangle]
pub(crate) extern "C" fn rvs_sysctl_info(idx: c_uint, name: *mut *const c_char, min: *mut c_int, max: *mut c_int, kind: *mut c_int) -> c_int {
    use crate::sysctl::Kind;
    let Some((n, k)) = crate::sysctl::info(idx) else { return 1 };
    let (lo, hi, kd) = match k {
        Kind::Int { min, max } => (min, max, 0),
        Kind::Text { secret } => (0, 0, 1 + secret as c_int),
    };
    // SAFETY: the C caller passes valid pointers for the four results.
    unsafe {
        *name = n.as_ptr();
        *min = lo;
        *max = hi;
        *kind = kd;
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

/// The text of entry `idx` in namespace `net`, into `buf` (`len` bytes,
/// NUL-terminated); 0 or a negative errno.
#[no_mangle]
pub(crate) extern "C" fn rvs_sysctl_get_text(net: *mut b::net, idx: c_uint, buf: *mut c_char, len: usize) -> c_int {
    // SAFETY: as in `rvs_sysctl_get`.
    let net = unsafe { NetRef::from_raw(net) };
    // SAFETY: the C caller passes a buffer of `len` writable bytes that
    // nothing else reaches during the call.
    let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), len) };
    let Some((end, body)) = out.split_last_mut() else { return EINVAL.to_errno() };
    let cfg = CfgGuard::lock();
    match crate::sysctl::get_text(&cfg, net, idx, body) {
        Ok(n) => {
            // `n <= body.len()`, so the terminator fits (`end` covers
            // the full case).
            if let Some(b) = body.get_mut(n) {
                *b = 0;
            } else {
                *end = 0;
            }
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Sets text entry `idx` of namespace `net` from the `len` bytes at `text`.
#[no_mangle]
pub(crate) extern "C" fn rvs_sysctl_set_text(net: *mut b::net, idx: c_uint, text: *const c_char, len: usize) -> c_int {
    // SAFETY: as in `rvs_sysctl_get`.
    let net = unsafe { NetRef::from_raw(net) };
    // SAFETY: the C caller passes `len` readable bytes, unchanged during
    // the call.
    let text = unsafe { core::slice::from_raw_parts(text.cast::<u8>(), len) };
    let cfg = CfgGuard::lock();
    match crate::sysctl::set_text(&cfg, net, idx, text) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
