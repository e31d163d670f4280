//! A job that panics on a pool or runtime from `lab` must not take the process down.
//!
//! Rayon aborts the process when a spawned job panics and the pool has no panic handler:
//! if `lab`'s pool lost its handler, this test binary would die (SIGABRT), which is how
//! these tests fail. What a learner sees on stderr is checked in a child process (this
//! same binary, re-run with `LAB_PANIC_CHILD` set), where stderr can be read whole.

use std::panic::AssertUnwindSafe;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lab::prelude::*;

/// Waits (at most 10 s) until `pool` has recorded `n` panics of spawned jobs.
fn wait_for_panics(pool: &lab::scenarios::Pool, n: usize) {
    let start = Instant::now();
    while pool.panics() < n {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the panic was never recorded"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_panicking_spawned_job_is_reported_and_the_pool_keeps_working() {
    let pool = thread_pool(2).unwrap();
    pool.spawn(|| panic!("boom in a job"));
    wait_for_panics(&pool, 1);
    let err = pool.check().unwrap_err();
    assert_eq!(err.kind(), lab::ErrorKind::Panicked);
    let err = err.to_string();
    assert!(
        err.starts_with("lab: a job spawned on the rayon pool panicked"),
        "{err}"
    );
    assert!(
        err.contains("boom in a job") && err.contains("worker "),
        "{err}"
    );
    assert!(!err.contains('\n'));
    assert!(pool.check().is_ok(), "a panic is reported once");

    // The pool still runs jobs: spawned, installed and parallel.
    let (tx, rx) = mpsc::channel();
    pool.spawn(move || tx.send(7).unwrap());
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(7));
    let sum: u64 = pool.install(|| (1..=100u64).into_par_iter().sum());
    assert_eq!(sum, 5050);
    assert_eq!(pool.current_num_threads(), 2);
}

#[test]
fn every_kind_of_spawn_is_caught_and_counted() {
    let pool = thread_pool(2).unwrap();
    pool.spawn(|| panic!("first"));
    pool.spawn_fifo(|| panic!("second"));
    pool.spawn_broadcast(|_| panic!("everyone"));
    wait_for_panics(&pool, 4); // two jobs, then one per thread
    let err = pool.check().unwrap_err().to_string();
    assert!(
        err.contains("4 jobs spawned on the rayon pool panicked"),
        "{err}"
    );
    assert_eq!(pool.install(|| 1 + 1), 2);
}

#[test]
fn panics_rayon_can_hand_back_go_to_the_caller_not_to_check() {
    let pool = thread_pool(2).unwrap();
    let caught = |f: &dyn Fn()| std::panic::catch_unwind(AssertUnwindSafe(f)).is_err();
    assert!(caught(&|| pool.install(|| panic!("in install"))));
    assert!(caught(&|| pool.scope(|s| s.spawn(|_| panic!("in scope")))));
    assert!(caught(&|| {
        pool.install(|| (0..100).into_par_iter().for_each(|i| assert!(i < 50)));
    }));
    assert!(pool.check().is_ok(), "the caller got these panics already");
    assert_eq!(pool.install(|| 6 * 7), 42);
}

#[test]
fn a_pool_from_lab_is_a_rayon_pool() {
    fn threads(pool: &rayon::ThreadPool) -> usize {
        pool.current_num_threads()
    }
    let pool = thread_pool(3).unwrap();
    assert_eq!(threads(&pool), 3); // deref coercion, as notebook functions use it
    assert_eq!(format!("{pool:?}"), "Pool { threads: 3, panics: 0 }");
}

#[test]
fn a_panicking_tokio_task_stops_nothing() {
    let many = multi_thread_runtime(2).unwrap();
    let one = current_thread_runtime().unwrap();
    for rt in [&many, &one] {
        let failed = rt.block_on(async { tokio::spawn(async { panic!("task") }).await });
        assert!(failed.unwrap_err().is_panic());
        let blocking = rt.block_on(async { tokio::task::spawn_blocking(|| panic!("b")).await });
        assert!(blocking.unwrap_err().is_panic());
        let fine = rt.block_on(async { tokio::spawn(async { 5 }).await });
        assert_eq!(fine.unwrap(), 5);
    }
}

/// Runs in the child process only: what a learner's cell would do.
#[test]
fn child_panics_on_purpose() {
    if std::env::var_os("LAB_PANIC_CHILD").is_none() {
        return;
    }
    let pool = thread_pool(2).unwrap();
    pool.spawn(|| panic!("boom"));
    wait_for_panics(&pool, 1);
    let rt = multi_thread_runtime(1).unwrap();
    let failed = rt.block_on(async { tokio::spawn(async { panic!("task boom") }).await });
    assert!(failed.unwrap_err().is_panic());
    // A parallel iterator that fails on many items, on many threads: one line.
    let many = thread_pool(2).unwrap();
    let failed = std::panic::catch_unwind(AssertUnwindSafe(|| {
        many.install(|| {
            (0..1000)
                .into_par_iter()
                .for_each(|i| assert!(i < 10, "item {i}"))
        });
    }));
    assert!(failed.is_err());
    // A panic on any other thread still gets Rust's own message.
    assert!(std::thread::spawn(|| panic!("plain")).join().is_err());
    assert!(pool.check().is_err());
}

#[test]
fn a_learner_sees_one_line_per_panic_and_no_backtrace() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_panics_on_purpose",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LAB_PANIC_CHILD", "1")
        .env("RUST_BACKTRACE", "1") // as in evcxr
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the child failed: {stderr}");
    let lab_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("lab:")).collect();
    assert_eq!(lab_lines.len(), 3, "{stderr}");
    assert_eq!(
        lab_lines.iter().filter(|l| l.contains(": item ")).count(),
        1
    );
    let job = lab_lines.iter().find(|l| l.contains("boom")).unwrap();
    assert!(job.starts_with("lab: a job on rayon pool worker "), "{job}");
    assert!(job.contains(" (of 2) panicked at "), "{job}");
    assert!(
        job.ends_with(": boom (the kernel keeps running; fix the job and run the cell again)"),
        "{job}"
    );
    let task = lab_lines.iter().find(|l| l.contains("task boom")).unwrap();
    assert!(
        task.starts_with("lab: a task on the tokio runtime panicked at "),
        "{task}"
    );
    // The other thread's panic went to Rust's own hook, backtrace and all; ours did not.
    assert!(
        stderr.contains("panicked at") && stderr.contains("plain"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("stack backtrace:").count(), 1, "{stderr}");
}
