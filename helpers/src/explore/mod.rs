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
//! shared variable; any other name is a local of its thread, starting at 0.
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
//! fit is refused with the estimate, never cut short.
//!
//! Locks are modelled faithfully: a thread cannot take a lock another thread holds, so
//! schedules that would need it to are impossible and are not counted. If at some point
//! no unfinished thread can move, that schedule ends in a **deadlock** (a cycle of lock
//! waits), or in an outcome that says who waits for what (a lock whose holder ended
//! without unlocking it, a condition that can no longer become true).

mod lang;
mod replay;
mod sample;
mod search;

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::time::Duration;

use crate::draw::{Bars, fmt_count};
use crate::error::{Error, Result};

pub use replay::{Replay, Stepper};
pub use sample::{MAX_RUNS, Samples, Scheduler};

use lang::{Code, Expr, Ins, Names, Place};

/// The most threads a [`Program`] may have (not the same limit as
/// [`scenarios::MAX_THREADS`](crate::scenarios::MAX_THREADS), which is for real threads).
///
/// # Examples
///
/// ```
/// assert_eq!(lab::explore::MAX_PROGRAM_THREADS, 8);
/// ```
pub const MAX_PROGRAM_THREADS: usize = 8;
/// The most steps one thread of a [`Program`] may have, `repeat` blocks unrolled.
///
/// # Examples
///
/// ```
/// assert_eq!(lab::explore::MAX_STEPS_PER_THREAD, 64);
/// ```
pub const MAX_STEPS_PER_THREAD: usize = 64;
/// The most distinct states [`Program::explore`] keeps (about 100 bytes each). A program
/// that would need more is refused with an estimate.
///
/// # Examples
///
/// ```
/// assert_eq!(lab::explore::MAX_STATES, 2_000_000);
/// ```
pub const MAX_STATES: usize = 2_000_000;

/// One step of a thread's program: a line of the step language (see the [module
/// docs](self)), or one of the first version's six kinds.
///
/// A `&str` or `String` is a step too, so a thread can be written as a list of lines:
/// `.thread("A", ["tmp = counter", "counter = tmp + 1"])`.
///
/// # Examples
///
/// ```
/// use lab::explore::Step;
/// assert_eq!(Step::read("balance").to_string(), "read balance");
/// assert_eq!(Step::add(-200).to_string(), "local − 200");
/// assert_eq!(Step::from("wait until flag == 0").to_string(), "wait until flag == 0");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `local = shared[var]`
    Read(String),
    /// `local = local + n`
    Add(i64),
    /// `shared[var] = local`
    Write(String),
    /// Take the named lock; waits (cannot be scheduled) while another thread holds it.
    Lock(String),
    /// Release the named lock.
    Unlock(String),
    /// `shared[var] += n` in one indivisible step (like `fetch_add`).
    AtomicAdd(String, i64),
    /// A line of the step language, parsed when the program is explored.
    Line(String),
}

impl Step {
    /// Reads shared variable `var` into the thread's local value.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::Step::read("x").to_string(), "read x");
    /// ```
    pub fn read(var: &str) -> Step {
        Step::Read(var.to_string())
    }
    /// Adds `n` to the thread's local value (no shared memory involved).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::Step::add(5).to_string(), "local + 5");
    /// ```
    pub fn add(n: i64) -> Step {
        Step::Add(n)
    }
    /// Writes the thread's local value to shared variable `var`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::Step::write("x").to_string(), "write x");
    /// ```
    pub fn write(var: &str) -> Step {
        Step::Write(var.to_string())
    }
    /// Takes lock `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::Step::lock("m").to_string(), "lock m");
    /// ```
    pub fn lock(name: &str) -> Step {
        Step::Lock(name.to_string())
    }
    /// Releases lock `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::Step::unlock("m").to_string(), "unlock m");
    /// ```
    pub fn unlock(name: &str) -> Step {
        Step::Unlock(name.to_string())
    }
    /// Adds `n` to shared variable `var` in one indivisible step.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::Step::atomic_add("x", 1).to_string(), "atomic x += 1");
    /// ```
    pub fn atomic_add(var: &str, n: i64) -> Step {
        Step::AtomicAdd(var.to_string(), n)
    }
    /// A line of the step language (the same as `Step::from(line)`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::Step::line("check x == 1").to_string(), "check x == 1");
    /// ```
    pub fn line(line: &str) -> Step {
        Step::Line(line.trim().to_string())
    }
}

impl From<&str> for Step {
    fn from(line: &str) -> Step {
        Step::line(line)
    }
}

impl From<String> for Step {
    fn from(line: String) -> Step {
        Step::line(&line)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Read(v) => write!(f, "read {v}"),
            Step::Add(n) if *n < 0 => write!(f, "local − {}", -n),
            Step::Add(n) => write!(f, "local + {n}"),
            Step::Write(v) => write!(f, "write {v}"),
            Step::Lock(l) => write!(f, "lock {l}"),
            Step::Unlock(l) => write!(f, "unlock {l}"),
            Step::AtomicAdd(v, n) => write!(f, "atomic {v} += {n}"),
            Step::Line(text) => f.write_str(text),
        }
    }
}

