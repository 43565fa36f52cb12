// SPDX-License-Identifier: GPL-2.0
//! Randomness and keyed hashes: SYN cookie keys and their hash, the
//! kernel's ISN generator.

use super::bindings as b;
use crate::rvs_core::addr::Addr;
use crate::rvs_core::nat::Tuple;

/// A SYN cookie key (SipHash's 128 bits, as two words).
pub(crate) type CookieKey = [u64; 2];

/// A fresh random cookie key.
pub(crate) fn new_cookie_key() -> CookieKey {
    let mut k = [0u64; 2];
    // SAFETY: writes exactly the 16 bytes of `k`, which it borrows for the
    // call.
    unsafe { b::rvs_random_bytes(k.as_mut_ptr().cast(), core::mem::size_of_val(&k)) };
    k
}

/// The keyed hash of a client's 4-tuple and `extra` under `key`, for SYN
/// cookies. The two addresses are of one family (a packet's).
pub(crate) fn cookie_hash(key: &CookieKey, t: &Tuple, extra: u32) -> u32 {
    let (sp, dp) = (t.sport.to_be(), t.dport.to_be());
    let k = key.as_ptr();
    match (t.saddr.as_v4(), t.daddr.as_v4()) {
        // SAFETY: `k` points to the key's two words, borrowed for the call,
        // which copies them; otherwise a pure function of its arguments.
        (Some(s), Some(d)) => unsafe { b::rvs_cookie_hash(k, s.to_be(), d.to_be(), sp, dp, extra) },
        // SAFETY: as above for `k`; both address pointers are to 16
        // readable bytes (the addresses' octets), borrowed for the call,
        // which only reads them.
        _ => unsafe { b::rvs_cookie_hash6(k, t.saddr.octets().as_ptr(), t.daddr.octets().as_ptr(), sp, dp, extra) },
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
