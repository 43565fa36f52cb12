// SPDX-License-Identifier: GPL-2.0
//! IP addresses of either family, as one type.
//!
//! [`Addr`] holds an IPv4 address in its IPv4-mapped IPv6 form
//! (`::ffff:a.b.c.d`, RFC 4291 2.5.5.2) and an IPv6 address as itself. One
//! 16-byte value then serves every key that may be of either family
//! (connections, services, real servers, local addresses, persistence
//! templates): compared as bytes, hashed one way, no family field beside it
//! that could disagree with the address. The mapped form is a
//! representation only and never a wire address: the IPv6 packet path must
//! drop packets that carry one (as the kernel's own input path does for the
//! source), so that an IPv6 packet cannot be taken for an IPv4 flow.
//!
//! IPv4 addresses elsewhere in rvs are big-endian values (`u32` whose
//! `to_be_bytes` are the wire bytes); [`Addr::v4`] and [`Addr::as_v4`]
//! convert.

use core::fmt;

/// Address family numbers as the kernel's (`AF_INET`, `AF_INET6`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

/// `AF_INET`.
pub const AF_INET: u16 = 2;
/// `AF_INET6`.
pub const AF_INET6: u16 = 10;

impl Family {
    /// The kernel's number for the family.
    pub const fn af(self) -> u16 {
        match self {
            Family::V4 => AF_INET,
            Family::V6 => AF_INET6,
        }
    }

    /// The family of a kernel `AF_*` number.
    pub const fn from_af(af: u16) -> Option<Family> {
        match af {
            AF_INET => Some(Family::V4),
            AF_INET6 => Some(Family::V6),
            _ => None,
        }
    }

    /// Bits in an address of the family.
    pub const fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
}

const MAPPED: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/// An IPv4 or IPv6 address (see the module head for the representation).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Addr([u8; 16]);

impl Default for Addr {
    /// IPv4's 0.0.0.0: the "no address" of every IPv4 key rvs had.
    fn default() -> Addr {
        Addr::v4(0)
    }
}

impl Addr {
    /// An IPv4 address from its big-endian value.
    #[inline]
    pub const fn v4(value: u32) -> Addr {
        let v = value.to_be_bytes();
        Addr([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, v[0], v[1], v[2], v[3]])
    }

    /// An IPv4 address from its wire bytes.
    pub const fn v4_bytes(b: [u8; 4]) -> Addr {
        Addr::v4(u32::from_be_bytes(b))
    }

    /// An IPv6 address from its wire bytes. An IPv4-mapped address given
    /// here is the IPv4 address it maps (the caller on the packet path must
    /// have refused it already; see [`Addr::is_v4_mapped_wire`]).
    pub const fn v6(b: [u8; 16]) -> Addr {
        Addr(b)
    }

    /// True if 16 wire bytes are an IPv4-mapped address, which no IPv6
    /// packet may carry.
    pub fn is_v4_mapped_wire(b: &[u8; 16]) -> bool {
        b[..12] == MAPPED
    }

    /// The family.
    #[inline]
    pub fn family(&self) -> Family {
        if self.0[..12] == MAPPED {
            Family::V4
        } else {
            Family::V6
        }
    }

    /// True for an IPv4 address.
    #[inline]
    pub fn is_v4(&self) -> bool {
        self.family() == Family::V4
    }

    /// The IPv4 big-endian value, for an IPv4 address.
    #[inline]
    pub fn as_v4(&self) -> Option<u32> {
        self.is_v4().then(|| self.low32())
    }

    /// The last 32 bits as a big-endian value: the IPv4 address of an
    /// IPv4 `Addr`. For callers that know the family already (the IPv4
    /// packet path), without the check of [`Addr::as_v4`].
    #[inline]
    pub const fn low32(&self) -> u32 {
        u32::from_be_bytes([self.0[12], self.0[13], self.0[14], self.0[15]])
    }

    /// The 16 bytes: an IPv6 address's wire bytes, or an IPv4 address's
    /// mapped form.
    #[inline]
    pub const fn octets(&self) -> &[u8; 16] {
        &self.0
    }

