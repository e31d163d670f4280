//! The result of the exhaustive search: every outcome with its exact count, queries on
//! them, the shortest schedule to each, and the chart.

use std::fmt::{self, Write as _};
use std::time::Duration;

use super::machine::Machine;
use super::{Ending, Outcome, Replay, Stepper};
use crate::draw::Bars;
use crate::error::{Error, ErrorKind, Result, svg_or_problem};
use crate::show::{Rendering, Show, fmt_count, shown_in_cells};

/// The result of [`Program::explore`](super::Program::explore): every outcome, with exact counts.
///
/// # Examples
///
/// ```
/// use lab::explore::{Program, Step};
/// let p = Program::new().shared("x", 0)
///     .thread("A", [Step::atomic_add("x", 1)])
///     .thread("B", [Step::atomic_add("x", 1)]);
/// let all = p.explore().unwrap();
/// assert_eq!(all.count("x = 2").unwrap(), 2);
/// assert_eq!(all.outcomes().len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct Exploration {
    pub(crate) program: Machine,
    pub(crate) outcomes: Vec<Outcome>,
    pub(crate) schedules: u64,
    pub(crate) states: usize,
    pub(crate) took: Duration,
}

impl Exploration {
    /// How many schedules there are in all.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().shared("x", 0)
    ///     .thread("A", [lab::explore::Step::atomic_add("x", 1)]);
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
    /// let p = lab::explore::Program::new().shared("x", 0).thread("A", ["x = 1"]).thread("B", ["x = 2"]);
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
    /// let p = lab::explore::Program::new().thread("A", ["x = 1"]);
    /// assert!(p.explore().unwrap().took() < std::time::Duration::from_secs(1));
    /// ```
    pub fn took(&self) -> Duration {
        self.took
    }

    /// How many schedules ended with this outcome, written as its label (e.g. `"balance =
    /// 800"`, `"deadlock (A, B stuck)"`): 0 if none did, and an error naming the outcomes
    /// there are if `outcome` is not written like one this program can have (a typo would
    /// otherwise read as 0). To count by a condition instead of a label, use
    /// [`count_where`](Exploration::count_where).
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
        let mut found = self
            .outcomes
            .iter()
            .filter(|o| o.label == outcome)
            .peekable();
        if found.peek().is_some() {
            return Ok(found.map(|o| o.schedules).sum());
        }
        if self.could_end_in(outcome) {
            return Ok(0);
        }
        let hint = if outcome.trim() == "deadlock" || outcome.trim() == "deadlocks" {
            " (to count every deadlock, use count_where(|o| o.ending() == Ending::Deadlock))"
        } else {
            ""
        };
        Err(Error::of(
            ErrorKind::NotFound,
            format!(
                "{outcome:?} is not an outcome this program can have; it ended in {:?}{hint}",
                self.labels()
            ),
        ))
    }

    fn labels(&self) -> Vec<&str> {
        self.outcomes.iter().map(|o| o.label.as_str()).collect()
    }

    /// Whether `outcome` is written like a label this program could have and did not:
    /// every shared variable, in order, `name = value` (or `finished` with none), or a
    /// cycle of lock waits among its threads, `deadlock (A, B stuck)`.
    fn could_end_in(&self, outcome: &str) -> bool {
        let m = &self.program;
        let thread = |name: &str| (0..m.threads.len()).position(|t| m.name(t) == name);
        if let Some(names) = outcome
            .strip_prefix("deadlock (")
            .and_then(|rest| rest.strip_suffix(" stuck)"))
        {
            // Threads of this program, in their order, at least two.
            let at: Vec<Option<usize>> = names.split(", ").map(thread).collect();
            return at.len() >= 2
                && at.iter().all(Option::is_some)
                && at.windows(2).all(|w| w[0] < w[1]);
        }
        if let Some((who, lock)) = outcome
            .strip_prefix("deadlock (")
            .and_then(|rest| rest.strip_suffix(" twice)"))
            .and_then(|rest| rest.rsplit_once(" locks "))
        {
            return thread(who).is_some() && m.names.locks.iter().any(|l| l == lock);
        }
        let shared = &m.names.shared;
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
    /// let p = lab::explore::Program::new().thread("A", ["lock x", "lock y", "unlock y", "unlock x"])
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
    /// let p = lab::explore::Program::new().shared("x", 0).thread("A", ["x = 1"]).thread("B", ["x = 2"]);
    /// assert_eq!(p.explore().unwrap().outcomes().len(), 2);
    /// ```
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
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
            .filter(|o| o.ending() == Ending::Deadlock)
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
            return Err(Error::of(
                ErrorKind::NotFound,
                format!(
                    "no schedule ended in {outcome:?}; the outcomes are {:?}",
                    self.labels()
                ),
            ));
        };
        self.replay_of(o)
    }

    /// The shortest schedule to an outcome for which `pred` is true, replayed; an error
    /// if no schedule ends that way.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().shared("x", 0)
    ///     .thread("A", ["check x == 0"]).thread("B", ["x = 1"]);
    /// let run = p.explore().unwrap().example_where(|o| o.failed()).unwrap();
    /// assert_eq!(run.rows().len(), 2);
    /// ```
    pub fn example_where(&self, pred: impl Fn(&Outcome) -> bool) -> Result<Replay> {
        match self.find(pred) {
            Some(o) => self.replay_of(o),
            None => Err(Error::of(
                ErrorKind::NotFound,
                format!(
                    "no schedule ends in an outcome like that; the outcomes are {:?}",
                    self.labels()
                ),
            )),
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
            crate::show::fmt_duration(self.took),
        ))
    }
}

impl Show for Exploration {
    fn summary(&self) -> String {
        self.to_string()
    }

    fn rendering(&self) -> Rendering {
        svg_or_problem(self.chart().to_svg())
    }
}
shown_in_cells!(
    Exploration,
    r#"lab::explore::Program::new().thread("A", ["x = 1"]).explore().unwrap()"#
);

impl fmt::Display for Exploration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} schedules, {} distinct states, counted in {}",
            fmt_count(self.schedules),
            fmt_count(self.states as u64),
            crate::show::fmt_duration(self.took),
        )?;
        let mut s = String::new();
        for o in &self.outcomes {
            let _ = writeln!(s, "  {}: {}", o.label, fmt_count(o.schedules));
        }
        f.write_str(s.trim_end())
    }
}
