// SPDX-License-Identifier: GPL-2.0
//! Packets (`struct sk_buff`) and the verdict a netfilter hook returns
//! about the one it was handed.
//!
//! A hook's packet is borrowed: netfilter owns it, and the hook says with
//! its verdict what becomes of it (the stack goes on with it, frees it, or
//! rvs took it). A packet rvs built, or kept past its hook (SYNPROXY's
//! queue), is owned and freed when dropped. The verdict is not a number
//! the packet path picks: it is what consuming the packet yields
//! ([`Skb::accept`], [`Skb::discard`], [`Skb::keep`], [`Skb::output`]),
//! so a packet that was passed on or kept can never be reported to
//! netfilter as one it may still touch.

use super::bindings as b;
use super::net::NetRef;
use super::rcu::RcuGuard;
use super::route::{RouteCache, TunRoute};
use crate::rvs_core::addr::{Addr, Family};
use crate::rvs_core::csum::FieldState;
use crate::rvs_core::ipvs_msg::Tunnel;
use kernel::prelude::*;

/// What a netfilter hook tells netfilter about its packet. Made only by
/// consuming an [`Skb`]: see the module's head.
#[must_use]
pub(crate) struct Verdict(u32);

impl Verdict {
    /// The raw value, for the hook trampolines.
    pub(super) fn raw(self) -> u32 {
        self.0
    }
}

