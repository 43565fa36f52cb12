// SPDX-License-Identifier: GPL-2.0
//! Safe wrappers over toa.ko's C helpers, and the entry points the C probe
//! handlers call. Every `unsafe` of toa.ko lives in this file.

use crate::bindings as b;
use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU8, Ordering::*};
use core::ffi::{c_char, c_int, c_long, c_void};
use kernel::prelude::*;

/// Buckets of the record table, each with its own lock.
pub(crate) const NBUCKETS: usize = b::TOA_NBUCKETS as usize;
/// Per-CPU counter slots.
pub(crate) const NR_STATS: u32 = b::TOA_NR_STATS;

/// `NBUCKETS` singly linked lists, each guarded by its C spinlock (taken
/// with interrupts off: probes run in process, softirq and RCU-callback
/// context alike).
pub(crate) struct Buckets<T> {
    heads: [UnsafeCell<Option<KBox<T>>>; NBUCKETS],
}

// SAFETY: a head is only reached through `with`, which holds the bucket's
// lock for the whole access; the values are owned boxes, moved between
// CPUs, so `T: Send` is what sharing needs.
unsafe impl<T: Send> Sync for Buckets<T> {}

impl<T> Buckets<T> {
    /// Empty lists.
    pub(crate) const fn new() -> Self {
        Buckets { heads: [const { UnsafeCell::new(None) }; NBUCKETS] }
    }

    /// Runs `f` on list `i % NBUCKETS` with its lock held. `f` must not
    /// reach the table again (it would spin on its own lock).
    pub(crate) fn with<R>(&self, i: usize, f: impl FnOnce(&mut Option<KBox<T>>) -> R) -> R {
        let i = i % NBUCKETS;
        // SAFETY: the locks are initialised by `locks_init` before the
        // probes that reach the table are registered; index in range.
        let flags = unsafe { b::toa_lock(i as u32) };
        // SAFETY: the bucket's lock is held, so this is the only reference
        // to the head until it is released below.
        let r = f(unsafe { &mut *self.heads[i].get() });
        // SAFETY: locked above with these flags.
        unsafe { b::toa_unlock(i as u32, flags) };
        r
    }
}

/// The `trusted` module parameter's text.
pub(crate) fn param_trusted() -> &'static [u8] {
    // SAFETY: a charp parameter of mode 0444: set before init from the
    // load's arguments, never written afterwards while the module lives,
    // NUL-terminated (the parameter code copies it so, and the default is
    // a literal).
    unsafe { kernel::str::CStr::from_char_ptr(b::toa_param_trusted().cast()) }.as_bytes()
}

/// A value set once, at module init, before the probes that read it are
/// registered, and read-only afterwards: what the handlers read without a
/// lock.
pub(crate) struct InitOnce<T: Copy> {
    /// 0: empty, 1: being written, 2: set.
    state: AtomicU8,
    v: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the value is written once, by the one caller whose
// compare-exchange won, before `state` becomes 2 (Release); readers see it
// only after reading 2 (Acquire), and nobody writes it again. `T: Copy`
// has no drop to race with; sharing `&T` needs `T: Sync`.
unsafe impl<T: Copy + Sync> Sync for InitOnce<T> {}

impl<T: Copy> InitOnce<T> {
    /// Empty.
    pub(crate) const fn new() -> Self {
        InitOnce { state: AtomicU8::new(0), v: UnsafeCell::new(MaybeUninit::uninit()) }
    }

    /// Sets the value; false (and nothing changed) if it was set already.
    pub(crate) fn set(&self, v: T) -> bool {
        if self.state.compare_exchange(0, 1, Acquire, Relaxed).is_err() {
            return false;
        }
        // SAFETY: only the caller that moved `state` from 0 to 1 gets here,
        // once; no reader looks before `state` is 2.
        unsafe { (*self.v.get()).write(v) };
        self.state.store(2, Release);
        true
    }

    /// The value, once set.
    pub(crate) fn get(&self) -> Option<&T> {
        if self.state.load(Acquire) != 2 {
            return None;
        }
        // SAFETY: `state` 2 means the value was written (and published by
        // the Release store that the Acquire load above saw) and is never
        // written again.
        Some(unsafe { (*self.v.get()).assume_init_ref() })
    }
}

/// Initialises the bucket locks (module init, before any probe).
pub(crate) fn locks_init() {
    // SAFETY: called once, before anything takes the locks.
    unsafe { b::toa_locks_init() }
}

/// Adds one to per-CPU counter `idx`.
pub(crate) fn stat_inc(idx: u32) {
    // SAFETY: this_cpu_inc on a static per-CPU array; index checked in C.
    unsafe { b::toa_stat_inc(idx) }
}

/// Sum over the CPUs of counter `idx`.
pub(crate) fn stat_sum(idx: u32) -> u64 {
    // SAFETY: reads static per-CPU data; index checked in C.
    unsafe { b::toa_stat_sum(idx) }
}

/// Times probe `p` (`b::toa_probe`) did not run its handler.
pub(crate) fn probe_missed(p: u32) -> u64 {
    // SAFETY: reads counters of static probe structures.
    unsafe { b::toa_probe_missed(p) }
}

/// Probe numbers, for `probe_missed`.
pub(crate) const PROBE_SYN_RECV: u32 = b::toa_probe_TOA_PROBE_SYN_RECV;
pub(crate) const PROBE_GETNAME: u32 = b::toa_probe_TOA_PROBE_GETNAME;
pub(crate) const PROBE_GETNAME6: u32 = b::toa_probe_TOA_PROBE_GETNAME6;
pub(crate) const PROBE_SYN_RECV6: u32 = b::toa_probe_TOA_PROBE_SYN_RECV6;
pub(crate) const PROBE_DESTRUCT: u32 = b::toa_probe_TOA_PROBE_DESTRUCT;

/// The kprobes and kretprobes of toa.ko, registered while a value lives.
pub(crate) struct Probes(());

impl Probes {
    /// Registers them all (or none).
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: static probe structures; the handlers reach only the
        // static table and counters, initialised before this call.
        let r = unsafe { b::toa_probes_register() };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(Probes(()))
    }
}

