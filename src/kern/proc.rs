// SPDX-License-Identifier: GPL-2.0
//! /proc/net/ip_vs, ip_vs_stats and ip_vs_conn (C side: `proc.c`), and
//! the trampolines their show callbacks go through into the director's
//! `procfs`.

use super::bindings as b;
use super::module;
use super::net::NetRef;
use super::rcu::RcuGuard;
use super::sync::CfgGuard;
use core::ffi::{c_int, c_uint, c_ulong, c_void};
use kernel::prelude::*;

/// /proc/net/ip_vs, ip_vs_stats and ip_vs_conn in every namespace
/// (`proc.c`), present while a value exists.
pub(crate) struct ProcFiles(());

impl ProcFiles {
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: static pernet ops; `Drop` unregisters (waiting for the
        // files' readers). The files reach the state only through
        // `super::module`.
        let r = unsafe { b::rvs_proc_register() };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(ProcFiles(()))
    }
}

impl Drop for ProcFiles {
    fn drop(&mut self) {
        // SAFETY: registered in `register`.
        unsafe { b::rvs_proc_unregister() }
    }
}

/// A seq_file being filled by a show callback.
pub(crate) struct SeqFile(*mut c_void);

impl SeqFile {
    /// # Safety
    /// `p` must be the `struct seq_file *` of the running show callback,
    /// and the value must not outlive that call.
    pub(super) unsafe fn from_raw(p: *mut c_void) -> Self {
        SeqFile(p)
    }

    /// Appends `b` (on overflow the seq_file core retries the show with a
    /// bigger buffer).
    pub(crate) fn write(&mut self, b: &[u8]) {
        // SAFETY: `self.0` is valid for the call; `b` is copied.
        unsafe { b::rvs_seq_write(self.0, b.as_ptr(), b.len()) }
    }
}


/// Show of /proc/net/ip_vs (0) and /proc/net/ip_vs_stats (1): process
/// context, under the configuration mutex.
#[no_mangle]
pub(crate) extern "C" fn rvs_proc_show(which: c_uint, seq: *mut c_void, net: *mut b::net) -> c_int {
    // SAFETY: the C show callback passes its seq_file and the file's
    // namespace, valid for the call, which the values do not outlive.
    let (mut seq, net) = unsafe { (SeqFile::from_raw(seq), NetRef::from_raw(net)) };
    let cfg = CfgGuard::lock();
    if let Some(st) = module::state_cfg(&cfg) {
        crate::procfs::show(st, &cfg, net, which, &mut seq);
    }
    0
}

/// Buckets of the connection table (positions of the ip_vs_conn listing).
#[no_mangle]
pub(crate) extern "C" fn rvs_conn_buckets() -> c_uint {
    let g = RcuGuard::new();
    module::state_rcu(&g).map_or(0, |st| st.conns.buckets())
}

/// The connections of the file's namespace in one bucket, under RCU.
#[no_mangle]
pub(crate) extern "C" fn rvs_proc_conn_show(seq: *mut c_void, net: *mut b::net, bucket: c_ulong) {
    // SAFETY: as in `rvs_proc_show`.
    let (mut seq, net) = unsafe { (SeqFile::from_raw(seq), NetRef::from_raw(net)) };
    let g = RcuGuard::new();
    if let (Some(st), Ok(b)) = (module::state_rcu(&g), u32::try_from(bucket)) {
        crate::procfs::conn_show(st, &g, net, b, &mut seq);
    }
}
