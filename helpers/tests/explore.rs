//! The explorer's verdicts come from what happened, and bad programs are refused early.
//!
//! Each test here reproduces a bug found by an independent check of the explorer: a
//! verdict that changed with a thread's name, a typo that passed silently, nested
//! `repeat` blocks that allocated until the process aborted.

use std::time::{Duration, Instant};

use lab::ErrorKind;
use lab::explore::{Ending, Program, Scheduler};

/// An outcome as (label, ending).
type Verdict = (String, Ending);

/// Every outcome of `p` under exhaustive search and under 200 random runs, so both
/// searches can be compared.
fn verdicts(p: &Program) -> (Vec<Verdict>, Vec<Verdict>) {
    let all = p.explore().unwrap();
    let runs = p.sample(Scheduler::Random, 200, 1).unwrap();
    let of = |o: &lab::explore::Outcome| (o.label().to_string(), o.ending());
    let mut a: Vec<_> = all.outcomes().iter().map(of).collect();
    let mut s: Vec<_> = runs.outcomes().iter().map(of).collect();
    a.sort();
    s.sort();
    (a, s)
}

#[test]
fn a_threads_name_never_changes_the_verdict() {
    // Unlocking a lock nobody holds is a failure, whatever the thread is called.
    let p = Program::new().thread("deadlock_demo", ["unlock m"]);
    let (all, runs) = verdicts(&p);
    let expected = vec![(
        "deadlock_demo unlocks m, which it does not hold".to_string(),
        Ending::Failed,
    )];
    assert_eq!(all, expected);
    assert_eq!(runs, expected);

    // Two threads inside one critical section is a failure, even when one is called
    // "deadlock".
    let naive = [
        "wait until flag == 0",
        "flag = 1",
        "enter cs",
        "leave cs",
        "flag = 0",
    ];
    let p = Program::new()
        .shared("flag", 0)
        .thread("deadlock", naive)
        .thread("B", naive);
    let (all, runs) = verdicts(&p);
    let both = ("deadlock and B both in cs".to_string(), Ending::Failed);
    assert!(all.contains(&both), "{all:?}");
    assert!(
        all.iter().all(|(_, e)| *e != Ending::Deadlock),
        "no deadlock here: {all:?}"
    );
    assert!(runs.iter().all(|(_, e)| *e != Ending::Deadlock), "{runs:?}");

    // And a real deadlock is one whatever the threads are called.
    let t = |a: &str, b: &str| {
        [
            format!("lock {a}"),
            format!("lock {b}"),
            format!("unlock {b}"),
            format!("unlock {a}"),
        ]
    };
    let p = Program::new()
        .thread("check failed in", t("x", "y"))
        .thread("finished", t("y", "x"));
    let all = p.explore().unwrap();
    assert_eq!(
        all.count_where(|o| o.ending() == Ending::Deadlock),
        2,
        "{all}"
    );
    assert_eq!(all.count_where(|o| o.failed()), 0, "{all}");
}

#[test]
fn a_lock_left_held_is_a_bug_by_what_happened_not_by_its_label() {
    // A variable called "ended holding" in a program that unlocks what it locks is not
    // a bug...
    let clean = Program::new().shared("ended holding", 0).thread(
        "A",
        [
            lab::explore::Step::lock("m"),
            lab::explore::Step::atomic_add("ended holding", 1),
            lab::explore::Step::unlock("m"),
        ],
    );
    let all = clean.explore().unwrap();
    assert_eq!(all.outcomes()[0].label(), "ended holding = 1");
    assert!(all.outcomes().iter().all(|o| !o.is_bug()), "{all}");
    // ...and one that forgets to unlock is, whatever it is called.
    let forgot = Program::new()
        .shared("x", 0)
        .thread("T", ["lock m", "x = 1"]);
    let all = forgot.explore().unwrap();
    assert_eq!(all.outcomes()[0].label(), "x = 1 (T ended holding m)");
    assert_eq!(all.outcomes()[0].ending(), Ending::Finished);
    assert!(all.outcomes()[0].is_bug());
}

#[test]
fn nested_repeats_are_refused_before_they_are_unrolled() {
    // 16^8 copies of one line: unrolled first, this allocated until the process aborted.
    let mut lines: Vec<&str> = vec!["repeat 16 {"; 8];
    lines.push("x = 1");
    lines.extend(["}"; 8]);
    let p = Program::new().shared("x", 0).thread("A", lines);
    let began = Instant::now();
    let err = p.explore().unwrap_err();
    assert!(began.elapsed() < Duration::from_secs(1), "{err}");
    assert_eq!(err.kind(), ErrorKind::Limit);
    // The message names the limit and what the program would have been.
    let e = err.to_string();
    assert!(e.contains("at most 64"), "{e}");
    assert!(e.contains("4 294 967 296"), "{e}");
    assert!(!e.contains('\n'), "{e}");
    // The stepper and the samplers refuse it the same way.
    assert_eq!(p.stepper().unwrap_err().kind(), ErrorKind::Limit);
    assert_eq!(
        p.sample(Scheduler::Random, 1, 0).unwrap_err().kind(),
        ErrorKind::Limit
    );
}

