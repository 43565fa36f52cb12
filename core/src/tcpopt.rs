// SPDX-License-Identifier: GPL-2.0
//! TCP options: a validating iterator and the in-place edits rvs makes
//! (timestamp removal, MSS clamp, SACK edge mapping), each keeping the TCP
//! checksum right incrementally.
//!
//! `opts` is always the option area of one header: the bytes from offset 20
//! of the TCP header up to `doff * 4`. Since 20 is even, a byte's position in
//! `opts` has the same parity as in the header, which is what the 16-bit
//! checksum words follow.

use super::csum::{self, FieldState};

/// End of option list.
pub const EOL: u8 = 0;
/// No operation (padding).
pub const NOP: u8 = 1;
/// Maximum segment size.
pub const MSS: u8 = 2;
/// Window scale.
pub const WSCALE: u8 = 3;
/// SACK permitted.
pub const SACK_PERM: u8 = 4;
/// SACK blocks.
pub const SACK: u8 = 5;
/// Timestamps.
pub const TIMESTAMP: u8 = 8;

/// Length of the option kinds whose length is fixed by their RFC.
const fn fixed_len(kind: u8) -> Option<usize> {
    match kind {
        MSS => Some(4),
        WSCALE => Some(3),
        SACK_PERM => Some(2),
        TIMESTAMP => Some(10),
        _ => None,
    }
}

/// The largest option area a TCP header can carry.
pub const MAX_OPT_LEN: usize = 40;

/// Why an option area was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptError {
    /// An option's length byte is missing or runs past the header.
    Truncated,
    /// A length below 2, or not the one the kind requires.
    BadLength,
}

/// One option: its kind, where it starts in `opts`, and its total length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opt {
    /// Option kind.
    pub kind: u8,
    /// Offset of the kind byte in the option area.
    pub off: usize,
    /// Total length including kind and length bytes.
    pub len: usize,
}

/// Iterates over the options (NOPs skipped, stops at EOL), validating each.
pub struct Iter<'a> {
    buf: &'a [u8],
    pos: usize,
    failed: bool,
}

/// Walks the option area `opts`.
pub fn iter(opts: &[u8]) -> Iter<'_> {
    Iter { buf: opts, pos: 0, failed: false }
}

impl Iterator for Iter<'_> {
    type Item = Result<Opt, OptError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        while self.pos < self.buf.len() {
            let off = self.pos;
            let kind = self.buf[off];
            match kind {
                EOL => return None,
                NOP => {
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let Some(&len) = self.buf.get(off + 1) else {
                self.failed = true;
                return Some(Err(OptError::Truncated));
            };
            let len = len as usize;
            if len < 2 || fixed_len(kind).is_some_and(|l| l != len) || (kind == SACK && !(len - 2).is_multiple_of(8)) {
                self.failed = true;
                return Some(Err(OptError::BadLength));
            }
            if off + len > self.buf.len() {
                self.failed = true;
                return Some(Err(OptError::Truncated));
            }
            self.pos += len;
            return Some(Ok(Opt { kind, off, len }));
        }
        None
    }
}

/// Checks a whole option area.
pub fn validate(opts: &[u8]) -> Result<(), OptError> {
    for o in iter(opts) {
        o?;
    }
    Ok(())
}

/// Finds the first option of `kind`.
pub fn find(opts: &[u8], kind: u8) -> Result<Option<Opt>, OptError> {
    for o in iter(opts) {
        let o = o?;
        if o.kind == kind {
            return Ok(Some(o));
        }
    }
    Ok(None)
}

/// What a SYN offers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SynOptions {
    /// Maximum segment size, if given.
    pub mss: Option<u16>,
    /// Window scale shift, if given.
    pub wscale: Option<u8>,
    /// SACK permitted.
    pub sack_perm: bool,
    /// Timestamp value and echo reply, if given.
    pub timestamp: Option<(u32, u32)>,
}

/// Parses the options of a SYN or SYN-ACK.
pub fn parse_syn(opts: &[u8]) -> Result<SynOptions, OptError> {
    let mut s = SynOptions::default();
    for o in iter(opts) {
        let o = o?;
        let b = &opts[o.off..o.off + o.len];
        match o.kind {
            MSS => s.mss = Some(u16::from_be_bytes([b[2], b[3]])),
            WSCALE => s.wscale = Some(b[2]),
            SACK_PERM => s.sack_perm = true,
            TIMESTAMP => {
                s.timestamp = Some((
                    u32::from_be_bytes([b[2], b[3], b[4], b[5]]),
                    u32::from_be_bytes([b[6], b[7], b[8], b[9]]),
                ))
            }
            _ => {}
        }
    }
    Ok(s)
}

