// SPDX-License-Identifier: GPL-2.0
//! Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//!
//! Values are the numbers read big-endian from the wire: a checksum field is
//! the `u16` read with `u16::from_be_bytes`, an IPv4 address the `u32` read
//! with `u32::from_be_bytes`. One's complement sums do not depend on byte
//! order as long as every operand is read the same way.

/// Folds a 32-bit one's complement accumulator into 16 bits.
#[inline]
pub const fn fold(mut sum: u32) -> u16 {
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    sum as u16
}

/// One's complement addition of two 32-bit partial sums.
#[inline]
pub const fn add(a: u32, b: u32) -> u32 {
    let (s, carry) = a.overflowing_add(b);
    s.wrapping_add(carry as u32)
}

/// Adds `data` to the partial sum `initial` (16-bit big-endian words, an odd
/// last byte padded with zero).
pub fn sum_bytes(data: &[u8], initial: u32) -> u32 {
    let mut acc: u64 = initial as u64;
    let mut chunks = data.chunks_exact(2);
    for w in &mut chunks {
        acc += u16::from_be_bytes([w[0], w[1]]) as u64;
    }
    if let [last] = chunks.remainder() {
        acc += (*last as u64) << 8;
    }
    while acc >> 32 != 0 {
        acc = (acc & 0xffff_ffff) + (acc >> 32);
    }
    acc as u32
}

/// The checksum of `data` as it is stored in a header field.
pub fn checksum(data: &[u8]) -> u16 {
    !fold(sum_bytes(data, 0))
}

/// Partial sum of the IPv4 TCP/UDP pseudo header.
pub fn pseudo_v4(saddr: u32, daddr: u32, proto: u8, len: u16) -> u32 {
    let mut s = add(saddr >> 16, saddr & 0xffff);
    s = add(s, daddr >> 16);
    s = add(s, daddr & 0xffff);
    s = add(s, proto as u32);
    add(s, len as u32)
}

/// Partial sum of the IPv6 upper-layer pseudo header (RFC 8200 8.1): both
/// addresses, the upper-layer length as 32 bits, and the next header value.
/// For the same protocol and a length below 2^16 it differs from
/// [`pseudo_v4`]'s only by the addresses, which is what NAT64 relies on.
pub fn pseudo_v6(saddr: &[u8; 16], daddr: &[u8; 16], proto: u8, len: u32) -> u32 {
    let mut s = sum_bytes(saddr, 0);
    s = sum_bytes(daddr, s);
    s = add(s, len >> 16);
    s = add(s, len & 0xffff);
    add(s, proto as u32)
}

/// How a transport checksum field is to be treated, after the kernel's
/// `skb->ip_summed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldState {
    /// The field holds the complete checksum, complemented (`CHECKSUM_NONE`,
    /// `CHECKSUM_UNNECESSARY`, `CHECKSUM_COMPLETE`).
    Full,
    /// The field holds only the folded pseudo-header sum, uncomplemented;
    /// hardware or `skb_checksum_help` completes it (`CHECKSUM_PARTIAL`).
    Partial,
}

/// RFC 1624 eqn. 3: `HC' = ~(~HC + ~m + m')` for a 16-bit field change.
#[inline]
pub const fn replace16(check: u16, old: u16, new: u16) -> u16 {
    let s = add(add((!check) as u32, (!old) as u32 & 0xffff), new as u32);
    !fold(s)
}

/// RFC 1624 for a 32-bit field change (two 16-bit words).
#[inline]
pub const fn replace32(check: u16, old: u32, new: u32) -> u16 {
    let mut s = add((!check) as u32 & 0xffff, (!old) >> 16);
    s = add(s, (!old) & 0xffff);
    s = add(s, new >> 16);
    s = add(s, new & 0xffff);
    !fold(s)
}

/// RFC 1624 for any change whose old and new contents are given as partial
/// sums (see [`sum_bytes`]): a whole pseudo header exchanged for another
/// (NAT64), or a 16-byte address (see [`replace128`]).
#[inline]
pub const fn replace_sum(check: u16, old: u32, new: u32) -> u16 {
    let s = add(add((!check) as u32 & 0xffff, (!fold(old)) as u32 & 0xffff), fold(new) as u32);
    !fold(s)
}

/// RFC 1624 for a 16-byte field change (an IPv6 address).
#[inline]
pub fn replace128(check: u16, old: &[u8; 16], new: &[u8; 16]) -> u16 {
    replace_sum(check, sum_bytes(old, 0), sum_bytes(new, 0))
}

/// Updates a transport checksum for a changed 32-bit word (an address).
///
/// `pseudo` says whether the word is part of the pseudo header (an address)
/// rather than the transport header itself (a port): for `Partial` fields only
/// pseudo-header changes are applied, the rest is summed later by whoever
/// completes the checksum.
#[inline]
pub const fn update32(state: FieldState, check: u16, old: u32, new: u32, pseudo: bool) -> u16 {
    match state {
        FieldState::Full => replace32(check, old, new),
        FieldState::Partial if pseudo => !replace32(!check, old, new),
        FieldState::Partial => check,
    }
}

