//! Locks that notice a deadlock, end it, and show its cycle.
//!
//! A real deadlock in a notebook would be fatal: the cell never returns, and interrupting
//! evcxr kills the kernel with every variable. So the demos use [`WatchedMutex`]es
//! created from one [`LockWatch`]. The watch keeps the *wait-for graph*: which thread
//! holds which lock, and which lock each thread is waiting for. Whenever a thread starts
//! waiting, the watch follows the chain *thread → lock it waits for → thread holding
//! that lock → ...*; if the chain comes back to the first thread, no thread in it can ever
//! proceed. The watch then records the cycle and tells every waiting thread to give up:
//! their `lock` calls return [`Err(LockError)`](LockError), they return, their guards drop, and
//! the cell finishes. Detection takes microseconds after the last thread joins the cycle.
//!
//! A wait that lasts longer than the watch's bound (default 2 s) without a cycle (a thread
//! stuck somewhere the watch cannot see) is given up the same way, so no demo can hang.
//!
//! Each thread must use a lane with its own name: the lane's name is the thread's name in
//! the graph. Two threads using the same name at once would look like one thread locking
//! twice (a false deadlock), so the watch tells them apart by their thread and refuses the
//! second with [`LockError::Misuse`] and a one-line message.

use std::collections::HashMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::draw::WaitForGraph;
use crate::error::{Error, ErrorKind, Result};
use crate::record::{Lane, Recorder};
use crate::sync::Held;
use crate::trace::{Kind, Label};

/// How long a wait may last, without a cycle, before it is given up.
///
/// [`LockWatch::new`] uses it; [`LockWatch::with_bound`] sets another.
///
/// # Examples
///
/// ```
/// use lab::deadlock::{DEFAULT_BOUND, LockWatch};
/// use std::time::Duration;
/// // A demo whose threads hold a lock for 3 s needs a longer bound than the default:
/// let hold = Duration::from_secs(3);
/// assert!(hold > DEFAULT_BOUND);
/// let watch = LockWatch::with_bound(hold * 2).unwrap();
/// let _m = watch.mutex("m", 0);
/// ```
pub const DEFAULT_BOUND: Duration = Duration::from_secs(2);

/// Why a [`WatchedMutex::lock`] gave up instead of returning the lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockError {
    /// The watch found a cycle of threads waiting for each other.
    Deadlock(Cycle),
    /// The wait lasted longer than the watch's bound, with no cycle found.
    TimedOut(Duration),
    /// The lock was asked for in a way the watch cannot follow (two threads using lanes
    /// with the same name at once): the message says what to change.
    Misuse(String),
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Deadlock(c) => write!(f, "{c}"),
            LockError::TimedOut(d) => write!(
                f,
                "gave up waiting after {} (the watch's bound)",
                crate::show::fmt_duration(*d)
            ),
            LockError::Misuse(why) => write!(f, "lab: {why}"),
        }
    }
}

impl std::error::Error for LockError {}

/// A lock that gave up is an [`Error`] too, so a cell can use `?` on it in a function
/// that returns [`lab::Result`](crate::Result). The kind says why: a deadlock, a wait
/// past the bound, or a misuse.
///
/// # Examples
///
/// ```
/// use lab::{deadlock::LockError, Error, ErrorKind};
/// use std::time::Duration;
///
/// let e: Error = LockError::TimedOut(Duration::from_secs(2)).into();
/// assert_eq!(e.kind(), ErrorKind::TimedOut);
/// assert_eq!(e.to_string(), "lab: gave up waiting after 2.00 s (the watch's bound)");
/// ```
impl From<LockError> for Error {
    fn from(stuck: LockError) -> Error {
        match stuck {
            LockError::Deadlock(cycle) => Error::of(ErrorKind::Deadlock, cycle.to_string()),
            LockError::TimedOut(_) => Error::of(ErrorKind::TimedOut, stuck.to_string()),
            LockError::Misuse(why) => Error::of(ErrorKind::Misuse, why),
        }
    }
}

/// A cycle in the wait-for graph: each thread waits for a lock held by the next one, and
/// the last thread's lock is held by the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    /// `(thread, lock it waits for)`, in order around the cycle.
    pub links: Vec<(String, String)>,
    /// When the cycle closed, since the watch was created.
    pub found_after: Duration,
}

