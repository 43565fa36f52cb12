// SPDX-License-Identifier: GPL-2.0
//! Safe wrappers over the C helpers and the generated bindings. Every
//! `unsafe` of rvs.ko's kernel glue lives in this file.

use crate::bindings as b;
use crate::rvs_core::csum::FieldState;
use core::ffi::c_void;
use core::sync::atomic::{AtomicPtr, AtomicU64};
use kernel::prelude::*;

/// Netfilter verdicts.
pub(crate) const NF_DROP: u32 = b::NF_DROP;
pub(crate) const NF_ACCEPT: u32 = b::NF_ACCEPT;
pub(crate) const NF_STOLEN: u32 = b::NF_STOLEN;

/// A packet: either handed to a netfilter hook (borrowed for the hook's
/// duration; netfilter frees it on `NF_DROP`), or owned by rvs (built by
/// it, or kept past its hook) and freed when dropped.
///
/// Every function that takes an `Skb` by value consumes it: it sends it
/// ([`Skb::output_v4`]), keeps it, or lets it drop. A verdict of `NF_DROP`
/// for a hook's packet lets netfilter free it; for an owned one the drop
/// already did.
///
/// # Invariants
/// `ptr` points to a valid `sk_buff`. If `owned`, nobody else holds it;
/// otherwise the running hook does, until it returns a verdict or the
/// packet is passed on with [`Skb::output_v4`].
pub(crate) struct Skb {
    ptr: *mut b::sk_buff,
    owned: bool,
}

// SAFETY: an skb may be handed from one CPU to another (a kept packet is
// sent by whichever CPU releases it); ownership moves with the value.
unsafe impl Send for Skb {}

impl Drop for Skb {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: owned, so ours alone to free (type invariant).
            unsafe { b::rvs_kfree_skb(self.ptr) };
        }
    }
}

impl Skb {
    /// # Safety
    /// `ptr` must be the `skb` argument of a running netfilter hook, and the
    /// `Skb` must not outlive that call.
    pub(crate) unsafe fn from_hook(ptr: *mut b::sk_buff) -> Self {
        // INVARIANT: the caller guarantees validity for the hook's duration.
        Skb { ptr, owned: false }
    }

    /// A new IPv4 packet of `len` zeroed bytes, owned.
    pub(crate) fn alloc_v4(len: usize) -> Option<Skb> {
        // SAFETY: plain allocation; NULL is checked.
        let ptr = unsafe { b::rvs_skb_alloc_v4(len as u32) };
        if ptr.is_null() {
            return None;
        }
        // INVARIANT: a fresh skb nobody else knows.
        Some(Skb { ptr, owned: true })
    }

    /// Takes a hook's packet over, to keep it past the hook.
    ///
    /// # Safety
    /// The hook this packet was handed to must return `NF_STOLEN`.
    pub(crate) unsafe fn into_owned(mut self) -> Skb {
        if !self.owned {
            // SAFETY: valid by the type invariant; the caller gives up the
            // hook's claim (NF_STOLEN), so the packet is ours from here.
            unsafe { b::rvs_skb_keep(self.ptr) };
            // INVARIANT: see above.
            self.owned = true;
        }
        self
    }

