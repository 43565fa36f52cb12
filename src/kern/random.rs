// SPDX-License-Identifier: GPL-2.0
//! Randomness and keyed hashes: the SYN cookie's key, the kernel's ISN
//! generator.

use super::bindings as b;

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

