// SPDX-License-Identifier: GPL-2.0
//! TOA, the TCP option that carries the client's address to the real server.
//!
//! Wire format (Alibaba; DPVS for the IPv6 variant with kind 254):
//! IPv4 `kind 254, len 8, be16 port, be32 addr`;
//! IPv6 `kind 253, len 20, be16 port, 16-byte addr` (DPVS: kind 254, len 20).
//! The director encodes it, toa.ko decodes it: one codec for both.

use super::csum::{self, FieldState};
use super::tcpopt::{self, OptError};

/// Option kind of the IPv4 TOA (and DPVS's IPv6 TOA).
pub const KIND_V4: u8 = 254;
/// Option kind of Alibaba's IPv6 TOA.
pub const KIND_V6: u8 = 253;
/// Length of the IPv4 TOA.
pub const LEN_V4: usize = 8;
/// Length of the IPv6 TOA.
pub const LEN_V6: usize = 20;

/// A client address and port as carried in TOA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAddr {
    /// IPv4 address and port.
    V4 {
        /// Address bytes in network order.
        addr: [u8; 4],
        /// Port in host order.
        port: u16,
    },
    /// IPv6 address and port.
    V6 {
        /// Address bytes in network order.
        addr: [u8; 16],
        /// Port in host order.
        port: u16,
    },
}

impl ClientAddr {
    /// The option length this address needs.
    pub const fn option_len(&self) -> usize {
        match self {
            ClientAddr::V4 { .. } => LEN_V4,
            ClientAddr::V6 { .. } => LEN_V6,
        }
    }

    /// The port, in host order.
    pub const fn port(&self) -> u16 {
        match self {
            ClientAddr::V4 { port, .. } | ClientAddr::V6 { port, .. } => *port,
        }
    }
}

/// Encodes the IPv4 option.
pub const fn encode_v4(addr: [u8; 4], port: u16) -> [u8; LEN_V4] {
    let p = port.to_be_bytes();
    [KIND_V4, LEN_V4 as u8, p[0], p[1], addr[0], addr[1], addr[2], addr[3]]
}

/// Encodes `a` into the front of `out`; returns the bytes written, or `None`
/// if `out` is too short.
pub fn encode(a: &ClientAddr, out: &mut [u8]) -> Option<usize> {
    let n = a.option_len();
    let out = out.get_mut(..n)?;
    match a {
        ClientAddr::V4 { addr, port } => out.copy_from_slice(&encode_v4(*addr, *port)),
        ClientAddr::V6 { addr, port } => {
            out[0] = KIND_V6;
            out[1] = LEN_V6 as u8;
            out[2..4].copy_from_slice(&port.to_be_bytes());
            out[4..].copy_from_slice(addr);
        }
    }
    Some(n)
}

/// Decodes one option whose kind and length bytes are at `b[0]`, `b[1]`.
pub fn decode(b: &[u8]) -> Option<ClientAddr> {
    let port = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
    match (b[0], b[1] as usize) {
        (KIND_V4, LEN_V4) if b.len() >= LEN_V4 => Some(ClientAddr::V4 { addr: [b[4], b[5], b[6], b[7]], port }),
        (KIND_V6 | KIND_V4, LEN_V6) if b.len() >= LEN_V6 => {
            let mut addr = [0u8; 16];
            addr.copy_from_slice(&b[4..20]);
            Some(ClientAddr::V6 { addr, port })
        }
        _ => None,
    }
}

/// Finds a TOA in an option area. A malformed area is an error; an area
/// without TOA is `Ok(None)`.
pub fn find(opts: &[u8]) -> Result<Option<ClientAddr>, OptError> {
    for o in tcpopt::iter(opts) {
        let o = o?;
        if o.kind == KIND_V4 || o.kind == KIND_V6 {
            if let Some(a) = decode(&opts[o.off..o.off + o.len]) {
                return Ok(Some(a));
            }
        }
    }
    Ok(None)
}

/// Overwrites with NOPs every TOA in the option area `opts` (a client's
/// own, which the real server would otherwise take for the director's),
/// keeping the TCP checksum `check` (held in `state`) right. Returns how
/// many there were. Other uses of kind 254 (RFC 6994 experiments, other
/// lengths) are left alone.
pub fn neutralize(opts: &mut [u8], check: &mut u16, state: FieldState) -> Result<usize, OptError> {
    // Collect first: the edits need the buffer mutably. At most 40 / 8.
    let mut found = [(0usize, 0usize); tcpopt::MAX_OPT_LEN / LEN_V4];
    let mut n = 0;
    for o in tcpopt::iter(opts) {
        let o = o?;
        if (o.kind == KIND_V4 || o.kind == KIND_V6) && n < found.len() && decode(&opts[o.off..o.off + o.len]).is_some() {
            found[n] = (o.off, o.len);
            n += 1;
        }
    }
    for &(off, len) in &found[..n] {
        tcpopt::write(opts, off, &[tcpopt::NOP; LEN_V6][..len], check, state);
    }
    Ok(n)
}