    /// Makes the packet exactly `len` linear, private bytes from the
    /// network header, to be rewritten into a reply (no socket, checksums
    /// to be written complete).
    pub(crate) fn reshape(&mut self, len: usize) -> Result {
        // SAFETY: valid by the type invariant; the helper checks the
        // layout. `&mut self`: no slice of the old data lives on.
        let r = unsafe { b::rvs_skb_reshape(self.ptr, len as u32) };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(())
        }
    }

    /// The path MTU of the route the packet was given (by
    /// [`Skb::route_v4_cached`] or [`Skb::route_v4`]).
    pub(crate) fn dst_mtu(&self) -> usize {
        // SAFETY: `self.ptr` is valid and routed (see above): its dst is
        // set, held or borrowed under the caller's read section.
        unsafe { b::rvs_skb_dst_mtu(self.ptr) as usize }
    }

    /// At PRE_ROUTING: true if the IPv4 packet is a fragment (more
    /// fragments follow, or its offset is not 0). One read of the header
    /// `ip_rcv` has already validated and made linear.
    pub(crate) fn pre_routing_is_fragment(&self) -> bool {
        // SAFETY: `self.ptr` is valid; the IPv4 PRE_ROUTING hook runs after
        // ip_rcv_core checked the header and pulled it into the head.
        unsafe { b::rvs_skb_ipv4_is_fragment(self.ptr) }
    }

    /// Bytes in the packet from the network header on (`skb->len` at the
    /// IPv4 hooks, where `skb->data` is the network header).
    pub(crate) fn len(&self) -> usize {
        // SAFETY: `self.ptr` is valid by the type invariant.
        unsafe { b::rvs_skb_len(self.ptr) as usize }
    }

    /// The first `n` bytes from the network header, made linear. `None` if
    /// the packet is shorter.
    pub(crate) fn pull(&mut self, n: usize) -> Option<&[u8]> {
        let n32 = u32::try_from(n).ok()?;
        // SAFETY: `self.ptr` is valid; pskb_may_pull may reallocate the
        // head, which is why it takes `&mut self`: no earlier slice lives on.
        let p = unsafe { b::rvs_skb_pull_net(self.ptr, n32) };
        if p.is_null() {
            return None;
        }
        // SAFETY: the pull succeeded, so `n` bytes from the network header
        // are in the linear area at `p`; the slice borrows `self`, so the
        // skb cannot change while it lives.
        Some(unsafe { core::slice::from_raw_parts(p, n) })
    }

    /// The first `n` bytes from the network header, linear and private to
    /// this skb (unshared if cloned), for writing.
    pub(crate) fn writable(&mut self, n: usize) -> Option<&mut [u8]> {
        let n32 = u32::try_from(n).ok()?;
        // SAFETY: `self.ptr` is valid; see `pull` for the `&mut self`.
        let p = unsafe { b::rvs_skb_writable_net(self.ptr, n32) };
        if p.is_null() {
            return None;
        }
        // SAFETY: skb_ensure_writable succeeded: `n` bytes from the network
        // header are linear at `p` and not shared with any clone; the
        // mutable borrow of `self` makes the slice the only access.
        Some(unsafe { core::slice::from_raw_parts_mut(p, n) })
    }

    /// How the transport checksum field is held.
    pub(crate) fn csum_state(&self) -> FieldState {
        // SAFETY: `self.ptr` is valid by the type invariant.
        if unsafe { b::rvs_skb_ip_summed(self.ptr) } as u32 == b::CHECKSUM_PARTIAL {
            FieldState::Partial
        } else {
            FieldState::Full
        }
    }

    /// Routes the packet from `saddr` to `daddr` (its dst is set); returns
    /// the path MTU.
    pub(crate) fn route_v4(&mut self, net: NetRef, saddr: u32, daddr: u32) -> Result<usize> {
        // SAFETY: `self.ptr` is valid; `net.0` is the hook's namespace.
        let r = unsafe { b::rvs_route_v4(net.0, self.ptr, saddr.to_be(), daddr.to_be()) };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(r as usize)
        }
    }

    /// Routes the packet through the cached route of one direction of a
    /// connection (looked up and cached when missing or no longer
    /// valid), filled first from `shared` (the real server's) when the
    /// namespace's routing does not depend on the source. Inside the RCU
    /// read section `_g`: the packet may borrow the cached route without a
    /// reference.
    pub(crate) fn route_v4_cached(
        &mut self,
        _g: &RcuGuard,
        net: NetRef,
        cache: &RouteCache,
        shared: Option<&RouteCache>,
        saddr: u32,
        daddr: u32,
    ) -> Result {
        let shared = shared.map_or(core::ptr::null_mut(), |c| c.0.get());
        // SAFETY: `self.ptr` is valid; `cache.0` is a slot of a live
        // connection and `shared` null or a slot of its live real server,
        // each holding null or a dst with a reference of its own; `_g`
        // keeps a borrowed dst alive until the hook returns.
        let r = unsafe { b::rvs_route_cached_v4(net.0, self.ptr, cache.0.get(), shared, saddr.to_be(), daddr.to_be()) };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(())
        }
    }

    /// True if the packet's TCP or UDP checksum verifies (transport header
    /// `thoff` bytes after the IP header's start). Only for packets the
    /// director answers or acts on itself: forwarded ones keep their
    /// checksum's verdict through the incremental updates.
    pub(crate) fn l4_csum_ok(&mut self, thoff: usize, proto: u8) -> bool {
        // SAFETY: `self.ptr` is a valid IPv4 skb at LOCAL_IN with its data
        // at the network header; `&mut self` makes this the only user.
        unsafe { b::rvs_l4_csum_ok(self.ptr, thoff as u32, proto) }
    }

    /// Sends a routed packet out through LOCAL_OUT; the skb is consumed
    /// whatever the outcome.
    pub(crate) fn output_v4(self, net: NetRef) -> Result {
        let ptr = self.ptr;
        // The skb passes to the stack: no drop of ours may free it.
        core::mem::forget(self);
        // SAFETY: `ptr` is valid and routed, and ours or the hook's to give
        // away; `rvs_output_v4` takes it. It is not used again.
        let r = unsafe { b::rvs_output_v4(net.0, ptr) };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(())
        }
    }

    /// Opens `len` bytes of room after the first `off` bytes from the
    /// network header (the IP and TCP headers of `ihl` and `off - ihl`
    /// bytes), moving the headers toward the head.
    pub(crate) fn insert_room(&mut self, off: usize, len: usize, ihl: usize) -> Result {
        // SAFETY: `self.ptr` is valid; the helper checks the layout
        // (network header at `data`) and headroom itself.
        let r = unsafe { b::rvs_skb_insert_room(self.ptr, off as u32, len as u32, ihl as u32) };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(())
        }
    }

    /// True for an aggregated (GSO) packet.
    pub(crate) fn is_gso(&self) -> bool {
        // SAFETY: `self.ptr` is valid by the type invariant.
        unsafe { b::rvs_skb_is_gso(self.ptr) }
    }
}

