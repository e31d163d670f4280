//! Parallel scaling of the video-encoding workload on this machine: the speedup of
//! `encode_frame` over rayon pools of 1, 2, 4, ... threads, printed as a table.
//!
//! `cargo run --release -p lab --example scaling -- [frames] [max_threads]`

use lab::prelude::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let frames: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(96);
    let max: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(2 * cores());
    let mut threads = vec![1usize];
    while threads[threads.len() - 1] * 2 <= max {
        let next = threads[threads.len() - 1] * 2;
        threads.push(next);
    }
    if !threads.contains(&cores()) && cores() <= max {
        threads.push(cores());
        threads.sort();
    }
    let pools: Vec<_> = threads
        .iter()
        .map(|&n| thread_pool(n).expect("thread count checked above"))
        .collect();
    // Every thread count once per round, so a slow moment hits them all alike.
    let bench =
        Bench::new(format!("encode {frames} frames"))
            .reps(5)
            .sweep(&threads, "threads", |&n| {
                let pool = &pools[threads.iter().position(|&t| t == n).unwrap()];
                pool.install(|| {
                    (0..frames)
                        .into_par_iter()
                        .map(encode_frame)
                        .collect::<Vec<u64>>()
                })
            });
    println!("{bench}");
    println!("threads  speedup  efficiency");
    for (n, s) in threads
        .iter()
        .zip(bench.speedups().expect("measured above"))
    {
        println!(
            "{n:>7}  {s:>7.2}  {:>9.0}%",
            100.0 * s / (*n).min(cores()) as f64
        );
    }
}
