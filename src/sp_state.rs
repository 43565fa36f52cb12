// SPDX-License-Identifier: GPL-2.0
//! SYNPROXY's part of a connection (`Conn::sp`): what the cookie carried,
//! the offset between the real server's sequence space and the client's,
//! the window scales of both sides, and the client packets kept until the
//! real server answers. Data and the operations on it alone: the decisions
//! are `synproxy.rs`'s; the connection table and the transmit step only
//! read it.

use crate::kern::Skb;
use crate::rvs_core::csum::FieldState;
use crate::rvs_core::ctl_text::SYNPROXY_STORE_MAX;
use crate::rvs_core::nat;
use crate::rvs_core::seq::SeqDelta;
use crate::rvs_core::synproxy::{self as cookie, CookieData};
use crate::rvs_core::tcp_state::Dir;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, AtomicUsize, Ordering::*};
use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::sync::SpinLock;

/// `rs_ws` when the real server did not agree to window scaling.
pub(crate) const NO_WS: u8 = 0xff;

/// Most memory (`skb->truesize`) a connection's kept packets may hold. An
/// honest client sends no more than the SYN-ACK's window allows (at most
/// SYNPROXY_STORE_MAX - 1 segments of data besides its ACK, about 3 KB of
/// memory each); one that ignores it, with aggregated packets of up to
/// 64 KB, is refused past this.
pub(crate) const KEPT_BYTES_PER_CONN: usize = 32 << 10;
/// Most memory all connections' kept packets may hold together: the bound
/// on what clients holding handshakes open toward silent real servers can
/// pin (every namespace's together, module-wide).
pub(crate) const KEPT_BYTES_TOTAL: usize = 64 << 20;

/// Memory held by every queue now (module-wide; only the handshake's slow
/// path touches it).
static KEPT_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Memory the kept packets of every connection hold now.
pub(crate) fn kept_bytes() -> usize {
    KEPT_BYTES.load(Relaxed)
}

/// Client packets kept until the real server answers.
struct Queue {
    skbs: [Option<Skb>; SYNPROXY_STORE_MAX as usize],
    len: usize,
    /// Memory the kept packets hold (their truesize, as when kept).
    bytes: usize,
    /// Set once the real server answered: nothing is kept any more.
    released: bool,
}

impl Drop for Queue {
    /// Packets still kept when the connection goes (its real server never
    /// answered) are freed with it: their memory leaves the total.
    fn drop(&mut self) {
        KEPT_BYTES.fetch_sub(self.bytes, Relaxed);
    }
}

/// What happened to a client packet offered to the queue.
pub(crate) enum Kept {
    /// Kept: the hook's verdict about it.
    Yes(crate::kern::Verdict),
    /// The real server answered meanwhile: forward it now.
    Released(Skb),
    /// No room: to be dropped.
    Full(Skb),
}

/// What a proxied connection needs beyond FULLNAT's.
#[pin_data]
pub(crate) struct SynproxyCtx {
    /// The director's ISN toward the client.
    pub(crate) cookie_isn: u32,
    /// What the client's SYN offered, from the cookie. `wscale` is `None`
    /// when no window scaling was agreed with the client.
    pub(crate) data: CookieData,
    /// The shift offered to the client (when `data.wscale` is set).
    pub(crate) offered_ws: u8,
    /// Window of the SYN to the real server (the client's, unscaled).
    pub(crate) window: u16,
    /// The real server's SYN-ACK (or RST) has been seen.
    ready: AtomicBool,
    /// Real server's sequence space -> the client's (cookie) one.
    seq_out: AtomicU32,
    /// The real server's window scale, or `NO_WS`.
    pub(crate) rs_ws: AtomicU8,
    pub(crate) retries: AtomicU32,
    pub(crate) storm_seq: AtomicU32,
    pub(crate) storm_ack: AtomicU32,
    pub(crate) storm_win: AtomicU32,
    pub(crate) storm_n: AtomicU32,
    #[pin]
    queue: SpinLock<Queue>,
}

impl SynproxyCtx {
    pub(crate) fn new(cookie_isn: u32, data: CookieData, offered_ws: u8, window: u16) -> Result<Pin<KBox<Self>>> {
        Self::make(cookie_isn, data, offered_ws, window, None)
    }