/// A network namespace: the one of a hook invocation, or the one a
/// connection belongs to (valid as long as the connection is: a namespace's
/// connections are freed when it goes away, see `rvs_net_gone`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct NetRef(*mut b::net);

// SAFETY: an identity and a handle for routing/output, usable on any CPU.
unsafe impl Send for NetRef {}
// SAFETY: see `Send`.
unsafe impl Sync for NetRef {}


impl NetRef {
    /// The namespace a hook runs in.
    ///
    /// # Safety
    /// `state` must be the `state` argument of a running netfilter hook.
    pub(crate) unsafe fn from_hook_state(state: *const b::nf_hook_state) -> Self {
        // SAFETY: the caller guarantees `state` is valid.
        NetRef(unsafe { b::rvs_hook_net(state) })
    }

    /// A namespace the kernel handed to a pernet callback.
    ///
    /// # Safety
    /// `net` must be alive for as long as the value is used to reach it.
    pub(crate) unsafe fn from_raw(net: *mut b::net) -> Self {
        NetRef(net)
    }

    /// The namespace of the calling task (process context: a write to a
    /// parameter file).
    pub(crate) fn current() -> Self {
        // SAFETY: process context; the task's namespace outlives its
        // system call.
        NetRef(unsafe { b::rvs_current_net() })
    }

    /// The namespace's inode number (as `/proc/PID/ns/net` shows it).
    ///
    /// # Safety
    /// The namespace must still be alive.
    pub(crate) unsafe fn inum(self) -> u32 {
        // SAFETY: alive per the caller; reads one field.
        unsafe { b::rvs_net_inum(self.0) }
    }

    /// The namespace as a number, for hashing (its address).
    pub(crate) fn id(self) -> u64 {
        self.0 as usize as u64
    }
}

