// SPDX-License-Identifier: GPL-2.0
//! The TCP state a director tracks for a connection, and its timeouts.
//!
//! States keep upstream IPVS's numbering (the netlink protocol and
//! /proc/net/ip_vs_conn speak it); the transitions are written from what a
//! middlebox sees: SYN, SYN-ACK and the handshake-completing ACK, a FIN from
//! each side, RST. Default timeouts are Alibaba's (short, for a director
//! under heavy churn).

/// Connection state, numbered as upstream's `IP_VS_TCP_S_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum TcpState {
    /// No packet seen yet.
    None = 0,
    /// Handshake complete, data flowing.
    Established = 1,
    /// Client SYN forwarded, no answer yet.
    SynSent = 2,
    /// Server answered SYN-ACK, client ACK pending.
    SynRecv = 3,
    /// The client sent FIN first.
    FinWait = 4,
    /// Both sides sent FIN.
    TimeWait = 5,
    /// Reset, or never established.
    Close = 6,
    /// The server sent FIN first.
    CloseWait = 7,
    /// Server FIN after client FIN, last ACK pending.
    LastAck = 8,
    /// Listening (not used by FULLNAT connections).
    Listen = 9,
    /// SYNPROXY: the director answered the client's SYN itself.
    SynAck = 10,
}

/// Number of states (size of the timeout table).
pub const NR_STATES: usize = 11;

impl TcpState {
    /// Upstream's name, as /proc/net/ip_vs_conn prints it.
    pub const fn name(self) -> &'static str {
        match self {
            TcpState::None => "NONE",
            TcpState::Established => "ESTABLISHED",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv => "SYN_RECV",
            TcpState::FinWait => "FIN_WAIT",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Close => "CLOSE",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::LastAck => "LAST_ACK",
            TcpState::Listen => "LISTEN",
            TcpState::SynAck => "SYNACK",
        }
    }

    /// The state from its number.
    pub const fn from_u8(v: u8) -> Option<TcpState> {
        Some(match v {
            0 => TcpState::None,
            1 => TcpState::Established,
            2 => TcpState::SynSent,
            3 => TcpState::SynRecv,
            4 => TcpState::FinWait,
            5 => TcpState::TimeWait,
            6 => TcpState::Close,
            7 => TcpState::CloseWait,
            8 => TcpState::LastAck,
            9 => TcpState::Listen,
            10 => TcpState::SynAck,
            _ => return None,
        })
    }

    /// True for the states counted as active connections (upstream:
    /// ESTABLISHED only; everything else is inactive).
    pub const fn is_active(self) -> bool {
        matches!(self, TcpState::Established)
    }

    /// True while the handshake is under way (no state a backup needs:
    /// a connection that never gets past it is lost with its director).
    pub const fn is_handshake(self) -> bool {
        matches!(self, TcpState::None | TcpState::SynSent | TcpState::SynRecv | TcpState::SynAck | TcpState::Listen)
    }

    /// True once the connection is on its way out: a new SYN may reuse it.
    pub const fn is_closing(self) -> bool {
        matches!(self, TcpState::TimeWait | TcpState::Close)
    }
}

/// Which way a packet travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// Client to real server.
    In,
    /// Real server to client.
    Out,
}

/// The flags that drive the state, from a TCP header's flag byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// RST set.
    Rst,
    /// SYN set (with or without ACK).
    Syn,
    /// FIN set.
    Fin,
    /// Anything else (ACK, data).
    Ack,
}

impl Event {
    /// Classifies a flag byte; RST wins over SYN, SYN over FIN.
    pub const fn from_flags(flags: u8) -> Event {
        if flags & 0x04 != 0 {
            Event::Rst
        } else if flags & 0x02 != 0 {
            Event::Syn
        } else if flags & 0x01 != 0 {
            Event::Fin
        } else {
            Event::Ack
        }
    }
}

