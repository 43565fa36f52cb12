// SPDX-License-Identifier: GPL-2.0
//! Transmit: how a packet leaves the director, as upstream's ip_vs_xmit.c
//! has one function per forwarding method (`transmit` picks the
//! connection's). NAT rewrites the client's packet's destination to the
//! real server, and the real server's answer's source back to the VIP
//! (that one caught on its way through the director). Direct routing sends the client's packet as it is to
//! the real server's link-layer address; tunnelling sends it inside an
//! outer header to the real server's address. FULLNAT rewrites both ends
//! (client -> VIP:vport becomes LADDR:lport -> RS:rport, and the reply
//! back), maps the sequence space, edits the TCP options it owns
//! (timestamps, MSS, TOA), routes through the connection's cached route
//! and sends; `send_new` sends a packet of rvs's own (resets, SYNPROXY's
//! SYN). A NAT64 connection (an IPv6 client, an IPv4 real server) changes
//! the packet's family on the way (`translate`): everything after that
//! step sees the packet as it leaves.

use crate::conn_table::Conn;
use crate::kern::{self, NetRef, RcuGuard, Skb, Verdict};
use crate::pkt::Pkt;
use crate::rvs_core::addr::Family;
use crate::rvs_core::csum::FieldState;
use crate::rvs_core::ipv6::{self, IPV6_HDR_LEN};
use crate::rvs_core::ipvs_msg::errno::{EMSGSIZE, ENOMEM, ETIMEDOUT};
use crate::rvs_core::method::Method;
use crate::rvs_core::nat64;
use crate::rvs_core::nat::{self, Tuple};
use crate::rvs_core::packet::{self, tcp_flags};
use crate::rvs_core::seq::SeqDelta;
use crate::rvs_core::tcp_state::Dir;
use crate::rvs_core::{tcpopt, toa};
use crate::stats::{self, Ctr};
use crate::State;
use core::sync::atomic::Ordering::Relaxed;

/// Sends packet `p` of connection `c`, travelling `dir`, by the
/// connection's method.
pub(crate) fn transmit(st: &State, g: &RcuGuard, skb: Skb, p: &Pkt, c: &Conn, dir: Dir) -> Verdict {
    match c.method {
        Method::FullNat => fullnat(st, g, skb, p, c, dir),
        Method::Nat => nat(st, g, skb, p, c, dir),
        Method::DirectRoute | Method::Tunnel => as_is(st, g, skb, p.len, c),
    }
}

/// NAT (upstream's ip_vs_nat_xmit, and handle_response for the way
/// back): the client's packet goes to the real server (destination
/// rewritten, source kept: the real server's application sees the
/// client), one TTL less as a router's; the real server's answer, routed
/// back through the director by the real server's own routing, is caught
/// where the stack forwards it (`dispatch::forward_hook`; or at LOCAL_IN
/// when the client is the director itself) and leaves from the VIP, on
/// the route the stack already chose for it.
fn nat(st: &State, g: &RcuGuard, mut skb: Skb, p: &Pkt, c: &Conn, dir: Dir) -> Verdict {
    let f = p.ip.family;
    let to = match dir {
        Dir::In => Tuple { saddr: c.in_t.saddr, daddr: c.dest.addr, sport: c.in_t.sport, dport: c.dest.port },
        Dir::Out => Tuple { saddr: c.in_t.daddr, daddr: c.in_t.saddr, sport: c.in_t.dport, dport: c.in_t.sport },
    };
    if dir == Dir::In {
        if let Err(e) = skb.dec_ttl(f == Family::V6) {
            st.stats.inc(if e.to_errno() == -ETIMEDOUT { Ctr::DropTtl } else { Ctr::DropNoMem });
            return skb.discard();
        }
        // The real server's route, shared with its other connections; not
        // one to this host (a real server whose address became the
        // director's: rvs has no local node).
        if skb.route_cached(g, p.net, &c.route_in, Some(&c.dest.route), &to.saddr, &to.daddr).is_err() || skb.route_is_local() {
            st.stats.inc(Ctr::DropNoRoute);
            return skb.discard();
        }
        // Checked (and the client told) while the packet is still the
        // one it sent.
        if skb.too_big(f == Family::V6) {
            st.stats.inc(Ctr::DropTooBig);
            return skb.discard();
        }
    }
    let csum = skb.csum_state();
    let Some(buf) = skb.writable(p.ip.l4_off + p.l4.hlen) else {
        st.stats.inc(Ctr::DropNoMem);
        return skb.discard();
    };
    if let Err(why) = rewrite_ends(buf, p, &to, csum) {
        st.stats.inc(why);
        return skb.discard();
    }
    stats::account_packet(&st.stats, &c.dest.stats, &c.svc_stats, None, dir == Dir::In, p.len as u64);
    match dir {
        Dir::In => send(st, skb, p.net, f),
        Dir::Out => {
            skb.rewritten();
            skb.accept()
        }
    }
}