impl Drop for Probes {
    fn drop(&mut self) {
        // SAFETY: registered (type invariant). Returns once no handler of
        // ours runs or can run (kprobe unregistration waits an RCU grace
        // period; pending kretprobe instances find the handler gone).
        unsafe { b::toa_probes_unregister() }
    }
}

/// /proc/net/toa_stats in every network namespace while a value lives.
pub(crate) struct ProcFiles(());

impl ProcFiles {
    /// Creates the files (pernet operations: present and future namespaces).
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: static pernet operations; `toa_rs_stats` needs no setup.
        let r = unsafe { b::toa_proc_register() };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(ProcFiles(()))
    }
}

impl Drop for ProcFiles {
    fn drop(&mut self) {
        // SAFETY: registered (type invariant); removal waits for readers.
        unsafe { b::toa_proc_unregister() }
    }
}

/// toa.ko's getsockopt numbers (both families) in netfilter's sockopt
/// registry while a value lives.
pub(crate) struct Sockopt(());

impl Sockopt {
    /// Registers getsockopt numbers `range.0 .. range.1` (EBUSY when another
    /// registration overlaps them).
    pub(crate) fn register(range: (i32, i32)) -> Result<Self> {
        // SAFETY: static nf_sockopt_ops, registered once (the Toa value
        // holds the only Sockopt); the handler reaches only the static
        // table and counters, initialised before this call.
        let r = unsafe { b::toa_sockopt_register(range.0, range.1) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(Sockopt(()))
    }
}

impl Drop for Sockopt {
    fn drop(&mut self) {
        // SAFETY: registered (type invariant). No call of the handler runs
        // after the module's exit has begun: nf_getsockopt holds a module
        // reference across the call, and a module with references does not
        // start its exit (and a failed init never reaches a registered
        // Sockopt: it is registered last).
        unsafe { b::toa_sockopt_unregister() }
    }
}

/// A socket, known only by its address: the record table's key. Never
/// dereferenced by Rust.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct SockKey(pub(crate) usize);

/// The per-call bytes of a kretprobe instance (`TOA_RI_DATA` of them).
///
/// # Invariants
/// The pointer is a live instance's data area of `TOA_RI_DATA` bytes.
struct RiData(*mut c_void);

impl RiData {
    /// # Safety
    /// `p` must be the `data` argument the C probe handlers pass (the
    /// instance's `ri->data`, `TOA_RI_DATA` bytes), used during that call.
    unsafe fn new(p: *mut c_void) -> Self {
        // INVARIANT: guaranteed by the caller.
        RiData(p)
    }

    /// Stores `v` for the return handler.
    fn put<T: Copy>(&mut self, v: T) {
        const { assert!(core::mem::size_of::<T>() <= b::TOA_RI_DATA as usize) };
        // SAFETY: `self.0` is an instance's data area of TOA_RI_DATA bytes
        // (type invariant), large enough as asserted; the write does not
        // need alignment.
        unsafe { (self.0 as *mut T).write_unaligned(v) }
    }

