//! Workloads and runtimes that notebooks share: fixed amounts of CPU work, a synthetic
//! video frame to encode, and thread pools and tokio runtimes a cell creates and drops.
//!
//! These are the *materials* of an experiment. The experiment itself (which threads,
//! which awaits, which locks) is written in the notebook cell.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result, check_count};
pub use crate::pool::Pool;

/// The most threads a pool or runtime from this crate may have.
///
/// # Examples
///
/// ```
/// assert!(lab::scenarios::thread_pool(lab::scenarios::MAX_THREADS + 1).is_err());
/// ```
pub const MAX_THREADS: usize = 1024;

/// The number of hardware threads this process may run at once (logical cores).
///
/// # Examples
///
/// ```
/// assert!(lab::scenarios::cores() >= 1);
/// ```
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A fixed amount of pure CPU work: `iterations` rounds of a xorshift generator.
/// Returns the final state so the work cannot be optimised away.
///
/// Fixed work, not a fixed time, is what makes parallel timings honest: two threads
/// sharing one core each take twice as long, as they would with real work.
///
/// # Examples
///
/// ```
/// assert_eq!(lab::scenarios::spin(1000), lab::scenarios::spin(1000)); // deterministic
/// ```
#[inline(never)]
pub fn spin(iterations: u64) -> u64 {
    let mut x = black_box(0x9E37_79B9_7F4A_7C15u64);
    for _ in 0..iterations {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x)
}

/// CPU work measured in milliseconds of *this machine's* time: calibrated once, then
/// every call does the same fixed amount of work.
///
/// # Examples
///
/// ```
/// let work = lab::scenarios::CpuWork::calibrate();
/// let t = std::time::Instant::now();
/// work.ms(5.0);
/// // about 5 ms on an idle core (more if the core is shared)
/// assert!(t.elapsed() >= std::time::Duration::from_millis(2));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CpuWork {
    iterations_per_ms: u64,
}

/// The longest single piece of work [`CpuWork::ms`] does; longer asks are capped.
///
/// # Examples
///
/// ```
/// use lab::scenarios::{CpuWork, MAX_WORK_MS};
/// // Ask for a piece of work that fits: a tenth of a millisecond per item, 1 000 items.
/// let (per_item, items) = (0.1, 1_000.0);
/// assert!(per_item * items <= MAX_WORK_MS);
/// let work = CpuWork::calibrate();
/// let _checksum = work.ms(per_item);
/// ```
pub const MAX_WORK_MS: f64 = 60_000.0;

impl CpuWork {
    /// Measures how many [`spin`] iterations fit in a millisecond on this core
    /// (takes about 30 ms; the fastest of several tries, so a busy moment does not
    /// skew it).
    ///
    /// # Examples
    ///
    /// ```
    /// let work = lab::scenarios::CpuWork::calibrate();
    /// assert!(work.iterations_per_ms() > 0);
    /// ```
    pub fn calibrate() -> CpuWork {
        let chunk = 50_000u64;
        let began = Instant::now();
        let mut best = Duration::MAX;
        while began.elapsed() < Duration::from_millis(30) {
            let t = Instant::now();
            spin(chunk);
            best = best.min(t.elapsed());
        }
        let per_ms = (chunk as f64 / best.as_secs_f64().max(1e-9) / 1e3) as u64;
        CpuWork {
            iterations_per_ms: per_ms.max(1),
        }
    }

    /// How many [`spin`] iterations make one millisecond here.
    ///
    /// # Examples
    ///
    /// ```
    /// let work = lab::scenarios::CpuWork::calibrate();
    /// assert_eq!(work.ms(1.0), lab::scenarios::spin(work.iterations_per_ms()));
    /// ```
    pub fn iterations_per_ms(&self) -> u64 {
        self.iterations_per_ms
    }

