// SPDX-License-Identifier: GPL-2.0
//! What happens to a connection the collector found expired: a template
//! lives on while connections it placed do, SYNPROXY may keep a connection
//! for another SYN to a silent real server, and an established TCP
//! connection going away resets both ends (`conn_expire_tcp_rst`).

use crate::conn_table::Conn;
use crate::rvs_core::packet::{self, tcp_flags, IPPROTO_TCP};
use crate::rvs_core::tcp_state::TcpState;
use crate::stats::Ctr;
use crate::{synproxy, xmit, State};
use core::sync::atomic::Ordering::Relaxed;

/// The collector found `c` expired: SYNPROXY may keep it for a retry
/// (true); an established TCP connection going away resets both ends
/// (`conn_expire_tcp_rst`), each at the sequence number it last
/// acknowledged, so that neither keeps a dead connection open.
pub(crate) fn expiring(st: &State, c: &Conn, now: u64) -> bool {
    // A template lives on while connections it placed do.
    if let Some(timeout) = c.template_in_use() {
        c.refresh(now, timeout);
        return true;
    }
    if c.sp.is_some() && synproxy::expiring(st, c, now) {
        return true;
    }
    // A peer's connection (sync) is the peer's to reset: its packets do
    // not pass here.
    if c.proto != IPPROTO_TCP || c.is_template() || c.is_from_peer() || c.state() != TcpState::Established || !c.net.settings().expire_rst.load(Relaxed) {
        return false;
    }
    let Some((client_ack, rs_ack)) = c.last_acks() else {
        return false;
    };
    let to_client = packet::TcpSpec {
        saddr: c.in_t.daddr,
        daddr: c.in_t.saddr,
        sport: c.in_t.dport,
        dport: c.in_t.sport,
        seq: client_ack,
        ack_seq: 0,
        flags: tcp_flags::RST,
        window: 0,
        ttl: 64,
        opts: &[],
    };
    let to_rs = packet::TcpSpec {
        saddr: c.out_t.daddr,
        daddr: c.out_t.saddr,
        sport: c.out_t.dport,
        dport: c.out_t.sport,
        seq: rs_ack,
        ..to_client
    };
    xmit::send_new(st, &to_client, c.net);
    xmit::send_new(st, &to_rs, c.net);
    st.stats.add(Ctr::ExpireRst, 2);
    false
}