/// The state after a packet of `ev` travelling `dir` in state `s`.
pub const fn next(s: TcpState, dir: Dir, ev: Event) -> TcpState {
    use Dir::*;
    use Event::*;
    use TcpState::*;
    match (ev, dir, s) {
        (Rst, _, _) => Close,
        // A client SYN (re)starts the handshake unless data already flows.
        (Syn, In, Established | FinWait | CloseWait | LastAck) => s,
        (Syn, In, _) => SynSent,
        // The server's SYN-ACK.
        (Syn, Out, SynSent | SynAck | None) => SynRecv,
        (Syn, Out, _) => s,
        // The handshake completes with the client's ACK.
        (Ack, In, SynRecv) => Established,
        (Ack, Out, SynRecv) => Established,
        (Ack, _, _) => s,
        // FINs: who closes first decides the path.
        (Fin, In, Established | SynRecv) => FinWait,
        (Fin, Out, Established | SynRecv) => CloseWait,
        (Fin, Out, FinWait) => LastAck,
        (Fin, In, CloseWait) => LastAck,
        (Fin, _, LastAck | TimeWait) => TimeWait,
        (Fin, _, SynSent | SynAck | None | Listen) => Close,
        (Fin, _, _) => s,
    }
}

/// The state after a client packet of `ev` in state `s`, for a connection
/// whose replies the director never sees (direct routing): upstream's
/// INPUT-ONLY table, which guesses the server's part from the client's
/// (its ACK after a SYN means the handshake completed).
pub const fn next_input_only(s: TcpState, ev: Event) -> TcpState {
    use Event::*;
    use TcpState::*;
    match (ev, s) {
        (Syn, Established | SynSent) => Established,
        (Syn, _) => SynRecv,
        (Fin, None | Close) => Close,
        (Fin, Established | FinWait) => FinWait,
        (Fin, SynSent) => SynSent,
        (Fin, SynRecv | TimeWait | SynAck) => TimeWait,
        (Fin, CloseWait | LastAck | Listen) => s,
        (Ack, None | Established | SynRecv | SynAck) => Established,
        (Ack, LastAck) => Close,
        (Ack, _) => s,
        (Rst, SynRecv) => SynRecv,
        (Rst, LastAck | Listen) => s,
        (Rst, _) => Close,
    }
}

/// Once both FINs have been seen, the ACK of the last one ends it.
pub const fn next_after_ack_of_fin(s: TcpState) -> TcpState {
    match s {
        TcpState::LastAck => TcpState::TimeWait,
        _ => s,
    }
}

/// Whether a RST with sequence number `seq` may end a connection's state
/// (RFC 5961's rule, as a director can apply it): it must lie between
/// what its receiver last acknowledged (`acked`) and the end of what its
/// sender has sent (`sent_end`), both in the sender's sequence space. A
/// genuine RST sits there (at the sender's next sequence number, which its
/// receiver expects); a blind one must hit that span, usually the bytes in
/// flight, out of 2^32. Either bound unknown (the handshake), it is taken.
pub const fn rst_in_window(seq: u32, acked: Option<u32>, sent_end: Option<u32>) -> bool {
    match (acked, sent_end) {
        (Some(lo), Some(hi)) => !super::seq::before(seq, lo) && !super::seq::after(seq, hi),
        _ => true,
    }
}

/// Per-state timeouts in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Indexed by `TcpState as usize`.
    pub tcp: [u32; NR_STATES],
    /// UDP flows.
    pub udp: u32,
}

impl Timeouts {
    /// Alibaba's defaults (seconds).
    pub const ALIBABA: Timeouts = Timeouts {
        //    NONE ES  SS SR  FW TW CL CW LA LI  SA
        tcp: [2, 90, 3, 30, 7, 7, 3, 7, 7, 120, 30],
        udp: 300,
    };

