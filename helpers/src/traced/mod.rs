//! Recording that reads like plain Rust: channels, locks and tasks with the real APIs,
//! recording on the *current lane*.
//!
//! A lesson cell is the code a learner would write in their own project. Swapping one
//! import line turns recording on:
//!
//! | plain Rust | recorded |
//! |---|---|
//! | `use crossbeam::channel::{bounded, Sender};` | `use lab::traced::crossbeam::{bounded, Sender};` |
//! | `use std::sync::mpsc::{channel, sync_channel};` | `use lab::traced::mpsc::{channel, sync_channel};` |
//! | `use tokio::sync::{mpsc, oneshot};` | `use lab::traced::tokio::{mpsc, oneshot};` |
//! | `use std::sync::{Mutex, RwLock};` | `use lab::traced::sync::{Mutex, RwLock};` |
//!
//! The senders, receivers and locks have the originals' methods and errors (`send`,
//! `recv`, `try_send`, `recv_timeout`, `for v in &rx`, `.await`, `lock().unwrap()`); they
//! record what they do on the lane of the thread or task that calls them, so no `&mut
//! Lane` is passed around.
//!
//! Import the items you use (`use lab::traced::crossbeam::bounded;`), not `lab::traced::*`:
//! its submodules are named after the crates they mirror.
//!
//! ## The current lane
//!
//! A thread or a task is given its lane once, where it starts:
//!
//! - a thread: [`spawn_scoped`] (`std::thread::Scope::spawn` with a lane), [`spawn`]
//!   (`std::thread::spawn` with a lane), or [`with_lane`] around any code;
//! - a task: [`instrument`] (or [`traced::tokio::spawn`](tokio::spawn)) wraps the
//!   future: the lane is made current around each poll, so it follows the task from one
//!   worker thread to another across `.await`;
//! - rayon: [`worker_lanes`] gives each worker thread of a pool a lane of its own (`worker
//!   0`, `worker 1`, ...), so whatever a job does is recorded on the thread that ran it.
//!
//! Where no lane is current, traced channels and locks work exactly like the originals
//! and record nothing (a message sent there is not drawn, and neither is its receive).
//! [`current_lane`] says which lane is current, to check.
//!
//! [`span`], [`span_async`] and [`mark`] record on the current lane too.
//!
//! ```
//! use lab::record::Recorder;
//! use lab::traced::crossbeam::bounded; // was: use crossbeam::channel::bounded;
//!
//! let rec = Recorder::new();
//! let (tx, rx) = bounded(0); // a rendezvous
//! std::thread::scope(|s| {
//!     lab::traced::spawn_scoped(s, rec.lane("worker"), move || {
//!         tx.send("the result").unwrap(); // blocks until main receives
//!     });
//!     lab::traced::with_lane(rec.lane("main"), || {
//!         assert_eq!(rx.recv().unwrap(), "the result");
//!     });
//! });
//! let trace = rec.trace().unwrap();
//! let m = &trace.messages()[0];
//! assert_eq!(&*m.label, "\"the result\""); // the value's Debug, shortened
//! assert!(m.received.is_some());
//! ```
//!
//! ## Labels
//!
//! A message is labelled with its value's `Debug`, cut to [`LABEL_CHARS`] characters, so
//! the channel constructors ask for `T: Debug`. Name one message with `send_as("job 3",
//! v)`, or every message of a channel (and use values without `Debug`, such as boxed
//! closures) with the `*_labelled` constructors: `bounded_labelled(4, |job: &Job| ...)`.
//!
//! ## What is recorded
//!
//! As with [`Lane::send`] and [`Lane::got`]: a send records when it was asked for and
//! when the channel took it (the time between is the sender blocked); a receive records
//! when the value reached the receiver. A send that fails because the receiver is gone
//! shows as a message never received; a `try_send` refused by a full channel and a
//! `send_timeout` that gives up are not messages and are not recorded. Locks record a
//! wait span and a held span, as [`TracedMutex`](crate::sync::TracedMutex) does.
//!
//! ## select!
//!
//! `crossbeam`'s `select!` takes a `&crossbeam::channel::Receiver`; the traced receiver
//! dereferences to the channel inside it, so `recv(rx) -> msg` still works. The arm gets
//! the stamped envelope: pass it through [`Receiver::got`](crossbeam::Receiver::got) to
//! unwrap it and record its arrival. `send(..)` arms are not supported (send before or
//! after the `select!`).
//!
//! ## evcxr
//!
//! The current lane is a thread-local of this crate. evcxr links a copy of this crate
//! into every cell, so set the lane and run the code that records in the same cell
//! (functions defined in an earlier cell run that cell's copy, which does not see a
//! lane set in this one).

