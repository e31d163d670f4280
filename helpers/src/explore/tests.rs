//! Tests of the explorer through its public API.

use super::*;

/// Every outcome's label with its count, most frequent first.
fn labels(all: &Exploration) -> Vec<(String, u64)> {
    let of = |o: &Outcome| (o.label().to_string(), o.schedules());
    all.outcomes().iter().map(of).collect()
}

/// What a cell shows for a replay, as text.
fn lab_summary(run: &Replay) -> String {
    crate::show::Show::summary(run)
}

fn rmw(var: &str, n: i64) -> [Step; 3] {
    [Step::read(var), Step::add(n), Step::write(var)]
}

#[test]
fn two_threads_of_three_steps_have_twenty_schedules() {
    let p = Program::new()
        .shared("balance", 1000)
        .thread("A", rmw("balance", 500))
        .thread("B", rmw("balance", -200));
    let all = p.explore().unwrap();
    assert_eq!(all.schedules(), 20);
    let total: u64 = all.outcomes().iter().map(|o| o.schedules()).sum();
    assert_eq!(total, 20);
    assert_eq!(all.count("balance = 1300").unwrap(), 2);
    assert_eq!(all.count("balance = 1500").unwrap(), 9);
    assert_eq!(all.count("balance = 800").unwrap(), 9);
}

#[test]
fn a_lock_around_the_update_leaves_one_outcome() {
    let locked = |n| {
        [
            Step::lock("m"),
            Step::read("balance"),
            Step::add(n),
            Step::write("balance"),
            Step::unlock("m"),
        ]
    };
    let p = Program::new()
        .shared("balance", 1000)
        .thread("A", locked(500))
        .thread("B", locked(-200));
    let all = p.explore().unwrap();
    assert_eq!(labels(&all), vec![("balance = 1300".to_string(), 2)]);
}

#[test]
fn three_threads_of_four_steps_within_a_second() {
    let t = |n| {
        [
            Step::read("x"),
            Step::add(n),
            Step::add(0),
            Step::write("x"),
        ]
    };
    let p = Program::new()
        .shared("x", 0)
        .thread("A", t(1))
        .thread("B", t(2))
        .thread("C", t(4));
    let all = p.explore().unwrap();
    assert_eq!(all.schedules(), 34_650);
    // Correct total only when the three updates do not overlap at all: 3! orders.
    assert_eq!(all.count("x = 7").unwrap(), 6);
}

#[test]
fn opposite_lock_orders_can_deadlock_and_ordered_ones_cannot() {
    let t = |a: &str, b: &str| {
        [
            Step::lock(a),
            Step::lock(b),
            Step::unlock(b),
            Step::unlock(a),
        ]
    };
    let opposite = Program::new()
        .thread("A", t("x", "y"))
        .thread("B", t("y", "x"));
    let all = opposite.explore().unwrap();
    // A takes x and B takes y (in either order): the only deadlocking prefixes.
    assert_eq!(
        all.deadlocks(),
        vec![("deadlock (A, B stuck)".to_string(), 2)]
    );
    let ordered = Program::new()
        .thread("A", t("x", "y"))
        .thread("B", t("x", "y"));
    assert!(ordered.explore().unwrap().deadlocks().is_empty());
}

#[test]
fn the_stepper_explains_what_it_refuses() {
    let p = Program::new()
        .shared("x", 0)
        .thread("A", [Step::lock("m"), Step::unlock("m")])
        .thread("B", [Step::lock("m"), Step::unlock("m")]);
    let mut s = p.stepper().unwrap();
    s.step("A").unwrap();
    let err = s.step("B").unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Misuse);
    // The message says why B cannot move.
    assert!(
        err.message().contains("waiting") && err.message().contains("\"A\" holds"),
        "{err}"
    );
    assert_eq!(s.step("C").unwrap_err().kind(), crate::ErrorKind::NotFound);
    assert_eq!(s.can_move(), vec!["A".to_string()]);
}

