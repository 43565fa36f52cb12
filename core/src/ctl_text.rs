// SPDX-License-Identifier: GPL-2.0
//! The temporary text control interface of rvs.ko (written to
//! /sys/module/rvs/parameters/ctl) until the "IPVS" generic netlink family
//! lands. One command per write:
//!
//! ```text
//! Addresses: dotted IPv4, or IPv6 in brackets where a port follows
//! (`[2001:db8::1]:80`, as ipvsadm writes them).
//!
//! add-service tcp|udp VIP:PORT [SCHED]
//! del-service tcp|udp VIP:PORT
//! add-dest    tcp|udp VIP:PORT RS:PORT [WEIGHT]
//! del-dest    tcp|udp VIP:PORT RS:PORT
//! set-weight  tcp|udp VIP:PORT RS:PORT WEIGHT
//! add-laddr   tcp|udp VIP:PORT LADDR
//! del-laddr   tcp|udp VIP:PORT LADDR
//! set-persist tcp|udp VIP:PORT TIMEOUT [NETMASK]   (TIMEOUT 0: off;
//!             NETMASK dotted for IPv4, a prefix length for IPv6)
//! set-synproxy tcp VIP:PORT 0|1
//! set-lport-range MIN MAX
//! set NAME VALUE        (see [`Setting`])
//! flush
//! ```

use super::addr::{self, Addr, Family};
use super::packet::{IPPROTO_TCP, IPPROTO_UDP};
use super::sched::Algo;

/// A service key: protocol, address, port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvcKey {
    /// IPPROTO_TCP or IPPROTO_UDP (0: the default LADDR pool).
    pub proto: u8,
    /// Virtual address.
    pub addr: Addr,
    /// Virtual port.
    pub port: u16,
}

impl SvcKey {
    /// The key a namespace's default LADDR pool is kept under (local
    /// addresses for FULLNAT services without their own): protocol 0,
    /// which no packet and no request can name.
    pub const DEFAULT_POOL: SvcKey = SvcKey { proto: 0, addr: Addr::v4(0), port: 0 };

    /// Whether a request naming this service means the default LADDR pool:
    /// the unspecified address (of either family) and port 0, which no
    /// service can have; what clients write as `0.0.0.0:0`.
    pub fn names_default_pool(&self) -> bool {
        self.addr.is_unspecified() && self.port == 0
    }

    /// This key, or `DEFAULT_POOL` if it names the default pool.
    pub fn or_default_pool(self) -> SvcKey {
        if self.names_default_pool() {
            SvcKey::DEFAULT_POOL
        } else {
            self
        }
    }
}

/// Runtime switches and timeouts (the sysctls of the control plane to come).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// Replace the timestamp option of client SYNs with NOPs (0/1).
    TsStrip,
    /// Lower the MSS of real servers' SYN-ACKs to leave room for TOA (0/1).
    MssAdjust,
    /// Insert TOA in client segments toward real servers (0/1).
    Toa,
    /// The option kind of an IPv6 client's TOA: 254 (DPVS's format, the
    /// default) or 253 (Alibaba's).
    ToaV6Kind,
    /// Drop IPv4 fragments to a VIP (0/1).
    DropFragments,
    /// Drop UDP to a VIP that has only TCP services (0/1).
    DropUdpToTcpVip,
    /// Drop TCP to a VIP port without a service (0/1).
    DropTcpUnknownPort,
    /// Timeout of a TCP state, seconds.
    TcpTimeout(super::tcp_state::TcpState),
    /// UDP timeout, seconds.
    UdpTimeout,
    /// Reset both ends of an established TCP connection that expires (0/1).
    ExpireTcpRst,
    /// A persistence template whose real server has weight 0 no longer
    /// places its client (0/1; upstream's sysctl of the same name).
    ExpireQuiescentTemplate,
    /// Real servers added (or given their method) with `-m` forward by
    /// FULLNAT, listed back as Masq (0/1; 0: NAT, as upstream).
    MasqAsFullnat,
    /// SYNPROXY: largest MSS offered to clients (rounded down to the
    /// cookie's table).
    SynproxyInitMss,
    /// SYNPROXY: keep SACK_PERM when the client offers it (0/1).
    SynproxySack,
    /// SYNPROXY: window scale offered to clients (0: none).
    SynproxyWscale,
    /// SYNPROXY: TTL of the director's SYN-ACKs.
    SynproxySynackTtl,
    /// SYNPROXY: client packets (the ACK and early data) kept until the
    /// real server answers.
    SynproxyAckStore,
    /// SYNPROXY: SYNs resent to a silent real server.
    SynproxySynRetry,
    /// SYNPROXY: identical pure ACKs from a real server passed on before
    /// the rest are dropped (0: no guard).
    SynproxyAckStorm,
    /// Connection sync: seconds after which a connection whose state has
    /// not changed is synced again while its packets flow (0: half its
    /// state's timeout), so that a backup's copy does not expire under it.
    SyncRefreshPeriod,
    /// Connection sync: times each refresh is sent again, an eighth of
    /// `sync_refresh_period` apart (0..3; upstream's `sync_retries`).
    SyncRetries,
    /// Connection sync: 1 sends a connection a persistence template placed
    /// as its template's record alone (upstream's `sync_persist_mode`;
    /// 0: both).
    SyncPersistMode,
    /// Connection sync: the master's SO_SNDBUF, the backup's SO_RCVBUF,
    /// as setsockopt takes them (at most net.core.wmem_max/rmem_max,
    /// doubled), for daemons started later (upstream's `sync_sock_size`;
    /// 0: the system's send buffer, rvs's 4 MB receive buffer).
    SyncSockSize,
}

