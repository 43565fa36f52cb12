// SPDX-License-Identifier: GPL-2.0
//! TOA, the TCP option that carries the client's address to the real server.
//!
//! Wire format (Alibaba; DPVS for the IPv6 variant with kind 254):
//! IPv4 `kind 254, len 8, be16 port, be32 addr`;
//! IPv6 `kind 253, len 20, be16 port, 16-byte addr` (DPVS: kind 254, len 20).
//! The director encodes it, toa.ko decodes it: one codec for both.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