#[test]
fn bad_programs_get_one_line_errors() {
    let undeclared = Program::new().thread("A", [Step::read("nope")]);
    assert_eq!(
        undeclared.explore().unwrap_err().kind(),
        crate::ErrorKind::BadInput
    );
    let empty = Program::new()
        .shared("x", 0)
        .thread("A", Vec::<Step>::new());
    assert_eq!(empty.explore().unwrap_err().kind(), crate::ErrorKind::Empty);
    let twice = Program::new().thread("A", [Step::lock("m"), Step::lock("m")]);
    // Locking a lock you hold is not a bad program but a deadlock of one thread.
    assert_eq!(
        twice.explore().unwrap().deadlocks(),
        vec![("deadlock (A locks m twice)".to_string(), 1)]
    );
}

#[test]
fn outcomes_say_what_happened_not_just_deadlock() {
    // No shared variables: every schedule simply finishes.
    let locks = Program::new()
        .thread("A", [Step::lock("m"), Step::unlock("m")])
        .thread("B", [Step::lock("m"), Step::unlock("m")]);
    assert_eq!(
        labels(&locks.explore().unwrap()),
        vec![("finished".to_string(), 2)]
    );

    // A replay that stops while threads can still move is unfinished, not deadlocked.
    let race = Program::new()
        .shared("x", 0)
        .thread("A", rmw("x", 1))
        .thread("B", rmw("x", 2));
    let early = race.replay(["A", "B"]).unwrap();
    assert_eq!(early.outcome(), "unfinished: x = 0");

    // A thread that ends holding a lock strands the others: named as that, and no
    // deadlock is counted.
    let forgot = Program::new()
        .shared("x", 0)
        .thread("A", [Step::lock("m"), Step::atomic_add("x", 1)])
        .thread(
            "B",
            [Step::lock("m"), Step::atomic_add("x", 2), Step::unlock("m")],
        );
    let all = forgot.explore().unwrap();
    assert!(all.deadlocks().is_empty(), "{all}");
    assert_eq!(
        all.count("stuck: B waits for m, which A ended holding")
            .unwrap(),
        1,
        "{all}"
    );
    assert_eq!(all.count("x = 3 (A ended holding m)").unwrap(), 1, "{all}");
    assert_eq!(all.count("x = 4").unwrap(), 0, "well-formed, never reached");
    let typo = all.count("x=3").unwrap_err().to_string();
    assert!(typo.contains("x = 3 (A ended holding m)"), "{typo}");
}

#[test]
fn four_threads_of_six_steps_are_counted_exactly() {
    let t = |n: i64| {
        [
            "a = x".to_string(),
            format!("a = a + {n}"),
            "x = a".into(),
            "b = y".into(),
            "b = b + 1".into(),
            "y = b".into(),
        ]
    };
    let p = Program::new()
        .shared("x", 0)
        .shared("y", 0)
        .thread("A", t(1))
        .thread("B", t(2))
        .thread("C", t(4))
        .thread("D", t(8));
    let all = p.explore().unwrap();
    // 24! / (6!)^4 orders of 24 steps, 6 per thread.
    assert_eq!(all.schedules(), 2_308_743_493_056);
    let total: u64 = all.outcomes().iter().map(|o| o.schedules()).sum();
    assert_eq!(total, all.schedules());
    // Every outcome reachable is counted: both counters from 1 (three lost) to 4 (none).
    for y in 1..=4 {
        assert!(all.count_where(|o| o.value("y") == Some(y)) > 0, "y = {y}");
    }
    assert_eq!(
        all.count_where(|o| o.value("x") == Some(15)),
        all.count_where(|o| o.value("x") == Some(15) && o.ending() == Ending::Finished)
    );
}

