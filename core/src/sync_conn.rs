// SPDX-License-Identifier: GPL-2.0
//! What a sync backup makes of a record (`sync_msg::Record`): the
//! connection it describes, in the terms of rvs's table (its two tuples,
//! method, state, timeout, FULLNAT's offsets), or why it is not taken.
//!
//! The record is a remote peer's word. What it may make the backup do is
//! decided here and in the module's `sync_backup`: hold a connection of
//! a service and real server the backup itself has configured (checked
//! there), of TCP or UDP, by a method rvs has, with addresses of families
//! the method can join, and nothing else. It never makes a service, a
//! real server or a local address, and a connection it describes counts
//! against the table's size like any other.
//!
//! A persistence template (`admit_template`) is taken on the same terms:
//! for a persistent service and a real server the backup has, keyed as
//! the backup's own templates are (the client's address under the
//! service's netmask, which the module checks), so that a client the
//! master placed keeps its real server when its new connections come
//! here. What a peer can do with one: steer one client's (or one
//! netmask's) new connections to one of the service's real servers, for
//! at most `TIMEOUT_MAX` without renewing it, which is no more than its
//! connection records can already do to the connections they describe.

use super::addr::Addr;
use super::method::Method;
use super::nat::Tuple;
use super::sync_msg::{flags, Fullnat, Record};
use super::tcp_state::TcpState;

const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;

/// A synced connection, as the backup's table would hold it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Synced {
    pub proto: u8,
    pub method: Method,
    /// client -> VIP.
    pub in_t: Tuple,
    /// What the real server's packets carry (as `Conn::out_t`).
    pub out_t: Tuple,
    /// TCP's state; UDP connections are `None`, as a director's own.
    pub state: TcpState,
    /// Seconds; `None`: the state's timeout of the backup's namespace.
    pub timeout: Option<u32>,
    /// FULLNAT's state (with `method` FULLNAT only).
    pub fullnat: Option<Fullnat>,
}

/// A synced persistence template, as the backup's table would hold it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncedTemplate {
    /// IPPROTO_TCP or IPPROTO_UDP (the service's).
    pub proto: u8,
    /// (client under the netmask, VIP, 0, vport), as the table keys it.
    pub key: Tuple,
    /// The real server it places the client on.
    pub daddr: Addr,
    pub dport: u16,
    /// Seconds; `None`: the service's persistence timeout.
    pub timeout: Option<u32>,
}

/// Why a record was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// A persistence template where a connection was expected, or the
    /// other way round (the caller picks by the flag).
    Template,
    /// A forwarding method rvs does not have (upstream's local node,
    /// bypass).
    Method,
    /// FULLNAT without rvs's FULLNAT option: the local address and port
    /// are unknown.
    NoFullnat,
    /// Addresses of families the method cannot join (only FULLNAT crosses
    /// families; its local address is of the real server's).
    Family,
    /// A port 0 where a connection has none, or an unspecified address.
    Address,
}

/// Longest timeout a record may set: upstream's largest (TCP
/// established, 15 min) is far below it; a peer cannot pin a connection
/// for longer than a day without refreshing it.
pub const TIMEOUT_MAX: u32 = 24 * 3600;

/// An address that names no host: all zeros, or IPv4's 0.0.0.0.
fn unspecified(a: &Addr) -> bool {
    a.octets().iter().all(|&b| b == 0) || (a.is_v4() && a.octets()[12..] == [0; 4])
}

