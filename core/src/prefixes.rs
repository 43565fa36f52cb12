// SPDX-License-Identifier: GPL-2.0
//! A list of address prefixes that says which peers are believed, an
//! empty list believing everyone: whose TOA a real server takes (toa.ko's
//! `trusted` parameter) and whose sync messages a backup takes (the
//! namespace's `sync_peers` sysctl).
//!
//! TOA exists to be believed: getpeername() and accept() return what it
//! says, to applications and to in-kernel users alike. Any host that can
//! reach the real server directly can write the option into its own
//! handshake, so a real server reachable from elsewhere than its
//! directors must name them. Sync records make connections: a director
//! whose sync group can be reached from elsewhere than its peers names
//! them. Empty is the default of both, as Alibaba's module and upstream's
//! sync daemon had it: nothing changes for an existing installation.

use super::addr::{Addr, Family};
use core::fmt;

/// Most prefixes the list holds.
pub const MAX_PREFIXES: usize = 16;

/// The believed prefixes (none: every peer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefixes {
    nets: [(Addr, u8); MAX_PREFIXES],
    n: usize,
}

/// Why a list was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefixError {
    /// An entry is not an address, or not ADDR/LEN with LEN within its
    /// family's bits.
    BadEntry,
    /// More than [`MAX_PREFIXES`] entries.
    TooMany,
}

impl Prefixes {
    /// Every peer believed.
    pub const fn everyone() -> Prefixes {
        Prefixes { nets: [(Addr::v4(0), 0); MAX_PREFIXES], n: 0 }
    }

    /// Parses a comma-separated list of `ADDR` or `ADDR/LEN` (IPv4 or IPv6;
    /// an address alone is one host). Blanks around entries and a trailing
    /// newline are ignored; an empty list is [`Prefixes::everyone`].
    pub fn parse(s: &[u8]) -> Result<Prefixes, PrefixError> {
        let mut t = Prefixes::everyone();
        for entry in s.split(|&b| b == b',') {
            let e = entry.trim_ascii();
            if e.is_empty() {
                if s.trim_ascii().is_empty() {
                    continue;
                }
                return Err(PrefixError::BadEntry);
            }
            if t.n == MAX_PREFIXES {
                return Err(PrefixError::TooMany);
            }
            let (a, len) = match e.iter().position(|&b| b == b'/') {
                Some(i) => (&e[..i], Some(&e[i + 1..])),
                None => (e, None),
            };
            let addr = Addr::parse(a).ok_or(PrefixError::BadEntry)?;
            let bits = match addr.family() {
                Family::V4 => 32,
                Family::V6 => 128,
            };
            let len = match len {
                None => bits,
                Some(l) => parse_len(l).filter(|&l| l <= bits).ok_or(PrefixError::BadEntry)?,
            };
            t.nets[t.n] = (addr.masked(len), len);
            t.n += 1;
        }
        Ok(t)
    }

    /// Whether every peer is believed (an empty list).
    pub const fn is_any(&self) -> bool {
        self.n == 0
    }

    /// The prefixes, in the order given.
    pub fn prefixes(&self) -> &[(Addr, u8)] {
        &self.nets[..self.n]
    }

    /// Whether `peer` (an IPv4 address in its mapped form) is believed.
    pub fn admits(&self, peer: &Addr) -> bool {
        self.n == 0
            || self.prefixes().iter().any(|(net, len)| net.family() == peer.family() && peer.masked(*len) == *net)
    }
}

/// As `parse` takes it: `ADDR/LEN` entries joined by commas (empty for
/// everyone), so that what is read back can be written again.
impl fmt::Display for Prefixes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (net, len)) in self.prefixes().iter().enumerate() {
            write!(f, "{}{}/{}", if i > 0 { "," } else { "" }, net.display(), len)?;
        }
        Ok(())
    }
}

/// A prefix length: decimal, at most three digits.
fn parse_len(s: &[u8]) -> Option<u8> {
    if s.is_empty() || s.len() > 3 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u16, |v, &d| Some(v * 10 + (d - b'0') as u16)).and_then(|v| u8::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Addr {
        Addr::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn empty_admits_everyone() {
        for s in ["", "\n", "  "] {
            let t = Prefixes::parse(s.as_bytes()).unwrap();
            assert!(t.is_any());
            assert!(t.admits(&a("203.0.113.9")) && t.admits(&a("2001:db8::1")));
        }
    }

    #[test]
    fn prefixes_of_both_families() {
        let t = Prefixes::parse(b"198.51.100.0/24, 2001:db8:1::/64,192.0.2.7\n").unwrap();
        assert_eq!(t.prefixes().len(), 3);
        assert!(t.admits(&a("198.51.100.201")));
        assert!(!t.admits(&a("198.51.101.1")));
        assert!(t.admits(&a("2001:db8:1::201")));
        assert!(!t.admits(&a("2001:db8:2::1")));
        assert!(t.admits(&a("192.0.2.7")));
        assert!(!t.admits(&a("192.0.2.8")));
        // An IPv4 prefix says nothing of IPv6 peers and the other way round,
        // even where the bits would match (::/0 is every IPv6 peer only).
        let t = Prefixes::parse(b"0.0.0.0/0").unwrap();
        assert!(t.admits(&a("203.0.113.1")) && !t.admits(&a("2001:db8::1")));
        let t = Prefixes::parse(b"::/0").unwrap();
        assert!(!t.admits(&a("203.0.113.1")) && t.admits(&a("2001:db8::1")));
        // Host bits past the prefix are ignored in the entry.
        let t = Prefixes::parse(b"198.51.100.77/24").unwrap();
        assert!(t.admits(&a("198.51.100.1")));
    }

    #[test]
    fn read_back_as_written() {
        let t = Prefixes::parse(b" 198.51.100.77/24,2001:db8:1::/64 , 192.0.2.7\n").unwrap();
        let s = t.to_string();
        assert_eq!(s, "198.51.100.0/24,2001:db8:1::/64,192.0.2.7/32");
        assert_eq!(Prefixes::parse(s.as_bytes()).unwrap(), t);
        assert_eq!(Prefixes::everyone().to_string(), "");
    }

    #[test]
    fn bad_lists_refused() {
        for s in ["198.51.100.0/33", "2001:db8::/129", "198.51.100.0/", "198.51.100.0/x", "nonsense", "198.51.100.1,,192.0.2.1", "1.2.3.4/0024"] {
            assert_eq!(Prefixes::parse(s.as_bytes()), Err(PrefixError::BadEntry), "{s}");
        }
        let many = (1..=17).map(|i| format!("192.0.2.{i}")).collect::<Vec<_>>().join(",");
        assert_eq!(Prefixes::parse(many.as_bytes()), Err(PrefixError::TooMany));
        let sixteen = (1..=16).map(|i| format!("192.0.2.{i}")).collect::<Vec<_>>().join(",");
        assert_eq!(Prefixes::parse(sixteen.as_bytes()).unwrap().prefixes().len(), 16);
    }
}
