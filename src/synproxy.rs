// SPDX-License-Identifier: GPL-2.0
//! SYNPROXY: the director makes the client's handshake itself, with a SYN
//! cookie, before any real server is involved.
//!
//! 1. Client SYN to a SYNPROXY service: answered with a SYN-ACK whose
//!    sequence number is the cookie (`core/src/synproxy.rs`, 24 bits of the
//!    SYN's options kept in it). Nothing is stored; the SYN's own skb
//!    becomes the SYN-ACK.
//! 2. Client ACK with a valid cookie: a connection is opened and scheduled
//!    as FULLNAT would, the ACK (and early data, up to
//!    `synproxy_ack_skb_store_thresh` packets) is kept, and the director
//!    sends its own SYN to the real server, options rebuilt from the cookie.
//!    The collector resends it `synproxy_syn_retry` times, a second apart,
//!    then resets the client.
//! 3. Real server's SYN-ACK: the offset between its ISN and the cookie is
//!    fixed for the connection's life, the kept packets go out in order,
//!    the SYN-ACK itself is consumed. A RST instead is passed to the client.
//!
//! Afterwards every packet gets one combined sequence adjustment (FULLNAT's
//! fresh ISN toward the server, SYNPROXY's cookie toward the client). Why a
//! cookie of our own rather than the kernel's `__cookie_v4_init_sequence`:
//! the kernel's carries only an MSS index and relies on the timestamp
//! option for window scale and SACK; Alibaba's design (and ours) answers
//! without timestamps, so the cookie itself carries them.
//!
//! The cookie's key is the namespace's: random, or the operator's
//! `synproxy_cookie_key`, shared by a cluster's directors so that a
//! handshake whose ACK reaches another director than its SYN did completes
//! there (`README`'s "Running a cluster"). Its clock is the wall clock for
//! the same reason.
//!
//! Window scale: the client is offered `synproxy_wscale` before the real
//! server's own is known. When the two differ, windows are rescaled on the
//! way (see [`map_window`]). The SYN-ACK's window lets the client send only
//! what the queue keeps.

use crate::conn_table::Conn;
use crate::forward;
use crate::kern::{self, RcuGuard, Skb, Verdict};
use crate::pkt::{NetHdr, Pkt};
use crate::rvs_core::addr::Family;
use crate::rvs_core::ctl_text::SYNPROXY_STORE_MAX;
use crate::rvs_core::nat::{self, Tuple};
use crate::rvs_core::packet::{self, tcp_flags, TcpSpec};
use crate::rvs_core::seq::SeqDelta;
use crate::state::Settings;
use crate::rvs_core::synproxy::{self as cookie, CookieData};
use crate::rvs_core::tcp_state::{Dir, TcpState};
use crate::rvs_core::tcpopt;
use crate::schedule::{self, Opening};
use crate::service::Service;
use crate::sp_state::{Kept, SynproxyCtx, NO_WS};
use crate::stats::Ctr;
use crate::xmit;
use crate::State;
use core::sync::atomic::Ordering::*;

/// Seconds between SYNs to a silent real server.
const RETRY_SECS: u32 = 1;
/// TTL of the packets rvs sends toward real servers and of its resets.
const TTL: u8 = 64;

/// Offers a client packet to the queue of connection `c`.
fn keep(c: &Conn, sp: &SynproxyCtx, skb: Skb) -> Kept {
    sp.keep(skb, c.net.settings().sp.ack_store.load(Relaxed) as usize)
}

/// The keyed hash of a client's tuple under the namespace's key, as the
/// cookie functions want it.
fn hasher<'a>(s: &Settings, t: &'a Tuple) -> impl Fn(u32) -> u32 + 'a {
    let key = s.sp.cookie_key();
    move |x| kern::cookie_hash(&key, t, x)
}

/// The cookie's clock: minutes of the wall clock, which the directors of
/// a cluster share (NTP), so that one takes a cookie another made in the
/// same minute or the one before. (A clock stepped back or forward
/// refuses the cookies in flight at that moment; their clients send
/// their SYN again.)
fn minutes() -> u32 {
    (kern::real_seconds() / 60) as u32
}

/// Window the director's SYN-ACK offers: what the queue can hold besides
/// the ACK, so that a client does not send more than is kept.
fn synack_window(s: &Settings, d: &CookieData) -> u16 {
    let store = s.sp.ack_store.load(Relaxed).clamp(1, SYNPROXY_STORE_MAX);
    let w = (store - 1).max(1) * d.mss() as u32;
    w.min(0xffff) as u16
}