/// Shared variables and threads: the thing to explore.
///
/// # Examples
///
/// The article's race: A deposits 500, B withdraws 200, each by read, compute, write.
///
/// ```
/// use lab::explore::{Program, Step};
///
/// let program = Program::new()
///     .shared("balance", 1000)
///     .thread("A", [Step::read("balance"), Step::add(500), Step::write("balance")])
///     .thread("B", [Step::read("balance"), Step::add(-200), Step::write("balance")]);
/// let all = program.explore().unwrap();
/// assert_eq!(all.schedules(), 20);
/// assert_eq!(all.count("balance = 1300").unwrap(), 2);
/// assert_eq!(all.count("balance = 1500").unwrap(), 9);
/// assert_eq!(all.count("balance = 800").unwrap(), 9);
/// ```
///
/// The same race in the step language, with a check that marks the lost update:
///
/// ```
/// use lab::explore::Program;
///
/// let program = Program::new()
///     .shared("balance", 1000)
///     .shared("done", 0)
///     .thread("A", ["tmp = balance", "balance = tmp + 500", "done += 1"])
///     .thread("B", ["tmp = balance", "balance = tmp - 200", "done += 1",
///                   "wait until done == 2", "check balance == 1300"]);
/// let all = program.explore().unwrap();
/// assert_eq!(all.count_where(|o| o.failed()), 12); // of 20 schedules
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    shared: Vec<(String, i64)>,
    threads: Vec<(String, Vec<Step>)>,
    error: Option<Error>,
}

impl Program {
    /// An empty program.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(lab::Program::new().explore().is_err()); // no threads yet
    /// ```
    pub fn new() -> Program {
        Program::default()
    }

    /// Declares a shared variable with its starting value.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 5).thread("A", [Step::atomic_add("x", 1)]);
    /// assert_eq!(p.explore().unwrap().outcomes()[0].0, "x = 6");
    /// ```
    pub fn shared(mut self, name: &str, start: i64) -> Program {
        if self.shared.iter().any(|(n, _)| n == name) {
            self.fail(format!("shared variable {name:?} is declared twice"));
        }
        self.shared.push((name.to_string(), start));
        self
    }

    /// Adds a thread: a name and its steps, in order. Steps can be [`Step`]s or lines of
    /// the step language (`&str`).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::Program;
    /// let p = Program::new().shared("x", 0)
    ///     .thread("A", ["x = 1"])
    ///     .thread("B", ["x = 2"]);
    /// assert_eq!(p.explore().unwrap().schedules(), 2);
    /// ```
    pub fn thread<S: Into<Step>>(
        mut self,
        name: &str,
        steps: impl IntoIterator<Item = S>,
    ) -> Program {
        let steps: Vec<Step> = steps.into_iter().map(Into::into).collect();
        if self.threads.iter().any(|(n, _)| n == name) {
            self.fail(format!(
                "two threads are named {name:?}: give each its own name"
            ));
        }
        if steps.is_empty() {
            self.fail(format!(
                "thread {name:?} has no steps: give it at least one"
            ));
        }
        self.threads.push((name.to_string(), steps));
        if self.threads.len() > MAX_PROGRAM_THREADS {
            self.fail(format!(
                "{} threads is more than the explorer takes ({MAX_PROGRAM_THREADS})",
                self.threads.len()
            ));
        }
        self
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(Error::new(message));
        }
    }

    /// Parses and checks every thread: the form the explorer, the stepper and the
    /// samplers run.
    pub(crate) fn compile(&self) -> Result<Compiled> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.threads.is_empty() {
            return Err(Error::new(
                "the program has no threads: add some with .thread(name, steps)",
            ));
        }
        let mut names = Names {
            shared: self.shared.iter().map(|(n, _)| n.clone()).collect(),
            ..Names::default()
        };
        let mut threads = Vec::new();
        for (name, steps) in &self.threads {
            let code = lang::compile(name, steps, &mut names).map_err(Error::new)?;
            if code.ins.len() > MAX_STEPS_PER_THREAD {
                return Err(Error::new(format!(
                    "thread {name:?} has {} steps (repeat blocks unrolled); the explorer takes at most {MAX_STEPS_PER_THREAD}",
                    code.ins.len()
                )));
            }
            threads.push((name.clone(), code));
        }
        Ok(Compiled::new(
            threads,
            names,
            self.shared.iter().map(|(_, v)| *v).collect(),
        ))
    }

    /// Runs every schedule and counts how each one ends. Exact for any program whose
    /// distinct states fit in [`MAX_STATES`]; a larger one is refused with the estimate.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let t = |n| [Step::read("x"), Step::add(n), Step::write("x")];
    /// let all = Program::new().shared("x", 0)
    ///     .thread("A", t(1)).thread("B", t(2)).thread("C", t(4))
    ///     .explore().unwrap();
    /// assert_eq!(all.schedules(), 1680); // 9! / (3! 3! 3!)
    /// assert_eq!(all.count("x = 7").unwrap(), 6); // only the 3! one-after-another orders
    /// ```
    pub fn explore(&self) -> Result<Exploration> {
        let compiled = self.compile()?;
        search::explore(compiled)
    }

    /// Runs one schedule, given as the order in which threads take steps (by name), and
    /// returns its table. It may stop early: the outcome then says "unfinished".
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("balance", 1000)
    ///     .thread("A", [Step::read("balance"), Step::add(500), Step::write("balance")])
    ///     .thread("B", [Step::read("balance"), Step::add(-200), Step::write("balance")]);
    /// let run = p.replay(["A", "B", "A", "B", "A", "B"]).unwrap();
    /// assert_eq!(run.outcome(), "balance = 800");
    /// ```
    pub fn replay<S: AsRef<str>>(&self, order: impl IntoIterator<Item = S>) -> Result<Replay> {
        let mut stepper = self.stepper()?;
        for name in order {
            stepper.step(name.as_ref())?;
        }
        Ok(stepper.replay())
    }

    /// A stepper: you choose which thread takes the next step, one call at a time.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 0).thread("A", [Step::atomic_add("x", 1)]);
    /// let mut s = p.stepper().unwrap();
    /// s.step("A").unwrap();
    /// assert_eq!(s.replay().outcome(), "x = 1");
    /// ```
    pub fn stepper(&self) -> Result<Stepper> {
        Ok(Stepper::new(self.compile()?))
    }

    /// Runs `runs` schedules chosen by `scheduler` (uniformly random choices, or PCT),
    /// from `seed`: the same seed gives the same runs. How a stress test or a randomised
    /// tester sees the program; compare with [`explore`](Program::explore).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Scheduler};
    /// let p = Program::new().shared("x", 0)
    ///     .thread("A", ["t = x", "x = t + 1"])
    ///     .thread("B", ["t = x", "x = t + 1"]);
    /// let runs = p.sample(Scheduler::Random, 200, 7).unwrap();
    /// assert_eq!(runs.runs(), 200);
    /// assert!(runs.first_where(|o| o.value("x") == Some(1)).is_some()); // the lost update
    /// ```
    pub fn sample(&self, scheduler: Scheduler, runs: usize, seed: u64) -> Result<Samples> {
        sample::sample(self.compile()?, scheduler, runs, seed)
    }
}