/// Most client packets SYNPROXY keeps per connection.
pub const SYNPROXY_STORE_MAX: u32 = 8;

impl Setting {
    /// Parses a setting name.
    pub fn from_name(n: &[u8]) -> Option<Setting> {
        use super::tcp_state::TcpState::*;
        Some(match n {
            b"ts_strip" => Setting::TsStrip,
            b"mss_adjust" => Setting::MssAdjust,
            b"toa" => Setting::Toa,
            b"toa_v6_kind" => Setting::ToaV6Kind,
            b"defence_frag" => Setting::DropFragments,
            b"defence_udp" => Setting::DropUdpToTcpVip,
            b"defence_tcp_port" => Setting::DropTcpUnknownPort,
            b"timeout_established" => Setting::TcpTimeout(Established),
            b"timeout_syn_sent" => Setting::TcpTimeout(SynSent),
            b"timeout_syn_recv" => Setting::TcpTimeout(SynRecv),
            b"timeout_fin_wait" => Setting::TcpTimeout(FinWait),
            b"timeout_time_wait" => Setting::TcpTimeout(TimeWait),
            b"timeout_close" => Setting::TcpTimeout(Close),
            b"timeout_close_wait" => Setting::TcpTimeout(CloseWait),
            b"timeout_last_ack" => Setting::TcpTimeout(LastAck),
            b"timeout_udp" => Setting::UdpTimeout,
            b"conn_expire_tcp_rst" => Setting::ExpireTcpRst,
            b"expire_quiescent_template" => Setting::ExpireQuiescentTemplate,
            b"masq_as_fullnat" => Setting::MasqAsFullnat,
            b"synproxy_init_mss" => Setting::SynproxyInitMss,
            b"synproxy_sack" => Setting::SynproxySack,
            b"synproxy_wscale" => Setting::SynproxyWscale,
            b"synproxy_synack_ttl" => Setting::SynproxySynackTtl,
            b"synproxy_ack_skb_store_thresh" => Setting::SynproxyAckStore,
            b"synproxy_syn_retry" => Setting::SynproxySynRetry,
            b"synproxy_ack_storm_thresh" => Setting::SynproxyAckStorm,
            b"sync_refresh_period" => Setting::SyncRefreshPeriod,
            b"sync_retries" => Setting::SyncRetries,
            b"sync_persist_mode" => Setting::SyncPersistMode,
            b"sync_sock_size" => Setting::SyncSockSize,
            _ => return Option::None,
        })
    }

