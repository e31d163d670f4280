//! Outcomes: how a schedule ended, typed by what happened, and written for a learner.
//!
//! The machine reports an [`End`]: which thread failed which check, which threads wait
//! for which lock. Its [`Ending`] (finished, failed, deadlock, stuck) is read off that
//! type, never off the label: a thread called `deadlock_demo` cannot turn a failure into
//! a deadlock. The label is written from the `End` once per outcome, and schedules are
//! tallied by `End`, so two different endings are never merged because they read alike.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::machine::Machine;
use crate::error::{Error, ErrorKind, Result};
use crate::show::fmt_count;

/// How a schedule ended.
///
/// # Examples
///
/// ```
/// use lab::explore::{Ending, Program};
/// let p = Program::new().shared("x", 0).thread("A", ["check x == 1"]);
/// assert_eq!(p.explore().unwrap().outcomes()[0].ending(), Ending::Failed);
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
    /// unlocking it, a `wait until` whose condition can no longer become true, or a
    /// thread asleep in `wait(cv, m)` that no thread is left to notify (a lost wakeup).
    Stuck,
}

/// What ended a schedule, as it happened. Threads, locks and sections are indices into
/// the machine's tables; a `step` is the first position of a thread whose step reads
/// like the one that ended it (so a `check` unrolled by `repeat` is one outcome).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum End {
    /// Every thread ran all its steps: the shared values, and any lock still held
    /// (holder, lock).
    Finished {
        values: Vec<i64>,
        held: Vec<(usize, usize)>,
    },
    /// A step failed.
    Failed(Failure),
    /// Every unfinished thread waits for a lock, and no lock's holder has finished: a
    /// cycle of lock waits.
    Deadlock { stuck: Vec<usize> },
    /// A thread locked a lock it already holds: a deadlock of one.
    LocksTwice { thread: usize, lock: usize },
    /// No thread can move, and not because of a cycle of lock waits.
    Stuck(Vec<Wait>),
    /// Some thread could still move: only a replay stops here.
    Unfinished { values: Vec<i64> },
}

/// How one step ended its schedule: what [`Machine::step_into`] returns, small, since
/// it is returned by every step the explorer takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    Failed(Failure),
    LocksTwice { thread: usize, lock: usize },
}

impl From<Stop> for End {
    fn from(stop: Stop) -> End {
        match stop {
            Stop::Failed(f) => End::Failed(f),
            Stop::LocksTwice { thread, lock } => End::LocksTwice { thread, lock },
        }
    }
}

/// A step that failed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Failure {
    Check {
        thread: usize,
        step: u32,
    },
    DividesByZero {
        thread: usize,
        step: u32,
    },
    UnlocksUnheld {
        thread: usize,
        lock: usize,
    },
    /// Two or more threads (a bit each) inside one critical section.
    BothIn {
        threads: u32,
        section: usize,
    },
    LeavesUnentered {
        thread: usize,
        section: usize,
    },
    /// `wait(cv, m)` without holding `m`.
    WaitsUnheld {
        thread: usize,
        cv: usize,
        lock: usize,
    },
}

/// Why a thread that has not finished cannot move.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Wait {
    /// For a lock whose holder has run all its steps.
    Abandoned {
        thread: usize,
        lock: usize,
        holder: usize,
    },
    /// For a lock another thread holds.
    Lock {
        thread: usize,
        lock: usize,
        holder: Option<usize>,
    },
    /// At a step whose condition is false (`wait until`, `acquire`).
    Until { thread: usize, step: u32 },
    /// Asleep in `wait(cv, m)`, never notified: the lost wakeup.
    Asleep { thread: usize, cv: usize },
}

impl End {
    /// The kind of ending, from what happened.
    pub(crate) fn ending(&self) -> Ending {
        match self {
            End::Finished { .. } => Ending::Finished,
            End::Failed(_) => Ending::Failed,
            End::Deadlock { .. } | End::LocksTwice { .. } => Ending::Deadlock,
            End::Stuck(_) | End::Unfinished { .. } => Ending::Stuck,
        }
    }

    /// A bug: anything but finishing, or finishing with a lock still held.
    fn is_bug(&self) -> bool {
        match self {
            End::Finished { held, .. } => !held.is_empty(),
            _ => true,
        }
    }
}

