//! How late a 1 ms ticker fires on an event loop while other work runs there: the meter
//! behind notebook 08's histograms.
//!
//! A task that wants to run every millisecond is the simplest witness of an event loop's
//! health: every tick knows when it was due, so it knows how late it came, and a tick
//! that never came at all (the loop was busy through it) is counted too. [`Lateness`]
//! runs such a ticker beside a job, for several ways of doing the job (inline, sliced,
//! on `spawn_blocking`, on rayon: the cell writes them), round by round in a rotating
//! order ([`round_order`]), and keeps each round's figures. Then:
//!
//! - [`Lateness::figure`]: one histogram per way (on time, 2–5 ms, 5–20 ms, 20 ms late or
//!   more, never fired), all on one scale;
//! - [`Lateness::against`]: each way's worst tick of every round against the floor's (a
//!   way that does nothing but sleep) in the same round, by the rule of
//!   [`compare`](crate::compare): `later than the floor (×25, 95% interval ×19–×33, 6 of
//!   6 rounds)` or `cannot tell apart from the floor (…)`;
//! - [`Lateness::table`]: the numbers beside the histograms, with that verdict.
//!
//! The ticker is a `tokio::time::interval` of 1 ms with `MissedTickBehavior::Delay`: a
//! late tick does not fire the ticks it missed in a burst; they never fire at all, and
//! are counted as due but never fired. tokio's timers count whole milliseconds, so even
//! an idle loop fires up to about a millisecond late.

use std::fmt::{self, Write as _};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::bench::machine;
use crate::compare::{Decision, MIN_ROUNDS, Verdict, round_order};
use crate::draw::{Bars, Figure, Table};
use crate::error::{Error, ErrorKind, Result, check_count};
use crate::show::{Rendering, Show, fmt_duration, shown_in_cells};

/// The histogram's bins: (upper bound in ms, label). Ticks that never fired come after.
const BINS: [(f64, &str); 4] = [
    (2.0, "on time (< 2 ms late)"),
    (5.0, "2 to 5 ms late"),
    (20.0, "5 to 20 ms late"),
    (f64::INFINITY, "20 ms late or more"),
];

/// The shortest worst tick a round keeps: a verdict needs times the clock can see.
const CLOCK_GRAIN: Duration = Duration::from_micros(1);

/// What the ticker saw in one run beside one way of doing the job.
#[derive(Clone, Debug, Default, PartialEq)]
struct Run {
    /// How late each tick that fired came.
    late: Vec<Duration>,
    /// Ticks due from the first to the last.
    due: usize,
    /// The longest the job held its thread between two awaits, as the job timed it.
    held: Duration,
}

impl Run {
    fn worst(&self) -> Duration {
        self.late.iter().copied().max().unwrap_or_default()
    }
    fn never(&self) -> usize {
        self.due.saturating_sub(self.late.len())
    }
}

/// A task that ticks every millisecond until `stop`: how late each tick came, and how
/// many were due from the first to the last.
async fn ticker(stop: Arc<AtomicBool>) -> (Vec<Duration>, usize) {
    let mut every_ms = tokio::time::interval(Duration::from_millis(1));
    every_ms.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let first = every_ms.tick().await; // the first tick is due at once
    let (mut late, mut last) = (vec![first.elapsed()], first);
    while !stop.load(Ordering::Relaxed) {
        last = every_ms.tick().await;
        late.push(last.elapsed());
    }
    (late, (last - first).as_millis() as usize + 1)
}

/// One run: the ticker starts 5 ms before the jobs (spawned on the runtime) and stops
/// 5 ms after the last one ends.
async fn beside<F>(jobs: Vec<F>) -> Run
where
    F: Future<Output = Duration> + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let ticks = tokio::spawn(ticker(stop.clone()));
    tokio::time::sleep(Duration::from_millis(5)).await; // the ticker settles in
    let mut running = tokio::task::JoinSet::new();
    for job in jobs {
        running.spawn(job);
    }
    let held = running
        .join_all()
        .await
        .into_iter()
        .max()
        .unwrap_or_default();
    tokio::time::sleep(Duration::from_millis(5)).await; // a few ticks after the jobs
    stop.store(true, Ordering::Relaxed);
    let (late, due) = ticks.await.unwrap_or_default();
    Run { late, due, held }
}

