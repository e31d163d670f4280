//! What a message costs: producer threads sending numbers through one channel to
//! consumer threads, timed from the moment every thread is running to the last message.
//!
//! A cell that compares channels wants one thing to differ at a time (the library, the
//! capacity, the number of producers) and everything else alike: the same threads, the
//! same numbers, the same clock. [`Throughput`] is that harness, written once. Its run
//! does what a hand-written comparison does (notebook 07 shows one first):
//!
//! 1. makes the channel (crossbeam's `bounded`/`unbounded`, std's `sync_channel`/`channel`,
//!    or tokio's `mpsc::channel`/`unbounded_channel` used from threads through
//!    `blocking_send` and `blocking_recv`);
//! 2. starts the producers and the consumers, and holds each at a start line until all
//!    of them are running: starting a thread costs microseconds to tens of microseconds,
//!    as much as thousands of buffered messages, and is not what is being compared;
//! 3. releases them together; each producer sends its share of the numbers `0..messages`
//!    and drops its sender; each consumer receives until every sender is gone (the
//!    channel is closed by dropping, as in the notebook);
//! 4. returns the time from the first thread released to the last consumer done, after
//!    checking that every number arrived exactly once (a count and a sum).
//!
//! [`run`](Throughput::run) returns that [`Duration`] as a `Result`, which is what
//! [`Variants::add_timed`](crate::bench::Variants::add_timed) takes: the comparison stays
//! a [`Bench`] and its [`verdict`](Bench::verdict). [`table`] and [`chart`] show a bench
//! of such runs as the cost of one message, side by side.
//!
//! ```
//! use lab::bench::Bench;
//! use lab::channels::{Library, Throughput};
//!
//! let rendezvous = Throughput::new(Library::Crossbeam).capacity(0).messages(200);
//! let buffered = Throughput::new(Library::Crossbeam).capacity(200).messages(200);
//! let bench = Bench::new("one producer, one consumer").reps(3).compare(|v| {
//!     v.add_timed(rendezvous.name(), || rendezvous.run());
//!     v.add_timed(buffered.name(), || buffered.run());
//! });
//! assert_eq!(bench.measurements().len(), 2);
//! assert!(lab::channels::table(&bench, &[rendezvous, buffered]).unwrap()
//!     .to_string().contains("capacity 200"));
//! ```

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::bench::{Bench, machine};
use crate::draw::{Bars, Figure, Table};
use crate::error::{Error, ErrorKind, Result, check_count};
use crate::scenarios::MAX_THREADS;
use crate::show::{three_digits, time_unit};

/// The most messages one run may send, and the largest capacity it may ask for (a
/// bounded channel allocates its slots up front: 10 million `u64`s is 160 MB).
///
/// # Examples
///
/// ```
/// use lab::channels::{Library, MAX_MESSAGES, Throughput};
/// let too_many = Throughput::new(Library::Std).messages(MAX_MESSAGES + 1);
/// assert_eq!(too_many.check().unwrap_err().kind(), lab::ErrorKind::Limit);
/// ```
pub const MAX_MESSAGES: usize = 10_000_000;

/// Which channel a [`Throughput`] run uses.
///
/// # Examples
///
/// ```
/// use lab::channels::Library;
/// assert_eq!(Library::Tokio.to_string(), "tokio mpsc");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Library {
    /// `crossbeam::channel`: `bounded(n)` (0 is a rendezvous) or `unbounded()`; any
    /// number of consumers (its `Receiver` is `Clone`).
    Crossbeam,
    /// `std::sync::mpsc`: `sync_channel(n)` (0 is a rendezvous) or `channel()`; one
    /// consumer (its `Receiver` is not `Clone`).
    Std,
    /// `tokio::sync::mpsc` used from threads (`blocking_send`, `blocking_recv`):
    /// `channel(n)` with n ≥ 1 (no rendezvous) or `unbounded_channel()`; one consumer.
    Tokio,
}

impl Library {
    /// How the library reads in a variant's name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::channels::Library::Std.name(), "std mpsc");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Library::Crossbeam => "crossbeam",
            Library::Std => "std mpsc",
            Library::Tokio => "tokio mpsc",
        }
    }
}