#[test]
fn a_program_too_big_to_hold_is_refused_with_its_estimate() {
    let steps: Vec<String> = (0..12).map(|i| format!("x = {i}")).collect();
    let mut p = Program::new().shared("x", 0);
    for t in 0..8 {
        p = p.thread(&format!("T{t}"), steps.clone());
    }
    let e = p.explore().unwrap_err().to_string();
    assert!(e.contains("815 730 721 combinations"), "{e}");
    assert!(e.contains("Program::sample"), "{e}");
    // The same program can still be sampled.
    assert_eq!(p.sample(Scheduler::Random, 10, 1).unwrap().runs(), 10);
}

#[test]
fn every_step_kind_does_what_it_says() {
    let one = |lines: &[&str]| {
        let p = Program::new()
            .shared("x", 0)
            .shared("s", 1)
            .thread("A", lines.iter().copied());
        let all = p.explore().unwrap();
        assert_eq!(all.outcomes().len(), 1, "{all}");
        all.outcomes()[0].clone()
    };
    assert_eq!(one(&["x = 2 * (3 + 4) - 10 / 3 % 2"]).value("x"), Some(13));
    assert_eq!(one(&["x += 5", "x -= 2"]).value("x"), Some(3));
    assert_eq!(
        one(&["x = !(1 < 2) || (3 >= 3 && 2 != 2)"]).value("x"),
        Some(0)
    );
    assert_eq!(one(&["x = -x - 1"]).value("x"), Some(-1));
    assert_eq!(
        one(&["ok = try_lock m", "x = ok", "unlock m"]).value("x"),
        Some(1)
    );
    assert_eq!(
        one(&[
            "ok = cas(x, 0, 7)",
            "again = cas(x, 0, 9)",
            "s = ok + again"
        ])
        .values(),
        &[("x".to_string(), 7), ("s".to_string(), 1)]
    );
    assert_eq!(
        one(&["acquire s", "x = s", "release s"]).values(),
        &[("x".to_string(), 0), ("s".to_string(), 1)]
    );
    assert_eq!(
        one(&["if x == 0 {", "x = 1", "} else {", "x = 2", "}"]).value("x"),
        Some(1)
    );
    assert_eq!(
        one(&["x = 5", "if x == 0 {", "x = 1", "} else {", "x = 2", "}"]).value("x"),
        Some(2)
    );
    assert_eq!(one(&["repeat 3 {", "x += 2", "}"]).value("x"), Some(6));
    assert_eq!(one(&["wait until x == 0", "x = 1"]).value("x"), Some(1));
    assert_eq!(
        one(&["enter cs", "x = 1", "leave cs"]).label(),
        "x = 1, s = 1"
    );
    let failed = one(&["x = 3", "check x == 2"]);
    assert_eq!(
        (failed.label(), failed.ending()),
        ("check failed in A: x == 2", Ending::Failed)
    );
    assert_eq!(one(&["x = 1 / x"]).label(), "A divides by zero: x = 1 / x");
    assert_eq!(
        one(&["unlock m"]).label(),
        "A unlocks m, which it does not hold"
    );
    assert_eq!(one(&["lock m", "lock m"]).ending(), Ending::Deadlock);
    assert_eq!(
        one(&["wait until x == 1"]).label(),
        "stuck: A waits: wait until x == 1"
    );
    assert_eq!(one(&["acquire s", "acquire s"]).ending(), Ending::Stuck);
}

#[test]
fn two_threads_in_one_critical_section_is_a_failure() {
    let naive = [
        "wait until flag == 0",
        "flag = 1",
        "enter cs",
        "leave cs",
        "flag = 0",
    ];
    let p = Program::new()
        .shared("flag", 0)
        .thread("A", naive)
        .thread("B", naive);
    let all = p.explore().unwrap();
    let both = all.find(|o| o.failed()).unwrap();
    assert_eq!(both.label(), "A and B both in cs");
    // Both pass the wait before either raises the flag; then both enter.
    assert_eq!(both.shortest().len(), 6);
    let run = all.example_where(|o| o.failed()).unwrap();
    assert_eq!(run.outcome(), "A and B both in cs");
}