/// Like [`update32`] for a 16-bit word (a port, a length).
#[inline]
pub const fn update16(state: FieldState, check: u16, old: u16, new: u16, pseudo: bool) -> u16 {
    match state {
        FieldState::Full => replace16(check, old, new),
        FieldState::Partial if pseudo => !replace16(!check, old, new),
        FieldState::Partial => check,
    }
}

/// Like [`update32`] for a 16-byte word (an IPv6 address).
#[inline]
pub fn update128(state: FieldState, check: u16, old: &[u8; 16], new: &[u8; 16], pseudo: bool) -> u16 {
    update_sum(state, check, sum_bytes(old, 0), sum_bytes(new, 0), pseudo)
}

/// Like [`update32`] for a change given as partial sums (see
/// [`replace_sum`]): `pseudo` if the change is to the pseudo header.
#[inline]
pub const fn update_sum(state: FieldState, check: u16, old: u32, new: u32, pseudo: bool) -> u16 {
    match state {
        FieldState::Full => replace_sum(check, old, new),
        FieldState::Partial if pseudo => !replace_sum(!check, old, new),
        FieldState::Partial => check,
    }
}

/// `skb->csum` of a `CHECKSUM_COMPLETE` packet covers the bytes from the
/// network header on; it changes when bytes in that range change. Returns the
/// new 32-bit sum when the 16-bit word `old` became `new`.
#[inline]
pub const fn complete_replace16(csum: u32, old: u16, new: u16) -> u32 {
    add(add(csum, (!old) as u32 & 0xffff), new as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp_segment() -> ([u8; 4], [u8; 4], Vec<u8>) {
        let saddr = [192, 0, 2, 10];
        let daddr = [198, 51, 100, 1];
        let mut seg = vec![
            0x30, 0x39, 0x00, 0x50, // ports 12345 -> 80
            0, 0, 0, 1, 0, 0, 0, 0, // seq, ack
            0x50, 0x02, 0x72, 0x10, // doff 5, SYN, window
            0, 0, 0, 0, // check, urg
        ];
        seg.extend_from_slice(b"hello, odd payload");
        (saddr, daddr, seg)
    }

    fn full_tcp_csum(saddr: [u8; 4], daddr: [u8; 4], seg: &[u8]) -> u16 {
        let p = pseudo_v4(u32::from_be_bytes(saddr), u32::from_be_bytes(daddr), 6, seg.len() as u16);
        let mut s = seg.to_vec();
        s[16] = 0;
        s[17] = 0;
        !fold(sum_bytes(&s, p))
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3 example: the sum of these words is 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum_bytes(&data, 0)), 0xddf2);
        assert_eq!(checksum(&data), !0xddf2);
    }

    #[test]
    fn verify_is_zero() {
        let (s, d, mut seg) = tcp_segment();
        let c = full_tcp_csum(s, d, &seg);
        seg[16..18].copy_from_slice(&c.to_be_bytes());
        let p = pseudo_v4(u32::from_be_bytes(s), u32::from_be_bytes(d), 6, seg.len() as u16);
        assert_eq!(fold(sum_bytes(&seg, p)), 0xffff);
    }

    #[test]
    fn incremental_matches_full_recompute() {
        let (s, d, mut seg) = tcp_segment();
        let c = full_tcp_csum(s, d, &seg);
        // FULLNAT: both addresses and both ports change.
        let ns = [203, 0, 113, 7];
        let nd = [198, 51, 100, 22];
        let mut c2 = update32(FieldState::Full, c, u32::from_be_bytes(s), u32::from_be_bytes(ns), true);
        c2 = update32(FieldState::Full, c2, u32::from_be_bytes(d), u32::from_be_bytes(nd), true);
        c2 = update16(FieldState::Full, c2, 12345, 5000, false);
        c2 = update16(FieldState::Full, c2, 80, 8080, false);
        seg[0..2].copy_from_slice(&5000u16.to_be_bytes());
        seg[2..4].copy_from_slice(&8080u16.to_be_bytes());
        assert_eq!(c2, full_tcp_csum(ns, nd, &seg));
    }

    #[test]
    fn incremental_many_random_values() {
        // xorshift: deterministic pseudo-random words, including 0 and 0xffff.
        let mut x: u32 = 0x1234_5678;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for i in 0..20_000 {
            let mut data: Vec<u8> = (0..40).map(|_| next() as u8).collect();
            if i % 7 == 0 {
                data[4] = 0xff;
                data[5] = 0xff;
            }
            let c = checksum(&data);
            let old = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
            let new = if i % 5 == 0 { 0 } else { next() };
            data[4..8].copy_from_slice(&new.to_be_bytes());
            let inc = replace32(c, old, new);
            // 0x0000 and 0xffff are the same one's complement number.
            let full = checksum(&data);
            assert!(inc == full || (inc ^ full) == 0xffff && (inc == 0 || full == 0), "{inc:x} {full:x}");
        }
    }

    #[test]
    fn partial_updates_pseudo_only() {
        let (s, d, seg) = tcp_segment();
        let ns = [203, 0, 113, 7];
        let len = seg.len() as u16;
        // CHECKSUM_PARTIAL field: folded pseudo-header sum, uncomplemented.
        let field = fold(pseudo_v4(u32::from_be_bytes(s), u32::from_be_bytes(d), 6, len));
        let upd = update32(FieldState::Partial, field, u32::from_be_bytes(s), u32::from_be_bytes(ns), true);
        assert_eq!(upd, fold(pseudo_v4(u32::from_be_bytes(ns), u32::from_be_bytes(d), 6, len)));
        assert_eq!(update16(FieldState::Partial, upd, 1, 2, false), upd);
    }

    #[test]
    fn pseudo_v6_by_hand() {
        // RFC 8200 8.1's layout, summed word by word.
        let s: [u8; 16] = core::array::from_fn(|i| (i * 17 + 3) as u8);
        let d: [u8; 16] = core::array::from_fn(|i| (0xf0 - i * 5) as u8);
        let mut hdr = Vec::new();
        hdr.extend_from_slice(&s);
        hdr.extend_from_slice(&d);
        hdr.extend_from_slice(&0x0001_0203u32.to_be_bytes());
        hdr.extend_from_slice(&[0, 0, 0, 6]);
        assert_eq!(fold(pseudo_v6(&s, &d, 6, 0x0001_0203)), fold(sum_bytes(&hdr, 0)));
        // Same length and protocol: only the addresses differ from IPv4's.
        let s4 = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1];
        let d4 = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 9];
        assert_eq!(fold(pseudo_v6(&s4, &d4, 17, 1234)), fold(pseudo_v4(0xc000_0201, 0xc000_0209, 17, 1234)));
    }

    #[test]
    fn replace128_matches_recompute() {
        let mut x: u32 = 0x9e37_79b9;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for i in 0..5_000 {
            let mut data: Vec<u8> = (0..48).map(|_| next() as u8).collect();
            let c = checksum(&data);
            let old: [u8; 16] = data[6..22].try_into().unwrap();
            let new: [u8; 16] = if i % 9 == 0 { [0; 16] } else if i % 9 == 1 { [0xff; 16] } else { core::array::from_fn(|_| next() as u8) };
            data[6..22].copy_from_slice(&new);
            let inc = replace128(c, &old, &new);
            let full = checksum(&data);
            assert!(inc == full || (inc ^ full) == 0xffff && (inc == 0 || full == 0), "{inc:x} {full:x}");
            // Partial fields: a pseudo-header change only.
            let field = fold(sum_bytes(&old, 0x1234));
            let (got, want) = (update128(FieldState::Partial, field, &old, &new, true), fold(sum_bytes(&new, 0x1234)));
            assert!(got == want || (got ^ want) == 0xffff && (got == 0 || want == 0), "{got:x} {want:x}");
            assert_eq!(update128(FieldState::Partial, field, &old, &new, false), field);
        }
    }

    #[test]
    fn replace_sum_swaps_pseudo_headers() {
        let (s, d, mut seg) = tcp_segment();
        let c = full_tcp_csum(s, d, &seg);
        seg[16..18].copy_from_slice(&c.to_be_bytes());
        let s6 = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10];
        let d6 = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80];
        let len = seg.len() as u16;
        let p4 = pseudo_v4(u32::from_be_bytes(s), u32::from_be_bytes(d), 6, len);
        let p6 = pseudo_v6(&s6, &d6, 6, len as u32);
        let c6 = replace_sum(c, p4, p6);
        seg[16..18].copy_from_slice(&c6.to_be_bytes());
        assert_eq!(fold(sum_bytes(&seg, p6)), 0xffff);
        assert_eq!(update_sum(FieldState::Full, c6, p6, p4, true), c);
        let part = fold(p4);
        assert_eq!(update_sum(FieldState::Partial, part, p4, p6, true), fold(p6));
    }

    #[test]
    fn complete_sum_tracks_change() {
        let mut data = [0u8; 12];
        data[..4].copy_from_slice(&[0x45, 0, 0, 40]);
        let before = sum_bytes(&data, 0);
        let after_direct = {
            let mut d = data;
            d[2..4].copy_from_slice(&48u16.to_be_bytes());
            fold(sum_bytes(&d, 0))
        };
        assert_eq!(fold(complete_replace16(before, 40, 48)), after_direct);
    }
}