/// How a schedule ended.
///
/// # Examples
///
/// ```
/// use lab::explore::{Ending, Program};
/// let p = Program::new().shared("x", 0).thread("A", ["check x == 1"]);
/// assert_eq!(p.explore().unwrap().all()[0].ending(), Ending::Failed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ending {
    /// Every thread ran all its steps.
    Finished,
    /// A `check` was false, two threads were inside one critical section, or a step was
    /// impossible (unlocking a lock not held, dividing by zero).
    Failed,
    /// A cycle of lock waits, or a thread locking a lock it already holds.
    Deadlock,
    /// No thread can move for another reason: a lock whose holder ended without
    /// unlocking it, or a `wait until` whose condition can no longer become true.
    Stuck,
}

/// One way the schedules of a program can end, with how many end that way and the
/// shortest schedule that does.
///
/// # Examples
///
/// ```
/// use lab::explore::{Ending, Program, Step};
/// let p = Program::new().shared("balance", 1000)
///     .thread("A", [Step::read("balance"), Step::add(500), Step::write("balance")])
///     .thread("B", [Step::read("balance"), Step::add(-200), Step::write("balance")]);
/// let all = p.explore().unwrap();
/// let lost = all.find(|o| o.value("balance") == Some(800)).unwrap();
/// assert_eq!((lost.schedules(), lost.ending()), (9, Ending::Finished));
/// assert_eq!(lost.shortest().len(), 6);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    label: String,
    ending: Ending,
    schedules: u64,
    values: Vec<(String, i64)>,
    shortest: Vec<String>,
}

impl Outcome {
    /// How it reads: `"balance = 800"`, `"deadlock (A, B stuck)"`, `"check failed in B:
    /// x == 2"`, ...
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().shared("x", 0).thread("A", ["x = 3"]);
    /// assert_eq!(p.explore().unwrap().all()[0].label(), "x = 3");
    /// ```
    pub fn label(&self) -> &str {
        &self.label
    }

    /// How the schedules ended.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().thread("A", ["lock m", "lock m"]);
    /// assert_eq!(p.explore().unwrap().all()[0].ending(), lab::explore::Ending::Deadlock);
    /// ```
    pub fn ending(&self) -> Ending {
        self.ending
    }

    /// How many schedules (or, from [`Program::sample`], how many runs) ended this way.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().shared("x", 0).thread("A", ["x = 1"]).thread("B", ["x = 1"]);
    /// assert_eq!(p.explore().unwrap().all()[0].schedules(), 2);
    /// ```
    pub fn schedules(&self) -> u64 {
        self.schedules
    }