/// A cached route: of one direction of a connection, or toward a real
/// server (see `rvs_route_cached_v4`).
///
/// INVARIANT: null or a `struct dst_entry` this value holds a reference
/// to; only the C helpers change it (atomically).
pub(crate) struct RouteCache(core::cell::UnsafeCell<*mut c_void>);

// SAFETY: the slot is only read and swapped atomically by the C helpers
// (READ_ONCE/xchg), and dst entries may be used and released on any CPU.
unsafe impl Send for RouteCache {}
// SAFETY: see `Send`.
unsafe impl Sync for RouteCache {}

impl RouteCache {
    pub(crate) const fn new() -> Self {
        RouteCache(core::cell::UnsafeCell::new(core::ptr::null_mut()))
    }
}

impl Drop for RouteCache {
    fn drop(&mut self) {
        // SAFETY: the slot holds null or a referenced dst (invariant);
        // the helper swaps it out and drops that reference. A connection
        // that was in the table is dropped after a grace period, so no
        // packet still borrows its dst; one that never was (its allocation
        // failed) has a null slot. A real server's slot is never borrowed
        // from: readers take a reference of their own first, and a dst
        // whose last reference goes is freed only after a grace period.
        unsafe { b::rvs_route_cache_drop(self.0.get()) }
    }
}

/// Sets up the SYN cookie key (module init).
pub(crate) fn cookie_init() {
    // SAFETY: fills a static key with random bytes; called once at init
    // before any hook runs.
    unsafe { b::rvs_cookie_init() }
}

/// The keyed hash of a client's 4-tuple (big-endian values as read) and
/// `extra`, for SYN cookies.
pub(crate) fn cookie_hash(saddr: u32, daddr: u32, sport: u16, dport: u16, extra: u32) -> u32 {
    // SAFETY: pure function of its arguments and the static key.
    unsafe { b::rvs_cookie_hash(saddr.to_be(), daddr.to_be(), sport.to_be(), dport.to_be(), extra) }
}

/// The hook function type netfilter calls.
pub(crate) type HookFn = unsafe extern "C" fn(*mut c_void, *mut b::sk_buff, *const b::nf_hook_state) -> u32;

/// The IPv4 netfilter hook of rvs, registered in every network namespace
/// (present and future); dropping it unregisters it everywhere.
///
/// # Invariants
/// The hook is registered while a value exists; there is at most one.
pub(crate) struct NfHook(());

impl NfHook {
    /// Registers the hooks `(hooknum, priority, function)`; `priv_` is
    /// passed to every call.
    ///
    /// # Safety
    /// `priv_` must stay valid until the returned value is dropped, and only
    /// one `NfHook` may exist at a time (the C side holds one ops array).
    pub(crate) unsafe fn register(hooks: [(u32, i32, HookFn); b::RVS_NR_HOOKS as usize], priv_: *mut c_void) -> Result<Self> {
        let specs = hooks.map(|(hooknum, priority, f)| b::rvs_hook_spec { fn_: Some(f), hooknum, priority });
        // SAFETY: `specs` is a valid array of RVS_NR_HOOKS entries, copied
        // by the callee; the caller guarantees `priv_` outlives the
        // registration and that this is the only one.
        let r = unsafe { b::rvs_hook_register(specs.as_ptr(), priv_) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        // INVARIANT: registered just above.
        Ok(NfHook(()))
    }
}

/// Registers the hooks of the live [`NfHook`] in `net` (once; later calls
/// do nothing). They stay until the namespace exits or the `NfHook` drops.
/// `ENODEV` if no `NfHook` is live (rvs is unloading).
pub(crate) fn hooks_on(net: NetRef) -> Result {
    // SAFETY: `net.0` points to a namespace whose memory is live (a
    // `NetRef` lives no longer than its namespace, see the type); the
    // helper refuses one that is exiting, serialises itself and checks
    // that the ops are registered.
    let r = unsafe { b::rvs_net_hooks_on(net.0) };
    if r < 0 {
        Err(Error::from_errno(r))
    } else {
        Ok(())
    }
}

impl Drop for NfHook {
    fn drop(&mut self) {
        // SAFETY: registered by the type invariant. Unregistration waits
        // (synchronize_net) for running hook calls in every namespace, so
        // `priv_` is unused once it returns.
        unsafe { b::rvs_hook_unregister() };
    }
}

/// Per-CPU u64 counters, `n` of them per CPU.
///
/// # Invariants
/// `p` is a per-CPU allocation of `n` u64 per CPU, freed on drop.
pub(crate) struct PerCpu {
    p: *mut c_void,
    n: u32,
}

// SAFETY: per-CPU counters are updated with this_cpu_add (safe from any
// context on the local CPU) and read by summing; sharing is their purpose.
unsafe impl Send for PerCpu {}
// SAFETY: see `Send`.
unsafe impl Sync for PerCpu {}

impl PerCpu {
    /// Allocates `n` zeroed counters per CPU.
    pub(crate) fn new(n: u32) -> Result<Self> {
        // SAFETY: plain allocation.
        let p = unsafe { b::rvs_pcpu_alloc(n) };
        if p.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: allocated just above with `n` counters.
        Ok(PerCpu { p, n })
    }

