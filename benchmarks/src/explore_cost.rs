//! What exact schedule counting costs: the explorer's figures for BENCHMARKS.md.
//!
//! `cargo run --release -p lab-benchmarks --bin explore_cost` (and with
//! `--profile notebook` for evcxr's level: opt-level 2 with debug assertions).
//! Prints the median of several runs of each program; a figure, not a gate.

use std::time::{Duration, Instant};

use lab::explore::{Program, Scheduler, Step};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(runs: usize, f: impl Fn() -> u64) -> (Duration, u64) {
    let mut answer = 0;
    let times = (0..runs)
        .map(|_| {
            let t = Instant::now();
            answer = f();
            t.elapsed()
        })
        .collect();
    (median(times), answer)
}

fn main() {
    let three_by_four = {
        let t = |n| {
            [
                Step::read("x"),
                Step::add(n),
                Step::add(0),
                Step::write("x"),
            ]
        };
        Program::new()
            .shared("x", 0)
            .thread("A", t(1))
            .thread("B", t(2))
            .thread("C", t(4))
    };
    let four_by_six = {
        let t = |n: i64| {
            vec![
                "a = x".to_string(),
                format!("a = a + {n}"),
                "x = a".into(),
                "b = y".into(),
                "b = b + 1".into(),
                "y = b".into(),
            ]
        };
        Program::new()
            .shared("x", 0)
            .shared("y", 0)
            .thread("A", t(1))
            .thread("B", t(2))
            .thread("C", t(4))
            .thread("D", t(8))
    };
    let build = if cfg!(debug_assertions) {
        "notebook profile (evcxr's: opt-level 2, debug assertions)"
    } else {
        "release profile"
    };
    println!("explorer, {build}; {}", lab::bench::machine().one_line());
    for (name, program, runs) in [
        ("3 threads × 4 steps", &three_by_four, 21),
        ("4 threads × 6 steps", &four_by_six, 5),
    ] {
        let (took, schedules) = time(runs, || program.explore().unwrap().schedules());
        let states = program.explore().unwrap().states();
        println!(
            "  {name}: {schedules} schedules, {states} states, median {took:.2?} of {runs} runs"
        );
    }
    let (took, runs) = time(5, || {
        four_by_six
            .sample(Scheduler::Pct { depth: 2 }, 10_000, 1)
            .unwrap()
            .runs() as u64
    });
    println!("  4 threads × 6 steps, {runs} PCT runs: median {took:.2?}");
}