/// The network header in front of the TCP header that a TOA is inserted
/// after: where its length field is, and how long it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetHdr {
    /// IPv4, `ihl` bytes: total length and header checksum to grow.
    V4 {
        /// Header length.
        ihl: usize,
    },
    /// IPv6 with its extension headers, `l4_off` bytes (at least 40): the
    /// payload length to grow.
    V6 {
        /// Offset of the TCP header.
        l4_off: usize,
    },
}

impl NetHdr {
    const fn len(self) -> usize {
        match self {
            NetHdr::V4 { ihl } => ihl,
            NetHdr::V6 { l4_off } => l4_off,
        }
    }
}

/// The IPv6 option of kind `kind` (253 or 254, see [`v6_kind_valid`]).
pub fn encode_v6(kind: u8, addr: [u8; 16], port: u16) -> Option<[u8; LEN_V6]> {
    if !v6_kind_valid(kind) {
        return None;
    }
    let mut opt = [0u8; LEN_V6];
    encode(&ClientAddr::V6 { addr, port }, &mut opt)?;
    opt[0] = kind;
    Some(opt)
}

/// Fills in a TOA `opt` (an encoded option of 8 or 20 bytes) inserted
/// right after a TCP header: `pkt` holds the network header `net`, the
/// TCP header as it was (`doff` bytes), then `opt.len()` bytes of room the
/// caller has already made (moving the headers toward the head). Any TOA
/// already in the options (a client's own, which would pass for ours) is
/// blanked first. Grows the network header's length, and the data offset,
/// keeping the checksums right (`state` as the TCP checksum field is
/// held). The option's format and the network header's family are
/// independent: a NAT64 connection carries an IPv6 client's address in
/// IPv4 segments. Returns `false`, changing nothing, if the option area
/// would pass 40 bytes, the option's length is not a multiple of 4, or
/// `pkt` is short.
pub fn insert(pkt: &mut [u8], net: NetHdr, doff: usize, opt: &[u8], state: FieldState) -> bool {
    let (l4_off, n) = (net.len(), opt.len());
    if n % 4 != 0 || doff < 20 || doff + n > 60 || pkt.len() < l4_off + doff + n || matches!(net, NetHdr::V6 { l4_off } if l4_off < 40) {
        return false;
    }
    // The segment's length before the option, from the network header.
    let l4_old = match net {
        NetHdr::V4 { ihl } => u16::from_be_bytes([pkt[2], pkt[3]]).checked_sub(ihl as u16),
        NetHdr::V6 { l4_off } => u16::from_be_bytes([pkt[4], pkt[5]]).checked_sub(l4_off as u16 - 40),
    };
    let Some(l4_old) = l4_old.filter(|&l| l as usize >= doff && l as usize + n <= 0xffff - l4_off) else { return false };
    // A TOA the client put there itself would pass for ours: gone first.
    // (The options were validated by the caller; if not, the real server
    // finds the area malformed and takes no TOA from it either.)
    let mut c0 = u16::from_be_bytes([pkt[l4_off + 16], pkt[l4_off + 17]]);
    if neutralize(&mut pkt[l4_off + 20..l4_off + doff], &mut c0, state).is_ok_and(|k| k > 0) {
        pkt[l4_off + 16..l4_off + 18].copy_from_slice(&c0.to_be_bytes());
    }
    pkt[l4_off + doff..l4_off + doff + n].copy_from_slice(opt);
    match net {
        NetHdr::V4 { .. } => {
            let tot = u16::from_be_bytes([pkt[2], pkt[3]]);
            let new_tot = tot + n as u16;
            let ipc = csum::replace16(u16::from_be_bytes([pkt[10], pkt[11]]), tot, new_tot);
            pkt[2..4].copy_from_slice(&new_tot.to_be_bytes());
            pkt[10..12].copy_from_slice(&ipc.to_be_bytes());
        }
        NetHdr::V6 { .. } => {
            // No header checksum in IPv6.
            let plen = u16::from_be_bytes([pkt[4], pkt[5]]) + n as u16;
            pkt[4..6].copy_from_slice(&plen.to_be_bytes());
        }
    }
    // TCP: data offset, then the checksum over the longer segment (the
    // pseudo-header's length grows by as much).
    let tcp = &mut pkt[l4_off..];
    let mut c = u16::from_be_bytes([tcp[16], tcp[17]]);
    let old_w = u16::from_be_bytes([tcp[12], tcp[13]]);
    tcp[12] += (n as u8 / 4) << 4;
    let new_w = u16::from_be_bytes([tcp[12], tcp[13]]);
    c = csum::update16(state, c, old_w, new_w, false);
    c = csum::update16(state, c, l4_old, l4_old + n as u16, true);
    for w in opt.chunks_exact(2) {
        // The option's words join the sum (they replace nothing: zero).
        c = csum::update16(state, c, 0, u16::from_be_bytes([w[0], w[1]]), false);
    }
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    true
}

