// SPDX-License-Identifier: GPL-2.0
//! FULLNAT header rewriting: both addresses and both ports of an IPv4
//! TCP/UDP packet, and TCP sequence/ack/SACK adjustment, with incremental
//! checksum updates. Works on the linear header bytes of one packet.
//! [`Tuple`], the connection key, holds addresses of either family.

use super::addr::Addr;
use super::csum::{self, FieldState};
use super::packet::{IPPROTO_TCP, IPPROTO_UDP};
use super::seq::SeqDelta;
use super::tcpopt::{self, OptError};

/// A transport 4-tuple. Both addresses are of one family (a packet's
/// own); a NAT64 connection has an IPv6 tuple on one side and an IPv4
/// tuple on the other.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tuple {
    /// Source address.
    pub saddr: Addr,
    /// Destination address.
    pub daddr: Addr,
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
}

impl Tuple {
    /// An IPv4 tuple from big-endian address values.
    pub const fn v4(saddr: u32, daddr: u32, sport: u16, dport: u16) -> Tuple {
        Tuple { saddr: Addr::v4(saddr), daddr: Addr::v4(daddr), sport, dport }
    }

    /// The same flow seen from the other end.
    pub const fn reversed(&self) -> Tuple {
        Tuple { saddr: self.daddr, daddr: self.saddr, sport: self.dport, dport: self.sport }
    }
}

/// Hash of a connection lookup key, keyed by a random `seed` chosen at load
/// so that remote peers cannot aim at one bucket. An IPv4 address enters as
/// its 32 bits (the mapped prefix is the same for all), an IPv6 address as
/// all 128: every bit a peer chooses is mixed, so no choice of addresses
/// collides independently of the seed.
#[inline]
pub fn conn_hash(proto: u8, t: &Tuple, seed: u32) -> u32 {
    let mut h = seed ^ (proto as u32).wrapping_mul(0x2545_f491);
    let mut mix = |w: u32| {
        let k = w.wrapping_mul(0xcc9e_2d51).rotate_left(15).wrapping_mul(0x1b87_3593);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    };
    for a in [&t.saddr, &t.daddr] {
        if a.is_v4() {
            mix(a.low32());
        } else {
            a.words().into_iter().for_each(&mut mix);
        }
    }
    mix(((t.sport as u32) << 16) | t.dport as u32);
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// An IPv4 tuple's addresses as the header holds them.
struct V4Tuple {
    saddr: u32,
    daddr: u32,
    sport: u16,
    dport: u16,
}

#[inline]
fn rd16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}
#[inline]
fn rd32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

/// Offset of the checksum field in the transport header.
const fn check_off(proto: u8) -> Option<usize> {
    match proto {
        IPPROTO_TCP => Some(16),
        IPPROTO_UDP => Some(6),
        _ => None,
    }
}

/// Rewrites the addresses and ports of `pkt` (IPv4 header at 0, transport
/// header at `ihl`) to `to`, an IPv4 tuple. `state` says how the transport
/// checksum field is held. `pkt` must hold at least `ihl + 8` (UDP) or
/// `ihl + 20` (TCP) bytes.
pub fn rewrite_v4(pkt: &mut [u8], ihl: usize, to: &Tuple, state: FieldState) {
    let to = V4Tuple { saddr: to.saddr.low32(), daddr: to.daddr.low32(), sport: to.sport, dport: to.dport };
    let proto = pkt[9];
    let from_s = rd32(pkt, 12);
    let from_d = rd32(pkt, 16);
    // IP header checksum: always a full one.
    let mut ipc = rd16(pkt, 10);
    ipc = csum::replace32(ipc, from_s, to.saddr);
    ipc = csum::replace32(ipc, from_d, to.daddr);
    pkt[10..12].copy_from_slice(&ipc.to_be_bytes());
    pkt[12..16].copy_from_slice(&to.saddr.to_be_bytes());
    pkt[16..20].copy_from_slice(&to.daddr.to_be_bytes());

    let l4 = &mut pkt[ihl..];
    let from_sp = rd16(l4, 0);
    let from_dp = rd16(l4, 2);
    l4[0..2].copy_from_slice(&to.sport.to_be_bytes());
    l4[2..4].copy_from_slice(&to.dport.to_be_bytes());
    let Some(co) = check_off(proto) else { return };
    let mut c = rd16(l4, co);
    if proto == IPPROTO_UDP && c == 0 && state == FieldState::Full {
        return; // UDP without checksum stays without.
    }
    c = csum::update32(state, c, from_s, to.saddr, true);
    c = csum::update32(state, c, from_d, to.daddr, true);
    c = csum::update16(state, c, from_sp, to.sport, false);
    c = csum::update16(state, c, from_dp, to.dport, false);
    if proto == IPPROTO_UDP && c == 0 && state == FieldState::Full {
        c = 0xffff; // a computed 0 is sent as all ones (RFC 768)
    }
    l4[co..co + 2].copy_from_slice(&c.to_be_bytes());
}

