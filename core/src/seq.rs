// SPDX-License-Identifier: GPL-2.0
//! TCP sequence-number arithmetic (RFC 793 / RFC 1982 serial numbers) and
//! the per-connection deltas that FULLNAT and SYNPROXY apply.

/// True if `a` comes before `b` in sequence space.
#[inline]
pub const fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// True if `a` comes after `b` in sequence space.
#[inline]
pub const fn after(a: u32, b: u32) -> bool {
    before(b, a)
}

/// The offset between the sequence space one end uses and the one the other
/// end sees, for one direction of a connection.
///
/// FULLNAT gives the real server a fresh ISN (`delta = rs_isn - client_isn`
/// for the client's sequence numbers); SYNPROXY answers the client with its
/// cookie (`delta = cookie_isn - rs_isn` for the server's). Both are kept as
/// one wrapping offset per direction so each packet is adjusted once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeqDelta(pub u32);

impl SeqDelta {
    /// The delta that maps `from` onto `to`.
    #[inline]
    pub const fn between(from: u32, to: u32) -> Self {
        SeqDelta(to.wrapping_sub(from))
    }

    /// A sequence number of the sending side, as the receiving side sees it.
    #[inline]
    pub const fn forward(self, seq: u32) -> u32 {
        seq.wrapping_add(self.0)
    }

    /// An acknowledgement travelling back, in the sender's own space.
    #[inline]
    pub const fn backward(self, ack: u32) -> u32 {
        ack.wrapping_sub(self.0)
    }

    /// Two offsets applied one after the other.
    #[inline]
    pub const fn then(self, other: SeqDelta) -> SeqDelta {
        SeqDelta(self.0.wrapping_add(other.0))
    }

    /// True if this delta changes nothing.
    #[inline]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_wraps() {
        assert!(before(1, 2));
        assert!(after(2, 1));
        assert!(before(0xffff_fff0, 0x10));
        assert!(after(0x10, 0xffff_fff0));
        assert!(!before(5, 5) && !after(5, 5));
    }

    #[test]
    fn delta_roundtrip() {
        let client_isn = 0xffff_ff00;
        let rs_isn = 0x0000_1000;
        let d = SeqDelta::between(client_isn, rs_isn);
        assert_eq!(d.forward(client_isn), rs_isn);
        assert_eq!(d.forward(client_isn.wrapping_add(0x200)), rs_isn + 0x200);
        // The RS acknowledges in its own space; the client must see its own.
        assert_eq!(d.backward(rs_isn + 0x201), client_isn.wrapping_add(0x201));
        let e = SeqDelta(7);
        assert_eq!(d.then(e).forward(3), e.forward(d.forward(3)));
        assert!(SeqDelta::default().is_zero());
    }
}