    /// The timeout of a TCP state.
    pub const fn tcp(&self, s: TcpState) -> u32 {
        self.tcp[s as usize]
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts::ALIBABA
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn rst_window() {
        // Unknown bounds: taken.
        assert!(rst_in_window(5, Option::None, Some(10)));
        assert!(rst_in_window(5, Some(10), Option::None));
        // Between the receiver's ack and the sender's end, both included.
        for (seq, ok) in [(999, false), (1000, true), (1500, true), (2000, true), (2001, false), (0x8000_0000, false)] {
            assert_eq!(rst_in_window(seq, Some(1000), Some(2000)), ok, "{seq}");
        }
        // Across the wrap of the sequence space.
        assert!(rst_in_window(5, Some(u32::MAX - 10), Some(20)));
        assert!(!rst_in_window(21, Some(u32::MAX - 10), Some(20)));
        // A blind guess over the whole space hits a 1,000-byte span about
        // once in four million.
        let hits = (0..1u64 << 20).filter(|i| rst_in_window((*i as u32).wrapping_mul(4099), Some(7000), Some(8000))).count();
        assert!(hits <= 1, "{hits}");
    }

    use super::Dir::*;
    use super::Event::*;
    use super::TcpState::*;
    use super::*;

    fn run(steps: &[(Dir, u8)]) -> TcpState {
        let mut s = None;
        for &(d, f) in steps {
            let ev = Event::from_flags(f);
            s = next(s, d, ev);
        }
        s
    }

    const SYN: u8 = 0x02;
    const SYNACK: u8 = 0x12;
    const ACK: u8 = 0x10;
    const FINACK: u8 = 0x11;
    const RST: u8 = 0x04;

    #[test]
    fn handshake_and_client_close() {
        assert_eq!(run(&[(In, SYN)]), SynSent);
        assert_eq!(run(&[(In, SYN), (Out, SYNACK)]), SynRecv);
        assert_eq!(run(&[(In, SYN), (Out, SYNACK), (In, ACK)]), Established);
        let est = [(In, SYN), (Out, SYNACK), (In, ACK), (In, ACK), (Out, ACK)];
        assert_eq!(run(&est), Established);
        let mut v = est.to_vec();
        v.push((In, FINACK));
        assert_eq!(run(&v), FinWait);
        v.push((Out, FINACK));
        assert_eq!(run(&v), LastAck);
        assert_eq!(next_after_ack_of_fin(run(&v)), TimeWait);
    }

    #[test]
    fn server_closes_first() {
        let s = run(&[(In, SYN), (Out, SYNACK), (In, ACK), (Out, FINACK)]);
        assert_eq!(s, CloseWait);
        assert_eq!(next(s, In, Fin), LastAck);
    }

    #[test]
    fn rst_and_reuse() {
        let s = run(&[(In, SYN), (Out, SYNACK), (In, ACK), (Out, RST)]);
        assert_eq!(s, Close);
        assert!(s.is_closing());
        // A new SYN on a closed connection starts over.
        assert_eq!(next(s, In, Syn), SynSent);
        // A retransmitted SYN in ESTABLISHED does not reset the state.
        assert_eq!(next(Established, In, Syn), Established);
        assert_eq!(Event::from_flags(0x16), Rst);
    }

    #[test]
    fn timeouts_and_names() {
        let t = Timeouts::default();
        assert_eq!(t.tcp(Established), 90);
        assert_eq!(t.tcp(SynSent), 3);
        assert_eq!(t.tcp(TimeWait), 7);
        assert_eq!(t.udp, 300);
        for v in 0..NR_STATES as u8 {
            assert_eq!(TcpState::from_u8(v).unwrap() as u8, v);
        }
        assert_eq!(TcpState::from_u8(11), Option::None);
        assert_eq!(SynAck.name(), "SYNACK");
        assert!(Established.is_active() && !SynRecv.is_active());
    }

    /// Upstream's INPUT-ONLY rows (ip_vs_proto_tcp.c), column by column
    /// in its state order.
    #[test]
    fn input_only_is_upstreams_table() {
        use TcpState::*;
        let cols = [None, Established, SynSent, SynRecv, FinWait, TimeWait, Close, CloseWait, LastAck, Listen, SynAck];
        let rows = [
            (Event::Syn, [SynRecv, Established, Established, SynRecv, SynRecv, SynRecv, SynRecv, SynRecv, SynRecv, SynRecv, SynRecv]),
            (Event::Fin, [Close, FinWait, SynSent, TimeWait, FinWait, TimeWait, Close, CloseWait, LastAck, Listen, TimeWait]),
            (Event::Ack, [Established, Established, SynSent, Established, FinWait, TimeWait, Close, CloseWait, Close, Listen, Established]),
            (Event::Rst, [Close, Close, Close, SynRecv, Close, Close, Close, Close, LastAck, Listen, Close]),
        ];
        for (ev, want) in rows {
            for (s, w) in cols.iter().zip(want) {
                assert_eq!(next_input_only(*s, ev), w, "{ev:?} in {s:?}");
            }
        }
    }
}