impl fmt::Display for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many messages a channel holds that no consumer has taken yet.
///
/// # Examples
///
/// ```
/// use lab::channels::Capacity;
/// assert_eq!(Capacity::Bounded(100_000).to_string(), "capacity 100 000");
/// assert_eq!(Capacity::Unbounded.to_string(), "unbounded");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capacity {
    /// Room for this many; 0 is a rendezvous (each send waits for a receiver).
    Bounded(usize),
    /// No limit: a send never waits.
    Unbounded,
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Capacity::Bounded(n) => write!(f, "capacity {}", crate::show::fmt_count(*n as u64)),
            Capacity::Unbounded => f.write_str("unbounded"),
        }
    }
}

/// One channel-throughput experiment: `messages` numbers sent by `producers` threads
/// through one channel of a [`Library`] and a [`Capacity`], received by `consumers`
/// threads. Built step by step (1 producer, 1 consumer, unbounded and 10 000 messages
/// until told otherwise); nothing runs until [`run`](Throughput::run). See the
/// [module](self) for what a run does and times.
///
/// # Examples
///
/// ```
/// use lab::channels::{Library, Throughput};
///
/// let four_to_two = Throughput::new(Library::Crossbeam)
///     .producers(4).consumers(2).capacity(1).messages(1_000);
/// assert_eq!(four_to_two.name(), "crossbeam, 4 producers, 2 consumers, capacity 1");
/// let took = four_to_two.run().unwrap(); // thread start not included
/// assert!(took > std::time::Duration::ZERO);
/// println!("{:.0} ns a message", four_to_two.ns_per_message(took));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throughput {
    library: Library,
    capacity: Capacity,
    producers: usize,
    consumers: usize,
    messages: usize,
}

impl Throughput {
    /// A run through a channel of `library`: 1 producer, 1 consumer, unbounded, 10 000
    /// messages, until told otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = lab::channels::Throughput::new(lab::channels::Library::Std);
    /// assert_eq!(t.name(), "std mpsc, 1 producer, unbounded");
    /// assert_eq!(t.messages_per_run(), 10_000);
    /// ```
    pub fn new(library: Library) -> Throughput {
        Throughput {
            library,
            capacity: Capacity::Unbounded,
            producers: 1,
            consumers: 1,
            messages: 10_000,
        }
    }

    /// A bounded channel with room for `n` messages; 0 makes it a rendezvous.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::channels::{Capacity, Library, Throughput};
    /// let t = Throughput::new(Library::Crossbeam).capacity(0);
    /// assert_eq!(t.capacity_of(), Capacity::Bounded(0));
    /// ```
    pub fn capacity(mut self, n: usize) -> Throughput {
        self.capacity = Capacity::Bounded(n);
        self
    }

    /// An unbounded channel (the default).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::channels::{Capacity, Library, Throughput};
    /// let t = Throughput::new(Library::Tokio).capacity(8).unbounded();
    /// assert_eq!(t.capacity_of(), Capacity::Unbounded);
    /// ```
    pub fn unbounded(mut self) -> Throughput {
        self.capacity = Capacity::Unbounded;
        self
    }

    /// How many threads send (default 1). The messages are shared out among them.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = lab::channels::Throughput::new(lab::channels::Library::Std).producers(4);
    /// assert_eq!(t.name(), "std mpsc, 4 producers, unbounded");
    /// ```
    pub fn producers(mut self, n: usize) -> Throughput {
        self.producers = n;
        self
    }

    /// How many threads receive (default 1). Only crossbeam's channel has more than one
    /// receiver; std's and tokio's `mpsc` are single-consumer.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::channels::{Library, Throughput};
    /// assert!(Throughput::new(Library::Crossbeam).consumers(2).check().is_ok());
    /// assert!(Throughput::new(Library::Std).consumers(2).check().is_err());
    /// ```
    pub fn consumers(mut self, n: usize) -> Throughput {
        self.consumers = n;
        self
    }

    /// How many messages a run sends, all producers together (default 10 000).
    ///
    /// # Examples
    ///
    /// ```
    /// let t = lab::channels::Throughput::new(lab::channels::Library::Std).messages(500);
    /// assert_eq!(t.messages_per_run(), 500);
    /// ```
    pub fn messages(mut self, n: usize) -> Throughput {
        self.messages = n;
        self
    }

    /// The library.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::channels::{Library, Throughput};
    /// assert_eq!(Throughput::new(Library::Tokio).library(), Library::Tokio);
    /// ```
    pub fn library(&self) -> Library {
        self.library
    }

