//! Every interleaving: small per-thread step programs, run under *all* schedules.
//!
//! A [`Program`] has shared variables and a few threads, each a short list of [`Step`]s
//! (read a shared variable into the thread's local value, compute on the local value,
//! write it back, lock, unlock, atomically add). [`Program::explore`] runs every possible
//! order in which the threads' steps can interleave and counts the outcomes;
//! [`Program::replay`] runs one chosen schedule and shows it step by step, in the style
//! of the article's table; [`Program::stepper`] lets a learner choose the next thread by
//! hand, one cell at a time.
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
//! Locks are modelled faithfully: a thread cannot take a lock another thread holds, so
//! schedules that would need it to are impossible and are not counted. If at some point
//! no unfinished thread can move, that schedule ends in a **deadlock** (a cycle of lock
//! waits), or, when the lock waited for belongs to a thread that ended without unlocking
//! it, in an outcome that says so.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::time::{Duration, Instant};

use crate::draw::{Bars, Table};
use crate::error::{Error, Result};

/// The most threads a [`Program`] may have (not the same limit as
/// [`scenarios::MAX_THREADS`](crate::scenarios::MAX_THREADS), which is for real threads).
pub const MAX_PROGRAM_THREADS: usize = 6;
/// The most steps one thread of a [`Program`] may have.
pub const MAX_STEPS_PER_THREAD: usize = 12;
/// Exploration stops (and says so) after this many complete schedules.
pub const MAX_SCHEDULES: u64 = 5_000_000;

/// One step of a thread's program.
///
/// # Examples
///
/// ```
/// use lab::explore::Step;
/// assert_eq!(Step::read("balance").to_string(), "read balance");
/// assert_eq!(Step::add(-200).to_string(), "local − 200");
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
}

impl Step {
    /// Reads shared variable `var` into the thread's local value.
    pub fn read(var: &str) -> Step {
        Step::Read(var.to_string())
    }
    /// Adds `n` to the thread's local value (no shared memory involved).
    pub fn add(n: i64) -> Step {
        Step::Add(n)
    }
    /// Writes the thread's local value to shared variable `var`.
    pub fn write(var: &str) -> Step {
        Step::Write(var.to_string())
    }
    /// Takes lock `name`.
    pub fn lock(name: &str) -> Step {
        Step::Lock(name.to_string())
    }
    /// Releases lock `name`.
    pub fn unlock(name: &str) -> Step {
        Step::Unlock(name.to_string())
    }
    /// Adds `n` to shared variable `var` in one indivisible step.
    pub fn atomic_add(var: &str, n: i64) -> Step {
        Step::AtomicAdd(var.to_string(), n)
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
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    shared: Vec<(String, i64)>,
    threads: Vec<(String, Vec<Step>)>,
    error: Option<Error>,
}

/// Where a program is, part way through a schedule.
#[derive(Clone, Debug, PartialEq)]
struct State {
    shared: Vec<i64>,
    locals: Vec<i64>,
    pcs: Vec<usize>,
    holders: BTreeMap<String, usize>,
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

    /// Declares a shared variable and its starting value.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 5).thread("T", [Step::read("x")]);
    /// assert_eq!(p.explore().unwrap().schedules(), 1);
    /// ```
    pub fn shared(mut self, name: &str, start: i64) -> Program {
        if self.shared.iter().any(|(n, _)| n == name) {
            self.fail(format!("shared variable {name:?} is declared twice"));
        }
        self.shared.push((name.to_string(), start));
        self
    }