    /// The largest value accepted.
    pub const fn max(self) -> u32 {
        match self {
            Setting::TsStrip | Setting::MssAdjust | Setting::Toa | Setting::DropFragments | Setting::DropUdpToTcpVip | Setting::DropTcpUnknownPort => 1,
            // A day: beyond that an idle entry is a leak, not a connection.
            Setting::TcpTimeout(_) | Setting::UdpTimeout | Setting::SyncRefreshPeriod => 86400,
            Setting::SynproxyInitMss => 1460,
            Setting::SynproxySack | Setting::ExpireTcpRst | Setting::ExpireQuiescentTemplate | Setting::MasqAsFullnat => 1,
            Setting::SyncRetries => 3,
            Setting::SyncPersistMode => 1,
            Setting::SyncSockSize => i32::MAX as u32,
            Setting::SynproxyWscale => 14,
            Setting::SynproxySynackTtl => 255,
            Setting::SynproxyAckStore => SYNPROXY_STORE_MAX,
            Setting::SynproxySynRetry => 10,
            Setting::SynproxyAckStorm => 1000,
            Setting::ToaV6Kind => super::toa::KIND_V4 as u32,
        }
    }

    /// The smallest value accepted.
    pub const fn min(self) -> u32 {
        match self {
            Setting::TsStrip | Setting::MssAdjust | Setting::Toa | Setting::DropFragments | Setting::DropUdpToTcpVip | Setting::DropTcpUnknownPort => 0,
            Setting::TcpTimeout(_) | Setting::UdpTimeout => 1,
            Setting::SynproxyInitMss => 536,
            Setting::SynproxySynackTtl | Setting::SynproxyAckStore => 1,
            Setting::SynproxySack
            | Setting::SynproxyWscale
            | Setting::SynproxySynRetry
            | Setting::SynproxyAckStorm
            | Setting::ExpireTcpRst
            | Setting::ExpireQuiescentTemplate
            | Setting::MasqAsFullnat
            | Setting::SyncRefreshPeriod
            | Setting::SyncRetries
            | Setting::SyncPersistMode
            | Setting::SyncSockSize => 0,
            Setting::ToaV6Kind => super::toa::KIND_V6 as u32,
        }
    }
}

/// A parsed command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Create a service.
    AddService(SvcKey, Algo),
    /// Delete a service and its connections' future.
    DelService(SvcKey),
    /// Add a real server.
    AddDest(SvcKey, Addr, u16, u32),
    /// Remove a real server (its connections live on to their end).
    DelDest(SvcKey, Addr, u16),
    /// Change a real server's weight (0 drains it).
    SetWeight(SvcKey, Addr, u16, u32),
    /// Add a local address to the service's pool.
    AddLaddr(SvcKey, Addr),
    /// Remove a local address from the pool (its connections live on).
    DelLaddr(SvcKey, Addr),
    /// Persistence timeout (seconds, 0 = off) and client netmask (see
    /// [`persist_mask_default`] for what it holds).
    SetPersist(SvcKey, u32, u32),
    /// Turn SYNPROXY on or off for a TCP service.
    SetSynproxy(SvcKey, bool),
    /// Local port range.
    SetLportRange(u16, u16),
    /// Change a runtime setting.
    Set(Setting, u32),
    /// Remove every service.
    Flush,
}

/// Why a command was refused (the module answers -EINVAL and logs it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Unknown command word.
    UnknownCommand,
    /// Wrong number of words.
    Arity,
    /// Not tcp or udp.
    Protocol,
    /// Not an IPv4 or IPv6 address (or a port without one).
    Address,
    /// Not a number in range.
    Number,
    /// Unknown scheduler name.
    Scheduler,
    /// Unknown setting name.
    Setting,
}

fn parse_u32(s: &[u8], max: u32) -> Result<u32, ParseError> {
    if s.is_empty() || s.len() > 10 {
        return Err(ParseError::Number);
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return Err(ParseError::Number);
        }
        v = v * 10 + (c - b'0') as u64;
    }
    if v > max as u64 {
        return Err(ParseError::Number);
    }
    Ok(v as u32)
}

/// Parses a dotted-quad IPv4 address into its big-endian value.
pub fn parse_ipv4(s: &[u8]) -> Result<u32, ParseError> {
    addr::parse_v4(s).ok_or(ParseError::Address)
}

/// Parses an address of either family (IPv6 without brackets).
pub fn parse_addr(s: &[u8]) -> Result<Addr, ParseError> {
    Addr::parse(s).ok_or(ParseError::Address)
}