    /// The capacity (named `capacity_of` because [`capacity`](Throughput::capacity) sets it).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::channels::{Capacity, Library, Throughput};
    /// assert_eq!(Throughput::new(Library::Std).capacity_of(), Capacity::Unbounded);
    /// ```
    pub fn capacity_of(&self) -> Capacity {
        self.capacity
    }

    /// How many messages a run sends.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::channels::{Library, Throughput};
    /// assert_eq!(Throughput::new(Library::Std).messages(7).messages_per_run(), 7);
    /// ```
    pub fn messages_per_run(&self) -> usize {
        self.messages
    }

    /// The variant's name for a [`Bench`]: the library, the producers, the consumers
    /// (when more than one) and the capacity, e.g. `"std mpsc, 4 producers, capacity 1"`.
    /// The number of messages is not in it: two runs that differ only in that are the
    /// same variant.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::channels::{Library, Throughput};
    /// let t = Throughput::new(Library::Crossbeam).capacity(0);
    /// assert_eq!(t.name(), "crossbeam, 1 producer, capacity 0");
    /// ```
    pub fn name(&self) -> String {
        let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let mut name = format!("{}, {}", self.library, plural(self.producers, "producer"));
        if self.consumers != 1 {
            name = format!("{name}, {}", plural(self.consumers, "consumer"));
        }
        format!("{name}, {}", self.capacity)
    }

    /// Whether the run can be made as asked; `Err` says what to change, in one line.
    ///
    /// # Errors
    ///
    /// 0 producers, consumers or messages, or fewer messages than producers
    /// ([`ErrorKind::BadInput`]); more threads than
    /// [`MAX_THREADS`], more messages or a larger capacity
    /// than [`MAX_MESSAGES`] ([`ErrorKind::Limit`]); a second consumer of std's or tokio's
    /// single-consumer `mpsc`, or a tokio channel of capacity 0 ([`ErrorKind::Misuse`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{ErrorKind, channels::{Library, Throughput}};
    /// let none = Throughput::new(Library::Crossbeam).producers(0);
    /// assert_eq!(none.check().unwrap_err().kind(), ErrorKind::BadInput);
    /// let rendezvous = Throughput::new(Library::Tokio).capacity(0);
    /// assert!(rendezvous.check().unwrap_err().to_string().contains("at least 1"));
    /// ```
    pub fn check(&self) -> Result<()> {
        check_count(
            "producers",
            self.producers,
            MAX_THREADS,
            "e.g. .producers(4)",
        )?;
        check_count(
            "consumers",
            self.consumers,
            MAX_THREADS,
            "e.g. .consumers(1)",
        )?;
        if self.producers + self.consumers > MAX_THREADS {
            return Err(Error::of(
                ErrorKind::Limit,
                format!(
                    "{} producers and {} consumers are more threads than this helper allows \
                     ({MAX_THREADS}): ask for fewer",
                    self.producers, self.consumers
                ),
            ));
        }
        check_count(
            "messages",
            self.messages,
            MAX_MESSAGES,
            "e.g. .messages(10_000)",
        )?;
        if self.messages < self.producers {
            return Err(Error::of(
                ErrorKind::BadInput,
                format!(
                    "{} messages for {} producers: give each producer at least one message",
                    self.messages, self.producers
                ),
            ));
        }
        if let Capacity::Bounded(n) = self.capacity
            && n > MAX_MESSAGES
        {
            return Err(Error::of(
                ErrorKind::Limit,
                format!(
                    "capacity {n} is more than this helper allows ({MAX_MESSAGES}): a bounded \
                     channel allocates its slots up front; use .unbounded() for no limit"
                ),
            ));
        }
        if self.consumers > 1 && self.library != Library::Crossbeam {
            return Err(Error::of(
                ErrorKind::Misuse,
                format!(
                    "{} has one receiver (its Receiver is not Clone), so {} consumers cannot \
                     share it: use .consumers(1), or Library::Crossbeam",
                    self.library, self.consumers
                ),
            ));
        }
        if self.library == Library::Tokio && self.capacity == Capacity::Bounded(0) {
            return Err(Error::of(
                ErrorKind::Misuse,
                "tokio's mpsc has no rendezvous: its capacity must be at least 1 (or use \
                 Library::Crossbeam or Library::Std for capacity 0)",
            ));
        }
        Ok(())
    }

