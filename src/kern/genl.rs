// SPDX-License-Identifier: GPL-2.0
//! The generic netlink family "IPVS": its registration (C side: the
//! family, its policies and ops in `genl.c`), the request and dump
//! contexts, and the two trampolines every command goes through, which
//! call the director's `genl::doit` / `genl::dumpit` under the
//! configuration mutex.

use super::bindings as b;
use super::module;
use super::net::NetRef;
use super::sync::CfgGuard;
use crate::rvs_core::ipvs_msg::{self as m, msg};
use core::ffi::{c_int, c_long, c_void};
use kernel::prelude::*;

/// The generic netlink family "IPVS" (`genl.c`), registered while
/// a value exists.
pub(crate) struct GenlFamily(());

impl GenlFamily {
    /// Registers the family. `EEXIST`: another "IPVS" family (ip_vs) is
    /// registered.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: the family is static; `Drop` unregisters it. Its ops reach
        // the state only through `super::module`, under the configuration
        // mutex.
        let r = unsafe { b::rvs_genl_register() };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(GenlFamily(()))
    }
}

impl Drop for GenlFamily {
    fn drop(&mut self) {
        // SAFETY: registered in `register`. Unregistering waits for running
        // doit calls (genl lock); a dump in progress holds a module
        // reference, so none is running when the module goes.
        unsafe { b::rvs_genl_unregister() }
    }
}

/// The extended ack of a running genetlink request (may be absent).
#[derive(Clone, Copy)]
pub(crate) struct Extack(*mut c_void);

impl Extack {
    /// # Safety
    /// `p` must be null or the extack of the running doit/dumpit call, and
    /// the value must not outlive that call.
    pub(super) unsafe fn from_raw(p: *mut c_void) -> Self {
        Extack(p)
    }

    /// Sets the message user space sees with the error.
    pub(crate) fn set(&self, msg: &'static core::ffi::CStr) {
        // SAFETY: `self.0` is null or valid for the call (constructor's
        // contract); `msg` is static, as the extack keeps the pointer.
        unsafe { b::rvs_genl_set_err(self.0, msg.as_ptr()) }
    }
}

/// A running genetlink doit request (`struct genl_info`).
pub(crate) struct GenlInfo(*mut c_void);

impl GenlInfo {
    /// # Safety
    /// `p` must be the `genl_info` of the running doit call, and the value
    /// must not outlive that call.
    pub(super) unsafe fn from_raw(p: *mut c_void) -> Self {
        GenlInfo(p)
    }

    /// Sends the reply: command `cmd` carrying the encoded attributes
    /// `attrs`. Process context, may sleep (GFP_KERNEL).
    pub(crate) fn reply(&self, cmd: u8, attrs: &[u8]) -> Result {
        // SAFETY: `self.0` is valid for the call; `attrs` is a valid slice
        // copied by the callee.
        let r = unsafe { b::rvs_genl_reply(self.0, cmd, attrs.as_ptr(), attrs.len()) };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(())
        }
    }
}

/// One call of a genetlink dump: the skb being filled, the callback, and
/// its first resume slot (`cb->args[0]`).
pub(crate) struct DumpCtx {
    skb: *mut b::sk_buff,
    cb: *mut c_void,
    args: *mut core::ffi::c_long,
}

impl DumpCtx {
    /// # Safety
    /// The pointers must be the running dumpit call's skb, callback and
    /// `&cb->args[0]`, and the value must not outlive that call.
    pub(super) unsafe fn from_raw(skb: *mut b::sk_buff, cb: *mut c_void, args: *mut core::ffi::c_long) -> Self {
        DumpCtx { skb, cb, args }
    }

    /// Where the previous call of this dump stopped.
    pub(crate) fn resume(&self) -> usize {
        // SAFETY: `args` is valid for the call (constructor's contract).
        let v = unsafe { *self.args };
        v.max(0) as usize
    }

    /// Records where the next call resumes.
    pub(crate) fn set_resume(&mut self, v: usize) {
        // SAFETY: as in `resume`; `&mut self` makes this the only access.
        unsafe { *self.args = v as core::ffi::c_long }
    }

    /// Appends one message; false if it does not fit (nothing added).
    pub(crate) fn put(&mut self, cmd: u8, attrs: &[u8]) -> bool {
        // SAFETY: `skb` and `cb` are valid for the call; `attrs` is copied.
        unsafe { b::rvs_genl_dump_put(self.skb, self.cb, cmd, attrs.as_ptr(), attrs.len()) == 0 }
    }

    /// Bytes in the skb so far (what dumpit returns; 0 ends the dump).
    pub(crate) fn len(&self) -> usize {
        // SAFETY: `skb` is valid for the call.
        unsafe { b::rvs_skb_len(self.skb) as usize }
    }
}

/// /proc/net/ip_vs, ip_vs_stats and ip_vs_conn in every namespace

/// Every doit of the family (genetlink calls it in process context with
/// the genl lock held).
#[no_mangle]
pub(crate) extern "C" fn rvs_genl_doit(
    c: u8,
    attrs: *const u8,
    len: usize,
    info: *mut c_void,
    extack: *mut c_void,
    net: *mut b::net,
) -> c_int {
    // SAFETY: the C side passes the request's attribute bytes (inside the
    // request skb, alive for the call), its genl_info, its extack and the
    // requester's namespace (alive while its socket is); none of the
    // values outlives the call.
    let (buf, info, ext, net) = unsafe {
        (
            core::slice::from_raw_parts(attrs, len),
            GenlInfo::from_raw(info),
            Extack::from_raw(extack),
            NetRef::from_raw(net),
        )
    };
    let cfg = CfgGuard::lock();
    let r = match module::state_cfg(&cfg) {
        Some(st) => crate::genl::doit(st, &cfg, net, c, buf, &info),
        None => Err(m::Error { errno: ENODEV.to_errno().abs(), msg: msg::GONE }),
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            ext.set(e.msg);
            -e.errno
        }
    }
}

/// Every dumpit of the family: returns the bytes added (0 ends the dump)
/// or a negative errno.
#[no_mangle]
pub(crate) extern "C" fn rvs_genl_dumpit(
    c: u8,
    attrs: *const u8,
    len: usize,
    skb: *mut b::sk_buff,
    cb: *mut c_void,
    extack: *mut c_void,
    args: *mut c_long,
    net: *mut b::net,
) -> c_int {
    // SAFETY: the C side passes the dump request's attribute bytes (alive
    // while the dump runs), the skb being filled, the callback, its extack,
    // `&cb->args[0]` and the requester's namespace, all valid for this
    // call, which none of the values outlives.
    let (buf, mut d, ext, net) = unsafe {
        (
            core::slice::from_raw_parts(attrs, len),
            DumpCtx::from_raw(skb, cb, args),
            Extack::from_raw(extack),
            NetRef::from_raw(net),
        )
    };
    let cfg = CfgGuard::lock();
    let r = match module::state_cfg(&cfg) {
        Some(st) => crate::genl::dumpit(st, &cfg, net, c, buf, &mut d),
        None => Err(m::Error { errno: ENODEV.to_errno().abs(), msg: msg::GONE }),
    };
    match r {
        Ok(()) => d.len() as c_int,
        Err(e) => {
            ext.set(e.msg);
            -e.errno
        }
    }
}
