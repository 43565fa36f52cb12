// SPDX-License-Identifier: GPL-2.0
//! The parts of the kernel-independent logic (`core/` in the repository)
//! that toa.ko needs, compiled from the same sources that `cargo test`
//! covers on the host. They refer to each other as `super::name`.

#![allow(dead_code, unreachable_pub)]

#[path = "../core/src/addr.rs"]
pub(crate) mod addr;
#[path = "../core/src/csum.rs"]
pub(crate) mod csum;
#[path = "../core/src/prefixes.rs"]
pub(crate) mod prefixes;
#[path = "../core/src/tcpopt.rs"]
pub(crate) mod tcpopt;
#[path = "../core/src/toa.rs"]
pub(crate) mod toa;
#[path = "../core/src/version.rs"]
pub(crate) mod version;
