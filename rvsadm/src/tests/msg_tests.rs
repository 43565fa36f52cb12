// SPDX-License-Identifier: GPL-2.0
//! Attribute encoding and decoding: round trips, and the exact bytes of known
//! requests written out by hand from include/uapi/linux/ip_vs.h.

use crate::msg::*;
use crate::nl::{encode_request, extack_msg};
use rvs_core::ipvs_nl::{cmd, cmd_attr, fwd, svc_attr, svc_flags, AF_INET, AF_INET6, IPPROTO_TCP};
use std::net::IpAddr;

fn ip(s: &str) -> [u8; 16] {
    addr_bytes(s.parse::<IpAddr>().unwrap())
}

fn svc() -> Service {
    Service {
        af: AF_INET,
        protocol: IPPROTO_TCP,
        addr: ip("192.0.2.100"),
        port: 80,
        sched_name: "rr".into(),
        ..Default::default()
    }
}

fn stats(seed: u64) -> Stats {
    Stats {
        conns: seed,
        inpkts: seed * 2,
        outpkts: seed * 3,
        inbytes: 5_000_000_000 + seed,
        outbytes: seed * 5,
        cps: 1,
        inpps: 2,
        outpps: 3,
        inbps: 4,
        outbps: 5,
    }
}

/// Value of the nested attribute `kind` in a reply-like IpvsMsg built from
/// attributes (emit then parse, as the kernel's bytes would arrive).
fn reparse(attrs: Vec<Attr>) -> IpvsMsg {
    use netlink_packet_core::ParseableParametrized;
    let m = IpvsMsg::new(cmd::GET_SERVICE, attrs);
    let b = m.attrs_bytes();
    IpvsMsg::parse_with_param(&b[..], netlink_packet_generic::GenlHeader { cmd: cmd::NEW_SERVICE, version: 1 })
        .unwrap()
}

#[test]
fn service_round_trip() {
    let mut s = svc();
    s.flags = svc_flags::PERSISTENT | svc_flags::SYNPROXY;
    s.timeout = 300;
    s.netmask = u32::from_ne_bytes([255, 255, 255, 0]);
    s.pe_name = "sip".into();
    s.stats = stats(7);
    let m = reparse(vec![s.to_reply_attr()]);
    assert_eq!(m.service().unwrap(), s);
}

#[test]
fn fwmark_ipv6_service_round_trip() {
    let s = Service { af: AF_INET6, fwmark: 9, sched_name: "wlc".into(), netmask: 128, ..Default::default() };
    let m = reparse(vec![s.to_reply_attr()]);
    let d = m.service().unwrap();
    assert_eq!(d, s);
    assert_eq!(d.protocol, 0, "a fwmark service carries no protocol");
}

#[test]
fn request_attr_decodes_to_same_service() {
    // The request attribute (no stats) decodes back to the same service.
    let mut s = svc();
    s.flags = svc_flags::ONEPACKET;
    let m = reparse(vec![s.to_attr()]);
    assert_eq!(m.service().unwrap(), s);
}

#[test]
fn dest_round_trip() {
    let d = Dest {
        af: AF_INET,
        addr: ip("198.51.100.11"),
        port: 8080,
        fwd: fwd::FULLNAT,
        weight: 3,
        u_threshold: 100,
        l_threshold: 10,
        tun_type: 1,
        tun_port: 6080,
        tun_flags: 1,
        activeconns: 4,
        inactconns: 5,
        persistconns: 6,
        stats: stats(11),
    };
    let m = reparse(vec![d.to_reply_attr()]);
    assert_eq!(m.dest(AF_INET).unwrap(), d);
}

#[test]
fn dest_without_family_takes_the_services() {
    let d = Dest { af: AF_INET6, addr: ip("2001:db8::2"), port: 443, ..Default::default() };
    // Drop ADDR_FAMILY (old kernels do not send it).
    let Val::Nested(mut v) = d.to_reply_attr().val else { panic!() };
    v.retain(|a| a.kind != rvs_core::ipvs_nl::dest_attr::ADDR_FAMILY);
    let m = reparse(vec![Attr::nested(cmd_attr::DEST, v)]);
    assert_eq!(m.dest(AF_INET6).unwrap().af, AF_INET6);
}

#[test]
fn laddr_round_trip() {
    let l = Laddr { addr: ip("198.51.100.201"), af: 0, port_conflict: 1 << 40, conn_counts: 77 };
    let m = reparse(vec![svc().ident_attr(), l.to_reply_attr()]);
    assert_eq!(m.laddr().unwrap(), l);
    let s = Service::decode(m.attr(cmd_attr::SERVICE).unwrap());
    assert!(s.is_err(), "an identity-only service attribute lacks the scheduler");
}

