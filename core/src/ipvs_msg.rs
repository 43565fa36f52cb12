// SPDX-License-Identifier: GPL-2.0
//! Codec of the "IPVS" generic netlink family's payloads (numbering in
//! [`super::ipvs_nl`]): typed decode of the attributes of a request, with
//! every refusal carrying an errno and a static message for the extended
//! ack, and encode of replies (service, real server, local address, info,
//! config) into a byte buffer that the module copies into the reply skb.
//!
//! The module's policies have already checked types and lengths before a
//! request gets here; this code checks them again (it must never trust its
//! input) and adds the semantic checks: what is missing, what rvs cannot
//! do, what is out of range. Addresses of both families are decoded; which
//! the director serves is the module's decision.

use super::addr::{Addr, Family};
use super::ctl_text::{self, SvcKey};
use super::ipvs_nl::*;
use super::sched::Algo;
use core::ffi::CStr;

/// errno values (Linux, all architectures rvs builds for).
pub mod errno {
    pub const ENOENT: i32 = 2;
    pub const ESRCH: i32 = 3;
    pub const ENOMEM: i32 = 12;
    pub const EEXIST: i32 = 17;
    pub const EINVAL: i32 = 22;
    pub const ERANGE: i32 = 34;
    pub const EMSGSIZE: i32 = 90;
    pub const EPROTONOSUPPORT: i32 = 93;
    pub const EOPNOTSUPP: i32 = 95;
    pub const EAFNOSUPPORT: i32 = 97;
    pub const ETIMEDOUT: i32 = 110;
}

/// A refusal: errno (positive) and the extended-ack message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    pub errno: i32,
    pub msg: &'static CStr,
}

const fn err(errno: i32, msg: &'static CStr) -> Error {
    Error { errno, msg }
}

/// Messages shared by decode and the module.
pub mod msg {
    use core::ffi::CStr;
    pub const MALFORMED: &CStr = c"malformed attribute (length)";
    pub const UNKNOWN_ATTR: &CStr = c"unknown attribute type";
    pub const NO_SERVICE_ATTR: &CStr = c"CMD_ATTR_SERVICE is missing";
    pub const NO_DEST_ATTR: &CStr = c"CMD_ATTR_DEST is missing";
    pub const NO_LADDR_ATTR: &CStr = c"CMD_ATTR_LADDR is missing";
    pub const SVC_ID: &CStr = c"service needs AF and either FWMARK or PROTOCOL, ADDR and PORT";
    pub const SVC_FULL: &CStr = c"service needs SCHED_NAME, FLAGS, TIMEOUT and NETMASK";
    pub const FWMARK: &CStr = c"rvs matches services by protocol, address and port; fwmark services are not supported";
    pub const AF: &CStr = c"address family must be AF_INET or AF_INET6";
    pub const NAT46: &CStr = c"an IPv4 service's real servers and local addresses are IPv4 (NAT46 is not supported; NAT64 is: an IPv6 service may have IPv4 ones)";
    pub const ADDR6_LEN: &CStr = c"an IPv6 address attribute holds 16 bytes";
    pub const ADDR_MAPPED: &CStr = c"IPv4-mapped IPv6 address: give the IPv4 address with AF_INET";
    pub const NETMASK6: &CStr = c"an IPv6 service's NETMASK is a prefix length (1..128)";
    pub const NETMASK4: &CStr = c"NETMASK is not a contiguous IPv4 netmask";
    pub const PROTO: &CStr = c"rvs serves TCP and UDP only";
    pub const SCHED: &CStr = c"unknown scheduler (rvs has rr, wrr, lc, wlc, sed, nq, sh, mh)";
    pub const PE: &CStr = c"rvs has no persistence engines (PE_NAME)";
    pub const ONEPACKET: &CStr = c"one-packet scheduling (ONEPACKET flag) is not supported";
    pub const PERSIST_TIMEOUT: &CStr = c"persistence timeout out of range (1..2147483 s)";
    pub const ADDR_ZERO: &CStr = c"unspecified address (0.0.0.0 or ::) is not usable";
    pub const PORT_ZERO: &CStr = c"port 0 is not usable: rvs forwards to a port";
    pub const DEST_ID: &CStr = c"real server needs ADDR and PORT";
    pub const DEST_FULL: &CStr = c"real server needs FWD_METHOD, WEIGHT, U_THRESH and L_THRESH";
    pub const FWD: &CStr = c"rvs forwards by FULLNAT, NAT (-m), direct routing and tunnelling only (no local node)";
    pub const DR_FAMILY: &CStr = c"NAT, direct routing and tunnelling keep the client's address: the real server must be of the service's family";
    pub const KEEP_LOCAL: &CStr = c"a NAT, direct-routing or tunnelled real server cannot be an address of the director's (no local node)";
    pub const TUN_PORT_ZERO: &CStr = c"a GUE tunnel needs its UDP port (TUN_PORT)";
    pub const TUN_REMCSUM: &CStr = c"GUE remote checksum offload is not supported by rvs";
    pub const TUN_TYPE_RANGE: &CStr = c"tunnel type out of range (0 IPIP, 1 GUE, 2 GRE)";
    pub const SYNPROXY_FWD: &CStr = c"SYNPROXY hands connections to FULLNAT real servers only";
    pub const FWD_RANGE: &CStr = c"forwarding method out of range (0..7)";
    pub const WEIGHT: &CStr = c"weight out of range (0..65535)";
    pub const THRESH: &CStr = c"lower threshold is above the upper threshold";
    pub const LADDR_ID: &CStr = c"local address needs ADDR";
    pub const TIMEOUT: &CStr = c"timeout out of range (0: unchanged, 1..86400 s)";
    pub const SVC_EXISTS: &CStr = c"service already exists";
    pub const NO_SUCH_SVC: &CStr = c"no such service";
    pub const DEST_EXISTS: &CStr = c"real server already exists";
    pub const NO_SUCH_DEST: &CStr = c"no such real server";
    pub const LADDR_EXISTS: &CStr = c"local address already exists";
    pub const NO_SUCH_LADDR: &CStr = c"no such local address";
    pub const DAEMON_ID: &CStr = c"a sync daemon needs STATE, MCAST_IFN and SYNC_ID (stopping one: STATE)";
    pub const DAEMON_STATE: &CStr = c"sync daemon state must be master (1) or backup (2)";
    pub const DAEMON_GROUP: &CStr = c"the sync group must be a multicast address";
    pub const DAEMON_RUNNING: &CStr = c"this namespace runs a sync daemon of that state already";
    pub const DAEMON_NONE: &CStr = c"no sync daemon of that state runs in this namespace";
    pub const DAEMON_IF: &CStr = c"no such interface in this namespace (mcast-interface)";
    pub const DAEMON_SOCK: &CStr = c"the sync socket could not be made";
    pub const NO_MEM: &CStr = c"out of memory";
    pub const TOO_BIG: &CStr = c"reply does not fit";
    pub const GONE: &CStr = c"rvs is unloading";
    pub const HOOKS: &CStr = c"could not register rvs's netfilter hooks in this namespace";
    pub const LPORT_RANGE: &CStr = c"local port range must be 1 <= min <= max <= 65535";
    pub const SETTING_RANGE: &CStr = c"setting out of range";
}

/// Netlink attribute header length and alignment.
pub const NLA_HDRLEN: usize = 4;
const NLA_F_NESTED: u16 = 0x8000;
const NLA_F_NET_BYTEORDER: u16 = 0x4000;
const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Splits `buf` (a sequence of attributes) into a table indexed by type
/// (`out.len() - 1` is the highest type accepted; type 0 and higher types
/// are refused). A repeated attribute: the last wins, as the kernel's
/// parser does.
pub fn parse<'a>(mut buf: &'a [u8], out: &mut [Option<&'a [u8]>]) -> Result<(), Error> {
    while !buf.is_empty() {
        if buf.len() < NLA_HDRLEN {
            return Err(err(errno::EINVAL, msg::MALFORMED));
        }
        let len = u16::from_ne_bytes([buf[0], buf[1]]) as usize;
        let ty = (u16::from_ne_bytes([buf[2], buf[3]]) & NLA_TYPE_MASK) as usize;
        if len < NLA_HDRLEN || len > buf.len() {
            return Err(err(errno::EINVAL, msg::MALFORMED));
        }
        if ty == 0 || ty >= out.len() {
            return Err(err(errno::EINVAL, msg::UNKNOWN_ATTR));
        }
        out[ty] = Some(&buf[NLA_HDRLEN..len]);
        buf = &buf[align4(len).min(buf.len())..];
    }
    Ok(())
}

