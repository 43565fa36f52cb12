// SPDX-License-Identifier: GPL-2.0
//! Typed requests and replies of the generic netlink family "IPVS" and their
//! netlink attributes. The attribute sets follow ipvsadm 1.31's libipvs
//! exactly (same attributes on the same commands), plus Alibaba's FULLNAT
//! local-address commands. Numbers come from `rvs_core::ipvs_nl`.

use netlink_packet_core::{
    DecodeError, Emitable, Nla, NlaBuffer, NlasIterator, ParseableParametrized, NLA_F_NESTED,
    NLA_TYPE_MASK,
};
use netlink_packet_generic::{GenlFamily, GenlHeader};
use rvs_core::ipvs_nl::{
    cmd_attr, dest_attr, info_attr, laddr_attr, stats_attr, svc_attr, AF_INET, AF_INET6,
    FAMILY_NAME, FAMILY_VERSION,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One netlink attribute: raw bytes or nested attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub kind: u16,
    pub val: Val,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Bytes(Vec<u8>),
    Nested(Vec<Attr>),
}

impl Attr {
    pub fn bytes(kind: u16, b: &[u8]) -> Attr {
        Attr { kind, val: Val::Bytes(b.to_vec()) }
    }
    pub fn u8(kind: u16, v: u8) -> Attr {
        Attr::bytes(kind, &[v])
    }
    pub fn u16(kind: u16, v: u16) -> Attr {
        Attr::bytes(kind, &v.to_ne_bytes())
    }
    /// A be16 (ports): network order on the wire.
    pub fn be16(kind: u16, v: u16) -> Attr {
        Attr::bytes(kind, &v.to_be_bytes())
    }
    pub fn u32(kind: u16, v: u32) -> Attr {
        Attr::bytes(kind, &v.to_ne_bytes())
    }
    /// NUL-terminated string, as libnl's NLA_PUT_STRING.
    pub fn string(kind: u16, s: &str) -> Attr {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        Attr { kind, val: Val::Bytes(b) }
    }
    pub fn nested(kind: u16, attrs: Vec<Attr>) -> Attr {
        Attr { kind, val: Val::Nested(attrs) }
    }
}

impl Nla for Attr {
    fn value_len(&self) -> usize {
        match &self.val {
            Val::Bytes(b) => b.len(),
            Val::Nested(a) => a.as_slice().buffer_len(),
        }
    }
    fn kind(&self) -> u16 {
        match self.val {
            Val::Bytes(_) => self.kind,
            Val::Nested(_) => self.kind | NLA_F_NESTED,
        }
    }
    fn emit_value(&self, buffer: &mut [u8]) {
        match &self.val {
            Val::Bytes(b) => buffer.copy_from_slice(b),
            Val::Nested(a) => a.as_slice().emit(buffer),
        }
    }
}

/// Splits a buffer of attributes into (type, value) pairs (validated by
/// netlink-packet-core's NlasIterator); lookups take the last of duplicate
/// types, as nla_parse does.
pub fn parse_attrs(buf: &[u8]) -> Result<Vec<(u16, &[u8])>, String> {
    let mut out = Vec::new();
    for nla in NlasIterator::new(buf) {
        let nla: NlaBuffer<&[u8]> = nla.map_err(|e| format!("malformed attribute: {e}"))?;
        let kind = nla.kind() & NLA_TYPE_MASK;
        let len = nla.value_length();
        let whole: &[u8] = nla.into_inner();
        let v = whole.get(4..4 + len).ok_or("truncated attribute")?;
        out.push((kind, v));
    }
    Ok(out)
}

fn get<'a>(attrs: &[(u16, &'a [u8])], kind: u16) -> Option<&'a [u8]> {
    attrs.iter().rev().find(|(k, _)| *k == kind).map(|(_, v)| *v)
}

fn need<'a>(attrs: &[(u16, &'a [u8])], kind: u16, what: &str) -> Result<&'a [u8], String> {
    get(attrs, kind).ok_or_else(|| format!("reply without {what}"))
}

