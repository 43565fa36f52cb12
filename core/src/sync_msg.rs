// SPDX-License-Identifier: GPL-2.0
//! Connection sync messages: upstream IPVS's protocol version 1
//! (net/netfilter/ipvs/ip_vs_sync.c), read and written byte for byte so
//! that rvs and ip_vs directors exchange connections, plus rvs's own
//! FULLNAT option.
//!
//! A message is one UDP datagram:
//!
//! ```text
//! 0      reserved, 0 (a version-0 reader takes it as a count of 0)
//! 1      syncid
//! 2..4   size of the whole message (big-endian)
//! 4      number of records
//! 5      version (1)
//! 6..8   spare, 0
//! 8..    records, each starting on a 4-byte boundary of the message
//! ```
//!
//! A record is 36 bytes (IPv4) or 72 (IPv6) of fixed fields, then options
//! of (type, length, data). An option type with [`OPT_F_PARAM`] set may be
//! skipped by a reader that does not know it; an unknown one without that
//! bit makes the reader drop the record. rvs's FULLNAT state (local
//! address and port, sequence offsets, SYNPROXY and TOA state) travels in
//! [`OPT_RVS_FULLNAT`], which has the bit: ip_vs keeps such a record's
//! connection (with a method it does not know, which it then leaves to
//! its own stack) and ignores the option.
//!
//! What a reader does with bad input follows upstream, so that one
//! malformed datagram costs no more than upstream lets it: a fault in the
//! message's framing ([`Fatal`]) ends the message (the records before it
//! stand); a record that is well framed but not acceptable ([`Skip`]) is
//! passed over. Every refusal has its own reason, for the counters. The
//! reader never trusts a length it has not checked against what is left
//! of the datagram.

use super::addr::{Addr, Family};

/// The multicast group of upstream's sync when the operator gives none
/// (224.0.0.81; an IPv6 group is always given).
pub const GROUP_V4: [u8; 4] = [224, 0, 0, 81];
/// Upstream's default UDP port.
pub const PORT: u16 = 8848;
/// The protocol version this codec speaks.
pub const VERSION: u8 = 1;

/// Message header length.
pub const HDR_LEN: usize = 8;
/// Fixed part of an IPv4 record.
pub const REC_V4_LEN: usize = 36;
/// Fixed part of an IPv6 record.
pub const REC_V6_LEN: usize = 72;
/// Record type bit: the addresses are IPv6.
pub const TYPE_F_INET6: u8 = 1;
/// A record's size field holds 12 bits; the top 4 are its version (0).
const SIZE_MASK: u16 = 0x0fff;

/// Option types (upstream's numbering).
pub const OPT_SEQ_DATA: u8 = 1;
pub const OPT_PE_DATA: u8 = 2;
pub const OPT_PE_NAME: u8 = 3;
/// "Optional": a reader that does not know the type skips the option.
pub const OPT_F_PARAM: u8 = 1 << 6;
/// rvs's FULLNAT state, optional for every other reader.
pub const OPT_RVS_FULLNAT: u8 = OPT_F_PARAM | 0x19;
/// Length of `OPT_SEQ_DATA`: two (init_seq, delta, previous_delta).
pub const SEQ_DATA_LEN: usize = 24;
/// Upstream's limits on persistence-engine data and names.
pub const PE_DATA_MAX: usize = 255;
pub const PE_NAME_MAX: usize = 16;

/// Connection flags (`IP_VS_CONN_F_*`) a record carries.
pub mod flags {
    /// The forwarding method in the low bits (`IP_VS_CONN_F_FWD_MASK`),
    /// numbered as a real server's (`ipvs_nl::fwd`): FULLNAT is Alibaba's
    /// 5 (rvs's own; unknown to ip_vs).
    pub use super::super::ipvs_nl::fwd::MASK as FWD_MASK;
    pub const SYNC: u32 = 0x0020;
    pub const HASHED: u32 = 0x0040;
    pub const NOOUTPUT: u32 = 0x0080;
    pub const INACTIVE: u32 = 0x0100;
    pub const OUT_SEQ: u32 = 0x0200;
    pub const IN_SEQ: u32 = 0x0400;
    pub const SEQ_MASK: u32 = 0x0600;
    pub const NO_CPORT: u32 = 0x0800;
    pub const TEMPLATE: u32 = 0x1000;
    pub const ONE_PACKET: u32 = 0x2000;
    /// What a backup takes from a record (`IP_VS_CONN_F_BACKUP_MASK`).
    pub const BACKUP_MASK: u32 = FWD_MASK | NOOUTPUT | INACTIVE | SEQ_MASK | NO_CPORT | TEMPLATE;
}