fn get_u8(a: &[u8]) -> Result<u8, Error> {
    match a {
        [x] => Ok(*x),
        _ => Err(err(errno::EINVAL, msg::MALFORMED)),
    }
}

fn get_u16(a: &[u8]) -> Result<u16, Error> {
    <[u8; 2]>::try_from(a).map(u16::from_ne_bytes).map_err(|_| err(errno::EINVAL, msg::MALFORMED))
}

fn get_be16(a: &[u8]) -> Result<u16, Error> {
    <[u8; 2]>::try_from(a).map(u16::from_be_bytes).map_err(|_| err(errno::EINVAL, msg::MALFORMED))
}

fn get_u32(a: &[u8]) -> Result<u32, Error> {
    <[u8; 4]>::try_from(a).map(u32::from_ne_bytes).map_err(|_| err(errno::EINVAL, msg::MALFORMED))
}

fn get_be32(a: &[u8]) -> Result<u32, Error> {
    <[u8; 4]>::try_from(a).map(u32::from_be_bytes).map_err(|_| err(errno::EINVAL, msg::MALFORMED))
}

/// An address attribute (union nf_inet_addr, up to 16 bytes) of family
/// `f`: an IPv4 address in its first 4 bytes, an IPv6 address in all 16
/// (upstream pads a shorter one with zeros; rvs refuses it, as a client
/// that sends 4 bytes for an IPv6 address has the family wrong).
fn get_addr(f: Family, a: &[u8]) -> Result<Addr, Error> {
    match f {
        Family::V4 => {
            if a.len() < 4 || a.len() > 16 {
                return Err(err(errno::EINVAL, msg::MALFORMED));
            }
            Ok(Addr::v4_bytes([a[0], a[1], a[2], a[3]]))
        }
        Family::V6 => {
            let b = <[u8; 16]>::try_from(a).map_err(|_| err(errno::EINVAL, msg::ADDR6_LEN))?;
            if Addr::is_v4_mapped_wire(&b) {
                return Err(err(errno::EINVAL, msg::ADDR_MAPPED));
            }
            Ok(Addr::v6(b))
        }
    }
}

/// A family attribute (u16 AF_*).
fn get_family(a: &[u8]) -> Result<Family, Error> {
    Family::from_af(get_u16(a)?).ok_or(err(errno::EAFNOSUPPORT, msg::AF))
}

/// A NUL-terminated string of at most `max` bytes including the NUL; the
/// bytes before the NUL.
fn get_str(a: &[u8], max: usize) -> Result<&[u8], Error> {
    match a.iter().position(|&c| c == 0) {
        Some(n) if n < max => Ok(&a[..n]),
        _ => Err(err(errno::EINVAL, msg::MALFORMED)),
    }
}

/// The top-level attributes of a request (after the genetlink header).
#[derive(Default, Debug)]
pub struct CmdAttrs<'a> {
    pub service: Option<&'a [u8]>,
    pub dest: Option<&'a [u8]>,
    pub daemon: Option<&'a [u8]>,
    pub timeout_tcp: Option<u32>,
    pub timeout_tcp_fin: Option<u32>,
    pub timeout_udp: Option<u32>,
    pub laddr: Option<&'a [u8]>,
}

/// Decodes the top-level attributes.
pub fn decode_cmd(buf: &[u8]) -> Result<CmdAttrs<'_>, Error> {
    let mut t = [None; cmd_attr::MAX as usize + 1];
    parse(buf, &mut t)?;
    let u32_of = |a: Option<&[u8]>| a.map(get_u32).transpose();
    Ok(CmdAttrs {
        service: t[cmd_attr::SERVICE as usize],
        dest: t[cmd_attr::DEST as usize],
        daemon: t[cmd_attr::DAEMON as usize],
        timeout_tcp: u32_of(t[cmd_attr::TIMEOUT_TCP as usize])?,
        timeout_tcp_fin: u32_of(t[cmd_attr::TIMEOUT_TCP_FIN as usize])?,
        timeout_udp: u32_of(t[cmd_attr::TIMEOUT_UDP as usize])?,
        laddr: t[cmd_attr::LADDR as usize],
    })
}

/// The settable part of a service (NEW_SERVICE, SET_SERVICE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvcFull {
    pub algo: Algo,
    /// New flag values, applied where `mask` has a bit.
    pub flags: u32,
    pub mask: u32,
    /// Persistence timeout, seconds.
    pub timeout: u32,
    /// Persistence netmask: for IPv4 a big-endian netmask value, for IPv6
    /// a prefix length (as upstream; `ctl_text::persist_masked`).
    pub netmask: u32,
}

/// A decoded CMD_ATTR_SERVICE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceSpec {
    pub key: SvcKey,
    /// With `full`: the settable part (required).
    pub full: Option<SvcFull>,
}

/// Decodes CMD_ATTR_SERVICE's payload; `full`: NEW/SET_SERVICE, which need
/// the settable part too (upstream's `full_entry`).
pub fn decode_service(buf: &[u8], full: bool) -> Result<ServiceSpec, Error> {
    let mut t = [None; svc_attr::MAX as usize + 1];
    parse(buf, &mut t)?;
    let af = t[svc_attr::AF as usize];
    let fwmark = t[svc_attr::FWMARK as usize];
    let (proto, addr, port) = (t[svc_attr::PROTOCOL as usize], t[svc_attr::ADDR as usize], t[svc_attr::PORT as usize]);
    let Some(af) = af else { return Err(err(errno::EINVAL, msg::SVC_ID)) };
    let family = get_family(af)?;
    if fwmark.is_none() && (proto.is_none() || addr.is_none() || port.is_none()) {
        return Err(err(errno::EINVAL, msg::SVC_ID));
    }
    if let Some(m) = fwmark {
        get_u32(m)?;
        return Err(err(errno::EOPNOTSUPP, msg::FWMARK));
    }
    let (Some(proto), Some(addr), Some(port)) = (proto, addr, port) else {
        return Err(err(errno::EINVAL, msg::SVC_ID));
    };
    let proto = match get_u16(proto)? {
        IPPROTO_TCP => IPPROTO_TCP as u8,
        IPPROTO_UDP => IPPROTO_UDP as u8,
        _ => return Err(err(errno::EPROTONOSUPPORT, msg::PROTO)),
    };
    let key = SvcKey { proto, addr: get_addr(family, addr)?, port: get_be16(port)? };
    if !full {
        return Ok(ServiceSpec { key, full: None });
    }
    if key.addr.is_unspecified() {
        return Err(err(errno::EINVAL, msg::ADDR_ZERO));
    }
    if key.port == 0 {
        return Err(err(errno::EINVAL, msg::PORT_ZERO));
    }
    let g = |a| t[a as usize];
    let (Some(sched), Some(flags), Some(timeout), Some(netmask)) =
        (g(svc_attr::SCHED_NAME), g(svc_attr::FLAGS), g(svc_attr::TIMEOUT), g(svc_attr::NETMASK))
    else {
        return Err(err(errno::EINVAL, msg::SVC_FULL));
    };
    let sched = get_str(sched, SCHEDNAME_MAXLEN)?;
    if flags.len() != 8 {
        return Err(err(errno::EINVAL, msg::MALFORMED));
    }
    let (fl, mask) = (get_u32(&flags[..4])?, get_u32(&flags[4..])?);
    let timeout = get_u32(timeout)?;
    // ipvsadm sends the netmask field as it holds it: an IPv4 netmask in
    // network order, an IPv6 prefix length in host order.
    let netmask = match family {
        Family::V4 => get_be32(netmask)?,
        Family::V6 => get_u32(netmask)?,
    };
    let mask_ok = match family {
        Family::V4 => ctl_text::persist_mask_valid(family, netmask),
        Family::V6 => (1..=128).contains(&netmask),
    };
    // Upstream checks the IPv6 prefix only; an IPv4 netmask with holes
    // would silently group unrelated clients, so rvs refuses it too.
    if !mask_ok {
        return Err(err(errno::EINVAL, if family == Family::V4 { msg::NETMASK4 } else { msg::NETMASK6 }));
    }
    if let Some(pe) = g(svc_attr::PE_NAME) {
        get_str(pe, PENAME_MAXLEN + 1)?;
        return Err(err(errno::ENOENT, msg::PE));
    }
    let algo = Algo::from_name(sched).ok_or(err(errno::ENOENT, msg::SCHED))?;
    Ok(ServiceSpec { key, full: Some(SvcFull { algo, flags: fl, mask, timeout, netmask }) })
}

/// The service flags rvs keeps (others are accepted and dropped, as
/// upstream drops the ones it does not know).
pub const KEPT_FLAGS: u32 = svc_flags::PERSISTENT | svc_flags::SCHED1 | svc_flags::SCHED2 | svc_flags::SCHED3 | svc_flags::SYNPROXY;