/// Rewrites the addresses and ports of packet `p` (same family on both
/// sides; `buf`, its headers made writable) to `to`'s, its checksums
/// following; or the counter of why the packet must be dropped.
fn rewrite_ends(buf: &mut [u8], p: &Pkt, to: &Tuple, csum: FieldState) -> core::result::Result<(), Ctr> {
    let ihl = p.ip.l4_off;
    match p.ip.family {
        Family::V4 => nat::rewrite_v4(buf, ihl, to, csum),
        // An IPv6 UDP datagram without a checksum: illegal (RFC 8200),
        // and nothing to update incrementally.
        Family::V6 => ipv6::rewrite_v6(buf, ihl, p.ip.proto, to, csum).map_err(|_| Ctr::DropMalformed)?,
    }
    Ok(())
}

/// Sends packet `skb` of `len` bytes, as it is, to connection `c`'s real
/// server by its method, which must keep addresses (direct routing,
/// tunnelling): the client's packets, and the ICMP errors about the real
/// server's answers (`dispatch`), so that its stack learns its path MTU.
///
/// Such a packet has passed one more router: its TTL (hop limit) goes
/// down by one first, as IPVS's, so a loop between directors ends.
pub(crate) fn as_is(st: &State, g: &RcuGuard, mut skb: Skb, len: usize, c: &Conn) -> Verdict {
    if let Err(e) = skb.dec_ttl(c.dest.addr.family() == Family::V6) {
        st.stats.inc(if e.to_errno() == -ETIMEDOUT { Ctr::DropTtl } else { Ctr::DropNoMem });
        return skb.discard();
    }
    match c.method {
        Method::DirectRoute => direct_route(st, g, skb, len, c),
        Method::Tunnel => tunnel(st, g, skb, len, c),
        Method::FullNat | Method::Nat => {
            st.stats.inc(Ctr::XmitErr);
            skb.discard()
        }
    }
}

/// Tunnelling (upstream's ip_vs_tunnel_xmit): the packet, unchanged,
/// inside an outer header from the director to the real server (IPIP, or
/// GUE or GRE between them, as the real server is configured), which
/// takes it out, holds the VIP and answers the client itself. The route
/// is the real server's, as for direct routing.
fn tunnel(st: &State, g: &RcuGuard, mut skb: Skb, len: usize, c: &Conn) -> Verdict {
    if let Err(e) = skb.encapsulate(g, c.net, &c.dest.route_tun, &c.dest.addr, c.dest.tunnel()) {
        st.stats.inc(match -e.to_errno() {
            EMSGSIZE => Ctr::DropTooBig,
            ENOMEM => Ctr::DropNoMem,
            _ => Ctr::DropNoRoute,
        });
        return skb.discard();
    }
    stats::account_packet(&st.stats, &c.dest.stats, &c.svc_stats, None, true, len as u64);
    send(st, skb, c.net, c.dest.addr.family())
}

/// Direct routing (upstream's ip_vs_dr_xmit): the packet, unchanged, to
/// the real server's link-layer address. The real server holds the VIP
/// and answers the client itself. `len`: the packet's length, counted.
///
/// The route is the real server's (`Dest::route_dr`), not the
/// connection's: it depends on the real server alone (no source, mark or
/// interface goes into the lookup), and one cache per real server is one
/// place to empty when a device goes (`crate::dev_gone`).
fn direct_route(st: &State, g: &RcuGuard, mut skb: Skb, len: usize, c: &Conn) -> Verdict {
    if skb.route_cached_to(g, c.net, &c.dest.route_dr, &c.dest.addr).is_err() {
        st.stats.inc(Ctr::DropNoRoute);
        return skb.discard();
    }
    stats::account_packet(&st.stats, &c.dest.stats, &c.svc_stats, None, true, len as u64);
    send(st, skb, c.net, c.dest.addr.family())
}