    /// The bytes as the kernel's `union nf_inet_addr` holds an address of
    /// this family: IPv4 in the first 4 bytes, the rest zero.
    pub fn nf_inet(&self) -> [u8; 16] {
        match self.as_v4() {
            Some(v) => {
                let mut b = [0u8; 16];
                b[..4].copy_from_slice(&v.to_be_bytes());
                b
            }
            None => self.0,
        }
    }

    /// The address a `union nf_inet_addr` of family `f` holds.
    pub fn from_nf_inet(f: Family, b: &[u8; 16]) -> Addr {
        match f {
            Family::V4 => Addr::v4_bytes([b[0], b[1], b[2], b[3]]),
            Family::V6 => Addr(*b),
        }
    }

    /// The unspecified address of the family (0.0.0.0 or ::).
    pub fn is_unspecified(&self) -> bool {
        match self.as_v4() {
            Some(v) => v == 0,
            None => self.0 == [0; 16],
        }
    }

    /// Four 32-bit words, for hashing.
    #[inline]
    pub const fn words(&self) -> [u32; 4] {
        let b = &self.0;
        [
            u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            u32::from_be_bytes([b[12], b[13], b[14], b[15]]),
        ]
    }

    /// The address with only its first `prefix_len` bits kept, counted in
    /// the address's own family (an IPv4 /24 keeps 24 bits of the IPv4
    /// address). Longer prefixes keep everything.
    pub fn masked(&self, prefix_len: u8) -> Addr {
        let (first, bits) = match self.family() {
            Family::V4 => (96usize, 32usize),
            Family::V6 => (0, 128),
        };
        let keep = (prefix_len as usize).min(bits);
        let mut b = self.0;
        for (i, byte) in b.iter_mut().enumerate().skip(first / 8) {
            let bit = i * 8 - first;
            if bit >= keep {
                *byte = 0;
            } else if bit + 8 > keep {
                *byte &= 0xffu8 << (8 - (keep - bit));
            }
        }
        Addr(b)
    }

    /// An IPv4 address ANDed with a netmask (big-endian value), as IPv4
    /// persistence takes its `-M` netmask.
    pub fn masked_v4(&self, netmask: u32) -> Addr {
        match self.as_v4() {
            Some(v) => Addr::v4(v & netmask),
            None => *self,
        }
    }

    /// Parses dotted-quad IPv4 or textual IPv6 (RFC 4291 2.2: groups,
    /// one `::`, a trailing dotted quad). Brackets are the caller's.
    pub fn parse(s: &[u8]) -> Option<Addr> {
        if s.contains(&b':') {
            parse_v6(s).map(Addr::v6)
        } else {
            parse_v4(s).map(Addr::v4)
        }
    }

    /// Formats as RFC 5952 text (IPv4 dotted, IPv6 compressed).
    pub fn display(&self) -> Display<'_> {
        Display { a: self, full: false }
    }

    /// Formats with a port as ipvsadm writes it: `192.0.2.1:80`,
    /// `[2001:db8::1]:80`.
    pub fn with_port(&self, port: u16) -> WithPort<'_> {
        WithPort { a: self, port }
    }

    /// Formats IPv6 as eight four-digit groups (the kernel's `%pI6`, used
    /// by /proc/net/ip_vs); IPv4 dotted.
    pub fn display_full(&self) -> Display<'_> {
        Display { a: self, full: true }
    }
}

/// Parses a dotted-quad IPv4 address into its big-endian value.
pub fn parse_v4(s: &[u8]) -> Option<u32> {
    let mut out = [0u8; 4];
    let mut n = 0;
    for part in s.split(|&c| c == b'.') {
        if n == 4 || part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = part.iter().fold(0u32, |v, &c| v * 10 + (c - b'0') as u32);
        if v > 255 {
            return None;
        }
        out[n] = v as u8;
        n += 1;
    }
    (n == 4).then(|| u32::from_be_bytes(out))
}

fn parse_group(g: &[u8]) -> Option<u16> {
    if g.is_empty() || g.len() > 4 {
        return None;
    }
    g.iter().try_fold(0u16, |v, &c| Some(v << 4 | (c as char).to_digit(16)? as u16))
}