    /// The value of shared variable `var` at the end (of the shortest such schedule,
    /// when the ending is not `Finished`); `None` if there is no such variable.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().shared("x", 0).thread("A", ["x = 4"]);
    /// let all = p.explore().unwrap();
    /// assert_eq!(all.all()[0].value("x"), Some(4));
    /// assert_eq!(all.all()[0].value("y"), None);
    /// ```
    pub fn value(&self, var: &str) -> Option<i64> {
        self.values.iter().find(|(n, _)| n == var).map(|(_, v)| *v)
    }

    /// Every shared variable's value at the end, as for [`value`](Outcome::value).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().shared("x", 0).shared("y", 1).thread("A", ["x = y"]);
    /// assert_eq!(p.explore().unwrap().all()[0].values(), &[("x".to_string(), 1), ("y".to_string(), 1)]);
    /// ```
    pub fn values(&self) -> &[(String, i64)] {
        &self.values
    }

    /// The shortest schedule that ends this way, as the thread that took each step.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().shared("x", 0)
    ///     .thread("A", ["check x == 0"]).thread("B", ["x = 1"]);
    /// let all = p.explore().unwrap();
    /// let failed = all.find(|o| o.failed()).unwrap();
    /// assert_eq!(failed.shortest(), ["B", "A"]);
    /// ```
    pub fn shortest(&self) -> &[String] {
        &self.shortest
    }

    /// Whether it is a failed check, a broken critical section or an impossible step.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().thread("A", ["enter cs", "leave cs"]).thread("B", ["enter cs", "leave cs"]);
    /// let all = p.explore().unwrap();
    /// assert!(all.find(|o| o.failed()).unwrap().label().contains("both in cs"));
    /// ```
    pub fn failed(&self) -> bool {
        self.ending == Ending::Failed
    }

    /// Whether it is anything but `Finished`: a failure, a deadlock or a stuck thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().thread("A", ["lock m"]).thread("B", ["lock m"]);
    /// let all = p.explore().unwrap();
    /// assert!(all.all().iter().all(|o| o.is_bug())); // one thread ends holding m
    /// ```
    pub fn is_bug(&self) -> bool {
        self.ending != Ending::Finished || self.label.contains("ended holding")
    }
}

/// The result of [`Program::explore`]: every outcome, with exact counts.
///
/// # Examples
///
/// ```
/// use lab::explore::{Program, Step};
/// let p = Program::new().shared("x", 0)
///     .thread("A", [Step::atomic_add("x", 1)])
///     .thread("B", [Step::atomic_add("x", 1)]);
/// let all = p.explore().unwrap();
/// assert_eq!(all.outcomes(), vec![("x = 2".to_string(), 2)]);
/// ```
#[derive(Clone, Debug)]
pub struct Exploration {
    program: Compiled,
    outcomes: Vec<Outcome>,
    schedules: u64,
    states: usize,
    took: Duration,
}

impl Exploration {
    /// How many schedules there are in all.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().shared("x", 0)
    ///     .thread("A", [lab::Step::atomic_add("x", 1)]);
    /// assert_eq!(p.explore().unwrap().schedules(), 1);
    /// ```
    pub fn schedules(&self) -> u64 {
        self.schedules
    }

    /// How many distinct states the schedules pass through (what the exploration cost).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().shared("x", 0).thread("A", ["x = 1"]).thread("B", ["x = 2"]);
    /// assert_eq!(p.explore().unwrap().states(), 5); // start, A first, B first, two ends
    /// ```
    pub fn states(&self) -> usize {
        self.states
    }

    /// How long the exploration took.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().thread("A", ["x = 1"]);
    /// assert!(p.explore().unwrap().took() < std::time::Duration::from_secs(1));
    /// ```
    pub fn took(&self) -> Duration {
        self.took
    }

    /// How many schedules ended with this outcome (e.g. `"balance = 800"`, or one
    /// starting with `"deadlock"`): 0 if none did, and an error naming the outcomes
    /// there are if `outcome` is not written like one (a typo would otherwise read as 0).
    /// To count by a condition instead of a label, use [`count_where`](Exploration::count_where).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 0).thread("A", [Step::atomic_add("x", 2)]);
    /// assert_eq!(p.explore().unwrap().count("x = 2").unwrap(), 1);
    /// assert_eq!(p.explore().unwrap().count("x = 3").unwrap(), 0);
    /// assert!(p.explore().unwrap().count("y = 2").is_err()); // no variable y
    /// ```
    pub fn count(&self, outcome: &str) -> Result<u64> {
        if let Some(o) = self.outcomes.iter().find(|o| o.label == outcome) {
            return Ok(o.schedules);
        }
        if self.could_end_in(outcome) {
            return Ok(0);
        }
        Err(Error::new(format!(
            "{outcome:?} is not an outcome this program can have; it ended in {:?}",
            self.labels()
        )))
    }

    fn labels(&self) -> Vec<&str> {
        self.outcomes.iter().map(|o| o.label.as_str()).collect()
    }

