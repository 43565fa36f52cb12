// SPDX-License-Identifier: GPL-2.0
//! A hash table under RCU whose entries sit in up to two chains at once:
//! the connection table, where a connection is found by its in-tuple
//! (slot 0, always linked) and by its out-tuple (slot 1, optional).
//!
//! Readers walk a chain inside an RCU read section and take no lock.
//! Writers link and unlink under the striped bucket locks of the chains
//! involved, taken lowest first. An entry leaves the table through a
//! [`Reaper`]: whoever unlinks an entry's slot-0 link (under its lock) owns
//! it, unlinks its slot-1 link too, and frees it once a grace period has
//! passed, so a reader that found an entry may use it until its read
//! section ends. Entries are boxes of ours (`Entry`), so getting from a
//! link back to its entry is this file's business alone.

use super::rcu::{synchronize_rcu, RcuGuard};
use super::sync::StripeLocks;
use super::zeroed::Heads;
use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering::*};
use kernel::prelude::*;

/// An entry's place in one chain.
struct Link {
    next: AtomicPtr<Link>,
    /// The chain (bucket) it is linked in; set before the entry is
    /// published, never changed after.
    bucket: u32,
    /// Which of the entry's two links this is.
    slot: u8,
    /// Linked at all (slot 1 may not be); set before publication.
    used: bool,
}

impl Link {
    const fn new(slot: u8) -> Self {
        Link { next: AtomicPtr::new(ptr::null_mut()), bucket: 0, slot, used: false }
    }
}

/// A value with its two links. `repr(C)` with the links first: a link's
/// address minus `slot` links is its entry's.
#[repr(C)]
struct Entry<T> {
    links: [Link; 2],
    value: T,
}

impl<T> Entry<T> {
    /// The entry a link belongs to.
    ///
    /// # Safety
    /// `l` must point to a link of a live `Entry<T>`.
    unsafe fn of<'a>(l: *const Link) -> &'a Entry<T> {
        // SAFETY: `l` is valid (caller); `slot` says which element of
        // `links` it is, and `links` sits at offset 0 of the `repr(C)`
        // entry, so stepping back `slot` links gives the entry, live per
        // the caller.
        unsafe {
            let slot = (*l).slot as usize;
            &*(l as *const u8).sub(slot * core::mem::size_of::<Link>()).cast::<Entry<T>>()
        }
    }
}

/// Why an insertion did not happen (the value is dropped).
pub(crate) enum InsertError {
    /// No memory for the entry.
    NoMem,
    /// `clash` found an equal entry in one of the chains.
    Clash,
}

/// The table.
///
/// # Invariants
/// Every link reachable from `heads` is a link of a live `Entry<T>` that
/// came from `KBox::into_raw`; an unlinked entry is freed only a grace
/// period after its unlinking, by the one who unlinked its slot-0 link.
pub(crate) struct RcuHash<T> {
    heads: Heads<Link>,
    locks: StripeLocks,
    mask: u32,
    _owns: PhantomData<T>,
}

// SAFETY: entries are shared between CPUs (readers get `&T`) and freed on
// whichever CPU reaps them.
unsafe impl<T: Send + Sync> Send for RcuHash<T> {}
// SAFETY: see `Send`.
unsafe impl<T: Send + Sync> Sync for RcuHash<T> {}

impl<T> RcuHash<T> {
    /// A table of `2^bits` chains guarded by `locks` striped locks (a
    /// power of two).
    pub(crate) fn new(bits: u32, locks: u32) -> Result<Self> {
        let n = 1u32.checked_shl(bits).ok_or(EINVAL)?;
        // INVARIANT: no link is reachable yet.
        Ok(RcuHash { heads: Heads::new(n as usize)?, locks: StripeLocks::new(locks)?, mask: n - 1, _owns: PhantomData })
    }

    /// Number of chains.
    pub(crate) fn buckets(&self) -> u32 {
        self.mask + 1
    }

    fn head(&self, b: u32) -> &AtomicPtr<Link> {
        &self.heads.as_slice()[(b & self.mask) as usize]
    }

