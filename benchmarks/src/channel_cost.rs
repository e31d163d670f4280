//! What a traced channel costs, side by side with the untraced one in one run: figures,
//! not gates.
//!
//! Per message (one send and its receive), for each library and capacity:
//! - `plain`: the original channel (crossbeam, `std::sync::mpsc`, tokio);
//! - `traced, no lane`: `lab::traced`'s channel where no lane is current (the wrapper
//!   alone: the envelope, and a look at the thread-local);
//! - `traced, recording`: both ends on a lane, every send and receive recorded (the label
//!   is the value's `Debug`, formatted on every send; one row gives the channel a fixed
//!   label instead, to show what that formatting costs).
//!
//! Threads: one producer and one consumer, released together by a barrier; the time runs
//! from the release until both are done (thread start not timed; the lanes' hand-over at
//! the end is). Tokio: a producer task and a consumer task on a current-thread runtime
//! (the channel's own cost, no cross-thread wake-ups), and a oneshot made, sent and
//! awaited per message. Median of interleaved rounds, and the ratio of the fastest rounds
//! (a rendezvous is a thread hand-off: microseconds, and several-fold noisy on a loaded VM).
//!
//! `cargo run --profile notebook -p lab-benchmarks --bin channel_cost [-- scale]`
//! (`scale` multiplies the message counts; 1 by default).

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use lab::record::{Lane, Recorder};
use lab::{crossbeam, tokio, traced};

/// Runs `send` and `recv` on two threads released together (on the lanes, if given);
/// returns the time from the first one's start until the last one's end (each thread
/// reads the clock itself: the main thread may be descheduled after the release).
fn two_threads(
    lanes: Option<(Lane, Lane)>,
    send: impl FnOnce() + Send,
    recv: impl FnOnce() + Send,
) -> Duration {
    let barrier = Barrier::new(2);
    type Work<'a> = Box<dyn FnOnce() + Send + 'a>;
    let timed = |b: &Barrier, f: Work| {
        b.wait();
        let t = Instant::now();
        f();
        (t, Instant::now())
    };
    let ((s1, e1), (s2, e2)) = std::thread::scope(|s| {
        let b = &barrier;
        let (send, recv): (Work, Work) = (Box::new(send), Box::new(recv));
        let (h1, h2) = match lanes {
            Some((a, c)) => (
                traced::spawn_scoped(s, a, move || timed(b, send)),
                traced::spawn_scoped(s, c, move || timed(b, recv)),
            ),
            None => (
                s.spawn(move || timed(b, send)),
                s.spawn(move || timed(b, recv)),
            ),
        };
        (h1.join().expect("sender"), h2.join().expect("receiver"))
    });
    e1.max(e2) - s1.min(s2)
}

fn lanes(rec: &Recorder, on: bool) -> Option<(Lane, Lane)> {
    on.then(|| (rec.lane("producer"), rec.lane("consumer")))
}

#[derive(Clone, Copy, Debug)]
enum Lib {
    Crossbeam,
    /// crossbeam, traced with a fixed label (no `Debug` formatting per message).
    CrossbeamFixed,
    Std,
    Tokio,
    Oneshot,
}

#[derive(Clone, Copy, Debug)]
enum Variant {
    Plain,
    NoLane,
    Recording,
}