#[test]
fn petersons_algorithm_keeps_the_section_and_its_halves_do_not() {
    let peterson = |me: &str, other: &str, turn: i64| {
        vec![
            format!("{me} = 1"),
            format!("turn = {turn}"),
            format!("wait until {other} == 0 || turn != {turn}"),
            "enter cs".into(),
            "leave cs".into(),
            format!("{me} = 0"),
        ]
    };
    let program = |a: Vec<String>, b: Vec<String>| {
        Program::new()
            .shared("a", 0)
            .shared("b", 0)
            .shared("turn", 0)
            .thread("A", a)
            .thread("B", b)
            .explore()
            .unwrap()
    };
    let full = program(peterson("a", "b", 1), peterson("b", "a", 0));
    assert!(full.outcomes().iter().all(|o| !o.is_bug()), "{full}");
    // Flags alone can deadlock (both raise, both wait); turn alone forces strict
    // alternation, which is fine for one pass each but starves a thread that wants two.
    let flags = |me: &str, other: &str| {
        vec![
            format!("{me} = 1"),
            format!("wait until {other} == 0"),
            "enter cs".into(),
            "leave cs".into(),
            format!("{me} = 0"),
        ]
    };
    let flags_only = program(flags("a", "b"), flags("b", "a"));
    assert!(
        flags_only
            .outcomes()
            .iter()
            .any(|o| o.ending() == Ending::Stuck),
        "{flags_only}"
    );
    assert!(
        flags_only.outcomes().iter().all(|o| !o.failed()),
        "{flags_only}"
    );
}

#[test]
fn the_stepper_is_the_scheduler_and_stops_at_a_failure() {
    let p = Program::new()
        .shared("x", 0)
        .thread("A", ["wait until x == 1", "check x == 2"])
        .thread("B", ["x = 1", "x = 3"]);
    let mut s = p.stepper().unwrap();
    let e = s.step("A").unwrap_err().to_string();
    assert!(
        e.contains("is waiting") && e.contains("condition is false"),
        "{e}"
    );
    s.step("B").unwrap();
    assert_eq!(s.can_move(), ["A", "B"]);
    s.step("A").unwrap();
    s.step("B").unwrap();
    let run = s.step("A").unwrap();
    assert_eq!(run.outcome(), "check failed in A: x == 2");
    assert_eq!(s.step("B").unwrap_err().kind(), crate::ErrorKind::Misuse);
    assert!(s.can_move().is_empty());
}

#[test]
fn bad_lines_get_one_line_errors_that_name_the_thread_and_step() {
    let err = |lines: &[&str]| {
        Program::new()
            .shared("x", 0)
            .thread("A", lines.iter().copied())
            .explore()
            .unwrap_err()
            .to_string()
    };
    assert!(
        err(&["while x == 0 {"]).contains("use `repeat N {"),
        "{}",
        err(&["while x == 0 {"])
    );
    assert!(err(&["x = = 1"]).contains("thread \"A\", step 1"));
    assert!(err(&["x = 1", "frobnicate"]).contains("step 2"));
    assert!(err(&["if x == 0 {", "x = 1"]).contains("not closed"));
    assert!(err(&["}"]).contains("without an open block"));
    assert!(err(&["repeat 99 {", "}"]).contains("from 1 to 16"));
    assert!(err(&["y = cas(z, 0, 1)"]).contains("shared variable"));
    assert!(err(&["x = 1 $ 2"]).contains("unexpected"));
    let long: Vec<String> = (0..70).map(|_| "x += 1".to_string()).collect();
    let e = Program::new()
        .shared("x", 0)
        .thread("A", long)
        .explore()
        .unwrap_err()
        .to_string();
    assert!(e.contains("at most 64"), "{e}");
    assert!(!err(&["x = 1 +"]).contains('\n'));
}