/// Parses textual IPv6 into its wire bytes.
pub fn parse_v6(s: &[u8]) -> Option<[u8; 16]> {
    // Split at the one "::" if any; each side is groups separated by ':'.
    let (head, tail, gap) = match s.windows(2).position(|w| w == b"::") {
        Some(i) => (&s[..i], &s[i + 2..], true),
        None => (s, &[][..], false),
    };
    if gap && tail.windows(2).any(|w| w == b"::") {
        return None;
    }
    let mut words = [0u16; 8];
    let mut tw = [0u16; 8];
    let side = |part: &[u8], out: &mut [u16; 8], last: bool| -> Option<usize> {
        if part.is_empty() {
            return Some(0);
        }
        let mut n = 0;
        let groups = part.split(|&c| c == b':');
        let count = part.split(|&c| c == b':').count();
        for (i, g) in groups.enumerate() {
            if last && i + 1 == count && g.contains(&b'.') {
                let v = parse_v4(g)?;
                if n + 2 > 8 {
                    return None;
                }
                out[n] = (v >> 16) as u16;
                out[n + 1] = v as u16;
                n += 2;
            } else {
                if n == 8 {
                    return None;
                }
                out[n] = parse_group(g)?;
                n += 1;
            }
        }
        Some(n)
    };
    let nh = side(head, &mut words, !gap)?;
    let nt = side(tail, &mut tw, true)?;
    if gap {
        if nh + nt > 7 {
            return None;
        }
        words[8 - nt..].copy_from_slice(&tw[..nt]);
    } else if nh != 8 {
        return None;
    }
    let mut b = [0u8; 16];
    for (i, w) in words.iter().enumerate() {
        b[2 * i..2 * i + 2].copy_from_slice(&w.to_be_bytes());
    }
    Some(b)
}

/// Text of an [`Addr`]: see [`Addr::display`] and [`Addr::display_full`].
pub struct Display<'a> {
    a: &'a Addr,
    full: bool,
}

impl fmt::Display for Display<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v) = self.a.as_v4() {
            let b = v.to_be_bytes();
            return write!(f, "{}.{}.{}.{}", b[0], b[1], b[2], b[3]);
        }
        let w: [u16; 8] = core::array::from_fn(|i| u16::from_be_bytes([self.a.0[2 * i], self.a.0[2 * i + 1]]));
        if self.full {
            for (i, g) in w.iter().enumerate() {
                write!(f, "{}{:04x}", if i > 0 { ":" } else { "" }, g)?;
            }
            return Ok(());
        }
        // RFC 5952: the longest run of two or more zero groups (the first
        // of equal runs) becomes "::"; lower-case hex, no leading zeros.
        let (mut best, mut best_len, mut i) = (8, 1, 0);
        while i < 8 {
            let start = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                (best, best_len) = (start, i - start);
            }
            i += 1;
        }
        let mut i = 0;
        while i < 8 {
            if i == best {
                f.write_str("::")?;
                i += best_len;
                continue;
            }
            if i > 0 && i != best + best_len {
                f.write_str(":")?;
            }
            write!(f, "{:x}", w[i])?;
            i += 1;
        }
        Ok(())
    }
}

/// Text of an address and port: see [`Addr::with_port`].
pub struct WithPort<'a> {
    a: &'a Addr,
    port: u16,
}

impl fmt::Display for WithPort<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.a.is_v4() {
            write!(f, "{}:{}", self.a.display(), self.port)
        } else {
            write!(f, "[{}]:{}", self.a.display(), self.port)
        }
    }
}