/// A TCP packet of no connection to SYNPROXY service `svc`.
pub(crate) fn no_conn(st: &State, g: &RcuGuard, mut skb: Skb, p: &Pkt, svc: &Service) -> Verdict {
    let Some((flags, _, _)) = p.l4.tcp else {
        return skb.discard();
    };
    // The director answers these itself (no real server sees them to drop
    // a damaged one): the checksum is checked first, as the stack would.
    if !skb.l4_csum_ok(p.ip.l4_off, packet::IPPROTO_TCP, p.ip.family) {
        st.stats.inc(Ctr::DropBadCsum);
        return skb.discard();
    }
    if p.l4.is_bare_syn() {
        return answer_syn(st, skb, p, svc);
    }
    if flags & (tcp_flags::SYN | tcp_flags::RST | tcp_flags::FIN) == 0 && flags & tcp_flags::ACK != 0 {
        return cookie_ack(st, g, skb, p, svc);
    }
    st.stats.inc(Ctr::DropNoConn);
    skb.discard()
}

/// Step 1: the client's SYN becomes the director's SYN-ACK.
fn answer_syn(st: &State, mut skb: Skb, p: &Pkt, svc: &Service) -> Verdict {
    let (ip, l4, t) = (&p.ip, &p.l4, &p.tuple);
    let seq = l4.tcp.map_or(0, |(_, seq, _)| seq);
    if !svc.has_available_dest() {
        st.stats.inc(Ctr::DropNoDest);
        return skb.discard();
    }
    let offer = match skb.pull(ip.l4_off + l4.hlen).map(|h| tcpopt::parse_syn(&h[ip.l4_off + 20..ip.l4_off + l4.hlen])) {
        Some(Ok(o)) => o,
        _ => {
            st.stats.inc(Ctr::DropMalformed);
            return skb.discard();
        }
    };
    let sp = &p.net.settings().sp;
    let less = if p.ip.family == Family::V6 { cookie::V6_MSS_LESS } else { 0 };
    // Timestamps are not offered: the cookie carries what they would.
    let mut d = CookieData::from_syn(&offer, (sp.init_mss.load(Relaxed) as u16).saturating_sub(less));
    d.sack &= sp.sack.load(Relaxed);
    let ws = sp.wscale.load(Relaxed) as u8;
    if ws == 0 {
        d.wscale = None;
    }
    let isn = cookie::make(hasher(p.net.settings(), t), seq, minutes(), &d);
    let mut opts = [0u8; 20];
    let n = cookie::synack_options(&mut opts, &d, if ws == 0 { None } else { Some(ws) }, None);
    let spec = TcpSpec {
        saddr: t.daddr,
        daddr: t.saddr,
        sport: t.dport,
        dport: t.sport,
        seq: isn,
        ack_seq: seq.wrapping_add(1),
        flags: tcp_flags::SYN | tcp_flags::ACK,
        window: synack_window(p.net.settings(), &d),
        ttl: sp.synack_ttl.load(Relaxed) as u8,
        opts: &opts[..n],
    };
    if skb.reshape(spec.wire_len(), p.ip.family).is_err() {
        st.stats.inc(Ctr::DropNoMem);
        return skb.discard();
    }
    let Some(buf) = skb.writable(spec.wire_len()) else {
        st.stats.inc(Ctr::DropNoMem);
        return skb.discard();
    };
    xmit::write_tcp(buf, &spec);
    if skb.route(p.net, &spec.saddr, &spec.daddr).is_err() {
        st.stats.inc(Ctr::DropNoRoute);
        return skb.discard();
    }
    st.stats.inc(Ctr::SpSynAnswered);
    xmit::send(st, skb, p.net, p.ip.family)
}