fn rd_u8(b: &[u8]) -> Result<u8, String> {
    b.first().copied().ok_or_else(|| "short u8 attribute".to_string())
}
fn rd_u16(b: &[u8]) -> Result<u16, String> {
    Ok(u16::from_ne_bytes(b.get(..2).ok_or("short u16 attribute")?.try_into().unwrap()))
}
fn rd_be16(b: &[u8]) -> Result<u16, String> {
    Ok(u16::from_be_bytes(b.get(..2).ok_or("short be16 attribute")?.try_into().unwrap()))
}
fn rd_u32(b: &[u8]) -> Result<u32, String> {
    Ok(u32::from_ne_bytes(b.get(..4).ok_or("short u32 attribute")?.try_into().unwrap()))
}
fn rd_u64(b: &[u8]) -> Result<u64, String> {
    Ok(u64::from_ne_bytes(b.get(..8).ok_or("short u64 attribute")?.try_into().unwrap()))
}
fn rd_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}
fn rd_addr(b: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    let n = b.len().min(16);
    a[..n].copy_from_slice(&b[..n]);
    a
}

/// Address as carried in the attributes (union nf_inet_addr).
pub fn addr_bytes(ip: IpAddr) -> [u8; 16] {
    let mut a = [0u8; 16];
    match ip {
        IpAddr::V4(v4) => a[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => a = v6.octets(),
    }
    a
}

pub fn addr_ip(af: u16, a: &[u8; 16]) -> IpAddr {
    if af == AF_INET6 {
        IpAddr::V6(Ipv6Addr::from(*a))
    } else {
        IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))
    }
}

pub fn af_of(ip: IpAddr) -> u16 {
    match ip {
        IpAddr::V4(_) => AF_INET,
        IpAddr::V6(_) => AF_INET6,
    }
}

/// Counters and rates (struct ip_vs_stats64).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub conns: u64,
    pub inpkts: u64,
    pub outpkts: u64,
    pub inbytes: u64,
    pub outbytes: u64,
    pub cps: u64,
    pub inpps: u64,
    pub outpps: u64,
    pub inbps: u64,
    pub outbps: u64,
}

impl Stats {
    /// Decodes STATS (u32 counters, u64 bytes) or STATS64 (all u64).
    pub fn decode(buf: &[u8], is64: bool) -> Result<Stats, String> {
        let a = parse_attrs(buf)?;
        let rd = |k: u16, wide: bool| -> Result<u64, String> {
            let v = need(&a, k, "a statistics counter")?;
            if wide { rd_u64(v) } else { rd_u32(v).map(u64::from) }
        };
        Ok(Stats {
            conns: rd(stats_attr::CONNS, is64)?,
            inpkts: rd(stats_attr::INPKTS, is64)?,
            outpkts: rd(stats_attr::OUTPKTS, is64)?,
            inbytes: rd(stats_attr::INBYTES, true)?,
            outbytes: rd(stats_attr::OUTBYTES, true)?,
            cps: rd(stats_attr::CPS, is64)?,
            inpps: rd(stats_attr::INPPS, is64)?,
            outpps: rd(stats_attr::OUTPPS, is64)?,
            inbps: rd(stats_attr::INBPS, is64)?,
            outbps: rd(stats_attr::OUTBPS, is64)?,
        })
    }

    /// Encodes as STATS64 (used by tests to build replies).
    #[cfg(test)]
    pub fn encode64(&self, kind: u16) -> Attr {
        let v = [
            (stats_attr::CONNS, self.conns),
            (stats_attr::INPKTS, self.inpkts),
            (stats_attr::OUTPKTS, self.outpkts),
            (stats_attr::INBYTES, self.inbytes),
            (stats_attr::OUTBYTES, self.outbytes),
            (stats_attr::CPS, self.cps),
            (stats_attr::INPPS, self.inpps),
            (stats_attr::OUTPPS, self.outpps),
            (stats_attr::INBPS, self.inbps),
            (stats_attr::OUTBPS, self.outbps),
        ];
        Attr::nested(kind, v.iter().map(|(k, x)| Attr::bytes(*k, &x.to_ne_bytes())).collect())
    }
}

/// A virtual service (ipvs_service_t / ipvs_service_entry_t).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub af: u16,
    pub protocol: u16,
    pub addr: [u8; 16],
    /// Host order.
    pub port: u16,
    pub fwmark: u32,
    pub sched_name: String,
    pub pe_name: String,
    pub flags: u32,
    /// Mask sent with the flags (which bits the request sets).
    pub flags_mask: u32,
    pub timeout: u32,
    /// IPv4: the mask's bytes read as a native u32 (as libipvs sends it);
    /// IPv6: the prefix length.
    pub netmask: u32,
    pub stats: Stats,
}