impl Machine {
    /// How `end` reads: `"balance = 800"`, `"deadlock (A, B stuck)"`, `"check failed in
    /// B: x == 2"`, ...
    pub(crate) fn label(&self, end: &End) -> String {
        let name = |t: usize| self.name(t);
        let lock = |l: usize| self.names.locks[l].as_str();
        let section = |c: usize| self.names.sections[c].as_str();
        match end {
            End::Finished { values, held } => {
                let mut label = self.values_text(values);
                if label.is_empty() {
                    label = "finished".into();
                }
                if !held.is_empty() {
                    let held: Vec<String> = held
                        .iter()
                        .map(|&(h, l)| format!("{} ended holding {}", name(h), lock(l)))
                        .collect();
                    let _ = write!(label, " ({})", held.join(", "));
                }
                label
            }
            End::Unfinished { values } => match self.values_text(values) {
                v if v.is_empty() => "unfinished".into(),
                v => format!("unfinished: {v}"),
            },
            End::Failed(Failure::Check { thread, step }) => {
                let cond = self.text(*thread, *step).trim_start_matches("check").trim();
                format!("check failed in {}: {cond}", name(*thread))
            }
            End::Failed(Failure::DividesByZero { thread, step }) => format!(
                "{} divides by zero: {}",
                name(*thread),
                self.text(*thread, *step)
            ),
            End::Failed(Failure::UnlocksUnheld { thread, lock: l }) => {
                format!(
                    "{} unlocks {}, which it does not hold",
                    name(*thread),
                    lock(*l)
                )
            }
            End::Failed(Failure::BothIn {
                threads,
                section: c,
            }) => {
                let who: Vec<&str> = (0..self.threads.len())
                    .filter(|u| threads & (1 << u) != 0)
                    .map(name)
                    .collect();
                format!("{} both in {}", who.join(" and "), section(*c))
            }
            End::Failed(Failure::LeavesUnentered { thread, section: c }) => format!(
                "{} leaves {}, which it never entered",
                name(*thread),
                section(*c)
            ),
            End::Failed(Failure::WaitsUnheld {
                thread,
                cv,
                lock: l,
            }) => format!(
                "{} waits on {} without holding {}",
                name(*thread),
                self.names.condvars[*cv],
                lock(*l)
            ),
            End::Deadlock { stuck } => {
                let names: Vec<&str> = stuck.iter().map(|&t| name(t)).collect();
                format!("deadlock ({} stuck)", names.join(", "))
            }
            End::LocksTwice { thread, lock: l } => {
                format!("deadlock ({} locks {} twice)", name(*thread), lock(*l))
            }
            End::Stuck(waits) => {
                let why: Vec<String> = waits
                    .iter()
                    .map(|w| match *w {
                        Wait::Abandoned {
                            thread,
                            lock: l,
                            holder,
                        } => format!(
                            "{} waits for {}, which {} ended holding",
                            name(thread),
                            lock(l),
                            name(holder)
                        ),
                        Wait::Lock {
                            thread,
                            lock: l,
                            holder,
                        } => format!(
                            "{} waits for {}, held by {}",
                            name(thread),
                            lock(l),
                            holder.map_or("nobody", name)
                        ),
                        Wait::Until { thread, step } => {
                            format!("{} waits: {}", name(thread), self.text(thread, step))
                        }
                        Wait::Asleep { thread, cv } => format!(
                            "{} sleeps on {} and no thread is left to notify it",
                            name(thread),
                            self.names.condvars[cv]
                        ),
                    })
                    .collect();
                format!("stuck: {}", why.join("; "))
            }
        }
    }