    /// Walks chain `b`: its entries, with the slot each is linked by
    /// there, for the length of the read section `_g`.
    pub(crate) fn walk<'a>(&'a self, _g: &'a RcuGuard, b: u32) -> Chain<'a, T> {
        Chain { next: self.head(b).load(Acquire), _t: PhantomData }
    }

    /// Links `value` into chain `b0` by slot 0 and, if given, chain `b1`
    /// by slot 1, unless `clash(existing, new, slot)`, asked under the
    /// chains' locks about each entry linked there by the same slot, finds
    /// one equal. On success the table owns the value, and the reference
    /// is valid for the read section `g`.
    pub(crate) fn insert<'a>(
        &'a self,
        g: &'a RcuGuard,
        value: T,
        b0: u32,
        b1: Option<u32>,
        clash: impl Fn(&T, &T, usize) -> bool,
    ) -> core::result::Result<&'a T, InsertError> {
        let mut e = KBox::new(Entry { links: [Link::new(0), Link::new(1)], value }, GFP_ATOMIC).map_err(|_| InsertError::NoMem)?;
        e.links[0].bucket = b0 & self.mask;
        e.links[0].used = true;
        if let Some(b1) = b1 {
            e.links[1].bucket = b1 & self.mask;
            e.links[1].used = true;
        }
        let (c0, c1) = (e.links[0].bucket, if e.links[1].used { e.links[1].bucket } else { e.links[0].bucket });
        let _l = self.locks.lock2(c0, c1);
        for l in e.links.iter().filter(|l| l.used) {
            let taken = self.walk(g, l.bucket).any(|(x, slot)| slot == l.slot as usize && clash(x, &e.value, slot));
            if taken {
                return Err(InsertError::Clash);
            }
        }
        let raw = KBox::into_raw(e);
        // SAFETY: `raw` is a fresh allocation, shared with no one until
        // linked below; it is freed only by a reaper after a grace period
        // (type invariant), which `g` keeps from ending for `'a`.
        let e: &'a Entry<T> = unsafe { &*raw };
        for l in e.links.iter().filter(|l| l.used) {
            let head = self.head(l.bucket);
            l.next.store(head.load(Relaxed), Relaxed);
            // Release: the entry's contents are visible before it is.
            // INVARIANT: an entry from `KBox::into_raw`.
            head.store(l as *const Link as *mut Link, Release);
        }
        Ok(&e.value)
    }

    /// Unlinks `l` from its chain; false if it is not there. The chain's
    /// stripe lock must be held.
    fn unlink_link(&self, l: &Link) -> bool {
        let mut prev: &AtomicPtr<Link> = self.head(l.bucket);
        loop {
            let p = prev.load(Acquire);
            if p.is_null() {
                return false;
            }
            if ptr::eq(p, l) {
                prev.store(l.next.load(Acquire), Release);
                return true;
            }
            // SAFETY: `p` is reachable from a head (type invariant), and
            // under the stripe lock nobody unlinks it meanwhile.
            prev = unsafe { &(*p).next };
        }
    }

    /// Unlinks entry `e` from its chains if nobody did first: true if this
    /// call did (and so owns it).
    fn unlink(&self, e: &Entry<T>) -> bool {
        let [l0, l1] = &e.links;
        let _l = self.locks.lock2(l0.bucket, if l1.used { l1.bucket } else { l0.bucket });
        if !self.unlink_link(l0) {
            return false;
        }
        if l1.used {
            self.unlink_link(l1);
        }
        true
    }

    /// Starts a removal pass (process context): what it unlinks is freed
    /// when it finishes or drops, both outside any read section.
    pub(crate) fn reaper(&self) -> Reaper<'_, T> {
        Reaper { table: self, dead: KVec::new() }
    }
}