impl Default for Service {
    fn default() -> Self {
        Service {
            af: 0,
            protocol: 0,
            addr: [0; 16],
            port: 0,
            fwmark: 0,
            sched_name: String::new(),
            pe_name: String::new(),
            flags: 0,
            flags_mask: !0,
            timeout: 0,
            netmask: 0xffff_ffff,
            stats: Stats::default(),
        }
    }
}

impl Service {
    /// The identity: AF, then FWMARK or PROTOCOL/ADDR/PORT.
    fn ident_fields(&self) -> Vec<Attr> {
        let mut v = vec![Attr::u16(svc_attr::AF, self.af)];
        if self.fwmark != 0 {
            v.push(Attr::u32(svc_attr::FWMARK, self.fwmark));
        } else {
            v.push(Attr::u16(svc_attr::PROTOCOL, self.protocol));
            v.push(Attr::bytes(svc_attr::ADDR, &self.addr));
            v.push(Attr::be16(svc_attr::PORT, self.port));
        }
        v
    }

    /// Scheduler, persistence engine, flags (with `mask`), timeout, netmask.
    fn push_settings(&self, v: &mut Vec<Attr>, mask: u32) {
        v.push(Attr::string(svc_attr::SCHED_NAME, &self.sched_name));
        if !self.pe_name.is_empty() {
            v.push(Attr::string(svc_attr::PE_NAME, &self.pe_name));
        }
        let mut fl = self.flags.to_ne_bytes().to_vec();
        fl.extend_from_slice(&mask.to_ne_bytes());
        v.push(Attr::bytes(svc_attr::FLAGS, &fl));
        v.push(Attr::u32(svc_attr::TIMEOUT, self.timeout));
        v.push(Attr::u32(svc_attr::NETMASK, self.netmask));
    }

    /// The full service attribute, as libipvs's ipvs_nl_fill_service_attr.
    pub fn to_attr(&self) -> Attr {
        let mut v = self.ident_fields();
        self.push_settings(&mut v, self.flags_mask);
        Attr::nested(cmd_attr::SERVICE, v)
    }

    /// Only the identity (AF + FWMARK or PROTOCOL/ADDR/PORT), as libipvs's
    /// GET_DEST dump request.
    pub fn ident_attr(&self) -> Attr {
        Attr::nested(cmd_attr::SERVICE, self.ident_fields())
    }

    /// Decodes a nested SERVICE attribute of a reply (the checks of
    /// libipvs's ipvs_services_parse_cb).
    pub fn decode(buf: &[u8]) -> Result<Service, String> {
        let a = parse_attrs(buf)?;
        let mut s = Service { af: rd_u16(need(&a, svc_attr::AF, "service AF")?)?, ..Default::default() };
        if let Some(fw) = get(&a, svc_attr::FWMARK) {
            s.fwmark = rd_u32(fw)?;
        } else {
            s.protocol = rd_u16(need(&a, svc_attr::PROTOCOL, "service protocol")?)?;
            s.addr = rd_addr(need(&a, svc_attr::ADDR, "service address")?);
            s.port = rd_be16(need(&a, svc_attr::PORT, "service port")?)?;
        }
        s.sched_name = rd_string(need(&a, svc_attr::SCHED_NAME, "scheduler name")?);
        if let Some(pe) = get(&a, svc_attr::PE_NAME) {
            s.pe_name = rd_string(pe);
        }
        s.netmask = rd_u32(need(&a, svc_attr::NETMASK, "service netmask")?)?;
        s.timeout = rd_u32(need(&a, svc_attr::TIMEOUT, "service timeout")?)?;
        let fl = need(&a, svc_attr::FLAGS, "service flags")?;
        if fl.len() < 8 {
            return Err("short service flags".into());
        }
        s.flags = rd_u32(&fl[..4])? & rd_u32(&fl[4..8])?;
        s.flags_mask = !0;
        if let Some(st) = get(&a, svc_attr::STATS64) {
            s.stats = Stats::decode(st, true)?;
        } else if let Some(st) = get(&a, svc_attr::STATS) {
            s.stats = Stats::decode(st, false)?;
        }
        Ok(s)
    }