    /// Whether `outcome` is written like an end state of this program: every shared
    /// variable, in order, `name = value` (or `finished` with none), or a deadlock.
    fn could_end_in(&self, outcome: &str) -> bool {
        let shared = &self.program.names.shared;
        if outcome.starts_with("deadlock") {
            return true;
        }
        if shared.is_empty() {
            return outcome == "finished";
        }
        let parts: Vec<&str> = outcome.split(", ").collect();
        parts.len() == shared.len()
            && parts.iter().zip(shared).all(|(part, name)| {
                part.strip_prefix(name.as_str())
                    .and_then(|rest| rest.strip_prefix(" = "))
                    .is_some_and(|v| v.parse::<i64>().is_ok())
            })
    }

    /// How many schedules end in an outcome for which `pred` is true.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let t = |n| [Step::read("x"), Step::add(n), Step::write("x")];
    /// let all = Program::new().shared("x", 0).thread("A", t(1)).thread("B", t(2)).explore().unwrap();
    /// assert_eq!(all.count_where(|o| o.value("x") != Some(3)), 18); // lost updates
    /// ```
    pub fn count_where(&self, pred: impl Fn(&Outcome) -> bool) -> u64 {
        self.outcomes
            .iter()
            .filter(|o| pred(o))
            .map(|o| o.schedules)
            .sum()
    }

    /// The outcome for which `pred` is true that has the shortest schedule, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().thread("A", ["lock x", "lock y", "unlock y", "unlock x"])
    ///                            .thread("B", ["lock y", "lock x", "unlock x", "unlock y"]);
    /// let all = p.explore().unwrap();
    /// let deadlock = all.find(|o| o.ending() == lab::explore::Ending::Deadlock).unwrap();
    /// assert_eq!(deadlock.shortest().len(), 2);
    /// ```
    pub fn find(&self, pred: impl Fn(&Outcome) -> bool) -> Option<&Outcome> {
        self.outcomes
            .iter()
            .filter(|o| pred(o))
            .min_by_key(|o| o.shortest.len())
    }

    /// Every outcome, most frequent first.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().shared("x", 0).thread("A", ["x = 1"]).thread("B", ["x = 2"]);
    /// assert_eq!(p.explore().unwrap().all().len(), 2);
    /// ```
    pub fn all(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// Every outcome's label with its count, most frequent first.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 0).thread("A", [Step::atomic_add("x", 1)]);
    /// assert_eq!(p.explore().unwrap().outcomes(), vec![("x = 1".to_string(), 1)]);
    /// ```
    pub fn outcomes(&self) -> Vec<(String, u64)> {
        self.outcomes
            .iter()
            .map(|o| (o.label.clone(), o.schedules))
            .collect()
    }

    /// The outcomes that are deadlocks, with their counts.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let t = |a: &str, b: &str| [Step::lock(a), Step::lock(b), Step::unlock(b), Step::unlock(a)];
    /// let p = Program::new().thread("A", t("x", "y")).thread("B", t("y", "x"));
    /// let all = p.explore().unwrap();
    /// assert_eq!(all.deadlocks(), vec![("deadlock (A, B stuck)".to_string(), 2)]);
    /// ```
    pub fn deadlocks(&self) -> Vec<(String, u64)> {
        self.outcomes
            .iter()
            .filter(|o| o.ending == Ending::Deadlock)
            .map(|o| (o.label.clone(), o.schedules))
            .collect()
    }

    /// The shortest schedule that ends in `outcome`, replayed step by step.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("balance", 1000)
    ///     .thread("A", [Step::read("balance"), Step::add(500), Step::write("balance")])
    ///     .thread("B", [Step::read("balance"), Step::add(-200), Step::write("balance")]);
    /// let lost = p.explore().unwrap().example("balance = 800").unwrap();
    /// assert_eq!(lost.outcome(), "balance = 800");
    /// ```
    pub fn example(&self, outcome: &str) -> Result<Replay> {
        let Some(o) = self.outcomes.iter().find(|o| o.label == outcome) else {
            return Err(Error::new(format!(
                "no schedule ended in {outcome:?}; the outcomes are {:?}",
                self.labels()
            )));
        };
        self.replay_of(o)
    }

    /// The shortest schedule to an outcome for which `pred` is true, replayed; an error
    /// if no schedule ends that way.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().shared("x", 0)
    ///     .thread("A", ["check x == 0"]).thread("B", ["x = 1"]);
    /// let run = p.explore().unwrap().example_where(|o| o.failed()).unwrap();
    /// assert_eq!(run.rows().len(), 2);
    /// ```
    pub fn example_where(&self, pred: impl Fn(&Outcome) -> bool) -> Result<Replay> {
        match self.find(pred) {
            Some(o) => self.replay_of(o),
            None => Err(Error::new(format!(
                "no schedule ends in an outcome like that; the outcomes are {:?}",
                self.labels()
            ))),
        }
    }

    fn replay_of(&self, o: &Outcome) -> Result<Replay> {
        let mut stepper = Stepper::new(self.program.clone());
        for name in &o.shortest {
            stepper.step(name)?;
        }
        Ok(stepper.replay())
    }

    /// The outcomes as a bar chart: one bar per outcome, its count and share.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 0).thread("A", [Step::atomic_add("x", 1)]);
    /// assert!(p.explore().unwrap().chart().to_svg().unwrap().contains("x = 1"));
    /// ```
    pub fn chart(&self) -> Bars {
        let mut bars = Bars::new(format!(
            "all {} schedules: how each one ends",
            fmt_count(self.schedules)
        ))
        .unit("schedules");
        for o in &self.outcomes {
            let share = 100.0 * o.schedules as f64 / self.schedules.max(1) as f64;
            bars = bars
                .bar(o.label.clone(), o.schedules as f64)
                .annotate(format!("({share:.0}%)"));
        }
        bars.note(format!(
            "{} threads, {} steps, {} distinct states; counted in {}",
            self.program.threads.len(),
            self.program.steps(),
            fmt_count(self.states as u64),
            crate::fmt_duration(self.took),
        ))
    }

    /// Shows the chart and the counts as a cell's output.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::Program::new().thread("A", ["x = 1"]);
    /// p.explore().unwrap().evcxr_display();
    /// ```
    pub fn evcxr_display(&self) {
        match self.chart().to_svg() {
            Ok(svg) => crate::draw::emit(&self.to_string(), &svg),
            Err(e) => e.evcxr_display(),
        }
    }
}

impl fmt::Display for Exploration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} schedules, {} distinct states, counted in {}",
            fmt_count(self.schedules),
            fmt_count(self.states as u64),
            crate::fmt_duration(self.took),
        )?;
        let mut s = String::new();
        for o in &self.outcomes {
            let _ = writeln!(s, "  {}: {}", o.label, fmt_count(o.schedules));
        }
        f.write_str(s.trim_end())
    }
}

