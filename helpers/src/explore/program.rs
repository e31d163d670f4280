//! The program and its language: [`Step`], the [`Program`] builder, and its entry points.
//!
//! A program is built from lines of the step language (or the first version's [`Step`]
//! kinds); [`Program::compile`] parses and checks them ([`lang`](super::lang)) into the
//! [`Machine`] that every search runs.

use std::fmt;

use super::lang::{self, Names};
use super::machine::Machine;
use super::{
    Exploration, MAX_PROGRAM_THREADS, MAX_STATES, Replay, Samples, Scheduler, Stepper, sample,
    search,
};
use crate::error::{Error, ErrorKind, FirstError, Result};

/// One step of a thread's program: a line of the step language (see the [module
/// docs](crate::explore)), or one of the first version's six kinds.
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
    /// assert_eq!(lab::explore::Step::read("x").to_string(), "read x");
    /// ```
    pub fn read(var: &str) -> Step {
        Step::Read(var.to_string())
    }
    /// Adds `n` to the thread's local value (no shared memory involved).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::explore::Step::add(5).to_string(), "local + 5");
    /// ```
    pub fn add(n: i64) -> Step {
        Step::Add(n)
    }
    /// Writes the thread's local value to shared variable `var`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::explore::Step::write("x").to_string(), "write x");
    /// ```
    pub fn write(var: &str) -> Step {
        Step::Write(var.to_string())
    }
    /// Takes lock `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::explore::Step::lock("m").to_string(), "lock m");
    /// ```
    pub fn lock(name: &str) -> Step {
        Step::Lock(name.to_string())
    }
    /// Releases lock `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::explore::Step::unlock("m").to_string(), "unlock m");
    /// ```
    pub fn unlock(name: &str) -> Step {
        Step::Unlock(name.to_string())
    }
    /// Adds `n` to shared variable `var` in one indivisible step.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::explore::Step::atomic_add("x", 1).to_string(), "atomic x += 1");
    /// ```
    pub fn atomic_add(var: &str, n: i64) -> Step {
        Step::AtomicAdd(var.to_string(), n)
    }
}

impl From<&str> for Step {
    fn from(line: &str) -> Step {
        Step::Line(line.trim().to_string())
    }
}

impl From<String> for Step {
    fn from(line: String) -> Step {
        Step::from(line.as_str())
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
    pub(crate) shared: Vec<(String, i64)>,
    pub(crate) threads: Vec<(String, Vec<Step>)>,
    error: FirstError,
}

impl Program {
    /// An empty program.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(lab::explore::Program::new().explore().is_err()); // no threads yet
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
    /// assert_eq!(p.explore().unwrap().outcomes()[0].label(), "x = 6");
    /// ```
    pub fn shared(mut self, name: &str, start: i64) -> Program {
        if self.shared.iter().any(|(n, _)| n == name) {
            self.fail(
                ErrorKind::BadInput,
                format!("shared variable {name:?} is declared twice"),
            );
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
            self.fail(
                ErrorKind::BadInput,
                format!("two threads are named {name:?}: give each its own name"),
            );
        }
        if steps.is_empty() {
            self.fail(
                ErrorKind::Empty,
                format!("thread {name:?} has no steps: give it at least one"),
            );
        }
        self.threads.push((name.to_string(), steps));
        if self.threads.len() > MAX_PROGRAM_THREADS {
            self.fail(
                ErrorKind::Limit,
                format!(
                    "{} threads is more than the explorer takes ({MAX_PROGRAM_THREADS})",
                    self.threads.len()
                ),
            );
        }
        self
    }

    fn fail(&mut self, kind: ErrorKind, message: String) {
        self.error.keep(Error::of(kind, message));
    }

    /// Parses and checks every thread: the machine the explorer, the stepper and the
    /// samplers run.
    pub(crate) fn compile(&self) -> Result<Machine> {
        self.error.check()?;
        if self.threads.is_empty() {
            return Err(Error::of(
                ErrorKind::Empty,
                "the program has no threads: add some with .thread(name, steps)",
            ));
        }
        let mut names = Names {
            shared: self.shared.iter().map(|(n, _)| n.clone()).collect(),
            ..Names::default()
        };
        let mut threads = Vec::new();
        for (name, steps) in &self.threads {
            let code = lang::compile(name, steps, &mut names)?;
            threads.push((name.clone(), code));
        }
        Ok(Machine::new(
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
        search::explore(self.compile()?, MAX_STATES)
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
