// SPDX-License-Identifier: GPL-2.0
//! Global counters of rvs.ko: per-CPU on the packet path, summed on read.

use crate::kern::PerCpu;
use crate::rvs_core::estimator::Ewma;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use kernel::prelude::*;

/// Counter indices. The names are what the stats file prints.
#[derive(Clone, Copy)]
#[repr(u32)]
pub(crate) enum Ctr {
    // Packets, then bytes, of each direction: adjacent, for
    // `account_packet`.
    /// Packets client -> real server.
    InPkts,
    /// Bytes client -> real server.
    #[allow(dead_code)] // written as `InPkts + 1` (`account_packet`)
    InBytes,
    /// Packets real server -> client.
    OutPkts,
    /// Bytes real server -> client.
    #[allow(dead_code)] // written as `OutPkts + 1` (`account_packet`)
    OutBytes,
    /// Connections created.
    Conns,
    /// Malformed packets toward a VIP, dropped.
    DropMalformed,
    /// TCP segments to a VIP port with no connection and no SYN, dropped.
    DropNoConn,
    /// No available real server, dropped.
    DropNoDest,
    /// No local address configured, dropped.
    DropNoLaddr,
    /// No free local port, connection refused.
    DropNoPort,
    /// Connection table full, connection refused.
    DropTableFull,
    /// Memory allocation failed, dropped.
    DropNoMem,
    /// Routing or output failed.
    XmitErr,
    /// Connections expired and freed.
    Expired,
    /// ICMP errors about a connection, translated and sent on.
    IcmpFwd,
    /// IPv4 fragments to a VIP, dropped (defence_frag).
    DropFrag,
    /// UDP to a TCP-only VIP, dropped (defence_udp).
    DropUdpTcpVip,
    /// TCP to a VIP port without a service, dropped (defence_tcp_port).
    DropVipPort,
    /// No route toward the real server or the client, dropped.
    DropNoRoute,
    /// TOA options inserted.
    ToaInserted,
    /// TOA wanted but no room (option space, MTU, GSO packet, headroom).
    ToaNoRoom,
    /// SYNPROXY: client SYNs answered with a cookie SYN-ACK.
    SpSynAnswered,
    /// SYNPROXY: ACKs with a valid cookie (connections opened).
    SpCookieOk,
    /// SYNPROXY: ACKs with a forged or stale cookie, dropped.
    SpCookieBad,
    /// SYNPROXY: client packets kept until the real server answered.
    SpAckQueued,
    /// SYNPROXY: client packets dropped because the queue was full: its
    /// packet count, its connection's memory bound or the module's.
    SpQueueFull,
    /// SYNPROXY: SYNs resent to a silent real server.
    SpSynRetry,
    /// SYNPROXY: repeated identical ACKs from a real server, dropped.
    SpAckStorm,
    /// SYNPROXY: the real server refused (RST passed to the client).
    SpRsRefused,
    /// SYNPROXY: the real server never answered (client reset).
    SpRsTimeout,
    /// SYNPROXY: SYNs and stray segments on a proxied connection, dropped.
    SpDropped,
    /// RSTs sent when an established connection expired (both ends).
    ExpireRst,
    /// Segments with a wrong TCP checksum that the director would act on
    /// itself, dropped: SYNPROXY's SYN and cookie ACK, and the real
    /// server's segments before its handshake completes.
    DropBadCsum,
    /// RSTs outside their sender's window (`Conn::rst_in_window`): passed
    /// on, the connection kept.
    RstOutOfWindow,
    /// Packets too big for the path to the real server once tunnelled,
    /// dropped with an ICMP error to the client (its MTU less the outer
    /// header).
    DropTooBig,
    /// Packets sent on with their own addresses (direct routing,
    /// tunnelling) whose TTL or hop limit ran out, dropped with an ICMP
    /// time exceeded to their sender.
    DropTtl,
    /// Connection records a sync master queued, and datagrams it sent.
    SyncRecords,
    SyncSent,
    /// Records a master could not queue (its queue full until the next
    /// send) and datagrams the socket refused: the backup misses them.
    SyncLost,
    /// Datagrams a sync backup read.
    SyncRxMsgs,
    /// Of those, messages refused whole or cut short by a fault in their
    /// framing (the records before the fault stand), or longer than the
    /// backup reads.
    SyncRxBad,
    /// Of those, messages of another sync id, ignored.
    SyncRxOtherId,
    /// Of those, messages from a sender outside the namespace's
    /// `sync_peers`, ignored.
    SyncRxNotPeer,
    /// Records that made a connection, and that updated one.
    SyncRxConns,
    SyncRxUpdated,
    /// Records not taken: malformed, a template, a method or family rvs
    /// does not sync, no such service or real server here, a clash with a
    /// connection of this director's, the table full.
    SyncRxRefused,
}

