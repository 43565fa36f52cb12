// SPDX-License-Identifier: GPL-2.0
//! Network namespaces (`struct net`), as rvs refers to them.

use super::bindings as b;
use crate::rvs_core::addr::Addr;
use crate::state::Settings;
use crate::rvs_core::tcp_state::Timeouts;
use core::ffi::c_void;
use kernel::prelude::*;

/// A network namespace: the one of a hook invocation or of a control
/// request, or the one a connection or a service belongs to.
///
/// It points at rvs's area in the namespace ([`NetArea`], in its generic
/// area), not at `struct net`: the packet path reads the namespace's
/// settings several times per packet, and so each is one load, not a
/// call into C (`net_generic`). The namespace itself is the area's first
/// field. One namespace has one area, so equality is the namespace's.
///
/// # Invariants
/// The namespace is alive whenever the pointer is followed (routing,
/// output, `inum`, hook registration, settings). rvs keeps a `NetRef`
/// only in the connections and services of that namespace, and the namespace's exit
/// (`super::netfilter`, pernet exit) frees the connections and retires the
/// services, under the configuration mutex, before the namespace goes; a
/// retired service's `NetRef` serves only as an identity from then on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct NetRef(*const NetArea);

/// What rvs keeps in each namespace's generic area: written once by the
/// pernet init (`rvs_settings_init`), before the namespace is visible to
/// rvs, and freed with the namespace.
#[repr(C)]
pub(crate) struct NetArea {
    /// The namespace the area belongs to.
    net: *mut b::net,
    settings: Settings,
}

// SAFETY: an identity and a handle for routing/output, usable on any CPU.
unsafe impl Send for NetRef {}
// SAFETY: see `Send`.
unsafe impl Sync for NetRef {}

impl NetRef {
    /// The namespace a hook runs in.
    ///
    /// # Safety
    /// `state` must be the `state` argument of a running netfilter hook.
    pub(super) unsafe fn from_hook_state(state: *const b::nf_hook_state) -> Self {
        // SAFETY: the caller guarantees `state` is valid; every namespace
        // has its area while rvs can run (`NetSettings`: registered
        // first, unregistered last).
        // INVARIANT: the hook's namespace is alive while it runs.
        NetRef(unsafe { b::rvs_hook_net_area(state) }.cast::<NetArea>())
    }

    /// A namespace the kernel handed to a callback.
    ///
    /// # Safety
    /// `net` must be alive for as long as the value is used to reach it.
    pub(super) unsafe fn from_raw(net: *mut b::net) -> Self {
        // SAFETY: `net` is alive (the caller's guarantee) and has its
        // area, as in `from_hook_state`.
        // INVARIANT: the caller's guarantee.
        NetRef(unsafe { b::rvs_net_area(net) }.cast::<NetArea>())
    }

    /// The namespace of the calling task (process context: a write to a
    /// parameter file or a sysctl).
    pub(crate) fn current() -> Self {
        // SAFETY: process context; the task's namespace outlives its
        // system call.
        unsafe { NetRef::from_raw(b::rvs_current_net()) }
    }

    /// The area's `struct net`.
    fn net(self) -> *mut b::net {
        // SAFETY: alive by the type invariant, so is its area, whose
        // `net` was written before any `NetRef` to it existed and never
        // changes.
        unsafe { (*self.0).net }
    }

    /// The namespace's inode number (as `/proc/PID/ns/net` shows it).
    pub(crate) fn inum(self) -> u32 {
        // SAFETY: alive by the type invariant; reads one field.
        unsafe { b::rvs_net_inum(self.net()) }
    }

    /// Whether this is the initial namespace (the host's).
    pub(crate) fn is_init(self) -> bool {
        // SAFETY: alive by the type invariant; compares the pointer.
        unsafe { b::rvs_net_is_init(self.net()) }
    }

    /// Whether `a` is an address of this namespace's (assigned to one of
    /// its interfaces).
    pub(crate) fn has_addr(self, a: &Addr) -> bool {
        let (v4, v6);
        let (p, is6) = match a.as_v4() {
            Some(x) => {
                v4 = x.to_be_bytes();
                (v4.as_ptr(), false)
            }
            None => {
                v6 = *a.octets();
                (v6.as_ptr(), true)
            }
        };
        // SAFETY: alive by the type invariant; `p` points to 4 bytes for
        // IPv4, 16 for IPv6, as `is6` says, for the call.
        unsafe { b::rvs_net_has_addr(self.net(), p, is6) }
    }

    /// The namespace as a number, for hashing (its area's address).
    pub(crate) fn id(self) -> u64 {
        self.0 as usize as u64
    }

    /// The namespace's settings (`NetSettings`).
    #[inline]
    pub(crate) fn settings(&self) -> &Settings {
        // SAFETY: alive by the type invariant, so is its generic area; the
        // area is in every namespace while `NetSettings` is
        // registered, which is before any other part of rvs can hand out a
        // `NetRef` and until after the last of them is gone (`Rvs`'s drop
        // order; in a namespace's exit, the settings' exit runs last of
        // rvs's pernet exits). `rvs_settings_init` wrote a `NetArea`
        // there, aligned (`NetSettings::register`), and nothing moves or
        // writes its settings but through their atomics.
        unsafe { &(*self.0).settings }
    }

    /// The raw pointer, for the helpers of this layer.
    pub(super) fn as_ptr(self) -> *mut b::net {
        self.net()
    }
}

/// Every namespace's `Settings`, in its generic area (C side: the pernet
/// operations in `helpers.c`), from registration to drop. First made and
/// last dropped of the module's registrations (`Rvs`).
pub(crate) struct NetSettings(());

impl NetSettings {
    pub(crate) fn register() -> Result<Self> {
        // The core allocates the generic area with kzalloc, aligned for
        // any kernel object; `NetArea` holds a pointer and atomics.
        const _: () = assert!(core::mem::align_of::<NetArea>() <= 8);
        const _: () = assert!(core::mem::size_of::<NetArea>() <= b::RVS_SETTINGS_SIZE as usize);
        // SAFETY: static pernet ops; `Drop` unregisters them, running the
        // (empty) exit in every namespace, after every user (`settings`).
        let r = unsafe { b::rvs_settings_register() };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        Ok(NetSettings(()))
    }
}

impl Drop for NetSettings {
    fn drop(&mut self) {
        // SAFETY: registered in `register`.
        unsafe { b::rvs_settings_unregister() }
    }
}

/// Namespace `net`'s generic area for rvs is ready (zeroed, sized and
/// aligned for `NetArea`): the namespace and the default settings go in.
#[no_mangle]
pub(crate) extern "C" fn rvs_settings_init(p: *mut c_void, net: *mut b::net) {
    let area = NetArea { net, settings: Settings::new(&Timeouts::default()) };
    // SAFETY: the pernet init hands the namespace's area,
    // `RVS_SETTINGS_SIZE` bytes, enough for a `NetArea` and aligned for
    // it (`NetSettings::register`'s checks), not yet
    // reachable by anyone else; `NetArea` needs no drop (a pointer and
    // atomics), so the area's release at the namespace's exit is its end.
    unsafe { p.cast::<NetArea>().write(area) }
}