    /// Adds `v` to counter `idx` on this CPU.
    #[inline]
    pub(crate) fn add(&self, idx: u32, v: u64) {
        if idx < self.n {
            // SAFETY: `p` is valid with `n` counters and `idx < n`.
            unsafe { b::rvs_pcpu_add(self.p, idx, v) }
        }
    }

    /// Adds `a` to counter `idx` and `b` to counter `idx + 1` of each
    /// block given, on this CPU, in one call (a packet's accounting).
    /// Blocks too short for the pair are skipped.
    #[inline]
    pub(crate) fn add_pairs(blocks: [Option<(&PerCpu, u32)>; 4], a: u64, b: u64) {
        let mut p = [core::ptr::null_mut::<c_void>(); 4];
        let mut idx = [0u32; 4];
        for (i, blk) in blocks.iter().enumerate() {
            if let Some((c, j)) = *blk {
                if j.checked_add(1).is_some_and(|k| k < c.n) {
                    p[i] = c.p;
                    idx[i] = j;
                }
            }
        }
        // SAFETY: each non-null `p[i]` is a live block (borrowed above) of
        // `n` counters with `idx[i] + 1 < n`; null entries are skipped.
        unsafe { b::rvs_pcpu_add_pairs(p.as_ptr(), idx.as_ptr(), a, b) }
    }

    /// The sum over all CPUs of counter `idx`.
    pub(crate) fn sum(&self, idx: u32) -> u64 {
        if idx >= self.n {
            return 0;
        }
        // SAFETY: `p` is valid with `n` counters and `idx < n`.
        unsafe { b::rvs_pcpu_sum(self.p, idx) }
    }
}

impl Drop for PerCpu {
    fn drop(&mut self) {
        // SAFETY: allocated by `rvs_pcpu_alloc`, freed once here.
        unsafe { b::rvs_pcpu_free(self.p) }
    }
}

/// Atomic types whose all-zero bit pattern is a valid value.
///
/// # Safety
/// Implementors must be valid when zero-initialised.
pub(crate) unsafe trait ZeroValid {}
// SAFETY: a zeroed `AtomicPtr` is a null pointer.
unsafe impl<T> ZeroValid for AtomicPtr<T> {}
// SAFETY: a zeroed `AtomicU64` is 0.
unsafe impl ZeroValid for AtomicU64 {}

/// A zeroed array of `n` atomics, allocated with kvzalloc (large tables
/// come from vmalloc).
///
/// # Invariants
/// `p` points to `n` zero-initialised `A` slots, freed on drop.
pub(crate) struct Zeroed<A: ZeroValid> {
    p: *mut A,
    n: usize,
}

/// The RCU-published list heads of a hash table.
pub(crate) type Heads<T> = Zeroed<AtomicPtr<T>>;

// SAFETY: the slots are atomics; what they may point to is managed by
// their owner.
unsafe impl<A: ZeroValid> Send for Zeroed<A> {}
// SAFETY: see `Send`.
unsafe impl<A: ZeroValid> Sync for Zeroed<A> {}

impl<A: ZeroValid> Zeroed<A> {
    /// `n` zeroed slots.
    pub(crate) fn new(n: usize) -> Result<Self> {
        let size = n.checked_mul(core::mem::size_of::<A>()).ok_or(ENOMEM)?;
        // SAFETY: plain allocation.
        let p = unsafe { b::rvs_kvzalloc(size) } as *mut A;
        if p.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: zeroed memory is a valid `A` (`ZeroValid`).
        Ok(Zeroed { p, n })
    }

