// SPDX-License-Identifier: GPL-2.0
//! Randomness and keyed hashes: the SYN cookie's key, the kernel's ISN
//! generator.

use super::bindings as b;
use crate::rvs_core::addr::Addr;
use crate::rvs_core::nat::Tuple;

/// Sets up the SYN cookie key (module init).
pub(crate) fn cookie_init() {
    // SAFETY: fills a static key with random bytes; called once at init
    // before any hook runs.
    unsafe { b::rvs_cookie_init() }
}

/// The keyed hash of a client's 4-tuple and `extra`, for SYN cookies. The
/// two addresses are of one family (a packet's).
pub(crate) fn cookie_hash(t: &Tuple, extra: u32) -> u32 {
    let (sp, dp) = (t.sport.to_be(), t.dport.to_be());
    match (t.saddr.as_v4(), t.daddr.as_v4()) {
        // SAFETY: pure function of its arguments and the static key.
        (Some(s), Some(d)) => unsafe { b::rvs_cookie_hash(s.to_be(), d.to_be(), sp, dp, extra) },
        // SAFETY: both pointers are to 16 readable bytes (the addresses'
        // octets), borrowed for the call, which only reads them.
        _ => unsafe { b::rvs_cookie_hash6(t.saddr.octets().as_ptr(), t.daddr.octets().as_ptr(), sp, dp, extra) },
    }
}

/// A random 32-bit value.
pub(crate) fn random_u32() -> u32 {
    // SAFETY: no preconditions.
    unsafe { b::rvs_random_u32() }
}

/// The kernel's keyed ISN for a TCP 4-tuple (addresses of one family),
/// as the kernel's own connections of that family get theirs.
pub(crate) fn secure_tcp_seq(saddr: &Addr, daddr: &Addr, sport: u16, dport: u16) -> u32 {
    let (sp, dp) = (sport.to_be(), dport.to_be());
    match (saddr.as_v4(), daddr.as_v4()) {
        // SAFETY: a pure function of its arguments and the kernel's secret.
        (Some(s), Some(d)) => unsafe { b::rvs_secure_tcp_seq(s.to_be(), d.to_be(), sp, dp) },
        // SAFETY: both pointers are to 16 readable bytes, borrowed for the
        // call, which copies them before use.
        _ => unsafe { b::rvs_secure_tcpv6_seq(saddr.octets().as_ptr(), daddr.octets().as_ptr(), sp, dp) },
    }
}