/// Sends a routed packet of family `f`; the hook's verdict.
pub(crate) fn send(st: &State, skb: Skb, net: NetRef, f: Family) -> Verdict {
    let (verdict, sent) = skb.output(net, f);
    if sent.is_err() {
        st.stats.inc(Ctr::XmitErr);
    }
    verdict
}

/// Builds, routes and sends a packet of rvs's own (its family is its
/// addresses').
pub(crate) fn send_new(st: &State, spec: &packet::TcpSpec<'_>, net: NetRef) {
    let f = spec.saddr.family();
    let Some(mut skb) = Skb::alloc(spec.wire_len(), f) else {
        st.stats.inc(Ctr::DropNoMem);
        return;
    };
    let Some(buf) = skb.writable(spec.wire_len()) else {
        st.stats.inc(Ctr::DropNoMem);
        return;
    };
    write_tcp(buf, spec);
    if skb.route(net, &spec.saddr, &spec.daddr).is_err() {
        st.stats.inc(Ctr::DropNoRoute);
        return;
    }
    let (_, sent) = skb.output(net, f);
    if sent.is_err() {
        st.stats.inc(Ctr::XmitErr);
    }
}

/// Writes segment `spec` into `buf` (`spec.wire_len()` bytes) in its
/// family's headers.
pub(crate) fn write_tcp(buf: &mut [u8], spec: &packet::TcpSpec<'_>) {
    if spec.saddr.is_v4() {
        packet::write_tcp_v4(buf, spec);
    } else {
        // `buf` is `wire_len()` long: cannot be short.
        let _ = ipv6::write_tcp_v6(buf, spec);
    }
}

/// The TOA option's length for a client of family `f`.
pub(crate) const fn toa_len(f: Family) -> usize {
    match f {
        Family::V4 => toa::LEN_V4,
        Family::V6 => toa::LEN_V6,
    }
}