    /// Runs it once: starts the threads, releases them together when all are running,
    /// and returns the time from the first one released to the last message received
    /// (thread start and join are not in it). Every number sent is checked to have
    /// arrived exactly once.
    ///
    /// # Errors
    ///
    /// What [`check`](Throughput::check) finds; the OS refusing a thread
    /// ([`ErrorKind::Io`]); a thread that panicked ([`ErrorKind::Panicked`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::channels::{Library, Throughput};
    /// let t = Throughput::new(Library::Tokio).producers(2).capacity(16).messages(2_000);
    /// assert!(t.run().unwrap() < std::time::Duration::from_secs(10));
    /// let bad = Throughput::new(Library::Std).messages(0).run().unwrap_err();
    /// assert_eq!(bad.to_string(), "lab: messages must be at least 1 (got 0): e.g. .messages(10_000)");
    /// ```
    pub fn run(&self) -> Result<Duration> {
        self.check()?;
        let out = self.drive::<Tally>()?;
        let (count, sum) = out
            .kept
            .iter()
            .fold((0u64, 0u64), |(c, s), t| (c + t.count, s + t.sum));
        let n = self.messages as u64;
        if count != n || sum != n * (n - 1) / 2 {
            return Err(Error::of(
                ErrorKind::Other,
                format!(
                    "{}: {count} of {n} messages arrived (or some twice): a channel lost or \
                     repeated messages",
                    self.name()
                ),
            ));
        }
        Ok(out.elapsed)
    }

    /// What a run's time comes to per message, in nanoseconds: `took` divided by the
    /// number of messages.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::channels::{Library, Throughput};
    /// let t = Throughput::new(Library::Std).messages(1_000);
    /// assert_eq!(t.ns_per_message(std::time::Duration::from_micros(50)), 50.0);
    /// ```
    pub fn ns_per_message(&self, took: Duration) -> f64 {
        took.as_secs_f64() * 1e9 / self.messages.max(1) as f64
    }

    /// The run itself, each consumer keeping what it received in a `K`.
    fn drive<K: Keep>(&self) -> Result<Driven<K>> {
        let (producers, consumers, messages) = (self.producers, self.consumers, self.messages);
        match (self.library, self.capacity) {
            (Library::Crossbeam, cap) => {
                let (tx, rx) = match cap {
                    Capacity::Bounded(n) => crossbeam::channel::bounded(n),
                    Capacity::Unbounded => crossbeam::channel::unbounded(),
                };
                drive::<_, _, K>(tx, vec![rx; consumers], producers, messages)
            }
            (Library::Std, Capacity::Bounded(n)) => {
                let (tx, rx) = std::sync::mpsc::sync_channel(n);
                drive::<_, _, K>(tx, vec![rx], producers, messages)
            }
            (Library::Std, Capacity::Unbounded) => {
                let (tx, rx) = std::sync::mpsc::channel();
                drive::<_, _, K>(tx, vec![rx], producers, messages)
            }
            (Library::Tokio, Capacity::Bounded(n)) => {
                let (tx, rx) = tokio::sync::mpsc::channel(n);
                drive::<_, _, K>(tx, vec![rx], producers, messages)
            }
            (Library::Tokio, Capacity::Unbounded) => {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                drive::<_, _, K>(tx, vec![rx], producers, messages)
            }
        }
    }

    /// Every number each consumer received, in the order it received them (tests only:
    /// keeping them costs time in the timed part).
    #[cfg(test)]
    fn received(&self) -> Result<Vec<Vec<u64>>> {
        self.check()?;
        Ok(self.drive::<Vec<u64>>()?.kept)
    }
}

/// The sending side of a channel, as the harness uses it: `false` once nobody receives.
trait Put: Clone + Send {
    fn put(&self, v: u64) -> bool;
}

/// The receiving side: `None` once every sender is gone and the channel is empty.
trait Take: Send {
    fn take(&mut self) -> Option<u64>;
}