/// Writes `new` over `opts[off..]`, updating the TCP checksum `check` (held
/// in `state`) word by word.
pub fn write(opts: &mut [u8], off: usize, new: &[u8], check: &mut u16, state: FieldState) {
    let end = off + new.len();
    let mut w = off & !1;
    while w < end {
        let old_word = word_at(opts, w);
        for i in w..(w + 2).min(opts.len()) {
            if i >= off && i < end {
                opts[i] = new[i - off];
            }
        }
        let new_word = word_at(opts, w);
        *check = csum::update16(state, *check, old_word, new_word, false);
        w += 2;
    }
}

fn word_at(buf: &[u8], w: usize) -> u16 {
    u16::from_be_bytes([buf[w], buf.get(w + 1).copied().unwrap_or(0)])
}

/// Replaces the timestamp option with NOPs. Returns whether one was there.
pub fn strip_timestamp(opts: &mut [u8], check: &mut u16, state: FieldState) -> Result<bool, OptError> {
    match find(opts, TIMESTAMP)? {
        Some(o) => {
            write(opts, o.off, &[NOP; 10], check, state);
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Lowers the MSS option to `max` if it is above. Returns whether it changed.
pub fn clamp_mss(opts: &mut [u8], max: u16, check: &mut u16, state: FieldState) -> Result<bool, OptError> {
    if let Some(o) = find(opts, MSS)? {
        let cur = u16::from_be_bytes([opts[o.off + 2], opts[o.off + 3]]);
        if cur > max {
            write(opts, o.off + 2, &max.to_be_bytes(), check, state);
            return Ok(true);
        }
    }
    Ok(false)
}

/// The smallest MSS [`lower_mss`] leaves (the kernel's TCP_MIN_MSS).
pub const MIN_MSS: u16 = 88;

/// Lowers the MSS option by `by`, not below [`MIN_MSS`], and never raises
/// it: an MSS the real server chose small (a tunnel, a small path MTU) is
/// what its path takes, and a larger one would black-hole full segments.
/// Returns whether it changed.
pub fn lower_mss(opts: &mut [u8], by: u16, check: &mut u16, state: FieldState) -> Result<bool, OptError> {
    if let Some(o) = find(opts, MSS)? {
        let cur = u16::from_be_bytes([opts[o.off + 2], opts[o.off + 3]]);
        let new = cur.saturating_sub(by).max(MIN_MSS).min(cur);
        if new != cur {
            write(opts, o.off + 2, &new.to_be_bytes(), check, state);
            return Ok(true);
        }
    }
    Ok(false)
}

/// Maps every SACK block edge through `f` (SACK edges live in the space of
/// the acknowledgement number, so they move with it).
pub fn map_sack(
    opts: &mut [u8],
    f: impl Fn(u32) -> u32,
    check: &mut u16,
    state: FieldState,
) -> Result<usize, OptError> {
    let mut n = 0;
    // Collect first: `write` needs the buffer mutably.
    let mut found: [Option<Opt>; 4] = [None; 4];
    let mut k = 0;
    for o in iter(opts) {
        let o = o?;
        if o.kind == SACK && k < found.len() {
            found[k] = Some(o);
            k += 1;
        }
    }
    for o in found.iter().flatten() {
        let mut p = o.off + 2;
        while p + 4 <= o.off + o.len {
            let edge = u32::from_be_bytes([opts[p], opts[p + 1], opts[p + 2], opts[p + 3]]);
            let new = f(edge);
            if new != edge {
                write(opts, p, &new.to_be_bytes(), check, state);
            }
            p += 4;
            n += 1;
        }
    }
    Ok(n)
}

/// Bytes of the option area in real use (up to and including the last
/// non-NOP option), and so how much room is left before `MAX_OPT_LEN`.
pub fn used_len(opts: &[u8]) -> Result<usize, OptError> {
    let mut end = 0;
    for o in iter(opts) {
        let o = o?;
        end = o.off + o.len;
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csum::{checksum, fold, sum_bytes};

    /// A header-less check: the checksum over the option bytes alone.
    fn opt_csum(opts: &[u8]) -> u16 {
        checksum(opts)
    }

    const LINUX_SYN: [u8; 20] = [
        2, 4, 0x05, 0xb4, // MSS 1460
        4, 2, // SACK_PERM
        8, 10, 0, 0, 0, 1, 0, 0, 0, 0, // TS val 1 ecr 0
        1, // NOP
        3, 3, 7, // WS 7
    ];

    #[test]
    fn parses_linux_syn() {
        let s = parse_syn(&LINUX_SYN).unwrap();
        assert_eq!(
            s,
            SynOptions { mss: Some(1460), wscale: Some(7), sack_perm: true, timestamp: Some((1, 0)) }
        );
        assert_eq!(used_len(&LINUX_SYN).unwrap(), 20);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(validate(&[2]), Err(OptError::Truncated));
        assert_eq!(validate(&[2, 4, 5]), Err(OptError::Truncated));
        assert_eq!(validate(&[2, 3, 5, 0]), Err(OptError::BadLength));
        assert_eq!(validate(&[30, 1, 0, 0]), Err(OptError::BadLength));
        assert_eq!(validate(&[30, 0, 0, 0]), Err(OptError::BadLength));
        assert_eq!(validate(&[5, 6, 0, 0, 0, 0]), Err(OptError::BadLength));
        assert_eq!(validate(&[30, 6, 0, 0]), Err(OptError::Truncated));
        // EOL ends the list: what follows is padding, not options.
        assert_eq!(validate(&[1, 1, 0, 0xff]), Ok(()));
    }

    #[test]
    fn strip_timestamp_keeps_checksum() {
        let mut o = LINUX_SYN;
        let mut check = opt_csum(&o);
        assert!(strip_timestamp(&mut o, &mut check, FieldState::Full).unwrap());
        assert_eq!(&o[6..16], &[NOP; 10]);
        assert_eq!(check, opt_csum(&o));
        let s = parse_syn(&o).unwrap();
        assert_eq!(s.timestamp, None);
        assert_eq!(s.wscale, Some(7));
        assert!(!strip_timestamp(&mut o, &mut check, FieldState::Full).unwrap());
    }

    #[test]
    fn odd_offset_write_keeps_checksum() {
        // WS at odd offset 17: its value byte sits at 19, low half of a word.
        let mut o = LINUX_SYN;
        let mut check = opt_csum(&o);
        write(&mut o, 19, &[9], &mut check, FieldState::Full);
        assert_eq!(check, opt_csum(&o));
        let mut o2 = [1u8, 2, 4, 5, 0xb4, 0];
        let mut c2 = opt_csum(&o2);
        write(&mut o2, 3, &[4, 0x10], &mut c2, FieldState::Full);
        assert_eq!(o2, [1, 2, 4, 4, 0x10, 0]);
        assert_eq!(c2, opt_csum(&o2));
    }

    #[test]
    fn clamp_mss_only_lowers() {
        let mut o = LINUX_SYN;
        let mut check = opt_csum(&o);
        assert!(clamp_mss(&mut o, 1452, &mut check, FieldState::Full).unwrap());
        assert_eq!(parse_syn(&o).unwrap().mss, Some(1452));
        assert_eq!(check, opt_csum(&o));
        assert!(!clamp_mss(&mut o, 1460, &mut check, FieldState::Full).unwrap());
    }

    #[test]
    fn lower_mss_for_toa() {
        let mut o = LINUX_SYN;
        let mut check = opt_csum(&o);
        assert!(lower_mss(&mut o, 8, &mut check, FieldState::Full).unwrap());
        assert_eq!(parse_syn(&o).unwrap().mss, Some(1452));
        assert_eq!(check, opt_csum(&o));
    }

    /// An MSS is lowered whatever its size, down to MIN_MSS, and never
    /// raised (it was raised to 536 once: a small MSS behind a tunnel then
    /// let full segments through that the path could not carry).
    #[test]
    fn lower_mss_never_raises() {
        let mss_after = |mss: u16, by: u16| {
            let mut o = [2u8, 4, (mss >> 8) as u8, mss as u8];
            let mut c = opt_csum(&o);
            let changed = lower_mss(&mut o, by, &mut c, FieldState::Full).unwrap();
            assert_eq!(c, opt_csum(&o));
            let got = parse_syn(&o).unwrap().mss.unwrap();
            assert_eq!(changed, got != mss);
            got
        };
        assert_eq!(mss_after(536, 8), 528);
        assert_eq!(mss_after(500, 8), 492);
        assert_eq!(mss_after(300, 40), 260);
        assert_eq!(mss_after(90, 8), MIN_MSS);
        assert_eq!(mss_after(80, 8), 80);
        assert_eq!(mss_after(0, 8), 0);
        for mss in 0..2000 {
            for by in [8, 20, 28, 40] {
                assert!(mss_after(mss, by) <= mss, "MSS {mss} raised by lowering {by}");
            }
        }
    }

    #[test]
    fn sack_edges_mapped() {
        let mut o = [1u8, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 4];
        let mut check = opt_csum(&o);
        let n = map_sack(&mut o, |e| e.wrapping_add(0x20), &mut check, FieldState::Full).unwrap();
        assert_eq!(n, 4);
        assert_eq!(&o[4..8], &0x2au32.to_be_bytes());
        assert_eq!(&o[12..16], &0x10u32.to_be_bytes());
        assert_eq!(check, opt_csum(&o));
    }

    #[test]
    fn partial_state_leaves_check() {
        let mut o = LINUX_SYN;
        let mut check = 0x1234;
        strip_timestamp(&mut o, &mut check, FieldState::Partial).unwrap();
        assert_eq!(check, 0x1234);
        let _ = fold(sum_bytes(&o, 0));
    }
}
