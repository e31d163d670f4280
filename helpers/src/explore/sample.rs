//! The sampled search: some schedules, chosen by uniformly random choices or by PCT, and
//! what they found ([`Samples`]).

use std::fmt::{self, Write as _};

use super::Outcome;
use super::machine::Machine;
use super::outcome::Counts;
use crate::draw::Bars;
use crate::error::{Error, ErrorKind, Result, svg_or_problem};
use crate::show::{Rendering, Show, fmt_count, shown_in_cells};

/// The most runs one [`Program::sample`](super::Program::sample) call makes.
///
/// # Examples
///
/// ```
/// use lab::explore::{MAX_RUNS, Program, Scheduler};
/// let p = Program::new().shared("x", 0).thread("A", ["x = 1"]);
/// let err = p.sample(Scheduler::Random, MAX_RUNS + 1, 0).unwrap_err();
/// assert_eq!(err.kind(), lab::ErrorKind::BadInput);
/// ```
pub const MAX_RUNS: usize = 1_000_000;

/// How [`Program::sample`](super::Program::sample) picks the next thread.
///
/// # Examples
///
/// ```
/// use lab::explore::Scheduler;
/// assert_eq!(Scheduler::Pct { depth: 2 }.to_string(), "PCT, depth 2");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduler {
    /// At every step, any thread that can move, with equal chances: what a naive random
    /// tester does (and, roughly, what a stress test hopes the OS does).
    Random,
    /// Probabilistic concurrency testing (Burckhardt et al., 2010): threads get random
    /// priorities and the highest-priority thread that can move always runs, except that
    /// at `depth - 1` random steps (change points k₁ … k_{d−1}, drawn independently, not
    /// sorted) the thread about to run drops to priority i, below every starting priority:
    /// the thread demoted at kᵢ ranks above the one demoted at kⱼ when i > j, as in the
    /// paper. A bug that needs `depth - 1` scheduling choices (switches the scheduler must
    /// make, beyond the ones forced by threads waiting or finishing) is found in each run
    /// with probability at least 1 / (n × k^(depth-1)), with n threads and k the program's
    /// instruction count (every step of every thread, untaken branches included: a bound on
    /// the steps of one run), however unlikely it is at random.
    Pct {
        /// How many orderings the bug needs (1 or more; 2 or 3 find most bugs).
        depth: usize,
    },
}

impl fmt::Display for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scheduler::Random => f.write_str("random"),
            Scheduler::Pct { depth } => write!(f, "PCT, depth {depth}"),
        }
    }
}

/// Runs of a program under a sampling scheduler: how each ended, and when a kind of
/// outcome first turned up.
///
/// # Examples
///
/// ```
/// use lab::explore::{Program, Scheduler};
/// let p = Program::new().shared("x", 0)
///     .thread("A", ["t = x", "x = t + 1"]).thread("B", ["t = x", "x = t + 1"]);
/// let runs = p.sample(Scheduler::Random, 100, 1).unwrap();
/// assert_eq!(runs.count_where(|_| true), 100);
/// ```
#[derive(Clone, Debug)]
pub struct Samples {
    scheduler: Scheduler,
    seed: u64,
    /// For each run, the index of its outcome in `outcomes`.
    runs: Vec<u32>,
    outcomes: Vec<Outcome>,
}

pub(crate) fn sample(
    program: Machine,
    scheduler: Scheduler,
    runs: usize,
    seed: u64,
) -> Result<Samples> {
    if runs == 0 || runs > MAX_RUNS {
        return Err(Error::of(
            ErrorKind::BadInput,
            format!(
                "runs = {runs}: ask for 1 to {} runs, e.g. 1000",
                fmt_count(MAX_RUNS as u64)
            ),
        ));
    }
    if let Scheduler::Pct { depth } = scheduler
        && !(1..=8).contains(&depth)
    {
        return Err(Error::of(
            ErrorKind::BadInput,
            format!("PCT depth {depth}: give a depth from 1 to 8 (2 or 3 finds most bugs)"),
        ));
    }
    let n = program.threads.len();
    // k of the paper: an upper bound on the steps of one run. Every instruction of every
    // thread (a branch not taken included) bounds it; change points are drawn from 1..=k.
    let steps = program.steps().max(1);
    let mut rng = SplitMix(seed);
    let mut tally = Counts::default();
    let mut ended: Vec<u32> = Vec::with_capacity(runs);
    for _ in 0..runs {
        // PCT: distinct random priorities depth..depth+n (higher runs first), and
        // depth-1 change points among the steps.
        let mut priority: Vec<usize> = (0..n).collect();
        let mut change_at: Vec<usize> = Vec::new();
        if let Scheduler::Pct { depth } = scheduler {
            for i in (1..n).rev() {
                let j = rng.below(i + 1);
                priority.swap(i, j);
            }
            for p in &mut priority {
                *p += depth;
            }
            change_at = (0..depth - 1).map(|_| 1 + rng.below(steps)).collect();
        }
        let mut state = program.start();
        let mut path: Vec<usize> = Vec::new();
        let end = loop {
            let movable: Vec<usize> = (0..n).filter(|&t| program.can_move(&state, t)).collect();
            if movable.is_empty() {
                break program.ending(&state);
            }
            let t = match scheduler {
                Scheduler::Random => movable[rng.below(movable.len())],
                Scheduler::Pct { .. } => {
                    let pick = |priority: &[usize]| {
                        *movable
                            .iter()
                            .max_by_key(|&&t| priority[t])
                            .expect("some thread can move")
                    };
                    let mut t = pick(&priority);
                    // At the k-th change point, the thread about to run drops to priority k.
                    let step_no = path.len() + 1;
                    for (k, &at) in change_at.iter().enumerate() {
                        if at == step_no {
                            priority[t] = k;
                            t = pick(&priority);
                        }
                    }
                    t
                }
            };
            path.push(t);
            let (next, end) = program.step(&state, t);
            state = next;
            if let Some(end) = end {
                break end;
            }
        };
        let names = || path.iter().map(|&t| program.name(t).to_string()).collect();
        let i = tally.add(end, 1, || program.values(&state), names, path.len())?;
        ended.push(i as u32);
    }
    let (outcomes, rank) = tally.sorted(&program);
    let runs = ended.iter().map(|&i| rank[i as usize] as u32).collect();
    Ok(Samples {
        scheduler,
        seed,
        runs,
        outcomes,
    })
}