impl Put for crossbeam::channel::Sender<u64> {
    fn put(&self, v: u64) -> bool {
        self.send(v).is_ok()
    }
}
impl Take for crossbeam::channel::Receiver<u64> {
    fn take(&mut self) -> Option<u64> {
        self.recv().ok()
    }
}
impl Put for std::sync::mpsc::SyncSender<u64> {
    fn put(&self, v: u64) -> bool {
        self.send(v).is_ok()
    }
}
impl Put for std::sync::mpsc::Sender<u64> {
    fn put(&self, v: u64) -> bool {
        self.send(v).is_ok()
    }
}
impl Take for std::sync::mpsc::Receiver<u64> {
    fn take(&mut self) -> Option<u64> {
        self.recv().ok()
    }
}
impl Put for tokio::sync::mpsc::Sender<u64> {
    fn put(&self, v: u64) -> bool {
        self.blocking_send(v).is_ok()
    }
}
impl Put for tokio::sync::mpsc::UnboundedSender<u64> {
    fn put(&self, v: u64) -> bool {
        self.send(v).is_ok()
    }
}
impl Take for tokio::sync::mpsc::Receiver<u64> {
    fn take(&mut self) -> Option<u64> {
        self.blocking_recv()
    }
}
impl Take for tokio::sync::mpsc::UnboundedReceiver<u64> {
    fn take(&mut self) -> Option<u64> {
        self.blocking_recv()
    }
}

/// What a consumer keeps of the numbers it receives.
trait Keep: Default + Send {
    fn keep(&mut self, v: u64);
}

/// A count and a sum: enough to check that `0..n` arrived once each, for the price of
/// two additions a message.
#[derive(Default)]
struct Tally {
    count: u64,
    sum: u64,
}

impl Keep for Tally {
    #[inline]
    fn keep(&mut self, v: u64) {
        self.count += 1;
        self.sum = self.sum.wrapping_add(v);
    }
}

#[cfg(test)]
impl Keep for Vec<u64> {
    fn keep(&mut self, v: u64) {
        self.push(v);
    }
}

/// A run's time, and what each consumer kept.
struct Driven<K> {
    elapsed: Duration,
    kept: Vec<K>,
}

/// Producer `p` of `producers` sends the numbers `share(p).0 .. share(p).1`: `0..messages`
/// cut into nearly equal runs, the first ones one longer when it does not divide.
fn share(p: usize, producers: usize, messages: usize) -> (u64, u64) {
    let (base, extra) = (messages / producers, messages % producers);
    let start = p * base + p.min(extra);
    let len = base + usize::from(p < extra);
    (start as u64, (start + len) as u64)
}

/// Starts the producers and consumers, holds them at a start line until all are running,
/// releases them together and times them (see the module docs).
fn drive<T: Put, R: Take, K: Keep>(
    tx: T,
    rxs: Vec<R>,
    producers: usize,
    messages: usize,
) -> Result<Driven<K>> {
    let threads = producers + rxs.len();
    let ready = AtomicUsize::new(0);
    let abandon = AtomicBool::new(false);
    let start_line = RwLock::new(()); // held for writing until every thread is running
    let closed = start_line.write().unwrap_or_else(PoisonError::into_inner);
    let wait_at_line = || -> Option<Instant> {
        ready.fetch_add(1, Ordering::SeqCst);
        drop(start_line.read().unwrap_or_else(PoisonError::into_inner));
        (!abandon.load(Ordering::SeqCst)).then(Instant::now)
    };
    std::thread::scope(|s| {
        let refused = |what: &str, e: std::io::Error| {
            Error::of(
                ErrorKind::Io,
                format!("the OS refused a {what} thread ({e}): ask for fewer threads"),
            )
        };
        let mut sending = Vec::with_capacity(producers);
        let mut receiving = Vec::with_capacity(rxs.len());
        let mut failed = None;
        for p in 0..producers {
            let (tx, wait_at_line) = (tx.clone(), &wait_at_line);
            let started = std::thread::Builder::new().spawn_scoped(s, move || {
                let released = wait_at_line()?;
                let (from, to) = share(p, producers, messages);
                for v in from..to {
                    if !tx.put(v) {
                        break; // nobody receives any more (cannot happen here)
                    }
                }
                Some(released)
            });
            match started {
                Ok(h) => sending.push(h),
                Err(e) => {
                    failed = Some(refused("producer", e));
                    break;
                }
            }
        }
        drop(tx); // the consumers' loops end when every producer's clone is dropped too
        for mut rx in rxs {
            if failed.is_some() {
                break;
            }
            let wait_at_line = &wait_at_line;
            let started = std::thread::Builder::new().spawn_scoped(s, move || {
                let released = wait_at_line()?;
                let mut kept = K::default();
                while let Some(v) = rx.take() {
                    kept.keep(v);
                }
                Some((released, Instant::now(), kept))
            });
            match started {
                Ok(h) => receiving.push(h),
                Err(e) => failed = Some(refused("consumer", e)),
            }
        }
        if failed.is_none() {
            while ready.load(Ordering::SeqCst) < threads {
                std::thread::yield_now();
            }
        } else {
            abandon.store(true, Ordering::SeqCst); // the started ones return at once
        }
        drop(closed); // release them all
        // Join every thread before looking at any result: a scope whose panicked
        // thread was never joined would panic itself.
        let sent: Vec<_> = sending.into_iter().map(|h| h.join()).collect();
        let received: Vec<_> = receiving.into_iter().map(|h| h.join()).collect();
        if let Some(e) = failed {
            return Err(e);
        }
        let panicked = || {
            Error::of(
                ErrorKind::Panicked,
                "a producer or consumer thread panicked: see the message above",
            )
        };
        let (mut released, mut done, mut kept) = (Vec::new(), Vec::new(), Vec::new());
        for p in sent {
            released.extend(p.map_err(|_| panicked())?);
        }
        for c in received {
            if let Some((at, end, k)) = c.map_err(|_| panicked())? {
                released.push(at);
                done.push(end);
                kept.push(k);
            }
        }
        let elapsed = match (released.iter().min(), done.iter().max()) {
            (Some(first), Some(last)) => last.saturating_duration_since(*first),
            _ => Duration::ZERO,
        };
        Ok(Driven { elapsed, kept })
    })
}