    /// A reply's SERVICE attribute (tests build kernel replies with it).
    #[cfg(test)]
    pub fn to_reply_attr(&self) -> Attr {
        let mut v = self.ident_fields();
        self.push_settings(&mut v, !0);
        v.push(self.stats.encode64(svc_attr::STATS64));
        Attr::nested(cmd_attr::SERVICE, v)
    }
}

/// A real server (ipvs_dest_t / ipvs_dest_entry_t).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dest {
    pub af: u16,
    pub addr: [u8; 16],
    /// Host order.
    pub port: u16,
    /// Forwarding method (conn_flags & 7).
    pub fwd: u32,
    pub weight: u32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub tun_type: u8,
    /// Host order.
    pub tun_port: u16,
    pub tun_flags: u16,
    pub activeconns: u32,
    pub inactconns: u32,
    pub persistconns: u32,
    pub stats: Stats,
}

impl Default for Dest {
    fn default() -> Self {
        Dest {
            af: 0,
            addr: [0; 16],
            port: 0,
            fwd: rvs_core::ipvs_nl::fwd::DROUTE,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tun_type: 0,
            tun_port: 0,
            tun_flags: 0,
            activeconns: 0,
            inactconns: 0,
            persistconns: 0,
            stats: Stats::default(),
        }
    }
}

impl Dest {
    /// As libipvs's ipvs_nl_fill_dest_attr.
    pub fn to_attr(&self) -> Attr {
        Attr::nested(
            cmd_attr::DEST,
            vec![
                Attr::u16(dest_attr::ADDR_FAMILY, self.af),
                Attr::bytes(dest_attr::ADDR, &self.addr),
                Attr::be16(dest_attr::PORT, self.port),
                Attr::u32(dest_attr::FWD_METHOD, self.fwd & rvs_core::ipvs_nl::fwd::MASK),
                Attr::u32(dest_attr::WEIGHT, self.weight),
                Attr::u8(dest_attr::TUN_TYPE, self.tun_type),
                Attr::be16(dest_attr::TUN_PORT, self.tun_port),
                Attr::u16(dest_attr::TUN_FLAGS, self.tun_flags),
                Attr::u32(dest_attr::U_THRESH, self.u_threshold),
                Attr::u32(dest_attr::L_THRESH, self.l_threshold),
            ],
        )
    }

    /// Decodes a nested DEST attribute of a reply (libipvs's checks);
    /// `svc_af` is used when the kernel sends no ADDR_FAMILY.
    pub fn decode(buf: &[u8], svc_af: u16) -> Result<Dest, String> {
        let a = parse_attrs(buf)?;
        let mut d = Dest {
            addr: rd_addr(need(&a, dest_attr::ADDR, "destination address")?),
            port: rd_be16(need(&a, dest_attr::PORT, "destination port")?)?,
            fwd: rd_u32(need(&a, dest_attr::FWD_METHOD, "forwarding method")?)?,
            weight: rd_u32(need(&a, dest_attr::WEIGHT, "weight")?)?,
            u_threshold: rd_u32(need(&a, dest_attr::U_THRESH, "upper threshold")?)?,
            l_threshold: rd_u32(need(&a, dest_attr::L_THRESH, "lower threshold")?)?,
            activeconns: rd_u32(need(&a, dest_attr::ACTIVE_CONNS, "active connections")?)?,
            inactconns: rd_u32(need(&a, dest_attr::INACT_CONNS, "inactive connections")?)?,
            persistconns: rd_u32(need(&a, dest_attr::PERSIST_CONNS, "persistent connections")?)?,
            af: svc_af,
            ..Default::default()
        };
        if let Some(v) = get(&a, dest_attr::TUN_TYPE) {
            d.tun_type = rd_u8(v)?;
        }
        if let Some(v) = get(&a, dest_attr::TUN_PORT) {
            d.tun_port = rd_be16(v)?;
        }
        if let Some(v) = get(&a, dest_attr::TUN_FLAGS) {
            d.tun_flags = rd_u16(v)?;
        }
        if let Some(v) = get(&a, dest_attr::ADDR_FAMILY) {
            d.af = rd_u16(v)?;
        }
        if let Some(st) = get(&a, dest_attr::STATS64) {
            d.stats = Stats::decode(st, true)?;
        } else if let Some(st) = get(&a, dest_attr::STATS) {
            d.stats = Stats::decode(st, false)?;
        }
        Ok(d)
    }

