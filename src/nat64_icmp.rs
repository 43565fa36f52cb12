// SPDX-License-Identifier: GPL-2.0
//! ICMP errors about a NAT64 connection (an IPv6 client, an IPv4 real
//! server), which cross the families: an ICMPv4 error from the real
//! server's side becomes an ICMPv6 error to the client, an ICMPv6 error
//! from the client's side an ICMPv4 error to the real server. Unlike
//! FULLNAT's own errors, which are rewritten in place (`dispatch`), the
//! message changes size in the middle (both its header and the quoted one
//! change family), so it is built anew in a packet of rvs's own by
//! `core::nat64` and the original is consumed. A message whose checksum
//! does not verify, or a Packet Too Big that would tell either side less
//! than its family's minimum, is dropped and counted (`drop_malformed`):
//! building it anew would give it a valid checksum.

use crate::conn_table::Conn;
use crate::kern::{self, NetRef, Skb, Verdict};
use crate::pkt::NetHdr;
use crate::rvs_core::addr::Family;
use crate::rvs_core::ipv6::{self, IPV6_MIN_MTU};
use crate::rvs_core::nat64::{self, ToIcmp4, ToIcmp6, ICMP4_MAX_LEN};
use crate::rvs_core::packet::{self, Malformed};
use crate::rvs_core::seq::SeqDelta;
use crate::rvs_core::{icmp6, tcp_state::Dir};
use crate::stats::Ctr;
use crate::{xmit, State};

/// True if connection `c` is a NAT64 one: its two sides are of different
/// families.
pub(crate) fn crosses(c: &Conn) -> bool {
    c.in_t.saddr.family() != c.out_t.saddr.family()
}

/// What became of the message.
enum Outcome {
    /// Built anew and sent (or counted as not sent).
    Sent,
    /// Malformed: dropped and counted.
    Malformed,
    /// Not for translation (a type RFC 7915 drops, or no memory): dropped.
    Dropped,
}

/// An ICMPv4 error (`ip`, `len`: its header and the packet's length) whose
/// quote is a packet rvs sent to the IPv4 real server of NAT64 connection
/// `c`: sent to the IPv6 client as ICMPv6, about the client's own packet.
pub(crate) fn icmp4_to_client(st: &State, skb: Skb, net: NetRef, ip: &NetHdr, len: usize, c: &Conn, dir: Dir) -> Verdict {
    if dir != Dir::Out {
        // An IPv4 quote of the client's side cannot be ours.
        return skb.accept();
    }
    let to = ToIcmp6 {
        saddr: *c.in_t.daddr.octets(),
        daddr: *c.in_t.saddr.octets(),
        inner: c.in_t,
        seq: SeqDelta(0u32.wrapping_sub(c.seq_in.0)),
    };
    let end = ip.tot_len.min(len);
    // Both the outer and the quoted header grow by 20 bytes; ICMPv6 errors
    // stop at the IPv6 minimum MTU.
    let room = (end + 2 * nat64::HDR_GROWTH).min(IPV6_MIN_MTU as usize);
    build(st, skb, net, end, room, Family::V6, &c.in_t.daddr, &c.in_t.saddr, |pkt, out| {
        let ip4 = packet::parse_ipv4(pkt, pkt.len())?;
        match nat64::parse_icmp4_error(pkt, &ip4)? {
            Some(q) => nat64::icmp4_to_icmp6(pkt, &ip4, &q, out, &to),
            None => Ok(None),
        }
    })
}

/// An ICMPv6 error whose quote is a packet rvs sent to the IPv6 client of
/// NAT64 connection `c`: sent to the IPv4 real server as ICMP, about the
/// real server's own packet.
pub(crate) fn icmp6_to_server(st: &State, skb: Skb, net: NetRef, ip: &NetHdr, len: usize, c: &Conn, dir: Dir) -> Verdict {
    if dir != Dir::In {
        return skb.accept();
    }
    let to = ToIcmp4 {
        saddr: c.out_t.daddr.low32(),
        daddr: c.out_t.saddr.low32(),
        inner: c.out_t,
        seq: SeqDelta(0u32.wrapping_sub(c.sp.as_deref().map_or(0, |sp| sp.seq_out().0))),
        id: kern::random_u32() as u16,
    };
    let end = ip.tot_len.min(len);
    let room = end.min(ICMP4_MAX_LEN);
    build(st, skb, net, end, room, Family::V4, &c.out_t.daddr, &c.out_t.saddr, |pkt, out| {
        let ip6 = ipv6::parse_ipv6(pkt, pkt.len())?;
        match icmp6::parse_error(pkt, &ip6)? {
            Some(q) => nat64::icmp6_to_icmp4(pkt, &ip6, &q, out, &to),
            None => Ok(None),
        }
    })
}

/// Builds the translated message from the first `end` bytes of `skb` into
/// a new packet of family `f` and at most `room` bytes (`make`: the
/// translation, writing into its second argument and returning the
/// length), routes it from `saddr` to `daddr` and sends it. The original
/// is consumed either way.
#[allow(clippy::too_many_arguments)]
fn build(
    st: &State,
    mut skb: Skb,
    net: NetRef,
    end: usize,
    room: usize,
    f: Family,
    saddr: &crate::rvs_core::addr::Addr,
    daddr: &crate::rvs_core::addr::Addr,
    make: impl FnOnce(&[u8], &mut [u8]) -> Result<Option<usize>, Malformed>,
) -> Verdict {
    let outcome = match Skb::alloc(room, f) {
        None => {
            st.stats.inc(Ctr::DropNoMem);
            return skb.discard();
        }
        Some(mut out) => {
            let made = match (skb.pull(end), out.writable(room)) {
                (Some(pkt), Some(buf)) => make(pkt, buf),
                _ => Ok(None),
            };
            match made {
                Ok(Some(n)) if out.reshape(n, f).is_ok() => {
                    if out.route(net, saddr, daddr).is_err() {
                        st.stats.inc(Ctr::DropNoRoute);
                    } else {
                        st.stats.inc(Ctr::IcmpFwd);
                        let _ = xmit::send(st, out, net, f);
                    }
                    Outcome::Sent
                }
                Ok(_) => Outcome::Dropped,
                Err(_) => Outcome::Malformed,
            }
        }
    };
    if let Outcome::Malformed = outcome {
        st.stats.inc(Ctr::DropMalformed);
    }
    skb.discard()
}