    /// `balance = 800, done = 2`.
    fn values_text(&self, values: &[i64]) -> String {
        self.names
            .shared
            .iter()
            .zip(values)
            .map(|(n, v)| format!("{n} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
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
    pub(crate) label: String,
    end: End,
    pub(crate) schedules: u64,
    values: Vec<(String, i64)>,
    pub(crate) shortest: Vec<String>,
}

impl Outcome {
    /// How it reads: `"balance = 800"`, `"deadlock (A, B stuck)"`, `"check failed in B:
    /// x == 2"`, ...
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().shared("x", 0).thread("A", ["x = 3"]);
    /// assert_eq!(p.explore().unwrap().outcomes()[0].label(), "x = 3");
    /// ```
    pub fn label(&self) -> &str {
        &self.label
    }

    /// How the schedules ended.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().thread("A", ["lock m", "lock m"]);
    /// assert_eq!(p.explore().unwrap().outcomes()[0].ending(), lab::explore::Ending::Deadlock);
    /// ```
    pub fn ending(&self) -> Ending {
        self.end.ending()
    }

    /// How many schedules (or, from [`Program::sample`](super::Program::sample), how many
    /// runs) ended this way.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().shared("x", 0).thread("A", ["x = 1"]).thread("B", ["x = 1"]);
    /// assert_eq!(p.explore().unwrap().outcomes()[0].schedules(), 2);
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
    /// let p = lab::explore::Program::new().shared("x", 0).thread("A", ["x = 4"]);
    /// let all = p.explore().unwrap();
    /// assert_eq!(all.outcomes()[0].value("x"), Some(4));
    /// assert_eq!(all.outcomes()[0].value("y"), None);
    /// ```
    pub fn value(&self, var: &str) -> Option<i64> {
        self.values.iter().find(|(n, _)| n == var).map(|(_, v)| *v)
    }

    /// Every shared variable's value at the end, as for [`value`](Outcome::value).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().shared("x", 0).shared("y", 1).thread("A", ["x = y"]);
    /// assert_eq!(p.explore().unwrap().outcomes()[0].values(), &[("x".to_string(), 1), ("y".to_string(), 1)]);
    /// ```
    pub fn values(&self) -> &[(String, i64)] {
        &self.values
    }

    /// The shortest schedule that ends this way, as the thread that took each step.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().shared("x", 0)
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
    /// let p = lab::explore::Program::new().thread("A", ["enter cs", "leave cs"]).thread("B", ["enter cs", "leave cs"]);
    /// let all = p.explore().unwrap();
    /// assert!(all.find(|o| o.failed()).unwrap().label().contains("both in cs"));
    /// ```
    pub fn failed(&self) -> bool {
        self.ending() == Ending::Failed
    }

    /// Whether it is a bug: a failure, a deadlock, a stuck thread, or every thread
    /// finished but one of them still holds a lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().thread("A", ["lock m"]).thread("B", ["lock m"]);
    /// let all = p.explore().unwrap();
    /// assert!(all.outcomes().iter().all(|o| o.is_bug())); // one thread ends holding m
    /// ```
    pub fn is_bug(&self) -> bool {
        self.end.is_bug()
    }
}

/// Outcomes gathered while exploring or sampling, before they are labelled and sorted.
#[derive(Default)]
pub(crate) struct Counts {
    /// Each ending seen, by its index in `found` (the order it was first seen in).
    index: HashMap<End, usize>,
    found: Vec<Found>,
}

/// One ending's schedules so far.
struct Found {
    end: End,
    schedules: u64,
    values: Vec<(String, i64)>,
    shortest: Vec<String>,
}

impl Counts {
    /// Adds `count` schedules ending in `end`; `path` is one of them (kept if shortest).
    /// Returns the ending's number: the order in which endings were first seen.
    pub(crate) fn add(
        &mut self,
        end: End,
        count: u64,
        values: impl FnOnce() -> Vec<(String, i64)>,
        path: impl FnOnce() -> Vec<String>,
        length: usize,
    ) -> Result<usize> {
        if let Some(&i) = self.index.get(&end) {
            let f = &mut self.found[i];
            f.schedules = f.schedules.checked_add(count).ok_or_else(too_many)?;
            if length < f.shortest.len() {
                f.shortest = path();
                f.values = values();
            }
            return Ok(i);
        }
        let i = self.found.len();
        self.index.insert(end.clone(), i);
        self.found.push(Found {
            end,
            schedules: count,
            values: values(),
            shortest: path(),
        });
        Ok(i)
    }

    /// The outcomes, labelled, most frequent first, then by label; and for each ending's
    /// number from [`add`](Counts::add), where its outcome went.
    pub(crate) fn sorted(self, machine: &Machine) -> (Vec<Outcome>, Vec<usize>) {
        let mut v: Vec<(usize, Outcome)> = self
            .found
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let o = Outcome {
                    label: machine.label(&f.end),
                    end: f.end,
                    schedules: f.schedules,
                    values: f.values,
                    shortest: f.shortest,
                };
                (i, o)
            })
            .collect();
        v.sort_by(|(_, a), (_, b)| {
            b.schedules
                .cmp(&a.schedules)
                .then_with(|| a.label.cmp(&b.label))
                .then_with(|| a.ending().cmp(&b.ending()))
        });
        let mut rank = vec![0; v.len()];
        for (r, (i, _)) in v.iter().enumerate() {
            rank[*i] = r;
        }
        (v.into_iter().map(|(_, o)| o).collect(), rank)
    }
}

pub(crate) fn too_many() -> Error {
    Error::of(
        ErrorKind::Limit,
        format!(
            "more than {} schedules: too many to count in 64 bits; use fewer threads or steps",
            fmt_count(u64::MAX)
        ),
    )
}