/// A program, compiled: what the explorer, the stepper and the samplers run.
///
/// A state is one `Vec<i64>`: each thread's position, each lock's holder (+1; 0 when
/// free), each critical section's occupants (a bit per thread), the shared variables,
/// then every thread's locals.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Compiled {
    pub(crate) threads: Vec<(String, Code)>,
    pub(crate) names: Names,
    start: Vec<i64>,
    locks_at: usize,
    sections_at: usize,
    shared_at: usize,
    locals_at: Vec<usize>,
}

/// What one step did, its new state in the caller's buffer.
pub(crate) enum Moved {
    Yes,
    Failed(String),
    SelfDeadlock(String),
}

/// What one step did.
pub(crate) enum Next {
    /// The new state.
    Moved(Vec<i64>),
    /// The schedule ends here, in this failure, with this state.
    Failed(String, Vec<i64>),
    /// Locking a lock the thread already holds: a deadlock of one.
    SelfDeadlock(String, Vec<i64>),
}

impl Compiled {
    fn new(threads: Vec<(String, Code)>, names: Names, shared: Vec<i64>) -> Compiled {
        let n = threads.len();
        let locks_at = n;
        let sections_at = locks_at + names.locks.len();
        let shared_at = sections_at + names.sections.len();
        let mut locals_at = Vec::with_capacity(n);
        let mut at = shared_at + shared.len();
        for (_, code) in &threads {
            locals_at.push(at);
            at += code.locals.len();
        }
        let mut start = vec![0; at];
        start[shared_at..shared_at + shared.len()].copy_from_slice(&shared);
        let mut c = Compiled {
            threads,
            names,
            start,
            locks_at,
            sections_at,
            shared_at,
            locals_at,
        };
        for t in 0..n {
            let pc = c.settle(t, 0);
            c.start[t] = pc as i64;
        }
        c
    }

    pub(crate) fn start(&self) -> Vec<i64> {
        self.start.clone()
    }

    pub(crate) fn steps(&self) -> usize {
        self.threads.iter().map(|(_, c)| c.ins.len()).sum()
    }

    pub(crate) fn name(&self, t: usize) -> &str {
        &self.threads[t].0
    }

    pub(crate) fn pc(&self, s: &[i64], t: usize) -> usize {
        s[t] as usize
    }

    pub(crate) fn finished(&self, s: &[i64], t: usize) -> bool {
        self.pc(s, t) >= self.threads[t].1.ins.len()
    }

    pub(crate) fn all_finished(&self, s: &[i64]) -> bool {
        (0..self.threads.len()).all(|t| self.finished(s, t))
    }