    /// The slots as a slice.
    pub(crate) fn as_slice(&self) -> &[A] {
        // SAFETY: `p` holds `n` initialised slots by the type invariant.
        unsafe { core::slice::from_raw_parts(self.p, self.n) }
    }
}

impl<A: ZeroValid> Drop for Zeroed<A> {
    fn drop(&mut self) {
        // SAFETY: allocated by `rvs_kvzalloc`, freed once here.
        unsafe { b::rvs_kvfree(self.p as *mut c_void) }
    }
}

/// The striped bucket locks of the connection table (one set per module).
///
/// # Invariants
/// The C lock array is initialised while a value exists.
pub(crate) struct StripeLocks {
    mask: u32,
}

impl StripeLocks {
    /// Initialises `n` locks; `n` must be a power of two.
    pub(crate) fn new(n: u32) -> Result<Self> {
        if !n.is_power_of_two() {
            return Err(EINVAL);
        }
        // SAFETY: called once at init; `Drop` frees.
        let r = unsafe { b::rvs_locks_init(n) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(StripeLocks { mask: n - 1 })
    }

    /// Which lock guards bucket `bucket`.
    pub(crate) fn stripe(&self, bucket: u32) -> u32 {
        bucket & self.mask
    }

    /// Locks the stripes of buckets `a` and `b` (one lock if they share
    /// it), lowest first so that two lockers never wait on each other,
    /// bottom halves off, until the guard drops.
    pub(crate) fn lock2(&self, a: u32, b: u32) -> StripeGuard<'_> {
        let (lo, hi) = {
            let (x, y) = (self.stripe(a), self.stripe(b));
            (x.min(y), x.max(y))
        };
        // SAFETY: the array is initialised (type invariant); indices are
        // taken modulo its size.
        unsafe { b::rvs_lock_bh(lo) };
        let hi = if hi != lo {
            // SAFETY: as above; `lo` is held and `hi > lo`, the one nesting
            // order ever used, which the lockdep annotation states.
            unsafe { b::rvs_lock_nested(hi) };
            Some(hi)
        } else {
            None
        };
        StripeGuard { _l: self, lo, hi }
    }
}

impl Drop for StripeLocks {
    fn drop(&mut self) {
        // SAFETY: no guard outlives `self` (they borrow it).
        unsafe { b::rvs_locks_free() }
    }
}

/// One or two held stripe locks.
pub(crate) struct StripeGuard<'a> {
    _l: &'a StripeLocks,
    lo: u32,
    hi: Option<u32>,
}

impl Drop for StripeGuard<'_> {
    fn drop(&mut self) {
        if let Some(hi) = self.hi {
            // SAFETY: locked (nested) by this guard.
            unsafe { b::rvs_unlock(hi) }
        }
        // SAFETY: locked by this guard.
        unsafe { b::rvs_unlock_bh(self.lo) }
    }
}

/// The collector's mutex, held while the guard lives: the collector's tick
/// and a namespace's cleanup, the only code that unlinks connections, never
/// run at once.
pub(crate) struct GcGuard(());

impl GcGuard {
    /// Takes the mutex (may sleep).
    pub(crate) fn lock() -> Self {
        // SAFETY: a static mutex; callers are in process context.
        unsafe { b::rvs_gc_lock() };
        GcGuard(())
    }
}

