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
    with_state(ext, |st, cfg| crate::genl::doit(st, cfg, net, c, buf, &info)).map_or_else(|e| e, |()| 0)
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
    with_state(ext, |st, cfg| crate::genl::dumpit(st, cfg, net, c, buf, &mut d)).map_or_else(|e| e, |()| d.len() as c_int)
}

/// Runs `f` on the state under the configuration mutex; a refusal (or the
/// module going away) sets the extack message and becomes `-errno`.
fn with_state(ext: Extack, f: impl FnOnce(&crate::State, &CfgGuard) -> core::result::Result<(), m::Error>) -> core::result::Result<(), c_int> {
    let cfg = CfgGuard::lock();
    let r = match module::state_cfg(&cfg) {
        Some(st) => f(st, &cfg),
        None => Err(m::Error { errno: ENODEV.to_errno().abs(), msg: msg::GONE }),
    };
    r.map_err(|e| {
        ext.set(e.msg);
        -e.errno
    })
}

/// The numbering rvs.ko and rvsadm share (`rvs_core::ipvs_nl`) is the
/// kernel's own, from the uapi header of the tree rvs.ko is built against
/// (`<linux/ip_vs.h>`), plus Alibaba's additions (`helpers.h`, which the C
/// side uses): any difference fails the build. `core/tests/uapi.rs` checks
/// the same against the header on the host.
const _: () = {
    use crate::rvs_core::ipvs_nl::*;
    macro_rules! same {
        ($($ours:expr => $kernels:expr),* $(,)?) => {
            $(assert!($ours as u64 == $kernels as u64, concat!(stringify!($ours), " differs from ", stringify!($kernels)));)*
        };
    }
    same! {
        cmd::NEW_SERVICE => b::IPVS_CMD_NEW_SERVICE, cmd::SET_SERVICE => b::IPVS_CMD_SET_SERVICE,
        cmd::DEL_SERVICE => b::IPVS_CMD_DEL_SERVICE, cmd::GET_SERVICE => b::IPVS_CMD_GET_SERVICE,
        cmd::NEW_DEST => b::IPVS_CMD_NEW_DEST, cmd::SET_DEST => b::IPVS_CMD_SET_DEST,
        cmd::DEL_DEST => b::IPVS_CMD_DEL_DEST, cmd::GET_DEST => b::IPVS_CMD_GET_DEST,
        cmd::NEW_DAEMON => b::IPVS_CMD_NEW_DAEMON, cmd::DEL_DAEMON => b::IPVS_CMD_DEL_DAEMON,
        cmd::GET_DAEMON => b::IPVS_CMD_GET_DAEMON, cmd::SET_CONFIG => b::IPVS_CMD_SET_CONFIG,
        cmd::GET_CONFIG => b::IPVS_CMD_GET_CONFIG, cmd::SET_INFO => b::IPVS_CMD_SET_INFO,
        cmd::GET_INFO => b::IPVS_CMD_GET_INFO, cmd::ZERO => b::IPVS_CMD_ZERO, cmd::FLUSH => b::IPVS_CMD_FLUSH,
        cmd::NEW_LADDR => b::RVS_IPVS_CMD_NEW_LADDR, cmd::DEL_LADDR => b::RVS_IPVS_CMD_DEL_LADDR,
        cmd::GET_LADDR => b::RVS_IPVS_CMD_GET_LADDR, cmd::MAX => b::RVS_IPVS_CMD_MAX,
        cmd_attr::SERVICE => b::IPVS_CMD_ATTR_SERVICE, cmd_attr::DEST => b::IPVS_CMD_ATTR_DEST,
        cmd_attr::DAEMON => b::IPVS_CMD_ATTR_DAEMON, cmd_attr::TIMEOUT_TCP => b::IPVS_CMD_ATTR_TIMEOUT_TCP,
        cmd_attr::TIMEOUT_TCP_FIN => b::IPVS_CMD_ATTR_TIMEOUT_TCP_FIN,
        cmd_attr::TIMEOUT_UDP => b::IPVS_CMD_ATTR_TIMEOUT_UDP,
        cmd_attr::LADDR => b::RVS_IPVS_CMD_ATTR_LADDR, cmd_attr::MAX => b::RVS_IPVS_CMD_ATTR_MAX,
        svc_attr::AF => b::IPVS_SVC_ATTR_AF, svc_attr::PROTOCOL => b::IPVS_SVC_ATTR_PROTOCOL,
        svc_attr::ADDR => b::IPVS_SVC_ATTR_ADDR, svc_attr::PORT => b::IPVS_SVC_ATTR_PORT,
        svc_attr::FWMARK => b::IPVS_SVC_ATTR_FWMARK, svc_attr::SCHED_NAME => b::IPVS_SVC_ATTR_SCHED_NAME,
        svc_attr::FLAGS => b::IPVS_SVC_ATTR_FLAGS, svc_attr::TIMEOUT => b::IPVS_SVC_ATTR_TIMEOUT,
        svc_attr::NETMASK => b::IPVS_SVC_ATTR_NETMASK, svc_attr::STATS => b::IPVS_SVC_ATTR_STATS,
        svc_attr::PE_NAME => b::IPVS_SVC_ATTR_PE_NAME, svc_attr::STATS64 => b::IPVS_SVC_ATTR_STATS64,
        svc_attr::MAX + 1 => b::__IPVS_SVC_ATTR_MAX,
        dest_attr::ADDR => b::IPVS_DEST_ATTR_ADDR, dest_attr::PORT => b::IPVS_DEST_ATTR_PORT,
        dest_attr::FWD_METHOD => b::IPVS_DEST_ATTR_FWD_METHOD, dest_attr::WEIGHT => b::IPVS_DEST_ATTR_WEIGHT,
        dest_attr::U_THRESH => b::IPVS_DEST_ATTR_U_THRESH, dest_attr::L_THRESH => b::IPVS_DEST_ATTR_L_THRESH,
        dest_attr::ACTIVE_CONNS => b::IPVS_DEST_ATTR_ACTIVE_CONNS,
        dest_attr::INACT_CONNS => b::IPVS_DEST_ATTR_INACT_CONNS,
        dest_attr::PERSIST_CONNS => b::IPVS_DEST_ATTR_PERSIST_CONNS, dest_attr::STATS => b::IPVS_DEST_ATTR_STATS,
        dest_attr::ADDR_FAMILY => b::IPVS_DEST_ATTR_ADDR_FAMILY, dest_attr::STATS64 => b::IPVS_DEST_ATTR_STATS64,
        dest_attr::TUN_TYPE => b::IPVS_DEST_ATTR_TUN_TYPE, dest_attr::TUN_PORT => b::IPVS_DEST_ATTR_TUN_PORT,
        dest_attr::TUN_FLAGS => b::IPVS_DEST_ATTR_TUN_FLAGS, dest_attr::MAX + 1 => b::__IPVS_DEST_ATTR_MAX,
        laddr_attr::ADDR => b::RVS_IPVS_LADDR_ATTR_ADDR,
        laddr_attr::PORT_CONFLICT => b::RVS_IPVS_LADDR_ATTR_PORT_CONFLICT,
        laddr_attr::CONN_COUNTS => b::RVS_IPVS_LADDR_ATTR_CONN_COUNTS,
        laddr_attr::ADDR_FAMILY => b::RVS_IPVS_LADDR_ATTR_ADDR_FAMILY, laddr_attr::MAX => b::RVS_IPVS_LADDR_ATTR_MAX,
        stats_attr::CONNS => b::IPVS_STATS_ATTR_CONNS, stats_attr::INPKTS => b::IPVS_STATS_ATTR_INPKTS,
        stats_attr::OUTPKTS => b::IPVS_STATS_ATTR_OUTPKTS, stats_attr::INBYTES => b::IPVS_STATS_ATTR_INBYTES,
        stats_attr::OUTBYTES => b::IPVS_STATS_ATTR_OUTBYTES, stats_attr::CPS => b::IPVS_STATS_ATTR_CPS,
        stats_attr::INPPS => b::IPVS_STATS_ATTR_INPPS, stats_attr::OUTPPS => b::IPVS_STATS_ATTR_OUTPPS,
        stats_attr::INBPS => b::IPVS_STATS_ATTR_INBPS, stats_attr::OUTBPS => b::IPVS_STATS_ATTR_OUTBPS,
        stats_attr::PAD => b::IPVS_STATS_ATTR_PAD,
        info_attr::VERSION => b::IPVS_INFO_ATTR_VERSION, info_attr::CONN_TAB_SIZE => b::IPVS_INFO_ATTR_CONN_TAB_SIZE,
        daemon_attr::STATE => b::IPVS_DAEMON_ATTR_STATE, daemon_attr::MCAST_IFN => b::IPVS_DAEMON_ATTR_MCAST_IFN,
        daemon_attr::SYNC_ID => b::IPVS_DAEMON_ATTR_SYNC_ID,
        fwd::MASQ => b::IP_VS_CONN_F_MASQ, fwd::LOCALNODE => b::IP_VS_CONN_F_LOCALNODE,
        fwd::TUNNEL => b::IP_VS_CONN_F_TUNNEL, fwd::DROUTE => b::IP_VS_CONN_F_DROUTE,
        fwd::BYPASS => b::IP_VS_CONN_F_BYPASS, fwd::MASK => b::IP_VS_CONN_F_FWD_MASK,
        svc_flags::PERSISTENT => b::IP_VS_SVC_F_PERSISTENT, svc_flags::HASHED => b::IP_VS_SVC_F_HASHED,
        svc_flags::ONEPACKET => b::IP_VS_SVC_F_ONEPACKET, svc_flags::SCHED1 => b::IP_VS_SVC_F_SCHED1,
        svc_flags::SCHED2 => b::IP_VS_SVC_F_SCHED2, svc_flags::SCHED3 => b::IP_VS_SVC_F_SCHED3,
        SCHEDNAME_MAXLEN => b::IP_VS_SCHEDNAME_MAXLEN, PENAME_MAXLEN => b::IP_VS_PENAME_MAXLEN,
        FAMILY_VERSION => b::IPVS_GENL_VERSION,
    }
};
