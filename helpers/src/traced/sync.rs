//! `std::sync`'s locks, recorded: `use lab::traced::sync::{Mutex, RwLock};` in place of
//! `use std::sync::{Mutex, RwLock};`, and a [`WatchedMutex`] whose deadlocks a
//! [`LockWatch`] finds and ends.
//!
//! Each acquisition records, on the current lane, a [`Kind::LockWait`](crate::trace::Kind)
//! span (from asking until getting the lock) and a `LockHeld` span (until the guard is
//! dropped), as [`TracedMutex`](crate::sync::TracedMutex) does. The guards are std's
//! semantics: `lock()` returns a `LockResult`, and a panic while holding poisons the lock.
//!
//! ```
//! use lab::traced::sync::Mutex;
//! use std::sync::Arc;
//!
//! let rec = lab::record::Recorder::new();
//! let counter = Arc::new(Mutex::named("counter", 0));
//! std::thread::scope(|s| {
//!     for i in 0..2 {
//!         let counter = Arc::clone(&counter);
//!         lab::traced::spawn_scoped(s, rec.lane(format!("T{i}")), move || {
//!             *counter.lock().unwrap() += 1;
//!         });
//!     }
//! });
//! assert_eq!(*counter.lock().unwrap(), 2);
//! assert_eq!(rec.trace().unwrap().span_count(), 4); // a wait and a hold per thread
//! ```

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{LockResult, PoisonError, TryLockError, TryLockResult};
use std::time::{Duration, Instant};

use super::with_current;
use crate::deadlock::{LockError, LockWatch, WatchedGuard};
use crate::record::Recorder;
use crate::sync::Held;
use crate::trace::Label;

/// Records the wait that began at `asked` on the current lane; the held span follows.
fn got(label: &Label, asked: Instant) -> Option<Held> {
    with_current(|lane| Held::got(lane, label.clone(), asked))
}

fn release(held: &mut Option<Held>) {
    if let Some(h) = held {
        h.release();
    }
}

/// `std::sync::Mutex`, recorded on the current lane. Its spans are labelled with its
/// name (`"mutex"` unless made with [`named`](Mutex::named)).
///
/// # Examples
///
/// ```
/// let m = lab::traced::sync::Mutex::new(5);
/// *m.lock().unwrap() += 1;
/// assert_eq!(m.into_inner().unwrap(), 6);
/// ```
#[derive(Default)]
pub struct Mutex<T: ?Sized> {
    name: Label,
    inner: std::sync::Mutex<T>,
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("name", &self.name)
            .field("inner", &&self.inner)
            .finish()
    }
}

impl<T> Mutex<T> {
    /// A mutex guarding `value`, labelled `"mutex"` on timelines.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lab::traced::sync::Mutex::new(0);
    /// assert_eq!(m.name(), "mutex");
    /// ```
    pub fn new(value: T) -> Mutex<T> {
        Mutex::named("mutex", value)
    }

    /// A mutex guarding `value`, labelled `name` on timelines.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lab::traced::sync::Mutex::named("account", 1000);
    /// assert_eq!(m.name(), "account");
    /// ```
    pub fn named(name: impl Into<Label>, value: T) -> Mutex<T> {
        Mutex {
            name: name.into(),
            inner: std::sync::Mutex::new(value),
        }
    }

