// SPDX-License-Identifier: GPL-2.0
//! Transport: a NETLINK_GENERIC socket (netlink-sys), the "IPVS" family id
//! resolved through the generic netlink controller, requests with ACKs,
//! multipart dumps, and the kernel's extended ACK messages.

use crate::msg::IpvsMsg;
use netlink_packet_core::{
    NetlinkBuffer, NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_DUMP,
    NLM_F_REQUEST,
};
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::GenlMessage;
use netlink_sys::{protocols::NETLINK_GENERIC, Socket, SocketAddr};
use std::fmt;
use std::io;

/// NLM_F_CAPPED / NLM_F_ACK_TLVS and NLMSGERR_ATTR_MSG (uapi netlink.h).
const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;
const NLMSGERR_ATTR_MSG: u16 = 1;

#[derive(Debug)]
pub enum NlError {
    /// Socket-level failure.
    Io(io::Error),
    /// The controller does not know the "IPVS" family.
    NoFamily,
    /// The kernel answered with a negative errno (and maybe an extack text).
    Kernel { errno: i32, extack: Option<String> },
    /// A reply that does not parse.
    Decode(String),
}

impl fmt::Display for NlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NlError::Io(e) => write!(f, "{e}"),
            NlError::NoFamily => write!(f, "generic netlink family \"IPVS\" not found"),
            NlError::Kernel { errno, extack: Some(m) } => {
                write!(f, "{m} ({})", io::Error::from_raw_os_error(*errno))
            }
            NlError::Kernel { errno, extack: None } => {
                write!(f, "{}", io::Error::from_raw_os_error(*errno))
            }
            NlError::Decode(m) => write!(f, "malformed reply: {m}"),
        }
    }
}

impl From<io::Error> for NlError {
    fn from(e: io::Error) -> Self {
        NlError::Io(e)
    }
}

/// Extracts NLMSGERR_ATTR_MSG from the payload of an NLMSG_ERROR (after the
/// errno) or NLMSG_DONE, given the outer message's flags.
pub fn extack_msg(flags: u16, after_errno: &[u8], has_orig: bool) -> Option<String> {
    if flags & NLM_F_ACK_TLVS == 0 {
        return None;
    }
    let skip = if !has_orig {
        0
    } else if flags & NLM_F_CAPPED != 0 {
        16
    } else {
        let len = u32::from_ne_bytes(after_errno.get(..4)?.try_into().ok()?) as usize;
        (len + 3) & !3
    };
    let tlvs = after_errno.get(skip..)?;
    let attrs = crate::msg::parse_attrs(tlvs).ok()?;
    attrs
        .iter()
        .find(|(k, _)| *k == NLMSGERR_ATTR_MSG)
        .map(|(_, v)| String::from_utf8_lossy(v.split(|&c| c == 0).next().unwrap_or(&[])).into_owned())
        .filter(|s| !s.is_empty())
}

pub struct Nl {
    sock: Socket,
    family: u16,
    seq: u32,
}

impl Nl {
    /// Opens the socket, asks for extended ACKs and resolves the family.
    pub fn open() -> Result<Nl, NlError> {
        let mut sock = Socket::new(NETLINK_GENERIC)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        // Best effort: old kernels lack NETLINK_EXT_ACK.
        let _ = sock.set_ext_ack(true);
        let mut nl = Nl { sock, family: 0, seq: 0 };
        nl.family = nl.resolve_family()?;
        Ok(nl)
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn resolve_family(&mut self) -> Result<u16, NlError> {
        let ctrl = GenlCtrl {
            cmd: GenlCtrlCmd::GetFamily,
            nlas: vec![GenlCtrlAttrs::FamilyName(rvs_core::ipvs_nl::FAMILY_NAME.to_string())],
        };
        let mut msg = NetlinkMessage::from(GenlMessage::from_payload(ctrl));
        msg.header.flags = NLM_F_REQUEST | NLM_F_ACK;
        msg.header.sequence_number = self.next_seq();
        msg.finalize();
        let mut family = None;
        let r = self.exchange::<GenlCtrl>(&msg, &mut |m: GenlMessage<GenlCtrl>| {
            for a in &m.payload.nlas {
                if let GenlCtrlAttrs::FamilyId(id) = a {
                    family = Some(*id);
                }
            }
            Ok(())
        });
        match r {
            Err(NlError::Kernel { errno, .. }) if errno == libc::ENOENT => Err(NlError::NoFamily),
            Err(e) => Err(e),
            Ok(()) => family.ok_or(NlError::NoFamily),
        }
    }

    /// Sends one request; returns the replies (all parts of a dump, or the
    /// one answer of a GET) after the final ACK / NLMSG_DONE.
    pub fn request(&mut self, payload: IpvsMsg, dump: bool) -> Result<Vec<IpvsMsg>, NlError> {
        let seq = self.next_seq();
        let msg = build_request(payload, self.family, seq, dump);
        let mut out = Vec::new();
        self.exchange::<IpvsMsg>(&msg, &mut |m: GenlMessage<IpvsMsg>| {
            out.push(m.payload);
            Ok(())
        })?;
        Ok(out)
    }

    fn exchange<F>(
        &mut self,
        msg: &NetlinkMessage<GenlMessage<F>>,
        on_msg: &mut dyn FnMut(GenlMessage<F>) -> Result<(), NlError>,
    ) -> Result<(), NlError>
    where
        F: netlink_packet_generic::GenlFamily
            + netlink_packet_core::Emitable
            + netlink_packet_core::ParseableParametrized<[u8], netlink_packet_generic::GenlHeader>
            + fmt::Debug,
    {
        let mut buf = vec![0u8; msg.buffer_len()];
        msg.serialize(&mut buf);
        self.sock.send(&buf, 0)?;
        let mut answer = Answer { seq: msg.header.sequence_number, result: Ok(()), on_msg };
        loop {
            let (data, _) = self.sock.recv_from_full()?;
            if let Some(done) = answer.feed(&data) {
                return done;
            }
        }
    }
}

/// The answer to one request, datagram by datagram: the replies go to
/// `on_msg`; an ACK or NLMSG_DONE ends it, an error (with its extack text)
/// too. Messages of other sequence numbers are skipped.
pub(crate) struct Answer<'a, F> {
    pub seq: u32,
    pub result: Result<(), NlError>,
    pub on_msg: &'a mut dyn FnMut(GenlMessage<F>) -> Result<(), NlError>,
}