/// What a 1 ms ticker saw beside each way of doing a job, every round kept. Made by
/// [`Lateness::new`]`(title)…`[`.run(rt, names, job)`](Lateness::run).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use lab::ticker::Lateness;
///
/// let rt = lab::scenarios::current_thread_runtime().unwrap();
/// // The floor (a job that only sleeps) and a job that holds the loop for 8 ms.
/// let seen = Lateness::new("a 1 ms ticker").rounds(6)
///     .run(&[&rt], &["sleeps", "holds 8 ms"], |way| async move {
///         let t = Instant::now();
///         if way == 0 {
///             tokio::time::sleep(Duration::from_millis(8)).await;
///             Duration::ZERO
///         } else {
///             std::thread::sleep(Duration::from_millis(8)); // blocks the loop
///             t.elapsed()
///         }
///     })
///     .unwrap();
/// assert!(seen.worst("holds 8 ms").unwrap() >= Duration::from_millis(7));
/// assert_eq!(seen.round_worst("sleeps").unwrap().len(), 6);
/// let words = seen.against("sleeps", "holds 8 ms").unwrap();
/// assert!(words.starts_with("later than the floor") || words.starts_with("cannot tell"));
/// // In a cell, end with `seen` for the histograms, or `seen.table("sleeps")`.
/// ```
#[derive(Clone, Debug)]
pub struct Lateness {
    title: String,
    rounds: usize,
    jobs: usize,
    names: Vec<String>,
    /// `[way][round]`.
    runs: Vec<Vec<Run>>,
}

impl Lateness {
    /// A meter called `title`: one job at a time, 6 rounds, until told otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let meter = lab::ticker::Lateness::new("how late the ticker fires");
    /// # let _ = meter;
    /// ```
    pub fn new(title: impl Into<String>) -> Lateness {
        Lateness {
            title: title.into(),
            rounds: MIN_ROUNDS,
            jobs: 1,
            names: Vec::new(),
            runs: Vec::new(),
        }
    }

    /// How many rounds (every one kept; no warm-up round, see [`run`](Lateness::run)): 6 or more let
    /// [`against`](Lateness::against) tell a way from the floor.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = lab::scenarios::current_thread_runtime().unwrap();
    /// let seen = lab::ticker::Lateness::new("t").rounds(2)
    ///     .run(&[&rt], &["a"], |_| async { std::time::Duration::ZERO }).unwrap();
    /// assert_eq!(seen.round_worst("a").unwrap().len(), 2);
    /// ```
    pub fn rounds(mut self, rounds: usize) -> Lateness {
        self.rounds = rounds;
        self
    }

    /// How many copies of the job run at once in each run (default 1): one per worker
    /// of a multi-thread runtime, say.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = lab::scenarios::multi_thread_runtime(2).unwrap();
    /// let seen = lab::ticker::Lateness::new("t").jobs(2).rounds(1)
    ///     .run(&[&rt], &["a"], |_| async { std::time::Duration::ZERO }).unwrap();
    /// assert_eq!(seen.round_worst("a").unwrap().len(), 1);
    /// ```
    pub fn jobs(mut self, jobs: usize) -> Lateness {
        self.jobs = jobs;
        self
    }