/// The connection record `r` describes, or why it is not one a backup
/// takes.
pub fn admit(r: &Record<'_>) -> Result<Synced, Refused> {
    if r.flags & flags::TEMPLATE != 0 {
        return Err(Refused::Template);
    }
    let method = Method::from_fwd(r.flags & flags::FWD_MASK, false).ok_or(Refused::Method)?;
    let state = match r.protocol {
        // `Record`'s reader checked the number against upstream's states,
        // which are rvs's, one for one.
        IPPROTO_TCP => TcpState::from_u8(r.state as u8).ok_or(Refused::Method)?,
        IPPROTO_UDP => TcpState::None,
        // (The reader passes over other protocols.)
        _ => return Err(Refused::Method),
    };
    if [&r.caddr, &r.vaddr, &r.daddr].into_iter().any(unspecified) || r.cport == 0 || r.vport == 0 || r.dport == 0 {
        return Err(Refused::Address);
    }
    let in_t = Tuple { saddr: r.caddr, daddr: r.vaddr, sport: r.cport, dport: r.vport };
    let same = |a: &Addr, b: &Addr| a.is_v4() == b.is_v4();
    if !same(&r.caddr, &r.vaddr) {
        return Err(Refused::Family);
    }
    let (out_t, fullnat) = match method {
        Method::FullNat => {
            let f = r.fullnat.ok_or(Refused::NoFullnat)?;
            if !same(&f.laddr, &r.daddr) {
                return Err(Refused::Family);
            }
            if unspecified(&f.laddr) || f.lport == 0 {
                return Err(Refused::Address);
            }
            (Tuple { saddr: r.daddr, daddr: f.laddr, sport: r.dport, dport: f.lport }, Some(f))
        }
        _ if !same(&r.daddr, &r.vaddr) => return Err(Refused::Family),
        Method::Nat => (Tuple { saddr: r.daddr, daddr: r.caddr, sport: r.dport, dport: r.cport }, None),
        Method::DirectRoute | Method::Tunnel => (in_t.reversed(), None),
    };
    let timeout = (r.timeout != 0).then(|| r.timeout.min(TIMEOUT_MAX));
    Ok(Synced { proto: r.protocol, method, in_t, out_t, state, timeout, fullnat })
}

