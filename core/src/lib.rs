// SPDX-License-Identifier: GPL-2.0
//! rvs_core: the kernel-independent logic of rvs.
//!
//! Everything here is arithmetic on bytes and numbers, with no allocation and
//! no dependency beyond `core`, so that the same source is compiled into
//! `rvs.ko`, `toa.ko` (through `#[path]` modules) and the host crates, where
//! `cargo test` covers it.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod addr;
pub mod csum;
pub mod estimator;
pub mod icmp;
pub mod icmp6;
pub mod ipv6;
pub mod ipvs_nl;
pub mod ipvs_msg;
pub mod ctl_text;
pub mod lport;
pub mod method;
pub mod nat;
pub mod nat64;
pub mod occupancy;
pub mod packet;
pub mod prefixes;
pub mod sched;
pub mod seq;
pub mod svc_index;
pub mod sync_conn;
pub mod sync_msg;
pub mod sync_threshold;
pub mod synproxy;
pub mod tcp_state;
pub mod tcpopt;
pub mod toa;
pub mod version;

pub use version::VERSION;