impl Cycle {
    /// The threads in the cycle, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = lab::deadlock::Cycle {
    ///     links: vec![("A".into(), "x".into()), ("B".into(), "y".into())],
    ///     found_after: std::time::Duration::ZERO,
    /// };
    /// assert_eq!(c.threads(), vec!["A", "B"]);
    /// ```
    pub fn threads(&self) -> Vec<&str> {
        self.links.iter().map(|(t, _)| t.as_str()).collect()
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "deadlock: ")?;
        let n = self.links.len();
        for (i, (thread, lock)) in self.links.iter().enumerate() {
            let holder = &self.links[(i + 1) % n].0;
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{thread} waits for {lock} (held by {holder})")?;
        }
        Ok(())
    }
}

/// Locks (name, holder), waits (thread -> lock), threads: the graph at one moment.
type Snapshot = (
    Vec<(String, Option<String>)>,
    HashMap<String, usize>,
    Vec<String>,
);

#[derive(Debug, Default)]
struct Graph {
    /// lock id -> (name, holder thread)
    locks: Vec<(String, Option<String>)>,
    /// thread -> lock id it waits for
    waiting: HashMap<String, usize>,
    /// Every thread seen, in order, for drawing.
    threads: Vec<String>,
    /// The first cycle found; once set, every wait gives up.
    cycle: Option<Cycle>,
    /// The graph as it was when the cycle closed.
    snapshot: Option<Snapshot>,
    /// Which thread last used each lane name: names are the graph's thread ids.
    owners: HashMap<String, std::thread::ThreadId>,
}

impl Graph {
    /// Whether `name` holds a lock or waits for one right now.
    fn active(&self, name: &str) -> bool {
        self.waiting.contains_key(name)
            || self.locks.iter().any(|(_, h)| h.as_deref() == Some(name))
    }
}

#[derive(Debug)]
struct Watch {
    graph: Mutex<Graph>,
    changed: Condvar,
    bound: Duration,
    born: Instant,
}

/// Watches a set of [`WatchedMutex`]es for deadlock. Cheap to clone; create one per
/// experiment, then its locks with [`mutex`](LockWatch::mutex).
///
/// # Examples
///
/// Two threads taking two locks in opposite orders, with a pause in between so that each
/// gets its first lock: a deadlock, found and ended.
///
/// ```
/// use lab::{deadlock::LockWatch, record::Recorder};
/// use std::time::Duration;
///
/// let watch = LockWatch::new();
/// let (a, b) = (watch.mutex("a", 0), watch.mutex("b", 0));
/// let rec = Recorder::new();
/// let start = std::sync::Barrier::new(2);
/// std::thread::scope(|s| {
///     for (name, first, second) in [("T1", &a, &b), ("T2", &b, &a)] {
///         let mut lane = rec.lane(name);
///         let start = &start;
///         s.spawn(move || {
///             let Ok(_one) = first.lock(&mut lane) else { return };
///             start.wait(); // both hold their first lock now
///             let Ok(_two) = second.lock(&mut lane) else { return };
///         });
///     }
/// });
/// let cycle = watch.deadlock().expect("a deadlock");
/// assert_eq!(cycle.links.len(), 2);
/// assert!(watch.graph().to_svg().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct LockWatch {
    watch: Arc<Watch>,
}

impl Default for LockWatch {
    fn default() -> Self {
        LockWatch::new()
    }
}

impl LockWatch {
    /// A watch that gives up waits after [`DEFAULT_BOUND`] without a cycle.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(lab::deadlock::LockWatch::new().deadlock().is_none());
    /// ```
    pub fn new() -> LockWatch {
        LockWatch::with_bound(DEFAULT_BOUND).expect("the default bound is valid")
    }

    /// A watch with its own bound on waits (1 ms to 60 s).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// assert!(lab::deadlock::LockWatch::with_bound(Duration::from_millis(100)).is_ok());
    /// assert!(lab::deadlock::LockWatch::with_bound(Duration::from_secs(3600)).is_err());
    /// ```
    pub fn with_bound(bound: Duration) -> Result<LockWatch> {
        if bound < Duration::from_millis(1) || bound > Duration::from_secs(60) {
            return Err(Error::of(
                ErrorKind::BadInput,
                format!(
                    "a bound of {} is outside 1 ms..=60 s: try Duration::from_secs(2)",
                    crate::show::fmt_duration(bound)
                ),
            ));
        }
        Ok(LockWatch {
            watch: Arc::new(Watch {
                graph: Mutex::new(Graph::default()),
                changed: Condvar::new(),
                bound,
                born: Instant::now(),
            }),
        })
    }