    /// The value, once no one can lock any more (an error if the lock is poisoned).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::traced::sync::Mutex::new(7).into_inner().unwrap(), 7);
    /// ```
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Its label on timelines.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::traced::sync::Mutex::named("m", ()).name(), "m");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Waits for the lock (recording the wait); the guard records the hold when dropped.
    /// An error, holding the guard, if a thread panicked while holding it (poisoned),
    /// as std's.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let m = lab::traced::sync::Mutex::new(vec![1]);
    /// lab::traced::with_lane(rec.lane("A"), || m.lock().unwrap().push(2));
    /// assert_eq!(*m.lock().unwrap(), [1, 2]);
    /// assert_eq!(rec.trace().unwrap().span_count(), 2);
    /// ```
    #[allow(
        clippy::result_large_err,
        reason = "std's signature; the guard carries a lane"
    )]
    pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
        let asked = Instant::now();
        match self.inner.lock() {
            Ok(guard) => Ok(self.guard(guard, asked)),
            Err(p) => Err(PoisonError::new(self.guard(p.into_inner(), asked))),
        }
    }

    /// Takes the lock if it is free now (nothing is recorded when it is not).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::TryLockError;
    /// let m = lab::traced::sync::Mutex::new(0);
    /// let held = m.lock().unwrap();
    /// assert!(matches!(m.try_lock(), Err(TryLockError::WouldBlock)));
    /// drop(held);
    /// assert!(m.try_lock().is_ok());
    /// ```
    #[allow(
        clippy::result_large_err,
        reason = "std's signature; the guard carries a lane"
    )]
    pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
        let asked = Instant::now();
        match self.inner.try_lock() {
            Ok(guard) => Ok(self.guard(guard, asked)),
            Err(TryLockError::Poisoned(p)) => Err(TryLockError::Poisoned(PoisonError::new(
                self.guard(p.into_inner(), asked),
            ))),
            Err(TryLockError::WouldBlock) => Err(TryLockError::WouldBlock),
        }
    }

    /// Whether a thread panicked while holding the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!lab::traced::sync::Mutex::new(()).is_poisoned());
    /// ```
    pub fn is_poisoned(&self) -> bool {
        self.inner.is_poisoned()
    }

    /// The value, through a unique borrow (no locking, nothing recorded).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = lab::traced::sync::Mutex::new(1);
    /// *m.get_mut().unwrap() += 1;
    /// assert_eq!(*m.lock().unwrap(), 2);
    /// ```
    pub fn get_mut(&mut self) -> LockResult<&mut T> {
        self.inner.get_mut()
    }

    fn guard<'a>(
        &'a self,
        guard: std::sync::MutexGuard<'a, T>,
        asked: Instant,
    ) -> MutexGuard<'a, T> {
        MutexGuard {
            held: got(&self.name, asked),
            guard,
        }
    }
}

/// The lock of a [`Mutex`], held; dereferences to the value. Dropping it records the
/// held span and releases the lock.
///
/// # Examples
///
/// ```
/// let m = lab::traced::sync::Mutex::new(1);
/// let mut g: lab::traced::sync::MutexGuard<'_, i32> = m.lock().unwrap();
/// *g += 1;
/// assert_eq!(*g, 2);
/// ```
pub struct MutexGuard<'a, T: ?Sized> {
    held: Option<Held>,
    guard: std::sync::MutexGuard<'a, T>,
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.guard, f)
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // Recorded while still held; std's guard releases the lock after this.
        release(&mut self.held);
    }
}

/// `std::sync::RwLock`, recorded on the current lane: read locks are labelled
/// `"<name> (read)"`, write locks `"<name> (write)"`.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// let config = lab::traced::sync::RwLock::named("config", 1);
/// lab::traced::with_lane(rec.lane("A"), || {
///     let (a, b) = (config.read().unwrap(), config.read().unwrap()); // readers share
///     assert_eq!(*a + *b, 2);
/// });
/// *config.write().unwrap() = 2;
/// let trace = rec.trace().unwrap();
/// assert_eq!(trace.span_count(), 4);
/// assert!(trace.lanes()[0].spans.iter().all(|s| s.label == "config (read)"));
/// ```
#[derive(Default)]
pub struct RwLock<T: ?Sized> {
    read: Label,
    write: Label,
    inner: std::sync::RwLock<T>,
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLock")
            .field("name", &self.write)
            .field("inner", &&self.inner)
            .finish()
    }
}