/// The persistence template record `r` describes (one with
/// `flags::TEMPLATE`), or why it is not one a backup takes. The client's
/// address may be unspecified (a netmask of 0 holds every client in one
/// template); its port is 0, as in every template's key. A template has
/// no FULLNAT state: the option, if sent, is not used.
pub fn admit_template(r: &Record<'_>) -> Result<SyncedTemplate, Refused> {
    if r.flags & flags::TEMPLATE == 0 {
        return Err(Refused::Template);
    }
    // The method must be one rvs has, though the template does not use it
    // (its connections take their real server's).
    Method::from_fwd(r.flags & flags::FWD_MASK, false).ok_or(Refused::Method)?;
    // Firewall-mark services (IPPROTO_IP templates) are not rvs's.
    if !matches!(r.protocol, IPPROTO_TCP | IPPROTO_UDP) || r.fwmark != 0 {
        return Err(Refused::Method);
    }
    if [&r.vaddr, &r.daddr].into_iter().any(unspecified) || r.cport != 0 || r.vport == 0 || r.dport == 0 {
        return Err(Refused::Address);
    }
    // The client's and the VIP's family are one; the real server's may
    // differ only as FULLNAT's may (NAT64).
    if r.caddr.is_v4() != r.vaddr.is_v4() {
        return Err(Refused::Family);
    }
    let fullnat = r.flags & flags::FWD_MASK == Method::FullNat.fwd();
    if !fullnat && r.daddr.is_v4() != r.vaddr.is_v4() {
        return Err(Refused::Family);
    }
    let key = Tuple { saddr: r.caddr, daddr: r.vaddr, sport: 0, dport: r.vport };
    let timeout = (r.timeout != 0).then(|| r.timeout.min(TIMEOUT_MAX));
    Ok(SyncedTemplate { proto: r.protocol, key, daddr: r.daddr, dport: r.dport, timeout })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs_nl::fwd;
    use crate::sync_msg::SynproxySync;

    fn v4(a: [u8; 4]) -> Addr {
        Addr::v4_bytes(a)
    }

    fn rec(f: u32) -> Record<'static> {
        Record {
            protocol: IPPROTO_TCP,
            flags: f,
            state: TcpState::Established as u16,
            caddr: v4([192, 0, 2, 10]),
            cport: 40000,
            vaddr: v4([203, 0, 113, 100]),
            vport: 80,
            daddr: v4([198, 51, 100, 11]),
            dport: 8080,
            fwmark: 0,
            timeout: 900,
            seq: None,
            pe_data: None,
            pe_name: None,
            fullnat: None,
        }
    }

    fn fnat() -> Fullnat {
        Fullnat {
            laddr: v4([198, 51, 100, 200]),
            lport: 5001,
            seq_in: 7,
            rs_isn: 99,
            toa_done: false,
            synproxy: Some(SynproxySync { seq_out: 3, rs_ws: 7, offered_ws: 7, client_ws: 255 }),
        }
    }

    #[test]
    fn fullnat_record_gives_both_tuples_and_state() {
        let s = admit(&Record { fullnat: Some(fnat()), ..rec(fwd::FULLNAT) }).unwrap();
        assert_eq!(s.method, Method::FullNat);
        assert_eq!(s.in_t, Tuple { saddr: v4([192, 0, 2, 10]), daddr: v4([203, 0, 113, 100]), sport: 40000, dport: 80 });
        assert_eq!(s.out_t, Tuple { saddr: v4([198, 51, 100, 11]), daddr: v4([198, 51, 100, 200]), sport: 8080, dport: 5001 });
        assert_eq!(s.state, TcpState::Established);
        assert_eq!(s.timeout, Some(900));
        assert_eq!(s.fullnat, Some(fnat()));
    }

    #[test]
    fn nat_dr_tun_tuples() {
        let nat = admit(&rec(fwd::MASQ)).unwrap();
        assert_eq!(nat.method, Method::Nat);
        assert_eq!(nat.out_t, Tuple { saddr: v4([198, 51, 100, 11]), daddr: v4([192, 0, 2, 10]), sport: 8080, dport: 40000 });
        for (f, m) in [(fwd::DROUTE, Method::DirectRoute), (fwd::TUNNEL, Method::Tunnel)] {
            let s = admit(&rec(f)).unwrap();
            assert_eq!(s.method, m);
            assert_eq!(s.out_t, s.in_t.reversed());
            assert_eq!(s.fullnat, None);
        }
        // A FULLNAT option on another method's record is not used.
        assert_eq!(admit(&Record { fullnat: Some(fnat()), ..rec(fwd::MASQ) }).unwrap().fullnat, None);
    }

    #[test]
    fn refusals() {
        assert_eq!(admit(&rec(fwd::FULLNAT)), Err(Refused::NoFullnat));
        assert_eq!(admit(&rec(fwd::LOCALNODE)), Err(Refused::Method));
        assert_eq!(admit(&rec(fwd::BYPASS)), Err(Refused::Method));
        assert_eq!(admit(&rec(fwd::MASQ | flags::TEMPLATE)), Err(Refused::Template));
        assert_eq!(admit(&Record { cport: 0, ..rec(fwd::MASQ) }), Err(Refused::Address));
        assert_eq!(admit(&Record { dport: 0, ..rec(fwd::DROUTE) }), Err(Refused::Address));
        assert_eq!(admit(&Record { daddr: v4([0; 4]), ..rec(fwd::DROUTE) }), Err(Refused::Address));
        let mut f = fnat();
        f.lport = 0;
        assert_eq!(admit(&Record { fullnat: Some(f), ..rec(fwd::FULLNAT) }), Err(Refused::Address));
        // Families: DR/NAT/TUN keep one; FULLNAT's local address follows
        // the real server's.
        let v6 = Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b]);
        assert_eq!(admit(&Record { daddr: v6, ..rec(fwd::DROUTE) }), Err(Refused::Family));
        assert_eq!(admit(&Record { caddr: v6, ..rec(fwd::MASQ) }), Err(Refused::Family));
        assert_eq!(admit(&Record { daddr: v6, fullnat: Some(fnat()), ..rec(fwd::FULLNAT) }), Err(Refused::Family));
        let mut f6 = fnat();
        f6.laddr = Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc8]);
        // NAT64: an IPv6 client and VIP, an IPv4 real server and LADDR.
        let c6 = Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a]);
        let vip6 = Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x64]);
        assert!(admit(&Record { caddr: c6, vaddr: vip6, fullnat: Some(fnat()), ..rec(fwd::FULLNAT) }).is_ok());
        assert_eq!(admit(&Record { caddr: c6, vaddr: vip6, fullnat: Some(f6), ..rec(fwd::FULLNAT) }), Err(Refused::Family));
    }

    #[test]
    fn udp_state_and_timeouts() {
        let s = admit(&Record { protocol: IPPROTO_UDP, state: 0, timeout: 0, ..rec(fwd::MASQ) }).unwrap();
        assert_eq!(s.state, TcpState::None);
        assert_eq!(s.timeout, None);
        let s = admit(&Record { timeout: u32::MAX, ..rec(fwd::DROUTE) }).unwrap();
        assert_eq!(s.timeout, Some(TIMEOUT_MAX));
    }

    fn tpl(f: u32) -> Record<'static> {
        Record { cport: 0, state: 0, timeout: 360, flags: f | flags::TEMPLATE, ..rec(0) }
    }

    #[test]
    fn template_key_and_dest() {
        let t = admit_template(&tpl(fwd::MASQ)).unwrap();
        assert_eq!(t.proto, IPPROTO_TCP);
        assert_eq!(t.key, Tuple { saddr: v4([192, 0, 2, 10]), daddr: v4([203, 0, 113, 100]), sport: 0, dport: 80 });
        assert_eq!((t.daddr, t.dport, t.timeout), (v4([198, 51, 100, 11]), 8080, Some(360)));
        // A netmask of 0: every client under one template.
        let t = admit_template(&Record { caddr: v4([0; 4]), timeout: 0, ..tpl(fwd::DROUTE) }).unwrap();
        assert_eq!((t.key.saddr, t.timeout), (v4([0; 4]), None));
        assert_eq!(admit_template(&Record { timeout: u32::MAX, ..tpl(fwd::FULLNAT) }).unwrap().timeout, Some(TIMEOUT_MAX));
        // FULLNAT's template may join an IPv6 client to an IPv4 server.
        let c6 = Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let vip6 = Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x64]);
        assert!(admit_template(&Record { caddr: c6, vaddr: vip6, ..tpl(fwd::FULLNAT) }).is_ok());
        assert_eq!(admit_template(&Record { caddr: c6, vaddr: vip6, ..tpl(fwd::MASQ) }), Err(Refused::Family));
    }

    #[test]
    fn template_refusals() {
        // A connection's record is not a template, nor a template a
        // connection's.
        assert_eq!(admit_template(&rec(fwd::MASQ)), Err(Refused::Template));
        assert_eq!(admit(&tpl(fwd::MASQ)), Err(Refused::Template));
        assert_eq!(admit_template(&tpl(fwd::LOCALNODE)), Err(Refused::Method));
        assert_eq!(admit_template(&Record { protocol: 0, ..tpl(fwd::MASQ) }), Err(Refused::Method));
        assert_eq!(admit_template(&Record { fwmark: 7, ..tpl(fwd::MASQ) }), Err(Refused::Method));
        assert_eq!(admit_template(&Record { cport: 1, ..tpl(fwd::MASQ) }), Err(Refused::Address));
        assert_eq!(admit_template(&Record { vport: 0, ..tpl(fwd::MASQ) }), Err(Refused::Address));
        assert_eq!(admit_template(&Record { dport: 0, ..tpl(fwd::MASQ) }), Err(Refused::Address));
        assert_eq!(admit_template(&Record { daddr: v4([0; 4]), ..tpl(fwd::MASQ) }), Err(Refused::Address));
        assert_eq!(admit_template(&Record { vaddr: v4([0; 4]), ..tpl(fwd::MASQ) }), Err(Refused::Address));
    }
}
