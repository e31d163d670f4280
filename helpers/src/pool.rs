//! Panics in the pools and runtimes this crate builds: reported in one line, never an
//! abort.
//!
//! Rayon aborts the whole process when a job panics where it cannot hand the panic back
//! to a caller (`pool.spawn`, `spawn_fifo`, `spawn_broadcast`). In a notebook that is the
//! kernel: evcxr starts a new one and every variable is gone, with nothing that says why.
//! The pools from [`thread_pool`](crate::scenarios::thread_pool) set rayon's `panic_handler`, so such
//! a panic is caught and kept in the [`Pool`], which [`Pool::check`] turns into a
//! [`lab::Error`](crate::Error).
//!
//! Tokio never aborts on a task's panic: it hands it to whoever awaits the task's
//! `JoinHandle`, as `Err(JoinError)` (`is_panic()` is true), and the runtime carries on.
//!
//! On the worker threads of these pools and of
//! [`multi_thread_runtime`](crate::scenarios::multi_thread_runtime), the panic message itself is one
//! line starting `lab:` (with "panicked at" in it, like Rust's own) instead of Rust's
//! message and a thirty-line backtrace. That needs a panic hook, which is global to the
//! process; see [`install_hook`] for why it is safe to leave in place.

use std::cell::RefCell;
use std::fmt;
use std::io::Write;
use std::ops::Deref;
use std::panic::PanicHookInfo;
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

/// The most panics a [`Pool`] keeps the message of (it still counts the rest).
const KEPT: usize = 16;

/// A parallel iterator whose closure panics on many items fails on many threads at once,
/// from one place in the code: a pool or runtime prints the first of those panics, and
/// no other from the same place until none has come for this long. A panic from another
/// place is always printed (one handed back to a cell may be all that the cell shows).
const QUIET: Duration = Duration::from_millis(250);

/// A rayon thread pool whose spawned jobs may panic without taking the process down.
///
/// Made by [`thread_pool`](crate::scenarios::thread_pool). It derefs to [`rayon::ThreadPool`], so
/// `pool.install(..)`, `pool.scope(..)`, `pool.spawn(..)` and
/// `pool.current_num_threads()` are rayon's own, and `&pool` is accepted where a
/// `&rayon::ThreadPool` is expected.
///
/// What a panicking job does:
/// - `pool.install`, `pool.scope`, `pool.join` and parallel iterators hand the panic back
///   to the caller, as rayon always does (in a cell: the cell stops there).
/// - `pool.spawn`, `spawn_fifo` and `spawn_broadcast` have no caller to hand it to. Rayon
///   would abort the process (the kernel); this pool keeps the panic instead, and
///   [`check`](Pool::check) returns it as an error. The pool keeps working.
///
/// Either way the worker prints one line, `lab: a job on rayon pool worker 1 (of 2)
/// panicked at …: <message> (the kernel keeps running; fix the job and run the cell
/// again)`, instead of a backtrace: one line for a burst of panics from one place, as
/// when a parallel iterator fails on many items. A job that panics after its cell has
/// ended prints that line under the next cell that runs (evcxr shows late output there).
///
/// Build the pool in the cell that uses it. evcxr links a copy of rayon into each cell,
/// and `install`, `scope` and `join` from a later cell fail inside rayon (the other
/// cell's copy runs the pool's threads); the `lab:` line then says so.
///
/// # Examples
///
/// ```
/// let pool = lab::scenarios::thread_pool(2).unwrap();
/// let (tx, rx) = std::sync::mpsc::channel::<u32>();
/// pool.spawn(move || {
///     let _tx = tx; // dropped when the job ends, panic or not
///     panic!("no such page");
/// });
/// assert!(rx.recv().is_err()); // the job is over: it never sent
/// # while pool.panics() == 0 { std::thread::yield_now() } // rayon records it just after
/// let err = pool.check().unwrap_err();
/// assert!(err.to_string().contains("no such page"));
/// assert_eq!(pool.install(|| 6 * 7), 42); // the pool still works
/// ```
pub struct Pool {
    inner: rayon::ThreadPool,
    panics: Arc<Mutex<Panics>>,
}

/// The panics of spawned jobs since the last [`Pool::check`].
#[derive(Default)]
struct Panics {
    count: usize,
    messages: Vec<String>,
}

impl Pool {
    /// Builds a pool of `threads` threads (already checked by the caller).
    pub(crate) fn build(threads: usize) -> Result<Pool> {
        install_hook();
        let panics = Arc::new(Mutex::new(Panics::default()));
        let kept = Arc::clone(&panics);
        let quiet = Arc::new(Quiet::new());
        let inner = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .start_handler(move |index| {
                mark_thread(Role::Rayon { index, threads }, Arc::clone(&quiet));
            })
            .panic_handler(move |payload| {
                // Must not panic itself (rayon would abort): no unwrap, a poisoned lock
                // is used as it is.
                let message = payload_text(payload.as_ref());
                let worker = rayon::current_thread_index()
                    .map_or_else(String::new, |i| format!("worker {i}: "));
                let mut p = kept.lock().unwrap_or_else(PoisonError::into_inner);
                p.count += 1;
                if p.messages.len() < KEPT {
                    p.messages.push(format!("{worker}{message}"));
                }
            })
            .build()
            .map_err(|e| Error::of(ErrorKind::Io, format!("cannot start a thread pool: {e}")))?;
        Ok(Pool { inner, panics })
    }

