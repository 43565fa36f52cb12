// SPDX-License-Identifier: GPL-2.0
//! rvs's netfilter hooks, IPv4 and IPv6: their registration (C side: the pernet ops
//! in `helpers.c`), and the trampolines netfilter and the pernet exit call,
//! which hand the director a borrowed [`Skb`] and take back its
//! [`Verdict`](super::skb::Verdict).
//!
//! The hooks are prepared for every namespace but registered only in those
//! rvs works in ([`hooks_on`], with a namespace's first service), as
//! upstream IPVS does; a namespace keeps them until it exits or rvs
//! unloads.

use super::bindings as b;
use super::module;
use super::net::NetRef;
use super::rcu::RcuGuard;
use super::skb::Skb;
use crate::rvs_core::addr::Family;
use core::ffi::c_void;
use kernel::prelude::*;

/// What netfilter tells a hook besides the packet (`struct nf_hook_state`),
/// for the length of the hook's call.
pub(crate) struct HookState<'a>(*const b::nf_hook_state, core::marker::PhantomData<&'a ()>);

impl HookState<'_> {
    /// The namespace the hook runs in (one helper call: asked only by the
    /// packets that need it).
    pub(crate) fn net(&self) -> NetRef {
        // SAFETY: `self.0` is the running hook's state (see the
        // trampolines), valid while `self` lives.
        unsafe { NetRef::from_hook_state(self.0) }
    }
}

/// Where a hook sits, for which family, and with which priority.
#[derive(Clone, Copy)]
pub(crate) enum Hook {
    /// LOCAL_IN: packets to the director's own addresses (VIPs, LADDRs).
    LocalIn(Family, i32),
    /// PRE_ROUTING: every packet the namespace receives.
    PreRouting(Family, i32),
    /// FORWARD: packets passing through (NAT real servers' answers).
    Forward(Family, i32),
}

/// rvs's hooks, prepared for every namespace while a value exists;
/// dropping it unregisters them wherever they are.
///
/// # Invariants
/// The C ops are prepared (`rvs_hook_register` succeeded) while a value
/// exists; the C side refuses a second preparation, so there is one.
pub(crate) struct NfHooks(());