    /// A reply's DEST attribute (tests build kernel replies with it).
    #[cfg(test)]
    pub fn to_reply_attr(&self) -> Attr {
        Attr::nested(
            cmd_attr::DEST,
            vec![
                Attr::bytes(dest_attr::ADDR, &self.addr),
                Attr::be16(dest_attr::PORT, self.port),
                Attr::u32(dest_attr::FWD_METHOD, self.fwd),
                Attr::u32(dest_attr::WEIGHT, self.weight),
                Attr::u8(dest_attr::TUN_TYPE, self.tun_type),
                Attr::be16(dest_attr::TUN_PORT, self.tun_port),
                Attr::u16(dest_attr::TUN_FLAGS, self.tun_flags),
                Attr::u32(dest_attr::U_THRESH, self.u_threshold),
                Attr::u32(dest_attr::L_THRESH, self.l_threshold),
                Attr::u32(dest_attr::ACTIVE_CONNS, self.activeconns),
                Attr::u32(dest_attr::INACT_CONNS, self.inactconns),
                Attr::u32(dest_attr::PERSIST_CONNS, self.persistconns),
                Attr::u16(dest_attr::ADDR_FAMILY, self.af),
                self.stats.encode64(dest_attr::STATS64),
            ],
        )
    }
}

/// A local address of a FULLNAT service (Alibaba's ip_vs_laddr_entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Laddr {
    pub addr: [u8; 16],
    /// The address's family, or 0 for the service's (Alibaba's attributes
    /// carry none; rvs sends and reports it for NAT64's IPv4 local
    /// addresses of an IPv6 service).
    pub af: u16,
    pub port_conflict: u64,
    pub conn_counts: u32,
}

impl Laddr {
    /// Request attribute: the address, and its family where it is not the
    /// service's (`svc_af`), so that a request for a local address of the
    /// service's own family is Alibaba's, byte for byte.
    pub fn to_attr(&self, svc_af: u16) -> Attr {
        let mut v = vec![Attr::bytes(laddr_attr::ADDR, &self.addr)];
        if self.af != 0 && self.af != svc_af {
            v.push(Attr::u16(laddr_attr::ADDR_FAMILY, self.af));
        }
        Attr::nested(cmd_attr::LADDR, v)
    }

    #[cfg(test)]
    pub fn to_reply_attr(&self) -> Attr {
        Attr::nested(
            cmd_attr::LADDR,
            vec![
                Attr::bytes(laddr_attr::ADDR, &self.addr),
                Attr::bytes(laddr_attr::PORT_CONFLICT, &self.port_conflict.to_ne_bytes()),
                Attr::u32(laddr_attr::CONN_COUNTS, self.conn_counts),
                Attr::u16(laddr_attr::ADDR_FAMILY, self.af),
            ],
        )
    }

    pub fn decode(buf: &[u8]) -> Result<Laddr, String> {
        let a = parse_attrs(buf)?;
        Ok(Laddr {
            addr: rd_addr(need(&a, laddr_attr::ADDR, "local address")?),
            port_conflict: get(&a, laddr_attr::PORT_CONFLICT).map(rd_u64).transpose()?.unwrap_or(0),
            conn_counts: get(&a, laddr_attr::CONN_COUNTS).map(rd_u32).transpose()?.unwrap_or(0),
            af: get(&a, laddr_attr::ADDR_FAMILY).map(rd_u16).transpose()?.unwrap_or(0),
        })
    }
}

/// GET_INFO reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Info {
    pub version: u32,
    pub size: u32,
}

/// Connection timeouts (GET_CONFIG / SET_CONFIG).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timeouts {
    pub tcp: u32,
    pub tcp_fin: u32,
    pub udp: u32,
}

/// A sync daemon: what ipvsadm sends by default, and what a listing
/// carries besides (payload size, group, port, TTL).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Daemon {
    pub state: u32,
    pub mcast_ifn: String,
    pub syncid: u32,
    pub maxlen: Option<u16>,
    pub group: Option<std::net::IpAddr>,
    pub port: Option<u16>,
    pub ttl: Option<u8>,
}

/// A message of the "IPVS" family: command plus top-level attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpvsMsg {
    pub cmd: u8,
    pub attrs: Vec<Attr>,
}

impl GenlFamily for IpvsMsg {
    fn family_name() -> &'static str {
        FAMILY_NAME
    }
    fn command(&self) -> u8 {
        self.cmd
    }
    fn version(&self) -> u8 {
        FAMILY_VERSION
    }
}