/// Adjusts a TCP header (at `tcp`, `doff` bytes long): `seq` forward by
/// `seq_d`, `ack_seq` (if ACK is set) and SACK edges backward by `ack_d`.
pub fn adjust_tcp_seq(tcp: &mut [u8], doff: usize, seq_d: SeqDelta, ack_d: SeqDelta, state: FieldState) -> Result<(), OptError> {
    let mut c = rd16(tcp, 16);
    if !seq_d.is_zero() {
        let s = rd32(tcp, 4);
        let n = seq_d.forward(s);
        c = csum::update32(state, c, s, n, false);
        tcp[4..8].copy_from_slice(&n.to_be_bytes());
    }
    if !ack_d.is_zero() && tcp[13] & super::packet::tcp_flags::ACK != 0 {
        let a = rd32(tcp, 8);
        let n = ack_d.backward(a);
        c = csum::update32(state, c, a, n, false);
        tcp[8..12].copy_from_slice(&n.to_be_bytes());
        if doff > 20 {
            let (_, opts) = tcp.split_at_mut(20);
            tcpopt::map_sack(&mut opts[..doff - 20], |e| ack_d.backward(e), &mut c, state)?;
        }
    }
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    Ok(())
}

/// Runs `f` over the option area of a TCP header (`tcp`, `doff` bytes)
/// with the header's checksum field, writing the checksum back after.
pub fn edit_tcp_options<R>(tcp: &mut [u8], doff: usize, f: impl FnOnce(&mut [u8], &mut u16) -> R) -> R {
    let mut c = rd16(tcp, 16);
    let r = f(&mut tcp[20..doff], &mut c);
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
    r
}

/// A window advertised with shift `from`, re-expressed for a receiver that
/// applies shift `to` (saturating at the 16-bit field). SYNPROXY needs it
/// when the window scale it offered the client differs from the real
/// server's.
pub const fn scale_window(w: u16, from: u8, to: u8) -> u16 {
    let v = ((w as u64) << (from & 15)) >> (to & 15);
    if v > 0xffff {
        0xffff
    } else {
        v as u16
    }
}