    /// `Err` if a job spawned on this pool (`spawn`, `spawn_fifo`, `spawn_broadcast`)
    /// has panicked since the last check; the error names the first panic and how many
    /// there were. Checking clears them.
    ///
    /// It reports jobs that have *already* panicked: it does not wait for jobs still
    /// running. To wait for jobs, spawn them in `pool.scope(|s| ..)`, which also hands a
    /// panic back to the caller.
    ///
    /// # Errors
    ///
    /// The panics of spawned jobs, in one line.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = lab::scenarios::thread_pool(1).unwrap();
    /// assert!(pool.check().is_ok()); // nothing panicked
    /// pool.spawn(|| panic!("boom"));
    /// while pool.panics() == 0 { std::thread::yield_now() } // a spawned job runs later
    /// let err = pool.check().unwrap_err();
    /// assert!(err.to_string().starts_with("lab: a job spawned on the rayon pool panicked"));
    /// assert!(pool.check().is_ok()); // reported once
    /// ```
    pub fn check(&self) -> Result<()> {
        let mut p = self.panics.lock().unwrap_or_else(PoisonError::into_inner);
        let taken = std::mem::take(&mut *p);
        drop(p);
        let Some(first) = taken.messages.first() else {
            return Ok(());
        };
        let what = if taken.count == 1 {
            format!("a job spawned on the rayon pool panicked ({first})")
        } else {
            format!(
                "{} jobs spawned on the rayon pool panicked (the first, {first})",
                taken.count
            )
        };
        Err(Error::of(
            ErrorKind::Panicked,
            format!("{what}: fix the job and run the cell again"),
        ))
    }

    /// How many spawned jobs have panicked since the last [`check`](Pool::check),
    /// without clearing them.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = lab::scenarios::thread_pool(1).unwrap();
    /// pool.scope(|s| s.spawn(|_| ())); // nothing panicked
    /// assert_eq!(pool.panics(), 0);
    /// ```
    pub fn panics(&self) -> usize {
        self.panics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .count
    }
}

impl Deref for Pool {
    type Target = rayon::ThreadPool;

    fn deref(&self) -> &rayon::ThreadPool {
        &self.inner
    }
}

impl AsRef<rayon::ThreadPool> for Pool {
    fn as_ref(&self) -> &rayon::ThreadPool {
        &self.inner
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("threads", &self.inner.current_num_threads())
            .field("panics", &self.panics())
            .finish()
    }
}

/// Which of this crate's threads the current thread is, if any: set when one of its
/// pools or runtimes starts the thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Rayon { index: usize, threads: usize },
    Tokio,
}

/// Where a pool's or runtime's threads last panicked, and when; shared by its threads.
struct Quiet {
    last: Mutex<Option<(String, Instant)>>,
}

impl Quiet {
    fn new() -> Quiet {
        Quiet {
            last: Mutex::new(None),
        }
    }

    /// Whether to print the line of a panic at `location`: not if the last panic was
    /// there too, less than [`QUIET`] ago.
    fn may_print(&self, location: &str) -> bool {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let repeat = matches!(&*last, Some((at, when)) if at == location && now - *when < QUIET);
        *last = Some((location.to_string(), now));
        !repeat
    }
}

thread_local! {
    static MARK: RefCell<Option<(Role, Arc<Quiet>)>> = const { RefCell::new(None) };
}

fn mark_thread(role: Role, quiet: Arc<Quiet>) {
    let _ = MARK.try_with(|m| m.replace(Some((role, quiet))));
}

/// For a runtime's `on_thread_start`: marks each of its threads as that runtime's.
pub(crate) fn tokio_marker() -> impl Fn() + Send + Sync + 'static {
    let quiet = Arc::new(Quiet::new());
    move || mark_thread(Role::Tokio, Arc::clone(&quiet))
}

/// This thread's mark, if one of this crate's pools or runtimes started it.
fn this_threads_mark() -> Option<(Role, Arc<Quiet>)> {
    MARK.try_with(|m| m.try_borrow().ok()?.clone())
        .ok()
        .flatten()
}