/// Step 2: an ACK that may carry a cookie of ours.
fn cookie_ack(st: &State, g: &RcuGuard, mut skb: Skb, p: &Pkt, svc: &Service) -> Verdict {
    let (ip, t) = (&p.ip, &p.tuple);
    let Some((_, seq, ack)) = p.l4.tcp else {
        return skb.discard();
    };
    let client_isn = seq.wrapping_sub(1);
    let cookie_isn = ack.wrapping_sub(1);
    let sp = &p.net.settings().sp;
    // What the director's SYN-ACKs can carry now (IPv6's MSS cap is lower:
    // the IPv4 one bounds both).
    let allowed = cookie::Allowed::new(sp.init_mss.load(Relaxed) as u16, sp.sack.load(Relaxed), sp.wscale.load(Relaxed) != 0);
    let Some(d) = cookie::check(hasher(p.net.settings(), t), cookie_isn, client_isn, minutes(), &allowed) else {
        st.stats.inc(Ctr::SpCookieBad);
        return skb.discard();
    };
    let Some(win) = skb.pull(ip.l4_off + 20).map(|h| u16::from_be_bytes([h[ip.l4_off + 14], h[ip.l4_off + 15]])) else {
        return skb.discard();
    };
    let offered_ws = p.net.settings().sp.wscale.load(Relaxed) as u8;
    // The client's window, scaled by its own shift, unscaled for a SYN.
    let window = nat::scale_window(win, d.wscale.unwrap_or(0), 0);
    let Ok(ctx) = SynproxyCtx::new(cookie_isn, d, offered_ws, window) else {
        st.stats.inc(Ctr::DropNoMem);
        return skb.discard();
    };
    let how = Opening { state: TcpState::SynSent, syn_seq: Some(client_isn), sp: Some(ctx) };
    let Ok(c) = schedule::open(st, g, svc, p, how) else {
        return skb.discard();
    };
    st.stats.inc(Ctr::SpCookieOk);
    let Some(sp) = c.sp.as_deref() else {
        return skb.discard();
    };
    // Kept before the SYN leaves, so that the answer finds it.
    let verdict = match keep(c, sp, skb) {
        Kept::Yes(v) => {
            st.stats.inc(Ctr::SpAckQueued);
            v
        }
        Kept::Released(skb) | Kept::Full(skb) => skb.discard(),
    };
    c.refresh(kern::jiffies(), RETRY_SECS);
    send_rs_syn(st, c, sp);
    verdict
}

/// The director's SYN to the real server.
fn send_rs_syn(st: &State, c: &Conn, sp: &SynproxyCtx) {
    let mut opts = [0u8; 20];
    let n = cookie::rs_syn_options(&mut opts, &sp.data);
    let spec = TcpSpec {
        saddr: c.out_t.daddr,
        daddr: c.out_t.saddr,
        sport: c.out_t.dport,
        dport: c.out_t.sport,
        seq: c.rs_isn(),
        ack_seq: 0,
        flags: tcp_flags::SYN,
        window: sp.window,
        ttl: TTL,
        opts: &opts[..n],
    };
    xmit::send_new(st, &spec, c.net);
}

/// The client's reset when the real server never answered.
fn send_client_rst(st: &State, c: &Conn, sp: &SynproxyCtx) {
    let spec = TcpSpec {
        saddr: c.in_t.daddr,
        daddr: c.in_t.saddr,
        sport: c.in_t.dport,
        dport: c.in_t.sport,
        seq: sp.cookie_isn.wrapping_add(1),
        ack_seq: 0,
        flags: tcp_flags::RST,
        window: 0,
        ttl: TTL,
        opts: &[],
    };
    xmit::send_new(st, &spec, c.net);
}