pub mod crossbeam;
pub mod mpsc;
pub mod sync;
pub mod tokio;

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::message::Msg;
use crate::record::{Lane, Recorder};
use crate::trace::{Kind, Label};

thread_local! {
    static CURRENT: RefCell<Option<Lane>> = const { RefCell::new(None) };
}

/// The longest label (in characters) a message gets from its value's `Debug`; longer
/// ones are cut and end with `…`.
///
/// # Examples
///
/// ```
/// use lab::traced::{LABEL_CHARS, label_of};
/// assert_eq!(label_of(&(1, "a")), "(1, \"a\")");
/// let long = label_of(&vec![0u8; 100]);
/// assert_eq!(long.chars().count(), LABEL_CHARS);
/// assert!(long.ends_with('…'));
/// ```
pub const LABEL_CHARS: usize = 24;

/// The label a message gets from its value: its `Debug`, cut to [`LABEL_CHARS`]
/// characters.
///
/// # Examples
///
/// ```
/// assert_eq!(lab::traced::label_of(&42), "42");
/// assert_eq!(lab::traced::label_of(&Some("hi")), "Some(\"hi\")");
/// ```
pub fn label_of<T: fmt::Debug + ?Sized>(value: &T) -> String {
    let mut s = format!("{value:?}");
    if let Some((cut, _)) = s.char_indices().nth(LABEL_CHARS - 1) {
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// How a channel labels its messages: shared by its senders.
type Labeller<T> = Arc<dyn Fn(&T) -> Label + Send + Sync>;

fn debug_labeller<T: fmt::Debug>() -> Labeller<T> {
    Arc::new(|v: &T| Label::Owned(label_of(v)))
}

fn labeller<T, L: Into<Label>>(f: impl Fn(&T) -> L + Send + Sync + 'static) -> Labeller<T> {
    Arc::new(move |v: &T| f(v).into())
}

/// Runs `f` on the current lane, if there is one (and it is not in use already).
fn with_current<R>(f: impl FnOnce(&mut Lane) -> R) -> Option<R> {
    CURRENT
        .try_with(|c| match c.try_borrow_mut() {
            Ok(mut lane) => lane.as_mut().map(f),
            Err(_) => None,
        })
        .ok()
        .flatten()
}

/// Exchanges `lane` with the current lane. False (and `lane` untouched) when this
/// thread's locals are gone (the thread is ending) or the slot is in use.
fn swap(lane: &mut Option<Lane>) -> bool {
    CURRENT
        .try_with(|c| match c.try_borrow_mut() {
            Ok(mut slot) => {
                std::mem::swap(&mut *slot, lane);
                true
            }
            Err(_) => false,
        })
        .unwrap_or(false)
}

/// Runs `f` with `lane` current; returns what `f` returned and the lane (unless `f`
/// panicked: then the lane is dropped, handing its records over, and the previous lane
/// comes back).
fn enter<R>(lane: Lane, f: impl FnOnce() -> R) -> (R, Option<Lane>) {
    /// Puts the previous lane back if `f` panics.
    struct Restore {
        previous: Option<Lane>,
        armed: bool,
    }
    impl Drop for Restore {
        fn drop(&mut self) {
            if self.armed {
                swap(&mut self.previous); // ours comes out, and is dropped with self
            }
        }
    }
    let mut slot = Some(lane);
    if !swap(&mut slot) {
        return (f(), slot);
    }
    let mut restore = Restore {
        previous: slot,
        armed: true,
    };
    let out = f();
    restore.armed = false;
    swap(&mut restore.previous); // the previous lane is back; ours comes out
    let ours = restore.previous.take();
    (out, ours)
}

/// Runs `f` with `lane` as this thread's current lane, then drops the lane (handing its
/// records to the recorder) and puts back the lane that was current before.
///
/// # Examples
///
/// ```
/// use lab::{record::Recorder, trace::Kind, traced};
///
/// let rec = Recorder::new();
/// traced::with_lane(rec.lane("main"), || {
///     assert_eq!(traced::current_lane().as_deref(), Some("main"));
///     traced::span(Kind::Compute, "sum", || (1..=100u64).sum::<u64>());
/// });
/// assert_eq!(traced::current_lane(), None);
/// assert_eq!(rec.trace().unwrap().span_count(), 1);
/// ```
pub fn with_lane<R>(lane: Lane, f: impl FnOnce() -> R) -> R {
    enter(lane, f).0
}

/// The name of the current lane, if there is one.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// assert_eq!(lab::traced::current_lane(), None);
/// lab::traced::with_lane(rec.lane("A"), || {
///     assert_eq!(lab::traced::current_lane().unwrap(), "A");
/// });
/// ```
pub fn current_lane() -> Option<String> {
    with_current(|lane| lane.name().to_string())
}

/// `std::thread::Scope::spawn`, with `lane` current in the new thread (and the thread
/// named after it, so a panic message names it too).
///
/// # Panics
///
/// Like `Scope::spawn`, if the OS refuses a new thread.
///
/// # Examples
///
/// ```
/// use lab::{record::Recorder, traced::{self, mpsc::channel}};
///
/// let rec = Recorder::new();
/// let (tx, rx) = channel();
/// std::thread::scope(|s| {
///     for i in 0..3 {
///         let tx = tx.clone();
///         traced::spawn_scoped(s, rec.lane(format!("worker {i}")), move || {
///             tx.send(i * 10).unwrap();
///         });
///     }
/// });
/// drop(tx);
/// traced::with_lane(rec.lane("main"), || assert_eq!(rx.iter().sum::<i32>(), 30));
/// assert_eq!(rec.trace().unwrap().messages().len(), 3);
/// ```
pub fn spawn_scoped<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    lane: Lane,
    f: impl FnOnce() -> T + Send + 'scope,
) -> std::thread::ScopedJoinHandle<'scope, T> {
    std::thread::Builder::new()
        .name(thread_name(&lane))
        .spawn_scoped(scope, move || with_lane(lane, f))
        .expect("lab: the OS refused a new thread (see lab::limits::threads_left)")
}