/// Thread A counts `a` up 2m times; B checks, once, that `a` is not exactly m: a bug that
/// needs B to run at one precise moment in the middle of A (depth 2 for PCT).
#[test]
fn pct_finds_a_depth_two_bug_far_more_often_than_random() {
    let m = 8;
    let program = Program::new()
        .shared("a", 0)
        .thread("A", vec!["a += 1"; 2 * m])
        .thread("B", [format!("check a != {m}")]);
    let all = program.explore().unwrap();
    assert_eq!(all.count_where(|o| o.failed()), 1); // one schedule in 17
    let runs = 2000;
    let random = program.sample(Scheduler::Random, runs, 11).unwrap();
    let pct = program
        .sample(Scheduler::Pct { depth: 2 }, runs, 11)
        .unwrap();
    let (r, p) = (
        random.count_where(|o| o.failed()),
        pct.count_where(|o| o.failed()),
    );
    // At random, B runs at its first chance half the time: a == 8 needs 8 steps of A
    // first (about 1 in 512). PCT puts A first half the time and changes priority at
    // step 9 about 1 time in 17: about 1 run in 34.
    assert!(
        p > 20 && p > 5 * r.max(1),
        "PCT found it {p} times, random {r} times"
    );
    assert!(pct.first_where(|o| o.failed()).unwrap() < 400);
    // The same seed replays the same runs.
    let again = program
        .sample(Scheduler::Pct { depth: 2 }, runs, 11)
        .unwrap();
    assert_eq!(again.count_where(|o| o.failed()), p);
}

#[test]
fn sampling_refuses_bad_settings() {
    let p = Program::new().thread("A", ["x = 1"]);
    assert_eq!(
        p.sample(Scheduler::Random, 0, 1).unwrap_err().kind(),
        crate::ErrorKind::BadInput
    );
    assert_eq!(
        p.sample(Scheduler::Pct { depth: 0 }, 5, 1)
            .unwrap_err()
            .kind(),
        crate::ErrorKind::BadInput
    );
}

/// A program whose positions fit but whose values multiply them past the limit is
/// refused with an estimate of the states it needs, not just the limit.
#[test]
fn a_program_whose_values_outgrow_the_limit_is_refused_with_an_estimate() {
    let rmw = |n: i64| {
        vec![
            "a = x".to_string(),
            format!("a = a + {n}"),
            "x = a".into(),
            "b = y".into(),
            "b = b + 1".into(),
            "y = b".into(),
        ]
    };
    let four_by_six = Program::new()
        .shared("x", 0)
        .shared("y", 0)
        .thread("A", rmw(1))
        .thread("B", rmw(2))
        .thread("C", rmw(4))
        .thread("D", rmw(8));
    let times = |k: i64| {
        [
            "repeat 5 {".to_string(),
            format!("x = x * 3 + {k}"),
            "}".into(),
        ]
    };
    let powers = Program::new()
        .shared("x", 1)
        .thread("A", times(1))
        .thread("B", times(2))
        .thread("C", times(5));
    // The states each really has, as the explorer counts them with room enough.
    for (program, states) in [(four_by_six, 688_549.0), (powers, 887_440.0)] {
        let limit = 200_000;
        let e = search::explore(program.compile().unwrap(), limit)
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than the 200 000"), "{e}");
        assert!(e.contains("Program::sample"), "{e}");
        let about: f64 = e
            .split("about ")
            .nth(1)
            .and_then(|rest| rest.split(" distinct").next())
            .map(|n| n.replace(' ', ""))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no estimate in: {e}"));
        assert!(
            (0.5..2.0).contains(&(about / states)),
            "estimated {about} for {states} states: {e}"
        );
    }
}