/// Parses `ADDR:PORT`: dotted IPv4, or IPv6 in brackets.
pub fn parse_addr_port(s: &[u8]) -> Result<(Addr, u16), ParseError> {
    let colon = s.iter().rposition(|&c| c == b':').ok_or(ParseError::Address)?;
    let a = match &s[..colon] {
        [b'[', v6 @ .., b']'] => Addr::v6(addr::parse_v6(v6).ok_or(ParseError::Address)?),
        v4 => Addr::v4(parse_ipv4(v4)?),
    };
    let p = parse_u32(&s[colon + 1..], 65535)? as u16;
    Ok((a, p))
}

/// The persistence mask that keeps a whole client address: for IPv4 a
/// netmask (big-endian value, as ipvsadm's `-M 255.255.255.255`), for IPv6
/// a prefix length (as upstream IPVS keeps an IPv6 service's netmask).
pub const fn persist_mask_default(f: Family) -> u32 {
    match f {
        Family::V4 => u32::MAX,
        Family::V6 => 128,
    }
}

/// True if `mask` is a persistence mask for family `f` (see
/// [`persist_mask_default`]): contiguous ones from the top for IPv4, a
/// prefix length of at most 128 for IPv6.
pub const fn persist_mask_valid(f: Family, mask: u32) -> bool {
    match f {
        Family::V4 => mask.leading_ones() + mask.trailing_zeros() == 32,
        Family::V6 => mask <= 128,
    }
}

/// The template key address of client `caddr` under mask `mask` of its
/// family (see [`persist_mask_default`]).
pub fn persist_masked(caddr: &Addr, mask: u32) -> Addr {
    match caddr.family() {
        Family::V4 => caddr.masked_v4(mask),
        Family::V6 => caddr.masked(mask.min(128) as u8),
    }
}

fn parse_proto(s: &[u8]) -> Result<u8, ParseError> {
    match s {
        b"tcp" => Ok(IPPROTO_TCP),
        b"udp" => Ok(IPPROTO_UDP),
        _ => Err(ParseError::Protocol),
    }
}

fn svc(proto: &[u8], vip: &[u8]) -> Result<SvcKey, ParseError> {
    let proto = parse_proto(proto)?;
    let (addr, port) = parse_addr_port(vip)?;
    Ok(SvcKey { proto, addr, port })
}

