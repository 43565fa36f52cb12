// SPDX-License-Identifier: GPL-2.0
//! Raw bindings of toa.ko, generated at build time from `bindings.h`.

#![allow(
    dead_code,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    clippy::all
)]

include!("bindings_generated.rs");