    /// A new lock called `name` (its label on timelines and in the graph), guarding
    /// `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let watch = lab::deadlock::LockWatch::new();
    /// let fork = watch.mutex("fork 0", ());
    /// assert_eq!(fork.name(), "fork 0");
    /// ```
    pub fn mutex<T>(&self, name: impl Into<String>, value: T) -> WatchedMutex<T> {
        let name = name.into();
        let id = {
            let mut g = self.lock_graph();
            g.locks.push((name.clone(), None));
            g.locks.len() - 1
        };
        WatchedMutex {
            id,
            name,
            watch: self.clone(),
            data: Mutex::new(value),
        }
    }

    /// The deadlock found, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::deadlock::LockWatch::new().deadlock(), None);
    /// ```
    pub fn deadlock(&self) -> Option<Cycle> {
        self.lock_graph().cycle.clone()
    }

    /// The wait-for graph: at the moment the deadlock was found if there was one, else
    /// as it is now. Threads are circles, locks are squares; an arrow from a thread to a
    /// lock means "waits for", from a lock to a thread "is held by". The cycle is red.
    ///
    /// # Examples
    ///
    /// ```
    /// let watch = lab::deadlock::LockWatch::new();
    /// let _m = watch.mutex("m", ());
    /// assert!(watch.graph().to_svg().unwrap().contains("m"));
    /// ```
    pub fn graph(&self) -> WaitForGraph {
        let g = self.lock_graph();
        let (locks, waiting, threads) = match &g.snapshot {
            Some(s) => s.clone(),
            None => (g.locks.clone(), g.waiting.clone(), g.threads.clone()),
        };
        let cycle = g.cycle.clone();
        drop(g);
        let mut edges = Vec::new();
        for (thread, lock) in &waiting {
            let red = cycle.as_ref().is_some_and(|c| {
                c.links
                    .iter()
                    .any(|(t, l)| t == thread && *l == locks[*lock].0)
            });
            edges.push((thread.clone(), locks[*lock].0.clone(), true, red));
        }
        for (name, holder) in &locks {
            if let Some(h) = holder {
                let red = cycle.as_ref().is_some_and(|c| {
                    let n = c.links.len();
                    c.links
                        .iter()
                        .enumerate()
                        .any(|(i, (_, l))| l == name && c.links[(i + 1) % n].0 == *h)
                });
                edges.push((name.clone(), h.clone(), false, red));
            }
        }
        let title = match &cycle {
            Some(c) => format!(
                "wait-for graph: a cycle of {} threads, found {} after start",
                c.links.len(),
                crate::show::fmt_duration(c.found_after)
            ),
            None => "wait-for graph: no cycle".to_string(),
        };
        WaitForGraph::new(
            title,
            threads,
            locks.into_iter().map(|(n, _)| n).collect(),
            edges,
        )
    }