/// `std::thread::spawn`, with `lane` current in the new thread (and the thread named
/// after it). Join the thread before reading the trace: its lane is handed over when
/// the thread's work ends.
///
/// # Panics
///
/// Like `std::thread::spawn`, if the OS refuses a new thread.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// let h = lab::traced::spawn(rec.lane("loader"), || {
///     lab::traced::mark("loaded");
///     std::thread::current().name().map(str::to_string)
/// });
/// assert_eq!(h.join().unwrap().as_deref(), Some("loader"));
/// assert_eq!(rec.trace().unwrap().mark_count(), 1);
/// ```
pub fn spawn<T: Send + 'static>(
    lane: Lane,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::Builder::new()
        .name(thread_name(&lane))
        .spawn(move || with_lane(lane, f))
        .expect("lab: the OS refused a new thread (see lab::limits::threads_left)")
}

fn thread_name(lane: &Lane) -> String {
    lane.name().replace('\0', " ")
}

/// Wraps a future so that `lane` is current whenever it runs: around each poll, on
/// whichever thread polls it. The lane follows the task across `.await`, from one
/// worker thread to another, and is dropped (handing over its records) when the future
/// finishes or is dropped.
///
/// # Examples
///
/// ```
/// use lab::{record::Recorder, traced};
///
/// let rec = Recorder::new();
/// let rt = lab::scenarios::multi_thread_runtime(2).unwrap();
/// rt.block_on(async {
///     let task = tokio::spawn(traced::instrument(rec.lane("task"), async {
///         tokio::task::yield_now().await; // may resume on another worker
///         traced::current_lane()
///     }));
///     assert_eq!(task.await.unwrap().as_deref(), Some("task"));
/// });
/// ```
pub fn instrument<F: Future>(lane: Lane, future: F) -> Instrumented<F> {
    Instrumented {
        future: Box::pin(future),
        lane: Some(lane),
    }
}

