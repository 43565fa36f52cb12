// SPDX-License-Identifier: GPL-2.0
//! Transmit: how a packet leaves the director, as upstream's ip_vs_xmit.c
//! has one function per forwarding method. FULLNAT rewrites both ends
//! (client -> VIP:vport becomes LADDR:lport -> RS:rport, and the reply
//! back), maps the sequence space, edits the TCP options it owns
//! (timestamps, MSS, TOA), routes through the connection's cached route
//! and sends; `send_new` sends a packet of rvs's own (resets, SYNPROXY's
//! SYN).

use crate::conn_table::Conn;
use crate::kern::{NetRef, RcuGuard, Skb, Verdict};
use crate::pkt::Pkt;
use crate::rvs_core::addr::Family;
use crate::rvs_core::csum::FieldState;
use crate::rvs_core::ipv6;
use crate::rvs_core::nat::{self, Tuple};
use crate::rvs_core::packet::{self, tcp_flags};
use crate::rvs_core::seq::SeqDelta;
use crate::rvs_core::tcp_state::Dir;
use crate::rvs_core::{tcpopt, toa};
use crate::stats::{self, Ctr};
use crate::State;
use core::sync::atomic::Ordering::Relaxed;

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
    let (ihl, hlen) = (p.ip.l4_off, p.l4.hlen);
    let Some(buf) = skb.writable(ihl + hlen) else {
        st.stats.inc(Ctr::DropNoMem);
        return skb.discard();
    };
    match p.ip.family {
        Family::V4 => nat::rewrite_v4(buf, ihl, &to, csum),
        Family::V6 => {
            if ipv6::rewrite_v6(buf, ihl, p.ip.proto, &to, csum).is_err() {
                // An IPv6 UDP datagram without a checksum: illegal (RFC
                // 8200), and nothing to update incrementally.
                st.stats.inc(Ctr::DropMalformed);
                return skb.discard();
            }
        }
    }
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
            if dir == Dir::In && syn == tcp_flags::SYN && st.settings.ts_strip.load(Relaxed) {
                // Clients behind one LADDR would share the RS's PAWS state.
                let _ = nat::edit_tcp_options(tcp, hlen, |o, c| tcpopt::strip_timestamp(o, c, csum));
            }
            if dir == Dir::Out && syn == tcp_flags::SYN | tcp_flags::ACK && st.settings.mss_adjust.load(Relaxed) {
                // Room for TOA in the client's segments.
                let room = toa_len(c.in_t.saddr.family()) as u16;
                let _ = nat::edit_tcp_options(tcp, hlen, |o, c| tcpopt::lower_mss(o, room, c, csum));
            }
        }
    }
    if let Some((flags, _, ack_seq)) = p.l4.tcp {
        match dir {
            Dir::In if c.wants_toa() && flags & (tcp_flags::SYN | tcp_flags::RST | tcp_flags::ACK) == tcp_flags::ACK => {
                let inserted = if st.settings.toa.load(Relaxed) {
                    let Ok(done) = insert_toa(st, &mut skb, c, p, csum) else {
                        st.stats.inc(Ctr::DropNoMem);
                        return skb.discard();
                    };
                    done
                } else {
                    false
                };
                if !inserted && hlen > 20 {
                    // A TOA the client wrote itself must not reach the real
                    // server as ours (insert_v4 blanks it when it inserts).
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
    send(st, skb, p.net, to.saddr.family())
}

/// Puts the client's address in a TOA option after the TCP header of a
/// client -> RS segment (already translated), or counts why it could not.
/// `Ok(true)` if it did, `Ok(false)` if the packet is unchanged, `Err` if
/// the room was made but not filled: the packet must be dropped.
fn insert_toa(st: &State, skb: &mut Skb, c: &Conn, p: &Pkt, csum: FieldState) -> core::result::Result<bool, ()> {
    let (l4_off, l4_hlen) = (p.ip.l4_off, p.l4.hlen);
    let hl = l4_off + l4_hlen;
    // The client's family says which option (a NAT64 connection would
    // carry an IPv6 client's address to an IPv4 server).
    let client = &c.in_t.saddr;
    let len = toa_len(client.family());
    // Aggregated packets would carry it in every segment: leave them be
    // (the handshake's ACK, which toa.ko reads, is never one).
    if skb.is_gso() || p.len + len > skb.dst_mtu() || l4_hlen + len > 60 || skb.insert_room(hl, len, l4_off).is_err() {
        st.stats.inc(Ctr::ToaNoRoom);
        return Ok(false);
    }
    // The room is made (the headers are private and linear, so neither
    // step below fails in practice); the packet must not leave half-built.
    let buf = skb.writable(hl + len).ok_or(())?;
    let done = match p.ip.family {
        Family::V4 => toa::insert_v4(buf, l4_off, l4_hlen, client.low32().to_be_bytes(), c.in_t.sport, csum),
        Family::V6 => {
            let kind = st.settings.toa_v6_kind.load(Relaxed) as u8;
            toa::insert_v6(buf, l4_off, l4_hlen, kind, *client.octets(), c.in_t.sport, csum)
        }
    };
    if !done {
        return Err(());
    }
    st.stats.inc(Ctr::ToaInserted);
    Ok(true)
}