    fn lock_graph(&self) -> MutexGuard<'_, Graph> {
        self.watch
            .graph
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Two accounts and two transfers in opposite directions, the scene of notebook 05: the
/// accounts `checking` and `savings` (1000 each) are [`WatchedMutex`]es of a new
/// [`LockWatch`], and two threads run the `transfer` the cell writes, thread "A" as
/// `transfer(&checking, &savings, lane)` (from checking to savings) and thread "B" as
/// `transfer(&savings, &checking, lane)`, each on its own lane of a new [`Recorder`].
/// Both threads are joined before it returns the recording, the watch (its
/// [`deadlock`](LockWatch::deadlock) and [`graph`](LockWatch::graph)) and the sum of what
/// the two calls returned (the transfers each one completed, say). A deadlock between
/// them is found and ended by the watch, as always: their `lock` returns an error.
///
/// # Errors
///
/// [`Panicked`](ErrorKind::Panicked) if a transfer panicked (its message is above).
///
/// # Examples
///
/// ```
/// // Both lock the lower name first: no deadlock, both transfers done.
/// let (rec, watch, done) = lab::deadlock::opposite_transfers(|from, to, lane| {
///     let (first, second) = if from.name() < to.name() { (from, to) } else { (to, from) };
///     let Ok(_a) = first.lock(lane) else { return 0 };
///     let Ok(_b) = second.lock(lane) else { return 0 };
///     1
/// }).unwrap();
/// assert_eq!(done, 2);
/// assert!(watch.deadlock().is_none());
/// assert_eq!(rec.trace().unwrap().lanes().len(), 2);
/// ```
pub fn opposite_transfers(
    transfer: impl Fn(&WatchedMutex<i64>, &WatchedMutex<i64>, &mut Lane) -> usize + Sync,
) -> Result<(Recorder, LockWatch, usize)> {
    run_opposite_transfers(&transfer)
}

/// A transfer of [`opposite_transfers`]: from one account, to the other, on a lane.
type Transfer<'a> = dyn Fn(&WatchedMutex<i64>, &WatchedMutex<i64>, &mut Lane) -> usize + Sync + 'a;

/// The body of [`opposite_transfers`], compiled once here rather than in every cell.
fn run_opposite_transfers(transfer: &Transfer<'_>) -> Result<(Recorder, LockWatch, usize)> {
    let watch = LockWatch::new();
    let checking = watch.mutex("checking", 1000i64);
    let savings = watch.mutex("savings", 1000i64);
    let rec = Recorder::new();
    let done = std::thread::scope(|s| {
        let threads: Vec<_> = [("A", &checking, &savings), ("B", &savings, &checking)]
            .map(|(name, from, to)| {
                let mut lane = rec.lane(name);
                s.spawn(move || transfer(from, to, &mut lane))
            })
            .into_iter()
            .collect();
        // Join both before looking: a scope panics over a panicked thread left unjoined.
        let results: Vec<_> = threads.into_iter().map(|t| t.join()).collect();
        let mut done = 0;
        for r in results {
            done += r.map_err(|_| {
                Error::of(
                    ErrorKind::Panicked,
                    "a transfer panicked: see the message above",
                )
            })?;
        }
        Ok::<usize, Error>(done)
    })?;
    Ok((rec, watch, done))
}

/// A mutex whose waits the [`LockWatch`] that made it can see, and end.
///
/// Like `std::sync::Mutex` it owns its data, and [`lock`](WatchedMutex::lock) returns
/// a guard. Unlike it, `lock` can fail: when the watch finds a deadlock (or the wait
/// exceeds its bound), every waiting `lock` returns [`LockError`] so the threads can return.
/// It records lock-wait and lock-held spans on the caller's lane, like
/// [`TracedMutex`](crate::sync::TracedMutex); a wait that was given up is drawn cut short.
#[derive(Debug)]
pub struct WatchedMutex<T> {
    id: usize,
    name: String,
    watch: LockWatch,
    data: Mutex<T>,
}

impl<T> WatchedMutex<T> {
    /// The lock's name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::deadlock::LockWatch::new().mutex("fork 1", ()).name(), "fork 1");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Waits for the lock (as long as it takes, unless the watch ends the wait).
    ///
    /// # Examples
    ///
    /// ```
    /// let watch = lab::deadlock::LockWatch::new();
    /// let m = watch.mutex("m", 5);
    /// let rec = lab::record::Recorder::new();
    /// let mut lane = rec.lane("T");
    /// let mut g = m.lock(&mut lane).unwrap();
    /// *g += 1;
    /// assert_eq!(*g, 6);
    /// ```
    pub fn lock(&self, lane: &mut Lane) -> std::result::Result<WatchedGuard<'_, T>, LockError> {
        match self.acquire(lane, None) {
            Ok(Some(g)) => Ok(g),
            Ok(None) => unreachable!("no timeout was given"),
            Err(e) => Err(e),
        }
    }

