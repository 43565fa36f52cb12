// SPDX-License-Identifier: GPL-2.0
//! rvs.ko: the director.
//!
//! Module init and exit. The state that init builds lives in one struct
//! whose fields are dropped in reverse order on unload.

use kernel::prelude::*;

mod bindings;
mod rvs_core;

use rvs_core::version::VERSION;

module! {
    type: Rvs,
    name: "rvs",
    author: "rvs developers",
    description: "rvs: FULLNAT and SYNPROXY layer-4 load balancer (IPVS compatible)",
    license: "GPL",
}

/// Smallest and largest accepted `conn_tab_bits`.
const CONN_TAB_BITS_RANGE: core::ops::RangeInclusive<u32> = 8..=22;

struct Rvs {
    conn_tab_bits: u32,
}

impl kernel::Module for Rvs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: a plain read of a module parameter, which only changes at
        // load time (its permission is 0444).
        let bits = unsafe { bindings::rvs_param_conn_tab_bits() };
        if !CONN_TAB_BITS_RANGE.contains(&bits) {
            pr_err!("conn_tab_bits={} is out of range 8..22\n", bits);
            return Err(EINVAL);
        }
        pr_info!("rvs {} loaded (connection table 2^{} buckets)\n", VERSION, bits);
        Ok(Rvs { conn_tab_bits: bits })
    }
}

impl Drop for Rvs {
    fn drop(&mut self) {
        pr_info!("rvs {} unloaded (2^{} buckets)\n", VERSION, self.conn_tab_bits);
    }
}