/// Fills in an IPv4 TOA inserted right after the TCP header of an IPv4
/// packet ([`insert`] with [`encode_v4`]'s option).
pub fn insert_v4(pkt: &mut [u8], ihl: usize, doff: usize, a: [u8; 4], port: u16, state: FieldState) -> bool {
    insert(pkt, NetHdr::V4 { ihl }, doff, &encode_v4(a, port), state)
}

/// The kind an IPv6 TOA is sent with: DPVS's 254 (the IPv4 kind, told
/// apart by its length 20), rvs's default, or Alibaba's 253.
pub const fn v6_kind_valid(kind: u8) -> bool {
    kind == KIND_V4 || kind == KIND_V6
}

/// Fills in an IPv6 TOA (kind `kind`, length 20) inserted right after the
/// TCP header of an IPv6 packet ([`insert`] with [`encode_v6`]'s option).
/// `false`, changing nothing, also for a `kind` that is no TOA kind.
pub fn insert_v6(pkt: &mut [u8], l4_off: usize, doff: usize, kind: u8, a: [u8; 16], port: u16, state: FieldState) -> bool {
    match encode_v6(kind, a, port) {
        Some(opt) => insert(pkt, NetHdr::V6 { l4_off }, doff, &opt, state),
        None => false,
    }
}

/// Address family numbers as Linux lays out `sockaddr` (native-endian u16).
pub const AF_INET: u16 = 2;
/// See [`AF_INET`].
pub const AF_INET6: u16 = 10;

/// An address and port as toa.ko keeps a peer: the address in the IPv6
/// form (an IPv4 address as `::ffff:a.b.c.d`, [`v4_mapped`]), the port in
/// host order.
pub type Peer = ([u8; 16], u16);

/// What toa.ko does with a peer address the kernel has just written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rewrite {
    /// The client's address and port replaced the kernel's.
    Done,
    /// The address is not the one the handshake came from (another
    /// program's rewrite, or a record that outlived its socket): untouched.
    Mismatch,
    /// The client's address does not fit the socket's family (IPv6 client,
    /// IPv4 socket) or the buffer is not a sockaddr we know: untouched.
    Unusable,
}

/// Replaces the peer address in `sa`, the `sockaddr_in` or `sockaddr_in6`
/// (as many bytes as the kernel's getname wrote) of a connection whose
/// handshake-completing segment came from `seen` (the director's local
/// address and port; an IPv4 one in its mapped form) and carried `client`
/// in TOA. An IPv6 socket sees an IPv4 client as `::ffff:a.b.c.d`, and an
/// IPv6 client (native IPv6, or NAT64 on a dual-stack socket) as itself; an
/// IPv4 socket cannot show an IPv6 client ([`client6`] gives it instead).
/// Port and addresses in `sa` are in network order, the family in native
/// order, as the kernel writes them.
pub fn rewrite_peer(sa: &mut [u8], seen: Peer, client: ClientAddr) -> Rewrite {
    if sa.len() < 2 {
        return Rewrite::Unusable;
    }
    let seen_port = seen.1.to_be_bytes();
    match u16::from_ne_bytes([sa[0], sa[1]]) {
        AF_INET if sa.len() >= 8 => {
            if sa[2..4] != seen_port || !is_v4_mapped(&seen.0) || sa[4..8] != seen.0[12..16] {
                return Rewrite::Mismatch;
            }
            let ClientAddr::V4 { addr, port } = client else {
                return Rewrite::Unusable;
            };
            sa[2..4].copy_from_slice(&port.to_be_bytes());
            sa[4..8].copy_from_slice(&addr);
            Rewrite::Done
        }
        AF_INET6 if sa.len() >= 24 => {
            if sa[2..4] != seen_port || sa[8..24] != seen.0 {
                return Rewrite::Mismatch;
            }
            sa[2..4].copy_from_slice(&client.port().to_be_bytes());
            sa[8..24].copy_from_slice(&client_v6_form(client));
            Rewrite::Done
        }
        _ => Rewrite::Unusable,
    }
}

/// The client's address as an IPv6 socket shows it.
const fn client_v6_form(client: ClientAddr) -> [u8; 16] {
    match client {
        ClientAddr::V4 { addr, .. } => v4_mapped(addr),
        ClientAddr::V6 { addr, .. } => addr,
    }
}