    /// Waits at most `timeout` for the lock: `Ok(None)` if it did not come in time (the
    /// wait is drawn cut short), so the caller can back off and retry. A timed wait ends
    /// by itself, so it is not counted in the wait-for graph and never reported as a
    /// deadlock; it still gives up with [`LockError`] if a deadlock elsewhere ended the demo.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let watch = lab::deadlock::LockWatch::new();
    /// let m = watch.mutex("m", ());
    /// let rec = lab::record::Recorder::new();
    /// let (mut a, mut b) = (rec.lane("A"), rec.lane("B"));
    /// let _held = m.lock(&mut a).unwrap();
    /// let got = m.try_lock_for(&mut b, Duration::from_millis(5)).unwrap();
    /// assert!(got.is_none()); // A holds it
    /// ```
    pub fn try_lock_for(
        &self,
        lane: &mut Lane,
        timeout: Duration,
    ) -> std::result::Result<Option<WatchedGuard<'_, T>>, LockError> {
        self.acquire(lane, Some(timeout))
    }

    fn acquire(
        &self,
        lane: &mut Lane,
        timeout: Option<Duration>,
    ) -> std::result::Result<Option<WatchedGuard<'_, T>>, LockError> {
        let w = &self.watch.watch;
        let me = lane.name().to_string();
        let asked = Instant::now();
        let label: Label = self.name.clone().into();
        let mut g = self.watch.lock_graph();
        let thread = std::thread::current().id();
        match g.owners.get(&me) {
            Some(&other) if other != thread && g.active(&me) => {
                return Err(LockError::Misuse(format!(
                    "two threads use the lane name {me:?} with one LockWatch at the same time; \
                     give each thread a lane of its own name, e.g. rec.lane(format!(\"T{{i}}\"))"
                )));
            }
            _ => {
                g.owners.insert(me.clone(), thread);
            }
        }
        if !g.threads.contains(&me) {
            g.threads.push(me.clone());
        }
        loop {
            if let Some(cycle) = &g.cycle {
                let cycle = cycle.clone();
                g.waiting.remove(&me);
                drop(g);
                lane.record_cut(Kind::LockWait, label, asked, Instant::now());
                return Err(LockError::Deadlock(cycle));
            }
            if g.locks[self.id].1.is_none() {
                g.locks[self.id].1 = Some(me.clone());
                g.waiting.remove(&me);
                drop(g);
                let held = Held::got(lane, label, asked);
                let data = self.data.lock().unwrap_or_else(PoisonError::into_inner);
                return Ok(Some(WatchedGuard {
                    lock: self,
                    data: Some(data),
                    held,
                }));
            }
            if g.locks[self.id].1.as_deref() == Some(me.as_str()) {
                // Locking a lock you hold: a one-thread cycle.
                let cycle = Cycle {
                    links: vec![(me.clone(), self.name.clone())],
                    found_after: w.born.elapsed(),
                };
                g.snapshot = Some((g.locks.clone(), g.waiting.clone(), g.threads.clone()));
                g.cycle = Some(cycle.clone());
                w.changed.notify_all();
                drop(g);
                lane.record_cut(Kind::LockWait, label, asked, Instant::now());
                return Err(LockError::Deadlock(cycle));
            }
            // A timed wait ends by itself, so it cannot be part of a deadlock: only
            // untimed waits go into the wait-for graph.
            if timeout.is_none() {
                g.waiting.insert(me.clone(), self.id);
            }
            if let Some(cycle) = timeout
                .is_none()
                .then(|| find_cycle(&g, &me, w.born.elapsed()))
                .flatten()
            {
                g.snapshot = Some((g.locks.clone(), g.waiting.clone(), g.threads.clone()));
                g.cycle = Some(cycle);
                w.changed.notify_all();
                continue; // and give up, above
            }
            let waited = asked.elapsed();
            let limit = timeout.unwrap_or(w.bound).min(w.bound);
            if waited >= limit {
                g.waiting.remove(&me);
                drop(g);
                lane.record_cut(Kind::LockWait, label, asked, Instant::now());
                return match timeout {
                    Some(t) if t <= w.bound => Ok(None),
                    _ => Err(LockError::TimedOut(waited)),
                };
            }
            g = w
                .changed
                .wait_timeout(g, limit - waited)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// Follows thread → lock → holder from `start`; returns the cycle if it comes back.
fn find_cycle(g: &Graph, start: &str, found_after: Duration) -> Option<Cycle> {
    let mut links = Vec::new();
    let mut thread = start.to_string();
    for _ in 0..=g.threads.len() {
        let lock = *g.waiting.get(&thread)?;
        let (name, holder) = &g.locks[lock];
        links.push((thread.clone(), name.clone()));
        let holder = holder.clone()?;
        if holder == start {
            return Some(Cycle { links, found_after });
        }
        if links.iter().any(|(t, _)| *t == holder) {
            return None; // a cycle that does not include `start`: its own waiter reports it
        }
        thread = holder;
    }
    None
}

/// The lock, held; dereferences to the guarded value. Dropping it releases the lock and
/// records the held span.
#[derive(Debug)]
pub struct WatchedGuard<'a, T> {
    lock: &'a WatchedMutex<T>,
    data: Option<MutexGuard<'a, T>>,
    held: Held,
}

