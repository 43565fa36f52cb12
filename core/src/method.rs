// SPDX-License-Identifier: GPL-2.0
//! Forwarding methods: how a connection's packets reach its real server,
//! as a real server's FWD_METHOD (upstream's numbering, `ipvs_nl::fwd`,
//! with Alibaba's FULLNAT as 5) selects it.
//!
//! - FULLNAT rewrites both ends of every packet, both ways: the real
//!   server sees a local address (LADDR) of the director, and answers it.
//! - Direct routing (`-g`) sends the client's packet unchanged to the real
//!   server's MAC on a shared link; the real server holds the VIP itself
//!   and answers the client directly: the director sees one direction.
//! - Tunnelling (`-i`) sends the client's packet unchanged inside an outer
//!   IP header (IPIP, or IPv6 in IPv6) to a real server anywhere routing
//!   reaches; it decapsulates, holds the VIP and answers the client
//!   directly, as with direct routing.
//!
//! Masquerading (`-m`) is forwarded by FULLNAT until rvs has NAT (listed
//! back as Masq).

use super::ipvs_nl::fwd;

/// How a connection is forwarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Both ends rewritten (Alibaba's method 5, and `-m` for now).
    FullNat,
    /// The packet unchanged, to the real server's link-layer address.
    DirectRoute,
    /// The packet unchanged, inside an outer IP header to the real server.
    Tunnel,
}

impl Method {
    /// The method a real server configured with `fwd` forwards by; `None`
    /// for those rvs does not do.
    pub const fn from_fwd(f: u32) -> Option<Method> {
        match f {
            fwd::FULLNAT | fwd::MASQ => Some(Method::FullNat),
            fwd::DROUTE => Some(Method::DirectRoute),
            fwd::TUNNEL => Some(Method::Tunnel),
            _ => None,
        }
    }

    /// Whether the director sees the real server's packets: FULLNAT's
    /// replies come back through it, direct routing's and tunnelling's go
    /// to the client.
    pub const fn sees_replies(self) -> bool {
        matches!(self, Method::FullNat)
    }

    /// Whether packets leave with other addresses than they came with
    /// (a LADDR, TOA, sequence offsets: what SYNPROXY and TOA need).
    pub const fn rewrites(self) -> bool {
        matches!(self, Method::FullNat)
    }
}

/// The name upstream's /proc/net/ip_vs and ipvsadm give `fwd` (rvs's
/// FULLNAT: "FullNat", as Alibaba's ipvsadm prints it).
pub const fn name(f: u32) -> &'static str {
    match f {
        fwd::MASQ => "Masq",
        fwd::LOCALNODE => "Local",
        fwd::TUNNEL => "Tunnel",
        fwd::DROUTE => "Route",
        fwd::FULLNAT => "FullNat",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_from_fwd() {
        assert_eq!(Method::from_fwd(fwd::FULLNAT), Some(Method::FullNat));
        assert_eq!(Method::from_fwd(fwd::MASQ), Some(Method::FullNat));
        assert_eq!(Method::from_fwd(fwd::DROUTE), Some(Method::DirectRoute));
        assert_eq!(Method::from_fwd(fwd::TUNNEL), Some(Method::Tunnel));
        for f in [fwd::LOCALNODE, fwd::BYPASS, 6, 7] {
            assert_eq!(Method::from_fwd(f), None, "{f}");
        }
        assert!(Method::FullNat.sees_replies() && Method::FullNat.rewrites());
        assert!(!Method::DirectRoute.sees_replies() && !Method::DirectRoute.rewrites());
        assert!(!Method::Tunnel.sees_replies() && !Method::Tunnel.rewrites());
    }

    #[test]
    fn names_as_upstream() {
        assert_eq!(name(fwd::MASQ), "Masq");
        assert_eq!(name(fwd::DROUTE), "Route");
        assert_eq!(name(fwd::TUNNEL), "Tunnel");
        assert_eq!(name(fwd::LOCALNODE), "Local");
        assert_eq!(name(fwd::FULLNAT), "FullNat");
    }
}