impl<T> RwLock<T> {
    /// A reader-writer lock guarding `value`, labelled `"rwlock"`.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = lab::traced::sync::RwLock::new(0);
    /// assert_eq!(*l.read().unwrap(), 0);
    /// ```
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            read: Label::Borrowed("rwlock (read)"),
            write: Label::Borrowed("rwlock (write)"),
            inner: std::sync::RwLock::new(value),
        }
    }

    /// A reader-writer lock guarding `value`, labelled `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = lab::traced::sync::RwLock::named("cache", 0);
    /// *l.write().unwrap() += 1;
    /// assert_eq!(l.into_inner().unwrap(), 1);
    /// ```
    pub fn named(name: impl Into<Label>, value: T) -> RwLock<T> {
        let name = name.into();
        RwLock {
            read: Label::Owned(format!("{name} (read)")),
            write: Label::Owned(format!("{name} (write)")),
            inner: std::sync::RwLock::new(value),
        }
    }

    /// The value, once no one can lock any more.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::traced::sync::RwLock::new(3).into_inner().unwrap(), 3);
    /// ```
    pub fn into_inner(self) -> LockResult<T> {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared (read) access, recording the wait and, when the guard drops,
    /// the hold.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = lab::traced::sync::RwLock::new(vec![1, 2]);
    /// assert_eq!(l.read().unwrap().len(), 2);
    /// ```
    #[allow(
        clippy::result_large_err,
        reason = "std's signature; the guard carries a lane"
    )]
    pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
        let asked = Instant::now();
        let wrap = |guard| RwLockReadGuard {
            held: got(&self.read, asked),
            guard,
        };
        match self.inner.read() {
            Ok(g) => Ok(wrap(g)),
            Err(p) => Err(PoisonError::new(wrap(p.into_inner()))),
        }
    }

    /// Waits for exclusive (write) access, recording the wait and, when the guard drops,
    /// the hold.
    ///
    /// # Examples
    ///
    /// ```
    /// let l = lab::traced::sync::RwLock::new(1);
    /// *l.write().unwrap() *= 10;
    /// assert_eq!(*l.read().unwrap(), 10);
    /// ```
    #[allow(
        clippy::result_large_err,
        reason = "std's signature; the guard carries a lane"
    )]
    pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
        let asked = Instant::now();
        let wrap = |guard| RwLockWriteGuard {
            held: got(&self.write, asked),
            guard,
        };
        match self.inner.write() {
            Ok(g) => Ok(wrap(g)),
            Err(p) => Err(PoisonError::new(wrap(p.into_inner()))),
        }
    }

    /// Whether a thread panicked while holding the write lock.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!lab::traced::sync::RwLock::new(()).is_poisoned());
    /// ```
    pub fn is_poisoned(&self) -> bool {
        self.inner.is_poisoned()
    }
}

/// Shared access to an [`RwLock`]'s value; dropping it records the hold.
///
/// # Examples
///
/// ```
/// let l = lab::traced::sync::RwLock::new(1);
/// let g: lab::traced::sync::RwLockReadGuard<'_, i32> = l.read().unwrap();
/// assert_eq!(*g, 1);
/// ```
pub struct RwLockReadGuard<'a, T: ?Sized> {
    held: Option<Held>,
    guard: std::sync::RwLockReadGuard<'a, T>,
}

/// Exclusive access to an [`RwLock`]'s value; dropping it records the hold.
///
/// # Examples
///
/// ```
/// let l = lab::traced::sync::RwLock::new(1);
/// let mut g: lab::traced::sync::RwLockWriteGuard<'_, i32> = l.write().unwrap();
/// *g = 2;
/// ```
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    held: Option<Held>,
    guard: std::sync::RwLockWriteGuard<'a, T>,
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.guard, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.guard, f)
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        release(&mut self.held);
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        release(&mut self.held);
    }
}

