//! Instrumented synchronisation: a mutex that records waiting and holding on a lane.

use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::record::Lane;
use crate::trace::{Kind, Label};

/// The recording both traced locks share ([`TracedMutex`] and
/// [`WatchedMutex`](crate::deadlock::WatchedMutex)): the wait span when the lock is got, and the
/// held span when it is released, on a sibling of the caller's lane (so a guard can
/// outlive the borrow of the lane).
#[derive(Debug)]
pub(crate) struct Held {
    lane: Lane,
    got: Instant,
    label: Label,
}

impl Held {
    /// Records the wait from `asked` until now (the lock was just got) on `lane`.
    pub(crate) fn got(lane: &mut Lane, label: Label, asked: Instant) -> Held {
        let got = Instant::now();
        lane.record_between(Kind::LockWait, label.clone(), asked, got);
        Held {
            lane: lane.sibling(),
            got,
            label,
        }
    }

    pub(crate) fn lane(&mut self) -> &mut Lane {
        &mut self.lane
    }

    /// Records the held span. Call it while the lock is still held, so no other thread's
    /// held span can start before this one ends.
    pub(crate) fn release(&mut self) {
        let end = Instant::now();
        let label = std::mem::take(&mut self.label);
        self.lane
            .record_between(Kind::LockHeld, label, self.got, end);
    }
}

/// A `std::sync::Mutex` that records, on the caller's lane, a [`Kind::LockWait`] span
/// (from asking for the lock until getting it) and a [`Kind::LockHeld`] span (from
/// getting it until the guard is dropped). A timeline then shows threads queueing.
///
/// Every acquisition records exactly one wait span and one held span, and the held spans
/// of one lock never overlap: a held span ends just *before* the lock is released.
///
/// Unlike std's, a `TracedMutex` is not poisoned by a panic while held: notebook 04
/// shows poisoning with `std::sync::Mutex` itself.
///
/// # Examples
///
/// ```
/// use lab::{record::Recorder, sync::TracedMutex};
///
/// let account = TracedMutex::new("account", 1000);
/// let rec = Recorder::new();
/// std::thread::scope(|s| {
///     for amount in [500, -200] {
///         let mut lane = rec.lane(format!("{amount:+}"));
///         let account = &account;
///         s.spawn(move || {
///             let mut balance = account.lock(&mut lane);
///             *balance += amount;
///         });
///     }
/// });
/// assert_eq!(account.into_inner(), 1300);
/// let trace = rec.trace().unwrap();
/// assert_eq!(trace.span_count(), 4); // a wait and a hold per thread
/// ```
#[derive(Debug, Default)]
pub struct TracedMutex<T> {
    name: String,
    inner: Mutex<T>,
}

impl<T> TracedMutex<T> {
    /// A mutex called `name` (the label of its spans) guarding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lab::sync::TracedMutex::new("counter", 0u64);
    /// assert_eq!(m.name(), "counter");
    /// ```
    pub fn new(name: impl Into<String>, value: T) -> TracedMutex<T> {
        TracedMutex {
            name: name.into(),
            inner: Mutex::new(value),
        }
    }

    /// The name its spans are labelled with.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::sync::TracedMutex::new("m", ()).name(), "m");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes the lock, recording the wait on `lane`; the returned guard records the
    /// hold when it is dropped. Use [`TracedGuard::lane`] to record inside the
    /// critical section.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lab::sync::TracedMutex::new("m", 1);
    /// let rec = lab::record::Recorder::new();
    /// let mut lane = rec.lane("t");
    /// {
    ///     let mut g = m.lock(&mut lane);
    ///     *g += 1;
    ///     g.lane().mark("inside");
    /// }
    /// drop(lane);
    /// let trace = rec.trace().unwrap();
    /// assert_eq!(trace.lanes().len(), 1); // the guard's records join the lane
    /// assert_eq!(trace.span_count() + trace.mark_count(), 3); // wait, mark, held
    /// ```
    pub fn lock(&self, lane: &mut Lane) -> TracedGuard<'_, T> {
        let asked = Instant::now();
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        TracedGuard {
            guard,
            held: Held::got(lane, self.name.clone().into(), asked),
        }
    }

    /// The value, once no one can lock any more.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::sync::TracedMutex::new("m", 7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The lock, held; dereferences to the guarded value. Dropping it records the held span
/// and releases the lock.
#[derive(Debug)]
pub struct TracedGuard<'a, T> {
    guard: MutexGuard<'a, T>,
    held: Held,
}

impl<T> TracedGuard<'_, T> {
    /// The lane this guard records on, to record inside the critical section.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lab::sync::TracedMutex::new("m", ());
    /// let rec = lab::record::Recorder::new();
    /// let mut lane = rec.lane("t");
    /// m.lock(&mut lane).lane().mark("got it");
    /// ```
    pub fn lane(&mut self) -> &mut Lane {
        self.held.lane()
    }
}

impl<T> Deref for TracedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for TracedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for TracedGuard<'_, T> {
    fn drop(&mut self) {
        // The std guard is released after this function returns.
        self.held.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Recorder;

    #[test]
    fn records_are_exact_and_holds_never_overlap_under_contention() {
        let threads = 4;
        let per_thread = 2_000;
        let m = TracedMutex::new("m", 0u64);
        let rec = Recorder::new();
        std::thread::scope(|s| {
            for t in 0..threads {
                let mut lane = rec.lane(format!("t{t}"));
                let m = &m;
                s.spawn(move || {
                    for _ in 0..per_thread {
                        let mut g = m.lock(&mut lane);
                        *g += 1;
                    }
                });
            }
        });
        assert_eq!(m.into_inner(), (threads * per_thread) as u64);
        let trace = rec.trace().unwrap();
        let mut held = Vec::new();
        for lane in trace.lanes() {
            let waits = lane
                .spans
                .iter()
                .filter(|s| s.kind == Kind::LockWait)
                .count();
            let holds: Vec<_> = lane
                .spans
                .iter()
                .filter(|s| s.kind == Kind::LockHeld)
                .collect();
            assert_eq!(
                waits, per_thread,
                "one wait per acquisition on {}",
                lane.name
            );
            assert_eq!(
                holds.len(),
                per_thread,
                "one hold per acquisition on {}",
                lane.name
            );
            held.extend(holds.into_iter().cloned());
        }
        held.sort_by_key(|s| s.start);
        for w in held.windows(2) {
            assert!(
                w[0].end <= w[1].start,
                "held spans overlap: {:?} and {:?}",
                w[0],
                w[1]
            );
        }
        assert!(trace.max_overlap(Kind::LockHeld) <= 1);
    }
}
