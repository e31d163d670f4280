//! Judges for the puzzles' exercises: a learner's fix, explored, and a verdict that
//! fails every wrong answer the puzzle's exercise can think of.

use super::{Exploration, Program};
use crate::error::{Error, ErrorKind, Result};
use crate::show::fmt_count;

/// Judges a fix of the lost-wakeup puzzle (notebook 11): the consumer's and the
/// producer's steps, with `ready` shared (starting at 0) and condition variable `cv`.
/// Returns one line or two, starting with ✔ or ✘.
///
/// The fix is explored three ways, and ✔ needs all three:
///
/// - as written, with `check ready == 1` added after the consumer's last step (it must
///   not get past its wait before the flag is set) and a third thread, `spurious`, whose
///   only step is `notify_all(cv)`: a wakeup from nowhere, at any moment, as std's
///   `Condvar` allows. No schedule may fail, deadlock or end stuck (a lost wakeup), and no
///   thread may end holding a lock: otherwise ✘, with the shortest such schedule;
/// - with the producer's `notify_one` / `notify_all` lines removed: some schedule must
///   now end stuck. If none does, the consumer never needed the notify: it does not
///   sleep in `wait(cv, m)` (no wait at all, or a spin-wait `wait until ready == 1`),
///   and a fix that deletes the wait, or the notify, proves nothing. A consumer with a
///   spin-wait anywhere is refused the same way: after an `if` around the wait, a spin
///   would hide the early wakeup the `if` lets through.
///
/// # Examples
///
/// ```
/// use lab::explore::judge_wakeup;
///
/// let consumer = ["lock m", "repeat 2 {", "if ready == 0 {", "wait(cv, m)", "}", "}", "unlock m"];
/// let producer = ["lock m", "ready = 1", "notify_one(cv)", "unlock m"];
/// assert!(judge_wakeup(&consumer, &producer).unwrap().starts_with("✔"));
///
/// // No wait at all: nothing gets stuck, and nothing proves the notify is needed.
/// let spin = ["wait until ready == 1"];
/// assert!(judge_wakeup(&spin, &producer).unwrap().starts_with("✘ the consumer never needs"));
///
/// // `if` instead of a loop: a spurious wakeup gets the consumer past its wait too soon.
/// let once = ["lock m", "if ready == 0 {", "wait(cv, m)", "}", "unlock m"];
/// let verdict = judge_wakeup(&once, &producer).unwrap();
/// assert!(verdict.starts_with("✘") && verdict.contains("check failed in consumer"));
///
/// // ... and an `if` followed by a spin-wait hides it: refused too.
/// let hidden = ["lock m", "if ready == 0 {", "wait(cv, m)", "}", "unlock m", "wait until ready == 1"];
/// assert!(judge_wakeup(&hidden, &producer).unwrap().starts_with("✘ the consumer never needs"));
/// ```
pub fn judge_wakeup(consumer: &[&str], producer: &[&str]) -> Result<String> {
    // A spin-wait anywhere in the consumer hides what the wait would get wrong (an `if`
    // then `wait until ready == 1` passes every schedule): the puzzle is to sleep.
    if consumer
        .iter()
        .any(|l| l.trim_start().starts_with("wait until"))
    {
        return Ok(NEVER_NEEDS_THE_NOTIFY.into());
    }
    let program = |producer: &[&str]| {
        let mut consumer = consumer.to_vec();
        consumer.push("check ready == 1");
        let mut p = Program::new()
            .shared("ready", 0)
            .thread("consumer", consumer)
            .thread("spurious", ["notify_all(cv)"]);
        if !producer.is_empty() {
            p = p.thread("producer", producer.to_vec());
        }
        p
    };
    let all = program(producer).explore()?;
    if let Some(bad) = all.find(|o| o.is_bug()) {
        return Ok(format!(
            "✘ {}\n  one: {}; its moves, to replay: {:?}",
            bugs(&all),
            bad.label(),
            bad.shortest()
        ));
    }
    let is_notify = |l: &&str| {
        let l = l.trim_start();
        l.starts_with("notify_one") || l.starts_with("notify_all")
    };
    let silent: Vec<&str> = producer.iter().copied().filter(|l| !is_notify(l)).collect();
    let without = program(&silent).explore()?;
    if without.count_where(|o| o.is_bug()) == 0 {
        return Ok(NEVER_NEEDS_THE_NOTIFY.into());
    }
    Ok(format!(
        "✔ {} (a spurious wakeup included), and without the notify {} of {} end stuck: \
         the wait is needed, and no wakeup is lost",
        bugs(&all),
        fmt_count(without.count_where(|o| o.is_bug())),
        fmt_count(without.schedules())
    ))
}