/// Why a message was cut short: the records after the fault are lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fatal {
    /// Shorter than the 4 bytes every version starts with.
    TooShort,
    /// The header's size is not the datagram's.
    SizeMismatch,
    /// Not version 1 (version 0 messages are not read: upstream sends
    /// them only when told to, with `sync_version` 0).
    Version,
    /// A record's fixed part runs past the message.
    RecordTruncated,
    /// A record's size runs past the message, or is below its fixed part.
    RecordSize,
    /// A record of a version other than 0.
    RecordVersion,
    /// A record type other than IPv4 or IPv6.
    RecordType,
    /// An option header or its data runs past the record, or has length 0.
    OptionBounds,
    /// A sequence option of the wrong length, or twice.
    SeqOption,
    /// A persistence-engine option too long, or twice.
    PeOption,
}

/// Why one record was passed over (the message goes on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// An option this reader does not know and may not skip.
    UnknownMandatory(u8),
    /// Flags upstream refuses (ONE_PACKET; NO_CPORT on a template).
    Flags,
    /// Neither TCP nor UDP (nor a template).
    Protocol,
    /// A state number past the protocol's states.
    State,
    /// rvs's FULLNAT option is present but malformed.
    Fullnat,
}

/// A record or the reason it was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    Conn(Record<'a>),
    Skipped(Skip),
}

/// `struct ip_vs_seq`: one direction's sequence adjustment (NAT helpers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seq {
    pub init_seq: u32,
    pub delta: u32,
    pub previous_delta: u32,
}

/// One synced connection (or persistence template).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// IPPROTO_TCP or IPPROTO_UDP (any number for a template, which
    /// upstream checks only by state).
    pub protocol: u8,
    /// `flags::*` as sent (the reader keeps `BACKUP_MASK` of them).
    pub flags: u32,
    pub state: u16,
    pub caddr: Addr,
    pub cport: u16,
    pub vaddr: Addr,
    pub vport: u16,
    pub daddr: Addr,
    pub dport: u16,
    pub fwmark: u32,
    /// Seconds; 0: the state's own timeout.
    pub timeout: u32,
    /// `OPT_SEQ_DATA`: (in, out).
    pub seq: Option<(Seq, Seq)>,
    pub pe_data: Option<&'a [u8]>,
    pub pe_name: Option<&'a [u8]>,
    /// rvs's FULLNAT state.
    pub fullnat: Option<Fullnat>,
}

impl<'a> Record<'a> {
    /// The family of the record's addresses on the wire (IPv6 if any of
    /// them is: NAT64's IPv4 real server goes as a mapped address).
    pub fn family(&self) -> Family {
        if self.caddr.is_v4() && self.vaddr.is_v4() && self.daddr.is_v4() {
            Family::V4
        } else {
            Family::V6
        }
    }

    /// Bytes this record takes, options included, padding excluded.
    pub fn wire_len(&self) -> usize {
        let mut n = match self.family() {
            Family::V4 => REC_V4_LEN,
            Family::V6 => REC_V6_LEN,
        };
        if self.seq.is_some() {
            n += 2 + SEQ_DATA_LEN;
        }
        if let Some(d) = self.pe_data {
            n += 2 + d.len();
        }
        if let Some(d) = self.pe_name {
            n += 2 + d.len();
        }
        if let Some(f) = &self.fullnat {
            n += 2 + f.wire_len();
        }
        n
    }
}

/// rvs's FULLNAT state of a connection, [`OPT_RVS_FULLNAT`]'s data:
///
/// ```text
/// 0      layout version (1)
/// 1      bits: FN_LADDR6 (the local address is IPv6), FN_SYNPROXY (the
///        director made the client's handshake), FN_TOA_DONE (the real
///        server acknowledged data: no more TOA)
/// 2..4   local port (big-endian)
/// 4..8   client -> real server sequence offset
/// 8..12  the client's ISN as the real server sees it
/// 12..16 SYNPROXY: real server -> client sequence offset
/// 16     SYNPROXY: the real server's window scale (255: none)
/// 17     SYNPROXY: the window scale offered to the client
/// 18     SYNPROXY: the client's window scale (255: none)
/// 19     0
/// 20..   local address (4 or 16 bytes)
/// ```
///
/// A reader takes a longer option of the same layout version (fields
/// added at the end are for later readers) and refuses a shorter one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fullnat {
    pub laddr: Addr,
    pub lport: u16,
    pub seq_in: u32,
    pub rs_isn: u32,
    pub toa_done: bool,
    pub synproxy: Option<SynproxySync>,
}

/// The SYNPROXY part of [`Fullnat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynproxySync {
    pub seq_out: u32,
    pub rs_ws: u8,
    pub offered_ws: u8,
    pub client_ws: u8,
}

pub const FN_LAYOUT: u8 = 1;
pub const FN_LADDR6: u8 = 1;
pub const FN_SYNPROXY: u8 = 2;
pub const FN_TOA_DONE: u8 = 4;
const FN_FIXED: usize = 20;

