// SPDX-License-Identifier: GPL-2.0
//! Kernel UDP sockets: connection sync's (`crate::sync`,
//! `crate::sync_backup`).
//!
//! A socket lives in one namespace and holds no reference to it (a kernel
//! socket never does): its owner releases it before the namespace goes,
//! which `crate::sync` does from the namespace's exit (`crate::net_gone`)
//! and, for the rest, when the module's state is dropped.

use super::bindings as b;
use super::net::NetRef;
use crate::rvs_core::addr::Addr;
use kernel::prelude::*;

/// A connected multicast sender.
///
/// # Invariants
/// `0` is a socket from `rvs_sync_master_sock`, released only by `Drop`.
pub(crate) struct McastSender(*mut b::socket);

// SAFETY: a kernel socket may be used from any process context (the
// socket's own lock serialises senders); the value moves with it.
unsafe impl Send for McastSender {}
// SAFETY: `send` takes `&self` and the socket layer locks what it changes.
unsafe impl Sync for McastSender {}

impl McastSender {
    /// A socket in `net` sending to `group`:`port` out of interface
    /// `ifname` (no NUL), with multicast TTL `ttl`, and `sock_size` as
    /// SO_SNDBUF if not 0 (upstream's `sync_sock_size`); also the
    /// interface's MTU. `ENODEV` for an interface the namespace does not
    /// have.
    pub(crate) fn new(net: NetRef, ifname: &[u8], group: &Addr, port: u16, ttl: u8, sock_size: u32) -> Result<(Self, u32)> {
        let name = c_ifname(ifname)?;
        let (v6, g) = group_bytes(group);
        let (mut mtu, mut err) = (0u32, 0i32);
        let sock_size = sock_size.min(i32::MAX as u32) as i32;
        // SAFETY: `net` is alive (`NetRef`'s invariant) for the call;
        // `name` is NUL-terminated; `g` holds 16 (IPv6) or 4 bytes, as `v6`
        // says; the out-pointers are to locals.
        let s = unsafe {
            b::rvs_sync_master_sock(net.as_ptr(), name.as_ptr().cast(), v6, g.as_ptr(), port, ttl, sock_size, &mut mtu, &mut err)
        };
        if s.is_null() {
            return Err(if err < 0 { Error::from_errno(err) } else { ENOMEM });
        }
        // INVARIANT: a socket just made.
        Ok((McastSender(s), mtu))
    }

    /// Sends one datagram without waiting for room. Process context.
    pub(crate) fn send(&self, data: &[u8]) -> Result<usize> {
        // SAFETY: the socket is live (type invariant); `data` is valid for
        // its length during the call.
        let r = unsafe { b::rvs_sync_send(self.0, data.as_ptr().cast(), data.len()) };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(r as usize)
        }
    }
}

impl Drop for McastSender {
    fn drop(&mut self) {
        // SAFETY: ours (type invariant), not used again.
        unsafe { b::rvs_sync_sock_release(self.0) };
    }
}

/// An interface name (no NUL, at most 15 bytes) NUL-terminated.
fn c_ifname(ifname: &[u8]) -> Result<[u8; 17]> {
    let mut name = [0u8; 17];
    if ifname.is_empty() || ifname.len() > 15 || ifname.contains(&0) {
        return Err(EINVAL);
    }
    name[..ifname.len()].copy_from_slice(ifname);
    Ok(name)
}

/// Whether `group` is IPv6, and its bytes as the C side takes them (4 or
/// 16).
fn group_bytes(group: &Addr) -> (bool, &[u8]) {
    let v6 = !group.is_v4();
    (v6, if v6 { &group.octets()[..] } else { &group.octets()[12..] })
}

/// One datagram read by [`McastReceiver::recv`].
pub(crate) struct Datagram {
    /// Bytes in the buffer.
    pub(crate) len: usize,
    /// It was longer than the buffer (what is there is its start).
    pub(crate) truncated: bool,
    /// Its sender's address (IPv4 in its mapped form).
    pub(crate) from: Addr,
}

/// A socket bound to a multicast group and port on one interface, joined
/// to the group there; each arrival queues the sync receive work
/// (`kern::workqueue::rvs_sync_rx`).
///
/// # Invariants
/// `0` is a socket from `rvs_sync_backup_sock`, released only by `Drop`.
pub(crate) struct McastReceiver(*mut b::socket);

// SAFETY: as `McastSender`'s: used from process context, the socket layer
// locks what it changes; the value moves with it.
unsafe impl Send for McastReceiver {}
// SAFETY: `recv` takes `&self`; the socket's own lock serialises readers.
unsafe impl Sync for McastReceiver {}

impl McastReceiver {
    /// A socket in `net` receiving `group`:`port` on interface `ifname`,
    /// with `rcvbuf` bytes of receive buffer, or `sock_size` as SO_RCVBUF
    /// if not 0 (upstream's `sync_sock_size`); also the interface's MTU.
    /// `ENODEV` for an interface the namespace does not have.
    pub(crate) fn new(net: NetRef, ifname: &[u8], group: &Addr, port: u16, rcvbuf: u32, sock_size: u32) -> Result<(Self, u32)> {
        let name = c_ifname(ifname)?;
        let (v6, g) = group_bytes(group);
        let (mut mtu, mut err) = (0u32, 0i32);
        let rcvbuf = rcvbuf.min(i32::MAX as u32) as i32;
        let sock_size = sock_size.min(i32::MAX as u32) as i32;
        // SAFETY: `net` is alive (`NetRef`'s invariant) for the call;
        // `name` is NUL-terminated; `g` holds 16 (IPv6) or 4 bytes, as `v6`
        // says; the out-pointers are to locals.
        let s = unsafe {
            b::rvs_sync_backup_sock(net.as_ptr(), name.as_ptr().cast(), v6, g.as_ptr(), port, rcvbuf, sock_size, &mut mtu, &mut err)
        };
        if s.is_null() {
            return Err(if err < 0 { Error::from_errno(err) } else { ENOMEM });
        }
        // INVARIANT: a socket just made.
        Ok((McastReceiver(s), mtu))
    }

    /// The next queued datagram into `buf`, without waiting: `None` when
    /// there is none. Process context.
    pub(crate) fn recv(&self, buf: &mut [u8]) -> Result<Option<Datagram>> {
        let mut from = [0u8; 16];
        let mut truncated = false;
        // SAFETY: the socket is live (type invariant); `buf` is valid for
        // writes of its length and `from` of 16 bytes during the call.
        let r = unsafe { b::rvs_sync_recv(self.0, buf.as_mut_ptr().cast(), buf.len(), from.as_mut_ptr(), &mut truncated) };
        match r {
            r if r >= 0 => Ok(Some(Datagram { len: (r as usize).min(buf.len()), truncated, from: Addr::v6(from) })),
            r if r == EAGAIN.to_errno() => Ok(None),
            r => Err(Error::from_errno(r)),
        }
    }
}

impl Drop for McastReceiver {
    fn drop(&mut self) {
        // SAFETY: ours (type invariant), not used again.
        unsafe { b::rvs_sync_rx_sock_release(self.0) };
    }
}