#[test]
fn the_stepper_says_where_each_thread_is() {
    let p = Program::new()
        .shared("counter", 0)
        .thread("A", ["lock m", "counter += 1", "unlock m"])
        .thread("B", ["lock m", "counter += 1", "unlock m"])
        .thread("C", ["x = 1"]);
    let mut you = p.stepper().unwrap();
    you.play(["A", "C"]);
    let shown = crate::show::Show::summary(&you);
    assert!(
        shown.contains(
            "where each thread is: A next: counter += 1; B waits at: lock m (\"A\" holds m); C finished"
        ),
        "{shown}"
    );
    // Every thread finished: nothing to say.
    let done = p.replay(["A", "A", "A", "B", "B", "B", "C"]).unwrap();
    assert!(!crate::show::Show::summary(&done).contains("where each thread is"));
    // A deadlock: where each one is stuck.
    let t = |a: &str, b: &str| {
        [
            format!("lock {a}"),
            format!("lock {b}"),
            format!("unlock {b}"),
            format!("unlock {a}"),
        ]
    };
    let stuck = Program::new()
        .thread("A", t("x", "y"))
        .thread("B", t("y", "x"));
    let mut s = stuck.stepper().unwrap();
    s.play(["A", "B"]);
    let shown = crate::show::Show::summary(&s);
    assert!(
        shown.contains("A waits at: lock y (\"B\" holds y); B waits at: lock x (\"A\" holds x)"),
        "{shown}"
    );
}

/// The lost-wakeup puzzle's consumer: checks `ready` under the lock, once (`if`).
const CONSUMER_IF: [&str; 6] = [
    "lock m",
    "if ready == 0 {",
    "wait(cv, m)",
    "}",
    "unlock m",
    "check ready == 1",
];

#[test]
fn a_flag_set_without_the_lock_loses_the_wakeup_and_the_lock_fixes_it() {
    let buggy = Program::new()
        .shared("ready", 0)
        .thread("consumer", CONSUMER_IF)
        .thread("producer", ["ready = 1", "notify_one(cv)"]);
    let all = buggy.explore().unwrap();
    let stuck = all.find(|o| o.ending() == Ending::Stuck).unwrap();
    assert_eq!(
        stuck.label(),
        "stuck: consumer sleeps on cv and no thread is left to notify it"
    );
    // Checks the flag (0), the producer sets it and notifies nobody, the consumer sleeps.
    assert_eq!(
        stuck.shortest(),
        ["consumer", "consumer", "producer", "producer", "consumer"]
    );
    let run = buggy.replay(stuck.shortest()).unwrap();
    assert_eq!(run.rows()[4][2], "wait(cv, m): unlock m, sleep");
    let shown = lab_summary(&run);
    assert!(
        shown.contains("consumer sleeps in wait(cv, m) until a notify; producer finished"),
        "{shown}"
    );
    assert_eq!(run.outcome(), stuck.label());
    assert!(!all.outcomes().iter().any(|o| o.failed()));

    let fixed = Program::new()
        .shared("ready", 0)
        .thread("consumer", CONSUMER_IF)
        .thread(
            "producer",
            ["lock m", "ready = 1", "notify_one(cv)", "unlock m"],
        );
    let all = fixed.explore().unwrap();
    assert_eq!(all.count_where(|o| o.is_bug()), 0);
    assert!(all.schedules() > 1);
}

#[test]
fn a_notify_before_anyone_waits_is_lost() {
    let p = Program::new()
        .thread("A", ["notify_one(cv)"])
        .thread("B", ["lock m", "wait(cv, m)", "unlock m"]);
    // A notifies before B sleeps (before B locks m, or between its lock and its wait):
    // the notify is lost and B sleeps forever. Only B asleep first is woken.
    let early = p.replay(["A", "B", "B"]).unwrap();
    assert_eq!(
        early.outcome(),
        "stuck: B sleeps on cv and no thread is left to notify it"
    );
    let late = p.replay(["B", "B", "A", "B", "B"]).unwrap();
    assert_eq!(late.outcome(), "finished");
    let all = p.explore().unwrap();
    assert_eq!(all.count_where(|o| o.ending() == Ending::Stuck), 2);
    assert_eq!(all.count("finished").unwrap(), 1);
}