impl Emitable for IpvsMsg {
    fn buffer_len(&self) -> usize {
        self.attrs.as_slice().buffer_len()
    }
    fn emit(&self, buffer: &mut [u8]) {
        self.attrs.as_slice().emit(buffer)
    }
}

impl ParseableParametrized<[u8], GenlHeader> for IpvsMsg {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        let attrs = parse_attrs(buf)
            .map_err(DecodeError::from)?
            .into_iter()
            .map(|(k, v)| Attr::bytes(k, v))
            .collect();
        Ok(IpvsMsg { cmd: header.cmd, attrs })
    }
}

impl IpvsMsg {
    pub fn new(cmd: u8, attrs: Vec<Attr>) -> IpvsMsg {
        IpvsMsg { cmd, attrs }
    }

    /// Raw value of a top-level attribute of a reply.
    pub fn attr(&self, kind: u16) -> Option<&[u8]> {
        self.attrs.iter().rev().find(|a| a.kind == kind).and_then(|a| match &a.val {
            Val::Bytes(b) => Some(b.as_slice()),
            Val::Nested(_) => None,
        })
    }

    /// Serialises a reply message's attributes (used by tests).
    #[cfg(test)]
    pub fn attrs_bytes(&self) -> Vec<u8> {
        let mut b = vec![0u8; self.buffer_len()];
        self.emit(&mut b);
        b
    }

    pub fn service(&self) -> Result<Service, String> {
        Service::decode(self.attr(cmd_attr::SERVICE).ok_or("reply without a service")?)
    }

    pub fn dest(&self, svc_af: u16) -> Result<Dest, String> {
        Dest::decode(self.attr(cmd_attr::DEST).ok_or("reply without a destination")?, svc_af)
    }

    pub fn laddr(&self) -> Result<Laddr, String> {
        Laddr::decode(self.attr(cmd_attr::LADDR).ok_or("reply without a local address")?)
    }

    pub fn info(&self) -> Result<Info, String> {
        Ok(Info {
            version: rd_u32(self.attr(info_attr::VERSION).ok_or("reply without version")?)?,
            size: rd_u32(self.attr(info_attr::CONN_TAB_SIZE).ok_or("reply without table size")?)?,
        })
    }

    pub fn timeouts(&self) -> Result<Timeouts, String> {
        let g = |k| self.attr(k).map(rd_u32).transpose().map(|v| v.unwrap_or(0));
        Ok(Timeouts {
            tcp: g(cmd_attr::TIMEOUT_TCP)?,
            tcp_fin: g(cmd_attr::TIMEOUT_TCP_FIN)?,
            udp: g(cmd_attr::TIMEOUT_UDP)?,
        })
    }

    pub fn daemon(&self) -> Result<Daemon, String> {
        use rvs_core::ipvs_nl::daemon_attr;
        let a = parse_attrs(self.attr(cmd_attr::DAEMON).ok_or("reply without a daemon")?)?;
        Ok(Daemon {
            state: rd_u32(need(&a, daemon_attr::STATE, "daemon state")?)?,
            mcast_ifn: rd_string(need(&a, daemon_attr::MCAST_IFN, "daemon interface")?),
            syncid: rd_u32(need(&a, daemon_attr::SYNC_ID, "daemon syncid")?)?,
            maxlen: get(&a, daemon_attr::SYNC_MAXLEN).map(rd_u16).transpose()?,
            group: match (get(&a, daemon_attr::MCAST_GROUP), get(&a, daemon_attr::MCAST_GROUP6)) {
                (Some(g), _) if g.len() == 4 => Some(std::net::Ipv4Addr::new(g[0], g[1], g[2], g[3]).into()),
                (_, Some(g)) if g.len() == 16 => Some(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(g).unwrap()).into()),
                _ => None,
            },
            port: get(&a, daemon_attr::MCAST_PORT).map(rd_u16).transpose()?,
            ttl: get(&a, daemon_attr::MCAST_TTL).map(rd_u8).transpose()?,
        })
    }
}

/// Request builders: one per libipvs call (and the Alibaba additions).
pub mod req {
    use super::*;
    use rvs_core::ipvs_nl::{cmd, daemon_attr};