    /// Does `ms` milliseconds' worth of CPU work (as calibrated) and returns a checksum.
    /// Negative or NaN means none; more than [`MAX_WORK_MS`] is capped, with a one-line
    /// warning.
    ///
    /// # Examples
    ///
    /// ```
    /// let work = lab::scenarios::CpuWork::calibrate();
    /// let a = work.ms(0.5);
    /// assert_eq!(a, work.ms(0.5)); // the same work every time
    /// ```
    pub fn ms(&self, ms: f64) -> u64 {
        let ms = if ms.is_nan() || ms <= 0.0 {
            0.0
        } else if ms > MAX_WORK_MS {
            eprintln!("lab: CpuWork::ms({ms}) capped at {MAX_WORK_MS} ms: ask for less work");
            MAX_WORK_MS
        } else {
            ms
        };
        spin((ms * self.iterations_per_ms as f64) as u64)
    }
}

/// Width of a synthetic video frame, in pixels.
///
/// # Examples
///
/// ```
/// use lab::scenarios::{FRAME_HEIGHT, FRAME_WIDTH};
/// // Pixels per second, the figure a video encoder is judged by:
/// let frames_per_second = 30.0;
/// let pixels = (FRAME_WIDTH * FRAME_HEIGHT) as f64 * frames_per_second;
/// assert!(pixels > 1e6);
/// ```
pub const FRAME_WIDTH: usize = 320;
/// Height of a synthetic video frame, in pixels.
///
/// # Examples
///
/// ```
/// use lab::scenarios::{FRAME_HEIGHT, FRAME_WIDTH};
/// // Both sides are whole 8×8 blocks, the unit the encoder transforms:
/// let blocks = (FRAME_WIDTH / 8) * (FRAME_HEIGHT / 8);
/// assert_eq!(blocks * 64, FRAME_WIDTH * FRAME_HEIGHT);
/// ```
pub const FRAME_HEIGHT: usize = 176;

/// "Encodes" synthetic video frame number `index`: builds a 320×176 grey image that
/// differs per frame, runs an 8×8 block transform over it, quantises, and returns a
/// checksum of the result. A few milliseconds of real, cache-friendly arithmetic;
/// frames are independent, which is what makes video encoding parallel.
///
/// # Examples
///
/// ```
/// assert_eq!(lab::scenarios::encode_frame(7), lab::scenarios::encode_frame(7));
/// assert_ne!(lab::scenarios::encode_frame(7), lab::scenarios::encode_frame(8));
/// ```
// Matrix arithmetic reads best with indices.
#[allow(clippy::needless_range_loop)]
pub fn encode_frame(index: u32) -> u64 {
    // The frame: a moving diagonal gradient with a little texture. Pixels are made on
    // the fly, block by block: a whole-frame buffer per call would make the allocator
    // (mmap and page faults, serialised in the kernel) the bottleneck, not the CPU.
    let pixel = |x: usize, y: usize| -> i32 {
        let (x, y) = (x as u32, y as u32);
        let v = x
            .wrapping_add(y.wrapping_mul(2))
            .wrapping_add(index.wrapping_mul(3))
            ^ (x.wrapping_mul(y) >> 5);
        (v & 0xff) as i32
    };
    // An integer approximation of the 8×8 DCT-II basis, scaled by 64.
    let mut basis = [[0i32; 8]; 8];
    for (k, row) in basis.iter_mut().enumerate() {
        for (n, b) in row.iter_mut().enumerate() {
            let c = if k == 0 { 0.5f64.sqrt() } else { 1.0 };
            let angle = std::f64::consts::PI / 8.0 * (n as f64 + 0.5) * k as f64;
            *b = (64.0 * c * angle.cos()).round() as i32;
        }
    }
    let mut checksum = 0u64;
    for pass in 0..6u32 {
        let q = 4 + pass as i32 * 3; // a coarser quantiser each pass, like rate control
        for by in (0..FRAME_HEIGHT).step_by(8) {
            for bx in (0..FRAME_WIDTH).step_by(8) {
                let mut block = [[0i32; 8]; 8];
                for (r, row) in block.iter_mut().enumerate() {
                    for (c, v) in row.iter_mut().enumerate() {
                        *v = pixel(bx + c, by + r) - 128;
                    }
                }
                // Rows, then columns.
                let mut tmp = [[0i32; 8]; 8];
                for r in 0..8 {
                    for k in 0..8 {
                        tmp[r][k] = (0..8).map(|n| block[r][n] * basis[k][n]).sum::<i32>() >> 6;
                    }
                }
                for c in 0..8 {
                    for k in 0..8 {
                        let coef = (0..8).map(|n| tmp[n][c] * basis[k][n]).sum::<i32>() >> 6;
                        let level = coef / q;
                        checksum = checksum
                            .wrapping_mul(31)
                            .wrapping_add(level.unsigned_abs() as u64 + (k * 8 + c) as u64);
                    }
                }
            }
        }
    }
    black_box(checksum)
}