const NEVER_NEEDS_THE_NOTIFY: &str = "✘ the consumer never needs the notify: it must \
     sleep in wait(cv, m) until the flag is set, and nothing else waits for it (no wait at \
     all, or a spin-wait `wait until`, anywhere in the consumer, is not the puzzle)";

/// Judges a fix that reorders a puzzle's steps (notebook 11's exercise 1): every thread
/// of `puzzle` runs `fix` instead of its own steps, with the puzzle's shared variables.
/// Returns one line or two, starting with ✔ or ✘.
///
/// ✔ needs both: `fix` holds exactly the puzzle's steps, in any order (spaces ignored:
/// deleting a `check`, or replacing a step, would make "0 schedules win" prove nothing),
/// and no schedule is a bug (a failed check, a deadlock, a stuck thread, an `unlock` of a
/// lock not held, a thread ending with a lock held). On ✘ for a bug, the second line
/// names one and the moves that reach it. A puzzle whose threads do not all run the same
/// steps is refused (an error).
///
/// # Examples
///
/// ```
/// use lab::explore::{Program, judge_reorder};
///
/// let steps = ["lock m", "a += 1", "b += 1", "unlock m", "check a == b"];
/// let puzzle = Program::new().shared("a", 0).shared("b", 0)
///     .thread("A", steps).thread("B", steps);
/// let verdict = judge_reorder(&puzzle, &steps).unwrap(); // unchanged: still wins
/// assert!(verdict.starts_with("✘ 2 of 12 schedules win"), "{verdict}");
/// let deleted = ["lock m", "a += 1", "b += 1", "unlock m"];
/// assert!(judge_reorder(&puzzle, &deleted).unwrap().starts_with("✘ a fix keeps"));
/// let fix = ["lock m", "a += 1", "b += 1", "check a == b", "unlock m"];
/// assert!(judge_reorder(&puzzle, &fix).unwrap().starts_with("✔ 0 of 2 schedules win"));
/// ```
pub fn judge_reorder(puzzle: &Program, fix: &[&str]) -> Result<String> {
    let sorted = |steps: Vec<String>| {
        let mut s: Vec<String> = steps
            .iter()
            .map(|l| l.split_whitespace().collect())
            .collect();
        s.sort();
        s
    };
    let lines = |steps: &[super::Step]| steps.iter().map(|s| s.to_string()).collect();
    let Some((_, first)) = puzzle.threads.first() else {
        return Err(Error::of(
            ErrorKind::Empty,
            "the puzzle has no threads: judge a fix of a puzzle that has some",
        ));
    };
    let want = sorted(lines(first));
    if puzzle.threads.iter().any(|(_, s)| sorted(lines(s)) != want) {
        return Err(Error::of(
            ErrorKind::Misuse,
            "judge_reorder needs a puzzle whose threads all run the same steps",
        ));
    }
    if sorted(fix.iter().map(|l| l.to_string()).collect()) != want {
        let steps: Vec<String> = lines(first);
        return Ok(format!(
            "✘ a fix keeps the puzzle's {} steps and changes only their order: {steps:?}",
            steps.len()
        ));
    }
    let mut program = Program::new();
    for (name, start) in &puzzle.shared {
        program = program.shared(name, *start);
    }
    for (name, _) in &puzzle.threads {
        program = program.thread(name, fix.iter().copied());
    }
    let all = program.explore()?;
    let won = all.count_where(|o| o.is_bug());
    let mut verdict = format!(
        "{} {} of {} schedules win ({:.1}%)",
        if won == 0 { "✔" } else { "✘" },
        fmt_count(won),
        fmt_count(all.schedules()),
        100.0 * won as f64 / all.schedules() as f64
    );
    if let Some(win) = all.find(|o| o.is_bug()) {
        verdict += &format!(
            "\n  one win: {}; its moves, to replay with you.play(…): {:?}",
            win.label(),
            win.shortest()
        );
    }
    Ok(verdict)
}

/// "N of M schedules fail, deadlock or end stuck".
fn bugs(all: &Exploration) -> String {
    format!(
        "{} of {} schedules fail, deadlock or end stuck",
        fmt_count(all.count_where(|o| o.is_bug())),
        fmt_count(all.schedules())
    )
}
