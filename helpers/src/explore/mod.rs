//! Every interleaving: small per-thread step programs, run under *all* schedules.
//!
//! A [`Program`] has shared variables and a few threads, each a short list of [`Step`]s.
//! [`Program::explore`] counts, exactly, how many schedules (orders in which the threads'
//! steps can interleave) end in each outcome; [`Program::replay`] runs one chosen schedule
//! and shows it step by step, in the style of the article's table; [`Program::stepper`]
//! lets a learner *be the scheduler*, choosing the next thread by hand, one cell at a
//! time; [`Program::sample`] runs schedules chosen at random or by PCT, as a stress test
//! or a randomised tester would.
//!
//! Why model at all, when Rust has the real thing? Because safe Rust already refuses the
//! crudest version of the bug, a data race, at compile time:
//!
//! ```compile_fail,E0499
//! let mut balance = 1000;
//! std::thread::scope(|s| {
//!     s.spawn(|| balance += 500); // thread A
//!     s.spawn(|| balance -= 200); // thread B: a second `&mut balance` at the same time
//! });
//! ```
//!
//! while the lost update (read and write as separate steps, e.g. an atomic `load` then
//! `store`) compiles, and some schedules lose an update. The explorer finds them and
//! counts them. Counts are not probabilities: a schedule is an order of steps, and adding
//! purely local steps changes how many orders lose without changing the bug; how often a
//! real run loses depends on timing, which the explorer does not model.
//!
//! ## The step language
//!
//! A step is one line, run indivisibly. A name declared with [`Program::shared`] is a
//! shared variable; any other name is a local of its thread, starting at 0. A local must
//! be set by an earlier step of its thread before a step reads it (in a `repeat` block, a
//! step later in the body counts for the next round): a name that is neither is a typo,
//! and the error names the nearest shared variable.
//!
//! | step | what it does |
//! |---|---|
//! | `tmp = counter` | assignment; the right side is an expression (`+ - * / %`, `== != < <= > >=`, `&& \|\| !`, `true`, `false`, parentheses) |
//! | `counter += 1` | shorthand for `counter = counter + 1` (still one indivisible step) |
//! | `lock m` / `unlock m` | take / release lock `m`; a thread cannot take a lock another holds |
//! | `ok = try_lock m` | take `m` if free: `ok` is 1 if taken, 0 if not |
//! | `ok = cas(x, 0, 1)` | compare-and-swap: if `x == 0`, set it to 1; `ok` says whether it did |
//! | `wait until flag == 0` | a spin-wait: the step can run only when the condition holds |
//! | `acquire s` / `release s` | a semaphore on shared `s`: wait until `s > 0` then `s -= 1`; `s += 1` |
//! | `wait(cv, m)` | a condition variable's wait: two steps (see below) |
//! | `notify_one(cv)` / `notify_all(cv)` | wake the thread asleep longest on `cv` / every thread asleep on it; with none asleep, the notify is lost |
//! | `check x != 2` | an assertion: a schedule where it is false ends as a failure |
//! | `enter cs` / `leave cs` | a critical section: two threads inside at once is a failure |
//! | `if x == 0 {` … `} else {` … `}` | a branch (evaluating the condition is a step) |
//! | `repeat 3 {` … `}` | a bounded loop, unrolled (no unbounded loops: every schedule ends) |
//!
//! The first version's steps still work and read as before: [`Step::read`],
//! [`Step::add`], [`Step::write`] (one local called `local`), [`Step::lock`],
//! [`Step::unlock`], [`Step::atomic_add`].
//!
//! ## Condition variables
//!
//! `wait(cv, m)` behaves as [`std::sync::Condvar::wait`] does, with Mesa semantics, and
//! is two steps, so a replay shows a thread asleep between them:
//!
//! 1. `wait(cv, m): unlock m, sleep`: in one indivisible step, unlock `m` (the thread
//!    must hold it: waiting without it ends the schedule as a failure) and fall asleep on
//!    `cv`, last in its queue. Between the unlock and the sleep no other thread can run,
//!    so a notify sent after the unlock finds the thread asleep.
//! 2. `wait(cv, m): woken, lock m`: a sleeping thread cannot move until a notify wakes it;
//!    it then competes for `m` like any thread, and takes it in this step. A notify hands
//!    over nothing: by the time the woken thread holds `m`, another thread may have changed
//!    what it waited for. So the condition must be checked again, under the lock, in a
//!    loop (std's docs say the same); since loops are bounded, write `while !ready { wait }`
//!    as `repeat 2 { if ready == 0 { wait(cv, m) } }`.
//!
//! `notify_one(cv)` wakes the thread that has slept longest on `cv` (std promises no
//! order; with one sleeper there is no choice), `notify_all(cv)` every one. Neither needs
//! a lock. A notify when no thread is asleep on `cv` is **lost**: it is not remembered for
//! a thread that waits later (unlike a semaphore's `release`). A thread left asleep when
//! no other can move ends its schedule [`Ending::Stuck`] ("sleeps on cv and no thread is
//! left to notify it"): the lost wakeup. The model makes no spurious wakeups (std allows
//! them); to add one, add a thread whose only step is `notify_all(cv)`: to a sleeper, a
//! notify from nowhere is exactly what a spurious wakeup looks like.
//!
//! ```
//! use lab::explore::{Ending, Program};
//!
//! // The consumer checks the flag under the lock, but the producer sets it without the
//! // lock: it can set it and notify between the consumer's check and its wait.
//! let lost = Program::new()
//!     .shared("ready", 0)
//!     .thread("consumer", ["lock m", "if ready == 0 {", "wait(cv, m)", "}", "unlock m"])
//!     .thread("producer", ["ready = 1", "notify_one(cv)"]);
//! let all = lost.explore().unwrap();
//! let stuck = all.find(|o| o.ending() == Ending::Stuck).unwrap();
//! assert_eq!(stuck.label(), "stuck: consumer sleeps on cv and no thread is left to notify it");
//! assert_eq!(stuck.shortest(), ["consumer", "consumer", "producer", "producer", "consumer"]);
//!
//! // The fix: the flag is set under the same lock, and checked in a loop.
//! let fixed = Program::new()
//!     .shared("ready", 0)
//!     .thread("consumer", ["lock m", "repeat 2 {", "if ready == 0 {", "wait(cv, m)", "}", "}",
//!                          "unlock m", "check ready == 1"])
//!     .thread("producer", ["lock m", "ready = 1", "notify_one(cv)", "unlock m"])
//!     .thread("spurious", ["notify_all(cv)"]); // a spurious wakeup, at any moment
//! assert_eq!(fixed.explore().unwrap().count_where(|o| o.is_bug()), 0);
//! ```
//!
//! ## How it counts
//!
//! Schedules are counted on the *state graph*: two different prefixes that reach the same
//! state (every thread's position, every variable, every lock) continue identically, so
//! the state is explored once and the two prefixes' counts are added. Counts are exact
//! for any program whose distinct states fit ([`MAX_STATES`]); a program that would not
//! fit is refused with an estimate of the states it needs, never cut short.
//!
//! Locks are modelled faithfully: a thread cannot take a lock another thread holds, so
//! schedules that would need it to are impossible and are not counted. If at some point
//! no unfinished thread can move, that schedule ends in a **deadlock** (a cycle of lock
//! waits), or in an outcome that says who waits for what (a lock whose holder ended
//! without unlocking it, a condition that can no longer become true). How a schedule
//! ended ([`Ending`]) is decided by what happened, never read back from its label.
//!
//! ## Layers
//!
//! `program` (the builder, [`Step`]) and `lang` (parsing and checking the step language)
//! compile a program into the `machine`, which holds states and runs one step at a time.
//! `search` counts every schedule on it (giving an [`Exploration`]), `sample` runs some
//! ([`Samples`]), `replay` lets a learner choose ([`Stepper`]); `outcome` types how each
//! schedule ended ([`Ending`], [`Outcome`]) and writes its label.
//! `hunt` compares bug hunts by any tool, the explorer's samplers, real threads, shuttle or
//! loom ([`Hunt`]: which runs hit the bug, and how fast), and [`finding`] turns a test that
//! panics on a bug into its message.