/// Each run's median, fastest and slowest time per message in `bench`, in seconds;
/// `None` for a run the bench does not have.
fn per_message(bench: &Bench, run: &Throughput) -> Option<(f64, f64, f64)> {
    let m = bench.get(&run.name()).ok()?;
    let each = |d: Duration| run.ns_per_message(d) / 1e9;
    Some((each(m.median()), each(m.min()), each(m.max())))
}

/// A time in seconds in the crate's one unit rule, about three digits: `15.7 ns`.
fn seconds(s: f64) -> String {
    let (unit, per_sec) = time_unit(Duration::from_secs_f64(s.max(0.0)));
    format!("{} {unit}", three_digits(s * per_sec))
}

/// The runs' groups in the order they first appear: (library, producers, consumers) for
/// rows, capacities for columns.
fn groups(runs: &[Throughput]) -> (Vec<(Library, usize, usize)>, Vec<Capacity>) {
    let (mut rows, mut columns) = (Vec::new(), Vec::new());
    for r in runs {
        let row = (r.library, r.producers, r.consumers);
        if !rows.contains(&row) {
            rows.push(row);
        }
        if !columns.contains(&r.capacity) {
            columns.push(r.capacity);
        }
    }
    (rows, columns)
}

fn missing_runs(bench: &Bench, runs: &[Throughput]) -> Result<()> {
    if runs.is_empty() {
        return Err(Error::of(
            ErrorKind::Empty,
            "no runs to show: pass the Throughput runs the bench timed",
        ));
    }
    for r in runs {
        bench.get(&r.name())?; // the bench's own error, or a name it lacks
    }
    Ok(())
}

/// The bench's runs as the time one message took: a row per library and number of
/// producers (and consumers), a column per capacity, each cell the median of the runs'
/// times divided by their messages, with the fastest and slowest run after it. A
/// combination not in `runs` is left "not run".
///
/// # Errors
///
/// No runs, a run the bench did not time (its name is not a variant of the bench), or
/// the bench's own error.
///
/// # Examples
///
/// ```
/// use lab::bench::Bench;
/// use lab::channels::{Library, Throughput};
///
/// let runs: Vec<Throughput> = [Library::Crossbeam, Library::Std].into_iter()
///     .map(|lib| Throughput::new(lib).capacity(1).messages(100))
///     .collect();
/// let bench = Bench::new("capacity 1").reps(2).compare(|v| {
///     for run in &runs { v.add_timed(run.name(), || run.run()); }
/// });
/// let table = lab::channels::table(&bench, &runs).unwrap();
/// assert!(table.to_string().contains("std mpsc"));
/// assert!(lab::channels::table(&bench, &[]).is_err());
/// ```
pub fn table(bench: &Bench, runs: &[Throughput]) -> Result<Table> {
    missing_runs(bench, runs)?;
    let (rows, columns) = groups(runs);
    let mut header = vec!["channel".to_string(), "producers".into()];
    let many_consumers = rows.iter().any(|r| r.2 != 1);
    if many_consumers {
        header.push("consumers".into());
    }
    for c in &columns {
        let messages = runs
            .iter()
            .find(|r| r.capacity == *c)
            .map_or(0, |r| r.messages);
        header.push(format!(
            "{c} ({} a run)",
            crate::show::fmt_count(messages as u64)
        ));
    }
    let mut table = Table::new(header);
    for &(library, producers, consumers) in &rows {
        let mut row = vec![library.to_string(), producers.to_string()];
        if many_consumers {
            row.push(consumers.to_string());
        }
        for c in &columns {
            let run = runs.iter().find(|r| {
                (r.library, r.producers, r.consumers, r.capacity)
                    == (library, producers, consumers, *c)
            });
            row.push(match run.and_then(|r| per_message(bench, r)) {
                Some((mid, low, high)) => {
                    format!("{} ({}–{})", seconds(mid), seconds(low), seconds(high))
                }
                None => "not run".into(),
            });
        }
        table = table.row(row);
    }
    Ok(table)
}