/// Sets the window field of a TCP header, keeping the checksum right.
pub fn set_window(tcp: &mut [u8], w: u16, state: FieldState) {
    let old = rd16(tcp, 14);
    if old == w {
        return;
    }
    let c = csum::update16(state, rd16(tcp, 16), old, w, false);
    tcp[14..16].copy_from_slice(&w.to_be_bytes());
    tcp[16..18].copy_from_slice(&c.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::testpkt::{tcp_v4, verifies};
    use crate::packet::tcp_flags::*;

    fn ip(a: [u8; 4]) -> u32 {
        u32::from_be_bytes(a)
    }

    #[test]
    fn fullnat_both_ways_verifies() {
        let mut p = tcp_v4([192, 0, 2, 2], [192, 0, 2, 100], 40000, 80, ACK, &[1, 1, 5, 10, 0, 0, 0, 5, 0, 0, 0, 9], b"payload!");
        let out = Tuple::v4(ip([198, 51, 100, 201]), ip([198, 51, 100, 11]), 5001, 8080);
        rewrite_v4(&mut p, 20, &out, FieldState::Full);
        assert!(verifies(&p));
        assert_eq!(&p[12..20], &[198, 51, 100, 201, 198, 51, 100, 11]);
        assert_eq!(&p[20..24], &[0x13, 0x89, 0x1f, 0x90]);
        adjust_tcp_seq(&mut p[20..], 32, SeqDelta(0x1000), SeqDelta(0x77), FieldState::Full).unwrap();
        assert!(verifies(&p));
        assert_eq!(rd32(&p, 24), 1000 + 0x1000);
        // SACK edges moved with the ack.
        assert_eq!(rd32(&p, 20 + 24), 5u32.wrapping_sub(0x77));
        assert_eq!(rd32(&p, 20 + 28), 9u32.wrapping_sub(0x77));
    }

    #[test]
    fn hash_spreads_ports() {
        // One client, many source ports: buckets of a 2^12 table fill evenly.
        let mut b = vec![0u32; 4096];
        for p in 0..40960u32 {
            let t = Tuple::v4(0xc000_0202, 0xc000_0264, p as u16, 80);
            b[(conn_hash(6, &t, 0x1234) & 4095) as usize] += 1;
        }
        let max = *b.iter().max().unwrap();
        assert!(max < 30, "worst bucket {max}");
        let t = Tuple::v4(1, 2, 3, 4);
        assert_ne!(conn_hash(6, &t, 1), conn_hash(17, &t, 1));
        assert_ne!(conn_hash(6, &t, 1), conn_hash(6, &t, 2));
    }

    #[test]
    fn hash_v6_mixes_every_word() {
        // Clients that differ in any one 32-bit word of an IPv6 address
        // land in different buckets; and the v6 spread is as even as v4's.
        let base = Addr::parse(b"2001:db8:1:2:3:4:5:6").unwrap();
        let vip = Addr::parse(b"2001:db8::100").unwrap();
        let t = Tuple { saddr: base, daddr: vip, sport: 40000, dport: 80 };
        let h0 = conn_hash(6, &t, 7);
        for byte in 0..16 {
            let mut o = *base.octets();
            o[byte] ^= 0x40;
            let t2 = Tuple { saddr: Addr::v6(o), ..t };
            assert_ne!(conn_hash(6, &t2, 7), h0, "byte {byte}");
        }
        let mut b = vec![0u32; 4096];
        for p in 0..40960u32 {
            let mut o = *base.octets();
            o[8..12].copy_from_slice(&p.to_be_bytes());
            let t = Tuple { saddr: Addr::v6(o), ..t };
            b[(conn_hash(6, &t, 0x1234) & 4095) as usize] += 1;
        }
        assert!(*b.iter().max().unwrap() < 30);
        // An IPv4 key hashes as it did before Addr (3 words).
        assert_eq!(conn_hash(6, &Tuple::v4(1, 2, 3, 4), 9), {
            let mut h: u32 = 9 ^ 6u32.wrapping_mul(0x2545_f491);
            for w in [1u32, 2, (3 << 16) | 4] {
                h ^= w.wrapping_mul(0xcc9e_2d51).rotate_left(15).wrapping_mul(0x1b87_3593);
                h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
            }
            h ^= h >> 16;
            h = h.wrapping_mul(0x85eb_ca6b);
            h ^= h >> 13;
            h = h.wrapping_mul(0xc2b2_ae35);
            h ^ (h >> 16)
        });
    }

    #[test]
    fn no_ack_no_ack_change() {
        let mut p = tcp_v4([192, 0, 2, 2], [192, 0, 2, 100], 40000, 80, SYN, &[], b"");
        let before = rd32(&p, 28);
        adjust_tcp_seq(&mut p[20..], 20, SeqDelta(5), SeqDelta(7), FieldState::Full).unwrap();
        assert_eq!(rd32(&p, 28), before);
        assert!(verifies(&p));
    }

    #[test]
    fn udp_zero_checksum_kept() {
        let mut p = vec![0x45, 0, 0, 30, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 2, 192, 0, 2, 100];
        let c = csum::checksum(&p);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        p.extend_from_slice(&[0x13, 0x88, 0, 53, 0, 10, 0, 0, 1, 2]);
        let t = Tuple::v4(1, 2, 3, 4);
        rewrite_v4(&mut p, 20, &t, FieldState::Full);
        assert_eq!(rd16(&p, 26), 0);
        assert_eq!(csum::fold(csum::sum_bytes(&p[..20], 0)), 0xffff);
    }

    #[test]
    fn window_scaling_and_field() {
        assert_eq!(scale_window(1000, 7, 7), 1000);
        assert_eq!(scale_window(1000, 7, 3), 16000);
        assert_eq!(scale_window(1000, 7, 0), 0xffff);
        assert_eq!(scale_window(1000, 0, 7), 7);
        let mut p = tcp_v4([192, 0, 2, 2], [192, 0, 2, 100], 1, 2, ACK, &[], b"xy");
        set_window(&mut p[20..], 1234, FieldState::Full);
        assert_eq!(u16::from_be_bytes([p[34], p[35]]), 1234);
        assert!(verifies(&p));
    }
}