impl NfHooks {
    /// Prepares the hooks; they call into the director through the
    /// module state (`super::module`), so no pointer is registered with
    /// them. `EBUSY` if they are prepared already.
    pub(crate) fn register(hooks: [Hook; b::RVS_NR_HOOKS as usize]) -> Result<Self> {
        let pf = |f| match f {
            Family::V4 => b::NFPROTO_IPV4 as u8,
            Family::V6 => b::NFPROTO_IPV6 as u8,
        };
        let specs = hooks.map(|h| match h {
            Hook::LocalIn(f, priority) => b::rvs_hook_spec {
                fn_: Some(if f == Family::V6 { local_in::<true> } else { local_in::<false> }),
                pf: pf(f),
                hooknum: b::nf_inet_hooks_NF_INET_LOCAL_IN,
                priority,
            },
            Hook::PreRouting(f, priority) => b::rvs_hook_spec {
                // C first: only a fragment comes to `rvs_frag_guard`.
                fn_: Some(if f == Family::V6 { b::rvs_pre_routing_v6 } else { b::rvs_pre_routing_v4 }),
                pf: pf(f),
                hooknum: b::nf_inet_hooks_NF_INET_PRE_ROUTING,
                priority,
            },
            Hook::Forward(f, priority) => b::rvs_hook_spec {
                fn_: Some(if f == Family::V6 { forward::<true> } else { forward::<false> }),
                pf: pf(f),
                hooknum: b::nf_inet_hooks_NF_INET_FORWARD,
                priority,
            },
        });
        // SAFETY: `specs` is a valid array of RVS_NR_HOOKS entries, copied
        // by the callee; the functions are this file's trampolines, which
        // need no private pointer.
        let r = unsafe { b::rvs_hook_register(specs.as_ptr(), core::ptr::null_mut()) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        // INVARIANT: prepared just above.
        Ok(NfHooks(()))
    }
}

impl Drop for NfHooks {
    fn drop(&mut self) {
        // SAFETY: prepared by the type invariant. Unregistration waits
        // (synchronize_net) for running hook calls in every namespace.
        unsafe { b::rvs_hook_unregister() };
    }
}

/// Registers the prepared hooks in `net` (once; later calls do nothing).
/// `ENODEV` if none are prepared (rvs is unloading) or the namespace is
/// on its way out.
pub(crate) fn hooks_on(net: NetRef) -> Result {
    // SAFETY: `net` is alive (`NetRef`'s invariant); the helper refuses
    // one that is exiting, serialises itself and checks that the ops are
    // prepared.
    let r = unsafe { b::rvs_net_hooks_on(net.as_ptr()) };
    if r < 0 {
        Err(Error::from_errno(r))
    } else {
        Ok(())
    }
}

/// The family of the trampoline instance (`V6`: the IPv6 hook's).
const fn family(v6: bool) -> Family {
    if v6 {
        Family::V6
    } else {
        Family::V4
    }
}

/// The LOCAL_IN hook of IPv4 (`V6` false) or IPv6.
///
/// # Safety
/// Called by netfilter only, with the hook's `skb` and `state`.
unsafe extern "C" fn local_in<const V6: bool>(_priv: *mut c_void, skb: *mut b::sk_buff, state: *const b::nf_hook_state) -> u32 {
    // SAFETY: netfilter runs hooks inside an RCU read-side critical
    // section (nf_hook), which outlasts this call.
    let g = unsafe { RcuGuard::held_by_caller() };
    let Some(st) = module::state_rcu(&g) else {
        return b::NF_ACCEPT;
    };
    // SAFETY: `skb` is this call's packet; the `Skb` is consumed below,
    // before the call returns.
    let skb = unsafe { Skb::from_hook(skb) };
    // The state lives as long as this call; the value does not outlive it.
    let state = HookState(state, core::marker::PhantomData);
    crate::dispatch::local_in(st, &g, skb, &state, family(V6)).raw()
}

/// The fragment guard at PRE_ROUTING, for the packets the C hook
/// functions (`rvs_pre_routing_v4`/`_v6`) pass on: IPv4 fragments, IPv6
/// packets with an extension header.
#[no_mangle]
pub(crate) extern "C" fn rvs_frag_guard(skb: *mut b::sk_buff, state: *const b::nf_hook_state, v6: bool) -> u32 {
    // SAFETY: called by the PRE_ROUTING hook functions only, inside the
    // hook's RCU read-side critical section (nf_hook), which outlasts
    // this call.
    let g = unsafe { RcuGuard::held_by_caller() };
    let Some(st) = module::state_rcu(&g) else {
        return b::NF_ACCEPT;
    };
    // SAFETY: `skb` is the hook's packet, handed on by the hook function
    // with its verdict; the `Skb` is consumed below, before the call
    // returns.
    let skb = unsafe { Skb::from_hook(skb) };
    // The state lives as long as this call; the value does not outlive it.
    let state = HookState(state, core::marker::PhantomData);
    crate::dispatch::pre_routing(st, &g, skb, &state, family(v6)).raw()
}

/// The FORWARD hook of IPv4 (`V6` false) or IPv6.
///
/// # Safety
/// As for [`local_in`].
unsafe extern "C" fn forward<const V6: bool>(_priv: *mut c_void, skb: *mut b::sk_buff, state: *const b::nf_hook_state) -> u32 {
    // SAFETY: as in `local_in`.
    let g = unsafe { RcuGuard::held_by_caller() };
    let Some(st) = module::state_rcu(&g) else {
        return b::NF_ACCEPT;
    };
    // SAFETY: as in `local_in`.
    let skb = unsafe { Skb::from_hook(skb) };
    let state = HookState(state, core::marker::PhantomData);
    crate::dispatch::forward_hook(st, &g, skb, &state, family(V6)).raw()
}

/// A namespace is going away (the pernet exit, after its hooks were
/// unregistered: no packet of it is in flight). Process context.
#[no_mangle]
pub(crate) extern "C" fn rvs_net_gone(net: *mut b::net) {
    // SAFETY: the namespace is alive during its pernet exit, and the value
    // does not outlive this call (what the director keeps of it, it drops
    // here).
    let net = unsafe { NetRef::from_raw(net) };
    crate::net_gone(net);
}

/// A device is leaving namespace `net` (`rvs_netdev_event`, a grace
/// period after its routes left the tree). Process context, RTNL held.
#[no_mangle]
pub(crate) extern "C" fn rvs_dev_gone(net: *mut b::net) {
    // SAFETY: the device being unregistered belongs to `net`, which is
    // alive while its devices are (a namespace's devices go before it),
    // and the value does not outlive this call.
    let net = unsafe { NetRef::from_raw(net) };
    crate::dev_gone(net);
}
