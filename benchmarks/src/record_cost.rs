//! What recording costs, side by side in one run: figures, not gates.
//!
//! Per event, on one thread and on two threads at once:
//! - a bare `Instant::now()` (the floor: every recorded event reads the clock once);
//! - `lab`: `Lane::mark` (one clock read and a push into the lane's own buffer);
//! - `tracing` with a Chrome-trace layer (`tracing-chrome`), the usual Rust route to a
//!   Perfetto trace: `tracing::info!` events into a file.
//!
//! Targets (issue 2): lab ≤ 1.5× a bare clock read; 2 threads ≤ 1.25× one thread;
//! lab ≥ 10× cheaper than tracing. The program prints the ratios; it does not fail on them.
//!
//! `cargo run --release -p lab-benchmarks --bin record_cost [-- events_per_thread]`

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use lab::{record::Recorder, trace::Kind};
use tracing_subscriber::prelude::*;

/// Runs `per_thread(events)` on `threads` threads started together; returns ns per event
/// (the slowest thread's time over its events: what a learner's trace would cost).
fn per_event(threads: usize, events: u64, per_thread: impl Fn(u64) + Sync) -> f64 {
    let barrier = Barrier::new(threads);
    let slowest = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let t = Instant::now();
                    per_thread(events);
                    t.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("benchmark thread"))
            .max()
            .unwrap_or(Duration::ZERO)
    });
    slowest.as_nanos() as f64 / events as f64
}

/// The median of `reps` runs of `f`.
fn median(reps: usize, mut f: impl FnMut() -> f64) -> f64 {
    let mut v: Vec<f64> = (0..reps).map(|_| f()).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn bare_clock(events: u64) {
    for _ in 0..events {
        black_box(Instant::now());
    }
}

fn lab_marks(rec: &Recorder, events: u64) {
    let mut lane = rec.thread_lane();
    for _ in 0..events {
        lane.mark("e");
    }
}

fn lab_spans(rec: &Recorder, events: u64) {
    let mut lane = rec.thread_lane();
    for _ in 0..events {
        // A span reads the clock twice (start and end): compare with 2 bare reads.
        lane.span(Kind::Compute, "s", || black_box(0));
    }
}

fn tracing_events(events: u64) {
    for i in 0..events {
        tracing::info!(i, "e");
    }
}

fn main() {
    let events: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let tracing_events_n = events / 10; // tracing is slow and writes a file: fewer events
    let reps = 7;
    let dir = std::env::temp_dir().join(format!("lab-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (chrome, _guard) = tracing_chrome::ChromeLayerBuilder::new()
        .file(dir.join("trace.json"))
        .include_args(true)
        .build();
    tracing_subscriber::registry().with(chrome).init();

    println!("cost per recorded event, median of {reps} runs ({events} events per thread)");
    println!("machine: {}", lab::bench::machine().one_line());
    println!();
    println!(
        "{:<34} {:>10} {:>10} {:>12}",
        "", "1 thread", "2 threads", "2t / 1t"
    );
    let mut rows = Vec::new();
    for threads in [1, 2] {
        let clock = median(reps, || per_event(threads, events, bare_clock));
        let marks = median(reps, || {
            let rec = Recorder::new();
            per_event(threads, events, |n| lab_marks(&rec, n))
        });
        let spans = median(reps, || {
            let rec = Recorder::new();
            per_event(threads, events, |n| lab_spans(&rec, n))
        });
        let trace = median(3, || per_event(threads, tracing_events_n, tracing_events));
        rows.push((clock, marks, spans, trace));
    }
    let line = |name: &str, a: f64, b: f64| {
        println!("{name:<34} {a:>8.1}ns {b:>8.1}ns {:>11.2}×", b / a);
    };
    line("bare Instant::now()", rows[0].0, rows[1].0);
    line("lab Lane::mark", rows[0].1, rows[1].1);
    line("lab Lane::span (2 clock reads)", rows[0].2, rows[1].2);
    line("tracing + tracing-chrome event", rows[0].3, rows[1].3);
    println!();
    for (t, (clock, marks, spans, trace)) in [1, 2].iter().zip(&rows) {
        println!(
            "{t} thread(s): mark = {:.2}× a clock read (target ≤ 1.5); span = {:.2}× two reads; \
             tracing = {:.1}× a mark (target ≥ 10)",
            marks / clock,
            spans / (2.0 * clock),
            trace / marks
        );
    }
    // On a shared machine the second core can itself be slower (the bare clock read
    // shows it), so also give the ratio with the clock's own change divided out.
    println!(
        "two threads at once vs one: mark {:.2}× (target ≤ 1.25); {:.2}× after dividing out \
         the bare clock's own change ({:.2}×)",
        rows[1].1 / rows[0].1,
        (rows[1].1 / rows[1].0) / (rows[0].1 / rows[0].0),
        rows[1].0 / rows[0].0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