impl<F> Answer<'_, F>
where
    F: netlink_packet_core::ParseableParametrized<[u8], netlink_packet_generic::GenlHeader> + fmt::Debug,
{
    /// Takes one datagram; Some(outcome) once the answer is complete.
    pub fn feed(&mut self, data: &[u8]) -> Option<Result<(), NlError>> {
        let mut off = 0;
        while off + 16 <= data.len() {
            let len = match NetlinkBuffer::new_checked(&data[off..]) {
                Ok(nb) => nb.length() as usize,
                Err(e) => return Some(Err(NlError::Decode(e.to_string()))),
            };
            let Some(part) = data.get(off..off + len).filter(|_| len >= 16) else {
                return Some(Err(NlError::Decode("bad netlink message length".into())));
            };
            off += (len + 3) & !3;
            let hdr = header_of(part);
            if hdr.sequence_number != self.seq {
                continue;
            }
            let parsed = match NetlinkMessage::<GenlMessage<F>>::deserialize(part) {
                Ok(p) => p,
                Err(e) => return Some(Err(NlError::Decode(e.to_string()))),
            };
            match parsed.payload {
                NetlinkPayload::Error(e) => {
                    if let Some(code) = e.code {
                        let extack = extack_msg(hdr.flags, &e.header, true);
                        return Some(Err(NlError::Kernel { errno: -code.get(), extack }));
                    }
                    // ACK: the end of a non-dump request.
                    return Some(std::mem::replace(&mut self.result, Ok(())));
                }
                NetlinkPayload::Done(d) => {
                    if d.code < 0 {
                        let extack = extack_msg(hdr.flags, &d.extended_ack, false);
                        return Some(Err(NlError::Kernel { errno: -d.code, extack }));
                    }
                    return Some(std::mem::replace(&mut self.result, Ok(())));
                }
                // After a failed callback, the rest of the dump is drained.
                NetlinkPayload::InnerMessage(m) if self.result.is_ok() => self.result = (self.on_msg)(m),
                _ => {}
            }
        }
        None
    }
}

fn header_of(part: &[u8]) -> NetlinkHeader {
    let mut h = NetlinkHeader::default();
    h.length = u32::from_ne_bytes(part[0..4].try_into().unwrap());
    h.message_type = u16::from_ne_bytes(part[4..6].try_into().unwrap());
    h.flags = u16::from_ne_bytes(part[6..8].try_into().unwrap());
    h.sequence_number = u32::from_ne_bytes(part[8..12].try_into().unwrap());
    h.port_number = u32::from_ne_bytes(part[12..16].try_into().unwrap());
    h
}

fn build_request(payload: IpvsMsg, family: u16, seq: u32, dump: bool) -> NetlinkMessage<GenlMessage<IpvsMsg>> {
    let mut g = GenlMessage::from_payload(payload);
    g.set_resolved_family_id(family);
    let mut msg = NetlinkMessage::from(g);
    // Dumps end with NLMSG_DONE; other requests ask for an ACK.
    msg.header.flags = NLM_F_REQUEST | if dump { NLM_F_DUMP } else { NLM_F_ACK };
    msg.header.sequence_number = seq;
    msg.finalize();
    msg
}

/// The netlink bytes of a request as rvsadm sends it (tests compare them
/// with a hand-written layout).
#[cfg(test)]
pub fn encode_request(payload: IpvsMsg, family: u16, seq: u32, dump: bool) -> Vec<u8> {
    let msg = build_request(payload, family, seq, dump);
    let mut buf = vec![0u8; msg.buffer_len()];
    msg.serialize(&mut buf);
    buf
}