/// A tokio runtime that runs every task on the calling thread: an event loop. Create
/// it in a cell and drop it there (evcxr's own runtime does not survive between cells).
/// An error only if the OS refuses what a runtime needs (out of file descriptors).
///
/// A task that panics does not stop the runtime: awaiting its `JoinHandle` gives
/// `Err(JoinError)` (`is_panic()`). Its tasks run on the calling thread, so the panic
/// message is Rust's own, with a backtrace.
///
/// # Examples
///
/// ```
/// let rt = lab::scenarios::current_thread_runtime().unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// let failed = rt.block_on(async { tokio::spawn(async { panic!("oops") }).await });
/// assert!(failed.unwrap_err().is_panic());
/// assert_eq!(rt.block_on(async { 2 + 2 }), 4); // still running
/// ```
pub fn current_thread_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Error::of(
                ErrorKind::Io,
                format!("the OS refused a tokio runtime ({e}): drop runtimes you no longer need"),
            )
        })
}

/// A tokio runtime with `workers` worker threads, named `tokio worker 0`, `1`, ...
///
/// A task that panics does not stop the runtime: awaiting its `JoinHandle` gives
/// `Err(JoinError)` (`is_panic()`), and its worker prints one line, `lab: a task on the
/// tokio runtime panicked at …`, instead of a backtrace (see [`Pool`]).
///
/// # Examples
///
/// ```
/// let rt = lab::scenarios::multi_thread_runtime(2).unwrap();
/// assert_eq!(rt.block_on(async { 6 * 7 }), 42);
/// let failed = rt.block_on(async { tokio::spawn(async { panic!("oops") }).await });
/// assert!(failed.unwrap_err().is_panic());
/// assert_eq!(rt.block_on(async { 2 + 2 }), 4); // still running
/// assert!(lab::scenarios::multi_thread_runtime(0).is_err());
/// ```
pub fn multi_thread_runtime(workers: usize) -> Result<tokio::runtime::Runtime> {
    let workers = check_count(
        "workers",
        workers,
        MAX_THREADS,
        "try lab::scenarios::cores()",
    )?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    crate::pool::prepare_runtime();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name_fn(move || {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("tokio worker {i}")
        })
        .on_thread_start(crate::pool::tokio_marker())
        .enable_all()
        .build()
        .map_err(|e| Error::of(ErrorKind::Io, format!("cannot start a tokio runtime: {e}")))
}