/// The bench's runs as bars of the time one message took, one chart per capacity (each
/// in its own unit: a hand-over costs far more than a buffered message), stacked in one
/// figure; each bar the median, its whisker the fastest to the slowest run.
///
/// # Errors
///
/// As for [`table`].
///
/// # Examples
///
/// ```
/// use lab::bench::Bench;
/// use lab::channels::{Library, Throughput};
///
/// let runs = [0, 64].map(|cap| Throughput::new(Library::Crossbeam).capacity(cap).messages(64));
/// let bench = Bench::new("t").reps(2).compare(|v| {
///     for run in &runs { v.add_timed(run.name(), || run.run()); }
/// });
/// let figure = lab::channels::chart(&bench, &runs).unwrap();
/// assert!(figure.to_svg().unwrap().contains("capacity 64"));
/// ```
pub fn chart(bench: &Bench, runs: &[Throughput]) -> Result<Figure> {
    missing_runs(bench, runs)?;
    let (_, columns) = groups(runs);
    let reps = bench.get(&runs[0].name())?.samples().len();
    let mut figure = Figure::new().title(format!("{}: time per message", bench.title()));
    for (i, c) in columns.iter().enumerate() {
        let here: Vec<(&Throughput, (f64, f64, f64))> = runs
            .iter()
            .filter(|r| r.capacity == *c)
            .filter_map(|r| Some((r, per_message(bench, r)?)))
            .collect();
        let longest = here.iter().map(|(_, t)| t.2).fold(0.0, f64::max);
        let (unit, per_sec) = time_unit(Duration::from_secs_f64(longest));
        let messages = here.first().map_or(0, |(r, _)| r.messages);
        let mut bars = Bars::new(format!(
            "{c}: {unit} per message ({} a run)",
            crate::show::fmt_count(messages as u64)
        ))
        .unit(unit);
        for (r, (mid, low, high)) in &here {
            let label = r.name().replace(&format!(", {c}"), "");
            bars = bars
                .bar(label, mid * per_sec)
                .range(low * per_sec, high * per_sec);
        }
        if i + 1 == columns.len() {
            bars = bars
                .note(format!(
                    "median of {reps} runs (whiskers: fastest to slowest), variants \
                     interleaved, thread start not timed"
                ))
                .note(machine().one_line());
        }
        figure = figure.with(bars);
    }
    Ok(figure)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_library() -> Vec<Throughput> {
        let mut runs = Vec::new();
        for library in [Library::Crossbeam, Library::Std, Library::Tokio] {
            for cap in [Some(0), Some(1), Some(7), None] {
                let t = Throughput::new(library).producers(3).messages(1_001);
                let t = match cap {
                    Some(n) => t.capacity(n),
                    None => t.unbounded(),
                };
                if t.check().is_ok() {
                    runs.push(t);
                }
            }
        }
        runs
    }

    #[test]
    fn every_message_arrives_once() {
        let runs = every_library();
        assert_eq!(runs.len(), 11); // tokio has no capacity 0
        for t in runs {
            let kept = t.received().unwrap();
            assert_eq!(kept.len(), 1, "{}", t.name());
            let mut all: Vec<u64> = kept.concat();
            all.sort_unstable();
            assert_eq!(all, (0..1_001).collect::<Vec<u64>>(), "{}", t.name());
            assert!(t.run().is_ok(), "{}", t.name());
        }
    }

    #[test]
    fn several_consumers_share_the_messages_and_each_producer_keeps_its_order() {
        let t = Throughput::new(Library::Crossbeam)
            .producers(4)
            .consumers(3)
            .capacity(2)
            .messages(10_003);
        let kept = t.received().unwrap();
        assert_eq!(kept.len(), 3);
        let mut all = kept.concat();
        all.sort_unstable();
        assert_eq!(all, (0..10_003).collect::<Vec<u64>>());
        // One producer's numbers reach any one consumer in the order they were sent.
        for k in &kept {
            for p in 0..4 {
                let (from, to) = share(p, 4, 10_003);
                let mine: Vec<u64> = k
                    .iter()
                    .copied()
                    .filter(|v| (from..to).contains(v))
                    .collect();
                assert!(mine.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }

    #[test]
    fn shares_cover_every_number_once() {
        for (producers, messages) in [(1, 1), (3, 10), (4, 4), (7, 100)] {
            let mut next = 0;
            for p in 0..producers {
                let (from, to) = share(p, producers, messages);
                assert_eq!(from, next);
                assert!(to > from, "each producer sends at least one");
                next = to;
            }
            assert_eq!(next, messages as u64);
        }
    }

    #[test]
    fn bad_input_is_one_line() {
        let cases = [
            (
                Throughput::new(Library::Crossbeam).producers(0),
                ErrorKind::BadInput,
            ),
            (
                Throughput::new(Library::Crossbeam).consumers(0),
                ErrorKind::BadInput,
            ),
            (
                Throughput::new(Library::Crossbeam).messages(0),
                ErrorKind::BadInput,
            ),
            (
                Throughput::new(Library::Crossbeam).producers(4).messages(3),
                ErrorKind::BadInput,
            ),
            (
                Throughput::new(Library::Crossbeam).producers(MAX_THREADS + 1),
                ErrorKind::Limit,
            ),
            (
                Throughput::new(Library::Crossbeam)
                    .producers(MAX_THREADS)
                    .consumers(1),
                ErrorKind::Limit,
            ),
            (
                Throughput::new(Library::Std).messages(usize::MAX),
                ErrorKind::Limit,
            ),
            (
                Throughput::new(Library::Std).capacity(usize::MAX),
                ErrorKind::Limit,
            ),
            (
                Throughput::new(Library::Std).consumers(2),
                ErrorKind::Misuse,
            ),
            (
                Throughput::new(Library::Tokio).consumers(2),
                ErrorKind::Misuse,
            ),
            (
                Throughput::new(Library::Tokio).capacity(0),
                ErrorKind::Misuse,
            ),
        ];
        for (t, kind) in cases {
            let e = t.run().unwrap_err();
            assert_eq!(e.kind(), kind, "{}: {e}", t.name());
            assert!(!e.to_string().contains('\n'), "{e}");
            assert!(e.to_string().starts_with("lab: "), "{e}");
        }
    }

    #[test]
    fn the_time_leaves_thread_start_out() {
        // The clock starts when the threads are released, not when they are spawned, so
        // a run's own time is less than the call's (which starts and joins two threads).
        let one = Throughput::new(Library::Crossbeam).capacity(1).messages(1);
        for _ in 0..5 {
            let t = Instant::now();
            let inside = one.run().unwrap();
            let whole = t.elapsed();
            assert!(inside < whole, "{inside:?} against {whole:?}");
        }
    }

    #[test]
    fn table_and_chart_show_each_run_and_refuse_strangers() {
        let runs = [
            Throughput::new(Library::Crossbeam).capacity(0).messages(50),
            Throughput::new(Library::Crossbeam)
                .capacity(50)
                .messages(50),
            Throughput::new(Library::Tokio).capacity(50).messages(50),
        ];
        let bench = Bench::new("t").warmup(0).reps(2).compare(|v| {
            for run in &runs {
                v.add_timed(run.name(), || run.run());
            }
        });
        let table = table(&bench, &runs).unwrap().to_string();
        assert!(table.contains("capacity 0 (50 a run)"), "{table}");
        assert!(
            table.contains("not run"),
            "tokio has no capacity 0: {table}"
        );
        let svg = chart(&bench, &runs).unwrap().to_svg().unwrap();
        assert!(
            svg.contains("tokio mpsc, 1 producer"),
            "bars drop the capacity"
        );
        let stranger = [Throughput::new(Library::Std).capacity(3)];
        assert_eq!(
            super::table(&bench, &stranger).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            super::chart(&bench, &[]).unwrap_err().kind(),
            ErrorKind::Empty
        );
    }
}