impl Samples {
    /// How many runs there were.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().thread("A", ["x = 1"]);
    /// assert_eq!(p.sample(lab::explore::Scheduler::Random, 5, 0).unwrap().runs(), 5);
    /// ```
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// The run (1 for the first) that first ended in an outcome for which `pred` is true:
    /// how long this scheduler took to find it. `None` if no run did.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Program, Scheduler};
    /// let p = Program::new().thread("A", ["lock x", "lock y", "unlock y", "unlock x"])
    ///                       .thread("B", ["lock y", "lock x", "unlock x", "unlock y"]);
    /// let runs = p.sample(Scheduler::Random, 50, 3).unwrap();
    /// assert!(runs.first_where(|o| o.is_bug()).is_some());
    /// ```
    pub fn first_where(&self, pred: impl Fn(&Outcome) -> bool) -> Option<usize> {
        self.runs
            .iter()
            .position(|&i| pred(&self.outcomes[i as usize]))
            .map(|i| i + 1)
    }

    /// The run (1 for the first) that first ended in outcome `i` of `all()`.
    fn first_of(&self, i: usize) -> usize {
        self.runs
            .iter()
            .position(|&r| r as usize == i)
            .map_or(0, |r| r + 1)
    }

    /// Run by run, in the order they were made, whether each ended in an outcome for
    /// which `pred` is true: what a [`Hunt`](super::Hunt) keeps.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().thread("A", ["x = 1"]);
    /// let runs = p.sample(lab::explore::Scheduler::Random, 3, 0).unwrap();
    /// assert_eq!(runs.hits(|o| o.is_bug()), [false, false, false]);
    /// ```
    pub fn hits(&self, pred: impl Fn(&Outcome) -> bool) -> Vec<bool> {
        let hit: Vec<bool> = self.outcomes.iter().map(&pred).collect();
        self.runs.iter().map(|&i| hit[i as usize]).collect()
    }

    /// How many runs ended in an outcome for which `pred` is true.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().thread("A", ["x = 1"]);
    /// let runs = p.sample(lab::explore::Scheduler::Random, 10, 0).unwrap();
    /// assert_eq!(runs.count_where(|o| o.label() == "finished"), 10);
    /// ```
    pub fn count_where(&self, pred: impl Fn(&Outcome) -> bool) -> u64 {
        self.outcomes
            .iter()
            .filter(|o| pred(o))
            .map(Outcome::schedules)
            .sum()
    }

    /// Every outcome seen, with the number of runs, most frequent first. Each one's
    /// [`shortest`](Outcome::shortest) is the shortest run that ended that way.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().shared("x", 0).thread("A", ["x = 1"]);
    /// let runs = p.sample(lab::explore::Scheduler::Pct { depth: 2 }, 3, 0).unwrap();
    /// assert_eq!(runs.outcomes()[0].label(), "x = 1");
    /// ```
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// The runs as a bar chart: one bar per outcome seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().thread("A", ["x = 1"]);
    /// let runs = p.sample(lab::explore::Scheduler::Random, 3, 0).unwrap();
    /// assert!(runs.chart().to_svg().is_ok());
    /// ```
    pub fn chart(&self) -> Bars {
        let mut bars = Bars::new(format!(
            "{} runs, {} scheduler (seed {}): how each one ended",
            fmt_count(self.runs() as u64),
            self.scheduler,
            self.seed
        ))
        .unit("runs");
        for (i, o) in self.outcomes.iter().enumerate() {
            let first = self.first_of(i);
            bars = bars
                .bar(o.label.clone(), o.schedules as f64)
                .annotate(format!("(first in run {first})"));
        }
        bars
    }
}

impl Show for Samples {
    fn summary(&self) -> String {
        self.to_string()
    }

    fn rendering(&self) -> Rendering {
        svg_or_problem(self.chart().to_svg())
    }
}
shown_in_cells!(
    Samples,
    r#"lab::explore::Program::new().thread("A", ["x = 1"]).sample(lab::explore::Scheduler::Random, 3, 0).unwrap()"#
);

impl fmt::Display for Samples {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = format!(
            "{} runs, {} scheduler, seed {}\n",
            fmt_count(self.runs() as u64),
            self.scheduler,
            self.seed
        );
        for (i, o) in self.outcomes.iter().enumerate() {
            let first = self.first_of(i);
            let _ = writeln!(
                s,
                "  {}: {} (first in run {first})",
                o.label,
                fmt_count(o.schedules)
            );
        }
        f.write_str(s.trim_end())
    }
}

/// SplitMix64: a small, good-enough generator, so a seed replays the same runs.
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n ≥ 1), by rejection so that small n are not biased.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.next();
            if v < zone {
                return (v % n) as usize;
            }
        }
    }
}