/// Number of counters.
pub(crate) const NR: u32 = Ctr::SyncRxRefused as u32 + 1;

const NAMES: [&str; NR as usize] = [
    "in_pkts",
    "in_bytes",
    "out_pkts",
    "out_bytes",
    "conns",
    "drop_malformed",
    "drop_no_conn",
    "drop_no_dest",
    "drop_no_laddr",
    "drop_no_port",
    "drop_table_full",
    "drop_no_mem",
    "xmit_err",
    "expired",
    "icmp_fwd",
    "drop_frag",
    "drop_udp_tcp_vip",
    "drop_vip_port",
    "drop_no_route",
    "toa_inserted",
    "toa_no_room",
    "synproxy_syn_answered",
    "synproxy_cookie_ok",
    "synproxy_cookie_bad",
    "synproxy_ack_queued",
    "synproxy_queue_full",
    "synproxy_syn_retry",
    "synproxy_ack_storm",
    "synproxy_rs_refused",
    "synproxy_rs_timeout",
    "synproxy_dropped",
    "expire_rst_sent",
    "drop_bad_csum",
    "rst_out_of_window",
    "drop_too_big",
    "drop_ttl",
    "sync_records",
    "sync_sent",
    "sync_lost",
    "sync_rx_msgs",
    "sync_rx_bad",
    "sync_rx_other_id",
    "sync_rx_not_peer",
    "sync_rx_conns",
    "sync_rx_updated",
    "sync_rx_refused",
];

/// The counters.
pub(crate) struct Stats {
    c: PerCpu,
}

impl Stats {
    pub(crate) fn new() -> Result<Self> {
        Ok(Stats { c: PerCpu::new(NR)? })
    }

    /// Adds one to `c`.
    #[inline]
    pub(crate) fn inc(&self, c: Ctr) {
        self.c.add(c as u32, 1);
    }

    /// Adds `v` to `c`.
    #[inline]
    pub(crate) fn add(&self, c: Ctr, v: u64) {
        self.c.add(c as u32, v);
    }

    /// Writes "name value" lines.
    /// Writes the gauges given (connections, templates, memory of SYNPROXY's
    /// kept packets) and every counter, one "name value" line each.
    pub(crate) fn write(&self, w: &mut impl core::fmt::Write, conns_now: u32, templates: u32, sp_kept_bytes: usize) {
        let _ = core::fmt::write(
            w,
            format_args!("conns_now {}\ntemplates_now {}\nsynproxy_kept_bytes {}\n", conns_now, templates, sp_kept_bytes),
        );
        for (i, name) in NAMES.iter().enumerate() {
            let _ = core::fmt::write(w, format_args!("{} {}\n", name, self.c.sum(i as u32)));
        }
    }
}

/// Indices of the counters every service and real server keeps.
#[derive(Clone, Copy)]
#[repr(u32)]
pub(crate) enum ObjCtr {
    /// Connections scheduled.
    Conns,
    // Packets, then bytes, of each direction: adjacent, for
    // `account_packet`.
    /// Packets client -> RS.
    InPkts,
    /// Bytes client -> RS.
    InBytes,
    /// Packets RS -> client.
    OutPkts,
    /// Bytes RS -> client.
    OutBytes,
}

/// Per-CPU counters of one service or real server (upstream's
/// `ip_vs_stats`: connections, packets and bytes each way).
pub(crate) struct ObjStats {
    c: PerCpu,
    /// Per counter: the value at the last estimator sample and the averaged
    /// rate (`estimator::Ewma`); written only by the estimator's tick.
    est: [(AtomicU64, AtomicU64); NR_OBJ],
    /// Per counter: the raw sum when last zeroed (ZERO command); readers
    /// see the growth since.
    base: [AtomicU64; NR_OBJ],
}

