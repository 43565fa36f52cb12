// SPDX-License-Identifier: GPL-2.0
//! toa.ko: on a real server, makes the client address carried in the TOA
//! TCP option visible to getpeername() and accept().
//!
//! Five probes, no kernel table is written:
//! - kretprobes on `tcp_v4_syn_recv_sock` (IPv4 connections, including an
//!   IPv6 listener's v4-mapped ones) and `tcp_v6_syn_recv_sock` (IPv6
//!   connections) read the options of the segment completing the handshake
//!   (entry) and, when a socket comes out of it (return), record the client
//!   address for that socket;
//! - kretprobes on `inet_getname` and `inet6_getname` rewrite the peer
//!   address the kernel has just written for a socket with a record, before
//!   the system call copies it to the user (getpeername, accept);
//! - a kprobe on `sk_destruct`, which every socket passes on its way to
//!   being freed, drops the record.
//!
//! TOA is believed only from the peers of the `trusted` parameter when it
//! has any (`core/src/prefixes.rs`): anyone else's is ignored and counted.
//!
//! An IPv4 socket cannot show an IPv6 client (an IPv4 connection from a
//! NAT64 director): getsockopt(IPPROTO_IP, `toa::SO_GET_CLIENT6`), served
//! through netfilter's sockopt registry, returns it as a `sockaddr_in6`.
//!
//! Records live in a hash table keyed by the socket's address, one lock per
//! bucket, allocated atomically in the probe (preemption is off there) and
//! freed at destruction; module exit unregisters the getsockopt numbers and
//! the probes, then frees what is left (sockets still open then show the
//! director's address).

use kernel::prelude::*;

mod bindings;
mod kern;
mod toa_core;

use kern::{Buckets, InitOnce, Probes, ProcFiles, SockKey, Sockopt};
use toa_core::addr::Addr;
use toa_core::toa::{self, Client6Error, ClientAddr, Peer, Rewrite};
use toa_core::prefixes::Prefixes;
use toa_core::version::VERSION;

module! {
    type: Toa,
    name: "toa",
    author: "rvs developers",
    description: "TOA: client address from a TCP option for getpeername/accept (rvs real-server side)",
    license: "GPL",
}

/// What toa.ko keeps about a socket whose handshake carried TOA.
#[derive(Clone, Copy)]
pub(crate) struct Record {
    /// Source address and port of the handshake segment (the director's
    /// local address; an IPv4 one mapped): the peer the kernel knows.
    /// Rewrites happen only over that address, so a stale record could
    /// never mislabel a socket.
    seen: Peer,
    /// The client, from the option.
    client: ClientAddr,
}

/// The options of a handshake-completing segment, as toa.ko sees them.
#[derive(Clone, Copy)]
pub(crate) enum AckToa {
    Found(Record),
    Absent,
    /// A malformed option area: no TOA taken from it.
    Malformed,
    /// A TOA from a peer that is not a trusted director: ignored.
    Untrusted,
}

/// The peers whose TOA is believed (`trusted`), set at init before the
/// probes are registered.
static TRUSTED: InitOnce<Prefixes> = InitOnce::new();

/// Counters (per CPU), in /proc/net/toa_stats order.
#[derive(Clone, Copy)]
#[repr(u32)]
enum Stat {
    /// Sockets created from a handshake that carried TOA.
    ToaSeen,
    /// Sockets created without (usable) TOA.
    NoToa,
    /// ... of which the option area was malformed.
    BadOptions,
    /// Records that could not be allocated (the socket goes without).
    AllocFailed,
    /// Peer addresses replaced by the client's (getpeername, accept).
    AddrReturned,
    /// Peer addresses left alone: not the handshake's source any more.
    AddrMismatch,
    /// Peer addresses left alone: the client does not fit the family.
    AddrUnusable,
    /// Records dropped when their socket was freed.
    RecordsFreed,
    // The counters below came later; /proc/net/toa_stats shows them after
    // the earlier lines, which keep their order.
    /// Of `ToaSeen`: the TOA carried an IPv6 client (kind 253 or 254,
    /// length 20).
    V6ClientSeen,
    /// Of `ToaSeen`: the connection itself was IPv6.
    V6ConnToaSeen,
    /// Of `NoToa`: the connection itself was IPv6.
    V6ConnNoToa,
    /// IPv6 clients returned by getsockopt(SO_GET_CLIENT6).
    SockoptReturned,
    /// getsockopt(SO_GET_CLIENT6) answered ENOENT.
    SockoptNoent,
    /// Of `NoToa`: a TOA from a peer outside `trusted`, ignored.
    Untrusted,
}

/// Names of the counters up to `RecordsFreed`, shown first, then `records`
/// and the probes' misses.
const STAT_NAMES: [&str; 8] = [
    "toa_seen",
    "no_toa",
    "bad_options",
    "alloc_failed",
    "addr_returned",
    "addr_mismatch",
    "addr_unusable",
    "records_freed",
];

