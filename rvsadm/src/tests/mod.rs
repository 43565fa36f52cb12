// SPDX-License-Identifier: GPL-2.0
//! Host tests of rvsadm (cargo test -p rvsadm).

mod msg_tests;
mod args_tests;
mod fmt_tests;
mod metrics_tests;
