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
//! | `check x != 2` | an assertion: a schedule where it is false ends as a failure |
//! | `enter cs` / `leave cs` | a critical section: two threads inside at once is a failure |
//! | `if x == 0 {` … `} else {` … `}` | a branch (evaluating the condition is a step) |
//! | `repeat 3 {` … `}` | a bounded loop, unrolled (no unbounded loops: every schedule ends) |
//!
//! The first version's steps still work and read as before: [`Step::read`],
//! [`Step::add`], [`Step::write`] (one local called `local`), [`Step::lock`],
//! [`Step::unlock`], [`Step::atomic_add`].
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

mod exploration;
mod lang;
mod machine;
mod outcome;
mod program;
mod replay;
mod sample;
mod search;

pub use exploration::Exploration;
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
/// The most steps one thread of a [`Program`] may have, `repeat` blocks unrolled.
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