/// The later counters, shown last.
const STAT_NAMES_LATER: [(&str, Stat); 6] = [
    ("v6_client_seen", Stat::V6ClientSeen),
    ("v6_conn_toa_seen", Stat::V6ConnToaSeen),
    ("v6_conn_no_toa", Stat::V6ConnNoToa),
    ("sockopt_returned", Stat::SockoptReturned),
    ("sockopt_noent", Stat::SockoptNoent),
    ("untrusted", Stat::Untrusted),
];
const _: () = assert!((Stat::Untrusted as u32) < kern::NR_STATS);

fn count(s: Stat) {
    kern::stat_inc(s as u32);
}

fn stat(s: Stat) -> u64 {
    kern::stat_sum(s as u32)
}

/// One record of the table.
struct Node {
    key: SockKey,
    rec: Record,
    next: Option<KBox<Node>>,
}

static TABLE: Buckets<Node> = Buckets::new();

fn bucket(k: SockKey) -> usize {
    // Fibonacci hashing of the address; the low bits of a slab pointer are
    // alike, the high bits of the product mix them all.
    ((k.0 as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize % kern::NBUCKETS
}

/// Unlinks the node of `k` from a list.
fn unlink(head: &mut Option<KBox<Node>>, k: SockKey) -> Option<KBox<Node>> {
    let mut cur = head;
    while cur.as_ref().is_some_and(|n| n.key != k) {
        cur = &mut cur.as_mut()?.next;
    }
    let mut n = cur.take()?;
    *cur = n.next.take();
    Some(n)
}

/// Reads the TOA, if any, of a handshake-completing segment from `from`
/// (address, an IPv4 one mapped, and port) with TCP option area `opts`.
pub(crate) fn ack_toa(opts: &[u8], from: Peer) -> AckToa {
    match toa::find(opts) {
        Ok(Some(_)) if !TRUSTED.get().is_some_and(|t| t.admits(&Addr::v6(from.0))) => AckToa::Untrusted,
        Ok(Some(client)) => AckToa::Found(Record { seen: from, client }),
        Ok(None) => AckToa::Absent,
        Err(_) => AckToa::Malformed,
    }
}

/// A socket came out of a handshake whose segment (IPv6 if `v6`) showed
/// `v`.
pub(crate) fn new_sock(k: SockKey, v: AckToa, v6: bool) {
    let rec = match v {
        AckToa::Found(rec) => rec,
        AckToa::Absent | AckToa::Malformed | AckToa::Untrusted => {
            match v {
                AckToa::Malformed => count(Stat::BadOptions),
                AckToa::Untrusted => count(Stat::Untrusted),
                _ => {}
            }
            if v6 {
                count(Stat::V6ConnNoToa);
            }
            return count(Stat::NoToa);
        }
    };
    count(Stat::ToaSeen);
    if v6 {
        count(Stat::V6ConnToaSeen);
    }
    if matches!(rec.client, ClientAddr::V6 { .. }) {
        count(Stat::V6ClientSeen);
    }
    // Probe handlers run with preemption off: atomic allocation only.
    let Ok(node) = KBox::new(Node { key: k, rec, next: None }, GFP_ATOMIC) else {
        return count(Stat::AllocFailed);
    };
    let old = TABLE.with(bucket(k), |head| {
        // A new socket at the address of one whose destruction went
        // unseen: the new record replaces the old.
        let old = unlink(head, k);
        let mut node = node;
        node.next = head.take();
        *head = Some(node);
        old
    });
    if old.is_some() {
        count(Stat::RecordsFreed);
    }
}

/// The record of socket `k`, if it has one.
pub(crate) fn lookup(k: SockKey) -> Option<Record> {
    TABLE.with(bucket(k), |head| {
        let mut cur = head.as_deref();
        while let Some(n) = cur {
            if n.key == k {
                return Some(n.rec);
            }
            cur = n.next.as_deref();
        }
        None
    })
}

/// getname of a socket with record `rec` has written peer address `sa`.
pub(crate) fn rewrite(sa: &mut [u8], rec: Record) {
    match toa::rewrite_peer(sa, rec.seen, rec.client) {
        Rewrite::Done => count(Stat::AddrReturned),
        Rewrite::Mismatch => count(Stat::AddrMismatch),
        Rewrite::Unusable => count(Stat::AddrUnusable),
    }
}

/// getsockopt(SO_GET_CLIENT6) on socket `k`, whose peer is now `peer`,
/// with a buffer of `len` bytes.
pub(crate) fn sockopt_client6(k: SockKey, len: i32, peer: Peer) -> Result<[u8; toa::SOCKADDR_IN6_LEN]> {
    match toa::client6(len, lookup(k).map(|r| (r.seen, r.client)), peer) {
        Ok(sa) => {
            count(Stat::SockoptReturned);
            Ok(sa)
        }
        Err(Client6Error::ShortBuffer) => Err(EINVAL),
        Err(Client6Error::NoEntry) => {
            count(Stat::SockoptNoent);
            Err(ENOENT)
        }
    }
}

/// Socket `k` is being freed.
pub(crate) fn sock_gone(k: SockKey) {
    if TABLE.with(bucket(k), |head| unlink(head, k)).is_some() {
        count(Stat::RecordsFreed);
    }
}

/// Frees every record (module exit, probes already gone). Returns how many.
fn drain() -> u64 {
    let mut n = 0;
    for i in 0..kern::NBUCKETS {
        let mut list = TABLE.with(i, |head| head.take());
        // One by one: dropping the head would free the chain recursively.
        while let Some(mut node) = list {
            list = node.next.take();
            n += 1;
        }
    }
    n
}

/// A `fmt::Write` over a byte buffer that stops at its end.
struct BufWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl core::fmt::Write for BufWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let b = s.as_bytes();
        let end = self.pos.checked_add(b.len()).filter(|&e| e <= self.buf.len()).ok_or(core::fmt::Error)?;
        self.buf[self.pos..end].copy_from_slice(b);
        self.pos = end;
        Ok(())
    }
}