/// A future with its lane, from [`instrument`].
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// let fut: lab::traced::Instrumented<_> = lab::traced::instrument(rec.lane("t"), async { 1 });
/// let rt = lab::scenarios::current_thread_runtime().unwrap();
/// assert_eq!(rt.block_on(fut), 1);
/// ```
pub struct Instrumented<F> {
    future: Pin<Box<F>>,
    lane: Option<Lane>,
}

impl<F> fmt::Debug for Instrumented<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instrumented")
            .field("lane", &self.lane.as_ref().map(Lane::name))
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let Some(lane) = this.lane.take() else {
            return this.future.as_mut().poll(cx);
        };
        let future = &mut this.future;
        let (out, lane) = enter(lane, || future.as_mut().poll(cx));
        if out.is_pending() {
            this.lane = lane;
        }
        out
    }
}

/// Runs `f` and records it as a span of `kind` on the current lane (if any).
///
/// # Examples
///
/// ```
/// use lab::{trace::Kind, traced};
/// let rec = lab::record::Recorder::new();
/// let n = traced::with_lane(rec.lane("A"), || {
///     traced::span(Kind::Compute, "count", || (0..1000).count())
/// });
/// assert_eq!(n, 1000);
/// assert_eq!(rec.trace().unwrap().span_count(), 1);
/// ```
pub fn span<R>(kind: Kind, label: impl Into<Label>, f: impl FnOnce() -> R) -> R {
    let start = Instant::now();
    let out = f();
    with_current(|lane| lane.record(kind, label, start));
    out
}

/// Awaits `future` and records it as a span of `kind` on the current lane (if any):
/// the task's lane, when the task was [`instrument`]ed.
///
/// # Examples
///
/// ```
/// use lab::{trace::Kind, traced};
/// use std::time::Duration;
///
/// let rec = lab::record::Recorder::new();
/// let rt = lab::scenarios::current_thread_runtime().unwrap();
/// rt.block_on(traced::instrument(rec.lane("task"), async {
///     traced::span_async(Kind::Io, "nap", tokio::time::sleep(Duration::from_millis(1))).await;
/// }));
/// assert_eq!(rec.trace().unwrap().span_count(), 1);
/// ```
pub async fn span_async<F: Future>(kind: Kind, label: impl Into<Label>, future: F) -> F::Output {
    let start = Instant::now();
    let out = future.await;
    with_current(|lane| lane.record(kind, label, start));
    out
}

/// Records a moment on the current lane (if any).
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// lab::traced::mark("nobody sees this"); // no current lane: not recorded
/// lab::traced::with_lane(rec.lane("A"), || lab::traced::mark("balance read"));
/// assert_eq!(rec.trace().unwrap().mark_count(), 1);
/// ```
pub fn mark(label: impl Into<Label>) {
    with_current(|lane| lane.mark(label));
}