#[test]
fn notify_all_wakes_every_sleeper_and_notify_one_the_longest_asleep() {
    let sleeper = ["lock m", "wait(cv, m)", "unlock m"];
    let waker = |notify: &str| {
        Program::new()
            .thread("A", sleeper)
            .thread("B", sleeper)
            .thread("W", ["wait until 1 == 1", notify])
    };
    let all = waker("notify_all(cv)");
    let run = all.replay(["A", "A", "B", "B", "W", "W"]).unwrap();
    let mut s = all.stepper().unwrap();
    s.play(["A", "A", "B", "B", "W", "W", "B", "B", "A", "A"]);
    assert_eq!(s.replay().refused(), None);
    assert_eq!(s.replay().outcome(), "finished");
    assert_eq!(run.rows().len(), 6);
    let one = waker("notify_one(cv)");
    let mut s = one.stepper().unwrap();
    s.play(["A", "A", "B", "B", "W", "W"]);
    assert_eq!(s.can_move(), ["A"]); // A slept first, so A is woken
    let e = s.step("B").unwrap_err().to_string();
    assert!(e.contains("asleep on cv until a notify"), "{e}");
    s.play(["A", "A"]);
    assert_eq!(
        s.replay().outcome(),
        "stuck: B sleeps on cv and no thread is left to notify it"
    );
}

#[test]
fn a_woken_thread_waits_for_the_lock_and_rechecks_in_a_loop() {
    // Mesa: the notifier still holds m; the woken consumer waits for it, and a second
    // consumer can take the item first, so only a loop keeps the check true.
    let consumer = |looped: bool| {
        let mut c = vec!["lock m"];
        if looped {
            c.push("repeat 2 {");
        }
        c.extend(["if items == 0 {", "wait(cv, m)", "}"]);
        if looped {
            c.push("}");
        }
        c.extend(["check items > 0", "items -= 1", "unlock m"]);
        c
    };
    let program = |looped: bool| {
        Program::new()
            .shared("items", 0)
            .thread("C1", consumer(looped))
            .thread("C2", consumer(looped))
            .thread("P", ["lock m", "items += 1", "notify_all(cv)", "unlock m"])
    };
    let once = program(false).explore().unwrap();
    assert!(once.count_where(|o| o.failed()) > 0);
    let mut s = program(false).stepper().unwrap();
    s.play(["C1", "C1", "C1", "P", "P", "P"]);
    let e = s.step("C1").unwrap_err().to_string();
    assert!(e.contains("notified on cv; \"P\" holds m"), "{e}");
    // With a loop no check fails; one consumer is left asleep, for there is one item.
    let looped = program(true).explore().unwrap();
    assert_eq!(looped.count_where(|o| o.failed()), 0);
    assert!(
        looped
            .outcomes()
            .iter()
            .all(|o| o.ending() == Ending::Stuck && o.label().contains("sleeps on cv"))
    );
}

#[test]
fn waiting_without_the_lock_fails_and_bad_wait_lines_get_one_line_errors() {
    let p = Program::new().thread("A", ["wait(cv, m)"]);
    assert_eq!(
        p.explore().unwrap().outcomes()[0].label(),
        "A waits on cv without holding m"
    );
    for (line, says) in [
        ("wait(cv)", "expected \",\""),
        ("wait cv", "wait(cv, m)"),
        ("notify_one cv", "is not a step"),
        ("notify_all()", "a condition variable's name"),
    ] {
        let e = Program::new()
            .thread("A", ["lock m", line])
            .explore()
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{line}: {e}");
        assert!(!e.contains('\n'), "{e}");
    }
}