/// The text of /proc/net/toa_stats into `out`; returns its length.
pub(crate) fn stats_text(out: &mut [u8]) -> usize {
    use core::fmt::Write;
    let mut w = BufWriter { buf: out, pos: 0 };
    for (i, name) in STAT_NAMES.iter().enumerate() {
        let _ = writeln!(w, "{} {}", name, kern::stat_sum(i as u32));
    }
    let live = stat(Stat::ToaSeen).saturating_sub(stat(Stat::AllocFailed) + stat(Stat::RecordsFreed));
    let _ = writeln!(w, "records {}", live);
    for (name, p) in [
        ("missed_syn_recv", kern::PROBE_SYN_RECV),
        ("missed_getname", kern::PROBE_GETNAME),
        ("missed_getname6", kern::PROBE_GETNAME6),
        ("missed_destruct", kern::PROBE_DESTRUCT),
    ] {
        let _ = writeln!(w, "{} {}", name, kern::probe_missed(p));
    }
    for (name, s) in STAT_NAMES_LATER {
        let _ = writeln!(w, "{} {}", name, stat(s));
    }
    let _ = writeln!(w, "missed_syn_recv6 {}", kern::probe_missed(kern::PROBE_SYN_RECV6));
    w.pos
}

/// The module's registrations. Made in the order of the fields below,
/// last to first; undone first to last by `Drop`, which also undoes a
/// partly made one (a failed init).
struct Toa {
    /// getsockopt(SO_GET_CLIENT6); registered last, so that nothing fails
    /// after it (an init that failed later would free the module under a
    /// caller that took its reference during init), and unregistered first.
    sockopt: Option<Sockopt>,
    /// The probes: they make and drop the records the table holds.
    probes: Option<Probes>,
    /// /proc/net/toa_stats.
    _proc: ProcFiles,
}

impl kernel::Module for Toa {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let trusted = Prefixes::parse(kern::param_trusted()).map_err(|e| {
            pr_err!("toa: trusted: {:?}: ADDR[/LEN],... (at most {} entries)\n", e, toa_core::prefixes::MAX_PREFIXES);
            EINVAL
        })?;
        TRUSTED.set(trusted);
        if trusted.is_any() {
            pr_info!("toa: TOA believed from every peer (set trusted= to the directors' local addresses)\n");
        } else {
            pr_info!("toa: TOA believed from {} trusted prefixes only\n", trusted.prefixes().len());
        }
        kern::locks_init();
        let mut toa = Toa { sockopt: None, probes: None, _proc: ProcFiles::register()? };
        toa.probes = Some(Probes::register().inspect_err(|e| pr_err!("toa: registering the probes failed: {:?}\n", e))?);
        toa.sockopt = Some(Sockopt::register(toa::SO_RANGE).inspect_err(|e| {
            pr_err!("toa: getsockopt {}..{} taken ({:?})\n", toa::SO_RANGE.0, toa::SO_RANGE.1, e)
        })?);
        pr_info!("toa {} loaded\n", VERSION);
        Ok(toa)
    }
}

impl Drop for Toa {
    fn drop(&mut self) {
        let loaded = self.sockopt.is_some();
        // 1. getsockopt: no call is in progress (each holds a reference on
        //    the module, and exit begins only without references); after
        //    this none can start. It only reads the table.
        drop(self.sockopt.take());
        // 2. The probes: no handler runs once they are gone, so the table
        //    is ours.
        drop(self.probes.take());
        // 3. The records left (sockets still open).
        let n = drain();
        if loaded {
            pr_info!("toa {} unloaded ({} records of open sockets freed)\n", VERSION, n);
        }
        // 4. The /proc files go with the fields.
    }
}