    /// Adds a thread with a name and its steps, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 0)
    ///     .thread("T", [Step::atomic_add("x", 1)])
    ///     .thread("U", [Step::atomic_add("x", 1)]);
    /// assert_eq!(p.explore().unwrap().count("x = 2").unwrap(), 2);
    /// ```
    pub fn thread(mut self, name: &str, steps: impl IntoIterator<Item = Step>) -> Program {
        let steps: Vec<Step> = steps.into_iter().collect();
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
        if steps.len() > MAX_STEPS_PER_THREAD {
            self.fail(format!(
                "thread {name:?} has {} steps; the explorer takes at most {MAX_STEPS_PER_THREAD} per thread",
                steps.len()
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

    fn check(&self) -> Result<()> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.threads.is_empty() {
            return Err(Error::new(
                "the program has no threads: add some with .thread(name, steps)",
            ));
        }
        for (name, steps) in &self.threads {
            for step in steps {
                let var = match step {
                    Step::Read(v) | Step::Write(v) | Step::AtomicAdd(v, _) => Some(v),
                    _ => None,
                };
                if let Some(v) = var
                    && !self.shared.iter().any(|(n, _)| n == v)
                {
                    return Err(Error::new(format!(
                        "thread {name:?} uses {v:?}, which is not declared: add .shared({v:?}, start)"
                    )));
                }
            }
        }
        Ok(())
    }

    fn start(&self) -> State {
        State {
            shared: self.shared.iter().map(|(_, v)| *v).collect(),
            locals: vec![0; self.threads.len()],
            pcs: vec![0; self.threads.len()],
            holders: BTreeMap::new(),
        }
    }

    fn var(&self, name: &str) -> usize {
        self.shared
            .iter()
            .position(|(n, _)| n == name)
            .expect("checked by Program::check")
    }

    /// Can thread `t` take its next step in `state`?
    fn can_move(&self, state: &State, t: usize) -> bool {
        let steps = &self.threads[t].1;
        match steps.get(state.pcs[t]) {
            None => false,
            Some(Step::Lock(l)) => state.holders.get(l).is_none_or(|h| *h == t),
            Some(_) => true,
        }
    }

    /// Takes thread `t`'s next step. The caller checked `can_move`.
    fn advance(&self, state: &mut State, t: usize) -> Result<()> {
        let step = &self.threads[t].1[state.pcs[t]];
        match step {
            Step::Read(v) => state.locals[t] = state.shared[self.var(v)],
            Step::Add(n) => state.locals[t] = state.locals[t].wrapping_add(*n),
            Step::Write(v) => {
                let i = self.var(v);
                state.shared[i] = state.locals[t];
            }
            Step::AtomicAdd(v, n) => {
                let i = self.var(v);
                state.shared[i] = state.shared[i].wrapping_add(*n);
            }
            Step::Lock(l) => {
                if state.holders.get(l) == Some(&t) {
                    return Err(Error::new(format!(
                        "thread {:?} locks {l:?} twice without unlocking: std's Mutex would deadlock (or panic) here",
                        self.threads[t].0
                    )));
                }
                state.holders.insert(l.clone(), t);
            }
            Step::Unlock(l) => {
                if state.holders.get(l) != Some(&t) {
                    return Err(Error::new(format!(
                        "thread {:?} unlocks {l:?}, which it does not hold",
                        self.threads[t].0
                    )));
                }
                state.holders.remove(l);
            }
        }
        state.pcs[t] += 1;
        Ok(())
    }

    fn finished(&self, state: &State) -> bool {
        state
            .pcs
            .iter()
            .zip(&self.threads)
            .all(|(pc, (_, steps))| *pc == steps.len())
    }

    /// How a state reads as an outcome: the shared values when every thread finished
    /// (`"finished"` when there are none); `"unfinished: ..."` while some thread can still
    /// move (a replay stopped early); otherwise why the stuck threads are stuck: a cycle of
    /// lock waits is a deadlock, a wait for a lock whose holder ended without unlocking is
    /// named as that.
    fn outcome(&self, state: &State) -> String {
        let values: Vec<String> = self
            .shared
            .iter()
            .zip(&state.shared)
            .map(|((n, _), v)| format!("{n} = {v}"))
            .collect();
        let values = values.join(", ");
        let name = |t: usize| self.threads[t].0.as_str();
        if self.finished(state) {
            let values = if values.is_empty() {
                "finished".to_string()
            } else {
                values
            };
            // Every thread ran all its steps, but a lock never unlocked is a bug too.
            let held: Vec<String> = state
                .holders
                .iter()
                .map(|(l, &h)| format!("{} ended holding {l}", name(h)))
                .collect();
            return if held.is_empty() {
                values
            } else {
                format!("{values} ({})", held.join(", "))
            };
        }
        if (0..self.threads.len()).any(|t| self.can_move(state, t)) {
            return if values.is_empty() {
                "unfinished".to_string()
            } else {
                format!("unfinished: {values}")
            };
        }
        let stuck: Vec<usize> = (0..self.threads.len())
            .filter(|t| state.pcs[*t] < self.threads[*t].1.len())
            .collect();
        // A stuck thread waits for a lock; if its holder has run all its steps, nobody
        // will ever unlock it: that is a forgotten unlock, not a cycle.
        let abandoned: Vec<String> = stuck
            .iter()
            .filter_map(|&t| match &self.threads[t].1[state.pcs[t]] {
                Step::Lock(l) => state
                    .holders
                    .get(l)
                    .filter(|&&h| state.pcs[h] == self.threads[h].1.len())
                    .map(|&h| {
                        format!("{} waits for {l}, which {} ended holding", name(t), name(h))
                    }),
                _ => None,
            })
            .collect();
        if !abandoned.is_empty() {
            return format!("stuck: {}", abandoned.join("; "));
        }
        let names: Vec<&str> = stuck.iter().map(|&t| name(t)).collect();
        format!("deadlock ({} stuck)", names.join(", "))
    }

    /// Runs every schedule (every order of the threads' steps that the locks allow) and
    /// counts the outcomes.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// // 3 threads of 4 steps: 12! / (4!·4!·4!) = 34 650 schedules.
    /// let t = |n| [Step::read("x"), Step::add(n), Step::add(0), Step::write("x")];
    /// let p = Program::new().shared("x", 0).thread("A", t(1)).thread("B", t(2)).thread("C", t(4));
    /// let all = p.explore().unwrap();
    /// assert_eq!(all.schedules(), 34_650);
    /// assert_eq!(all.count("x = 7").unwrap(), 6); // only the 3! one-after-another orders
    /// ```
    pub fn explore(&self) -> Result<Exploration> {
        self.check()?;
        let began = Instant::now();
        let mut outcomes: BTreeMap<String, (u64, Vec<usize>)> = BTreeMap::new();
        let mut schedules = 0u64;
        let mut truncated = false;
        let mut path = Vec::new();
        self.dfs(
            &self.start(),
            &mut path,
            &mut outcomes,
            &mut schedules,
            &mut truncated,
        )?;
        Ok(Exploration {
            program: self.clone(),
            outcomes,
            schedules,
            truncated,
            took: began.elapsed(),
        })
    }

    fn dfs(
        &self,
        state: &State,
        path: &mut Vec<usize>,
        outcomes: &mut BTreeMap<String, (u64, Vec<usize>)>,
        schedules: &mut u64,
        truncated: &mut bool,
    ) -> Result<()> {
        if *schedules >= MAX_SCHEDULES {
            *truncated = true;
            return Ok(());
        }
        let movable: Vec<usize> = (0..self.threads.len())
            .filter(|t| self.can_move(state, *t))
            .collect();
        if movable.is_empty() {
            // Finished, or deadlocked: either way this schedule is complete.
            *schedules += 1;
            let entry = outcomes
                .entry(self.outcome(state))
                .or_insert_with(|| (0, path.clone()));
            entry.0 += 1;
            return Ok(());
        }
        for t in movable {
            let mut next = state.clone();
            self.advance(&mut next, t)?;
            path.push(t);
            self.dfs(&next, path, outcomes, schedules, truncated)?;
            path.pop();
        }
        Ok(())
    }

    /// Runs one schedule, given as thread names in the order they move (e.g.
    /// `["A", "B", "A", "B", "A", "B"]`), and returns its step-by-step table.
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
    /// assert!(p.replay(["A", "A", "A", "A"]).is_err()); // A has only 3 steps
    /// ```
    pub fn replay<S: AsRef<str>>(&self, order: impl IntoIterator<Item = S>) -> Result<Replay> {
        let mut stepper = self.stepper()?;
        for name in order {
            stepper.step(name.as_ref())?;
        }
        Ok(stepper.replay())
    }

    /// A program to step through by hand: call [`Stepper::step`] with the thread to move.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 0).thread("A", [Step::read("x"), Step::add(1)]);
    /// let mut s = p.stepper().unwrap();
    /// s.step("A").unwrap();
    /// assert_eq!(s.replay().rows().len(), 1);
    /// ```
    pub fn stepper(&self) -> Result<Stepper> {
        self.check()?;
        Ok(Stepper {
            state: self.start(),
            program: self.clone(),
            rows: Vec::new(),
        })
    }

    fn thread_index(&self, name: &str) -> Result<usize> {
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

/// What [`Program::explore`] found: how many schedules, and which outcomes how often.
///
/// Displays as a bar chart of outcomes.
#[derive(Clone, Debug)]
pub struct Exploration {
    program: Program,
    outcomes: BTreeMap<String, (u64, Vec<usize>)>,
    schedules: u64,
    truncated: bool,
    took: Duration,
}

impl Exploration {
    /// How many complete schedules were explored.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 0)
    ///     .thread("A", [Step::read("x"), Step::write("x")])
    ///     .thread("B", [Step::read("x"), Step::write("x")]);
    /// assert_eq!(p.explore().unwrap().schedules(), 6); // 4! / (2!·2!)
    /// ```
    pub fn schedules(&self) -> u64 {
        self.schedules
    }

    /// How many schedules ended with this outcome (e.g. `"balance = 800"`, or one
    /// starting with `"deadlock"`): 0 if none did, and an error naming the outcomes
    /// there are if `outcome` is not written like one (a typo would otherwise read as 0).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 0).thread("A", [Step::atomic_add("x", 2)]);
    /// assert_eq!(p.explore().unwrap().count("x = 2").unwrap(), 1);
    /// assert_eq!(p.explore().unwrap().count("x = 3").unwrap(), 0);
    /// ```
    pub fn count(&self, outcome: &str) -> Result<u64> {
        if let Some((n, _)) = self.outcomes.get(outcome) {
            return Ok(*n);
        }
        if self.could_end_in(outcome) {
            return Ok(0);
        }
        let known: Vec<String> = self.outcomes().into_iter().map(|(k, _)| k).collect();
        Err(Error::new(format!(
            "{outcome:?} is not an outcome this program can have; it ended in {known:?}"
        )))
    }

    /// Whether `outcome` is written like an end state of this program: every shared
    /// variable, in order, `name = value` (or `finished` with none), or a deadlock.
    fn could_end_in(&self, outcome: &str) -> bool {
        let shared = &self.program.shared;
        if outcome.starts_with("deadlock") {
            return true;
        }
        if shared.is_empty() {
            return outcome == "finished";
        }
        let parts: Vec<&str> = outcome.split(", ").collect();
        parts.len() == shared.len()
            && parts.iter().zip(shared).all(|(part, (name, _))| {
                part.strip_prefix(name.as_str())
                    .and_then(|rest| rest.strip_prefix(" = "))
                    .is_some_and(|v| v.parse::<i64>().is_ok())
            })
    }

    /// Every outcome with its count, most frequent first.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 0).thread("A", [Step::atomic_add("x", 1)]);
    /// assert_eq!(p.explore().unwrap().outcomes(), vec![("x = 1".to_string(), 1)]);
    /// ```
    pub fn outcomes(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .outcomes
            .iter()
            .map(|(k, (n, _))| (k.clone(), *n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
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
        self.outcomes()
            .into_iter()
            .filter(|(k, _)| k.starts_with("deadlock"))
            .collect()
    }

    /// One schedule that ends in `outcome`, replayed step by step.
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
        let Some((_, path)) = self.outcomes.get(outcome) else {
            let known: Vec<String> = self.outcomes().into_iter().map(|(k, _)| k).collect();
            return Err(Error::new(format!(
                "no schedule ended in {outcome:?}; the outcomes are {known:?}"
            )));
        };
        let names: Vec<&str> = path
            .iter()
            .map(|t| self.program.threads[*t].0.as_str())
            .collect();
        let mut stepper = self.program.stepper()?;
        for n in names {
            stepper.step(n)?;
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
            "all {} schedules{}: how each one ends",
            self.schedules,
            if self.truncated {
                " (stopped early)"
            } else {
                ""
            }
        ))
        .unit("schedules");
        for (outcome, n) in self.outcomes() {
            let share = 100.0 * n as f64 / self.schedules.max(1) as f64;
            bars = bars
                .bar(outcome, n as f64)
                .annotate(format!("({share:.0}%)"));
        }
        bars.note(format!(
            "{} threads, {} steps; explored in {}{}",
            self.program.threads.len(),
            self.program
                .threads
                .iter()
                .map(|(_, s)| s.len())
                .sum::<usize>(),
            crate::fmt_duration(self.took),
            if self.truncated {
                format!("; stopped at {MAX_SCHEDULES} schedules")
            } else {
                String::new()
            }
        ))
    }

    /// Shows the bar chart of outcomes as a cell's output.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// Program::new().shared("x", 0).thread("A", [Step::atomic_add("x", 1)])
    ///     .explore().unwrap().evcxr_display();
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
            "{} schedules explored in {}{}",
            self.schedules,
            crate::fmt_duration(self.took),
            if self.truncated {
                " (stopped early)"
            } else {
                ""
            }
        )?;
        let mut s = String::new();
        for (outcome, n) in self.outcomes() {
            let _ = writeln!(s, "  {outcome}: {n}");
        }
        f.write_str(s.trim_end())
    }
}

/// Steps a [`Program`] by hand, one chosen thread at a time.
#[derive(Clone, Debug)]
pub struct Stepper {
    program: Program,
    state: State,
    rows: Vec<Vec<String>>,
}

impl Stepper {
    /// Moves thread `name` one step; returns the table of every step so far.
    ///
    /// Fails, saying why, if that thread has finished, is waiting for a lock, or does
    /// not exist.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 1).thread("A", [Step::read("x")]);
    /// let mut s = p.stepper().unwrap();
    /// s.step("A").unwrap();
    /// assert!(s.step("A").unwrap_err().to_string().contains("has finished"));
    /// ```
    pub fn step(&mut self, name: &str) -> Result<Replay> {
        let p = &self.program;
        let t = p.thread_index(name)?;
        let steps = &p.threads[t].1;
        let Some(step) = steps.get(self.state.pcs[t]) else {
            return Err(Error::new(format!(
                "thread {name:?} has finished all {} of its steps: move another thread",
                steps.len()
            )));
        };
        if !p.can_move(&self.state, t) {
            let holder = match step {
                Step::Lock(l) => self
                    .state
                    .holders
                    .get(l)
                    .map(|h| p.threads[*h].0.clone())
                    .unwrap_or_default(),
                _ => String::new(),
            };
            return Err(Error::new(format!(
                "thread {name:?} is waiting: its next step, {step}, needs a lock that {holder:?} holds"
            )));
        }
        let description = step.to_string();
        p.advance(&mut self.state, t)?;
        let mut row = vec![
            (self.rows.len() + 1).to_string(),
            name.to_string(),
            description,
        ];
        row.extend(self.state.locals.iter().map(|v| v.to_string()));
        row.extend(self.state.shared.iter().map(|v| v.to_string()));
        self.rows.push(row);
        Ok(self.replay())
    }

    /// Which threads can move now (unfinished and not waiting for a lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 1).thread("A", [Step::read("x")]);
    /// assert_eq!(p.stepper().unwrap().can_move(), vec!["A".to_string()]);
    /// ```
    pub fn can_move(&self) -> Vec<String> {
        (0..self.program.threads.len())
            .filter(|t| self.program.can_move(&self.state, *t))
            .map(|t| self.program.threads[t].0.clone())
            .collect()
    }

    /// The steps taken so far, as a [`Replay`].
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 1).thread("A", [Step::read("x")]);
    /// assert!(p.stepper().unwrap().replay().rows().is_empty());
    /// ```
    pub fn replay(&self) -> Replay {
        let p = &self.program;
        let mut header = vec!["#".to_string(), "thread".into(), "step".into()];
        header.extend(p.threads.iter().map(|(n, _)| format!("{n}'s local")));
        header.extend(p.shared.iter().map(|(n, _)| format!("{n} (shared)")));
        Replay {
            header,
            rows: self.rows.clone(),
            outcome: p.outcome(&self.state),
            finished: p.finished(&self.state),
            can_move: self.can_move(),
        }
    }

    /// Shows the table so far as a cell's output.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 1).thread("A", [Step::read("x")]);
    /// p.stepper().unwrap().evcxr_display();
    /// ```
    pub fn evcxr_display(&self) {
        self.replay().evcxr_display();
    }
}

/// One schedule, step by step: thread, step, every local value, every shared value.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    outcome: String,
    finished: bool,
    can_move: Vec<String>,
}

impl Replay {
    /// The rows of the table, one per step.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 1).thread("A", [Step::read("x"), Step::add(1)]);
    /// let r = p.replay(["A", "A"]).unwrap();
    /// assert_eq!(r.rows()[1][2], "local + 1");
    /// ```
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// The shared values now (or the deadlock), e.g. `"balance = 800"`.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 1).thread("A", [Step::atomic_add("x", 1)]);
    /// assert_eq!(p.replay(["A"]).unwrap().outcome(), "x = 2");
    /// ```
    pub fn outcome(&self) -> &str {
        &self.outcome
    }

