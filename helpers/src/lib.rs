//! # lab: see what your threads and tasks did
//!
//! The helper crate of the concurrency notebooks. A notebook cell writes the lesson's
//! code (the threads, the awaits, the locks) and uses `lab` for the plumbing around
//! it: recording what each thread or task did and when, timing it honestly, and
//! drawing the result inline.
//!
//! ```
//! use lab::prelude::*;
//!
//! let rec = Recorder::new();
//! std::thread::scope(|s| {
//!     for i in 0..2 {
//!         let mut lane = rec.lane(format!("thread {i}"));
//!         s.spawn(move || lane.span(Kind::Compute, "work", || spin(100_000)));
//!     }
//! });
//! let svg = rec.timeline().title("two threads").to_svg().unwrap();
//! assert!(svg.contains("thread 1"));
//! // In a notebook, end the cell with `rec` (or `rec.timeline()`) to see it.
//! ```
//!
//! ## Layout
//!
//! Data flows one way: code runs → it records into a [`Recorder`](record::Recorder) → the recorder becomes
//! a [`Trace`](trace::Trace) → the trace becomes a chart → the chart displays itself. The modules import
//! each other the same way, never back: each uses only modules of lower layers (a test,
//! `tests/module_graph.rs`, reads `src/`, fails on a cycle, and checks this table):
//!
//! ```text
//! layer  module      uses (only modules of lower layers)
//!   6    rates       bench, compare, limits, draw, scenarios, error, show
//!   6    growth      bench, compare, limits, draw, error, show
//!   6    ticker      bench, compare, draw, error, show
//!   6    scaling     bench, compare, draw, error, show
//!   6    channels    bench, draw, scenarios, error, show
//!   6    traced      deadlock, sync, message, record, trace
//!   5    deadlock    draw, sync, record, trace, error, show
//!   5    capstone    draw, scenarios, error, show
//!   5    explore     draw, error, show
//!   5    bench       draw, record, compare, error, show
//!   5    limits      draw, scenarios, error
//!   4    draw        record, trace, compare, error, show
//!   4    sync        record, trace
//!   4    message     record, trace
//!   4    scenarios   pool, error
//!   3    record      trace, error
//!   3    export      trace, error
//!   3    pool        error
//!   3    service     error, show
//!   2    trace       error
//!   2    compare     error, show
//!   1    error       show
//!   0    show        nothing of the crate
//! ```
//!
//! (The unit tests of `record`, `message` and `service` also start runtimes from
//! `scenarios`; no module is imported back by one it imports, tests included. The root,
//! `lib.rs`, re-exports from all of them and is used by none.)
//!
//! - [`show`]: the bottom layer. How numbers read ([`fmt_duration`](show::fmt_duration), [`fmt_count`](show::fmt_count)), the
//!   evcxr output blocks, and [`Show`](show::Show), the trait every displayable value
//!   implements (a text summary and an SVG or HTML rendering) from which its
//!   `evcxr_display` is made once; and [`Folded`](show::Folded), output kept closed until
//!   clicked (an answer a learner should see only after trying).
//! - [`Error`] (module `error`, re-exported at the root): every helper that can be misused says so in one line instead of
//!   panicking (in evcxr a panic prints a long backtrace and the cell still "succeeds"):
//!   it returns [`Result`], for `?` in a cell. The one exception is the work itself
//!   ([`spin`](scenarios::spin), [`CpuWork::ms`](scenarios::CpuWork::ms)), called inside timed closures and spans where a `Result`
//!   would be noise: an absurd amount is capped and said so in one `lab:` line.
//! - [`trace`]: the read side: the [`Trace`](trace::Trace) snapshot with its lanes ([`LaneTrace`](trace::LaneTrace)),
//!   [`Span`](trace::Span)s, [`Mark`](trace::Mark)s and [`Message`](trace::Message)s (a send and its receive paired), and the
//!   [`Kind`](trace::Kind) of a span. What drawing and export work from; it knows nothing of how it
//!   was recorded.
//! - [`record`]: the write side: [`Recorder`](record::Recorder) and [`Lane`](record::Lane). Recording is a clock read and
//!   a push into a buffer the thread owns: no lock on the hot path, and nothing lost.
//!   (Lock guards are the exception: each one costs an atomic add and a hand-over under
//!   a lock; see [`record`].) Reading back builds a [`Trace`](trace::Trace) from the buffers.
//! - [`message`]: recording a send and its receive through any channel ([`Lane::send`](record::Lane::send),
//!   [`Lane::got`](record::Lane::got), the [`Msg`](message::Msg) envelope); the trace pairs them into [`Message`](trace::Message)s.
//! - [`draw`]: [`Timeline`](draw::Timeline), [`Sequence`](draw::Sequence), [`Bars`](draw::Bars), [`Lines`](draw::Lines), [`WaitForGraph`](draw::WaitForGraph), and
//!   [`Figure`](draw::Figure) to stack several in one image (evcxr shows one image per cell). SVG
//!   through plotters, described in words (a title, a description, hover titles) with a
//!   text fallback. [`Table`](draw::Table) shows rows of results as an HTML table. The charts a
//!   recording draws itself as (`rec.timeline()`, `trace.sequence()`) are defined here,
//!   so recording never depends on drawing.
//! - [`sync`]: [`TracedMutex`](sync::TracedMutex), a mutex that records lock-wait and lock-held spans.
//! - [`traced`]: recording that reads like plain Rust. Channels (crossbeam's, std's
//!   `mpsc`, tokio's `mpsc` and `oneshot`) and locks (`Mutex`, `RwLock`, a watched
//!   mutex) with the originals' methods and errors, so one import line is the only
//!   change; they record on the *current lane*, given to a thread or task once where it
//!   starts ([`traced::spawn_scoped`], [`traced::instrument`], [`traced::worker_lanes`]).
//! - [`bench`](mod@bench): [`Bench`](bench::Bench) (warm-up, repetitions, median and spread,
//!   speedups; variants run round by round), the [`machine`](bench::machine) report that goes with every
//!   number, [`resident_memory`](bench::resident_memory) and
//!   [`memory_grown_since`](bench::memory_grown_since).
//! - [`limits`]: what this process may use right now: [`free_cores`](limits::free_cores)
//!   (measured), [`threads_left`](limits::threads_left), [`thread_limits`](limits::thread_limits)
//!   and [`raise_open_files`](limits::raise_open_files), so that experiments that scale up
//!   stop at the machine's limits with a sentence.
//! - [`rates`]: [`Rates`](rates::Rates), work per second of several variants at several
//!   thread counts, round by round in a rotating order, drawn as lines or bars; its
//!   verdicts compare two variants at one count, or one variant at two counts.
//! - [`ticker`]: [`Lateness`](ticker::Lateness), how late a 1 ms ticker fires on an
//!   event loop beside each way of doing a job, round by round, drawn as histograms and
//!   judged against the floor (a job that only sleeps) by the rule of `compare`.
//! - [`growth`]: [`Growth`](growth::Growth), a load that grows (connections held at
//!   once, a thread or a task each) up to [`room_for`](growth::room_for) the machine's
//!   limits, round by round, with the verdict at the largest count every way reached;
//!   [`until_open_files`](growth::until_open_files) waits for a server to accept them.
//! - [`scaling`]: [`Scaling`](scaling::Scaling), a few figures per run (times, memory:
//!   a [`Reading`](scaling::Reading)) of several variants at growing sizes, round by
//!   round, stopping where the machine refuses; medians per unit, a chart, verdicts.
//! - [`channels`]: [`Throughput`](channels::Throughput), the cost of a message: producer
//!   and consumer threads on one channel (crossbeam, std or tokio; any capacity),
//!   released together and timed to the last message, for
//!   [`Variants::add_timed`](bench::Variants::add_timed); [`table`](channels::table) and
//!   [`chart`](channels::chart) show a bench of them per message.
//! - [`compare`](mod@compare): the [`Verdict`](compare::Verdict) on two variants timed
//!   round by round (×2.9 faster, its 95% interval, or "cannot tell apart on this
//!   machine", by one rule stated there), and the rotating order the rounds run in.
//! - [`scenarios`]: the materials of experiments: [`CpuWork`](scenarios::CpuWork), [`spin`](scenarios::spin),
//!   [`encode_frame`](scenarios::encode_frame), [`for_a_while`](scenarios::for_a_while) (threads released together, counting until told to
//!   stop; [`count_for_a_while`](scenarios::count_for_a_while) when each thread repeats one
//!   step; [`released_together`](scenarios::released_together) when each runs to its end;
//!   [`queued_behind`](scenarios::queued_behind) when all must be waiting for a lock before it opens;
//!   [`in_lockstep`](scenarios::in_lockstep) for two sides of a test started at the same moment, round after round), and thread pools ([`Pool`](scenarios::Pool)) and tokio runtimes a cell creates and drops. A
//!   job that panics on them is reported in one `lab:` line; it never aborts the kernel.
//! - [`explore`]: [`Program`](explore::Program) and [`Step`](explore::Step): tiny per-thread programs in a small step
//!   language, run under *every* schedule with exact counts per outcome (from the state
//!   graph), replays, a hand stepper, and random and PCT sampling to compare with. Split
//!   by layer: program and language, the machine, the searches, the outcomes.
//! - [`deadlock`]: [`LockWatch`](deadlock::LockWatch) and [`WatchedMutex`](deadlock::WatchedMutex): locks whose deadlocks are found
//!   (a cycle in the wait-for graph), ended within microseconds, and drawn.
//! - [`service`]: [`SlowService`](service::SlowService), a loopback server that answers after a delay, for
//!   experiments with real sockets, and its clients [`ask`](service::ask) (async) and
//!   [`ask_blocking`](service::ask_blocking) (a thread).
//! - [`capstone`]: notebook 10's workshop: a [`Site`](capstone::Site) to crawl (a loopback
//!   web server that logs every request), the crawler's pieces ([`fetch`](capstone::fetch),
//!   [`parse`](capstone::parse), [`Report`](capstone::Report)), [`within_deadline`](capstone::within_deadline)
//!   (a crawl's event loop, bounded in time, that counts the tasks left running), and
//!   [`Site::check`](capstone::Site::check), whose every rule counts what the server, the
//!   parses and the event loop saw rather than what the crawl says of itself.
//! - `export`: [`Trace::to_chrome_json`](trace::Trace::to_chrome_json) and [`Trace::save_chrome_trace`](trace::Trace::save_chrome_trace) for Perfetto.
//!
//! ## Paths
//!
//! Every item has one home, the module that defines it: `lab::record::Recorder`,
//! `lab::explore::Program`, `lab::draw::Bars`. Two conveniences, and no others:
//!
//! - [`prelude`]: `use lab::prelude::*;` brings in what the notebooks' cells use (the
//!   recorder, the charts, the benches, the explorer, the runtimes and pools), rayon's
//!   parallel iterator traits, and `Duration`/`Instant`. A name the prelude lacks is
//!   written with its module: `lab::trace::Span`, `lab::explore::Outcome`.
//! - The root holds what is not part of any one module: [`ready`] (the setup cell's
//!   check), [`Error`], [`ErrorKind`] and [`Result`] (one error type for the whole
//!   crate; `lab::Result` in a cell's signatures, never glob-imported over std's), and
//!   the crates the lessons use ([`rayon`], [`tokio`], [`crossbeam`]), so that one
//!   `:dep` line brings them all.
//!
//! ## Facts about evcxr behind the design
//!
//! - Each cell is compiled into its own library with its own copy of this crate, so a
//!   `static` here starts afresh in every cell. All state lives in values the notebook
//!   keeps in variables: a recorder is a value you create and pass around.
//! - Generic code is compiled in the cell that instantiates it. Hot generic machinery
//!   lives here, already compiled; the cell's own code stays short.
//! - The last expression of a cell is displayed through its `evcxr_display` method;
//!   every chart and report in this crate has one.