/// FULLNAT: rewrites and sends packet `p` of connection `c` travelling
/// `dir` (its state already tracked).
pub(crate) fn fullnat(st: &State, g: &RcuGuard, mut skb: Skb, p: &Pkt, c: &Conn, dir: Dir) -> Verdict {
    let sp = c.sp.as_deref();
    // SYNPROXY's offset for the server's sequence space (0 without).
    let sp_out = sp.map_or(SeqDelta(0), |sp| sp.seq_out());
    let (to, seq_d, ack_d, route, shared) = match dir {
        Dir::In => (
            Tuple { saddr: c.out_t.daddr, daddr: c.out_t.saddr, sport: c.out_t.dport, dport: c.out_t.sport },
            c.seq_in,
            sp_out,
            &c.route_in,
            Some(&c.dest.route),
        ),
        Dir::Out => (
            Tuple { saddr: c.in_t.daddr, daddr: c.in_t.saddr, sport: c.in_t.dport, dport: c.in_t.sport },
            sp_out,
            c.seq_in,
            &c.route_out,
            None,
        ),
    };
    let Ok(()) = skb.route_cached(g, p.net, route, shared, &to.saddr, &to.daddr) else {
        st.stats.inc(Ctr::DropNoRoute);
        return skb.discard();
    };
    let csum = skb.csum_state();
    let hlen = p.l4.hlen;
    let out_f = to.saddr.family();
    let same_family = out_f == p.ip.family;
    // The network header's length as the packet leaves.
    let ihl = if same_family {
        p.ip.l4_off
    } else {
        match translate(&mut skb, p, &to, csum) {
            Ok(ihl) => ihl,
            Err(why) => {
                st.stats.inc(why);
                return skb.discard();
            }
        }
    };
    // The packet's length as it leaves (NAT64 changes the header's).
    let len = p.len - p.ip.l4_off + ihl;
    // One writable area for the rewrite and the TCP edits below.
    let Some(buf) = skb.writable(ihl + hlen) else {
        st.stats.inc(Ctr::DropNoMem);
        return skb.discard();
    };
    if same_family {
        if let Err(why) = rewrite_ends(buf, p, &to, csum) {
            st.stats.inc(why);
            return skb.discard();
        }
    }
    // The client segment that takes the director's TOA (which blanks the
    // client's own, `toa::insert`); on every other client segment a TOA
    // the client wrote itself is blanked here, SYN included: a TCP Fast
    // Open server makes its socket from the SYN, and toa.ko reads the TOA
    // of whichever segment that is.
    let toa_ack = match p.l4.tcp {
        Some((flags, _, _)) => {
            dir == Dir::In
                && c.wants_toa()
                && flags & (tcp_flags::SYN | tcp_flags::RST | tcp_flags::ACK) == tcp_flags::ACK
                && c.net.settings().toa.load(Relaxed)
        }
        None => false,
    };
    if let Some((flags, _, _)) = p.l4.tcp {
        let tcp = &mut buf[ihl..];
        // Options were validated at parse time: the edits cannot fail.
        let _ = nat::adjust_tcp_seq(tcp, hlen, seq_d, ack_d, csum);
        if let Some(sp) = sp {
            if flags & tcp_flags::SYN == 0 {
                sp.map_window(dir, tcp, csum);
            }
        }
        let syn = flags & (tcp_flags::SYN | tcp_flags::ACK);
        if hlen > 20 {
            if dir == Dir::In && !toa_ack {
                let _ = nat::edit_tcp_options(tcp, hlen, |o, c| toa::neutralize(o, c, csum));
            }
            if dir == Dir::In && syn == tcp_flags::SYN && c.net.settings().ts_strip.load(Relaxed) {
                // Clients behind one LADDR would share the RS's PAWS state.
                let _ = nat::edit_tcp_options(tcp, hlen, |o, c| tcpopt::strip_timestamp(o, c, csum));
            }
            if dir == Dir::Out && syn == tcp_flags::SYN | tcp_flags::ACK && c.net.settings().mss_adjust.load(Relaxed) {
                // Room for TOA in the client's segments, and for NAT64 the
                // 20 bytes the IPv6 header adds on the client's side.
                let room = (toa_len(c.in_t.saddr.family()) + growth(p.ip.family, out_f)) as u16;
                let _ = nat::edit_tcp_options(tcp, hlen, |o, c| tcpopt::lower_mss(o, room, c, csum));
            }
        }
    }
    if let Some((flags, _, ack_seq)) = p.l4.tcp {
        match dir {
            Dir::In if toa_ack => {
                let Ok(inserted) = insert_toa(st, &mut skb, c, (ihl, hlen, len), csum) else {
                    st.stats.inc(Ctr::DropNoMem);
                    return skb.discard();
                };
                if !inserted && hlen > 20 {
                    // No room for ours: the client's own is blanked all
                    // the same.
                    if let Some(buf) = skb.writable(ihl + hlen) {
                        let _ = nat::edit_tcp_options(&mut buf[ihl..], hlen, |o, c| toa::neutralize(o, c, csum));
                    }
                }
            }
            Dir::Out if flags & tcp_flags::ACK != 0 => c.rs_acked(ack_seq),
            _ => {}
        }
    }
    stats::account_packet(&st.stats, &c.dest.stats, &c.svc_stats, c.laddr().map(|l| &l.stats), dir == Dir::In, p.len as u64);
    send(st, skb, p.net, out_f)
}

/// How much larger a packet of family `from` becomes in family `to`'s
/// header (only IPv4 to IPv6 grows it).
const fn growth(from: Family, to: Family) -> usize {
    match (from, to) {
        (Family::V4, Family::V6) => nat64::HDR_GROWTH,
        _ => 0,
    }
}