/// One timed round: ns per message.
fn round(lib: Lib, cap: Option<usize>, n: u64, variant: Variant) -> f64 {
    let rec = Recorder::new();
    let recording = matches!(variant, Variant::Recording);
    let took = match (lib, variant) {
        (Lib::Crossbeam | Lib::CrossbeamFixed, Variant::Plain) => {
            let (tx, rx) = match cap {
                Some(c) => crossbeam::channel::bounded(c),
                None => crossbeam::channel::unbounded(),
            };
            two_threads(
                None,
                move || (0..n).for_each(|i| tx.send(i).unwrap()),
                move || {
                    (0..n).for_each(|_| {
                        black_box(rx.recv().unwrap());
                    })
                },
            )
        }
        (Lib::Crossbeam | Lib::CrossbeamFixed, _) => {
            let (tx, rx) = match (cap, matches!(lib, Lib::CrossbeamFixed)) {
                (Some(c), false) => traced::crossbeam::bounded(c),
                (None, false) => traced::crossbeam::unbounded(),
                (Some(c), true) => traced::crossbeam::bounded_labelled(c, |_: &u64| "m"),
                (None, true) => traced::crossbeam::unbounded_labelled(|_: &u64| "m"),
            };
            two_threads(
                lanes(&rec, recording),
                move || (0..n).for_each(|i| tx.send(i).unwrap()),
                move || {
                    (0..n).for_each(|_| {
                        black_box(rx.recv().unwrap());
                    })
                },
            )
        }
        (Lib::Std, Variant::Plain) => match cap {
            Some(c) => {
                let (tx, rx) = std::sync::mpsc::sync_channel(c);
                two_threads(
                    None,
                    move || (0..n).for_each(|i| tx.send(i).unwrap()),
                    move || {
                        (0..n).for_each(|_| {
                            black_box(rx.recv().unwrap());
                        })
                    },
                )
            }
            None => {
                let (tx, rx) = std::sync::mpsc::channel();
                two_threads(
                    None,
                    move || (0..n).for_each(|i| tx.send(i).unwrap()),
                    move || {
                        (0..n).for_each(|_| {
                            black_box(rx.recv().unwrap());
                        })
                    },
                )
            }
        },
        (Lib::Std, _) => match cap {
            Some(c) => {
                let (tx, rx) = traced::mpsc::sync_channel(c);
                two_threads(
                    lanes(&rec, recording),
                    move || (0..n).for_each(|i| tx.send(i).unwrap()),
                    move || {
                        (0..n).for_each(|_| {
                            black_box(rx.recv().unwrap());
                        })
                    },
                )
            }
            None => {
                let (tx, rx) = traced::mpsc::channel();
                two_threads(
                    lanes(&rec, recording),
                    move || (0..n).for_each(|i| tx.send(i).unwrap()),
                    move || {
                        (0..n).for_each(|_| {
                            black_box(rx.recv().unwrap());
                        })
                    },
                )
            }
        },
        (Lib::Tokio, v) => tokio_round(&rec, cap, n, v),
        (Lib::Oneshot, v) => oneshot_round(&rec, n, v),
    };
    if recording {
        let trace = rec.trace().expect("a recording");
        assert_eq!(trace.messages().len() as u64, n, "every message recorded");
    }
    took.as_nanos() as f64 / n as f64
}

fn tokio_round(rec: &Recorder, cap: Option<usize>, n: u64, variant: Variant) -> Duration {
    let rt = lab::scenarios::current_thread_runtime().expect("a runtime");
    rt.block_on(async {
        let t = Instant::now();
        match (variant, cap) {
            (Variant::Plain, Some(c)) => {
                let (tx, mut rx) = tokio::sync::mpsc::channel(c);
                let p = tokio::spawn(async move {
                    for i in 0..n {
                        tx.send(i).await.unwrap();
                    }
                });
                let c = tokio::spawn(async move { while black_box(rx.recv().await).is_some() {} });
                p.await.unwrap();
                c.await.unwrap();
            }
            (Variant::Plain, None) => {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                let p = tokio::spawn(async move { (0..n).for_each(|i| tx.send(i).unwrap()) });
                let c = tokio::spawn(async move { while black_box(rx.recv().await).is_some() {} });
                p.await.unwrap();
                c.await.unwrap();
            }
            (v, cap) => {
                let on = matches!(v, Variant::Recording);
                let spawn = |name: &str, f| {
                    if on {
                        traced::tokio::spawn(rec.lane(name.to_string()), f)
                    } else {
                        tokio::spawn(f)
                    }
                };
                let (p, c) = match cap {
                    Some(c) => {
                        let (tx, mut rx) = traced::tokio::mpsc::channel(c);
                        let producer: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> =
                            Box::pin(async move {
                                for i in 0..n {
                                    tx.send(i).await.unwrap();
                                }
                            });
                        let consumer: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> =
                            Box::pin(async move { while black_box(rx.recv().await).is_some() {} });
                        (spawn("producer", producer), spawn("consumer", consumer))
                    }
                    None => {
                        let (tx, mut rx) = traced::tokio::mpsc::unbounded_channel();
                        let producer: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> =
                            Box::pin(async move { (0..n).for_each(|i| tx.send(i).unwrap()) });
                        let consumer: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> =
                            Box::pin(async move { while black_box(rx.recv().await).is_some() {} });
                        (spawn("producer", producer), spawn("consumer", consumer))
                    }
                };
                p.await.unwrap();
                c.await.unwrap();
            }
        }
        t.elapsed()
    })
}