/// The one line printed when a job panics on one of this crate's threads.
pub(crate) fn panic_line(role: Role, location: &str, message: &str) -> String {
    // `install`, `scope` or `join` on a pool that an earlier cell built: that cell's copy
    // of rayon runs the pool's threads, this cell's copy cannot find them (evcxr links a
    // copy of every crate into each cell) and fails this assertion inside rayon.
    let other_cell = location.contains("rayon-core") && message.contains("worker_thread.is_null()");
    let what_to_do = if other_cell {
        "this pool was built in another cell, and each cell has its own copy of rayon: build \
         the pool in the cell that uses it"
    } else {
        "fix the job and run the cell again"
    };
    let line = match role {
        Role::Rayon { index, threads } => format!(
            "lab: a job on rayon pool worker {index} (of {threads}) panicked at {location}: \
             {message} (the kernel keeps running; {what_to_do})"
        ),
        // A timer or socket from a later cell's copy of tokio finds no reactor on the
        // threads of a runtime (built with every driver) that an earlier cell built.
        Role::Tokio if message.contains("no reactor running") => format!(
            "lab: a task on the tokio runtime panicked at {location}: {message} (the runtime \
             keeps running; it was built in another cell, and each cell has its own copy of \
             tokio: build the runtime in the cell that uses it)"
        ),
        Role::Tokio => format!(
            "lab: a task on the tokio runtime panicked at {location}: {message} (the runtime \
             keeps running; awaiting the task's JoinHandle gives Err(JoinError))"
        ),
    };
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a panic said: its `&str` or `String` payload.
fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_string()
    }
}

/// Installs, once per copy of this crate, a panic hook that prints [`panic_line`] for
/// panics on this crate's pool and runtime threads and passes every other panic to the
/// hook that was there before, unchanged.
///
/// Why a process-wide hook is acceptable here:
/// - It only acts on threads that one of this crate's pools or runtimes started (a
///   thread-local mark set by their start handler); the cell's own thread, `std` threads,
///   rayon's global pool and evcxr's runtime see the previous hook, as before.
/// - Of a burst of panics from one place on one pool or runtime, it prints the first
///   (see [`QUIET`]).
/// - It outlives the pool, but does nothing once the pool's threads have ended: their
///   marks end with them.
/// - evcxr links a copy of this crate into each cell, so each cell that builds a pool
///   adds one layer (a thread-local read, then the previous hook): a handful per kernel.
/// - It is not installed while the thread is panicking (`set_hook` would panic).
fn install_hook() {
    static ONCE: Once = Once::new();
    if std::thread::panicking() {
        return;
    }
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            match this_threads_mark() {
                Some((role, quiet)) => {
                    let location = info
                        .location()
                        .map_or_else(|| "an unknown place".to_string(), ToString::to_string);
                    if !quiet.may_print(&location) {
                        return;
                    }
                    let line = panic_line(role, &location, &payload_text(info.payload()));
                    // Never panic in a hook (that aborts): a failed write is dropped.
                    let _ = writeln!(std::io::stderr().lock(), "{line}");
                }
                None => previous(info),
            }
        }));
    });
}

/// For [`multi_thread_runtime`](crate::scenarios::multi_thread_runtime): the hook, installed before
/// its workers start.
pub(crate) fn prepare_runtime() {
    install_hook();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_is_one_line_and_says_panicked_at() {
        let role = Role::Rayon {
            index: 1,
            threads: 2,
        };
        let line = panic_line(role, "src/lib.rs:3:5", "two\nlines");
        assert_eq!(
            line,
            "lab: a job on rayon pool worker 1 (of 2) panicked at src/lib.rs:3:5: two lines \
             (the kernel keeps running; fix the job and run the cell again)"
        );
        // The notebook harness looks for "panicked at" to catch a cell that panics.
        assert!(panic_line(Role::Tokio, "x:1:1", "m").contains("panicked at"));
        // What rayon says when a cell installs on a pool from another cell.
        let at = "/root/.cargo/registry/src/x/rayon-core-1.13.0/src/registry.rs:530:21";
        let why = "assertion failed: injected && !worker_thread.is_null()";
        assert!(panic_line(role, at, why).ends_with("build the pool in the cell that uses it)"));
        let why = "there is no reactor running, must be called from the context of a Tokio 1.x \
                   runtime";
        let line = panic_line(Role::Tokio, "src/lib.rs:9:9", why);
        assert!(
            line.ends_with("build the runtime in the cell that uses it)"),
            "{line}"
        );
    }

    #[test]
    fn a_burst_from_one_place_prints_once() {
        let quiet = Quiet::new();
        assert!(quiet.may_print("a.rs:1:1"));
        assert!(!quiet.may_print("a.rs:1:1"));
        assert!(quiet.may_print("b.rs:2:2"), "another place always prints");
        assert!(quiet.may_print("a.rs:1:1"));
        std::thread::sleep(QUIET + Duration::from_millis(20));
        assert!(quiet.may_print("a.rs:1:1"), "after a quiet spell, again");
    }

    #[test]
    fn payloads_become_text() {
        assert_eq!(payload_text(&"a"), "a");
        assert_eq!(payload_text(&String::from("b")), "b");
        assert_eq!(payload_text(&7), "(a panic without a message)");
    }
}