impl fmt::Debug for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(a: &Addr) -> String {
        format!("{}", a.display())
    }

    #[test]
    fn v4_round_trip() {
        let a = Addr::v4(0xc000_0264);
        assert!(a.is_v4());
        assert_eq!(a.family(), Family::V4);
        assert_eq!(a.as_v4(), Some(0xc000_0264));
        assert_eq!(a, Addr::v4_bytes([192, 0, 2, 100]));
        assert_eq!(s(&a), "192.0.2.100");
        assert_eq!(a.nf_inet()[..4], [192, 0, 2, 100]);
        assert_eq!(a.nf_inet()[4..], [0; 12]);
        assert_eq!(Addr::from_nf_inet(Family::V4, &a.nf_inet()), a);
        assert_eq!(Addr::default(), Addr::v4(0));
        assert!(Addr::default().is_unspecified());
    }

    #[test]
    fn v6_parse_and_print() {
        let cases: &[(&str, &str)] = &[
            ("2001:db8::1", "2001:db8::1"),
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("::", "::"),
            ("::1", "::1"),
            ("2001:db8::", "2001:db8::"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ];
        for (inp, out) in cases {
            let a = Addr::parse(inp.as_bytes()).unwrap_or_else(|| panic!("{inp}"));
            assert_eq!(a.family(), Family::V6, "{inp}");
            assert_eq!(s(&a), *out, "{inp}");
            assert_eq!(Addr::parse(out.as_bytes()), Some(a));
        }
        let a = Addr::parse(b"2001:db8::1").unwrap();
        assert_eq!(format!("{}", a.display_full()), "2001:0db8:0000:0000:0000:0000:0000:0001");
        assert_eq!(format!("{}", a.with_port(80)), "[2001:db8::1]:80");
        assert_eq!(format!("{}", Addr::v4(0xc000_0201).with_port(8080)), "192.0.2.1:8080");
        assert_eq!(Addr::from_nf_inet(Family::V6, &a.nf_inet()), a);
        // The mapped form parses as the IPv4 address it is.
        assert_eq!(Addr::parse(b"::ffff:192.0.2.1"), Some(Addr::v4_bytes([192, 0, 2, 1])));
        assert!(Addr::is_v4_mapped_wire(Addr::v4(1).octets()));
        assert!(!Addr::is_v4_mapped_wire(a.octets()));
    }

    #[test]
    fn bad_text() {
        for bad in [
            "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.x", ":", ":::", "1::2::3", "2001:db8",
            "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8", "12345::", "g::", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4",
            "1.2.3.4:", "2001:db8:::1",
        ] {
            assert_eq!(Addr::parse(bad.as_bytes()), None, "{bad:?}");
        }
        // Exactly eight groups, one of them from a dotted quad.
        assert!(Addr::parse(b"1:2:3:4:5:6:1.2.3.4").is_some());
        assert!(Addr::parse(b"1:2:3:4:5:6:7::").is_some());
    }

    #[test]
    fn masks() {
        let a = Addr::v4_bytes([192, 0, 2, 200]);
        assert_eq!(a.masked(24), Addr::v4_bytes([192, 0, 2, 0]));
        assert_eq!(a.masked(25), Addr::v4_bytes([192, 0, 2, 128]));
        assert_eq!(a.masked(32), a);
        assert_eq!(a.masked(200), a);
        assert_eq!(a.masked(0), Addr::v4(0));
        assert_eq!(a.masked_v4(0xffff_ff00), Addr::v4_bytes([192, 0, 2, 0]));
        let b = Addr::parse(b"2001:db8:1:2:3:4:5:6").unwrap();
        assert_eq!(b.masked(64), Addr::parse(b"2001:db8:1:2::").unwrap());
        assert_eq!(b.masked(36), Addr::parse(b"2001:db8:0::").unwrap());
        assert_eq!(b.masked(12), Addr::parse(b"2000::").unwrap());
        assert_eq!(b.masked(128), b);
        assert_eq!(b.masked_v4(0), b);
    }

    #[test]
    fn families() {
        assert_eq!(Family::from_af(AF_INET), Some(Family::V4));
        assert_eq!(Family::from_af(AF_INET6), Some(Family::V6));
        assert_eq!(Family::from_af(0), None);
        assert_eq!(Family::V6.af(), 10);
        assert_eq!(Family::V4.bits(), 32);
        assert!(Addr::parse(b"::").unwrap().is_unspecified());
        assert!(!Addr::parse(b"::1").unwrap().is_unspecified());
        assert_eq!(Addr::parse(b"::").unwrap().as_v4(), None);
    }
}