fn oneshot_round(rec: &Recorder, n: u64, variant: Variant) -> Duration {
    let rt = lab::scenarios::current_thread_runtime().expect("a runtime");
    let work = async move {
        let t = Instant::now();
        for i in 0..n {
            match variant {
                Variant::Plain => {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    tx.send(i).unwrap();
                    black_box(rx.await.unwrap());
                }
                _ => {
                    let (tx, rx) = traced::tokio::oneshot::channel();
                    tx.send(i).unwrap();
                    black_box(rx.await.unwrap());
                }
            }
        }
        t.elapsed()
    };
    match variant {
        Variant::Recording => rt.block_on(traced::instrument(rec.lane("task"), work)),
        _ => rt.block_on(work),
    }
}

/// The median and the fastest of `v`.
fn median(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0])
}

fn main() {
    let scale: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1)
        .max(1);
    let rounds = 7;
    let cases: Vec<(Lib, Option<usize>, &str, u64)> = vec![
        (Lib::Crossbeam, Some(0), "bounded(0)", 2_000),
        (Lib::Crossbeam, Some(1), "bounded(1)", 2_000),
        (Lib::Crossbeam, Some(1024), "bounded(1024)", 100_000),
        (Lib::Crossbeam, None, "unbounded()", 100_000),
        (
            Lib::CrossbeamFixed,
            None,
            "unbounded_labelled(\"m\")",
            100_000,
        ),
        (Lib::Std, Some(0), "sync_channel(0)", 2_000),
        (Lib::Std, Some(1), "sync_channel(1)", 2_000),
        (Lib::Std, Some(1024), "sync_channel(1024)", 100_000),
        (Lib::Std, None, "channel()", 100_000),
        (Lib::Tokio, Some(1), "mpsc::channel(1)", 100_000),
        (Lib::Tokio, Some(1024), "mpsc::channel(1024)", 100_000),
        (Lib::Tokio, None, "mpsc::unbounded_channel()", 100_000),
        (Lib::Oneshot, None, "oneshot::channel()", 100_000),
    ];
    println!(
        "ns per message (send + receive), median of {rounds} interleaved rounds; scale {scale}"
    );
    println!("machine: {}", lab::bench::machine().one_line());
    println!();
    let header = [
        "library",
        "channel",
        "messages",
        "plain",
        "traced, no lane",
        "traced, recording",
        "recording ×",
        "× (fastest)",
    ];
    println!("| {} |", header.join(" | "));
    println!("|---|---|--:|--:|--:|--:|--:|--:|");
    for (lib, cap, name, n) in cases {
        let n = n * scale;
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        for r in 0..rounds {
            // Rotate the order, so no variant always runs first.
            for k in 0..3 {
                let v = (r + k) % 3;
                let variant = [Variant::Plain, Variant::NoLane, Variant::Recording][v];
                times[v].push(round(lib, cap, n, variant));
            }
        }
        let [(plain, plain_min), (bare, _), (rec, rec_min)] = times.map(median);
        let library = match lib {
            Lib::Crossbeam | Lib::CrossbeamFixed => "crossbeam",
            Lib::Std => "std mpsc",
            Lib::Tokio | Lib::Oneshot => "tokio",
        };
        println!(
            "| {library:<10} | {name:<26} | {n:>8} | {plain:>8.0} | {bare:>15.0} | {rec:>17.0} | {:>10.2}× | {:>12.2}× |",
            rec / plain,
            rec_min / plain_min
        );
    }
}
