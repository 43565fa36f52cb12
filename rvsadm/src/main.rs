// SPDX-License-Identifier: GPL-2.0
//! rvsadm: administration of rvs with ipvsadm's syntax plus the FULLNAT
//! extensions. The netlink client lands with the control plane; for now the
//! tool reports its version.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("-v") | Some("--version") => {
            println!("rvsadm v{} (rvs generic netlink family \"IPVS\" v1)", rvs_core::VERSION);
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("rvsadm: only --version is available in this build");
            ExitCode::from(2)
        }
    }
}