/// Before a packet of a proxied connection is forwarded: the handshake
/// with the real server, the queue, the ACK-storm guard. `Ok` gives the
/// packet back to be forwarded; `Err` is the hook's verdict.
pub(crate) fn before_forward(st: &State, mut skb: Skb, p: &Pkt, c: &Conn, sp: &SynproxyCtx, dir: Dir) -> core::result::Result<Skb, Verdict> {
    let (ip, l4) = (&p.ip, &p.l4);
    let Some((flags, seq, ack)) = l4.tcp else {
        return Ok(skb);
    };
    let syn = flags & tcp_flags::SYN != 0;
    let rst = flags & tcp_flags::RST != 0;
    match (dir, sp.ready()) {
        (Dir::In, false) => {
            if syn || rst {
                if rst {
                    // The client gave up: so does the connection.
                    drop(sp.release());
                    c.set_state(TcpState::Close);
                    c.refresh(kern::jiffies(), c.net.settings().tcp_timeout(TcpState::Close));
                }
                st.stats.inc(Ctr::SpDropped);
                return Err(skb.discard());
            }
            match keep(c, sp, skb) {
                Kept::Yes(v) => {
                    st.stats.inc(Ctr::SpAckQueued);
                    Err(v)
                }
                Kept::Released(skb) => Ok(skb),
                Kept::Full(skb) => {
                    st.stats.inc(Ctr::SpQueueFull);
                    Err(skb.discard())
                }
            }
        }
        (Dir::In, true) => {
            if l4.is_bare_syn() {
                st.stats.inc(Ctr::SpDropped);
                return Err(skb.discard());
            }
            Ok(skb)
        }
        (Dir::Out, false) => {
            // What the real server sends before its handshake completes
            // fixes the connection's sequence offset and window scale for
            // its life, or ends it: a damaged segment must not. Dropped, it
            // is sent again (the server retransmits its SYN-ACK).
            if !skb.l4_csum_ok(ip.l4_off, packet::IPPROTO_TCP, ip.family) {
                st.stats.inc(Ctr::DropBadCsum);
                return Err(skb.discard());
            }
            let expected = c.rs_isn().wrapping_add(1);
            if syn && flags & (tcp_flags::ACK | tcp_flags::RST) == tcp_flags::ACK && ack == expected {
                let rs_ws = match skb.pull(ip.l4_off + l4.hlen).map(|h| tcpopt::parse_syn(&h[ip.l4_off + 20..ip.l4_off + l4.hlen])) {
                    Some(Ok(o)) => o.wscale.map_or(NO_WS, |w| w.min(14)),
                    _ => {
                        st.stats.inc(Ctr::DropMalformed);
                        return Err(skb.discard());
                    }
                };
                sp.rs_ws.store(rs_ws, Relaxed);
                sp.set_seq_out(SeqDelta::between(seq, sp.cookie_isn));
                let g = RcuGuard::new();
                if c.set_state(TcpState::Established) {
                    crate::sync::conn_changed(st, &g, c, TcpState::Established);
                }
                c.refresh(kern::jiffies(), c.net.settings().tcp_timeout(TcpState::Established));
                // The kept packets complete the real server's handshake
                // (the ACK) and carry the early data, in their order.
                for mut kept in sp.release() {
                    // Owned packets: whatever becomes of them, the verdict
                    // about each is "stolen", nothing for this hook. They
                    // were parsed when kept; parsed again now that they
                    // are ours.
                    let (net, len) = (p.net, kept.len());
                    let Ok(ip) = NetHdr::parse(&mut kept, c.in_t.saddr.family(), len) else { continue };
                    if let Some(kp) = Pkt::parse(&mut kept, net, ip, len) {
                        let _ = forward::forward(st, &g, kept, &kp, c, Dir::In);
                    }
                }
                return Err(skb.discard());
            }
            if rst && (flags & tcp_flags::ACK == 0 || ack == expected) {
                // Refused: the client gets the reset, in its own space.
                sp.set_seq_out(SeqDelta::between(seq, sp.cookie_isn.wrapping_add(1)));
                drop(sp.release());
                st.stats.inc(Ctr::SpRsRefused);
                return Ok(skb);
            }
            st.stats.inc(Ctr::SpDropped);
            Err(skb.discard())
        }
        (Dir::Out, true) => {
            // Identical bare ACKs (same numbers and window, no options, so
            // no SACK news): a storm past the threshold.
            let thresh = c.net.settings().sp.ack_storm.load(Relaxed);
            let payload = ip.tot_len.saturating_sub(ip.l4_off + l4.hlen);
            if thresh > 0 && flags == tcp_flags::ACK && payload == 0 && l4.hlen == 20 {
                let win = match skb.pull(ip.l4_off + 20) {
                    Some(h) => u16::from_be_bytes([h[ip.l4_off + 14], h[ip.l4_off + 15]]) as u32,
                    None => return Err(skb.discard()),
                };
                if sp.storm_seq.load(Relaxed) == seq && sp.storm_ack.load(Relaxed) == ack && sp.storm_win.load(Relaxed) == win {
                    if sp.storm_n.fetch_add(1, Relaxed) + 1 > thresh {
                        st.stats.inc(Ctr::SpAckStorm);
                        return Err(skb.discard());
                    }
                } else {
                    sp.storm_seq.store(seq, Relaxed);
                    sp.storm_ack.store(ack, Relaxed);
                    sp.storm_win.store(win, Relaxed);
                    sp.storm_n.store(0, Relaxed);
                }
            }
            // A retransmitted SYN-ACK after the handshake passes too: the
            // client's answer (a duplicate ACK) serves the real server.
            Ok(skb)
        }
    }
}

/// The collector found `c` expired: a proxied connection still waiting for
/// its real server gets its SYN again (true: keep it), until the retries
/// are spent; then the client is reset.
pub(crate) fn expiring(st: &State, c: &Conn, now: u64) -> bool {
    let Some(sp) = c.sp.as_deref() else {
        return false;
    };
    if sp.ready() || c.state() != TcpState::SynSent {
        return false;
    }
    if sp.retries.fetch_add(1, Relaxed) < c.net.settings().sp.syn_retry.load(Relaxed) {
        st.stats.inc(Ctr::SpSynRetry);
        send_rs_syn(st, c, sp);
        c.refresh(now, RETRY_SECS);
        return true;
    }
    // The kept packets go with the connection.
    send_client_rst(st, c, sp);
    st.stats.inc(Ctr::SpRsTimeout);
    false
}