fn refused(lines: &[&str]) -> String {
    Program::new()
        .shared("counter", 0)
        .shared("ready", 0)
        .thread("A", lines.iter().copied())
        .explore()
        .unwrap_err()
        .to_string()
}

#[test]
fn a_typo_in_a_name_is_an_error_naming_the_nearest_shared_variable() {
    // Reading a name that is neither shared nor written earlier in the thread.
    let e = refused(&["counter = countr + 1"]);
    assert!(e.contains("\"countr\"") && e.contains("\"counter\""), "{e}");
    assert!(e.contains("thread \"A\", step 1"), "{e}");
    assert!(!e.contains('\n'), "{e}");
    let e = refused(&["x = 1", "check redy == 0"]);
    assert!(e.contains("\"redy\"") && e.contains("\"ready\""), "{e}");
    assert!(e.contains("step 2"), "{e}");
    let e = refused(&["wait until readyy == 1"]);
    assert!(e.contains("\"ready\""), "{e}");
    let e = refused(&["countr += 1"]);
    assert!(e.contains("\"counter\""), "{e}");
    // With no shared variables at all, the error says how to declare one.
    let e = Program::new()
        .thread("A", ["check ready == 0"])
        .explore()
        .unwrap_err()
        .to_string();
    assert!(e.contains(".shared(\"ready\", 0)"), "{e}");
    // Read in the other branch of an `if` than the one that writes it: still unwritten.
    let e = refused(&["if counter == 0 {", "t = 1", "} else {", "counter = t", "}"]);
    assert!(e.contains("\"t\""), "{e}");
    // Writing a local whose name is one letter off a shared variable, never reading it.
    let e = refused(&["countr = counter + 1"]);
    assert!(e.contains("\"countr\"") && e.contains("\"counter\""), "{e}");
}

#[test]
fn locals_read_after_a_write_still_work() {
    let ok = |lines: &[&str]| {
        Program::new()
            .shared("counter", 0)
            .thread("A", lines.iter().copied())
            .explore()
            .map(|all| all.outcomes()[0].label().to_string())
    };
    assert_eq!(
        ok(&["tmp = counter", "counter = tmp + 1"]).unwrap(),
        "counter = 1"
    );
    // A loop may read, in its next round, what it writes later in its body (a local
    // starts at 0): the compare-and-swap spin lock of notebook 11.
    assert_eq!(
        ok(&[
            "repeat 3 {",
            "if got == 0 {",
            "got = cas(counter, 0, 1)",
            "}",
            "}",
            "check got == 1",
        ])
        .unwrap(),
        "counter = 1"
    );
    // A local written in both branches, or before the `if`, reads fine after it.
    assert_eq!(
        ok(&[
            "if counter == 0 {",
            "t = 5",
            "} else {",
            "t = 6",
            "}",
            "counter = t"
        ])
        .unwrap(),
        "counter = 5"
    );
    // A write-only local with a name unlike any shared variable is fine (it shows in a
    // replay's table).
    assert_eq!(ok(&["seen = counter"]).unwrap(), "counter = 0");
    // The first version's steps read their one local before writing it, as before.
    let legacy = Program::new().shared("x", 1).thread(
        "A",
        [
            lab::explore::Step::add(2),
            lab::explore::Step::read("x"),
            lab::explore::Step::write("x"),
        ],
    );
    assert_eq!(legacy.explore().unwrap().outcomes()[0].label(), "x = 1");
}

#[test]
fn a_thread_of_empty_repeat_blocks_is_refused_like_an_empty_thread() {
    let e = refused(&["repeat 3 {", "}"]);
    assert!(e.contains("thread \"A\" has no steps"), "{e}");
    let e = refused(&["repeat 2 {", "repeat 4 {", "}", "}", "repeat 5 {", "}"]);
    assert!(e.contains("thread \"A\" has no steps"), "{e}");
    let e = Program::new()
        .shared("x", 0)
        .thread("A", ["x = 1"])
        .thread("B", ["repeat 3 {", "}"])
        .stepper()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Empty);
    assert!(e.message().starts_with("thread \"B\" has no steps"), "{e}");
}