/// NAT64: rewrites packet `p` (TCP or UDP, no fragment) into the other
/// family's network header for `to`'s addresses and ports, the transport
/// checksum following (RFC 7915; see `nat64`). Returns the new header's
/// length, or the counter of why the packet must be dropped.
fn translate(skb: &mut Skb, p: &Pkt, to: &Tuple, csum: FieldState) -> core::result::Result<usize, Ctr> {
    let (old, hlen, len) = (p.ip.l4_off, p.l4.hlen, p.len);
    match to.saddr.family() {
        Family::V4 => {
            let buf = skb.writable(old + hlen).ok_or(Ctr::DropNoMem)?;
            let ip6 = ipv6::parse_ipv6(buf, len).map_err(|_| Ctr::DropMalformed)?;
            // The IPv4 header goes in the last 20 bytes of the old one;
            // its identification is random (RFC 6864: DF set, so only
            // for the rare fragmenting middlebox).
            let (net, l4) = buf.split_at_mut(old);
            let id = kern::random_u32() as u16;
            nat64::v6_to_v4(&ip6, &mut net[old - nat64::IPV4_HDR_LEN..], l4, to, id, csum).map_err(|_| Ctr::DropMalformed)?;
            skb.change_family(old, nat64::IPV4_HDR_LEN, Family::V4).map_err(|_| Ctr::DropNoMem)?;
            Ok(nat64::IPV4_HDR_LEN)
        }
        Family::V6 => {
            // A UDP datagram without checksum gets one over all of it.
            let mut need = old + hlen;
            let buf = skb.writable(need).ok_or(Ctr::DropNoMem)?;
            if p.l4.tcp.is_none() && buf[old + 6..old + 8] == [0, 0] {
                need = len;
            }
            let buf = skb.writable(need).ok_or(Ctr::DropNoMem)?;
            let ip4 = packet::parse_ipv4(buf, len).map_err(|_| Ctr::DropMalformed)?;
            let tos = buf[1];
            let new = IPV6_HDR_LEN;
            skb.change_family(old, new, Family::V6).map_err(|_| Ctr::DropNoMem)?;
            let buf = skb.writable(need - old + new).ok_or(Ctr::DropNoMem)?;
            let (net, l4) = buf.split_at_mut(new);
            nat64::v4_to_v6(&ip4, tos, net, l4, to, csum).map_err(|_| Ctr::DropMalformed)?;
            Ok(new)
        }
    }
}

/// Puts the client's address in a TOA option after the TCP header of a
/// client -> RS segment (already translated: `l4_off`, `l4_hlen` and `len`
/// as it leaves), or counts why it could not. `Ok(true)` if it did,
/// `Ok(false)` if the packet is unchanged, `Err` if the room was made but
/// not filled: the packet must be dropped.
fn insert_toa(st: &State, skb: &mut Skb, c: &Conn, (l4_off, l4_hlen, len): (usize, usize, usize), csum: FieldState) -> core::result::Result<bool, ()> {
    let hl = l4_off + l4_hlen;
    // The client's family says which option; the packet's, where it goes
    // (a NAT64 connection carries an IPv6 client's address to an IPv4
    // server).
    let client = &c.in_t.saddr;
    let opt_len = toa_len(client.family());
    // Aggregated packets would carry it in every segment: leave them be
    // (the handshake's ACK, which toa.ko reads, is never one).
    if skb.is_gso() || len + opt_len > skb.dst_mtu() || l4_hlen + opt_len > 60 || skb.insert_room(hl, opt_len, l4_off).is_err() {
        st.stats.inc(Ctr::ToaNoRoom);
        return Ok(false);
    }
    // The room is made (the headers are private and linear, so neither
    // step below fails in practice); the packet must not leave half-built.
    let buf = skb.writable(hl + opt_len).ok_or(())?;
    let net = match c.out_t.saddr.family() {
        Family::V4 => toa::NetHdr::V4 { ihl: l4_off },
        Family::V6 => toa::NetHdr::V6 { l4_off },
    };
    let done = match client.family() {
        Family::V4 => toa::insert(buf, net, l4_hlen, &toa::encode_v4(client.low32().to_be_bytes(), c.in_t.sport), csum),
        Family::V6 => {
            let kind = c.net.settings().toa_v6_kind.load(Relaxed) as u8;
            toa::encode_v6(kind, *client.octets(), c.in_t.sport).is_some_and(|o| toa::insert(buf, net, l4_hlen, &o, csum))
        }
    };
    if !done {
        return Err(());
    }
    st.stats.inc(Ctr::ToaInserted);
    Ok(true)
}