    /// Measures: for every round ([`rounds`](Lateness::rounds) of them), every
    /// way in the round's rotating order, one run on its runtime (`rts`: one for all the
    /// ways, or one per way, to compare runtimes): the ticker starts, 5 ms later
    /// [`jobs`](Lateness::jobs) copies of `job(way)` are spawned (`way`: the index in
    /// `names`), and 5 ms after the last one ends the ticker stops. Each job returns
    /// the longest it held its thread between two awaits (`Duration::ZERO` if it held
    /// none), which the table shows.
    ///
    /// There is no warm-up round: what the ticker measures is milliseconds of lateness,
    /// far above a first run's costs (a pool's threads starting take microseconds), and
    /// the rotating order gives each way the first place equally often. Each run holds
    /// the job's time plus 10 ms, so 6 ways of a 50 ms job take about 2.2 s for 6 rounds.
    ///
    /// # Errors
    ///
    /// No names, a number of runtimes that is neither 1 nor one per way, or 0 (or too
    /// many) rounds or jobs.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = lab::scenarios::current_thread_runtime().unwrap();
    /// let none = lab::ticker::Lateness::new("t").run(&[&rt], &[], |_| async { std::time::Duration::ZERO });
    /// assert_eq!(none.unwrap_err().kind(), lab::ErrorKind::BadInput);
    /// ```
    pub fn run<F>(
        mut self,
        rts: &[&tokio::runtime::Runtime],
        names: &[&str],
        mut job: impl FnMut(usize) -> F,
    ) -> Result<Lateness>
    where
        F: Future<Output = Duration> + Send + 'static,
    {
        if names.is_empty() {
            return Err(Error::of(
                ErrorKind::BadInput,
                "nothing to measure: give at least one way, e.g. .run(&[&rt], &[\"the floor\", \
                 \"inline\"], |way| ...)",
            ));
        }
        if rts.len() != 1 && rts.len() != names.len() {
            return Err(Error::of(
                ErrorKind::BadInput,
                format!(
                    "give one runtime for every way, or one for each of the {} ways (got {})",
                    names.len(),
                    rts.len()
                ),
            ));
        }
        check_count("rounds", self.rounds, 100, "try .rounds(6)")?;
        check_count("jobs", self.jobs, 1_000, "try .jobs(2)")?;
        let mut runs = vec![Vec::with_capacity(self.rounds); names.len()];
        for round in 0..self.rounds {
            for way in round_order(names.len(), round) {
                let jobs = (0..self.jobs).map(|_| job(way)).collect();
                let run = rts[way.min(rts.len() - 1)].block_on(beside(jobs));
                runs[way].push(run);
            }
        }
        self.names = names.iter().map(|n| n.to_string()).collect();
        self.runs = runs;
        Ok(self)
    }

    fn way(&self, name: &str) -> Result<&[Run]> {
        let k = self.names.iter().position(|n| n == name).ok_or_else(|| {
            Error::of(
                ErrorKind::NotFound,
                format!("no way named {name:?}: the ways are {:?}", self.names),
            )
        })?;
        Ok(&self.runs[k])
    }

    /// The worst (latest) tick of each round, in the order of the rounds (at least
    /// 1 µs, so that a verdict can divide by it).
    ///
    /// # Errors
    ///
    /// An unknown name: the message lists the known ones.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = lab::scenarios::current_thread_runtime().unwrap();
    /// let seen = lab::ticker::Lateness::new("t").rounds(1)
    ///     .run(&[&rt], &["a"], |_| async { std::time::Duration::ZERO }).unwrap();
    /// assert!(seen.round_worst("a").unwrap()[0] > std::time::Duration::ZERO);
    /// assert!(seen.round_worst("b").is_err());
    /// ```
    pub fn round_worst(&self, way: &str) -> Result<Vec<Duration>> {
        Ok(self
            .way(way)?
            .iter()
            .map(|r| r.worst().max(CLOCK_GRAIN))
            .collect())
    }