impl<T> Drop for RcuHash<T> {
    fn drop(&mut self) {
        // `&mut self`: no reader or writer is left. Free every entry from
        // its slot-0 chain, unlinking its slot-1 link first so that no
        // later walk meets freed memory.
        for b in 0..=self.mask {
            let mut p = self.head(b).load(Acquire);
            while !p.is_null() {
                // SAFETY: reachable, so a link of a live entry (invariant).
                let e = unsafe { Entry::<T>::of(p) };
                // SAFETY: as above.
                let l = unsafe { &*p };
                p = l.next.load(Acquire);
                if l.slot == 0 {
                    if e.links[1].used {
                        self.unlink_link(&e.links[1]);
                    }
                    // SAFETY: from `KBox::into_raw` (invariant), now in no
                    // chain walked again (its successor was read above).
                    drop(unsafe { KBox::from_raw(e as *const Entry<T> as *mut Entry<T>) });
                }
            }
            self.head(b).store(ptr::null_mut(), Relaxed);
        }
    }
}

/// A walk of one chain: `(value, slot)` pairs.
pub(crate) struct Chain<'a, T> {
    next: *mut Link,
    _t: PhantomData<&'a T>,
}

impl<'a, T> Iterator for Chain<'a, T> {
    type Item = (&'a T, usize);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next.is_null() {
            return None;
        }
        // SAFETY: a link reachable from a head belongs to a live entry,
        // freed only after a grace period, which the read section `'a`
        // (the guard `chain` borrowed) keeps from ending.
        let e = unsafe { Entry::<T>::of(self.next) };
        // SAFETY: as above; `next` is that entry's link.
        let l = unsafe { &*self.next };
        self.next = l.next.load(Acquire);
        Some((&e.value, l.slot as usize))
    }
}

/// A removal pass over a [`RcuHash`].
///
/// # Invariants
/// `dead` holds entries this pass unlinked (so owns), from
/// `KBox::into_raw`, not yet freed.
pub(crate) struct Reaper<'a, T> {
    table: &'a RcuHash<T>,
    dead: KVec<*const Entry<T>>,
}

impl<T> Reaper<'_, T> {
    /// Walks chain `b` inside the read section `_g` (one section can
    /// cover many chains: opening one per chain costs two calls each, and a
    /// namespace's exit walks them all), and unlinks the entries linked
    /// there by slot 0 that `remove` selects. Returns whether it could take
    /// every selected entry (false when out of memory to record them: the
    /// rest stay linked) and whether the chain still holds slot-0 entries.
    pub(crate) fn sweep(&mut self, _g: &RcuGuard, b: u32, mut remove: impl FnMut(&T) -> bool) -> (bool, bool) {
        let mut remain = false;
        let mut p = self.table.head(b).load(Acquire);
        while !p.is_null() {
            // SAFETY: reachable under the read section `_g`: a link of a
            // live entry (the table's invariant).
            let e = unsafe { Entry::<T>::of(p) };
            // SAFETY: as above.
            let l = unsafe { &*p };
            p = l.next.load(Acquire);
            if l.slot != 0 {
                continue;
            }
            if !remove(&e.value) {
                remain = true;
                continue;
            }
            // Inside the read section: no sleeping allocation. Room first,
            // so that an entry unlinked is always recorded.
            if self.dead.reserve(1, GFP_ATOMIC).is_err() {
                return (false, true);
            }
            if self.table.unlink(e) {
                // INVARIANT: unlinked by this call, so ours.
                let _ = self.dead.push(e as *const Entry<T>, GFP_ATOMIC);
            }
        }
        (true, remain)
    }

    /// Waits for a grace period (process context, outside any read
    /// section), then frees what this pass unlinked, after `before_free`
    /// saw each. Returns how many.
    pub(crate) fn finish(&mut self, mut before_free: impl FnMut(&T)) -> usize {
        if self.dead.is_empty() {
            return 0;
        }
        synchronize_rcu();
        let n = self.dead.len();
        for e in core::mem::replace(&mut self.dead, KVec::new()) {
            // SAFETY: unlinked by this pass, from `KBox::into_raw`, and
            // after the grace period no reader can hold it (invariant).
            let e = unsafe { KBox::from_raw(e as *mut Entry<T>) };
            before_free(&e.value);
        }
        n
    }
}

impl<T> Drop for Reaper<'_, T> {
    fn drop(&mut self) {
        self.finish(|_| {});
    }
}