#[test]
fn stats_u32_variant() {
    use rvs_core::ipvs_nl::stats_attr as k;
    let mut v = vec![];
    for (kind, x) in [(k::CONNS, 1u32), (k::INPKTS, 2), (k::OUTPKTS, 3), (k::CPS, 6), (k::INPPS, 7), (k::OUTPPS, 8), (k::INBPS, 9), (k::OUTBPS, 10)] {
        v.push(Attr::u32(kind, x));
    }
    v.push(Attr::bytes(k::INBYTES, &4u64.to_ne_bytes()));
    v.push(Attr::bytes(k::OUTBYTES, &5u64.to_ne_bytes()));
    let mut b = vec![0u8; netlink_packet_core::Emitable::buffer_len(&v.as_slice())];
    netlink_packet_core::Emitable::emit(&v.as_slice(), &mut b);
    let s = Stats::decode(&b, false).unwrap();
    assert_eq!((s.conns, s.inbytes, s.outbytes, s.outbps), (1, 4, 5, 10));
}

#[test]
fn malformed_replies_are_errors_not_panics() {
    // Missing scheduler name.
    let Val::Nested(mut v) = svc().to_reply_attr().val else { panic!() };
    v.retain(|a| a.kind != svc_attr::SCHED_NAME);
    let m = reparse(vec![Attr::nested(cmd_attr::SERVICE, v)]);
    assert!(m.service().unwrap_err().contains("scheduler"));
    // Short flags.
    let Val::Nested(mut v) = svc().to_reply_attr().val else { panic!() };
    for a in v.iter_mut() {
        if a.kind == svc_attr::FLAGS {
            a.val = Val::Bytes(vec![1, 0, 0, 0]);
        }
    }
    let m = reparse(vec![Attr::nested(cmd_attr::SERVICE, v)]);
    assert!(m.service().is_err());
    // Truncated attribute stream.
    assert!(parse_attrs(&[8, 0, 1, 0, 1, 2]).is_err());
    assert!(Stats::decode(&[5, 0, 1, 0, 9, 0, 0, 0], true).is_err());
    // A reply without the expected top-level attribute.
    let m = reparse(vec![]);
    assert!(m.service().is_err() && m.dest(AF_INET).is_err() && m.laddr().is_err() && m.info().is_err());
}