/// `::ffff:a.b.c.d`.
pub const fn v4_mapped(a: [u8; 4]) -> [u8; 16] {
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a[0], a[1], a[2], a[3]]
}

/// Whether `a` is of the form `::ffff:a.b.c.d`.
pub fn is_v4_mapped(a: &[u8; 16]) -> bool {
    a[..12] == v4_mapped([0; 4])[..12]
}

// --- getsockopt: the IPv6 client of any TCP socket -----------------------
//
// An IPv4 socket cannot hold an IPv6 address, so when an IPv4 connection
// carried an IPv6 client in TOA (a NAT64 director), getpeername() on an
// AF_INET socket still shows the director. toa.ko answers this instead, on
// every TCP socket of either family:
//
//     struct sockaddr_in6 sin6;
//     socklen_t len = sizeof(sin6);
//     getsockopt(fd, IPPROTO_IP, TOA_SO_GET_CLIENT6, &sin6, &len);
//     /* AF_INET6 sockets may also use level IPPROTO_IPV6 */
//
// 0: `sin6` holds the client's IPv6 address and port from TOA (family
// AF_INET6, flow info and scope id 0) and `len` is 28. Errors: EINVAL
// when `len` is under 28; ENOENT when the connection carried no IPv6
// client (no TOA, an IPv4 one, which getpeername() already shows, or a
// socket toa.ko did not see being made); ENOPROTOOPT when toa.ko is not
// loaded. The numbers are toa.ko's own, through netfilter's sockopt
// registry (nf_register_sockopt), which refuses overlapping ranges, above
// every range the kernel's netfilter uses (64..), IPVS's (1152..) and
// DPVS's TOA (4096..).

/// Option number of getsockopt(IPPROTO_IP or IPPROTO_IPV6, ...) returning
/// the connection's IPv6 client as a `struct sockaddr_in6`.
pub const SO_GET_CLIENT6: i32 = 0x7200;
/// First and one past the last option number toa.ko registers (only
/// getsockopt; no setsockopt).
pub const SO_RANGE: (i32, i32) = (SO_GET_CLIENT6, SO_GET_CLIENT6 + 1);
/// Size of Linux's `struct sockaddr_in6`.
pub const SOCKADDR_IN6_LEN: usize = 28;

/// Why [`client6`] gives no address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client6Error {
    /// The caller's buffer is shorter than a `sockaddr_in6` (EINVAL).
    ShortBuffer,
    /// No IPv6 client for this socket (ENOENT).
    NoEntry,
}

/// Linux's `struct sockaddr_in6` of `addr`, `port` (host order): family in
/// native order, port in network order, flow info and scope id 0.
pub fn sockaddr_in6(addr: [u8; 16], port: u16) -> [u8; SOCKADDR_IN6_LEN] {
    let mut b = [0u8; SOCKADDR_IN6_LEN];
    b[..2].copy_from_slice(&AF_INET6.to_ne_bytes());
    b[2..4].copy_from_slice(&port.to_be_bytes());
    b[8..24].copy_from_slice(&addr);
    b
}