/// A [`deadlock::WatchedMutex`](crate::deadlock::WatchedMutex) that records on the
/// current lane: `lock()` with no lane argument. The watch knows each thread by its
/// current lane's name (by the thread's name where no lane is current), and tells two
/// threads with one name apart: the second gets [`LockError::Misuse`], never a false
/// deadlock.
///
/// # Examples
///
/// Two threads taking two locks in opposite orders: a deadlock, found and ended.
///
/// ```
/// use lab::{deadlock::LockWatch, record::Recorder, traced::{self, sync::WatchedMutex}};
///
/// let watch = LockWatch::new();
/// let (a, b) = (WatchedMutex::new(&watch, "a", 0), WatchedMutex::new(&watch, "b", 0));
/// let rec = Recorder::new();
/// let both = std::sync::Barrier::new(2);
/// std::thread::scope(|s| {
///     for (name, first, second) in [("T1", &a, &b), ("T2", &b, &a)] {
///         let both = &both;
///         traced::spawn_scoped(s, rec.lane(name), move || {
///             let Ok(_one) = first.lock() else { return };
///             both.wait();
///             let Ok(_two) = second.lock() else { return };
///         });
///     }
/// });
/// assert_eq!(watch.deadlock().expect("a deadlock").links.len(), 2);
/// ```
#[derive(Debug)]
pub struct WatchedMutex<T> {
    inner: crate::deadlock::WatchedMutex<T>,
}

impl<T> WatchedMutex<T> {
    /// A new lock of `watch` called `name`, guarding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let watch = lab::deadlock::LockWatch::new();
    /// let fork = lab::traced::sync::WatchedMutex::new(&watch, "fork 0", ());
    /// assert_eq!(fork.name(), "fork 0");
    /// ```
    pub fn new(watch: &LockWatch, name: impl Into<String>, value: T) -> WatchedMutex<T> {
        WatchedMutex {
            inner: watch.mutex(name, value),
        }
    }

    /// The lock's name.
    ///
    /// # Examples
    ///
    /// ```
    /// let watch = lab::deadlock::LockWatch::new();
    /// assert_eq!(lab::traced::sync::WatchedMutex::new(&watch, "m", 1).name(), "m");
    /// ```
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// Waits for the lock (as long as it takes, unless the watch ends the wait), as
    /// [`deadlock::WatchedMutex::lock`](crate::deadlock::WatchedMutex::lock) does on the
    /// current lane.
    ///
    /// # Examples
    ///
    /// ```
    /// let watch = lab::deadlock::LockWatch::new();
    /// let m = lab::traced::sync::WatchedMutex::new(&watch, "m", 5);
    /// *m.lock().unwrap() += 1;
    /// assert_eq!(*m.lock().unwrap(), 6);
    /// ```
    pub fn lock(&self) -> Result<WatchedGuard<'_, T>, LockError> {
        match with_current(|lane| self.inner.lock(lane)) {
            Some(got) => got,
            None => self.inner.lock(&mut unrecorded()),
        }
    }

    /// Waits at most `timeout` for the lock: `Ok(None)` if it did not come in time, as
    /// [`deadlock::WatchedMutex::try_lock_for`](crate::deadlock::WatchedMutex::try_lock_for).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let watch = lab::deadlock::LockWatch::new();
    /// let m = lab::traced::sync::WatchedMutex::new(&watch, "m", ());
    /// let got = m.try_lock_for(Duration::from_millis(5)).unwrap();
    /// assert!(got.is_some());
    /// ```
    pub fn try_lock_for(
        &self,
        timeout: Duration,
    ) -> Result<Option<WatchedGuard<'_, T>>, LockError> {
        match with_current(|lane| self.inner.try_lock_for(lane, timeout)) {
            Some(got) => got,
            None => self.inner.try_lock_for(&mut unrecorded(), timeout),
        }
    }
}

/// A lane of a recorder nobody reads, named after this thread: where no lane is
/// current, the watch still needs a name for the thread.
fn unrecorded() -> crate::record::Lane {
    Recorder::new().thread_lane()
}
