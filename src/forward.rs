// SPDX-License-Identifier: GPL-2.0
//! A packet of a known connection: its protocol's state first (TCP's state
//! machine and the timeout of the state it leads to, UDP's timeout), as
//! upstream's ip_vs_proto_*.c track it, then transmit (`xmit`). SYNPROXY's
//! checks come before this (`dispatch`), and its kept packets come here
//! once the real server has answered.

use crate::conn_table::Conn;
use crate::kern::{self, RcuGuard, Skb, Verdict};
use crate::pkt::Pkt;
use crate::rvs_core::packet::tcp_flags;
use crate::rvs_core::tcp_state::{self, Dir, Event, TcpState};
use crate::xmit;
use crate::stats::Ctr;
use crate::State;

/// Tracks packet `p` of connection `c` travelling `dir`, then sends it.
/// A connection whose replies skip the director (direct routing,
/// tunnelling) is tracked from the client's packets alone, as upstream's
/// INPUT-ONLY table does.
pub(crate) fn forward(st: &State, g: &RcuGuard, skb: Skb, p: &Pkt, c: &Conn, dir: Dir) -> Verdict {
    let sees_replies = c.method.sees_replies();
    if dir == Dir::Out && !sees_replies {
        // A packet VIP -> client that reached LOCAL_IN: the client is
        // this host itself (the real server's answers to other clients
        // are forwarded, never seen here). Not rvs's to handle.
        return skb.accept();
    }
    c.adopt();
    let now = kern::jiffies();
    match p.l4.tcp {
        Some((flags, seq, ack_seq)) => {
            if flags & tcp_flags::ACK != 0 {
                c.saw_ack(dir, ack_seq);
            }
            let ev = Event::from_flags(flags);
            if ev == Event::Rst && !c.rst_in_window(dir, seq) {
                // Not where its sender's genuine RST would be: passed on
                // (the endpoint applies RFC 5961 itself: a Linux one
                // answers with a challenge ACK) but the connection stays.
                st.stats.inc(Ctr::RstOutOfWindow);
                return xmit::transmit(st, g, skb, p, c, dir);
            }
            let payload = p.ip.tot_len.saturating_sub(p.ip.l4_off + p.l4.hlen) as u32;
            let flag_len = (flags & tcp_flags::SYN != 0) as u32 + (flags & tcp_flags::FIN != 0) as u32;
            c.saw_end(dir, seq.wrapping_add(payload + flag_len));
            let old = c.state();
            let mut ns = if sees_replies { tcp_state::next(old, dir, ev) } else { tcp_state::next_input_only(old, ev) };
            if ns == old && flags & tcp_flags::ACK != 0 && old == TcpState::LastAck {
                ns = tcp_state::next_after_ack_of_fin(old);
            }
            let changed = c.set_state(ns);
            if changed {
                crate::sync::conn_changed(st, g, c, ns);
            }
            if dir == Dir::In {
                crate::sync::conn_packet(st, g, c, ns, changed);
            }
            c.refresh(now, c.net.settings().tcp_timeout(ns));
        }
        None => {
            if dir == Dir::In {
                crate::sync::conn_packet(st, g, c, c.state(), false);
            }
            c.refresh(now, c.net.settings().udp_timeout())
        }
    }
    xmit::transmit(st, g, skb, p, c, dir)
}