/// Number of counters of a service or real server.
const NR_OBJ: usize = ObjCtr::OutBytes as usize + 1;

impl ObjStats {
    pub(crate) fn new() -> Result<Self> {
        Ok(ObjStats {
            c: PerCpu::new(NR_OBJ as u32)?,
            est: core::array::from_fn(|_| (AtomicU64::new(0), AtomicU64::new(0))),
            base: core::array::from_fn(|_| AtomicU64::new(0)),
        })
    }

    /// Folds the counters' growth over `period_ms` into the rates. One
    /// caller at a time (the collector's work item).
    pub(crate) fn estimate(&self, period_ms: u64) {
        for (i, (last, avg)) in self.est.iter().enumerate() {
            let mut e = Ewma { last: last.load(Relaxed), avg: avg.load(Relaxed) };
            e.sample(self.c.sum(i as u32), period_ms);
            last.store(e.last, Relaxed);
            avg.store(e.avg, Relaxed);
        }
    }

    /// Averaged rate per second of counter `c`.
    pub(crate) fn rate(&self, c: ObjCtr) -> u64 {
        Ewma { last: 0, avg: self.est[c as usize].1.load(Relaxed) }.per_sec()
    }

    /// Adds `v` to `c`.
    #[inline]
    pub(crate) fn add(&self, c: ObjCtr, v: u64) {
        self.c.add(c as u32, v);
    }

    /// The sum of `c` over all CPUs, since the last [`ObjStats::zero`].
    pub(crate) fn get(&self, c: ObjCtr) -> u64 {
        self.c.sum(c as u32).wrapping_sub(self.base[c as usize].load(Relaxed))
    }

    /// Zeroes the counters and rates as readers see them (upstream's
    /// ip_vs_zero_stats): the per-CPU sums go on, a baseline is kept.
    /// Under the configuration mutex; a concurrent estimator tick may
    /// leave one period's rate, as upstream.
    pub(crate) fn zero(&self) {
        for (i, b) in self.base.iter().enumerate() {
            b.store(self.c.sum(i as u32), Relaxed);
        }
        for (_, avg) in self.est.iter() {
            avg.store(0, Relaxed);
        }
    }


    /// "conns N inpkts N outpkts N inbytes N outbytes N cps N inpps N
    /// outpps N inbps N outbps N" (bps: bytes per second, as upstream).
    pub(crate) fn write(&self, w: &mut impl core::fmt::Write) {
        use ObjCtr::*;
        let _ = core::fmt::write(
            w,
            format_args!(
                "conns {} inpkts {} outpkts {} inbytes {} outbytes {} cps {} inpps {} outpps {} inbps {} outbps {}",
                self.get(Conns),
                self.get(InPkts),
                self.get(OutPkts),
                self.get(InBytes),
                self.get(OutBytes),
                self.rate(Conns),
                self.rate(InPkts),
                self.rate(OutPkts),
                self.rate(InBytes),
                self.rate(OutBytes)
            ),
        );
    }
}

/// Accounts one forwarded packet of `bytes`, travelling in (client -> RS)
/// or out, on the global counters and on those of its real server, its
/// service and (if any) its local address: one per-CPU update call for
/// all eight counters.
#[inline]
pub(crate) fn account_packet(global: &Stats, dest: &ObjStats, svc: &ObjStats, laddr: Option<&ObjStats>, inbound: bool, bytes: u64) {
    let (g, o) = if inbound { (Ctr::InPkts, ObjCtr::InPkts) } else { (Ctr::OutPkts, ObjCtr::OutPkts) };
    PerCpu::add_pairs(
        [Some((&global.c, g as u32)), Some((&dest.c, o as u32)), Some((&svc.c, o as u32)), laddr.map(|l| (&l.c, o as u32))],
        1,
        bytes,
    );
}

/// A `fmt::Write` into a byte buffer that stops (silently) when full.
pub(crate) struct Writer<'a> {
    pub(crate) buf: &'a mut [u8],
    pub(crate) len: usize,
}

impl core::fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        if n < s.len() {
            Err(core::fmt::Error)
        } else {
            Ok(())
        }
    }
}