mod exploration;
mod hunt;
mod judge;
mod lang;
mod machine;
mod outcome;
mod program;
mod replay;
mod sample;
mod search;

pub use exploration::Exploration;
pub use hunt::{Hunt, finding};
pub use judge::{judge_reorder, judge_wakeup};
pub use outcome::{Ending, Outcome};
pub use program::{Program, Step};
pub use replay::{Replay, Stepper};
pub use sample::{MAX_RUNS, Samples, Scheduler};

/// The most threads a [`Program`] may have (not the same limit as
/// [`scenarios::MAX_THREADS`](crate::scenarios::MAX_THREADS), which is for real threads).
///
/// # Examples
///
/// ```
/// use lab::explore::{MAX_PROGRAM_THREADS, Program};
///
/// let mut p = Program::new().shared("x", 0);
/// for i in 0..=MAX_PROGRAM_THREADS {
///     p = p.thread(&format!("T{i}"), ["x = 1"]);
/// }
/// assert_eq!(p.explore().unwrap_err().kind(), lab::ErrorKind::Limit);
/// ```
pub const MAX_PROGRAM_THREADS: usize = 8;
/// The most steps one thread of a [`Program`] may have, `repeat` blocks unrolled (a
/// `wait(cv, m)` line is two steps).
///
/// # Examples
///
/// ```
/// use lab::explore::{MAX_STEPS_PER_THREAD, Program};
/// let steps = |n: usize| vec!["x = 1"; n];
/// let fits = Program::new().shared("x", 0).thread("A", steps(MAX_STEPS_PER_THREAD));
/// assert!(fits.explore().is_ok());
/// let longer = Program::new().shared("x", 0).thread("A", steps(MAX_STEPS_PER_THREAD + 1));
/// assert_eq!(longer.explore().unwrap_err().kind(), lab::ErrorKind::Limit);
/// ```
pub const MAX_STEPS_PER_THREAD: usize = 64;
/// The most distinct states [`Program::explore`] keeps (about 100 bytes each). A program
/// that would need more is refused with an estimate.
///
/// # Examples
///
/// ```
/// use lab::explore::{MAX_STATES, Program};
/// // Eight threads of twelve steps: 13^8 ≈ 816 million combinations of positions alone.
/// let steps: Vec<String> = (0..12).map(|i| format!("x = {i}")).collect();
/// let mut p = Program::new().shared("x", 0);
/// for t in 0..8 {
///     p = p.thread(&format!("T{t}"), steps.clone());
/// }
/// assert!(13f64.powi(8) > MAX_STATES as f64);
/// let refused = p.explore().unwrap_err(); // at once, with the estimate
/// assert_eq!(refused.kind(), lab::ErrorKind::Limit);
/// ```
pub const MAX_STATES: usize = 2_000_000;

#[cfg(test)]
mod tests;