/// A rayon thread pool with exactly `threads` threads (rayon itself reads 0 as "one per
/// core", a surprise in a lesson, so 0 is an error here). Run work on it with
/// `pool.install(|| ...)`; [`Recorder::thread_lane`](crate::record::Recorder::thread_lane)
/// names its threads `worker 0`, `worker 1`, ...
///
/// The [`Pool`] derefs to a `rayon::ThreadPool`. Unlike a pool built with rayon's
/// defaults, a job spawned on it (`pool.spawn`) that panics does not abort the process
/// (the kernel): the worker prints one `lab:` line, the pool keeps working, and
/// [`Pool::check`] returns the panic as an error.
///
/// # Examples
///
/// ```
/// use rayon::prelude::*;
///
/// let pool = lab::scenarios::thread_pool(2).unwrap();
/// let sum: u64 = pool.install(|| (1..=100u64).into_par_iter().sum());
/// assert_eq!(sum, 5050);
/// pool.spawn(|| panic!("a bad job")); // one line on stderr, no abort
/// while pool.panics() == 0 { std::thread::yield_now() }
/// assert!(pool.check().unwrap_err().to_string().contains("a bad job"));
/// assert!(lab::scenarios::thread_pool(0).is_err());
/// ```
pub fn thread_pool(threads: usize) -> Result<Pool> {
    let threads = check_count(
        "threads",
        threads,
        MAX_THREADS,
        "try lab::scenarios::cores()",
    )?;
    Pool::build(threads)
}

/// How many increments `threads` threads made together in about `window`, from
/// [`for_a_while`].
///
/// # Examples
///
/// ```
/// use std::sync::atomic::Ordering;
/// use std::time::Duration;
/// let tally = lab::scenarios::for_a_while(2, Duration::from_millis(5), |_, stop| {
///     let mut n = 0;
///     while !stop.load(Ordering::Relaxed) { n += 1; }
///     n
/// }).unwrap();
/// assert!(tally.done > 0 && tally.per_second() > 0.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tally {
    /// How many threads counted.
    pub threads: usize,
    /// From releasing the threads until the last one returned.
    pub elapsed: Duration,
    /// The sum of what every thread's body returned.
    pub done: u64,
}