/// Parses one command line (trailing newline allowed).
pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
    let mut w: [&[u8]; 6] = [&[]; 6];
    let mut n = 0;
    for word in line.split(|c| c.is_ascii_whitespace()).filter(|x| !x.is_empty()) {
        if n == w.len() {
            return Err(ParseError::Arity);
        }
        w[n] = word;
        n += 1;
    }
    let args = &w[1..n.max(1)];
    match (w[0], args.len()) {
        (b"add-service", 2) => Ok(Command::AddService(svc(args[0], args[1])?, Algo::Wlc)),
        (b"add-service", 3) => {
            Ok(Command::AddService(svc(args[0], args[1])?, Algo::from_name(args[2]).ok_or(ParseError::Scheduler)?))
        }
        (b"del-service", 2) => Ok(Command::DelService(svc(args[0], args[1])?)),
        (b"add-dest", 3 | 4) => {
            let (a, p) = parse_addr_port(args[2])?;
            let wgt = if args.len() == 4 { parse_u32(args[3], 65535)? } else { 1 };
            Ok(Command::AddDest(svc(args[0], args[1])?, a, p, wgt))
        }
        (b"del-dest", 3) => {
            let (a, p) = parse_addr_port(args[2])?;
            Ok(Command::DelDest(svc(args[0], args[1])?, a, p))
        }
        (b"set-weight", 4) => {
            let (a, p) = parse_addr_port(args[2])?;
            Ok(Command::SetWeight(svc(args[0], args[1])?, a, p, parse_u32(args[3], 65535)?))
        }
        (b"add-laddr", 3) => Ok(Command::AddLaddr(svc(args[0], args[1])?, parse_addr(args[2])?)),
        (b"del-laddr", 3) => Ok(Command::DelLaddr(svc(args[0], args[1])?, parse_addr(args[2])?)),
        (b"add-default-laddr", 1) => Ok(Command::AddLaddr(SvcKey::DEFAULT_POOL, parse_addr(args[0])?)),
        (b"del-default-laddr", 1) => Ok(Command::DelLaddr(SvcKey::DEFAULT_POOL, parse_addr(args[0])?)),
        (b"set-persist", 3 | 4) => {
            let k = svc(args[0], args[1])?;
            let t = parse_u32(args[2], 31 * 86400)?;
            let f = k.addr.family();
            let mask = match (args.get(3), f) {
                (None, _) => persist_mask_default(f),
                (Some(m), Family::V4) => parse_ipv4(m)?,
                (Some(m), Family::V6) => parse_u32(m, 128)?,
            };
            if !persist_mask_valid(f, mask) {
                return Err(ParseError::Address);
            }
            Ok(Command::SetPersist(k, t, mask))
        }
        (b"set-synproxy", 3) => {
            let k = svc(args[0], args[1])?;
            if k.proto != IPPROTO_TCP {
                return Err(ParseError::Protocol);
            }
            Ok(Command::SetSynproxy(k, parse_u32(args[2], 1)? == 1))
        }
        (b"set-lport-range", 2) => {
            let lo = parse_u32(args[0], 65535)? as u16;
            let hi = parse_u32(args[1], 65535)? as u16;
            if lo == 0 || lo > hi {
                return Err(ParseError::Number);
            }
            Ok(Command::SetLportRange(lo, hi))
        }
        (b"set", 2) => {
            let st = Setting::from_name(args[0]).ok_or(ParseError::Setting)?;
            let v = parse_u32(args[1], st.max())?;
            if v < st.min() {
                return Err(ParseError::Number);
            }
            Ok(Command::Set(st, v))
        }
        (b"flush", 0) => Ok(Command::Flush),
        (b"add-service" | b"del-service" | b"add-dest" | b"del-dest" | b"set-weight" | b"add-laddr" | b"del-laddr" | b"add-default-laddr" | b"del-default-laddr" | b"set-persist" | b"set-synproxy" | b"set-lport-range" | b"set" | b"flush", _) => {
            Err(ParseError::Arity)
        }
        _ => Err(ParseError::UnknownCommand),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIP: Addr = Addr::v4(0xc000_0264); // 192.0.2.100
    const RS: Addr = Addr::v4(0xc633_640b); // 198.51.100.11
    const LADDR: Addr = Addr::v4(0xc633_64c9); // 198.51.100.201

    #[test]
    fn good_commands() {
        let k = SvcKey { proto: IPPROTO_TCP, addr: VIP, port: 80 };
        assert_eq!(parse(b"add-service tcp 192.0.2.100:80 rr\n"), Ok(Command::AddService(k, Algo::Rr)));
        assert_eq!(parse(b"add-service tcp 192.0.2.100:80"), Ok(Command::AddService(k, Algo::Wlc)));
        assert_eq!(
            parse(b"add-dest tcp 192.0.2.100:80 198.51.100.11:8080 3"),
            Ok(Command::AddDest(k, RS, 8080, 3))
        );
        assert_eq!(parse(b"add-dest tcp 192.0.2.100:80 198.51.100.11:8080"), Ok(Command::AddDest(k, RS, 8080, 1)));
        assert_eq!(parse(b"set-weight tcp 192.0.2.100:80 198.51.100.11:8080 0"), Ok(Command::SetWeight(k, RS, 8080, 0)));
        assert_eq!(parse(b"del-dest tcp 192.0.2.100:80 198.51.100.11:8080"), Ok(Command::DelDest(k, RS, 8080)));
        assert_eq!(parse(b"del-laddr tcp 192.0.2.100:80 198.51.100.201"), Ok(Command::DelLaddr(k, LADDR)));
        assert_eq!(parse(b"del-dest tcp 192.0.2.100:80"), Err(ParseError::Arity));
        assert_eq!(parse(b"add-laddr udp 192.0.2.100:53 198.51.100.201"), Ok(Command::AddLaddr(SvcKey { proto: IPPROTO_UDP, port: 53, ..k }, LADDR)));
        assert_eq!(parse(b"set-lport-range 5000 5009"), Ok(Command::SetLportRange(5000, 5009)));
        assert_eq!(parse(b"set-persist tcp 192.0.2.100:80 300"), Ok(Command::SetPersist(k, 300, u32::MAX)));
        assert_eq!(parse(b"set-persist tcp 192.0.2.100:80 60 255.255.255.0"), Ok(Command::SetPersist(k, 60, 0xffff_ff00)));
        assert_eq!(parse(b"set-persist tcp 192.0.2.100:80 60 0.0.0.0"), Ok(Command::SetPersist(k, 60, 0)));
        assert_eq!(parse(b"  flush  \n"), Ok(Command::Flush));
        assert_eq!(parse(b"set ts_strip 0"), Ok(Command::Set(Setting::TsStrip, 0)));
        assert_eq!(
            parse(b"set timeout_time_wait 2"),
            Ok(Command::Set(Setting::TcpTimeout(crate::tcp_state::TcpState::TimeWait), 2))
        );
        assert_eq!(parse(b"del-service tcp 192.0.2.100:80"), Ok(Command::DelService(k)));
    }

    #[test]
    fn bad_commands() {
        assert_eq!(parse(b""), Err(ParseError::UnknownCommand));
        assert_eq!(parse(b"bogus"), Err(ParseError::UnknownCommand));
        assert_eq!(parse(b"flush now"), Err(ParseError::Arity));
        assert_eq!(parse(b"add-service sctp 192.0.2.100:80"), Err(ParseError::Protocol));
        assert_eq!(parse(b"add-service tcp 192.0.2:80"), Err(ParseError::Address));
        assert_eq!(parse(b"add-service tcp 192.0.2.1.5:80"), Err(ParseError::Address));
        assert_eq!(parse(b"add-service tcp 192.0.2.256:80"), Err(ParseError::Address));
        assert_eq!(parse(b"add-service tcp 192.0.2.1:65536"), Err(ParseError::Number));
        assert_eq!(parse(b"add-service tcp 192.0.2.1"), Err(ParseError::Address));
        assert_eq!(parse(b"add-service tcp 192.0.2.1:80 fo"), Err(ParseError::Scheduler));
        assert_eq!(parse(b"set-lport-range 10 5"), Err(ParseError::Number));
        assert_eq!(parse(b"set-lport-range 0 5"), Err(ParseError::Number));
        assert_eq!(parse(b"a b c d e f g"), Err(ParseError::Arity));
        assert_eq!(parse(b"set ts_strip 2"), Err(ParseError::Number));
        assert_eq!(parse(b"set-persist tcp 192.0.2.100:80 60 255.0.255.0"), Err(ParseError::Address));
        assert_eq!(parse(b"set timeout_udp 0"), Err(ParseError::Number));
        assert_eq!(parse(b"set nonsense 1"), Err(ParseError::Setting));
        assert_eq!(parse(b"set ts_strip"), Err(ParseError::Arity));
        assert_eq!(parse(b"add-dest tcp 192.0.2.1:80 1.2.3.4:5 99999999999"), Err(ParseError::Number));
        // IPv6 needs its brackets before a port, and nothing else does.
        assert_eq!(parse(b"add-service tcp 2001:db8::1:80"), Err(ParseError::Address));
        assert_eq!(parse(b"add-service tcp [192.0.2.1]:80"), Err(ParseError::Address));
        assert_eq!(parse(b"add-service tcp [2001:db8::1:80"), Err(ParseError::Address));
        assert_eq!(parse(b"add-service tcp [2001:db8:::1]:80"), Err(ParseError::Address));
        assert_eq!(parse(b"set-persist tcp [2001:db8::1]:80 60 129"), Err(ParseError::Number));
        assert_eq!(parse(b"set-persist tcp [2001:db8::1]:80 60 255.255.255.0"), Err(ParseError::Number));
        assert_eq!(parse(b"set-persist tcp 192.0.2.1:80 60 24"), Err(ParseError::Address));
    }

    #[test]
    fn ipv6_commands() {
        let v6 = |s: &str| Addr::parse(s.as_bytes()).unwrap();
        let k = SvcKey { proto: IPPROTO_TCP, addr: v6("2001:db8::100"), port: 80 };
        assert_eq!(parse(b"add-service tcp [2001:db8::100]:80 rr"), Ok(Command::AddService(k, Algo::Rr)));
        assert_eq!(
            parse(b"add-dest tcp [2001:db8::100]:80 [2001:db8:1::11]:8080 2"),
            Ok(Command::AddDest(k, v6("2001:db8:1::11"), 8080, 2))
        );
        // NAT64: an IPv6 service with an IPv4 real server and local address.
        assert_eq!(parse(b"add-dest tcp [2001:db8::100]:80 198.51.100.11:8080"), Ok(Command::AddDest(k, RS, 8080, 1)));
        assert_eq!(parse(b"add-laddr tcp [2001:db8::100]:80 2001:db8:1::201"), Ok(Command::AddLaddr(k, v6("2001:db8:1::201"))));
        assert_eq!(parse(b"add-laddr tcp [2001:db8::100]:80 198.51.100.201"), Ok(Command::AddLaddr(k, LADDR)));
        assert_eq!(parse(b"set-persist tcp [2001:db8::100]:80 60"), Ok(Command::SetPersist(k, 60, 128)));
        assert_eq!(parse(b"set-persist tcp [2001:db8::100]:80 60 64"), Ok(Command::SetPersist(k, 60, 64)));
    }

    #[test]
    fn persist_masks() {
        let c4 = Addr::v4_bytes([192, 0, 2, 77]);
        assert_eq!(persist_masked(&c4, 0xffff_ff00), Addr::v4_bytes([192, 0, 2, 0]));
        assert_eq!(persist_masked(&c4, persist_mask_default(Family::V4)), c4);
        let c6 = Addr::parse(b"2001:db8:1:2:3:4:5:6").unwrap();
        assert_eq!(persist_masked(&c6, 64), Addr::parse(b"2001:db8:1:2::").unwrap());
        assert_eq!(persist_masked(&c6, persist_mask_default(Family::V6)), c6);
        assert!(persist_mask_valid(Family::V6, 0) && !persist_mask_valid(Family::V6, 129));
        assert!(!persist_mask_valid(Family::V4, 0x00ff_ffff));
    }

    #[test]
    fn synproxy_commands() {
        let k = SvcKey { proto: IPPROTO_TCP, addr: VIP, port: 80 };
        assert_eq!(parse(b"set-synproxy tcp 192.0.2.100:80 1"), Ok(Command::SetSynproxy(k, true)));
        assert_eq!(parse(b"set-synproxy tcp 192.0.2.100:80 0"), Ok(Command::SetSynproxy(k, false)));
        assert_eq!(parse(b"set-synproxy udp 192.0.2.100:80 1"), Err(ParseError::Protocol));
        assert_eq!(parse(b"set-synproxy tcp 192.0.2.100:80 2"), Err(ParseError::Number));
        assert_eq!(parse(b"set-synproxy tcp 192.0.2.100:80"), Err(ParseError::Arity));
        assert_eq!(parse(b"set synproxy_wscale 7"), Ok(Command::Set(Setting::SynproxyWscale, 7)));
        assert_eq!(parse(b"set synproxy_wscale 15"), Err(ParseError::Number));
        assert_eq!(parse(b"set synproxy_init_mss 100"), Err(ParseError::Number));
        assert_eq!(parse(b"set synproxy_ack_skb_store_thresh 0"), Err(ParseError::Number));
        assert_eq!(parse(b"set synproxy_ack_skb_store_thresh 8"), Ok(Command::Set(Setting::SynproxyAckStore, 8)));
    }

    #[test]
    fn default_pool() {
        assert_eq!(parse(b"add-default-laddr 198.51.100.201"), Ok(Command::AddLaddr(SvcKey::DEFAULT_POOL, LADDR)));
        assert_eq!(parse(b"del-default-laddr 198.51.100.201"), Ok(Command::DelLaddr(SvcKey::DEFAULT_POOL, LADDR)));
        assert_eq!(parse(b"add-default-laddr"), Err(ParseError::Arity));
        // 0.0.0.0:0 and [::]:0, of either protocol, name the pool; nothing
        // else does, and the pool's own key names itself.
        for k in [b"tcp 0.0.0.0:0".as_slice(), b"udp [::]:0"] {
            let mut line = b"add-laddr ".to_vec();
            line.extend_from_slice(k);
            line.extend_from_slice(b" 198.51.100.201");
            let Ok(Command::AddLaddr(key, _)) = parse(&line) else { panic!("{line:?}") };
            assert!(key.names_default_pool());
            assert_eq!(key.or_default_pool(), SvcKey::DEFAULT_POOL);
        }
        let k = SvcKey { proto: IPPROTO_TCP, addr: VIP, port: 80 };
        assert_eq!(k.or_default_pool(), k);
        assert!(!SvcKey { port: 0, ..k }.names_default_pool());
        assert!(!SvcKey { addr: Addr::v4(0), ..k }.names_default_pool());
        assert!(SvcKey::DEFAULT_POOL.names_default_pool());
    }
}