/// Largest persistence timeout (upstream keeps it in jiffies in an int).
pub const PERSIST_TIMEOUT_MAX: u32 = 2_147_483;

/// The flags of a service after a request: `old` where the request's mask
/// has no bit, the request's value where it has; then checked.
pub fn merge_flags(old: u32, f: &SvcFull) -> Result<u32, Error> {
    let v = (old & !f.mask) | (f.flags & f.mask);
    if v & svc_flags::ONEPACKET != 0 {
        return Err(err(errno::EOPNOTSUPP, msg::ONEPACKET));
    }
    if v & svc_flags::PERSISTENT != 0 && !(1..=PERSIST_TIMEOUT_MAX).contains(&f.timeout) {
        return Err(err(errno::ERANGE, msg::PERSIST_TIMEOUT));
    }
    Ok(v & KEPT_FLAGS)
}

/// How a tunnelling real server's packets are encapsulated (ipvsadm's
/// `--tun-type`, `--tun-port`, `--tun-nocsum`/`--tun-csum`): kept for
/// every method, as upstream keeps them, used by tunnelling only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tunnel {
    /// `tun_type`: IPIP, GUE or GRE.
    pub kind: u8,
    /// GUE's UDP destination port (host order).
    pub port: u16,
    /// `tun_flags`.
    pub flags: u16,
}

/// The settable part of a real server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DestFull {
    /// A method `method::Method::from_fwd` knows.
    pub fwd: u32,
    pub weight: u32,
    pub u_thresh: u32,
    pub l_thresh: u32,
    pub tun: Tunnel,
}

/// A decoded CMD_ATTR_DEST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DestSpec {
    pub addr: Addr,
    pub port: u16,
    pub full: Option<DestFull>,
}

/// Decodes CMD_ATTR_DEST's payload; `full`: NEW/SET_DEST. The address is
/// of the family ADDR_FAMILY names, or without it (or 0, older clients) of
/// the service's, `svc`.
pub fn decode_dest(buf: &[u8], full: bool, svc: Family) -> Result<DestSpec, Error> {
    let mut t = [None; dest_attr::MAX as usize + 1];
    parse(buf, &mut t)?;
    let g = |a| t[a as usize];
    let (Some(addr), Some(port)) = (g(dest_attr::ADDR), g(dest_attr::PORT)) else {
        return Err(err(errno::EINVAL, msg::DEST_ID));
    };
    let family = match g(dest_attr::ADDR_FAMILY).map(get_u16).transpose()? {
        None | Some(0) => svc,
        Some(af) => Family::from_af(af).ok_or(err(errno::EAFNOSUPPORT, msg::AF))?,
    };
    let (addr, port) = (get_addr(family, addr)?, get_be16(port)?);
    if !full {
        return Ok(DestSpec { addr, port, full: None });
    }
    if addr.is_unspecified() {
        return Err(err(errno::EINVAL, msg::ADDR_ZERO));
    }
    if port == 0 {
        return Err(err(errno::EINVAL, msg::PORT_ZERO));
    }
    let (Some(f), Some(w), Some(u), Some(l)) =
        (g(dest_attr::FWD_METHOD), g(dest_attr::WEIGHT), g(dest_attr::U_THRESH), g(dest_attr::L_THRESH))
    else {
        return Err(err(errno::EINVAL, msg::DEST_FULL));
    };
    let (f, w, u, l) = (get_u32(f)?, get_u32(w)?, get_u32(u)?, get_u32(l)?);
    // Tunnel attributes: ipvsadm sends them for every method (zeros
    // unless tunnelling); kept as given, used by tunnelling only.
    let tun = Tunnel {
        kind: g(dest_attr::TUN_TYPE).map(get_u8).transpose()?.unwrap_or(tun_type::IPIP),
        port: g(dest_attr::TUN_PORT).map(get_be16).transpose()?.unwrap_or(0),
        flags: g(dest_attr::TUN_FLAGS).map(get_u16).transpose()?.unwrap_or(0),
    };
    if f > fwd::MASK {
        return Err(err(errno::EINVAL, msg::FWD_RANGE));
    }
    if super::method::Method::from_fwd(f, false).is_none() {
        return Err(err(errno::EOPNOTSUPP, msg::FWD));
    }
    if tun.kind > tun_type::GRE {
        return Err(err(errno::EINVAL, msg::TUN_TYPE_RANGE));
    }
    // As upstream's ip_vs_add_dest: a GUE tunnel has a port.
    if f == fwd::TUNNEL && tun.kind == tun_type::GUE && tun.port == 0 {
        return Err(err(errno::EINVAL, msg::TUN_PORT_ZERO));
    }
    if f == fwd::TUNNEL && tun.kind == tun_type::GUE && tun.flags & tun_flags::REMCSUM != 0 {
        return Err(err(errno::EOPNOTSUPP, msg::TUN_REMCSUM));
    }
    if w > 65535 {
        return Err(err(errno::ERANGE, msg::WEIGHT));
    }
    if l > u {
        return Err(err(errno::ERANGE, msg::THRESH));
    }
    Ok(DestSpec { addr, port, full: Some(DestFull { fwd: f, weight: w, u_thresh: u, l_thresh: l, tun }) })
}

/// Decodes CMD_ATTR_LADDR's payload: the local address, of the family
/// ADDR_FAMILY names (rvs's extension), or without it (Alibaba's
/// attributes carry no family) or 0 of the service's, `svc`.
pub fn decode_laddr(buf: &[u8], svc: Family) -> Result<Addr, Error> {
    let mut t = [None; laddr_attr::MAX as usize + 1];
    parse(buf, &mut t)?;
    // PORT_CONFLICT and CONN_COUNTS are reply-only; checked for form.
    if let Some(a) = t[laddr_attr::PORT_CONFLICT as usize] {
        if a.len() != 8 {
            return Err(err(errno::EINVAL, msg::MALFORMED));
        }
    }
    if let Some(a) = t[laddr_attr::CONN_COUNTS as usize] {
        get_u32(a)?;
    }
    let family = match t[laddr_attr::ADDR_FAMILY as usize].map(get_u16).transpose()? {
        None | Some(0) => svc,
        Some(af) => Family::from_af(af).ok_or(err(errno::EAFNOSUPPORT, msg::AF))?,
    };
    let a = t[laddr_attr::ADDR as usize].ok_or(err(errno::EINVAL, msg::LADDR_ID))?;
    let a = get_addr(family, a)?;
    if a.is_unspecified() {
        return Err(err(errno::EINVAL, msg::ADDR_ZERO));
    }
    Ok(a)
}

/// A sync daemon's configuration (NEW_DAEMON), upstream's defaults filled
/// in where the request left them out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DaemonCfg {
    /// `daemon_state::MASTER` or `BACKUP`.
    pub state: u32,
    /// The interface's name (`IFNAMSIZ` - 1 bytes at most) and its length.
    pub ifname: [u8; 16],
    pub ifname_len: usize,
    /// Upstream keeps the low 8 bits of the 32-bit attribute.
    pub syncid: u8,
    /// 0: from the interface's MTU when the daemon starts.
    pub maxlen: u16,
    /// The multicast group (224.0.0.81 unless given).
    pub group: Addr,
    pub port: u16,
    pub ttl: u8,
}

impl DaemonCfg {
    pub fn ifname(&self) -> &[u8] {
        &self.ifname[..self.ifname_len]
    }

    /// The datagram payload's size limit for an interface MTU, as
    /// upstream's start_sync_thread: a master sends at most 1500 - headers
    /// unless told otherwise; a backup reads datagrams up to the
    /// interface's MTU (at least 1500) - headers; a given maxlen is kept
    /// within [1 (master) or 1024 (backup), 65535 - headers].
    pub fn payload_max(&self, dev_mtu: u32) -> u16 {
        let hlen: u32 = if self.group.is_v4() { 20 + 8 } else { 40 + 8 };
        let backup = self.state == daemon_state::BACKUP;
        if self.maxlen != 0 {
            let min = if backup { 1024 } else { 1 };
            return (self.maxlen as u32).clamp(min, 65535 - hlen) as u16;
        }
        let mtu = if backup { dev_mtu.clamp(1500, 65535) } else { 1500 };
        (mtu - hlen) as u16
    }
}