    /// The value the entry handler stored.
    ///
    /// # Safety
    /// The entry handler of this instance must have `put` a `T`.
    unsafe fn get<T: Copy>(&self) -> T {
        const { assert!(core::mem::size_of::<T>() <= b::TOA_RI_DATA as usize) };
        // SAFETY: the caller guarantees a `T` was written here.
        unsafe { (self.0 as *const T).read_unaligned() }
    }
}

/// What the syn_recv_sock entry handler leaves for the return handler:
/// what the segment showed, and whether it was an IPv6 one.
#[derive(Clone, Copy)]
struct SynRecvData(crate::AckToa, bool);

/// Entry of tcp_v4_syn_recv_sock and tcp_v6_syn_recv_sock (an IPv6
/// segment): looks at the handshake-completing segment's options. Always
/// returns 0 (the return handler counts).
#[no_mangle]
extern "C" fn toa_rs_syn_recv_entry(
    data: *mut c_void,
    opts: *const u8,
    optlen: u32,
    saddr: *const u8,
    sport: u16,
    v6: bool,
) -> c_int {
    // SAFETY: the C handler passes the option bytes of the segment's TCP
    // header, linear (tcp_v4_rcv / tcp_v6_rcv pulled doff * 4 bytes) and
    // alive for the call; `optlen` is doff * 4 - 20, at most 40.
    let opts = unsafe { core::slice::from_raw_parts(opts, optlen as usize) };
    // SAFETY: `saddr` points to 16 bytes alive for the call: the IPv6
    // header's source address, or an in6_addr on the C handler's stack.
    let saddr = unsafe { saddr.cast::<[u8; 16]>().read_unaligned() };
    let v = crate::ack_toa(opts, (saddr, u16::from_be(sport)));
    // SAFETY: `data` is this instance's data area, passed by the C handler.
    unsafe { RiData::new(data) }.put(SynRecvData(v, v6));
    0
}

/// Return of tcp_v4/v6_syn_recv_sock: `child` is the new socket or null.
#[no_mangle]
extern "C" fn toa_rs_syn_recv_ret(data: *mut c_void, child: *mut b::sock) {
    // SAFETY: `data` is this instance's data area; its entry handler
    // returned 0, which it does only after storing a `SynRecvData`.
    let SynRecvData(v, v6) = unsafe { RiData::new(data).get() };
    if !child.is_null() {
        crate::new_sock(SockKey(child as usize), v, v6);
    }
}

/// What the getname entry handler leaves for the return handler.
#[derive(Clone, Copy)]
struct GetnameData {
    uaddr: *mut u8,
    rec: crate::Record,
}

/// Entry of inet_getname / inet6_getname: returns 0 (run the return
/// handler) only for a peer name of a socket with a record.
#[no_mangle]
extern "C" fn toa_rs_getname_entry(data: *mut c_void, sk: *mut b::sock, uaddr: *mut c_void, peer: c_int) -> c_int {
    if peer == 0 || sk.is_null() || uaddr.is_null() {
        return 1;
    }
    match crate::lookup(SockKey(sk as usize)) {
        Some(rec) => {
            // SAFETY: `data` is this instance's data area.
            unsafe { RiData::new(data) }.put(GetnameData { uaddr: uaddr as *mut u8, rec });
            0
        }
        None => 1,
    }
}

/// Return of getname: `ret` is the length of the address written, or a
/// negative errno.
#[no_mangle]
extern "C" fn toa_rs_getname_ret(data: *mut c_void, ret: c_long) {
    // SAFETY: `data` is this instance's data area; its entry handler
    // returned 0, which it does only after storing a `GetnameData`.
    let d: GetnameData = unsafe { RiData::new(data).get() };
    if ret <= 0 {
        return;
    }
    // A sockaddr_in6 is the longest getname of these families writes.
    let len = (ret as usize).min(b::TOA_SOCKADDR_IN6 as usize);
    // SAFETY: getname has just written `ret` bytes at `uaddr`, the caller's
    // address buffer (a sockaddr_storage for the system calls), which
    // lives until the probed function has returned to its caller, and
    // nothing else touches it in between.
    let sa = unsafe { core::slice::from_raw_parts_mut(d.uaddr, len) };
    crate::rewrite(sa, d.rec);
}

/// Entry of sk_destruct: the socket's memory is about to be released.
#[no_mangle]
extern "C" fn toa_rs_sk_destruct(sk: *mut b::sock) {
    crate::sock_gone(SockKey(sk as usize));
}

/// getsockopt(TOA_SO_GET_CLIENT6) on `sk`, whose peer is `peer` (16
/// bytes), `dport` (network order), with a buffer of `len` bytes: 0 and a
/// `sockaddr_in6` in `out`, or a negative errno.
#[no_mangle]
extern "C" fn toa_rs_sockopt_client6(sk: *mut b::sock, len: c_int, peer: *const u8, dport: u16, out: *mut u8) -> c_int {
    // SAFETY: the C handler passes a 16-byte address on its stack, alive
    // for the call.
    let peer = unsafe { peer.cast::<[u8; 16]>().read_unaligned() };
    match crate::sockopt_client6(SockKey(sk as usize), len, (peer, u16::from_be(dport))) {
        Ok(sa) => {
            // SAFETY: `out` is the C handler's TOA_SOCKADDR_IN6-byte buffer,
            // writable for the call; `sa` is exactly that long (the write
            // below does not compile otherwise). No alignment needed.
            unsafe { out.cast::<[u8; b::TOA_SOCKADDR_IN6 as usize]>().write_unaligned(sa) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Fills `buf` with the counters; returns the length written.
#[no_mangle]
extern "C" fn toa_rs_stats(buf: *mut c_char, len: usize) -> c_int {
    // SAFETY: the C caller passes a writable buffer of `len` bytes that
    // lives for the call.
    let out = unsafe { core::slice::from_raw_parts_mut(buf as *mut u8, len) };
    crate::stats_text(out) as c_int
}
