// SPDX-License-Identifier: GPL-2.0
//! The kernel-independent logic (`core/` in the repository), compiled into
//! this module from the same sources that `cargo test` covers on the host.
//! The files refer to each other as `super::name`, so they sit side by side
//! here as they do in the host crate.

#![allow(dead_code, unreachable_pub)]

#[path = "../core/src/addr.rs"]
pub(crate) mod addr;
#[path = "../core/src/csum.rs"]
pub(crate) mod csum;
#[path = "../core/src/ctl_text.rs"]
pub(crate) mod ctl_text;
#[path = "../core/src/estimator.rs"]
pub(crate) mod estimator;
#[path = "../core/src/icmp.rs"]
pub(crate) mod icmp;
#[path = "../core/src/icmp6.rs"]
pub(crate) mod icmp6;
#[path = "../core/src/ipv6.rs"]
pub(crate) mod ipv6;
#[path = "../core/src/ipvs_msg.rs"]
pub(crate) mod ipvs_msg;
#[path = "../core/src/ipvs_nl.rs"]
pub(crate) mod ipvs_nl;
#[path = "../core/src/lport.rs"]
pub(crate) mod lport;
#[path = "../core/src/method.rs"]
pub(crate) mod method;
#[path = "../core/src/nat.rs"]
pub(crate) mod nat;
#[path = "../core/src/nat64.rs"]
pub(crate) mod nat64;
#[path = "../core/src/occupancy.rs"]
pub(crate) mod occupancy;
#[path = "../core/src/packet.rs"]
pub(crate) mod packet;
#[path = "../core/src/prefixes.rs"]
pub(crate) mod prefixes;
#[path = "../core/src/sched.rs"]
pub(crate) mod sched;
#[path = "../core/src/seq.rs"]
pub(crate) mod seq;
#[path = "../core/src/svc_index.rs"]
pub(crate) mod svc_index;
#[path = "../core/src/sync_conn.rs"]
pub(crate) mod sync_conn;
#[path = "../core/src/sync_msg.rs"]
pub(crate) mod sync_msg;
#[path = "../core/src/sync_threshold.rs"]
pub(crate) mod sync_threshold;
#[path = "../core/src/synproxy.rs"]
pub(crate) mod synproxy;
#[path = "../core/src/tcp_state.rs"]
pub(crate) mod tcp_state;
#[path = "../core/src/tcpopt.rs"]
pub(crate) mod tcpopt;
#[path = "../core/src/toa.rs"]
pub(crate) mod toa;
#[path = "../core/src/version.rs"]
pub(crate) mod version;
