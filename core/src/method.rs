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
//!   IP header of its family (IPIP, IPv6 in IPv6, or with GUE or GRE
//!   between them) to a real server anywhere routing reaches; it
//!   decapsulates, holds the VIP and answers the client directly, as with
//!   direct routing.
//!
//! - Masquerading (`-m`, NAT) rewrites the client's packet's destination
//!   to the real server, which routes its answers back through the
//!   director; the director catches them on the way through (forwarded,
//!   not addressed to it) and rewrites their source back to the VIP. The
//!   real server sees the client's own address.
//!
//! A namespace's `masq_as_fullnat` switch makes `-m` real servers forward
//! by FULLNAT instead (listed back as Masq): the way for tools that know
//! only NAT (stock keepalived's `lb_kind NAT`) to make FULLNAT ones.

use super::ipvs_nl::fwd;

/// How a connection is forwarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Both ends rewritten (Alibaba's method 5, and `-m` where the
    /// namespace's `masq_as_fullnat` switch says so).
    FullNat,
    /// The destination rewritten on the way in, the source on the way
    /// back (`-m`).
    Nat,
    /// The packet unchanged, to the real server's link-layer address.
    DirectRoute,
    /// The packet unchanged, inside an outer IP header to the real server.
    Tunnel,
}

impl Method {
    /// The method a real server configured with `fwd` forwards by (`-m`
    /// by FULLNAT if `masq_as_fullnat`); `None` for those rvs does not do.
    pub const fn from_fwd(f: u32, masq_as_fullnat: bool) -> Option<Method> {
        match f {
            fwd::FULLNAT => Some(Method::FullNat),
            fwd::MASQ if masq_as_fullnat => Some(Method::FullNat),
            fwd::MASQ => Some(Method::Nat),
            fwd::DROUTE => Some(Method::DirectRoute),
            fwd::TUNNEL => Some(Method::Tunnel),
            _ => None,
        }
    }

    /// Whether the director sees the real server's packets: FULLNAT's
    /// and NAT's replies come back through it, direct routing's and
    /// tunnelling's go to the client.
    pub const fn sees_replies(self) -> bool {
        matches!(self, Method::FullNat | Method::Nat)
    }

    /// Whether the client's packets reach the real server with their
    /// addresses unchanged (direct routing, tunnelling): the real server
    /// holds the VIP, so it must be of the service's family and not the
    /// director itself, and ICMP errors about its answers go on to it as
    /// they are.
    pub const fn keeps_addresses(self) -> bool {
        matches!(self, Method::DirectRoute | Method::Tunnel)
    }

    /// Whether the director owns the real server's side of the
    /// connection (a LADDR, its own sequence space, TOA): what SYNPROXY
    /// and TOA need, FULLNAT alone.
    pub const fn owns_server_side(self) -> bool {
        matches!(self, Method::FullNat)
    }

    /// The method's `IP_VS_CONN_F_*` forwarding value, as connections
    /// carry it (in sync messages): FULLNAT is Alibaba's 5.
    pub const fn fwd(self) -> u32 {
        match self {
            Method::FullNat => fwd::FULLNAT,
            Method::Nat => fwd::MASQ,
            Method::DirectRoute => fwd::DROUTE,
            Method::Tunnel => fwd::TUNNEL,
        }
    }

    /// The value kept for the method in an atomic byte.
    pub const fn code(self) -> u8 {
        match self {
            Method::FullNat => 0,
            Method::Nat => 1,
            Method::DirectRoute => 2,
            Method::Tunnel => 3,
        }
    }

    /// The method of a `code()` (FULLNAT for any other value).
    pub const fn from_code(c: u8) -> Method {
        match c {
            1 => Method::Nat,
            2 => Method::DirectRoute,
            3 => Method::Tunnel,
            _ => Method::FullNat,
        }
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
        for sw in [false, true] {
            assert_eq!(Method::from_fwd(fwd::FULLNAT, sw), Some(Method::FullNat));
            assert_eq!(Method::from_fwd(fwd::DROUTE, sw), Some(Method::DirectRoute));
            assert_eq!(Method::from_fwd(fwd::TUNNEL, sw), Some(Method::Tunnel));
            for f in [fwd::LOCALNODE, fwd::BYPASS, 6, 7] {
                assert_eq!(Method::from_fwd(f, sw), None, "{f}");
            }
        }
        assert_eq!(Method::from_fwd(fwd::MASQ, false), Some(Method::Nat));
        assert_eq!(Method::from_fwd(fwd::MASQ, true), Some(Method::FullNat));
        let fullnat = Method::FullNat;
        assert!(fullnat.sees_replies() && fullnat.owns_server_side() && !fullnat.keeps_addresses());
        assert!(Method::Nat.sees_replies() && !Method::Nat.owns_server_side() && !Method::Nat.keeps_addresses());
        for m in [Method::DirectRoute, Method::Tunnel] {
            assert!(!m.sees_replies() && !m.owns_server_side() && m.keeps_addresses());
        }
    }

    #[test]
    fn codes_round_trip() {
        for m in [Method::FullNat, Method::Nat, Method::DirectRoute, Method::Tunnel] {
            assert_eq!(Method::from_code(m.code()), m);
        }
        assert_eq!(Method::from_code(200), Method::FullNat);
        for m in [Method::FullNat, Method::Nat, Method::DirectRoute, Method::Tunnel] {
            assert_eq!(Method::from_fwd(m.fwd(), false), Some(m));
        }
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
