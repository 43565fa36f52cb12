// SPDX-License-Identifier: GPL-2.0
//! The kernel's clock.

use super::bindings as b;

/// Jiffies now.
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