    /// The worst tick of all rounds.
    ///
    /// # Errors
    ///
    /// An unknown name.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = lab::scenarios::current_thread_runtime().unwrap();
    /// let seen = lab::ticker::Lateness::new("t").rounds(1)
    ///     .run(&[&rt], &["a"], |_| async { std::time::Duration::ZERO }).unwrap();
    /// assert!(seen.worst("a").unwrap() < std::time::Duration::from_secs(1));
    /// ```
    pub fn worst(&self, way: &str) -> Result<Duration> {
        Ok(self.round_worst(way)?.into_iter().max().unwrap_or_default())
    }

    /// Ticks that never fired, and ticks that were due, over all rounds.
    ///
    /// # Errors
    ///
    /// An unknown name.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = lab::scenarios::current_thread_runtime().unwrap();
    /// let seen = lab::ticker::Lateness::new("t").rounds(1)
    ///     .run(&[&rt], &["a"], |_| async { std::time::Duration::ZERO }).unwrap();
    /// let (never, due) = seen.never_fired("a").unwrap();
    /// assert!(never <= due && due >= 1);
    /// ```
    pub fn never_fired(&self, way: &str) -> Result<(usize, usize)> {
        let runs = self.way(way)?;
        Ok((
            runs.iter().map(Run::never).sum(),
            runs.iter().map(|r| r.due).sum(),
        ))
    }

    /// The verdict on `way`'s worst tick against `floor`'s, round by round (the
    /// [`compare`](crate::compare) rule; the floor is the baseline, so a way whose ticks
    /// came later reads [`Decision::Slower`]).
    ///
    /// # Errors
    ///
    /// An unknown name.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = lab::scenarios::current_thread_runtime().unwrap();
    /// let seen = lab::ticker::Lateness::new("t").rounds(6)
    ///     .run(&[&rt], &["a", "b"], |_| async { std::time::Duration::ZERO }).unwrap();
    /// assert_eq!(seen.verdict("a", "b").unwrap().rounds(), 6);
    /// ```
    pub fn verdict(&self, floor: &str, way: &str) -> Result<Verdict> {
        Verdict::from_rounds(&self.round_worst(floor)?, &self.round_worst(way)?)
    }

    /// [`verdict`](Lateness::verdict) in words: `later than the floor (×25, 95% interval
    /// ×19–×33, 6 of 6 rounds)`, `earlier than the floor (…)` or `cannot tell apart from
    /// the floor (×1.1, 95% interval ×0.8–×1.6, 3 of 6 rounds later)`; the figure is how
    /// many times the floor's worst tick the way's was (the median of the rounds).
    ///
    /// # Errors
    ///
    /// An unknown name.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = lab::scenarios::current_thread_runtime().unwrap();
    /// let seen = lab::ticker::Lateness::new("t").rounds(6)
    ///     .run(&[&rt], &["a", "b"], |_| async { std::time::Duration::ZERO }).unwrap();
    /// assert!(seen.against("a", "a").unwrap().starts_with("cannot tell apart from the floor"));
    /// ```
    pub fn against(&self, floor: &str, way: &str) -> Result<String> {
        Ok(floor_words(&self.verdict(floor, way)?))
    }

    /// One histogram per way, stacked, all on one value axis: how many ticks came how
    /// late over all rounds, and how many never fired; the machine underneath.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = lab::scenarios::current_thread_runtime().unwrap();
    /// let seen = lab::ticker::Lateness::new("t").rounds(1)
    ///     .run(&[&rt], &["a"], |_| async { std::time::Duration::ZERO }).unwrap();
    /// assert!(seen.figure().to_svg().unwrap().contains("never fired"));
    /// ```
    pub fn figure(&self) -> Figure {
        let counts: Vec<Vec<f64>> = self.runs.iter().map(|runs| counts(runs)).collect();
        let axis = counts.iter().flatten().fold(1.0, |a, &b| f64::max(a, b));
        let title = format!(
            "{} ({} rounds of {} way{}, in a rotating order)",
            self.title,
            self.rounds,
            self.names.len(),
            if self.names.len() == 1 { "" } else { "s" }
        );
        let labels = BINS.iter().map(|b| b.1).chain(["never fired"]);
        let last = self.names.len().saturating_sub(1);
        self.names.iter().zip(&counts).enumerate().fold(
            Figure::new().title(title),
            |figure, (k, (name, c))| {
                let worst = self.runs_worst(name);
                let bars = Bars::new(format!("{name}: worst tick {} late", fmt_duration(worst)))
                    .unit("ticks")
                    .axis_max(axis);
                // The machine under the last histogram, as under every timed figure.
                let bars = if k == last {
                    bars.note(machine().one_line())
                } else {
                    bars
                };
                figure.with(
                    labels
                        .clone()
                        .zip(c)
                        .fold(bars, |bars, (label, &n)| bars.bar(label, n)),
                )
            },
        )
    }