/// Decodes CMD_ATTR_DAEMON: `start` (NEW_DAEMON) needs STATE, MCAST_IFN and
/// SYNC_ID; DEL_DAEMON needs STATE only. Refused as upstream: a group that
/// is not multicast (EINVAL); and a state other than master or backup.
pub fn decode_daemon(buf: &[u8], start: bool) -> Result<DaemonCfg, Error> {
    let mut t = [None; daemon_attr::MAX as usize + 1];
    parse(buf, &mut t)?;
    let state = t[daemon_attr::STATE as usize].ok_or(err(errno::EINVAL, msg::DAEMON_ID)).and_then(get_u32)?;
    if state != daemon_state::MASTER && state != daemon_state::BACKUP {
        return Err(err(errno::EINVAL, msg::DAEMON_STATE));
    }
    let mut c = DaemonCfg {
        state,
        ifname: [0; 16],
        ifname_len: 0,
        syncid: 0,
        maxlen: 0,
        group: Addr::v4_bytes(super::sync_msg::GROUP_V4),
        port: super::sync_msg::PORT,
        ttl: 1,
    };
    if !start {
        return Ok(c);
    }
    let (Some(ifn), Some(id)) = (t[daemon_attr::MCAST_IFN as usize], t[daemon_attr::SYNC_ID as usize]) else {
        return Err(err(errno::EINVAL, msg::DAEMON_ID));
    };
    let name = get_str(ifn, 16)?;
    if name.is_empty() {
        return Err(err(errno::EINVAL, msg::DAEMON_ID));
    }
    c.ifname[..name.len()].copy_from_slice(name);
    c.ifname_len = name.len();
    c.syncid = get_u32(id)? as u8;
    if let Some(a) = t[daemon_attr::SYNC_MAXLEN as usize] {
        c.maxlen = get_u16(a)?;
    }
    if let Some(a) = t[daemon_attr::MCAST_GROUP as usize] {
        let g = get_addr(Family::V4, a)?;
        if g.octets()[12] & 0xf0 != 0xe0 {
            return Err(err(errno::EINVAL, msg::DAEMON_GROUP));
        }
        c.group = g;
    } else if let Some(a) = t[daemon_attr::MCAST_GROUP6 as usize] {
        let g = get_addr(Family::V6, a)?;
        if g.octets()[0] != 0xff {
            return Err(err(errno::EINVAL, msg::DAEMON_GROUP));
        }
        c.group = g;
    }
    if let Some(p) = t[daemon_attr::MCAST_PORT as usize].map(get_u16).transpose()? {
        if p != 0 {
            c.port = p;
        }
    }
    if let Some(ttl) = t[daemon_attr::MCAST_TTL as usize].map(get_u8).transpose()? {
        if ttl != 0 {
            c.ttl = ttl;
        }
    }
    Ok(c)
}

/// Writes one daemon's CMD_ATTR_DAEMON (GET_DAEMON's reply), as upstream's
/// ip_vs_genl_fill_daemon.
pub fn encode_daemon(e: &mut Enc<'_>, c: &DaemonCfg, maxlen: u16) -> Result<(), Full> {
    let tok = e.start(cmd_attr::DAEMON)?;
    e.u32(daemon_attr::STATE, c.state)?;
    let mut name = [0u8; 17];
    name[..c.ifname_len].copy_from_slice(c.ifname());
    e.put(daemon_attr::MCAST_IFN, &name[..c.ifname_len + 1])?;
    e.u32(daemon_attr::SYNC_ID, c.syncid as u32)?;
    e.u16(daemon_attr::SYNC_MAXLEN, maxlen)?;
    e.u16(daemon_attr::MCAST_PORT, c.port)?;
    e.u8(daemon_attr::MCAST_TTL, c.ttl)?;
    if c.group.is_v4() {
        e.put(daemon_attr::MCAST_GROUP, &c.group.octets()[12..])?;
    } else {
        e.put(daemon_attr::MCAST_GROUP6, c.group.octets())?;
    }
    e.end(tok)
}

/// Timeouts of SET_CONFIG: 0 leaves a value unchanged (as upstream), else
/// 1..=86400 s.
pub fn check_timeout(v: Option<u32>) -> Result<Option<u32>, Error> {
    // The timeouts' bounds are the settings' (one definition, in ctl_text).
    let t = super::ctl_text::Setting::UdpTimeout;
    match v {
        None | Some(0) => Ok(None),
        Some(v) if v >= t.min() && v <= t.max() => Ok(Some(v)),
        Some(_) => Err(err(errno::ERANGE, msg::TIMEOUT)),
    }
}

/// The reply did not fit the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// Writes attributes into a byte buffer.
pub struct Enc<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Enc<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Enc { buf, len: 0 }
    }

    /// The bytes written.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn hdr(&mut self, ty: u16, payload: usize) -> Result<usize, Full> {
        let total = align4(NLA_HDRLEN + payload);
        if payload > u16::MAX as usize - NLA_HDRLEN || self.buf.len() - self.len < total {
            return Err(Full);
        }
        let at = self.len;
        self.buf[at..at + 2].copy_from_slice(&((NLA_HDRLEN + payload) as u16).to_ne_bytes());
        self.buf[at + 2..at + 4].copy_from_slice(&ty.to_ne_bytes());
        for b in &mut self.buf[at + NLA_HDRLEN + payload..at + total] {
            *b = 0;
        }
        self.len += total;
        Ok(at + NLA_HDRLEN)
    }

    pub fn put(&mut self, ty: u16, data: &[u8]) -> Result<(), Full> {
        let at = self.hdr(ty, data.len())?;
        self.buf[at..at + data.len()].copy_from_slice(data);
        Ok(())
    }

    pub fn u8(&mut self, ty: u16, v: u8) -> Result<(), Full> {
        self.put(ty, &[v])
    }
    pub fn u16(&mut self, ty: u16, v: u16) -> Result<(), Full> {
        self.put(ty, &v.to_ne_bytes())
    }
    pub fn be16(&mut self, ty: u16, v: u16) -> Result<(), Full> {
        self.put(ty, &v.to_be_bytes())
    }
    pub fn u32(&mut self, ty: u16, v: u32) -> Result<(), Full> {
        self.put(ty, &v.to_ne_bytes())
    }
    pub fn be32(&mut self, ty: u16, v: u32) -> Result<(), Full> {
        self.put(ty, &v.to_be_bytes())
    }
    /// u64 without a pad attribute: 64-bit x86 and arm64 read unaligned
    /// attributes (the kernel's `nla_need_padding_for_64bit` is false there).
    pub fn u64(&mut self, ty: u16, v: u64) -> Result<(), Full> {
        self.put(ty, &v.to_ne_bytes())
    }
    /// A string with its NUL.
    pub fn str(&mut self, ty: u16, s: &str) -> Result<(), Full> {
        let at = self.hdr(ty, s.len() + 1)?;
        self.buf[at..at + s.len()].copy_from_slice(s.as_bytes());
        self.buf[at + s.len()] = 0;
        Ok(())
    }
    /// An address as a 16-byte union nf_inet_addr.
    pub fn addr(&mut self, ty: u16, a: &Addr) -> Result<(), Full> {
        self.put(ty, &a.nf_inet())
    }

    /// Starts a nested attribute (without NLA_F_NESTED, as upstream's
    /// replies); returns the token for [`Enc::end`].
    pub fn start(&mut self, ty: u16) -> Result<usize, Full> {
        let at = self.hdr(ty, 0)?;
        Ok(at - NLA_HDRLEN)
    }

    /// Ends the nested attribute started at `tok`.
    pub fn end(&mut self, tok: usize) -> Result<(), Full> {
        let len = self.len - tok;
        if len > u16::MAX as usize {
            return Err(Full);
        }
        self.buf[tok..tok + 2].copy_from_slice(&(len as u16).to_ne_bytes());
        Ok(())
    }
}

/// Counters and rates of a service, real server or local address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsInfo {
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

/// STATS (u32 counters, u64 bytes, as upstream) and STATS64 (all u64).
fn encode_stats(e: &mut Enc<'_>, ty: u16, ty64: u16, s: &StatsInfo) -> Result<(), Full> {
    use stats_attr::*;
    let t = e.start(ty)?;
    e.u32(CONNS, s.conns as u32)?;
    e.u32(INPKTS, s.inpkts as u32)?;
    e.u32(OUTPKTS, s.outpkts as u32)?;
    e.u64(INBYTES, s.inbytes)?;
    e.u64(OUTBYTES, s.outbytes)?;
    e.u32(CPS, s.cps as u32)?;
    e.u32(INPPS, s.inpps as u32)?;
    e.u32(OUTPPS, s.outpps as u32)?;
    e.u32(INBPS, s.inbps as u32)?;
    e.u32(OUTBPS, s.outbps as u32)?;
    e.end(t)?;
    let t = e.start(ty64)?;
    for (a, v) in [
        (CONNS, s.conns),
        (INPKTS, s.inpkts),
        (OUTPKTS, s.outpkts),
        (INBYTES, s.inbytes),
        (OUTBYTES, s.outbytes),
        (CPS, s.cps),
        (INPPS, s.inpps),
        (OUTPPS, s.outpps),
        (INBPS, s.inbps),
        (OUTBPS, s.outbps),
    ] {
        e.u64(a, v)?;
    }
    e.end(t)
}