/// Gives every worker thread of a rayon pool a lane of its own in `rec` (`worker 0`,
/// `worker 1`, ...) until the returned guard is dropped; dropping it hands the lanes
/// over. Whatever a job does on a worker (traced sends, locks, spans) is recorded on the
/// lane of the worker that ran it.
///
/// Give lanes to one pool at a time: a worker's lane set here replaces any it had.
///
/// # Examples
///
/// ```
/// use lab::{record::Recorder, trace::Kind, traced};
/// use rayon::prelude::*;
///
/// let rec = Recorder::new();
/// let pool = lab::scenarios::thread_pool(2).unwrap();
/// let lanes = traced::worker_lanes(&pool, &rec);
/// pool.install(|| {
///     (0..8).into_par_iter().for_each(|i| {
///         traced::span(Kind::Compute, format!("item {i}"), || lab::scenarios::spin(1000));
///     })
/// });
/// drop(lanes);
/// let trace = rec.trace().unwrap();
/// assert_eq!(trace.span_count(), 8);
/// assert!(trace.lanes().iter().all(|l| l.name.starts_with("worker ")));
/// ```
pub fn worker_lanes<'p>(pool: &'p rayon::ThreadPool, rec: &Recorder) -> WorkerLanes<'p> {
    pool.broadcast(|_| {
        swap(&mut Some(rec.thread_lane()));
    });
    WorkerLanes { pool }
}

/// The lanes of a pool's workers, from [`worker_lanes`]; dropping it hands them over.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// let pool = lab::scenarios::thread_pool(1).unwrap();
/// let lanes = lab::traced::worker_lanes(&pool, &rec);
/// pool.install(|| lab::traced::mark("on worker 0"));
/// drop(lanes);
/// assert_eq!(rec.trace().unwrap().lanes()[0].name, "worker 0");
/// ```
#[must_use = "the workers record only while this is alive"]
pub struct WorkerLanes<'p> {
    pool: &'p rayon::ThreadPool,
}

impl fmt::Debug for WorkerLanes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerLanes")
            .field("workers", &self.pool.current_num_threads())
            .finish()
    }
}

impl Drop for WorkerLanes<'_> {
    fn drop(&mut self) {
        self.pool.broadcast(|_| {
            swap(&mut None);
        });
    }
}

/// A send in progress on the current lane: its id, when it was asked for, its label.
struct Outgoing {
    id: u64,
    start: Instant,
    label: Label,
}

/// Stamps `value` for the current lane (labelling it with `named`, else `labeller`), or
/// leaves it unstamped when no lane is current.
fn stamp<T>(value: T, labeller: &Labeller<T>, named: Option<Label>) -> (Msg<T>, Option<Outgoing>) {
    match with_current(|lane| lane.next_stamp()) {
        Some((id, origin)) => {
            let label = named.unwrap_or_else(|| labeller(&value));
            let msg = Msg::stamped(value, id, origin);
            let start = Instant::now();
            (msg, Some(Outgoing { id, start, label }))
        }
        None => (Msg::stamped(value, 0, Msg::<T>::UNSTAMPED), None),
    }
}

/// Records a send that the channel took (or refused for good: never received).
fn sent(out: Option<Outgoing>) {
    if let Some(o) = out {
        with_current(|lane| lane.push_send(o.id, o.start, o.label));
    }
}

/// Sends through `send`; records the message if it was sent or if `keep` says the
/// failure is one to draw (the receiver is gone).
fn send_with<T, E>(
    labeller: &Labeller<T>,
    named: Option<Label>,
    value: T,
    send: impl FnOnce(Msg<T>) -> Result<(), E>,
    keep: impl FnOnce(&E) -> bool,
) -> Result<(), E> {
    let (msg, out) = stamp(value, labeller, named);
    let result = send(msg);
    if result.as_ref().err().is_none_or(keep) {
        sent(out);
    }
    result
}

/// Unwraps a message that arrived, recording its arrival on the current lane.
fn arrived<T>(msg: Msg<T>) -> T {
    let (value, id, origin) = msg.into_parts();
    if origin != Msg::<T>::UNSTAMPED {
        let at = Instant::now();
        with_current(|lane| lane.arrived(id, origin, at));
    }
    value
}