    /// The table.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 1).thread("A", [Step::read("x")]);
    /// assert!(p.replay(["A"]).unwrap().table().to_html().contains("read x"));
    /// ```
    pub fn table(&self) -> Table {
        let mut t = Table::new(self.header.iter());
        for r in &self.rows {
            t = t.row(r.iter());
        }
        t
    }

    /// Shows the table, and the outcome or what can move next, as a cell's output.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Step};
    /// let p = Program::new().shared("x", 1).thread("A", [Step::read("x")]);
    /// p.replay(["A"]).unwrap().evcxr_display();
    /// ```
    pub fn evcxr_display(&self) {
        let status = if self.finished {
            format!("finished: {}", self.outcome)
        } else if self.can_move.is_empty() {
            format!("stuck: {}", self.outcome)
        } else {
            format!("next, any of: {}", self.can_move.join(", "))
        };
        let table = self.table();
        crate::draw::emit_html(
            &format!("{table}\n{status}"),
            &format!("{}\n<p><b>{status}</b></p>", table.to_html()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let outcomes = all.outcomes();
        let total: u64 = outcomes.iter().map(|(_, n)| n).sum();
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
        assert_eq!(all.outcomes(), vec![("balance = 1300".to_string(), 2)]);
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
        let err = s.step("B").unwrap_err().to_string();
        assert!(
            err.contains("waiting") && err.contains("\"A\" holds"),
            "{err}"
        );
        assert!(
            s.step("C")
                .unwrap_err()
                .to_string()
                .contains("no thread named")
        );
        assert_eq!(s.can_move(), vec!["A".to_string()]);
    }

    #[test]
    fn bad_programs_get_one_line_errors() {
        let undeclared = Program::new().thread("A", [Step::read("nope")]);
        assert!(
            undeclared
                .explore()
                .unwrap_err()
                .to_string()
                .contains("not declared")
        );
        let empty = Program::new().shared("x", 0).thread("A", []);
        assert!(
            empty
                .explore()
                .unwrap_err()
                .to_string()
                .contains("no steps")
        );
        let twice = Program::new().thread("A", [Step::lock("m"), Step::lock("m")]);
        assert!(twice.explore().unwrap_err().to_string().contains("twice"));
    }

    #[test]
    fn outcomes_say_what_happened_not_just_deadlock() {
        // No shared variables: every schedule simply finishes.
        let locks = Program::new()
            .thread("A", [Step::lock("m"), Step::unlock("m")])
            .thread("B", [Step::lock("m"), Step::unlock("m")]);
        assert_eq!(
            locks.explore().unwrap().outcomes(),
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
}