    pub fn get_info() -> IpvsMsg {
        IpvsMsg::new(cmd::GET_INFO, vec![])
    }
    pub fn flush() -> IpvsMsg {
        IpvsMsg::new(cmd::FLUSH, vec![])
    }
    pub fn new_service(s: &Service) -> IpvsMsg {
        IpvsMsg::new(cmd::NEW_SERVICE, vec![s.to_attr()])
    }
    pub fn set_service(s: &Service) -> IpvsMsg {
        IpvsMsg::new(cmd::SET_SERVICE, vec![s.to_attr()])
    }
    pub fn del_service(s: &Service) -> IpvsMsg {
        IpvsMsg::new(cmd::DEL_SERVICE, vec![s.to_attr()])
    }
    /// ZERO: the service attribute only when a service was named.
    pub fn zero(s: Option<&Service>) -> IpvsMsg {
        IpvsMsg::new(cmd::ZERO, s.map(|s| vec![s.to_attr()]).unwrap_or_default())
    }
    pub fn new_dest(s: &Service, d: &Dest) -> IpvsMsg {
        IpvsMsg::new(cmd::NEW_DEST, vec![s.to_attr(), d.to_attr()])
    }
    pub fn set_dest(s: &Service, d: &Dest) -> IpvsMsg {
        IpvsMsg::new(cmd::SET_DEST, vec![s.to_attr(), d.to_attr()])
    }
    pub fn del_dest(s: &Service, d: &Dest) -> IpvsMsg {
        IpvsMsg::new(cmd::DEL_DEST, vec![s.to_attr(), d.to_attr()])
    }
    /// Dump of all services (NLM_F_DUMP).
    pub fn get_services() -> IpvsMsg {
        IpvsMsg::new(cmd::GET_SERVICE, vec![])
    }
    /// One service (no dump): libipvs sends the full attribute with an
    /// empty scheduler.
    pub fn get_service(s: &Service) -> IpvsMsg {
        IpvsMsg::new(cmd::GET_SERVICE, vec![s.to_attr()])
    }
    /// Dump of a service's destinations.
    pub fn get_dests(s: &Service) -> IpvsMsg {
        IpvsMsg::new(cmd::GET_DEST, vec![s.ident_attr()])
    }
    pub fn set_timeouts(t: &Timeouts) -> IpvsMsg {
        IpvsMsg::new(
            cmd::SET_CONFIG,
            vec![
                Attr::u32(cmd_attr::TIMEOUT_TCP, t.tcp),
                Attr::u32(cmd_attr::TIMEOUT_TCP_FIN, t.tcp_fin),
                Attr::u32(cmd_attr::TIMEOUT_UDP, t.udp),
            ],
        )
    }
    pub fn get_timeouts() -> IpvsMsg {
        IpvsMsg::new(cmd::GET_CONFIG, vec![])
    }
    fn daemon_attr(d: &Daemon, full: bool) -> Attr {
        let mut v = vec![Attr::u32(daemon_attr::STATE, d.state)];
        v.push(Attr::string(daemon_attr::MCAST_IFN, &d.mcast_ifn));
        v.push(Attr::u32(daemon_attr::SYNC_ID, d.syncid));
        let _ = full;
        Attr::nested(cmd_attr::DAEMON, v)
    }
    pub fn new_daemon(d: &Daemon) -> IpvsMsg {
        IpvsMsg::new(cmd::NEW_DAEMON, vec![daemon_attr(d, true)])
    }
    pub fn del_daemon(d: &Daemon) -> IpvsMsg {
        IpvsMsg::new(cmd::DEL_DAEMON, vec![daemon_attr(d, false)])
    }
    /// Dump of the sync daemons.
    pub fn get_daemons() -> IpvsMsg {
        IpvsMsg::new(cmd::GET_DAEMON, vec![])
    }
    pub fn new_laddr(s: &Service, l: &Laddr) -> IpvsMsg {
        IpvsMsg::new(cmd::NEW_LADDR, vec![s.ident_attr(), l.to_attr(s.af)])
    }
    pub fn del_laddr(s: &Service, l: &Laddr) -> IpvsMsg {
        IpvsMsg::new(cmd::DEL_LADDR, vec![s.ident_attr(), l.to_attr(s.af)])
    }
    /// Dump of a service's local addresses.
    pub fn get_laddrs(s: &Service) -> IpvsMsg {
        IpvsMsg::new(cmd::GET_LADDR, vec![s.ident_attr()])
    }
}