/// A packet: either handed to a netfilter hook (borrowed for the hook's
/// duration), or owned by rvs (built by it, or kept past its hook) and
/// freed when dropped.
///
/// A borrowed packet dropped without being consumed is left to netfilter
/// untouched; the hook then has no verdict about it but one from another,
/// owned packet (which is always "stolen"): at worst a leak, never a
/// packet used after netfilter freed it.
///
/// # Invariants
/// `ptr` points to a valid `sk_buff`. If `owned`, nobody else holds it;
/// otherwise the running hook does, until the value is consumed.
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
    pub(super) unsafe fn from_hook(ptr: *mut b::sk_buff) -> Self {
        // INVARIANT: the caller guarantees validity for the hook's duration.
        Skb { ptr, owned: false }
    }

    /// A new packet of family `f` of `len` zeroed bytes, owned.
    pub(crate) fn alloc(len: usize, f: Family) -> Option<Skb> {
        // SAFETY: plain allocation; NULL is checked.
        let ptr = unsafe { b::rvs_skb_alloc(len as u32, f == Family::V6) };
        if ptr.is_null() {
            return None;
        }
        // INVARIANT: a fresh skb nobody else knows.
        Some(Skb { ptr, owned: true })
    }

    /// The stack goes on with a hook's packet (`NF_ACCEPT`); an owned one
    /// has no hook to go back to and is freed.
    pub(crate) fn accept(self) -> Verdict {
        self.verdict_or_free(b::NF_ACCEPT)
    }

    /// Drops the packet: netfilter frees a hook's (`NF_DROP`), an owned one
    /// is freed here.
    pub(crate) fn discard(self) -> Verdict {
        self.verdict_or_free(b::NF_DROP)
    }

    /// For a hook's packet, `v`; an owned packet is freed (by the drop at
    /// the end of this call) and reported stolen.
    fn verdict_or_free(self, v: u32) -> Verdict {
        Verdict(if self.owned { b::NF_STOLEN } else { v })
    }

    /// Takes the packet over to keep it past its hook: the owned packet
    /// and the hook's verdict (`NF_STOLEN`), which come only together.
    pub(crate) fn keep(mut self) -> (Skb, Verdict) {
        if !self.owned {
            // SAFETY: valid by the type invariant; the hook gives up its
            // claim with the `NF_STOLEN` returned beside the packet, so the
            // packet is ours from here.
            unsafe { b::rvs_skb_keep(self.ptr) };
            // INVARIANT: see above.
            self.owned = true;
        }
        (self, Verdict(b::NF_STOLEN))
    }

    /// Makes the packet exactly `len` linear, private bytes from the
    /// network header, to be rewritten into a reply of family `f` (no
    /// socket, checksums to be written complete).
    pub(crate) fn reshape(&mut self, len: usize, f: Family) -> Result {
        let thoff = if f == Family::V6 { 40 } else { 20 };
        // SAFETY: valid by the type invariant; the helper checks the
        // layout. `&mut self`: no slice of the old data lives on.
        let r = unsafe { b::rvs_skb_reshape(self.ptr, len as u32, thoff) };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(())
        }
    }

    /// The path MTU of the route the packet was given (by
    /// [`Skb::route_cached`] or [`Skb::route`]).
    pub(crate) fn dst_mtu(&self) -> usize {
        // SAFETY: `self.ptr` is valid and routed (see above): its dst is
        // set, held or borrowed under the caller's read section.
        unsafe { b::rvs_skb_dst_mtu(self.ptr) as usize }
    }

    /// Bytes in the packet from the network header on (`skb->len` at the
    /// IPv4 hooks, where `skb->data` is the network header).
    pub(crate) fn len(&self) -> usize {
        // SAFETY: `self.ptr` is valid by the type invariant.
        unsafe { b::rvs_skb_len(self.ptr) as usize }
    }

    /// The memory the packet holds (`skb->truesize`: buffers and
    /// metadata), what keeping it costs.
    pub(crate) fn truesize(&self) -> usize {
        // SAFETY: `self.ptr` is valid by the type invariant.
        unsafe { b::rvs_skb_truesize(self.ptr) as usize }
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

    /// Routes the packet from `saddr` to `daddr`, addresses of one family
    /// (its dst is set); returns the path MTU.
    pub(crate) fn route(&mut self, net: NetRef, saddr: &Addr, daddr: &Addr) -> Result<usize> {
        let r = match (saddr.as_v4(), daddr.as_v4()) {
            // SAFETY: `self.ptr` is valid; `net` is a live namespace (see
            // `NetRef`).
            (Some(s), Some(d)) => unsafe { b::rvs_route_v4(net.as_ptr(), self.ptr, s.to_be(), d.to_be()) },
            // SAFETY: as above; both address pointers are to 16 readable
            // bytes borrowed for the call, which copies them.
            _ => unsafe { b::rvs_route_v6(net.as_ptr(), self.ptr, saddr.octets().as_ptr(), daddr.octets().as_ptr()) },
        };
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
    pub(crate) fn route_cached(
        &mut self,
        g: &RcuGuard,
        net: NetRef,
        cache: &RouteCache,
        shared: Option<&RouteCache>,
        saddr: &Addr,
        daddr: &Addr,
    ) -> Result {
        match (saddr.as_v4(), daddr.as_v4()) {
            (Some(s), Some(d)) => self.route_v4_cached(g, net, cache, shared, s, d, false),
            _ => self.route_v6_cached(g, net, cache, shared, saddr, daddr, false),
        }
    }

    /// Routes the packet, whose addresses stay as they are, to `nexthop`'s
    /// link-layer address (direct routing: the real server on a link of
    /// the director's), through `cache` (the real server's: the route
    /// depends on it alone, so no second, shared cache), which must hold
    /// routes of this kind only.
    pub(crate) fn route_cached_to(&mut self, g: &RcuGuard, net: NetRef, cache: &RouteCache, nexthop: &Addr) -> Result {
        match nexthop.as_v4() {
            Some(d) => self.route_v4_cached(g, net, cache, None, 0, d, true),
            None => self.route_v6_cached(g, net, cache, None, &Addr::v6([0; 16]), nexthop, true),
        }
    }

    /// Takes one off the TTL (hop limit) of the packet (network header at
    /// `data`, IPv6 if `v6`); `ETIMEDOUT` if it ran out, its sender told
    /// by an ICMP time exceeded.
    pub(crate) fn dec_ttl(&mut self, v6: bool) -> Result {
        // SAFETY: `self.ptr` is valid with its network header at `data`
        // (hook input) and its input route still set; the helper makes
        // the header writable itself.
        let r = unsafe { b::rvs_dec_ttl(self.ptr, v6) };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(())
        }
    }

    /// Whether the packet's route (set by a `route*` call) delivers it to
    /// this host.
    pub(crate) fn route_is_local(&self) -> bool {
        // SAFETY: `self.ptr` is valid (type invariant) and has a route
        // (the caller's `route*` call succeeded).
        unsafe { b::rvs_skb_dst_is_local(self.ptr) }
    }

    /// Marks the packet as rewritten in place (addresses, ports, their
    /// checksums updated) on its way on through the stack: a
    /// whole-packet checksum the device computed is dropped, so that the
    /// stack sums again instead of trusting a stale one.
    pub(crate) fn rewritten(&mut self) {
        // SAFETY: `self.ptr` is valid (type invariant).
        unsafe { b::rvs_skb_rewritten(self.ptr) }
    }

    /// Whether the packet, routed and still as it came (network header at
    /// `data`, IPv6 if `v6`), is too big for its route's MTU: if so its
    /// sender was sent the ICMP error that says so (frag-needed for an
    /// IPv4 packet with DF, packet too big for IPv6), quoting it.
    pub(crate) fn too_big(&mut self, v6: bool) -> bool {
        // SAFETY: `self.ptr` is valid with its network header at `data`
        // (hook input) and a route set (`route_cached`, the caller's
        // step before).
        unsafe { b::rvs_too_big(self.ptr, v6) }
    }

    /// Tunnelling: wraps the packet (network header at `data`, of the
    /// family of `daddr`) in an outer header to `daddr` with `tun`'s
    /// encapsulation (IPIP, GUE, GRE), routed through the real server's
    /// `cache`, ready for [`Skb::output`]. `EMSGSIZE`:
    /// too big for the path, the client was sent an ICMP error saying so.
    pub(crate) fn encapsulate(&mut self, _g: &RcuGuard, net: NetRef, cache: &TunRoute, daddr: &Addr, tun: Tunnel) -> Result {
        let v4;
        let (a, v6) = match daddr.as_v4() {
            Some(d) => {
                v4 = d.to_be_bytes();
                (&v4[..], false)
            }
            None => (&daddr.octets()[..], true),
        };
        // SAFETY: `self.ptr` is valid with its network header at `data`
        // (hook input); `cache`'s slot is borrowed for the call, and `_g`
        // keeps a dst the packet borrows from it alive until the hook
        // returns; `a` holds 4 bytes for IPv4, 16 for IPv6, as `v6` says;
        // the helper reads the type and flags as numbers (any value: one it
        // does not know encapsulates as IPIP).
        let r = unsafe { b::rvs_tunnel(net.as_ptr(), self.ptr, cache.slot(), a.as_ptr(), v6, tun.kind, tun.port.to_be(), tun.flags) };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(())
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn route_v6_cached(
        &mut self,
        _g: &RcuGuard,
        net: NetRef,
        cache: &RouteCache,
        shared: Option<&RouteCache>,
        saddr: &Addr,
        daddr: &Addr,
        known_nh: bool,
    ) -> Result {
        let (sh, sh_cookie) = shared.map_or((core::ptr::null_mut(), core::ptr::null_mut()), |c| (c.slot(), c.cookie()));
        // SAFETY: as `route_v4_cached`, each slot with its cookie (both
        // `RouteCache`'s, borrowed for the call); the address pointers are
        // to 16 readable bytes borrowed for the call, which copies them.
        let r = unsafe {
            b::rvs_route_cached_v6(
                net.as_ptr(),
                self.ptr,
                cache.slot(),
                cache.cookie(),
                sh,
                sh_cookie,
                saddr.octets().as_ptr(),
                daddr.octets().as_ptr(),
                known_nh,
            )
        };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(())
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn route_v4_cached(
        &mut self,
        _g: &RcuGuard,
        net: NetRef,
        cache: &RouteCache,
        shared: Option<&RouteCache>,
        saddr: u32,
        daddr: u32,
        known_nh: bool,
    ) -> Result {
        let shared = shared.map_or(core::ptr::null_mut(), |c| c.slot());
        // SAFETY: `self.ptr` is valid; `cache` (a connection's) and
        // `shared` (null, or its real server's) are slots borrowed for the
        // call, each holding null or a dst with a reference of its own
        // (`RouteCache`'s invariant); `_g` keeps a borrowed dst alive until
        // the hook returns.
        let r = unsafe { b::rvs_route_cached_v4(net.as_ptr(), self.ptr, cache.slot(), shared, saddr.to_be(), daddr.to_be(), known_nh) };
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
    pub(crate) fn l4_csum_ok(&mut self, thoff: usize, proto: u8, f: Family) -> bool {
        // SAFETY: `self.ptr` is a valid skb of family `f` at LOCAL_IN with
        // its data at the network header; `&mut self` makes this the only
        // user.
        unsafe { b::rvs_l4_csum_ok(self.ptr, thoff as u32, proto, f == Family::V6) }
    }

    /// Sends a routed packet of family `f` out through LOCAL_OUT; the skb
    /// is consumed whatever the outcome, and its hook's verdict is
    /// `NF_STOLEN`.
    pub(crate) fn output(self, net: NetRef, f: Family) -> (Verdict, Result) {
        let ptr = self.ptr;
        // The skb passes to the stack: no drop of ours may free it.
        core::mem::forget(self);
        let r = match f {
            // SAFETY: `ptr` is valid and routed, and ours or the hook's to
            // give away (the hook's verdict below says so); the helper
            // takes it. It is not used again.
            Family::V4 => unsafe { b::rvs_output_v4(net.as_ptr(), ptr) },
            // SAFETY: as above.
            Family::V6 => unsafe { b::rvs_output_v6(net.as_ptr(), ptr) },
        };
        (Verdict(b::NF_STOLEN), if r < 0 { Err(Error::from_errno(r)) } else { Ok(()) })
    }

    /// Gathers an IPv4 fragment passing through (FORWARD) into its
    /// datagram, as IPVS does before it translates a real server's answer:
    /// `Ok` with the whole datagram (this packet, grown) once its last
    /// fragment is in, or the hook's verdict (`NF_STOLEN`) while it waits
    /// in the queue (or was dropped there: a bad fragment, no memory).
    pub(crate) fn gather_frags(mut self, net: NetRef) -> core::result::Result<Skb, Verdict> {
        // SAFETY: `self.ptr` is valid (type invariant), an IPv4 packet at
        // FORWARD; `ip_defrag` takes it on failure, which the verdict
        // below reports.
        let r = unsafe { b::rvs_ip_gather_frags(net.as_ptr(), self.ptr) };
        if r == 0 {
            return Ok(self);
        }
        // INVARIANT: the queue (or the free on error) has it now: not ours
        // to free, whoever held it before.
        self.owned = false;
        Err(Verdict(b::NF_STOLEN))
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

    /// NAT64: replaces the network header of `old_l4` bytes (linear and
    /// private: see [`Skb::writable`]) with room for one of `new_l4` bytes
    /// of family `to`, for the caller to write; the transport header stays
    /// in place (checksum offload and aggregation follow, see the helper).
    pub(crate) fn change_family(&mut self, old_l4: usize, new_l4: usize, to: Family) -> Result {
        // SAFETY: `self.ptr` is valid; the helper checks the layout
        // (network header at `data`, `old_l4` bytes in the head) and
        // headroom itself; `&mut self`: no slice of the old head lives on.
        let r = unsafe { b::rvs_skb_change_family(self.ptr, old_l4 as u32, new_l4 as u32, to == Family::V6) };
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