#![deny(missing_docs)]

pub mod bench;
pub mod capstone;
pub mod channels;
pub mod compare;
pub mod deadlock;
pub mod draw;
mod error;
pub mod explore;
mod export;
pub mod growth;
pub mod limits;
pub mod message;
mod pool;
pub mod rates;
pub mod record;
pub mod scaling;
pub mod scenarios;
pub mod service;
pub mod show;
pub mod sync;
pub mod ticker;
pub mod trace;
pub mod traced;

pub use error::{Error, ErrorKind, Result};

pub use crossbeam;
pub use rayon;
pub use tokio;

/// What a kernel may need to be told, one line each (empty when all is well).
///
/// `no_slot` is why this kernel has no lasting build folder (`None` when it has one),
/// `cores` how many cores the process may use. [`ready`] prints these lines.
///
/// # Examples
///
/// ```
/// assert!(lab::kernel_notes(None, 8).is_empty());
/// let slow = lab::kernel_notes(Some("all 8 build slots are busy"), 8);
/// assert!(slow[0].contains("busy") && slow[0].contains("from scratch"));
/// assert!(lab::kernel_notes(None, 1)[0].contains("one core"));
/// ```
pub fn kernel_notes(no_slot: Option<&str>, cores: usize) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(why) = no_slot {
        notes.push(format!(
            "note: {why}: this notebook compiles the helpers from scratch when it opens \
             (slower, but everything works)"
        ));
    }
    if cores < 2 {
        notes.push(
            "note: this kernel may use only one core (a container or VM limit?): \
             concurrency shows, but parallel speedups cannot"
                .to_string(),
        );
    }
    notes
}