    fn runs_worst(&self, name: &str) -> Duration {
        self.worst(name).unwrap_or_default()
    }

    /// The histograms in numbers, each way against `floor`: the worst tick (the median
    /// of the rounds' worst, and the worst of all), ticks that never fired, the longest
    /// the job held its thread between awaits, and [`against`](Lateness::against).
    ///
    /// # Errors
    ///
    /// An unknown floor name.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = lab::scenarios::current_thread_runtime().unwrap();
    /// let seen = lab::ticker::Lateness::new("t").rounds(6)
    ///     .run(&[&rt], &["floor", "b"], |_| async { std::time::Duration::ZERO }).unwrap();
    /// assert!(seen.table("floor").unwrap().to_string().contains("the floor"));
    /// assert!(seen.table("nope").is_err());
    /// ```
    pub fn table(&self, floor: &str) -> Result<Table> {
        self.way(floor)?;
        let header = [
            "way",
            "worst tick: median of rounds (worst)",
            "never fired",
            "longest between awaits",
            "vs the floor",
        ];
        let mut table = Table::new(header);
        for (name, runs) in self.names.iter().zip(&self.runs) {
            let mut worst = self.round_worst(name)?;
            worst.sort();
            let (never, due) = self.never_fired(name)?;
            let held = runs.iter().map(|r| r.held).max().unwrap_or_default();
            table = table.row([
                name.clone(),
                format!(
                    "{} ({})",
                    fmt_duration(worst[worst.len() / 2]),
                    fmt_duration(*worst.last().unwrap_or(&Duration::ZERO))
                ),
                format!(
                    "{never} of {due} ({:.0}%)",
                    100.0 * never as f64 / due.max(1) as f64
                ),
                if held.is_zero() {
                    "none on this thread".into()
                } else {
                    fmt_duration(held)
                },
                if name == floor {
                    "the floor".into()
                } else {
                    self.against(floor, name)?
                },
            ]);
        }
        Ok(table)
    }
}

/// Ticks per bin over `runs`, then those that never fired.
fn counts(runs: &[Run]) -> Vec<f64> {
    let mut counts = vec![0.0; BINS.len() + 1];
    for run in runs {
        for d in &run.late {
            let ms = d.as_secs_f64() * 1e3;
            let bin = BINS
                .iter()
                .position(|&(top, _)| ms < top)
                .unwrap_or(BINS.len() - 1);
            counts[bin] += 1.0;
        }
        counts[BINS.len()] += run.never() as f64;
    }
    counts
}