impl Fullnat {
    pub fn wire_len(&self) -> usize {
        FN_FIXED + if self.laddr.is_v4() { 4 } else { 16 }
    }

    fn write(&self, out: &mut [u8]) {
        let mut bits = 0;
        if !self.laddr.is_v4() {
            bits |= FN_LADDR6;
        }
        if self.toa_done {
            bits |= FN_TOA_DONE;
        }
        let sp = self.synproxy.unwrap_or(SynproxySync { seq_out: 0, rs_ws: 255, offered_ws: 0, client_ws: 255 });
        if self.synproxy.is_some() {
            bits |= FN_SYNPROXY;
        }
        out[0] = FN_LAYOUT;
        out[1] = bits;
        out[2..4].copy_from_slice(&self.lport.to_be_bytes());
        out[4..8].copy_from_slice(&self.seq_in.to_be_bytes());
        out[8..12].copy_from_slice(&self.rs_isn.to_be_bytes());
        out[12..16].copy_from_slice(&sp.seq_out.to_be_bytes());
        out[16] = sp.rs_ws;
        out[17] = sp.offered_ws;
        out[18] = sp.client_ws;
        out[19] = 0;
        if self.laddr.is_v4() {
            out[20..24].copy_from_slice(&self.laddr.octets()[12..]);
        } else {
            out[20..36].copy_from_slice(self.laddr.octets());
        }
    }

    fn read(b: &[u8]) -> Option<Fullnat> {
        if b.len() < FN_FIXED || b[0] != FN_LAYOUT {
            return None;
        }
        let bits = b[1];
        let laddr = if bits & FN_LADDR6 != 0 {
            let a: [u8; 16] = b.get(20..36)?.try_into().ok()?;
            if Addr::is_v4_mapped_wire(&a) {
                return None;
            }
            Addr::v6(a)
        } else {
            Addr::v4_bytes(b.get(20..24)?.try_into().ok()?)
        };
        let synproxy = (bits & FN_SYNPROXY != 0).then(|| SynproxySync {
            seq_out: be32(&b[12..16]),
            rs_ws: b[16],
            offered_ws: b[17],
            client_ws: b[18],
        });
        Some(Fullnat {
            laddr,
            lport: be16(&b[2..4]),
            seq_in: be32(&b[4..8]),
            rs_isn: be32(&b[8..12]),
            toa_done: bits & FN_TOA_DONE != 0,
            synproxy,
        })
    }
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// States upstream knows per protocol (`num_states`), and for templates
/// (`IP_VS_CTPL_S_LAST`).
const TCP_STATES: u16 = 11;
const UDP_STATES: u16 = 1;
const TEMPLATE_STATES: u16 = 2;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;

/// A message's header, checked: see [`Message::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub syncid: u8,
    pub count: u8,
    records: &'a [u8],
}

impl<'a> Message<'a> {
    /// The header of a datagram. `Err(None)` (not a fault) for a message of
    /// another syncid when `want_syncid` is not 0 (upstream's filter).
    pub fn parse(buf: &'a [u8], want_syncid: u8) -> Result<Message<'a>, Option<Fatal>> {
        if buf.len() < 4 {
            return Err(Some(Fatal::TooShort));
        }
        if be16(&buf[2..4]) as usize != buf.len() {
            return Err(Some(Fatal::SizeMismatch));
        }
        if want_syncid != 0 && buf[1] != want_syncid {
            return Err(None);
        }
        if buf.len() < HDR_LEN || buf[0] != 0 || buf[5] != VERSION || buf[6] != 0 || buf[7] != 0 {
            return Err(Some(Fatal::Version));
        }
        Ok(Message { syncid: buf[1], count: buf[4], records: &buf[HDR_LEN..] })
    }

    /// The records, in order; after a [`Fatal`] the iterator ends.
    pub fn records(&self) -> Records<'a> {
        Records { rest: self.records, left: self.count, off: HDR_LEN, failed: false }
    }
}

/// Iterator over a message's records.
pub struct Records<'a> {
    rest: &'a [u8],
    left: u8,
    /// Offset of `rest` in the message (for the 4-byte alignment).
    off: usize,
    failed: bool,
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Item<'a>, Fatal>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.left == 0 {
            return None;
        }
        self.left -= 1;
        match read_record(self.rest) {
            Ok((item, size)) => {
                // The next record starts on a 4-byte boundary, counted from
                // the message's start (the header is 8 bytes: the same).
                let adv = ((self.off + size + 3) & !3) - self.off;
                self.rest = self.rest.get(adv..).unwrap_or(&[]);
                self.off += adv;
                Some(Ok(item))
            }
            Err(f) => {
                self.failed = true;
                Some(Err(f))
            }
        }
    }
}