    pub(crate) fn shared<'s>(&self, s: &'s [i64]) -> &'s [i64] {
        &s[self.shared_at..self.shared_at + self.names.shared.len()]
    }

    pub(crate) fn locals<'s>(&self, s: &'s [i64], t: usize) -> &'s [i64] {
        let at = self.locals_at[t];
        &s[at..at + self.threads[t].1.locals.len()]
    }

    fn holder(&self, s: &[i64], lock: usize) -> Option<usize> {
        let h = s[self.locks_at + lock];
        (h > 0).then(|| h as usize - 1)
    }

    /// The text of thread `t`'s next step, if it has one.
    pub(crate) fn next_text(&self, s: &[i64], t: usize) -> Option<&str> {
        self.threads[t]
            .1
            .text
            .get(self.pc(s, t))
            .map(String::as_str)
    }

    /// Follows `Goto`s (not steps) from `pc`.
    fn settle(&self, t: usize, mut pc: usize) -> usize {
        let code = &self.threads[t].1;
        while let Some(Ins::Goto(to)) = code.ins.get(pc) {
            pc = *to;
        }
        pc
    }

    fn eval(&self, s: &[i64], t: usize, e: &Expr) -> Option<i64> {
        lang::eval(e, self.shared(s), self.locals(s, t))
    }

    /// Whether thread `t` can take its next step now.
    pub(crate) fn can_move(&self, s: &[i64], t: usize) -> bool {
        let code = &self.threads[t].1;
        match code.ins.get(self.pc(s, t)) {
            None => false,
            Some(Ins::Lock(l)) => self.holder(s, *l).is_none_or(|h| h == t),
            Some(Ins::WaitUntil(e)) => self.eval(s, t, e).is_none_or(|v| v != 0),
            Some(Ins::Acquire(v)) => self.shared(s)[*v] > 0,
            Some(_) => true,
        }
    }

    fn set(&self, s: &mut [i64], t: usize, place: Place, v: i64) {
        match place {
            Place::Shared(i) => s[self.shared_at + i] = v,
            Place::Local(i) => s[self.locals_at[t] + i] = v,
        }
    }

    /// Thread `t` takes its next step (the caller checked `can_move`).
    pub(crate) fn step(&self, s: &[i64], t: usize) -> Next {
        let mut n = Vec::with_capacity(s.len());
        match self.step_into(s, t, &mut n) {
            Moved::Yes => Next::Moved(n),
            Moved::Failed(why) => Next::Failed(why, n),
            Moved::SelfDeadlock(why) => Next::SelfDeadlock(why, n),
        }
    }

    /// [`step`](Compiled::step) into a buffer the caller reuses (the explorer's hot path).
    pub(crate) fn step_into(&self, s: &[i64], t: usize, n: &mut Vec<i64>) -> Moved {
        n.clear();
        n.extend_from_slice(s);
        let pc = self.pc(s, t);
        let (name, code) = &self.threads[t];
        let text = &code.text[pc];
        let mut next_pc = pc + 1;
        let fail = |why: String, _: &mut Vec<i64>| Moved::Failed(why);
        macro_rules! eval {
            ($e:expr) => {
                match self.eval(s, t, $e) {
                    Some(v) => v,
                    None => return fail(format!("{name} divides by zero: {text}"), n),
                }
            };
        }
        match &code.ins[pc] {
            Ins::Assign(place, e) => {
                let v = eval!(e);
                self.set(n, t, *place, v);
            }
            Ins::Lock(l) => {
                if self.holder(s, *l) == Some(t) {
                    return Moved::SelfDeadlock(format!(
                        "deadlock ({name} locks {} twice)",
                        self.names.locks[*l]
                    ));
                }
                n[self.locks_at + l] = t as i64 + 1;
            }
            Ins::Unlock(l) => {
                if self.holder(s, *l) != Some(t) {
                    return fail(
                        format!(
                            "{name} unlocks {}, which it does not hold",
                            self.names.locks[*l]
                        ),
                        n,
                    );
                }
                n[self.locks_at + l] = 0;
            }
            Ins::TryLock(place, l) => {
                let free = self.holder(s, *l).is_none();
                if free {
                    n[self.locks_at + l] = t as i64 + 1;
                }
                self.set(n, t, *place, free as i64);
            }
            Ins::Cas {
                into,
                var,
                expected,
                new,
            } => {
                let (want, new) = (eval!(expected), eval!(new));
                let swapped = self.shared(s)[*var] == want;
                if swapped {
                    n[self.shared_at + var] = new;
                }
                self.set(n, t, *into, swapped as i64);
            }
            Ins::WaitUntil(e) => {
                eval!(e);
            }
            Ins::Acquire(v) => n[self.shared_at + v] -= 1,
            Ins::Check(e) => {
                if eval!(e) == 0 {
                    let cond = text.trim_start_matches("check").trim();
                    return fail(format!("check failed in {name}: {cond}"), n);
                }
            }
            Ins::Enter(c) => {
                let at = self.sections_at + c;
                let inside = n[at] | (1 << t);
                n[at] = inside;
                if inside != 1 << t {
                    let who: Vec<&str> = (0..self.threads.len())
                        .filter(|u| inside & (1 << u) != 0)
                        .map(|u| self.name(u))
                        .collect();
                    let section = &self.names.sections[*c];
                    return fail(format!("{} both in {section}", who.join(" and ")), n);
                }
            }
            Ins::Leave(c) => {
                let at = self.sections_at + c;
                if n[at] & (1 << t) == 0 {
                    return fail(
                        format!(
                            "{name} leaves {}, which it never entered",
                            self.names.sections[*c]
                        ),
                        n,
                    );
                }
                n[at] &= !(1 << t);
            }
            Ins::JumpUnless(e, to) => {
                if eval!(e) == 0 {
                    next_pc = *to;
                }
            }
            Ins::Goto(to) => next_pc = *to,
        }
        n[t] = self.settle(t, next_pc) as i64;
        Moved::Yes
    }

    /// How a state where no thread can move reads as an outcome, and how it ended.
    pub(crate) fn ending(&self, s: &[i64]) -> (String, Ending) {
        let n = self.threads.len();
        let values = self.values_text(s);
        if self.all_finished(s) {
            let values = if values.is_empty() {
                "finished".to_string()
            } else {
                values
            };
            // Every thread ran all its steps, but a lock never unlocked is a bug too.
            let held: Vec<String> = (0..self.names.locks.len())
                .filter_map(|l| {
                    self.holder(s, l)
                        .map(|h| format!("{} ended holding {}", self.name(h), self.names.locks[l]))
                })
                .collect();
            let label = if held.is_empty() {
                values
            } else {
                format!("{values} ({})", held.join(", "))
            };
            return (label, Ending::Finished);
        }
        if (0..n).any(|t| self.can_move(s, t)) {
            let label = if values.is_empty() {
                "unfinished".to_string()
            } else {
                format!("unfinished: {values}")
            };
            return (label, Ending::Stuck);
        }
        let stuck: Vec<usize> = (0..n).filter(|&t| !self.finished(s, t)).collect();
        let lock_of = |t: usize| match &self.threads[t].1.ins[self.pc(s, t)] {
            Ins::Lock(l) => Some(*l),
            _ => None,
        };
        // A thread waiting for a lock whose holder has run all its steps: nobody will
        // ever unlock it. That is a forgotten unlock, not a cycle.
        let abandoned: Vec<String> = stuck
            .iter()
            .filter_map(|&t| {
                let l = lock_of(t)?;
                let h = self.holder(s, l).filter(|&h| self.finished(s, h))?;
                Some(format!(
                    "{} waits for {}, which {} ended holding",
                    self.name(t),
                    self.names.locks[l],
                    self.name(h)
                ))
            })
            .collect();
        if !abandoned.is_empty() {
            return (format!("stuck: {}", abandoned.join("; ")), Ending::Stuck);
        }
        if stuck.iter().all(|&t| lock_of(t).is_some()) {
            let names: Vec<&str> = stuck.iter().map(|&t| self.name(t)).collect();
            return (
                format!("deadlock ({} stuck)", names.join(", ")),
                Ending::Deadlock,
            );
        }
        let why: Vec<String> = stuck
            .iter()
            .map(|&t| match lock_of(t) {
                Some(l) => format!(
                    "{} waits for {}, held by {}",
                    self.name(t),
                    self.names.locks[l],
                    self.holder(s, l).map_or("nobody", |h| self.name(h))
                ),
                None => format!(
                    "{} waits: {}",
                    self.name(t),
                    self.next_text(s, t).unwrap_or("")
                ),
            })
            .collect();
        (format!("stuck: {}", why.join("; ")), Ending::Stuck)
    }

    /// `balance = 800, done = 2`.
    fn values_text(&self, s: &[i64]) -> String {
        self.names
            .shared
            .iter()
            .zip(self.shared(s))
            .map(|(n, v)| format!("{n} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(crate) fn values(&self, s: &[i64]) -> Vec<(String, i64)> {
        self.names
            .shared
            .iter()
            .cloned()
            .zip(self.shared(s).iter().copied())
            .collect()
    }

    pub(crate) fn thread_index(&self, name: &str) -> Result<usize> {
        self.threads
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self.threads.iter().map(|(n, _)| n.as_str()).collect();
                Error::new(format!(
                    "no thread named {name:?}; the threads are {names:?}"
                ))
            })
    }
}

