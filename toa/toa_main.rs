// SPDX-License-Identifier: GPL-2.0
//! toa.ko: on a real server, makes the client address carried in the TOA
//! TCP option visible to getpeername() and accept().

use kernel::prelude::*;

mod bindings;

#[allow(dead_code, unreachable_pub)]
#[path = "../core/src/version.rs"]
mod version;

module! {
    type: Toa,
    name: "toa",
    author: "rvs developers",
    description: "TOA: client address from a TCP option for getpeername/accept (rvs real-server side)",
    license: "GPL",
}

struct Toa;

impl kernel::Module for Toa {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: `toa_helper_ready` takes no arguments and touches no state.
        if unsafe { bindings::toa_helper_ready() } != 1 {
            return Err(EINVAL);
        }
        pr_info!("toa {} loaded\n", version::VERSION);
        Ok(Toa)
    }
}

impl Drop for Toa {
    fn drop(&mut self) {
        pr_info!("toa {} unloaded\n", version::VERSION);
    }
}