/// One record at the start of `b`: the item and the record's size.
fn read_record(b: &[u8]) -> Result<(Item<'_>, usize), Fatal> {
    if b.len() < REC_V4_LEN {
        return Err(Fatal::RecordTruncated);
    }
    let ver_size = be16(&b[2..4]);
    let size = (ver_size & SIZE_MASK) as usize;
    if size > b.len() {
        return Err(Fatal::RecordSize);
    }
    if ver_size >> 12 != 0 {
        return Err(Fatal::RecordVersion);
    }
    let (family, fixed) = match b[0] {
        0 => (Family::V4, REC_V4_LEN),
        TYPE_F_INET6 => (Family::V6, REC_V6_LEN),
        _ => return Err(Fatal::RecordType),
    };
    if size < fixed {
        return Err(Fatal::RecordSize);
    }
    let rec = &b[..size];
    let addr = |i: usize| -> Addr {
        match family {
            Family::V4 => Addr::v4_bytes([rec[i], rec[i + 1], rec[i + 2], rec[i + 3]]),
            Family::V6 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(&rec[i..i + 16]);
                // A mapped address in an IPv6 record is an IPv4 real
                // server (NAT64); `Addr` holds it as IPv4.
                Addr::v6(a)
            }
        }
    };
    let alen = if family == Family::V4 { 4 } else { 16 };
    let mut r = Record {
        protocol: rec[1],
        flags: be32(&rec[4..8]),
        state: be16(&rec[8..10]),
        cport: be16(&rec[10..12]),
        vport: be16(&rec[12..14]),
        dport: be16(&rec[14..16]),
        fwmark: be32(&rec[16..20]),
        timeout: be32(&rec[20..24]),
        caddr: addr(24),
        vaddr: addr(24 + alen),
        daddr: addr(24 + 2 * alen),
        seq: None,
        pe_data: None,
        pe_name: None,
        fullnat: None,
    };
    // Options: all of them are framed before any is judged, as upstream.
    let mut p = fixed;
    let mut unknown = None;
    let mut bad_fullnat = false;
    while p < size {
        if p + 2 > size {
            return Err(Fatal::OptionBounds);
        }
        let (ty, len) = (rec[p], rec[p + 1] as usize);
        p += 2;
        if len == 0 || p + len > size {
            return Err(Fatal::OptionBounds);
        }
        let data = &rec[p..p + len];
        match ty & !OPT_F_PARAM {
            OPT_SEQ_DATA => {
                if len != SEQ_DATA_LEN || r.seq.is_some() {
                    return Err(Fatal::SeqOption);
                }
                let s = |i: usize| Seq {
                    init_seq: be32(&data[i..]),
                    delta: be32(&data[i + 4..]),
                    previous_delta: be32(&data[i + 8..]),
                };
                r.seq = Some((s(0), s(12)));
            }
            OPT_PE_DATA => {
                if len > PE_DATA_MAX || r.pe_data.is_some() {
                    return Err(Fatal::PeOption);
                }
                r.pe_data = Some(data);
            }
            OPT_PE_NAME => {
                if len > PE_NAME_MAX || r.pe_name.is_some() {
                    return Err(Fatal::PeOption);
                }
                r.pe_name = Some(data);
            }
            _ if ty == OPT_RVS_FULLNAT => {
                if r.fullnat.is_some() {
                    bad_fullnat = true;
                }
                match Fullnat::read(data) {
                    Some(f) => r.fullnat = Some(f),
                    None => bad_fullnat = true,
                }
            }
            _ => {
                if ty & OPT_F_PARAM == 0 && unknown.is_none() {
                    unknown = Some(ty);
                }
            }
        }
        p += len;
    }
    let skip = |s| Ok((Item::Skipped(s), size));
    if let Some(t) = unknown {
        return skip(Skip::UnknownMandatory(t));
    }
    if r.flags & flags::ONE_PACKET != 0 || (r.flags & flags::NO_CPORT != 0 && r.flags & flags::TEMPLATE != 0) {
        return skip(Skip::Flags);
    }
    let states = if r.flags & flags::TEMPLATE != 0 {
        TEMPLATE_STATES
    } else {
        match r.protocol {
            IPPROTO_TCP => TCP_STATES,
            IPPROTO_UDP => UDP_STATES,
            _ => return skip(Skip::Protocol),
        }
    };
    if r.state >= states {
        return skip(Skip::State);
    }
    if bad_fullnat {
        return skip(Skip::Fullnat);
    }
    Ok((Item::Conn(r), size))
}

/// Why a record was not added to a message being built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Full {
    /// No room left: send the message, start another.
    Room,
    /// 255 records already (the count is one byte).
    Count,
    /// The record is larger than a record may be (12-bit size) or than the
    /// buffer could ever hold.
    TooLarge,
}