/// The setup cell's check of the kernel it runs in: `lab::ready()?;`.
///
/// Silent when all is well; otherwise prints one line per problem (see
/// [`kernel_notes`]): a kernel without a lasting build folder (not started by the
/// project's launcher, or the launcher found no free slot, and says why), which makes
/// every notebook's first cell slower, or a kernel limited to a single core.
///
/// The setup cell calls it with `?` on purpose. The first cell of a kernel that uses
/// `?` is compiled twice by evcxr (the first try tells it that cells may return errors,
/// and that stays on for the kernel), so paying for it in the setup cell, whose code is
/// tiny, saves 0.3-0.7 s in the first lesson cell that uses `?`.
///
/// # Errors
///
/// None today: it returns a `Result` so that the setup cell can call it with `?`.
///
/// # Examples
///
/// ```
/// lab::ready().unwrap();
/// ```
pub fn ready() -> Result<()> {
    use std::env::var;
    // The launcher (tools/kernel/launcher.py) sets LAB_KERNEL, and either the slot it gave
    // (LAB_KERNEL_SLOT) or why there was none (LAB_KERNEL_NO_SLOT). A user who points
    // EVCXR_TMPDIR at a lasting folder without the launcher gets the same benefit.
    let no_slot = if var("LAB_KERNEL").is_ok() {
        var("LAB_KERNEL_NO_SLOT").ok()
    } else if var("EVCXR_TMPDIR").is_ok() {
        None
    } else {
        Some(
            "this kernel was not started by the project's launcher (run ./lab.sh setup, then \
             restart the kernel)"
                .to_string(),
        )
    };
    for note in kernel_notes(no_slot.as_deref(), scenarios::cores()) {
        println!("{note}");
    }
    Ok(())
}