impl Drop for GcGuard {
    fn drop(&mut self) {
        // SAFETY: locked in `lock`.
        unsafe { b::rvs_gc_unlock() }
    }
}

/// The configuration mutex, held while the guard lives.
pub(crate) struct CfgGuard(());

impl CfgGuard {
    /// Takes the mutex (may sleep).
    pub(crate) fn lock() -> Self {
        // SAFETY: a static mutex; callers are in process context.
        unsafe { b::rvs_cfg_lock() };
        CfgGuard(())
    }
}

impl Drop for CfgGuard {
    fn drop(&mut self) {
        // SAFETY: locked in `lock`.
        unsafe { b::rvs_cfg_unlock() }
    }
}

/// Waits for every RCU reader that started before the call.
pub(crate) fn synchronize_rcu() {
    // SAFETY: process context only (callers: config and GC work).
    unsafe { b::rvs_synchronize_rcu() }
}

/// Jiffies now.
pub(crate) fn jiffies() -> u64 {
    // SAFETY: reads a counter.
    unsafe { b::rvs_jiffies64() }
}

/// Ticks per second.
pub(crate) const fn hz() -> u64 {
    b::RVS_HZ as u64
}

/// A random 32-bit value.
pub(crate) fn random_u32() -> u32 {
    // SAFETY: no preconditions.
    unsafe { b::rvs_random_u32() }
}

/// The kernel's keyed ISN for a TCP 4-tuple (values in host order).
pub(crate) fn secure_tcp_seq(saddr: u32, daddr: u32, sport: u16, dport: u16) -> u32 {
    // SAFETY: a pure function of its arguments and the kernel's secret.
    unsafe { b::rvs_secure_tcp_seq(saddr.to_be(), daddr.to_be(), sport.to_be(), dport.to_be()) }
}

/// Module parameters.
pub(crate) fn param_conn_tab_bits() -> u32 {
    // SAFETY: reads a 0444 parameter.
    unsafe { b::rvs_param_conn_tab_bits() }
}

/// Module parameter `max_conns`.
pub(crate) fn param_max_conns() -> u32 {
    // SAFETY: reads a 0444 parameter.
    unsafe { b::rvs_param_max_conns() }
}

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

/// Proof that an RCU read-side critical section is open; dropping it closes
/// the section.
///
/// # Invariants
/// If `locked`, this guard opened the section and closes it when dropped;
/// otherwise a section its creator vouched for stays open while it lives.
pub(crate) struct RcuGuard {
    locked: bool,
    _not_send: core::marker::PhantomData<*mut ()>,
}

impl RcuGuard {
    /// Opens a read-side critical section (nests; cheap).
    pub(crate) fn new() -> Self {
        // SAFETY: rcu_read_lock has no preconditions; `Drop` unlocks. The
        // guard is !Send, so it is unlocked on the CPU/task that locked it.
        unsafe { b::rvs_rcu_read_lock() };
        // INVARIANT: locked just above.
        RcuGuard { locked: true, _not_send: core::marker::PhantomData }
    }

    /// Proof of a read-side critical section the caller is already in (a
    /// netfilter hook: `nf_hook` calls the hooks under `rcu_read_lock`),
    /// without taking it again: two calls fewer per packet.
    ///
    /// # Safety
    /// The caller must be inside an RCU read-side critical section that
    /// lasts at least as long as the returned guard.
    pub(crate) unsafe fn held_by_caller() -> Self {
        // INVARIANT: the caller vouches for the open section.
        RcuGuard { locked: false, _not_send: core::marker::PhantomData }
    }
}

impl Drop for RcuGuard {
    fn drop(&mut self) {
        if self.locked {
            // SAFETY: locked in `new` (type invariant).
            unsafe { b::rvs_rcu_read_unlock() }
        }
    }
}