impl Tally {
    /// `done` per second of `elapsed`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = lab::scenarios::Tally { threads: 1, elapsed: Duration::from_millis(10), done: 50 };
    /// assert_eq!(t.per_second(), 5000.0);
    /// ```
    pub fn per_second(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The longest window [`for_a_while`] accepts.
///
/// # Examples
///
/// ```
/// use lab::{ErrorKind, scenarios::MAX_WINDOW};
/// use std::time::Duration;
///
/// let longer = MAX_WINDOW + Duration::from_millis(1);
/// let err = lab::scenarios::for_a_while(1, longer, |_, _| 0).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::BadInput); // refused before any thread starts
/// ```
pub const MAX_WINDOW: Duration = Duration::from_secs(10);

/// Runs `body(i, stop)` on `threads` threads (`i` = 0, 1, ...) released together once all
/// of them are started, raises `stop` after `window`, and adds up what the bodies return
/// (how many increments each made, say). Thread start is outside the timed region; the
/// clock stops when the last thread has returned. A thread the OS refuses is an error,
/// and the threads already started are stopped and joined first. A body must return soon
/// after it sees `stop`: if some thread is still running 2 s after `stop` was raised, one
/// `lab:` line on stderr says so (the cell waits on; nothing can end a thread from outside).
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::time::Duration;
/// let total = AtomicU64::new(0);
/// let tally = lab::scenarios::for_a_while(2, Duration::from_millis(5), |_, stop| {
///     let mut n = 0;
///     while !stop.load(Ordering::Relaxed) { total.fetch_add(1, Ordering::Relaxed); n += 1; }
///     n
/// }).unwrap();
/// assert_eq!(total.into_inner(), tally.done); // nothing lost
/// assert!(lab::scenarios::for_a_while(0, Duration::from_millis(5), |_, _| 0).is_err());
/// ```
pub fn for_a_while(
    threads: usize,
    window: Duration,
    body: impl Fn(usize, &AtomicBool) -> u64 + Sync,
) -> Result<Tally> {
    together(threads, Some(window), &body)
}

/// [`for_a_while`] for the common case: each thread `i` calls `step(i)` over and over
/// until `stop` is raised after `window`, and the [`Tally`] counts the calls. The loop,
/// the `stop` flag and the count are this function's; the cell keeps only the step
/// being measured (one increment, say).
///
/// # Errors
///
/// As [`for_a_while`]: a bad thread count or window, a thread the OS refuses, a step
/// that panics.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::time::Duration;
/// let total = AtomicU64::new(0);
/// let tally = lab::scenarios::count_for_a_while(2, Duration::from_millis(5), |_| {
///     total.fetch_add(1, Ordering::Relaxed);
/// }).unwrap();
/// assert_eq!(total.into_inner(), tally.done); // one count per call, nothing lost
/// assert!(lab::scenarios::count_for_a_while(0, Duration::from_millis(5), |_| ()).is_err());
/// ```
pub fn count_for_a_while(
    threads: usize,
    window: Duration,
    step: impl Fn(usize) + Sync,
) -> Result<Tally> {
    together(threads, Some(window), &|i, stop| {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            step(i);
            n += 1;
        }
        n
    })
}

/// Starts `threads` threads, holds them at a gate until every one is started, then
/// releases them at the same moment; each runs `body(i)` (`i` = 0, 1, ...) to its end.
/// Returns the time from the release until the last one returned. Use it where threads
/// must *compete from the same start* (for a lock, say) and thread start would
/// otherwise give the first-started a head start. A thread the OS refuses is an error.
///
/// # Examples
///
/// ```
/// use std::sync::Mutex;
/// let order = Mutex::new(Vec::new());
/// let took = lab::scenarios::released_together(3, |i| order.lock().unwrap().push(i)).unwrap();
/// let mut order = order.into_inner().unwrap();
/// order.sort();
/// assert_eq!(order, vec![0, 1, 2]);
/// assert!(took < std::time::Duration::from_secs(5));
/// assert!(lab::scenarios::released_together(0, |_| ()).is_err());
/// ```
pub fn released_together(threads: usize, body: impl Fn(usize) + Sync) -> Result<Duration> {
    Ok(together(threads, None, &|i, _| {
        body(i);
        0
    })?
    .elapsed)
}

/// How long [`queued_behind`] lets its threads start and ask for the lock.
const QUEUE_SETTLE: Duration = Duration::from_millis(50);

/// Starts `threads` threads running `body(i)` (`i` = 0, 1, ...) while the caller still
/// holds `gate`, the guard of the lock they will all ask for; gives them 50 ms to start
/// and queue for it, then drops `gate` and joins them. So every thread is already waiting
/// when the lock opens, and the order in which they get it is the lock's doing, not the
/// order the threads happened to start in. (50 ms is plenty for a few threads; on a
/// machine kept very busy by other programs, one may still be on its way.) A thread the
/// OS refuses is an error (the gate is dropped first, so the others can finish).
///
/// # Errors
///
/// A thread count of 0 or above the limit, a refused thread, a body that panicked.
///
/// # Examples
///
/// ```
/// use std::sync::Mutex;
/// let lock = Mutex::new(Vec::new());
/// // The gate: this thread holds the lock while the three start and ask for it.
/// lab::scenarios::queued_behind(lock.lock().unwrap(), 3, |i| lock.lock().unwrap().push(i))
///     .unwrap();
/// assert_eq!(lock.into_inner().unwrap().len(), 3);
/// ```
pub fn queued_behind<G>(gate: G, threads: usize, body: impl Fn(usize) + Sync) -> Result<()> {
    let threads = match check_count("threads", threads, MAX_THREADS, "e.g. 4") {
        Ok(n) => n,
        Err(e) => {
            drop(gate);
            return Err(e);
        }
    };
    let body = &body;
    std::thread::scope(|s| {
        let mut handles = Vec::with_capacity(threads);
        for i in 0..threads {
            match std::thread::Builder::new().spawn_scoped(s, move || body(i)) {
                Ok(h) => handles.push(h),
                Err(e) => {
                    drop(gate); // let the started ones through, or the scope never ends
                    return Err(Error::of(
                        ErrorKind::Io,
                        format!(
                            "the OS refused thread {} of {threads} ({e}): ask for fewer",
                            i + 1
                        ),
                    ));
                }
            }
        }
        std::thread::sleep(QUEUE_SETTLE);
        drop(gate); // the lock opens: every thread is waiting for it
        let joined: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        if joined.iter().any(|j| j.is_err()) {
            return Err(Error::of(
                ErrorKind::Panicked,
                "a thread panicked: see the message above",
            ));
        }
        Ok(())
    })
}

/// Runs `body` on `threads` threads released together; with a window, raises `stop`
/// after it, without one, lets every body run to its end.
/// Runs two sides of a test `rounds` times on two threads started once, so that each
/// round starts both sides at the same moment: before round `r` both threads wait for
/// each other at a barrier that spins (a sleeping one, such as [`std::sync::Barrier`],
/// wakes one side microseconds after the other: a head start), then one runs
/// `first(r)` while the other runs `second(r)`. Returns what `second` returned, round
/// by round. Where two cores are free, the two sides really overlap; on one core they
/// take turns.
///
/// # Errors
///
/// The OS refused a thread, or a side panicked (the other one stops at the next barrier).
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
/// let cells: Vec<AtomicU64> = (0..100).map(|_| AtomicU64::new(0)).collect();
/// let seen = lab::scenarios::in_lockstep(100, |r| cells[r].store(1, SeqCst), |r| cells[r].load(SeqCst))
///     .unwrap();
/// assert_eq!(seen.len(), 100);
/// assert!(seen.iter().all(|&v| v <= 1)); // 0 where the reader came first
/// ```
pub fn in_lockstep<T: Send>(
    rounds: usize,
    first: impl Fn(usize) + Sync,
    second: impl Fn(usize) -> T + Sync,
) -> Result<Vec<T>> {
    let arrived = AtomicUsize::new(0);
    let gone = AtomicBool::new(false);
    /// Raises `gone` when its side ends, even by a panic, so the other stops waiting.
    struct Leaving<'a>(&'a AtomicBool);
    impl Drop for Leaving<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    // Both sides arrive once per round; returns false if the other side has left.
    let meet = |round: usize| {
        arrived.fetch_add(1, Ordering::SeqCst);
        let mut spins = 0u32;
        while arrived.load(Ordering::SeqCst) < 2 * (round + 1) {
            if gone.load(Ordering::Relaxed) {
                return false;
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(1024) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        true
    };
    let panicked = || {
        Error::of(
            ErrorKind::Panicked,
            "in_lockstep: a side panicked: see the message above",
        )
    };
    let refused = |e: std::io::Error| {
        Error::of(
            ErrorKind::Io,
            format!("in_lockstep: the OS refused a thread ({e})"),
        )
    };
    std::thread::scope(|s| {
        let (meet, first, second, gone) = (&meet, &first, &second, &gone);
        let a = std::thread::Builder::new()
            .spawn_scoped(s, move || {
                let _leaving = Leaving(gone);
                for r in 0..rounds {
                    if !meet(r) {
                        break;
                    }
                    first(r);
                }
            })
            .map_err(refused)?;
        let b = std::thread::Builder::new().spawn_scoped(s, move || {
            let _leaving = Leaving(gone);
            let mut out = Vec::with_capacity(rounds);
            for r in 0..rounds {
                if !meet(r) {
                    break;
                }
                out.push(second(r));
            }
            out
        });
        let b = match b {
            Ok(b) => b,
            Err(e) => {
                gone.store(true, Ordering::SeqCst);
                let _ = a.join();
                return Err(refused(e));
            }
        };
        let out = b.join().map_err(|_| panicked());
        a.join().map_err(|_| panicked())?;
        out
    })
}

fn together(
    threads: usize,
    window: Option<Duration>,
    body: &(dyn Fn(usize, &AtomicBool) -> u64 + Sync),
) -> Result<Tally> {
    let threads = check_count(
        "threads",
        threads,
        MAX_THREADS,
        "try lab::scenarios::cores()",
    )?;
    if let Some(window) = window
        && (window.is_zero() || window > MAX_WINDOW)
    {
        return Err(Error::of(
            ErrorKind::BadInput,
            format!(
                "window = {window:?}: give a window above 0 and at most {} s, e.g. Duration::from_millis(10)",
                MAX_WINDOW.as_secs()
            ),
        ));
    }
    let stop = AtomicBool::new(false);
    let ready = AtomicUsize::new(0);
    let gate = RwLock::new(()); // held for writing until every thread is ready
    let closed = gate.write().unwrap_or_else(PoisonError::into_inner);
    std::thread::scope(|s| {
        let mut handles = Vec::with_capacity(threads);
        for i in 0..threads {
            let (stop, ready, gate) = (&stop, &ready, &gate);
            let started = std::thread::Builder::new().spawn_scoped(s, move || {
                ready.fetch_add(1, Ordering::SeqCst);
                drop(gate.read().unwrap_or_else(PoisonError::into_inner));
                body(i, stop)
            });
            match started {
                Ok(h) => handles.push(h),
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    drop(closed);
                    return Err(Error::of(
                        ErrorKind::Io,
                        format!(
                            "the OS refused thread {} of {threads} ({e}): ask for fewer",
                            i + 1
                        ),
                    ));
                }
            }
        }
        while ready.load(Ordering::SeqCst) < threads {
            std::thread::yield_now();
        }
        let began = Instant::now();
        drop(closed); // release them all
        if let Some(window) = window {
            std::thread::sleep(window);
            stop.store(true, Ordering::Relaxed);
            warn_if_stop_ignored(&handles, STOP_GRACE);
        }
        let mut done = 0u64;
        for h in handles {
            done += h.join().map_err(|_| {
                Error::of(
                    ErrorKind::Panicked,
                    "a thread panicked: see the message above",
                )
            })?;
        }
        Ok(Tally {
            threads,
            elapsed: began.elapsed(),
            done,
        })
    })
}

/// How long [`for_a_while`] lets its threads take to notice `stop` before it says why the
/// cell has not answered (a body that never reads `stop` would keep it waiting for ever).
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Waits up to `grace` for every thread to return; if some have not, prints one line that
/// says why the cell is still running (then the caller's joins wait on).
fn warn_if_stop_ignored<T>(handles: &[std::thread::ScopedJoinHandle<'_, T>], grace: Duration) {
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if handles.iter().all(|h| h.is_finished()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let running = handles.iter().filter(|h| !h.is_finished()).count();
    if running > 0 {
        eprintln!(
            "lab: for_a_while: {running} of {} threads still running {} s after `stop` was raised: \
             does the body return once stop.load(..) is true? (interrupt the kernel to stop them)",
            handles.len(),
            grace.as_secs()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_ignores_stop_for_a_while_still_ends() {
        // It returns 3 s after the window instead of at once: the warning is printed, and
        // the run still ends with what it counted.
        let tally = for_a_while(1, Duration::from_millis(1), |_, _| {
            std::thread::sleep(STOP_GRACE + Duration::from_millis(300));
            1
        })
        .unwrap();
        assert_eq!(tally.done, 1);
        assert!(tally.elapsed >= STOP_GRACE);
    }

    #[test]
    fn in_lockstep_runs_every_round_and_a_panic_ends_it() {
        let seen = in_lockstep(50, |_| (), |r| r).unwrap();
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
        let first_panics = in_lockstep(50, |r| assert!(r < 3), |r| r);
        let second_panics = in_lockstep(50, |_| (), |r| assert!(r < 3));
        assert_eq!(first_panics.unwrap_err().kind(), ErrorKind::Panicked);
        assert_eq!(second_panics.unwrap_err().kind(), ErrorKind::Panicked);
    }

    #[test]
    fn calibrated_work_is_in_the_right_ballpark() {
        let work = CpuWork::calibrate();
        let t = Instant::now();
        work.ms(20.0);
        let took = t.elapsed();
        // Generous: a loaded CI core may run it slower, never much faster.
        assert!(took >= Duration::from_millis(8), "{took:?}");
    }

    #[test]
    fn bad_amounts_of_work_do_nothing_or_are_capped() {
        let work = CpuWork::calibrate();
        assert_eq!(work.ms(-1.0), spin(0));
        assert_eq!(work.ms(f64::NAN), spin(0));
    }

    #[test]
    fn thread_counts_are_checked() {
        assert_eq!(
            thread_pool(0).unwrap_err().to_string(),
            "lab: threads must be at least 1 (got 0): try lab::scenarios::cores()"
        );
        assert_eq!(thread_pool(0).unwrap_err().kind(), ErrorKind::BadInput);
        let kind = |e: Error| e.kind();
        assert_eq!(
            kind(thread_pool(MAX_THREADS + 1).unwrap_err()),
            ErrorKind::Limit
        );
        assert_eq!(
            kind(multi_thread_runtime(MAX_THREADS + 1).unwrap_err()),
            ErrorKind::Limit
        );
    }

    #[test]
    fn for_a_while_counts_exactly_and_refuses_bad_windows() {
        use std::sync::atomic::AtomicU64;
        let total = AtomicU64::new(0);
        let tally = for_a_while(3, Duration::from_millis(2), |i, stop| {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) || n < i as u64 {
                total.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
            n
        })
        .unwrap();
        assert_eq!(tally.threads, 3);
        assert_eq!(total.into_inner(), tally.done);
        assert!(tally.elapsed >= Duration::from_millis(2));
        for bad in [Duration::ZERO, MAX_WINDOW + Duration::from_millis(1)] {
            let e = for_a_while(1, bad, |_, _| 0).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadInput);
            assert!(e.message().starts_with("window = "), "{e}");
        }
    }

    #[test]
    fn counting_steps_counts_each_call_and_released_threads_run_to_their_end() {
        use std::sync::atomic::AtomicU64;
        let per_thread: Vec<AtomicU64> = (0..3).map(|_| AtomicU64::new(0)).collect();
        let tally = count_for_a_while(3, Duration::from_millis(2), |i| {
            per_thread[i].fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        let counted: u64 = per_thread.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        assert_eq!(counted, tally.done);
        assert_eq!(tally.threads, 3); // (a thread may count 0 on a busy machine)
        let bad = count_for_a_while(1, Duration::ZERO, |_| ()).unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::BadInput);

        // No window: no stop, every body runs to its end, however long it takes.
        let ran = AtomicU64::new(0);
        let took = released_together(4, |_| {
            std::thread::sleep(Duration::from_millis(3));
            ran.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(ran.into_inner(), 4);
        assert!(took >= Duration::from_millis(3));
        let panicked = released_together(2, |i| assert!(i == 0, "thread {i} fails")).unwrap_err();
        assert_eq!(panicked.kind(), ErrorKind::Panicked);
    }

    #[test]
    fn threads_queued_behind_a_gate_all_wait_before_it_opens() {
        use std::sync::Mutex;
        let lock = Mutex::new(Vec::new());
        let started = std::time::Instant::now();
        queued_behind(lock.lock().unwrap(), 3, |i| {
            let mut order = lock.lock().unwrap();
            order.push((i, started.elapsed()));
        })
        .unwrap();
        let order = lock.into_inner().unwrap();
        assert_eq!(order.len(), 3);
        assert!(
            order.iter().all(|(_, at)| *at >= QUEUE_SETTLE),
            "none got in before the gate"
        );
        let gate = Mutex::new(());
        let bad = queued_behind(gate.lock().unwrap(), 0, |_| ()).unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::BadInput);
        assert!(gate.try_lock().is_ok(), "the gate was dropped");
        let panicked =
            queued_behind(gate.lock().unwrap(), 2, |_| panic!("on purpose")).unwrap_err();
        assert_eq!(panicked.kind(), ErrorKind::Panicked);
    }
}