/// Outcomes gathered while exploring or sampling, before they are sorted.
#[derive(Default)]
pub(crate) struct Tally {
    found: BTreeMap<String, Outcome>,
}

impl Tally {
    /// Adds `count` schedules ending in `label`; `path` is one of them (kept if shortest).
    pub(crate) fn add(
        &mut self,
        label: String,
        ending: Ending,
        count: u64,
        values: impl FnOnce() -> Vec<(String, i64)>,
        path: impl FnOnce() -> Vec<String>,
        length: usize,
    ) -> Result<()> {
        match self.found.get_mut(&label) {
            Some(o) => {
                o.schedules = o.schedules.checked_add(count).ok_or_else(too_many)?;
                if length < o.shortest.len() {
                    o.shortest = path();
                    o.values = values();
                }
            }
            None => {
                let o = Outcome {
                    label: label.clone(),
                    ending,
                    schedules: count,
                    values: values(),
                    shortest: path(),
                };
                self.found.insert(label, o);
            }
        }
        Ok(())
    }

    /// Most frequent first, then by label.
    pub(crate) fn sorted(self) -> Vec<Outcome> {
        let mut v: Vec<Outcome> = self.found.into_values().collect();
        v.sort_by(|a, b| {
            b.schedules
                .cmp(&a.schedules)
                .then_with(|| a.label.cmp(&b.label))
        });
        v
    }
}

pub(crate) fn too_many() -> Error {
    Error::new(format!(
        "more than {} schedules: too many to count in 64 bits; use fewer threads or steps",
        fmt_count(u64::MAX)
    ))
}

#[cfg(test)]
mod tests;