#[test]
fn the_wakeup_judge_fails_every_wrong_fix() {
    let lock_set = ["lock m", "ready = 1", "notify_one(cv)", "unlock m"];
    let looped = [
        "lock m",
        "repeat 2 {",
        "if ready == 0 {",
        "wait(cv, m)",
        "}",
        "}",
        "unlock m",
    ];
    let once = &CONSUMER_IF[..5];
    let judge = |c: &[&str], p: &[&str]| judge_wakeup(c, p).unwrap();
    let wrong: [(&str, &[&str], &[&str], &str); 7] = [
        ("the puzzle", once, &["ready = 1", "notify_one(cv)"], "✘ "),
        (
            "a loop, flag set unlocked",
            &looped,
            &["ready = 1", "notify_one(cv)"],
            "✘ ",
        ),
        ("if, not a loop", once, &lock_set, "✘ "),
        ("no wait", &["lock m", "unlock m"], &lock_set, "✘ "),
        (
            "a spin-wait",
            &["wait until ready == 1"],
            &lock_set,
            "✘ the consumer never needs",
        ),
        (
            "no notify",
            &looped,
            &["lock m", "ready = 1", "unlock m"],
            "✘ ",
        ),
        ("no producer", &looped, &[], "✘ "),
    ];
    for (name, c, p, says) in wrong {
        let verdict = judge(c, p);
        assert!(verdict.starts_with(says), "{name}: {verdict}");
    }
    assert!(judge(&looped, &lock_set).starts_with("✔ 0 of"));
    // Notifying after the unlock is fine too.
    let after = ["lock m", "ready = 1", "unlock m", "notify_all(cv)"];
    assert!(judge(&looped, &after).starts_with("✔"));
    assert!(judge_wakeup(&["wait(cv"], &lock_set).is_err());
}

#[test]
fn the_reorder_judge_fails_every_wrong_fix() {
    let steps = ["lock m", "a += 1", "b += 1", "unlock m", "check a == b"];
    let puzzle = Program::new()
        .shared("a", 0)
        .shared("b", 0)
        .thread("A", steps)
        .thread("B", steps);
    let judge = |fix: &[&str]| judge_reorder(&puzzle, fix).unwrap();
    let wrong: [(&str, &[&str], &str); 6] = [
        ("unchanged", &steps, "✘ 2 of 12 schedules win"),
        (
            "check deleted",
            &steps[..4],
            "✘ a fix keeps the puzzle's 5 steps",
        ),
        (
            "check replaced by an unlock",
            &["lock m", "a += 1", "b += 1", "unlock m", "unlock m"],
            "✘ a fix keeps",
        ),
        (
            "check before the lock",
            &["check a == b", "lock m", "a += 1", "b += 1", "unlock m"],
            "✘ ",
        ),
        (
            "unlock first",
            &["unlock m", "lock m", "a += 1", "b += 1", "check a == b"],
            "✘ ",
        ),
        (
            "never unlocks",
            &["lock m", "a += 1", "b += 1", "check a == b", "lock m"],
            "✘ a fix keeps",
        ),
    ];
    for (name, fix, says) in wrong {
        let verdict = judge(fix);
        assert!(verdict.starts_with(says), "{name}: {verdict}");
        assert!(!verdict.contains('✔'), "{name}: {verdict}");
    }
    let unlock_first = judge(&["unlock m", "lock m", "a += 1", "b += 1", "check a == b"]);
    assert!(unlock_first.contains("does not hold"), "{unlock_first}");
    let ok = judge(&["lock m", "a += 1", "b += 1", "check a == b", "unlock m"]);
    assert_eq!(ok, "✔ 0 of 2 schedules win (0.0%)");
    // Spaces do not matter; a puzzle whose threads differ is refused.
    assert!(judge(&["lock  m", "a+=1", "b += 1", "check a==b", "unlock m"]).starts_with("✔"));
    let mixed = Program::new().thread("A", ["x = 1"]).thread("B", ["x = 2"]);
    assert!(judge_reorder(&mixed, &["x = 1"]).is_err());
}