/// Everything a notebook cell usually needs: `use lab::prelude::*;`.
///
/// Brings in the helpers, rayon's parallel iterator traits, and `Duration`/`Instant`.
///
/// # Examples
///
/// ```
/// use lab::prelude::*;
///
/// let rec = Recorder::new();
/// let total: u64 = (1..=10u64).into_par_iter().sum();
/// rec.lane("main").mark(format!("total = {total}"));
/// assert_eq!(rec.trace().unwrap().mark_count(), 1);
/// let _ = Duration::from_millis(1);
/// ```
pub mod prelude {
    pub use crate::bench::{
        Bench, Measurement, machine, measure, memory_grown_since, resident_memory,
    };
    pub use crate::channels::{Library, Throughput};
    pub use crate::compare::Decision;
    pub use crate::deadlock::{LockError, LockWatch, WatchedMutex, opposite_transfers};
    pub use crate::draw::{Bars, Figure, Lines, Table, Timeline};
    pub use crate::explore::{Ending, Hunt, Program, Scheduler, Step, finding};
    pub use crate::growth::{Growth, open_files_now, room_for, until_open_files};
    pub use crate::limits::{free_cores, raise_open_files, thread_limits, threads_left};
    pub use crate::message::Msg;
    pub use crate::rates::Rates;
    pub use crate::record::{Lane, Recorder};
    pub use crate::scaling::{Reading, Scaling};
    pub use crate::scenarios::{
        CpuWork, cores, count_for_a_while, current_thread_runtime, encode_frame, for_a_while,
        in_lockstep, multi_thread_runtime, queued_behind, released_together, spin, thread_pool,
    };
    pub use crate::service::{SlowService, ask, ask_blocking};
    pub use crate::show::{Folded, fmt_count, fmt_duration};
    pub use crate::sync::TracedMutex;
    pub use crate::ticker::Lateness;
    pub use crate::trace::{Kind, Latencies, Trace};
    pub use rayon::prelude::*;
    pub use std::time::{Duration, Instant};
    // The crates themselves, so cells can write `tokio::spawn`, `rayon::join`, ...
    pub use crossbeam;
    pub use rayon;
    pub use tokio;
}