/// The answer to getsockopt([`SO_GET_CLIENT6`]) with a buffer of `len`
/// bytes, on a socket whose peer is now `peer` and whose record (if any) is
/// `rec` (the handshake's source, the client from TOA). As with
/// [`rewrite_peer`], a record is believed only while the socket's peer is
/// still the handshake's source.
pub fn client6(len: i32, rec: Option<(Peer, ClientAddr)>, peer: Peer) -> Result<[u8; SOCKADDR_IN6_LEN], Client6Error> {
    if len < SOCKADDR_IN6_LEN as i32 {
        return Err(Client6Error::ShortBuffer);
    }
    match rec {
        Some((seen, ClientAddr::V6 { addr, port })) if seen == peer => Ok(sockaddr_in6(addr, port)),
        _ => Err(Client6Error::NoEntry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_v6_keeps_checksum_and_data() {
        use crate::ipv6::testpkt::{tcp_v6, verifies_v6};
        let client = [0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        let (laddr, rs) = ([0x20, 1, 0xd, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1], [0x20, 1, 0xd, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11]);
        for (kind, opts) in [(KIND_V4, &[][..]), (KIND_V6, &[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2][..])] {
            let p = tcp_v6(laddr, rs, 5000, 8080, 0x18, opts, b"GET / HTTP/1.0\r\n\r\n");
            let hl = 40 + 20 + opts.len();
            let mut q = p[..hl].to_vec();
            q.extend_from_slice(&[0xee; LEN_V6]);
            q.extend_from_slice(&p[hl..]);
            assert!(insert_v6(&mut q, 40, 20 + opts.len(), kind, client, 40000, FieldState::Full));
            assert!(verifies_v6(&q), "kind {kind}");
            let doff = ((q[40 + 12] >> 4) as usize) * 4;
            assert_eq!(doff, 20 + opts.len() + LEN_V6);
            assert_eq!(q[40 + 20 + opts.len()], kind);
            assert_eq!(find(&q[60..40 + doff]), Ok(Some(ClientAddr::V6 { addr: client, port: 40000 })));
            assert_eq!(&q[40 + doff..], b"GET / HTTP/1.0\r\n\r\n");
            assert_eq!(u16::from_be_bytes([q[4], q[5]]) as usize, q.len() - 40);
        }
        // No room past 40 bytes of options; no other kind.
        let p = tcp_v6(laddr, rs, 1, 2, 0x10, &[1u8; 24], b"");
        let mut q = p.clone();
        q.extend_from_slice(&[0; LEN_V6]);
        assert!(!insert_v6(&mut q, 40, 44, KIND_V4, client, 5, FieldState::Full));
        assert!(!insert_v6(&mut q, 40, 20, 99, client, 5, FieldState::Full));
    }

    #[test]
    fn insert_keeps_checksums_and_data() {
        use crate::packet::testpkt::{tcp_v4, verifies};
        for opts in [&[][..], &[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2][..]] {
            let p = tcp_v4([198, 51, 100, 201], [198, 51, 100, 11], 5000, 8080, 0x18, opts, b"GET / HTTP/1.0\r\n\r\n");
            let hl = 20 + 20 + opts.len();
            // Make room as the kernel side does: headers move 8 bytes to
            // the front, the payload stays.
            let mut q = p[..hl].to_vec();
            q.extend_from_slice(&[0xee; LEN_V4]);
            q.extend_from_slice(&p[hl..]);
            assert!(insert_v4(&mut q, 20, 20 + opts.len(), [192, 0, 2, 2], 40000, FieldState::Full));
            assert!(verifies(&q));
            let ip = crate::packet::parse_ipv4(&q, q.len()).unwrap();
            let t = crate::packet::parse_tcp(&q[20..], ip.tot_len - 20).unwrap();
            assert_eq!(t.doff, 20 + opts.len() + LEN_V4);
            assert_eq!(find(&q[40..20 + t.doff]), Ok(Some(ClientAddr::V4 { addr: [192, 0, 2, 2], port: 40000 })));
            assert_eq!(&q[20 + t.doff..], b"GET / HTTP/1.0\r\n\r\n");
        }
        // No room past 40 bytes of options.
        let full = [1u8; 36];
        let p = tcp_v4([1, 1, 1, 1], [2, 2, 2, 2], 1, 2, 0x10, &full, b"");
        let mut q = p.clone();
        q.extend_from_slice(&[0; 8]);
        assert!(!insert_v4(&mut q, 20, 56, [1, 2, 3, 4], 5, FieldState::Full));
        assert_eq!(&q[..p.len()], &p[..]);
    }

    #[test]
    fn insert_v6_client_in_v4_segment() {
        // NAT64: an IPv6 client's address in the IPv4 segment toward the
        // real server, with a client-written TOA blanked.
        use crate::packet::testpkt::{tcp_v4, verifies};
        let client = [0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        let opts = [1, 1, 254, 8, 0, 1, 203, 0, 113, 66, 1, 1];
        for kind in [KIND_V4, KIND_V6] {
            let p = tcp_v4([198, 51, 100, 201], [198, 51, 100, 11], 5000, 8080, 0x18, &opts, b"data");
            let hl = 20 + 20 + opts.len();
            let mut q = p[..hl].to_vec();
            q.extend_from_slice(&[0xee; LEN_V6]);
            q.extend_from_slice(&p[hl..]);
            let opt = encode_v6(kind, client, 40000).unwrap();
            assert!(insert(&mut q, NetHdr::V4 { ihl: 20 }, 20 + opts.len(), &opt, FieldState::Full));
            assert!(verifies(&q), "kind {kind}");
            let ip = crate::packet::parse_ipv4(&q, q.len()).unwrap();
            assert_eq!(ip.tot_len, q.len());
            let t = crate::packet::parse_tcp(&q[20..], ip.tot_len - 20).unwrap();
            assert_eq!(t.doff, 20 + opts.len() + LEN_V6);
            assert_eq!(&q[40..52], &[1u8; 12]);
            assert_eq!(find(&q[40..20 + t.doff]), Ok(Some(ClientAddr::V6 { addr: client, port: 40000 })));
            assert_eq!(&q[20 + t.doff..], b"data");
        }
        assert_eq!(encode_v6(7, client, 1), None);
        // An odd-sized option, or a short packet, changes nothing.
        let p = tcp_v4([1, 1, 1, 1], [2, 2, 2, 2], 1, 2, 0x10, &[], b"");
        let mut q = p.clone();
        q.extend_from_slice(&[0; LEN_V6]);
        assert!(!insert(&mut q, NetHdr::V4 { ihl: 20 }, 20, &[254, 6, 0, 0, 0, 0], FieldState::Full));
        assert!(!insert(&mut q[..50], NetHdr::V4 { ihl: 20 }, 20, &encode_v6(KIND_V6, client, 1).unwrap(), FieldState::Full));
        assert_eq!(&q[..p.len()], &p[..]);
    }

    #[test]
    fn insert_replaces_a_client_toa() {
        use crate::packet::testpkt::{tcp_v4, verifies};
        // The client claims to be 203.0.113.66:1 in its own option.
        let forged = [1, 1, 254, 8, 0, 1, 203, 0, 113, 66];
        let mut opts = forged.to_vec();
        opts.extend_from_slice(&[1, 1]);
        let p = tcp_v4([198, 51, 100, 201], [198, 51, 100, 11], 5000, 8080, 0x10, &opts, b"");
        let mut q = p.clone();
        q.extend_from_slice(&[0; LEN_V4]);
        assert!(insert_v4(&mut q, 20, 20 + opts.len(), [192, 0, 2, 2], 40000, FieldState::Full));
        assert!(verifies(&q));
        assert_eq!(&q[40..52], &[1u8; 12]);
        assert_eq!(find(&q[40..60]), Ok(Some(ClientAddr::V4 { addr: [192, 0, 2, 2], port: 40000 })));
    }

    #[test]
    fn neutralize_only_toa() {
        use crate::csum::checksum;
        let v6 = {
            let mut b = [0u8; 20];
            encode(&ClientAddr::V6 { addr: [0x20; 16], port: 9 }, &mut b).unwrap();
            b
        };
        let mut opts = vec![254, 4, 0x12, 0x34, 2, 4, 5, 0xb4];
        opts.extend_from_slice(&encode_v4([1, 2, 3, 4], 5));
        opts.extend_from_slice(&v6);
        let mut check = checksum(&opts);
        let mut o = opts.clone();
        assert_eq!(neutralize(&mut o, &mut check, FieldState::Full), Ok(2));
        assert_eq!(&o[..8], &opts[..8]); // the experiment and the MSS stay
        assert!(o[8..].iter().all(|&b| b == tcpopt::NOP));
        assert_eq!(check, checksum(&o));
        assert_eq!(find(&o), Ok(None));
        assert!(neutralize(&mut [254, 9], &mut check, FieldState::Full).is_err());
        assert_eq!(neutralize(&mut [], &mut check, FieldState::Full), Ok(0));
    }

    #[test]
    fn insert_partial_updates_length_only() {
        let mut pkt = vec![0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
        pkt.extend_from_slice(&[0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]);
        let pseudo = |len: u16| csum::fold(csum::pseudo_v4(0x0101_0101, 0x0202_0202, 6, len));
        pkt[36..38].copy_from_slice(&pseudo(20).to_be_bytes());
        pkt.extend_from_slice(&[0; 8]);
        assert!(insert_v4(&mut pkt, 20, 20, [9, 9, 9, 9], 9, FieldState::Partial));
        assert_eq!(u16::from_be_bytes([pkt[36], pkt[37]]), pseudo(28));
    }

    #[test]
    fn v4_roundtrip_and_layout() {
        let a = ClientAddr::V4 { addr: [192, 0, 2, 33], port: 40000 };
        let mut buf = [0u8; 40];
        assert_eq!(encode(&a, &mut buf), Some(8));
        assert_eq!(&buf[..8], &[254, 8, 0x9c, 0x40, 192, 0, 2, 33]);
        assert_eq!(decode(&buf[..8]), Some(a));
        assert_eq!(encode(&a, &mut buf[..7]), None);
    }

    #[test]
    fn v6_both_kinds() {
        let addr = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let a = ClientAddr::V6 { addr, port: 443 };
        let mut buf = [0u8; 20];
        encode(&a, &mut buf).unwrap();
        assert_eq!(buf[0], KIND_V6);
        assert_eq!(decode(&buf), Some(a));
        buf[0] = KIND_V4; // DPVS's numbering
        assert_eq!(decode(&buf), Some(a));
    }

    #[test]
    fn find_among_options() {
        let mut opts = [1u8, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 254, 8, 0, 80, 203, 0, 113, 9];
        assert_eq!(find(&opts), Ok(Some(ClientAddr::V4 { addr: [203, 0, 113, 9], port: 80 })));
        opts[12] = 30; // another experimental option, not TOA
        assert_eq!(find(&opts), Ok(None));
        opts[13] = 30;
        assert!(find(&opts).is_err());
        // A kind 254 of another length (RFC 6994 experiments) is not TOA.
        assert_eq!(find(&[254, 4, 0x12, 0x34]), Ok(None));
    }

    fn sin(addr: [u8; 4], port: u16) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..2].copy_from_slice(&AF_INET.to_ne_bytes());
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[4..8].copy_from_slice(&addr);
        b
    }

    fn sin6(addr: [u8; 16], port: u16) -> [u8; 28] {
        let mut b = [0u8; 28];
        b[..2].copy_from_slice(&AF_INET6.to_ne_bytes());
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[8..24].copy_from_slice(&addr);
        b
    }

    #[test]
    fn rewrite_v4_socket() {
        let laddr = ([198, 51, 100, 201], 5000);
        let seen = (v4_mapped(laddr.0), laddr.1);
        let c = ClientAddr::V4 { addr: [192, 0, 2, 2], port: 40000 };
        let mut b = sin(laddr.0, laddr.1);
        assert_eq!(rewrite_peer(&mut b, seen, c), Rewrite::Done);
        assert_eq!(b, sin([192, 0, 2, 2], 40000));
        // Already rewritten (or another address): left alone.
        assert_eq!(rewrite_peer(&mut b, seen, c), Rewrite::Mismatch);
        assert_eq!(b, sin([192, 0, 2, 2], 40000));
        let mut b = sin(laddr.0, 5001);
        assert_eq!(rewrite_peer(&mut b, seen, c), Rewrite::Mismatch);
        // An IPv6 client cannot be shown to an IPv4 socket.
        let mut b = sin(laddr.0, laddr.1);
        let c6 = ClientAddr::V6 { addr: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9], port: 1 };
        assert_eq!(rewrite_peer(&mut b, seen, c6), Rewrite::Unusable);
        assert_eq!(b, sin(laddr.0, laddr.1));
        // Short or unknown buffers.
        assert_eq!(rewrite_peer(&mut b[..1], seen, c), Rewrite::Unusable);
        assert_eq!(rewrite_peer(&mut b[..6], seen, c), Rewrite::Unusable);
        let mut u = [0u8; 16];
        u[..2].copy_from_slice(&1u16.to_ne_bytes());
        assert_eq!(rewrite_peer(&mut u, seen, c), Rewrite::Unusable);
        // A handshake that came over IPv6 never matches an IPv4 socket,
        // not even one whose low 32 bits agree.
        let mut six = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        six[12..].copy_from_slice(&laddr.0);
        let mut b = sin(laddr.0, laddr.1);
        assert_eq!(rewrite_peer(&mut b, (six, laddr.1), c), Rewrite::Mismatch);
        assert_eq!(b, sin(laddr.0, laddr.1));
    }

    #[test]
    fn rewrite_v6_socket_maps_v4() {
        let laddr = ([198, 51, 100, 201], 5000);
        let seen = (v4_mapped(laddr.0), laddr.1);
        let c = ClientAddr::V4 { addr: [192, 0, 2, 5], port: 40001 };
        let mut b = sin6(v4_mapped(laddr.0), laddr.1);
        b[4] = 7; // flow info and scope id stay
        b[24] = 3;
        assert_eq!(rewrite_peer(&mut b, seen, c), Rewrite::Done);
        let mut want = sin6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 5], 40001);
        want[4] = 7;
        want[24] = 3;
        assert_eq!(b, want);
        let mut b = sin6([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], laddr.1);
        assert_eq!(rewrite_peer(&mut b, seen, c), Rewrite::Mismatch);
        let a6 = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
        let mut b = sin6(v4_mapped(laddr.0), laddr.1);
        assert_eq!(rewrite_peer(&mut b, seen, ClientAddr::V6 { addr: a6, port: 7 }), Rewrite::Done);
        assert_eq!(b, sin6(a6, 7));
        assert_eq!(rewrite_peer(&mut b[..20], seen, c), Rewrite::Unusable);
    }

    const DIR6: [u8; 16] = [0x20, 1, 0xd, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1];
    const CLIENT6: [u8; 16] = [0x20, 1, 0xd, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    #[test]
    fn rewrite_native_v6() {
        // The handshake came over IPv6 from the director's 2001:db8:2::201.
        let seen = (DIR6, 5000);
        let c6 = ClientAddr::V6 { addr: CLIENT6, port: 40000 };
        let mut b = sin6(DIR6, 5000);
        b[4] = 9; // flow info stays
        assert_eq!(rewrite_peer(&mut b, seen, c6), Rewrite::Done);
        let mut want = sin6(CLIENT6, 40000);
        want[4] = 9;
        assert_eq!(b, want);
        // Once rewritten it is not the handshake's source any more.
        assert_eq!(rewrite_peer(&mut b, seen, c6), Rewrite::Mismatch);
        assert_eq!(b, want);
        // Another port of the same address: not ours.
        let mut b = sin6(DIR6, 5001);
        assert_eq!(rewrite_peer(&mut b, seen, c6), Rewrite::Mismatch);
        // An IPv4 client behind an IPv6 director (NAT46): ::ffff:a.b.c.d.
        let mut b = sin6(DIR6, 5000);
        let c4 = ClientAddr::V4 { addr: [192, 0, 2, 7], port: 40002 };
        assert_eq!(rewrite_peer(&mut b, seen, c4), Rewrite::Done);
        assert_eq!(b, sin6(v4_mapped([192, 0, 2, 7]), 40002));
        // An IPv4 socket whose address equals the IPv6 one's low bits.
        let mut b = sin([0, 0, 2, 1], 5000);
        assert_eq!(rewrite_peer(&mut b, seen, c4), Rewrite::Mismatch);
    }

    #[test]
    fn every_toa_format_decodes() {
        let v4 = [254u8, 8, 0x9c, 0x41, 192, 0, 2, 9];
        let mut ali = [0u8; 20];
        ali[..4].copy_from_slice(&[253, 20, 0x9c, 0x42]);
        ali[4..].copy_from_slice(&CLIENT6);
        let mut dpvs = ali;
        dpvs[0] = 254;
        assert_eq!(decode(&v4), Some(ClientAddr::V4 { addr: [192, 0, 2, 9], port: 40001 }));
        assert_eq!(decode(&ali), Some(ClientAddr::V6 { addr: CLIENT6, port: 40002 }));
        assert_eq!(decode(&dpvs), Some(ClientAddr::V6 { addr: CLIENT6, port: 40002 }));
        // Each after an MSS and a NOP, as found in an option area.
        for (opt, want) in [(&v4[..], decode(&v4)), (&ali[..], decode(&ali)), (&dpvs[..], decode(&dpvs))] {
            let mut area = vec![2, 4, 5, 0xb4, 1, 1, 1, 1];
            area.extend_from_slice(opt);
            assert_eq!(find(&area), Ok(want));
        }
        // Truncated, or a length that is no TOA's: not TOA.
        assert_eq!(decode(&ali[..19]), None);
        assert_eq!(decode(&v4[..7]), None);
        assert_eq!(decode(&[253, 8, 0, 1, 192, 0, 2, 9]), None);
        assert_eq!(decode(&[254, 12, 0, 1, 192, 0, 2, 9, 0, 0, 0, 0]), None);
        assert_eq!(decode(&[254]), None);
        assert_eq!(find(&[253, 8, 0, 1, 192, 0, 2, 9]), Ok(None));
        // A kind 253 whose length runs past the area: malformed.
        assert!(find(&ali[..12]).is_err());
    }

    #[test]
    fn client6_answers() {
        let seen4 = (v4_mapped([198, 51, 100, 201]), 5000);
        let c6 = ClientAddr::V6 { addr: CLIENT6, port: 40000 };
        let want = sin6(CLIENT6, 40000);
        assert_eq!(sockaddr_in6(CLIENT6, 40000), want);
        // NAT64: an IPv4 connection whose TOA carried an IPv6 client.
        assert_eq!(client6(28, Some((seen4, c6)), seen4), Ok(want));
        assert_eq!(client6(128, Some((seen4, c6)), seen4), Ok(want));
        // Native IPv6.
        assert_eq!(client6(28, Some(((DIR6, 5000), c6)), (DIR6, 5000)), Ok(want));
        // A short (or negative) length is refused first.
        assert_eq!(client6(27, Some((seen4, c6)), seen4), Err(Client6Error::ShortBuffer));
        assert_eq!(client6(-1, None, seen4), Err(Client6Error::ShortBuffer));
        assert_eq!(client6(0, None, seen4), Err(Client6Error::ShortBuffer));
        // No record, an IPv4 client, or a peer that is not the handshake's.
        assert_eq!(client6(28, None, seen4), Err(Client6Error::NoEntry));
        let c4 = ClientAddr::V4 { addr: [192, 0, 2, 2], port: 1 };
        assert_eq!(client6(28, Some((seen4, c4)), seen4), Err(Client6Error::NoEntry));
        assert_eq!(client6(28, Some((seen4, c6)), (seen4.0, 5001)), Err(Client6Error::NoEntry));
        assert_eq!(client6(28, Some((seen4, c6)), (DIR6, 5000)), Err(Client6Error::NoEntry));
        // The numbers stay clear of the kernel's and IPVS's ranges and of
        // DPVS's TOA (4096..).
        assert!(SO_RANGE.0 > 4096 + 64 && SO_RANGE.1 == SO_RANGE.0 + 1);
    }

    #[test]
    fn v4_mapped_form() {
        assert!(is_v4_mapped(&v4_mapped([192, 0, 2, 1])));
        assert!(!is_v4_mapped(&DIR6));
        assert!(!is_v4_mapped(&[0; 16]));
    }
}