/// A heap value published under RCU: readers borrow it for the length of
/// their read section; a writer replaces it and frees the old one after a
/// grace period.
///
/// # Invariants
/// `p` always points to a live value from `KBox::into_raw`.
pub(crate) struct RcuBox<T> {
    p: AtomicPtr<T>,
}

// SAFETY: readers only get `&T`, shared across CPUs; so T must be Sync.
unsafe impl<T: Sync + Send> Sync for RcuBox<T> {}
// SAFETY: the box owns a `T`.
unsafe impl<T: Send> Send for RcuBox<T> {}

impl<T> RcuBox<T> {
    /// Publishes `v`.
    pub(crate) fn new(v: KBox<T>) -> Self {
        // INVARIANT: from `KBox::into_raw`.
        RcuBox { p: AtomicPtr::new(KBox::into_raw(v)) }
    }

    /// The current value, for the length of the read section `_g`.
    pub(crate) fn read<'a>(&'a self, _g: &'a RcuGuard) -> &'a T {
        let p = self.p.load(core::sync::atomic::Ordering::Acquire);
        // SAFETY: `p` is live (type invariant); a replaced value is freed
        // only after a grace period, which cannot end while `_g` is held.
        unsafe { &*p }
    }

    /// The current value, for a writer: values are replaced only under the
    /// configuration mutex, which `_cfg` proves is held, so the value lives
    /// at least as long as the borrow (rcu_dereference_protected).
    pub(crate) fn read_locked<'a>(&'a self, _cfg: &'a CfgGuard) -> &'a T {
        let p = self.p.load(core::sync::atomic::Ordering::Acquire);
        // SAFETY: `p` is live (type invariant) and only a holder of the
        // configuration mutex replaces (and frees) it.
        unsafe { &*p }
    }

    /// Publishes `v` in place of the current value, waits for the readers
    /// of the old one, then frees it. Process context, under the
    /// configuration mutex.
    pub(crate) fn replace(&self, _cfg: &CfgGuard, v: KBox<T>) {
        let old = self.p.swap(KBox::into_raw(v), core::sync::atomic::Ordering::AcqRel);
        synchronize_rcu();
        // SAFETY: `old` came from `KBox::into_raw` and no reader can still
        // hold it after the grace period.
        drop(unsafe { KBox::from_raw(old) });
    }
}

impl<T> Drop for RcuBox<T> {
    fn drop(&mut self) {
        // SAFETY: owned and live by the type invariant; no reader remains
        // once the owner is dropped (hooks are unregistered first).
        drop(unsafe { KBox::from_raw(*self.p.get_mut()) });
    }
}

/// The generic netlink family "IPVS" (src/genl_helpers.c), registered while
/// a value exists.
pub(crate) struct GenlFamily(());

impl GenlFamily {
    /// Registers the family. `EEXIST`: another "IPVS" family (ip_vs) is
    /// registered.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: the family is static; `Drop` unregisters it. Its ops reach
        // the state only through `STATE`, under the configuration mutex.
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
    pub(crate) unsafe fn from_raw(p: *mut c_void) -> Self {
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
    pub(crate) unsafe fn from_raw(p: *mut c_void) -> Self {
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
    pub(crate) unsafe fn from_raw(skb: *mut b::sk_buff, cb: *mut c_void, args: *mut core::ffi::c_long) -> Self {
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
/// (src/procfs.c), present while a value exists.
pub(crate) struct ProcFiles(());

impl ProcFiles {
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: static pernet ops; `Drop` unregisters. The files reach
        // the state only through `STATE`, and are removed (waiting for
        // their readers) before the state is freed.
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
    pub(crate) unsafe fn from_raw(p: *mut c_void) -> Self {
        SeqFile(p)
    }

    /// Appends `b` (on overflow the seq_file core retries the show with a
    /// bigger buffer).
    pub(crate) fn write(&mut self, b: &[u8]) {
        // SAFETY: `self.0` is valid for the call; `b` is copied.
        unsafe { b::rvs_seq_write(self.0, b.as_ptr(), b.len()) }
    }
}

/// The sysctls under net/ipv4/vs (src/procfs.c), present while a value
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
