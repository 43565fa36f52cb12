// SPDX-License-Identifier: GPL-2.0
//! The kernel glue of rvs.ko: the only part of the module that touches C,
//! in both directions. Every `unsafe` of rvs.ko lives under this folder,
//! each block with the argument why it holds.
//!
//! - Calls into the kernel: safe wrappers over the generated bindings
//!   (`bindings.rs`, from `bindings.h`) and over the C helpers
//!   (`helpers.c`, `genl.c`, `proc.c`: static inline functions, macros,
//!   tables, module parameters), one file per kernel facility, named as the
//!   kernel crate names its own where it has one (`rust/kernel/`), so that
//!   a piece can be swapped for the kernel crate's as 6.12 grows.
//! - Calls from the kernel: the trampolines the C side calls (netfilter
//!   hooks, netlink ops, /proc and sysctl handlers, parameter callbacks,
//!   the collector's and sync's work, a namespace's exit) turn raw pointers into the
//!   safe types here and call the director with its state, which they
//!   reach only through [`module`].
//!
//! The director above this layer (`rvs_main.rs`, the packet path, the
//! control plane) is safe Rust.

mod bindings;
pub(crate) mod genl;
pub(crate) mod module;
pub(crate) mod net;
pub(crate) mod netfilter;
pub(crate) mod params;
pub(crate) mod percpu;
pub(crate) mod proc;
pub(crate) mod random;
pub(crate) mod rcu;
pub(crate) mod rcu_hash;
pub(crate) mod route;
pub(crate) mod skb;
pub(crate) mod sync;
pub(crate) mod sysctl;
pub(crate) mod time;
pub(crate) mod udp;
pub(crate) mod workqueue;
pub(crate) mod zeroed;

pub(crate) use genl::{DumpCtx, GenlFamily, GenlInfo};
pub(crate) use net::{NetRef, NetSettings};
pub(crate) use netfilter::{hooks_on, Hook, HookState, NfHooks};
pub(crate) use params::{param_conn_tab_bits, param_max_conns};
pub(crate) use percpu::PerCpu;
pub(crate) use proc::{ProcFiles, SeqFile};
pub(crate) use random::{cookie_hash, new_cookie_key, random_u32, secure_tcp_seq, CookieKey};
pub(crate) use rcu::{cond_resched, synchronize_net, RcuBox, RcuGuard};
pub(crate) use route::{RouteCache, TunRoute};
pub(crate) use skb::{Skb, Verdict};
pub(crate) use sync::{BhOff, CfgCell, CfgGuard, GcGuard};
pub(crate) use sysctl::Sysctls;
pub(crate) use time::{hz, jiffies, real_seconds};
pub(crate) use udp::{McastReceiver, McastSender};
pub(crate) use workqueue::{sync_work_now, GcWork, SyncRxWork, SyncWork};
pub(crate) use zeroed::Zeroed;