/// A message being built in a caller's buffer (the datagram's payload;
/// its length is what the path's MTU allows).
pub struct Builder<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Builder<'b> {
    /// An empty message with `syncid`. `buf` must hold at least the header.
    pub fn new(buf: &'b mut [u8], syncid: u8) -> Option<Builder<'b>> {
        if buf.len() < HDR_LEN {
            return None;
        }
        buf[..HDR_LEN].copy_from_slice(&[0, syncid, 0, HDR_LEN as u8, 0, VERSION, 0, 0]);
        Some(Builder { buf, len: HDR_LEN })
    }

    /// Goes on with a message begun in `buf` by [`Builder::new`] (its
    /// header says how far it got); `None` if `buf` does not hold one.
    pub fn resume(buf: &'b mut [u8]) -> Option<Builder<'b>> {
        if buf.len() < HDR_LEN || buf[0] != 0 || buf[5] != VERSION {
            return None;
        }
        let len = be16(&buf[2..4]) as usize;
        if len < HDR_LEN || len > buf.len() {
            return None;
        }
        Some(Builder { buf, len })
    }

    pub fn count(&self) -> u8 {
        self.buf[4]
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// Adds a record (its HASHED flag cleared, as upstream sends them).
    pub fn push(&mut self, r: &Record<'_>) -> Result<(), Full> {
        let n = r.wire_len();
        if n > SIZE_MASK as usize || HDR_LEN + n > self.buf.len() {
            return Err(Full::TooLarge);
        }
        if r.pe_data.is_some_and(|d| d.is_empty() || d.len() > PE_DATA_MAX)
            || r.pe_name.is_some_and(|d| d.is_empty() || d.len() > PE_NAME_MAX)
        {
            return Err(Full::TooLarge);
        }
        if self.count() == u8::MAX {
            return Err(Full::Count);
        }
        let start = (self.len + 3) & !3;
        if start + n > self.buf.len() {
            return Err(Full::Room);
        }
        self.buf[self.len..start].fill(0);
        let out = &mut self.buf[start..start + n];
        let v6 = r.family() == Family::V6;
        out[0] = if v6 { TYPE_F_INET6 } else { 0 };
        out[1] = r.protocol;
        out[2..4].copy_from_slice(&(n as u16).to_be_bytes());
        out[4..8].copy_from_slice(&(r.flags & !flags::HASHED).to_be_bytes());
        out[8..10].copy_from_slice(&r.state.to_be_bytes());
        out[10..12].copy_from_slice(&r.cport.to_be_bytes());
        out[12..14].copy_from_slice(&r.vport.to_be_bytes());
        out[14..16].copy_from_slice(&r.dport.to_be_bytes());
        out[16..20].copy_from_slice(&r.fwmark.to_be_bytes());
        out[20..24].copy_from_slice(&r.timeout.to_be_bytes());
        let mut p = 24;
        for a in [&r.caddr, &r.vaddr, &r.daddr] {
            if v6 {
                out[p..p + 16].copy_from_slice(a.octets());
                p += 16;
            } else {
                out[p..p + 4].copy_from_slice(&a.octets()[12..]);
                p += 4;
            }
        }
        if let Some((i, o)) = r.seq {
            out[p] = OPT_SEQ_DATA;
            out[p + 1] = SEQ_DATA_LEN as u8;
            p += 2;
            for s in [i, o] {
                out[p..p + 4].copy_from_slice(&s.init_seq.to_be_bytes());
                out[p + 4..p + 8].copy_from_slice(&s.delta.to_be_bytes());
                out[p + 8..p + 12].copy_from_slice(&s.previous_delta.to_be_bytes());
                p += 12;
            }
        }
        for (ty, d) in [(OPT_PE_DATA, r.pe_data), (OPT_PE_NAME, r.pe_name)] {
            if let Some(d) = d {
                out[p] = ty;
                out[p + 1] = d.len() as u8;
                out[p + 2..p + 2 + d.len()].copy_from_slice(d);
                p += 2 + d.len();
            }
        }
        if let Some(f) = &r.fullnat {
            let l = f.wire_len();
            out[p] = OPT_RVS_FULLNAT;
            out[p + 1] = l as u8;
            f.write(&mut out[p + 2..p + 2 + l]);
            p += 2 + l;
        }
        debug_assert_eq!(p, n);
        self.len = start + n;
        self.buf[4] += 1;
        self.buf[2..4].copy_from_slice(&(self.len as u16).to_be_bytes());
        Ok(())
    }

    /// The message so far: what to send.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::super::ipvs_nl::fwd;
    use super::*;

    fn v4(s: &str) -> Addr {
        let o: Vec<u8> = s.split('.').map(|x| x.parse().unwrap()).collect();
        Addr::v4_bytes([o[0], o[1], o[2], o[3]])
    }

    fn rec() -> Record<'static> {
        Record {
            protocol: 6,
            flags: fwd::DROUTE,
            state: 1,
            caddr: v4("192.0.2.2"),
            cport: 40000,
            vaddr: v4("192.0.2.100"),
            vport: 80,
            daddr: v4("198.51.100.11"),
            dport: 80,
            fwmark: 0,
            timeout: 900,
            seq: None,
            pe_data: None,
            pe_name: None,
            fullnat: None,
        }
    }

    /// The items of a message (its bytes leaked: items borrow them).
    fn one(buf: &[u8]) -> Vec<Result<Item<'static>, Fatal>> {
        let buf: &'static [u8] = Box::leak(buf.to_vec().into_boxed_slice());
        Message::parse(buf, 0).unwrap().records().collect()
    }

    /// The bytes upstream's ip_vs_sync_conn() writes for an IPv4 DR
    /// connection (layout of struct ip_vs_sync_mesg + ip_vs_sync_v4).
    #[test]
    fn ipv4_record_matches_upstream_layout() {
        let mut buf = [0u8; 1500];
        let mut b = Builder::new(&mut buf, 7).unwrap();
        b.push(&Record { flags: fwd::DROUTE | flags::HASHED, ..rec() }).unwrap();
        let m = b.bytes();
        #[rustfmt::skip]
        let want: [u8; 44] = [
            0, 7, 0, 44, 1, 1, 0, 0,
            0, 6, 0, 36, 0, 0, 0, 3, 0, 1, 0x9c, 0x40, 0, 80, 0, 80,
            0, 0, 0, 0, 0, 0, 3, 0x84,
            192, 0, 2, 2, 192, 0, 2, 100, 198, 51, 100, 11,
        ];
        assert_eq!(m, &want[..]);
        assert_eq!(one(m), vec![Ok(Item::Conn(rec()))]);
    }

    #[test]
    fn round_trip_with_every_option_and_alignment() {
        let mut buf = [0u8; 1500];
        let mut b = Builder::new(&mut buf, 0).unwrap();
        let v6 = Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 0xc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        let vip6 = Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 0xc, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
        let recs = [
            Record { pe_data: Some(b"abc"), pe_name: Some(b"sip"), ..rec() },
            Record {
                flags: fwd::MASQ | flags::SEQ_MASK,
                seq: Some((Seq { init_seq: 1, delta: 2, previous_delta: 3 }, Seq { init_seq: 4, delta: 5, previous_delta: 6 })),
                ..rec()
            },
            // NAT64 FULLNAT with SYNPROXY: IPv6 client and VIP, IPv4 real
            // server and local address.
            Record {
                flags: fwd::FULLNAT,
                caddr: v6,
                vaddr: vip6,
                fullnat: Some(Fullnat {
                    laddr: v4("198.51.100.200"),
                    lport: 5000,
                    seq_in: 0xdead_beef,
                    rs_isn: 77,
                    toa_done: true,
                    synproxy: Some(SynproxySync { seq_out: 9, rs_ws: 7, offered_ws: 7, client_ws: 255 }),
                }),
                ..rec()
            },
            Record {
                protocol: 17,
                state: 0,
                flags: fwd::FULLNAT,
                caddr: v6,
                vaddr: vip6,
                daddr: vip6,
                fullnat: Some(Fullnat { laddr: vip6, lport: 1, seq_in: 0, rs_isn: 0, toa_done: false, synproxy: None }),
                ..rec()
            },
        ];
        for r in &recs {
            b.push(r).unwrap();
        }
        let m = b.bytes().to_vec();
        assert_eq!(m.len(), be16(&m[2..4]) as usize);
        let got: Vec<_> = one(&m).into_iter().map(|i| i.unwrap()).collect();
        assert_eq!(got, recs.iter().map(|r| Item::Conn(*r)).collect::<Vec<_>>());
        // Records start on 4-byte boundaries: the first (36 + 5 + 5 = 46
        // bytes) is followed by 2 bytes of padding.
        assert_eq!(&m[8 + 46..8 + 48], &[0, 0]);
        assert_eq!(m[8 + 48 + 1], 6);
    }

    #[test]
    fn builder_fills_then_reports_room_and_count() {
        let mut buf = [0u8; 8 + 36 * 3];
        let mut b = Builder::new(&mut buf, 1).unwrap();
        for _ in 0..3 {
            b.push(&rec()).unwrap();
        }
        assert_eq!(b.push(&rec()), Err(Full::Room));
        assert_eq!(b.count(), 3);
        // Resumed where it stopped.
        let mut buf2 = [0u8; 8 + 36 * 3];
        let mut b2 = Builder::new(&mut buf2, 1).unwrap();
        b2.push(&rec()).unwrap();
        let mut b2 = Builder::resume(&mut buf2).unwrap();
        assert_eq!(b2.count(), 1);
        b2.push(&rec()).unwrap();
        b2.push(&rec()).unwrap();
        assert_eq!(b2.bytes(), &buf[..]);
        assert!(Builder::resume(&mut [0u8; 4]).is_none());
        let mut bad = [0u8; 16];
        bad[5] = 1;
        bad[3] = 17;
        assert!(Builder::resume(&mut bad).is_none(), "size past the buffer");
        let mut big = [0u8; 65535];
        let mut b = Builder::new(&mut big, 1).unwrap();
        for _ in 0..255 {
            b.push(&rec()).unwrap();
        }
        assert_eq!(b.push(&rec()), Err(Full::Count));
        assert_eq!(Message::parse(b.bytes(), 1).unwrap().records().count(), 255);
        let mut small = [0u8; 40];
        assert_eq!(Builder::new(&mut small, 1).unwrap().push(&rec()), Err(Full::TooLarge));
    }

    fn msg_with(rec_bytes: &[u8], count: u8) -> Vec<u8> {
        let mut m = vec![0, 0, 0, 0, count, 1, 0, 0];
        m.extend_from_slice(rec_bytes);
        let l = m.len() as u16;
        m[2..4].copy_from_slice(&l.to_be_bytes());
        m
    }

    fn rec_bytes(r: &Record) -> Vec<u8> {
        let mut buf = [0u8; 1500];
        let mut b = Builder::new(&mut buf, 0).unwrap();
        b.push(r).unwrap();
        b.bytes()[8..].to_vec()
    }

    #[test]
    fn header_faults() {
        assert_eq!(Message::parse(&[0, 0, 0], 0), Err(Some(Fatal::TooShort)));
        let mut m = msg_with(&rec_bytes(&rec()), 1);
        m[3] += 1;
        assert_eq!(Message::parse(&m, 0), Err(Some(Fatal::SizeMismatch)));
        m[3] -= 1;
        assert_eq!(Message::parse(&m, 9), Err(None), "another syncid is filtered, not a fault");
        assert!(Message::parse(&m, 0).is_ok());
        for (i, v) in [(0, 1u8), (5, 0), (5, 2), (6, 1), (7, 1)] {
            let mut x = m.clone();
            x[i] = v;
            assert_eq!(Message::parse(&x, 0), Err(Some(Fatal::Version)), "byte {i} = {v}");
        }
        // 4..7 bytes: sized right but no room for a version-1 header.
        assert_eq!(Message::parse(&[0, 0, 0, 4], 0), Err(Some(Fatal::Version)));
    }

    #[test]
    fn record_faults_end_the_message_and_skips_do_not() {
        let good = rec_bytes(&rec());
        // Count says 2, one record there.
        assert_eq!(one(&msg_with(&good, 2)), vec![Ok(Item::Conn(rec())), Err(Fatal::RecordTruncated)]);
        let with = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut r = good.clone();
            f(&mut r);
            let mut both = r;
            both.extend_from_slice(&good);
            one(&msg_with(&both, 2))
        };
        assert_eq!(with(&|r| r[2] |= 0x10), vec![Err(Fatal::RecordVersion)]);
        assert_eq!(with(&|r| r[0] = 2), vec![Err(Fatal::RecordType)]);
        assert_eq!(with(&|r| r[3] = 200), vec![Err(Fatal::RecordSize)]);
        assert_eq!(with(&|r| r[3] = 20), vec![Err(Fatal::RecordSize)]);
        // An IPv6 type on 36 bytes: below its fixed part.
        assert_eq!(with(&|r| r[0] = 1), vec![Err(Fatal::RecordSize)]);
        // Skips: the second record is still read.
        let skipped = |s| vec![Ok(Item::Skipped(s)), Ok(Item::Conn(rec()))];
        // Flags are bytes 4..8: ONE_PACKET is 0x2000.
        assert_eq!(with(&|r| r[6] = 0x20), skipped(Skip::Flags));
        assert_eq!(with(&|r| r[6] = 0x18), skipped(Skip::Flags), "NO_CPORT on a template");
        assert_eq!(with(&|r| r[1] = 132), skipped(Skip::Protocol));
        assert_eq!(with(&|r| r[9] = 11), skipped(Skip::State));
        let mut udp = rec();
        udp.protocol = 17;
        udp.state = 1;
        let mut m = rec_bytes(&udp);
        m.extend_from_slice(&good);
        assert_eq!(one(&msg_with(&m, 2)), skipped(Skip::State));
    }

    /// A record with `opts` appended (its size grown to cover them).
    fn with_opts(opts: &[u8]) -> Vec<u8> {
        let mut r = rec_bytes(&rec());
        r.extend_from_slice(opts);
        let n = r.len() as u16;
        r[2..4].copy_from_slice(&n.to_be_bytes());
        while !r.len().is_multiple_of(4) {
            r.push(0);
        }
        r
    }

    #[test]
    fn options_unknown_optional_and_bad() {
        let good = rec_bytes(&rec());
        let msg = |opts: &[u8]| {
            let mut r = with_opts(opts);
            r.extend_from_slice(&good);
            msg_with(&r, 2)
        };
        let ok2 = vec![Ok(Item::Conn(rec())), Ok(Item::Conn(rec()))];
        // Optional unknown: skipped silently.
        assert_eq!(one(&msg(&[0x40 | 9, 3, 1, 2, 3])), ok2);
        // Mandatory unknown: the record is passed over.
        assert_eq!(one(&msg(&[9, 1, 0])), vec![Ok(Item::Skipped(Skip::UnknownMandatory(9))), Ok(Item::Conn(rec()))]);
        // Framing faults end the message.
        assert_eq!(one(&msg(&[9, 0])), vec![Err(Fatal::OptionBounds)]);
        assert_eq!(one(&msg(&[9])), vec![Err(Fatal::OptionBounds)]);
        assert_eq!(one(&msg(&[9, 5, 1])), vec![Err(Fatal::OptionBounds)]);
        let seq_bad = [[1u8, 20].as_slice(), &[0; 20]].concat();
        assert_eq!(one(&msg(&seq_bad)), vec![Err(Fatal::SeqOption)]);
        let seq = [[1u8, 24].as_slice(), &[0; 24]].concat();
        assert_eq!(one(&msg(&[seq.clone(), seq].concat())), vec![Err(Fatal::SeqOption)]);
        assert_eq!(one(&msg(&[[3u8, 17].as_slice(), &[b'x'; 17]].concat())), vec![Err(Fatal::PeOption)]);
        // A FULLNAT option that does not read: the record is passed over.
        assert_eq!(one(&msg(&[OPT_RVS_FULLNAT, 4, 1, 0, 0, 0])), vec![Ok(Item::Skipped(Skip::Fullnat)), Ok(Item::Conn(rec()))]);
        let mut fnat = [0u8; 24];
        fnat[0] = 2;
        assert_eq!(one(&msg(&[[OPT_RVS_FULLNAT, 24].as_slice(), &fnat].concat()))[0], Ok(Item::Skipped(Skip::Fullnat)), "unknown layout");
        fnat[0] = 1;
        fnat[1] = FN_LADDR6;
        assert_eq!(one(&msg(&[[OPT_RVS_FULLNAT, 24].as_slice(), &fnat].concat()))[0], Ok(Item::Skipped(Skip::Fullnat)), "IPv6 LADDR in 4 bytes");
        // A longer option of the same layout is read (fields for later
        // readers at its end).
        let mut long = [0u8; 30];
        long[0] = 1;
        long[2] = 0x13;
        match one(&msg(&[[OPT_RVS_FULLNAT, 30].as_slice(), &long].concat()))[0] {
            Ok(Item::Conn(r)) => assert_eq!(r.fullnat.unwrap().lport, 0x1300),
            ref x => panic!("{x:?}"),
        }
    }

    /// Random and mutated datagrams: never a panic, lengths always in
    /// bounds, and whatever reads as a record writes back to the same
    /// record.
    #[test]
    fn fuzz_never_panics_and_round_trips() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut base = [0u8; 1500];
        let mut b = Builder::new(&mut base, 3).unwrap();
        b.push(&rec()).unwrap();
        b.push(&Record {
            flags: fwd::FULLNAT,
            fullnat: Some(Fullnat { laddr: v4("198.51.100.200"), lport: 7, seq_in: 1, rs_isn: 2, toa_done: false, synproxy: None }),
            ..rec()
        })
        .unwrap();
        let base = b.bytes().to_vec();
        let (mut conns, mut skips, mut fatals) = (0, 0, 0);
        for i in 0..20_000 {
            let mut m = if i % 4 == 0 {
                (0..(rnd() % 200) as usize).map(|_| rnd() as u8).collect::<Vec<u8>>()
            } else {
                let mut m = base.clone();
                for _ in 0..1 + rnd() % 4 {
                    let k = (rnd() as usize) % m.len();
                    m[k] = rnd() as u8;
                }
                m
            };
            if i % 3 == 0 && m.len() >= 4 {
                let l = m.len() as u16;
                m[2..4].copy_from_slice(&l.to_be_bytes());
            }
            let Ok(msg) = Message::parse(&m, 0) else { continue };
            for it in msg.records() {
                match it {
                    Ok(Item::Conn(r)) => {
                        conns += 1;
                        let mut out = [0u8; 1500];
                        let mut b = Builder::new(&mut out, 0).unwrap();
                        if b.push(&r).is_ok() {
                            let again: Vec<_> = one(b.bytes());
                            assert_eq!(again, vec![Ok(Item::Conn(Record { flags: r.flags & !flags::HASHED, ..r }))]);
                        }
                    }
                    Ok(Item::Skipped(_)) => skips += 1,
                    Err(_) => fatals += 1,
                }
            }
        }
        assert!(conns > 1000 && skips > 100 && fatals > 100, "{conns} {skips} {fatals}");
    }
}