    /// As `new`; with `answered`, the real server has answered already
    /// (the offset toward the client and its window scale): nothing is
    /// kept, and no lock is taken to say so.
    fn make(cookie_isn: u32, data: CookieData, offered_ws: u8, window: u16, answered: Option<(SeqDelta, u8)>) -> Result<Pin<KBox<Self>>> {
        KBox::pin_init(
            pin_init!(SynproxyCtx {
                cookie_isn,
                data,
                offered_ws,
                window,
                ready: AtomicBool::new(answered.is_some()),
                seq_out: AtomicU32::new(answered.map_or(0, |a| a.0 .0)),
                rs_ws: AtomicU8::new(answered.map_or(NO_WS, |a| a.1)),
                retries: AtomicU32::new(0),
                storm_seq: AtomicU32::new(0),
                storm_ack: AtomicU32::new(0),
                storm_win: AtomicU32::new(0),
                storm_n: AtomicU32::new(0),
                queue <- new_spinlock!(
                    Queue { skbs: [const { None }; SYNPROXY_STORE_MAX as usize], len: 0, bytes: 0, released: answered.is_some() },
                    "rvs_synproxy_queue"
                ),
            }),
            GFP_ATOMIC,
        )
    }

    /// The SYNPROXY part of a connection synced from another director,
    /// whose real server answered there: the offset toward the client
    /// and the window scales as that director agreed them (a client's or
    /// offered shift past TCP's 14 is refused; a real server's past it is
    /// taken as none).
    /// Nothing is kept: the queue is released from the start.
    pub(crate) fn synced(data: CookieData, offered_ws: u8, seq_out: SeqDelta, rs_ws: u8) -> Result<Pin<KBox<Self>>> {
        if offered_ws > 14 || data.wscale.is_some_and(|w| w > 14) {
            return Err(EINVAL);
        }
        Self::make(0, data, offered_ws, 0, Some((seq_out, if rs_ws <= 14 { rs_ws } else { NO_WS })))
    }

    /// The offset from the real server's sequence space to the client's.
    pub(crate) fn seq_out(&self) -> SeqDelta {
        SeqDelta(self.seq_out.load(Acquire))
    }

    /// Fixes that offset (the real server's SYN-ACK or RST arrived).
    pub(crate) fn set_seq_out(&self, d: SeqDelta) {
        self.seq_out.store(d.0, Release);
    }

    /// The real server has answered.
    pub(crate) fn ready(&self) -> bool {
        self.ready.load(Acquire)
    }

    /// Keeps a client packet until the real server answers: at most `max`
    /// packets, [`KEPT_BYTES_PER_CONN`] of memory, and while all queues
    /// together hold less than [`KEPT_BYTES_TOTAL`].
    pub(crate) fn keep(&self, skb: Skb, max: usize) -> Kept {
        let mut q = self.queue.lock();
        if q.released {
            return Kept::Released(skb);
        }
        let size = skb.truesize();
        if q.len >= max.min(SYNPROXY_STORE_MAX as usize) || q.bytes + size > KEPT_BYTES_PER_CONN {
            return Kept::Full(skb);
        }
        if KEPT_BYTES.fetch_add(size, Relaxed) + size > KEPT_BYTES_TOTAL {
            KEPT_BYTES.fetch_sub(size, Relaxed);
            return Kept::Full(skb);
        }
        let (kept, verdict) = skb.keep();
        let i = q.len;
        q.skbs[i] = Some(kept);
        q.len += 1;
        q.bytes += size;
        Kept::Yes(verdict)
    }

    /// Marks the connection answered and hands back what was kept, in order.
    pub(crate) fn release(&self) -> KVec<Skb> {
        let mut out = KVec::new();
        let mut q = self.queue.lock();
        q.released = true;
        self.ready.store(true, Release);
        let n = q.len;
        q.len = 0;
        KEPT_BYTES.fetch_sub(q.bytes, Relaxed);
        q.bytes = 0;
        for slot in q.skbs[..n].iter_mut() {
            if let Some(skb) = slot.take() {
                // Room for at most SYNPROXY_STORE_MAX entries; on failure
                // the packet drops here (the client retransmits).
                let _ = out.push(skb, GFP_ATOMIC);
            }
        }
        out
    }

    /// Rescales the window of a forwarded segment (already translated)
    /// when the window scales agreed on the two sides differ.
    pub(crate) fn map_window(&self, dir: Dir, tcp: &mut [u8], csum: FieldState) {
        let rs_ws = match self.rs_ws.load(Relaxed) {
            NO_WS => None,
            w => Some(w),
        };
        if let Some((from, to)) = cookie::window_shifts(dir == Dir::In, self.data.wscale, rs_ws, self.offered_ws) {
            let w = u16::from_be_bytes([tcp[14], tcp[15]]);
            nat::set_window(tcp, nat::scale_window(w, from, to), csum);
        }
    }
}