impl<T> WatchedGuard<'_, T> {
    /// The lane this guard records on, to record inside the critical section.
    ///
    /// # Examples
    ///
    /// ```
    /// let watch = lab::deadlock::LockWatch::new();
    /// let m = watch.mutex("m", ());
    /// let rec = lab::record::Recorder::new();
    /// let mut lane = rec.lane("T");
    /// m.lock(&mut lane).unwrap().lane().mark("eating");
    /// ```
    pub fn lane(&mut self) -> &mut Lane {
        self.held.lane()
    }
}

impl<T> Deref for WatchedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.data.as_ref().expect("present until drop")
    }
}

impl<T> DerefMut for WatchedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.data.as_mut().expect("present until drop")
    }
}

impl<T> Drop for WatchedGuard<'_, T> {
    fn drop(&mut self) {
        self.held.release();
        self.data = None; // release the data before the logical lock
        let w = &self.lock.watch.watch;
        let mut g = self.lock.watch.lock_graph();
        g.locks[self.lock.id].1 = None;
        w.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Recorder;

    /// `n` threads in a ring: thread i takes lock i, then lock i+1.
    fn ring(n: usize) -> (LockWatch, Duration, usize) {
        let watch = LockWatch::new();
        let locks: Vec<_> = (0..n).map(|i| watch.mutex(format!("L{i}"), ())).collect();
        let rec = Recorder::new();
        let barrier = std::sync::Barrier::new(n);
        let began = Instant::now();
        let returned = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for i in 0..n {
                let mut lane = rec.lane(format!("T{i}"));
                let (first, second) = (&locks[i], &locks[(i + 1) % n]);
                let (barrier, returned) = (&barrier, &returned);
                s.spawn(move || {
                    if let Ok(_a) = first.lock(&mut lane) {
                        barrier.wait();
                        let _b = second.lock(&mut lane);
                    }
                    returned.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                });
            }
        });
        (watch, began.elapsed(), returned.into_inner())
    }

    #[test]
    fn two_and_three_thread_deadlocks_are_found_reported_and_cleaned_up() {
        for n in [2, 3] {
            let (watch, took, returned) = ring(n);
            let cycle = watch.deadlock().expect("a deadlock");
            assert_eq!(cycle.links.len(), n, "{cycle}");
            // Each thread in the cycle waits for the lock the next one holds: Ti waits for
            // L(i+1), held by T(i+1).
            for (thread, lock) in &cycle.links {
                let i: usize = thread[1..].parse().unwrap();
                assert_eq!(*lock, format!("L{}", (i + 1) % n), "{cycle}");
            }
            assert_eq!(returned, n, "every thread returned");
            assert!(
                took < DEFAULT_BOUND,
                "ended by detection, not the bound: {took:?}"
            );
            let svg = watch.graph().to_svg().unwrap();
            assert!(svg.contains(&format!("a cycle of {n} threads")));
            // Every lock was released as the threads gave up and returned.
            let g = watch.lock_graph();
            assert!(g.locks.iter().all(|(_, h)| h.is_none()), "locks released");
            assert!(g.waiting.is_empty(), "nobody is left waiting");
        }
    }

    #[test]
    fn ordered_locking_never_deadlocks() {
        let watch = LockWatch::new();
        let (a, b) = (watch.mutex("a", 0u64), watch.mutex("b", 0u64));
        let rec = Recorder::new();
        std::thread::scope(|s| {
            for t in 0..3 {
                let mut lane = rec.lane(format!("T{t}"));
                let (a, b) = (&a, &b);
                s.spawn(move || {
                    for _ in 0..200 {
                        let mut x = a.lock(&mut lane).unwrap();
                        *x += 1;
                        drop(x);
                        let mut y = b.lock(&mut lane).unwrap();
                        *y += 1;
                    }
                });
            }
        });
        assert!(watch.deadlock().is_none());
    }

    #[test]
    fn timed_waits_back_off_instead_of_deadlocking() {
        let watch = LockWatch::new();
        let (a, b) = (watch.mutex("a", 0i64), watch.mutex("b", 0i64));
        let rec = Recorder::new();
        let done = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for (t, first, second) in [(0u64, &a, &b), (1, &b, &a)] {
                let mut lane = rec.lane(format!("T{t}"));
                let done = &done;
                s.spawn(move || {
                    let mut mine = 0;
                    while mine < 20 {
                        let mut x = first.lock(&mut lane).unwrap();
                        match second.try_lock_for(&mut lane, Duration::from_millis(1)) {
                            Ok(Some(mut y)) => {
                                *x -= 1;
                                *y += 1;
                                mine += 1;
                            }
                            Ok(None) => {
                                drop(x);
                                std::thread::sleep(Duration::from_micros(100 + 400 * t));
                            }
                            Err(e) => panic!("gave up: {e}"),
                        }
                    }
                    done.fetch_add(mine, std::sync::atomic::Ordering::SeqCst);
                });
            }
        });
        assert_eq!(done.into_inner(), 40);
        assert!(watch.deadlock().is_none());
    }

    #[test]
    fn a_wait_without_a_cycle_is_bounded() {
        let watch = LockWatch::with_bound(Duration::from_millis(50)).unwrap();
        let m = watch.mutex("m", ());
        let rec = Recorder::new();
        let (mut a, mut b) = (rec.lane("A"), rec.lane("B"));
        let _held = m.lock(&mut a).unwrap();
        let t = Instant::now();
        let r = m.lock(&mut b);
        assert!(matches!(r, Err(LockError::TimedOut(_))));
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn locking_twice_is_a_one_thread_deadlock() {
        let watch = LockWatch::new();
        let m = watch.mutex("m", ());
        let rec = Recorder::new();
        let mut lane = rec.lane("A");
        let first = m.lock(&mut lane).map(|_| ());
        assert!(first.is_ok());
        let mut lane2 = rec.lane("A"); // the same thread, by name
        let g = m.lock(&mut lane2).unwrap();
        let mut lane3 = rec.lane("A");
        let again = m.lock(&mut lane3);
        assert!(matches!(again, Err(LockError::Deadlock(_))));
        drop(g);
    }

    #[test]
    fn two_threads_with_one_lane_name_get_a_clear_error_not_a_false_deadlock() {
        let watch = LockWatch::new();
        let (a, b) = (watch.mutex("a", ()), watch.mutex("b", ()));
        let rec = Recorder::new();
        let held = std::sync::Barrier::new(2);
        let results: Vec<String> = std::thread::scope(|s| {
            let run = |first: &'static str| {
                let (mut lane, held, a, b) = (rec.lane("same name"), &held, &a, &b);
                s.spawn(move || {
                    let (one, two) = if first == "a" { (a, b) } else { (b, a) };
                    let guard = one.lock(&mut lane);
                    held.wait(); // both threads hold their first lock now
                    // Through lab::Error: the kind says it was a misuse.
                    let said = |e: &LockError| {
                        let e = Error::from(e.clone());
                        format!("{:?}: {}", e.kind(), e.message())
                    };
                    let r = match (&guard, two.lock(&mut lane)) {
                        (Err(e), _) => said(e),
                        (Ok(_), Err(e)) => said(&e),
                        (Ok(_), Ok(_)) => "locked both".to_string(),
                    };
                    drop(guard);
                    r
                })
            };
            let handles = [run("a"), run("b")];
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(
            results
                .iter()
                .any(|r| r.starts_with("Misuse: two threads use the lane name")),
            "{results:?}"
        );
        assert!(watch.deadlock().is_none(), "no false deadlock: {results:?}");
    }

    #[test]
    fn opposite_transfers_runs_a_on_checking_first_and_b_on_savings_first() {
        let both = std::sync::Barrier::new(2);
        let (rec, watch, done) = opposite_transfers(|from, to, lane| {
            let Ok(_a) = from.lock(lane) else { return 0 };
            both.wait();
            let Ok(_b) = to.lock(lane) else { return 0 };
            1
        })
        .unwrap();
        assert_eq!(done, 0, "opposite orders, both hold one: neither finishes");
        let cycle = watch.deadlock().expect("the watch sees the cycle");
        let mut threads = cycle.threads();
        threads.sort();
        assert_eq!(threads, vec!["A", "B"]);
        assert_eq!(rec.trace().unwrap().lanes().len(), 2);
        let e = opposite_transfers(|_, _, _| panic!("on purpose")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Panicked);
    }
}