fn nlh(len: u32, ty: u16, flags: u16, seq: u32) -> Vec<u8> {
    let mut v = len.to_le_bytes().to_vec();
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(&flags.to_le_bytes());
    v.extend_from_slice(&seq.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v
}

#[cfg(target_endian = "little")]
#[test]
fn new_service_bytes() {
    // rvsadm -A -t 192.0.2.100:80 -s rr, family id 0x1a, sequence 1.
    let got = encode_request(req::new_service(&svc()), 0x1a, 1, false);
    let mut want = nlh(104, 0x1a, 0x0001 | 0x0004, 1); // NLM_F_REQUEST | NLM_F_ACK
    want.extend_from_slice(&[1, 1, 0, 0]); // genlmsghdr: IPVS_CMD_NEW_SERVICE, version 1
    #[rustfmt::skip]
    want.extend_from_slice(&[
        84, 0, 0x01, 0x80,                 // IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED
        6, 0, 1, 0, 2, 0, 0, 0,            // IPVS_SVC_ATTR_AF = AF_INET
        6, 0, 2, 0, 6, 0, 0, 0,            // IPVS_SVC_ATTR_PROTOCOL = IPPROTO_TCP
        20, 0, 3, 0, 192, 0, 2, 100,       // IPVS_SVC_ATTR_ADDR (union nf_inet_addr)
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        6, 0, 4, 0, 0, 80, 0, 0,           // IPVS_SVC_ATTR_PORT, be16 80
        7, 0, 6, 0, b'r', b'r', 0, 0,      // IPVS_SVC_ATTR_SCHED_NAME "rr"
        12, 0, 7, 0, 0, 0, 0, 0,           // IPVS_SVC_ATTR_FLAGS { flags 0,
        0xff, 0xff, 0xff, 0xff,            //   mask ~0 }
        8, 0, 8, 0, 0, 0, 0, 0,            // IPVS_SVC_ATTR_TIMEOUT 0
        8, 0, 9, 0, 0xff, 0xff, 0xff, 0xff // IPVS_SVC_ATTR_NETMASK 255.255.255.255
    ]);
    assert_eq!(got, want);
}

#[cfg(target_endian = "little")]
#[test]
fn new_dest_fullnat_bytes() {
    // rvsadm -a -t 192.0.2.100:80 -r 198.51.100.11:8080 -b -w 3
    let mut s = svc();
    s.sched_name = String::new();
    let d = Dest { af: AF_INET, addr: ip("198.51.100.11"), port: 8080, fwd: fwd::FULLNAT, weight: 3, ..Default::default() };
    let got = encode_request(req::new_dest(&s, &d), 0x1a, 7, false);
    let mut want = nlh(16 + 4 + 84 + 96, 0x1a, 5, 7);
    want.extend_from_slice(&[5, 1, 0, 0]); // IPVS_CMD_NEW_DEST
    #[rustfmt::skip]
    want.extend_from_slice(&[
        84, 0, 0x01, 0x80,
        6, 0, 1, 0, 2, 0, 0, 0,
        6, 0, 2, 0, 6, 0, 0, 0,
        20, 0, 3, 0, 192, 0, 2, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        6, 0, 4, 0, 0, 80, 0, 0,
        5, 0, 6, 0, 0, 0, 0, 0,            // empty scheduler name: "\0"
        12, 0, 7, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
        8, 0, 8, 0, 0, 0, 0, 0,
        8, 0, 9, 0, 0xff, 0xff, 0xff, 0xff,
        96, 0, 0x02, 0x80,                 // IPVS_CMD_ATTR_DEST | NLA_F_NESTED
        6, 0, 11, 0, 2, 0, 0, 0,           // IPVS_DEST_ATTR_ADDR_FAMILY
        20, 0, 1, 0, 198, 51, 100, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // ADDR
        6, 0, 2, 0, 0x1f, 0x90, 0, 0,      // PORT be16 8080
        8, 0, 3, 0, 5, 0, 0, 0,            // FWD_METHOD = FULLNAT (5)
        8, 0, 4, 0, 3, 0, 0, 0,            // WEIGHT
        5, 0, 13, 0, 0, 0, 0, 0,           // TUN_TYPE u8
        6, 0, 14, 0, 0, 0, 0, 0,           // TUN_PORT be16
        6, 0, 15, 0, 0, 0, 0, 0,           // TUN_FLAGS u16
        8, 0, 5, 0, 0, 0, 0, 0,            // U_THRESH
        8, 0, 6, 0, 0, 0, 0, 0,            // L_THRESH
    ]);
    assert_eq!(got, want);
}

#[cfg(target_endian = "little")]
#[test]
fn laddr_request_bytes() {
    // rvsadm -P -t 192.0.2.100:80 -z 198.51.100.201, and the -G dump.
    let l = Laddr { addr: ip("198.51.100.201"), af: 0, port_conflict: 0, conn_counts: 0 };
    let got = encode_request(req::new_laddr(&svc(), &l), 0x1a, 2, false);
    #[rustfmt::skip]
    let ident: &[u8] = &[
        48, 0, 0x01, 0x80,
        6, 0, 1, 0, 2, 0, 0, 0,
        6, 0, 2, 0, 6, 0, 0, 0,
        20, 0, 3, 0, 192, 0, 2, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        6, 0, 4, 0, 0, 80, 0, 0,
    ];
    let mut want = nlh(16 + 4 + 48 + 24, 0x1a, 5, 2);
    want.extend_from_slice(&[18, 1, 0, 0]); // IPVS_CMD_NEW_LADDR
    want.extend_from_slice(ident);
    #[rustfmt::skip]
    want.extend_from_slice(&[
        24, 0, 0x07, 0x80,                 // IPVS_CMD_ATTR_LADDR | NLA_F_NESTED
        20, 0, 1, 0, 198, 51, 100, 201, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    assert_eq!(got, want);

    let got = encode_request(req::get_laddrs(&svc()), 0x1a, 3, true);
    let mut want = nlh(16 + 4 + 48, 0x1a, 0x0001 | 0x0300, 3); // NLM_F_REQUEST | NLM_F_DUMP
    want.extend_from_slice(&[20, 1, 0, 0]); // IPVS_CMD_GET_LADDR
    want.extend_from_slice(ident);
    assert_eq!(got, want);
    let got = encode_request(req::del_laddr(&svc(), &l), 0x1a, 2, false);
    assert_eq!(got[16], 19, "IPVS_CMD_DEL_LADDR");
    // The service's own family (even said): Alibaba's bytes. NAT64's IPv4
    // local address of an IPv6 service: ADDR_FAMILY (u16 AF_INET) follows.
    let said = Laddr { af: AF_INET, ..l.clone() };
    assert_eq!(encode_request(req::new_laddr(&svc(), &said), 0x1a, 2, false), encode_request(req::new_laddr(&svc(), &l), 0x1a, 2, false));
    let s6 = Service { af: AF_INET6, addr: ip("2001:db8:100::100"), ..svc() };
    let got = encode_request(req::new_laddr(&s6, &said), 0x1a, 2, false);
    #[rustfmt::skip]
    let tail: &[u8] = &[
        32, 0, 0x07, 0x80,
        20, 0, 1, 0, 198, 51, 100, 201, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        6, 0, 4, 0, 2, 0, 0, 0,
    ];
    assert_eq!(&got[got.len() - tail.len()..], tail);
}

#[cfg(target_endian = "little")]
#[test]
fn get_and_set_config_bytes() {
    let got = encode_request(req::get_services(), 0x1a, 9, true);
    let mut want = nlh(20, 0x1a, 0x0301, 9);
    want.extend_from_slice(&[4, 1, 0, 0]);
    assert_eq!(got, want);
    let t = Timeouts { tcp: 900, tcp_fin: 120, udp: 300 };
    let got = encode_request(req::set_timeouts(&t), 0x1a, 1, false);
    let mut want = nlh(44, 0x1a, 5, 1);
    want.extend_from_slice(&[12, 1, 0, 0]); // IPVS_CMD_SET_CONFIG
    #[rustfmt::skip]
    want.extend_from_slice(&[8, 0, 4, 0, 0x84, 3, 0, 0, 8, 0, 5, 0, 120, 0, 0, 0, 8, 0, 6, 0, 0x2c, 1, 0, 0]);
    assert_eq!(got, want);
}

#[test]
fn zero_without_service_has_no_attribute() {
    assert!(req::zero(None).attrs.is_empty());
    assert_eq!(req::zero(Some(&svc())).attrs.len(), 1);
}

#[cfg(target_endian = "little")]
#[test]
fn extack_message_is_found() {
    // NLMSG_ERROR payload after the errno: the capped original header, then
    // NLMSGERR_ATTR_MSG "no such laddr".
    let mut p = nlh(64, 0x1a, 5, 4);
    let msg = b"no such laddr\0";
    p.extend_from_slice(&((4 + msg.len()) as u16).to_le_bytes());
    p.extend_from_slice(&1u16.to_le_bytes());
    p.extend_from_slice(msg);
    p.extend_from_slice(&[0, 0]);
    assert_eq!(extack_msg(0x300, &p, true).as_deref(), Some("no such laddr"));
    assert_eq!(extack_msg(0x100, &p, true), None, "no NLM_F_ACK_TLVS, no extack");
    // Not capped: the whole original message (here 24 bytes) precedes the TLVs.
    let mut q = nlh(24, 0x1a, 5, 4);
    q.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    q.extend_from_slice(&p[16..]);
    assert_eq!(extack_msg(0x200, &q, true).as_deref(), Some("no such laddr"));
    // Garbage does not panic.
    assert_eq!(extack_msg(0x200, &[1, 2, 3], true), None);
}

// The receive side: multipart dumps, ACKs, errors with extack, other
// sequence numbers, malformed datagrams.

fn reply(seq: u32, flags: u16, attrs: Vec<Attr>) -> Vec<u8> {
    let m = IpvsMsg::new(cmd::NEW_SERVICE, attrs);
    let body = m.attrs_bytes();
    let mut v = nlh((16 + 4 + body.len()) as u32, 0x1a, flags, seq);
    v.extend_from_slice(&[cmd::NEW_SERVICE, 1, 0, 0]);
    v.extend_from_slice(&body);
    v
}

fn done(seq: u32, code: i32, flags: u16, tail: &[u8]) -> Vec<u8> {
    let mut v = nlh((16 + 4 + tail.len()) as u32, 3, flags | 0x2, seq); // NLMSG_DONE, NLM_F_MULTI
    v.extend_from_slice(&code.to_le_bytes());
    v.extend_from_slice(tail);
    v
}

fn error(seq: u32, code: i32, flags: u16, tail: &[u8]) -> Vec<u8> {
    let mut v = nlh((16 + 4 + 16 + tail.len()) as u32, 2, flags, seq); // NLMSG_ERROR
    v.extend_from_slice(&code.to_le_bytes());
    v.extend_from_slice(&nlh(104, 0x1a, 5, seq)); // the capped request header
    v.extend_from_slice(tail);
    v
}

fn run(datagrams: &[Vec<u8>], seq: u32) -> (Option<Result<(), crate::nl::NlError>>, Vec<IpvsMsg>, usize) {
    let mut got = Vec::new();
    let mut cb = |m: netlink_packet_generic::GenlMessage<IpvsMsg>| {
        got.push(m.payload);
        Ok(())
    };
    let mut a = crate::nl::Answer { seq, result: Ok(()), on_msg: &mut cb };
    let mut used = 0;
    let mut out = None;
    for d in datagrams {
        used += 1;
        if let Some(r) = a.feed(d) {
            out = Some(r);
            break;
        }
    }
    drop(a);
    (out, got, used)
}

#[cfg(target_endian = "little")]
#[test]
fn dump_spanning_datagrams_ends_at_done() {
    let mut s2 = svc();
    s2.port = 443;
    // Two services in the first datagram, one in the second with the DONE.
    let mut d1 = reply(5, 2, vec![svc().to_reply_attr()]);
    d1.extend(reply(5, 2, vec![s2.to_reply_attr()]));
    let mut d2 = reply(5, 2, vec![svc().to_reply_attr()]);
    d2.extend(done(5, 0, 0, &[]));
    let (r, got, used) = run(&[d1, d2, vec![0; 20]], 5);
    assert!(matches!(r, Some(Ok(()))));
    assert_eq!(used, 2, "stops at NLMSG_DONE");
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].service().unwrap().port, 443);
}

#[cfg(target_endian = "little")]
#[test]
fn get_reply_then_ack() {
    let mut d = reply(9, 0, vec![svc().to_reply_attr()]);
    d.extend(error(9, 0, 0x100, &[]));
    let (r, got, _) = run(&[d], 9);
    assert!(matches!(r, Some(Ok(()))));
    assert_eq!(got.len(), 1);
}

#[cfg(target_endian = "little")]
#[test]
fn errors_with_and_without_extack() {
    use crate::nl::NlError;
    let mut tlv = 18u16.to_le_bytes().to_vec();
    tlv.extend_from_slice(&1u16.to_le_bytes());
    tlv.extend_from_slice(b"no such laddr\0");
    tlv.extend_from_slice(&[0, 0]);
    let (r, _, _) = run(&[error(3, -libc::ENOENT, 0x300, &tlv)], 3);
    match r {
        Some(Err(NlError::Kernel { errno, extack })) => {
            assert_eq!(errno, libc::ENOENT);
            assert_eq!(extack.as_deref(), Some("no such laddr"));
        }
        other => panic!("{other:?}"),
    }
    let (r, _, _) = run(&[error(3, -libc::ESRCH, 0x100, &[])], 3);
    assert!(matches!(r, Some(Err(NlError::Kernel { errno: libc::ESRCH, extack: None }))));
    // A dump that fails reports the error in NLMSG_DONE.
    let (r, _, _) = run(&[done(3, -libc::EINVAL, 0x200, &tlv)], 3);
    match r {
        Some(Err(NlError::Kernel { errno, extack })) => {
            assert_eq!(errno, libc::EINVAL);
            assert_eq!(extack.as_deref(), Some("no such laddr"));
        }
        other => panic!("{other:?}"),
    }
}

#[cfg(target_endian = "little")]
#[test]
fn other_sequences_are_skipped_and_garbage_is_an_error() {
    let mut d = reply(1, 2, vec![svc().to_reply_attr()]);
    d.extend(error(1, 0, 0, &[]));
    d.extend(error(2, 0, 0, &[]));
    let (r, got, _) = run(&[d], 2);
    assert!(matches!(r, Some(Ok(()))));
    assert!(got.is_empty(), "a stale reply of another request is not taken");
    // A length field beyond the datagram.
    let mut bad = nlh(400, 0x1a, 0, 7);
    bad.extend_from_slice(&[0; 8]);
    let (r, _, _) = run(&[bad], 7);
    assert!(matches!(r, Some(Err(crate::nl::NlError::Decode(_)))));
    // A length field below the header size.
    let bad = nlh(8, 0x1a, 0, 7);
    let (r, _, _) = run(&[bad], 7);
    assert!(matches!(r, Some(Err(crate::nl::NlError::Decode(_)))));
}
