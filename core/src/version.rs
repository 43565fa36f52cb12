// SPDX-License-Identifier: GPL-2.0
//! The one place the rvs version is written; Kbuild reads it for MODULE_VERSION.

/// Version reported by the modules and rvsadm.
pub const VERSION: &str = "0.1.0";