/// What a service reply says.
#[derive(Clone, Copy, Debug)]
pub struct SvcInfo<'a> {
    pub key: SvcKey,
    pub sched: &'a str,
    /// Upstream flags (HASHED is always reported, as upstream does for
    /// every listed service).
    pub flags: u32,
    pub timeout: u32,
    pub netmask: u32,
    pub stats: StatsInfo,
}

/// A service's identity inside an open CMD_ATTR_SERVICE nest.
fn svc_id(e: &mut Enc<'_>, k: &SvcKey) -> Result<(), Full> {
    e.u16(svc_attr::AF, k.addr.family().af())?;
    e.u16(svc_attr::PROTOCOL, k.proto as u16)?;
    e.addr(svc_attr::ADDR, &k.addr)?;
    e.be16(svc_attr::PORT, k.port)
}

/// CMD_ATTR_SERVICE with the identity only (LADDR replies).
pub fn encode_service_id(e: &mut Enc<'_>, k: &SvcKey) -> Result<(), Full> {
    let t = e.start(cmd_attr::SERVICE)?;
    svc_id(e, k)?;
    e.end(t)
}

/// CMD_ATTR_SERVICE as upstream fills it.
pub fn encode_service(e: &mut Enc<'_>, s: &SvcInfo<'_>) -> Result<(), Full> {
    let t = e.start(cmd_attr::SERVICE)?;
    svc_id(e, &s.key)?;
    e.str(svc_attr::SCHED_NAME, s.sched)?;
    let mut fl = [0u8; 8];
    fl[..4].copy_from_slice(&s.flags.to_ne_bytes());
    fl[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
    e.put(svc_attr::FLAGS, &fl)?;
    e.u32(svc_attr::TIMEOUT, s.timeout)?;
    match s.key.addr.family() {
        Family::V4 => e.be32(svc_attr::NETMASK, s.netmask)?,
        Family::V6 => e.u32(svc_attr::NETMASK, s.netmask)?,
    }
    encode_stats(e, svc_attr::STATS, svc_attr::STATS64, &s.stats)?;
    e.end(t)
}

/// What a real server reply says.
#[derive(Clone, Copy, Debug, Default)]
pub struct DestInfo {
    pub addr: Addr,
    pub port: u16,
    pub fwd: u32,
    pub weight: u32,
    pub u_thresh: u32,
    pub l_thresh: u32,
    pub active: u32,
    pub inactive: u32,
    pub persist: u32,
    pub tun: Tunnel,
    pub stats: StatsInfo,
}

/// CMD_ATTR_DEST as upstream fills it.
pub fn encode_dest(e: &mut Enc<'_>, d: &DestInfo) -> Result<(), Full> {
    use dest_attr::*;
    let t = e.start(cmd_attr::DEST)?;
    e.addr(ADDR, &d.addr)?;
    e.be16(PORT, d.port)?;
    e.u32(FWD_METHOD, d.fwd)?;
    e.u32(WEIGHT, d.weight)?;
    e.u8(TUN_TYPE, d.tun.kind)?;
    e.be16(TUN_PORT, d.tun.port)?;
    e.u16(TUN_FLAGS, d.tun.flags)?;
    e.u32(U_THRESH, d.u_thresh)?;
    e.u32(L_THRESH, d.l_thresh)?;
    e.u32(ACTIVE_CONNS, d.active)?;
    e.u32(INACT_CONNS, d.inactive)?;
    e.u32(PERSIST_CONNS, d.persist)?;
    e.u16(ADDR_FAMILY, d.addr.family().af())?;
    encode_stats(e, STATS, STATS64, &d.stats)?;
    e.end(t)
}

/// One GET_LADDR reply: the service's identity and CMD_ATTR_LADDR.
pub fn encode_laddr(e: &mut Enc<'_>, k: &SvcKey, addr: &Addr, port_conflict: u64, conns: u32) -> Result<(), Full> {
    encode_service_id(e, k)?;
    let t = e.start(cmd_attr::LADDR)?;
    e.addr(laddr_attr::ADDR, addr)?;
    e.u64(laddr_attr::PORT_CONFLICT, port_conflict)?;
    e.u32(laddr_attr::CONN_COUNTS, conns)?;
    e.u16(laddr_attr::ADDR_FAMILY, addr.family().af())?;
    e.end(t)
}

/// Upstream's IP_VS_VERSION_CODE (1.2.1): what ipvsadm prints.
pub const IPVS_VERSION_CODE: u32 = 0x010201;

/// GET_INFO's reply.
pub fn encode_info(e: &mut Enc<'_>, conn_tab_size: u32) -> Result<(), Full> {
    e.u32(info_attr::VERSION, IPVS_VERSION_CODE)?;
    e.u32(info_attr::CONN_TAB_SIZE, conn_tab_size)
}

/// GET_CONFIG's reply.
pub fn encode_config(e: &mut Enc<'_>, tcp: u32, tcp_fin: u32, udp: u32) -> Result<(), Full> {
    e.u32(cmd_attr::TIMEOUT_TCP, tcp)?;
    e.u32(cmd_attr::TIMEOUT_TCP_FIN, tcp_fin)?;
    e.u32(cmd_attr::TIMEOUT_UDP, udp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nla(ty: u16, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
        v.extend_from_slice(&ty.to_ne_bytes());
        v.extend_from_slice(data);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v
    }

    fn addr16(a: [u8; 4]) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..4].copy_from_slice(&a);
        b
    }

    /// What ipvsadm -A -t 192.0.2.100:80 -s rr sends inside CMD_ATTR_SERVICE.
    fn ipvsadm_svc(sched: &str, flags: u32, timeout: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(nla(svc_attr::AF, &AF_INET.to_ne_bytes()));
        v.extend(nla(svc_attr::PROTOCOL, &IPPROTO_TCP.to_ne_bytes()));
        v.extend(nla(svc_attr::ADDR, &addr16([192, 0, 2, 100])));
        v.extend(nla(svc_attr::PORT, &80u16.to_be_bytes()));
        let mut s = sched.as_bytes().to_vec();
        s.push(0);
        v.extend(nla(svc_attr::SCHED_NAME, &s));
        let mut f = flags.to_ne_bytes().to_vec();
        f.extend_from_slice(&u32::MAX.to_ne_bytes());
        v.extend(nla(svc_attr::FLAGS, &f));
        v.extend(nla(svc_attr::TIMEOUT, &timeout.to_ne_bytes()));
        v.extend(nla(svc_attr::NETMASK, &0xffff_ffffu32.to_be_bytes()));
        v
    }

    fn ipvsadm_dest(fwd_m: u32, w: u32, u: u32, l: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(nla(dest_attr::ADDR_FAMILY, &AF_INET.to_ne_bytes()));
        v.extend(nla(dest_attr::ADDR, &addr16([198, 51, 100, 11])));
        v.extend(nla(dest_attr::PORT, &8080u16.to_be_bytes()));
        v.extend(nla(dest_attr::FWD_METHOD, &fwd_m.to_ne_bytes()));
        v.extend(nla(dest_attr::WEIGHT, &w.to_ne_bytes()));
        v.extend(nla(dest_attr::TUN_TYPE, &[0]));
        v.extend(nla(dest_attr::TUN_PORT, &0u16.to_be_bytes()));
        v.extend(nla(dest_attr::TUN_FLAGS, &0u16.to_ne_bytes()));
        v.extend(nla(dest_attr::U_THRESH, &u.to_ne_bytes()));
        v.extend(nla(dest_attr::L_THRESH, &l.to_ne_bytes()));
        v
    }

    const KEY: SvcKey = SvcKey { proto: 6, addr: Addr::v4(0xc000_0264), port: 80 };

    /// What ipvsadm --start-daemon master --mcast-interface eth0 --syncid 5
    /// sends inside CMD_ATTR_DAEMON (plus `more`).
    fn ipvsadm_daemon(state: u32, more: &[Vec<u8>]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend(nla(daemon_attr::STATE, &state.to_ne_bytes()));
        v.extend(nla(daemon_attr::MCAST_IFN, b"eth0\0"));
        v.extend(nla(daemon_attr::SYNC_ID, &5u32.to_ne_bytes()));
        for m in more {
            v.extend_from_slice(m);
        }
        v
    }

    #[test]
    fn daemon_config_as_upstream() {
        let c = decode_daemon(&ipvsadm_daemon(daemon_state::MASTER, &[]), true).unwrap();
        assert_eq!((c.state, c.ifname(), c.syncid, c.port, c.ttl), (1, &b"eth0"[..], 5, 8848, 1));
        assert_eq!(c.group, Addr::v4_bytes([224, 0, 0, 81]));
        assert_eq!(c.payload_max(9000), 1472, "a master sends at most 1500 bytes by default");
        let b = decode_daemon(
            &ipvsadm_daemon(
                daemon_state::BACKUP,
                &[nla(daemon_attr::MCAST_GROUP, &[239, 1, 2, 3]), nla(daemon_attr::MCAST_PORT, &9000u16.to_ne_bytes()), nla(daemon_attr::MCAST_TTL, &[3])],
            ),
            true,
        )
        .unwrap();
        assert_eq!((b.group, b.port, b.ttl), (Addr::v4_bytes([239, 1, 2, 3]), 9000, 3));
        assert_eq!(b.payload_max(9000), 8972, "a backup reads up to the interface's MTU");
        assert_eq!(b.payload_max(1280), 1472);
        let m = decode_daemon(&ipvsadm_daemon(daemon_state::BACKUP, &[nla(daemon_attr::SYNC_MAXLEN, &100u16.to_ne_bytes())]), true).unwrap();
        assert_eq!(m.payload_max(1500), 1024, "a backup's maxlen is at least 1024");
        let mut g6 = [0u8; 16];
        g6[0] = 0xff;
        g6[1] = 0x02;
        g6[15] = 0x81;
        let v6 = decode_daemon(&ipvsadm_daemon(1, &[nla(daemon_attr::MCAST_GROUP6, &g6)]), true).unwrap();
        assert_eq!(v6.payload_max(1500), 1452);
        // Refusals.
        let e = |b: &[u8], start| decode_daemon(b, start).unwrap_err().errno;
        assert_eq!(e(&ipvsadm_daemon(3, &[]), true), errno::EINVAL);
        assert_eq!(e(&nla(daemon_attr::STATE, &1u32.to_ne_bytes()), true), errno::EINVAL, "no interface or syncid");
        assert!(decode_daemon(&nla(daemon_attr::STATE, &1u32.to_ne_bytes()), false).is_ok(), "stopping needs the state only");
        assert_eq!(e(&[], false), errno::EINVAL);
        assert_eq!(e(&ipvsadm_daemon(1, &[nla(daemon_attr::MCAST_GROUP, &[192, 0, 2, 1])]), true), errno::EINVAL);
        g6[0] = 0x20;
        assert_eq!(e(&ipvsadm_daemon(1, &[nla(daemon_attr::MCAST_GROUP6, &g6)]), true), errno::EINVAL);
        // GET_DAEMON's reply decodes back.
        let mut buf = [0u8; 256];
        let mut enc = Enc::new(&mut buf);
        encode_daemon(&mut enc, &b, 8972).unwrap();
        let out = enc.bytes();
        let inner = &out[4..];
        let again = decode_daemon(inner, true).unwrap();
        assert_eq!(again, DaemonCfg { maxlen: 8972, ..b });
    }

    #[test]
    fn service_as_ipvsadm_sends_it() {
        let s = decode_service(&ipvsadm_svc("wrr", 0, 0), true).unwrap();
        assert_eq!(s.key, KEY);
        let f = s.full.unwrap();
        assert_eq!(f.algo, Algo::Wrr);
        assert_eq!((f.flags, f.mask, f.timeout, f.netmask), (0, u32::MAX, 0, 0xffff_ffff));
        // Identity only: the settable part is not looked at.
        let s = decode_service(&ipvsadm_svc("nosuch", 0, 0), false).unwrap();
        assert_eq!((s.key, s.full), (KEY, None));
    }

    #[test]
    fn service_refusals() {
        assert_eq!(decode_service(&ipvsadm_svc("nosuch", 0, 0), true).unwrap_err().errno, errno::ENOENT);
        // Missing AF.
        let v = ipvsadm_svc("rr", 0, 0)[8..].to_vec();
        assert_eq!(decode_service(&v, false).unwrap_err(), err(errno::EINVAL, msg::SVC_ID));
        // Identity only (no sched) for a full request.
        let v = ipvsadm_svc("rr", 0, 0)[..8 + 8 + 20 + 8].to_vec();
        assert!(decode_service(&v, false).is_ok());
        assert_eq!(decode_service(&v, true).unwrap_err(), err(errno::EINVAL, msg::SVC_FULL));
        // fwmark.
        let mut v = nla(svc_attr::AF, &AF_INET.to_ne_bytes());
        v.extend(nla(svc_attr::FWMARK, &7u32.to_ne_bytes()));
        assert_eq!(decode_service(&v, false).unwrap_err(), err(errno::EOPNOTSUPP, msg::FWMARK));
        // IPv6: the IPv4 request's netmask is no prefix length.
        let mut v = nla(svc_attr::AF, &AF_INET6.to_ne_bytes());
        v.extend_from_slice(&ipvsadm_svc("rr", 0, 0)[8..]);
        assert_eq!(decode_service(&v, true).unwrap_err(), err(errno::EINVAL, msg::NETMASK6));
        // An unknown family.
        let mut v = nla(svc_attr::AF, &7u16.to_ne_bytes());
        v.extend_from_slice(&ipvsadm_svc("rr", 0, 0)[8..]);
        assert_eq!(decode_service(&v, true).unwrap_err(), err(errno::EAFNOSUPPORT, msg::AF));
        // SCTP.
        let mut v = ipvsadm_svc("rr", 0, 0);
        v[12..14].copy_from_slice(&132u16.to_ne_bytes());
        assert_eq!(decode_service(&v, true).unwrap_err().errno, errno::EPROTONOSUPPORT);
        // Wrong length of PORT (3 bytes).
        let mut v = nla(svc_attr::AF, &AF_INET.to_ne_bytes());
        v.extend(nla(svc_attr::PROTOCOL, &IPPROTO_TCP.to_ne_bytes()));
        v.extend(nla(svc_attr::ADDR, &addr16([192, 0, 2, 100])));
        v.extend(nla(svc_attr::PORT, &[0, 80, 0]));
        assert_eq!(decode_service(&v, false).unwrap_err(), err(errno::EINVAL, msg::MALFORMED));
        // Unterminated scheduler name.
        let mut v = ipvsadm_svc("rr", 0, 0);
        let at = 8 + 8 + 20 + 8;
        v[at + 6] = b'x';
        assert_eq!(decode_service(&v, true).unwrap_err(), err(errno::EINVAL, msg::MALFORMED));
        // A persistence engine.
        let mut v = ipvsadm_svc("rr", 0, 0);
        v.extend(nla(svc_attr::PE_NAME, b"sip\0"));
        assert_eq!(decode_service(&v, true).unwrap_err(), err(errno::ENOENT, msg::PE));
        // Port 0 for a new service.
        let mut v = ipvsadm_svc("rr", 0, 0);
        v[8 + 8 + 20 + 4..8 + 8 + 20 + 6].copy_from_slice(&[0, 0]);
        assert_eq!(decode_service(&v, true).unwrap_err(), err(errno::EINVAL, msg::PORT_ZERO));
    }

    #[test]
    fn flags() {
        let f = decode_service(&ipvsadm_svc("rr", svc_flags::PERSISTENT | svc_flags::SYNPROXY | svc_flags::HASHED, 300), true)
            .unwrap()
            .full
            .unwrap();
        assert_eq!(merge_flags(0, &f), Ok(svc_flags::PERSISTENT | svc_flags::SYNPROXY));
        let mut g = f;
        g.timeout = 0;
        assert_eq!(merge_flags(0, &g).unwrap_err(), err(errno::ERANGE, msg::PERSIST_TIMEOUT));
        g.flags = svc_flags::ONEPACKET;
        assert_eq!(merge_flags(0, &g).unwrap_err().errno, errno::EOPNOTSUPP);
        // Only the masked bits change.
        g.flags = 0;
        g.mask = svc_flags::SCHED1;
        assert_eq!(merge_flags(svc_flags::SYNPROXY | svc_flags::SCHED1, &g), Ok(svc_flags::SYNPROXY));
    }

    #[test]
    fn dest() {
        let d = decode_dest(&ipvsadm_dest(fwd::MASQ, 3, 0, 0), true, Family::V4).unwrap();
        assert_eq!((d.addr, d.port), (Addr::v4(0xc633_640b), 8080));
        assert_eq!(d.full.unwrap(), DestFull { fwd: 0, weight: 3, u_thresh: 0, l_thresh: 0, tun: Tunnel::default() });
        assert_eq!(decode_dest(&ipvsadm_dest(fwd::FULLNAT, 0, 10, 5), true, Family::V4).unwrap().full.unwrap().fwd, 5);
        assert_eq!(decode_dest(&ipvsadm_dest(fwd::DROUTE, 1, 0, 0), true, Family::V4).unwrap().full.unwrap().fwd, fwd::DROUTE);
        assert_eq!(decode_dest(&ipvsadm_dest(fwd::LOCALNODE, 1, 0, 0), true, Family::V4).unwrap_err(), err(errno::EOPNOTSUPP, msg::FWD));
        assert_eq!(decode_dest(&ipvsadm_dest(fwd::TUNNEL, 1, 0, 0), true, Family::V4).unwrap().full.unwrap().fwd, fwd::TUNNEL);
        // Tunnel types: IPIP, GUE (with a port; no remote checksum
        // offload) and GRE, with their port and flags as given; others
        // invalid; another method's are kept, checked for range only.
        let with_tun = |f: u32, t: u8, port: u16, flags: u16| {
            let mut v = ipvsadm_dest(f, 1, 0, 0);
            let at = v.windows(4).position(|w| w == [5, 0, dest_attr::TUN_TYPE as u8, 0]).unwrap();
            v[at + 4] = t;
            let at = v.windows(4).position(|w| w == [6, 0, dest_attr::TUN_PORT as u8, 0]).unwrap();
            v[at + 4..at + 6].copy_from_slice(&port.to_be_bytes());
            let at = v.windows(4).position(|w| w == [6, 0, dest_attr::TUN_FLAGS as u8, 0]).unwrap();
            v[at + 4..at + 6].copy_from_slice(&flags.to_ne_bytes());
            decode_dest(&v, true, Family::V4).map(|d| d.full.unwrap().tun)
        };
        assert_eq!(with_tun(fwd::TUNNEL, tun_type::GUE, 6080, tun_flags::CSUM), Ok(Tunnel { kind: tun_type::GUE, port: 6080, flags: tun_flags::CSUM }));
        assert_eq!(with_tun(fwd::TUNNEL, tun_type::GRE, 0, 0), Ok(Tunnel { kind: tun_type::GRE, port: 0, flags: 0 }));
        assert_eq!(with_tun(fwd::TUNNEL, tun_type::GUE, 0, 0).unwrap_err(), err(errno::EINVAL, msg::TUN_PORT_ZERO));
        assert_eq!(with_tun(fwd::TUNNEL, tun_type::GUE, 6080, tun_flags::REMCSUM).unwrap_err(), err(errno::EOPNOTSUPP, msg::TUN_REMCSUM));
        assert_eq!(with_tun(fwd::TUNNEL, 3, 0, 0).unwrap_err(), err(errno::EINVAL, msg::TUN_TYPE_RANGE));
        assert_eq!(with_tun(fwd::DROUTE, tun_type::GUE, 0, 0), Ok(Tunnel { kind: tun_type::GUE, port: 0, flags: 0 }));
        assert_eq!(with_tun(fwd::DROUTE, 3, 0, 0).unwrap_err(), err(errno::EINVAL, msg::TUN_TYPE_RANGE));
        assert_eq!(decode_dest(&ipvsadm_dest(8, 1, 0, 0), true, Family::V4).unwrap_err(), err(errno::EINVAL, msg::FWD_RANGE));
        assert_eq!(decode_dest(&ipvsadm_dest(0, 65536, 0, 0), true, Family::V4).unwrap_err(), err(errno::ERANGE, msg::WEIGHT));
        assert_eq!(decode_dest(&ipvsadm_dest(0, 1, 5, 6), true, Family::V4).unwrap_err(), err(errno::ERANGE, msg::THRESH));
        // Identity only for DEL_DEST; missing fields for NEW_DEST.
        let v = ipvsadm_dest(0, 1, 0, 0)[..8 + 20 + 8].to_vec();
        assert!(decode_dest(&v, false, Family::V4).unwrap().full.is_none());
        assert_eq!(decode_dest(&v, true, Family::V4).unwrap_err(), err(errno::EINVAL, msg::DEST_FULL));
        assert_eq!(decode_dest(&v[8..28], false, Family::V4).unwrap_err(), err(errno::EINVAL, msg::DEST_ID));
        // ADDR_FAMILY says IPv6: the 16 bytes are an IPv6 address.
        let mut v = ipvsadm_dest(0, 1, 0, 0);
        v[4..6].copy_from_slice(&AF_INET6.to_ne_bytes());
        let a6 = Addr::v6([198, 51, 100, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(decode_dest(&v, true, Family::V4).unwrap().addr, a6);
        v[4..6].copy_from_slice(&9u16.to_ne_bytes());
        assert_eq!(decode_dest(&v, true, Family::V4).unwrap_err(), err(errno::EAFNOSUPPORT, msg::AF));
    }

    /// A service request as ipvsadm 1.31 sends `-A -t [2001:db8::100]:80
    /// -s rr [-p T -M PLEN]`.
    fn ipvsadm_svc6(plen: u32, timeout: u32) -> Vec<u8> {
        let mut v = nla(svc_attr::AF, &AF_INET6.to_ne_bytes());
        v.extend(nla(svc_attr::PROTOCOL, &IPPROTO_TCP.to_ne_bytes()));
        v.extend(nla(svc_attr::ADDR, &V6VIP));
        v.extend(nla(svc_attr::PORT, &80u16.to_be_bytes()));
        v.extend(nla(svc_attr::SCHED_NAME, b"rr\0"));
        let mut fl = 0u32.to_ne_bytes().to_vec();
        fl.extend(u32::MAX.to_ne_bytes());
        v.extend(nla(svc_attr::FLAGS, &fl));
        v.extend(nla(svc_attr::TIMEOUT, &timeout.to_ne_bytes()));
        v.extend(nla(svc_attr::NETMASK, &plen.to_ne_bytes()));
        v
    }

    const V6VIP: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00];

    #[test]
    fn ipv6_service_dest_laddr() {
        let s = decode_service(&ipvsadm_svc6(64, 300), true).unwrap();
        assert_eq!(s.key.addr, Addr::v6(V6VIP));
        assert_eq!(s.key.addr.family(), Family::V6);
        assert_eq!(s.full.unwrap().netmask, 64);
        assert_eq!(decode_service(&ipvsadm_svc6(128, 0), true).unwrap().full.unwrap().netmask, 128);
        for bad in [0, 129, u32::MAX] {
            assert_eq!(decode_service(&ipvsadm_svc6(bad, 0), true).unwrap_err(), err(errno::EINVAL, msg::NETMASK6));
        }
        // A short IPv6 address, a mapped one, the unspecified one.
        let mut v = ipvsadm_svc6(128, 0);
        let at = v.windows(16).position(|w| w == V6VIP).unwrap();
        let mut short = v[..at - 4].to_vec();
        short.extend(nla(svc_attr::ADDR, &V6VIP[..4]));
        short.extend_from_slice(&v[at + 16..]);
        assert_eq!(decode_service(&short, false).unwrap_err(), err(errno::EINVAL, msg::ADDR6_LEN));
        v[at..at + 16].copy_from_slice(Addr::v4(0xc000_0264).octets());
        assert_eq!(decode_service(&v, false).unwrap_err(), err(errno::EINVAL, msg::ADDR_MAPPED));
        v[at..at + 16].copy_from_slice(&[0; 16]);
        assert_eq!(decode_service(&v, true).unwrap_err(), err(errno::EINVAL, msg::ADDR_ZERO));
        // A real server without ADDR_FAMILY is of the service's family;
        // with it, of its own (NAT64: an IPv4 server behind an IPv6 VIP).
        let rs6 = Addr::parse(b"2001:db8:1::11").unwrap();
        let mut d = nla(dest_attr::ADDR, rs6.octets());
        d.extend(nla(dest_attr::PORT, &8080u16.to_be_bytes()));
        assert_eq!(decode_dest(&d, false, Family::V6).unwrap().addr, rs6);
        assert_eq!(decode_dest(&d, false, Family::V4).unwrap().addr, Addr::v4_bytes([0x20, 0x01, 0x0d, 0xb8]));
        let v4 = ipvsadm_dest(fwd::FULLNAT, 1, 0, 0);
        assert_eq!(decode_dest(&v4, true, Family::V6).unwrap().addr, Addr::v4(0xc633_640b));
        // Local addresses take the service's family, or ADDR_FAMILY's.
        let l = nla(laddr_attr::ADDR, rs6.octets());
        assert_eq!(decode_laddr(&l, Family::V6), Ok(rs6));
        let mut l4 = nla(laddr_attr::ADDR, &[198, 51, 100, 201, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        l4.extend(nla(laddr_attr::ADDR_FAMILY, &2u16.to_ne_bytes()));
        assert_eq!(decode_laddr(&l4, Family::V6), Ok(Addr::v4_bytes([198, 51, 100, 201])));
        let mut bad = nla(laddr_attr::ADDR, rs6.octets());
        bad.extend(nla(laddr_attr::ADDR_FAMILY, &7u16.to_ne_bytes()));
        assert_eq!(decode_laddr(&bad, Family::V6).unwrap_err(), err(errno::EAFNOSUPPORT, msg::AF));
        let mut odd = nla(laddr_attr::ADDR, rs6.octets());
        odd.extend(nla(laddr_attr::ADDR_FAMILY, &[10u8]));
        assert_eq!(decode_laddr(&odd, Family::V6).unwrap_err(), err(errno::EINVAL, msg::MALFORMED));
        assert_eq!(decode_laddr(&nla(laddr_attr::ADDR, &rs6.octets()[..8]), Family::V6).unwrap_err(), err(errno::EINVAL, msg::ADDR6_LEN));
        // Replies carry the family and the nf_inet_addr layout.
        let mut buf = [0u8; 2048];
        let mut e = Enc::new(&mut buf);
        let key = decode_service(&ipvsadm_svc6(64, 300), true).unwrap().key;
        encode_service(&mut e, &SvcInfo { key, sched: "rr", flags: 0, timeout: 300, netmask: 64, stats: StatsInfo::default() }).unwrap();
        let d6 = DestInfo { addr: rs6, port: 8080, ..Default::default() };
        encode_dest(&mut e, &d6).unwrap();
        let c = decode_cmd(e.bytes()).unwrap();
        let back = decode_service(c.service.unwrap(), true).unwrap();
        assert_eq!((back.key, back.full.unwrap().netmask), (key, 64));
        assert_eq!(decode_dest(c.dest.unwrap(), false, Family::V4).unwrap().addr, rs6);
    }

    #[test]
    fn laddr_and_cmd() {
        let l = nla(laddr_attr::ADDR, &addr16([198, 51, 100, 201]));
        assert_eq!(decode_laddr(&l, Family::V4), Ok(Addr::v4(0xc633_64c9)));
        assert_eq!(decode_laddr(&[], Family::V4).unwrap_err(), err(errno::EINVAL, msg::LADDR_ID));
        assert_eq!(decode_laddr(&nla(laddr_attr::ADDR, &[0; 16]), Family::V4).unwrap_err().errno, errno::EINVAL);
        let mut m = nla(cmd_attr::SERVICE, &ipvsadm_svc("rr", 0, 0));
        m.extend(nla(cmd_attr::LADDR, &l));
        m.extend(nla(cmd_attr::TIMEOUT_UDP, &5u32.to_ne_bytes()));
        let c = decode_cmd(&m).unwrap();
        assert!(c.service.is_some() && c.laddr.is_some() && c.dest.is_none());
        assert_eq!(c.timeout_udp, Some(5));
        assert_eq!(decode_cmd(&nla(8, &[])).unwrap_err(), err(errno::EINVAL, msg::UNKNOWN_ATTR));
        assert_eq!(decode_cmd(&nla(0, &[])).unwrap_err(), err(errno::EINVAL, msg::UNKNOWN_ATTR));
        assert_eq!(decode_cmd(&nla(cmd_attr::TIMEOUT_TCP, &[1, 2])).unwrap_err(), err(errno::EINVAL, msg::MALFORMED));
        assert_eq!(check_timeout(Some(0)), Ok(None));
        assert_eq!(check_timeout(Some(900)), Ok(Some(900)));
        assert_eq!(check_timeout(Some(86401)).unwrap_err().errno, errno::ERANGE);
    }

    #[test]
    fn truncation() {
        let m = nla(cmd_attr::SERVICE, &ipvsadm_svc("rr", 0, 0));
        for n in 1..m.len() {
            // Any cut either parses (on an attribute boundary) or fails; never panics.
            let _ = decode_cmd(&m[..n]);
        }
        assert_eq!(decode_cmd(&m[..3]).unwrap_err(), err(errno::EINVAL, msg::MALFORMED));
        assert_eq!(decode_cmd(&m[..m.len() - 4]).unwrap_err(), err(errno::EINVAL, msg::MALFORMED));
        // Length field below the header size.
        assert_eq!(decode_cmd(&[2, 0, 1, 0]).unwrap_err(), err(errno::EINVAL, msg::MALFORMED));
    }

    #[test]
    fn random_input_never_panics() {
        let mut x: u64 = 0x1234_5678_9abc_def0;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let base = nla(cmd_attr::SERVICE, &ipvsadm_svc("rr", 1, 300));
        for _ in 0..20000 {
            let mut v = base.clone();
            let k = next() % 6;
            for _ in 0..=k {
                let i = (next() as usize) % v.len();
                v[i] = next() as u8;
            }
            let n = (next() as usize) % (v.len() + 1);
            v.truncate(n);
            if let Ok(c) = decode_cmd(&v) {
                if let Some(s) = c.service {
                    let _ = decode_service(s, true);
                    let _ = decode_service(s, false);
                    let _ = decode_dest(s, true, Family::V4);
                    let _ = decode_laddr(s, Family::V4);
                    let _ = decode_laddr(s, Family::V6);
                    let _ = decode_dest(s, true, Family::V6);
                }
            }
        }
    }

    #[test]
    fn encode_round_trip() {
        let mut buf = [0u8; 512];
        let mut e = Enc::new(&mut buf);
        let st = StatsInfo { conns: 5, inpkts: 1 << 33, inbytes: 1 << 40, ..Default::default() };
        encode_service(&mut e, &SvcInfo { key: KEY, sched: "wlc", flags: 3, timeout: 300, netmask: 0xffff_ff00, stats: st }).unwrap();
        let c = decode_cmd(e.bytes()).unwrap();
        let svc = c.service.unwrap();
        assert_eq!(decode_service(svc, false).unwrap().key, KEY);
        let mut t = [None; svc_attr::MAX as usize + 1];
        parse(svc, &mut t).unwrap();
        assert_eq!(t[svc_attr::SCHED_NAME as usize].unwrap(), b"wlc\0");
        assert_eq!(get_be32(t[svc_attr::NETMASK as usize].unwrap()), Ok(0xffff_ff00));
        let mut s = [None; 12];
        parse(t[svc_attr::STATS as usize].unwrap(), &mut s).unwrap();
        assert_eq!(get_u32(s[stats_attr::INPKTS as usize].unwrap()), Ok(0)); // truncated, as upstream
        assert_eq!(s[stats_attr::INBYTES as usize].unwrap(), &(1u64 << 40).to_ne_bytes());
        parse(t[svc_attr::STATS64 as usize].unwrap(), &mut s).unwrap();
        assert_eq!(s[stats_attr::INPKTS as usize].unwrap(), &(1u64 << 33).to_ne_bytes());

        let mut e = Enc::new(&mut buf);
        let d = DestInfo { addr: Addr::v4(0xc633_640b), port: 8080, fwd: fwd::MASQ, weight: 2, active: 1, ..Default::default() };
        encode_dest(&mut e, &d).unwrap();
        let c = decode_cmd(e.bytes()).unwrap();
        let ds = decode_dest(c.dest.unwrap(), false, Family::V4).unwrap();
        assert_eq!((ds.addr, ds.port), (d.addr, d.port));

        let mut e = Enc::new(&mut buf);
        encode_laddr(&mut e, &KEY, &Addr::v4(0xc633_64c9), 7, 3).unwrap();
        let c = decode_cmd(e.bytes()).unwrap();
        assert_eq!(decode_service(c.service.unwrap(), false).unwrap().key, KEY);
        assert_eq!(decode_laddr(c.laddr.unwrap(), Family::V4), Ok(Addr::v4(0xc633_64c9)));

        let mut e = Enc::new(&mut buf);
        encode_config(&mut e, 900, 120, 300).unwrap();
        let c = decode_cmd(e.bytes()).unwrap();
        assert_eq!((c.timeout_tcp, c.timeout_tcp_fin, c.timeout_udp), (Some(900), Some(120), Some(300)));

        // A buffer too small says so, never panics.
        let mut small = [0u8; 100];
        let mut e = Enc::new(&mut small);
        assert_eq!(encode_dest(&mut e, &d), Err(Full));
        let mut tiny = [0u8; 2];
        assert_eq!(Enc::new(&mut tiny).u32(1, 1), Err(Full));
    }
}
