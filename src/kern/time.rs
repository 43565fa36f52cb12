// SPDX-License-Identifier: GPL-2.0
//! The kernel's clock.

use super::bindings as b;

/// Jiffies now. On a 64-bit kernel `jiffies` is the whole 64-bit count
/// (`get_jiffies_64` reads it so): read in place, once or twice per
/// packet, rather than through a helper call.
#[cfg(target_pointer_width = "64")]
#[inline]
pub(crate) fn jiffies() -> u64 {
    // SAFETY: `jiffies` is the kernel's exported tick counter, a naturally
    // aligned word that only the timer code writes; a volatile read of it
    // is the kernel's own READ_ONCE(jiffies).
    unsafe { core::ptr::read_volatile(core::ptr::addr_of!(b::jiffies)) as u64 }
}

/// Jiffies now (a 32-bit kernel's 64-bit count needs its sequence lock).
#[cfg(not(target_pointer_width = "64"))]
pub(crate) fn jiffies() -> u64 {
    // SAFETY: reads a counter.
    unsafe { b::rvs_jiffies64() }
}

/// Ticks per second.
pub(crate) const fn hz() -> u64 {
    b::RVS_HZ as u64
}

/// The wall clock: seconds since the epoch (what NTP keeps alike across
/// directors).
pub(crate) fn real_seconds() -> u64 {
    // SAFETY: reads the clock.
    unsafe { b::rvs_real_seconds() }
}