/// A verdict of the floor (baseline) against a way (candidate), said of lateness.
fn floor_words(v: &Verdict) -> String {
    let n = v.rounds();
    let later = |x: f64| fig(1.0 / x);
    match (v.decision(), v.low(), v.high()) {
        (_, None, _) | (_, _, None) => format!(
            "cannot tell: {n} rounds are too few, run at least {MIN_ROUNDS} (×{})",
            later(v.ratio())
        ),
        (Decision::Slower, Some(lo), Some(hi)) => format!(
            "later than the floor (×{}, 95% interval ×{}–×{}, {} of {n} rounds)",
            later(v.ratio()),
            later(hi),
            later(lo),
            v.slower_rounds()
        ),
        (Decision::Faster, Some(lo), Some(hi)) => format!(
            "earlier than the floor (×{}, 95% interval ×{}–×{}, {} of {n} rounds)",
            later(v.ratio()),
            later(hi),
            later(lo),
            v.faster_rounds()
        ),
        (Decision::CannotTell, Some(lo), Some(hi)) => format!(
            "cannot tell apart from the floor (×{}, 95% interval ×{}–×{}, {} of {n} rounds later)",
            later(v.ratio()),
            later(hi),
            later(lo),
            v.slower_rounds()
        ),
    }
}

/// A ratio with two significant digits (×0.62, ×1.1, ×25, ×130).
fn fig(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}")
    } else if x >= 1.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

impl fmt::Display for Lateness {
    /// One line per way: its worst tick, the ticks that never fired.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = format!("{} ({} rounds):", self.title, self.rounds);
        for name in &self.names {
            let (never, due) = self.never_fired(name).unwrap_or_default();
            let _ = write!(
                s,
                "\n  {name}: worst tick {} late, {never} of {due} ticks never fired",
                fmt_duration(self.runs_worst(name))
            );
        }
        f.write_str(&s)
    }
}

impl Show for Lateness {
    fn summary(&self) -> String {
        self.to_string()
    }

    fn rendering(&self) -> Rendering {
        crate::error::svg_or_problem(self.figure().to_svg())
    }
}
shown_in_cells!(
    Lateness,
    r#"lab::ticker::Lateness::new("t").rounds(1).run(&[&lab::scenarios::current_thread_runtime().unwrap()], &["a"], |_| async { std::time::Duration::ZERO }).unwrap()"#
);

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(m: u64) -> Duration {
        Duration::from_millis(m)
    }

    #[test]
    fn bins_count_every_tick_and_the_ticks_that_never_fired() {
        let run = Run {
            late: vec![ms(0), ms(1), ms(3), ms(10), ms(60)],
            due: 60,
            held: ms(50),
        };
        assert_eq!(counts(&[run]), vec![2.0, 1.0, 1.0, 1.0, 55.0]);
    }

    #[test]
    fn a_blocked_loop_is_later_than_the_floor_and_the_floor_is_like_itself() {
        let rt = crate::scenarios::current_thread_runtime().unwrap();
        let seen = Lateness::new("t")
            .run(&[&rt], &["floor", "blocks"], |way| async move {
                if way == 1 {
                    std::thread::sleep(ms(20));
                    ms(20)
                } else {
                    tokio::time::sleep(ms(20)).await;
                    Duration::ZERO
                }
            })
            .unwrap();
        assert_eq!(seen.round_worst("blocks").unwrap().len(), MIN_ROUNDS);
        assert!(seen.worst("blocks").unwrap() >= ms(19));
        let (never, due) = seen.never_fired("blocks").unwrap();
        assert!(never >= 6 * 15 && never <= due, "{never} of {due}");
        let words = seen.against("floor", "blocks").unwrap();
        assert!(words.starts_with("later than the floor (×"), "{words}");
        assert!(
            seen.against("floor", "floor")
                .unwrap()
                .starts_with("cannot tell apart")
        );
        let table = seen.table("floor").unwrap().to_string();
        assert!(
            table.contains("later than the floor") && table.contains("20"),
            "{table}"
        );
    }

    #[test]
    fn words_read_as_lateness() {
        let v = Verdict::from_rounds(&[ms(2); 6], &[ms(50); 6]).unwrap();
        assert_eq!(
            floor_words(&v),
            "later than the floor (×25, 95% interval ×25–×25, 6 of 6 rounds)"
        );
        let v = Verdict::from_rounds(&[ms(2); 3], &[ms(50); 3]).unwrap();
        assert!(floor_words(&v).starts_with("cannot tell: 3 rounds are too few"));
    }
}
