//! Bug hunts compared: which runs of a test hit a bug, whatever ran them (real threads,
//! the explorer's samplers, shuttle, loom), and how long the hunt took ([`Hunt`]); and
//! [`finding`], which turns a test that panics on a bug into its message.

use std::fmt;
use std::panic::{UnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::draw::Lines;
use crate::error::{Error, ErrorKind, Result};
use crate::show::fmt_duration;

/// One bug hunt: a name, whether each run hit the bug (in the order the runs were made),
/// and how long all of them took. Made by [`Hunt::run`] (a test function called again
/// and again), [`Hunt::timed`] (a hunt that returns its runs at once) or
/// [`Hunt::recorded`] (a checker such as shuttle's or loom's, which calls a body again
/// and again). Printed, it is one line: the hits, the time a run takes, the hits per
/// second and the first run that hit.
///
/// # Examples
///
/// ```
/// use lab::explore::Hunt;
///
/// let mut k = 0;
/// let hunt = Hunt::run("every third run", 9, || { k += 1; k % 3 == 0 }).unwrap();
/// assert_eq!((hunt.found(), hunt.runs(), hunt.first()), (3, 9, Some(3)));
/// assert!(hunt.to_string().starts_with("every third run: 3 of 9 runs"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Hunt {
    name: String,
    hits: Vec<bool>,
    took: Duration,
}

impl Hunt {
    /// Calls `one_run` `runs` times (true: that run hit the bug) and times them all.
    ///
    /// # Errors
    ///
    /// `runs` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let hunt = lab::explore::Hunt::run("never", 5, || false).unwrap();
    /// assert_eq!((hunt.found(), hunt.first()), (0, None));
    /// assert!(lab::explore::Hunt::run("none", 0, || false).is_err());
    /// ```
    pub fn run(
        name: impl Into<String>,
        runs: usize,
        mut one_run: impl FnMut() -> bool,
    ) -> Result<Hunt> {
        Hunt::timed(name, || Ok((0..runs).map(|_| one_run()).collect()))
    }

    /// Times `hunt`, which makes all its runs and returns, run by run, whether each hit
    /// the bug (e.g. the explorer's `sample(..)` through
    /// [`Samples::hits`](super::Samples::hits)).
    ///
    /// # Errors
    ///
    /// The error `hunt` returns, or no runs at all.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::{Hunt, Program, Scheduler};
    /// let p = Program::new().shared("x", 0).thread("A", ["x = 1"]).thread("B", ["check x == 1"]);
    /// let hunt = Hunt::timed("random", || Ok(p.sample(Scheduler::Random, 200, 1)?.hits(|o| o.is_bug())))
    ///     .unwrap();
    /// assert_eq!(hunt.runs(), 200);
    /// assert!(hunt.found() > 0);
    /// ```
    pub fn timed(
        name: impl Into<String>,
        hunt: impl FnOnce() -> Result<Vec<bool>>,
    ) -> Result<Hunt> {
        let name = name.into();
        let start = Instant::now();
        let hits = hunt()?;
        let took = start.elapsed();
        if hits.is_empty() {
            return Err(Error::of(
                ErrorKind::BadInput,
                format!("{name}: the hunt made no runs: give it at least one"),
            ));
        }
        Ok(Hunt { name, hits, took })
    }

    /// Runs `check`, a checker that calls the body it is given again and again (shuttle's
    /// `check_random(body, runs)`, loom's `model(body)`), on a body that calls `one_run`
    /// and records whether it hit the bug instead of asserting, so that every run is
    /// counted rather than stopping at the first failure.
    ///
    /// # Errors
    ///
    /// The checker never called the body.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::Hunt;
    /// fn one_run() -> bool { true }
    /// // A checker that runs its body 4 times, as shuttle's check_random(body, 4) would.
    /// let hunt = Hunt::recorded("four", |body| for _ in 0..4 { body() }, one_run).unwrap();
    /// assert_eq!((hunt.found(), hunt.runs()), (4, 4));
    /// ```
    pub fn recorded(
        name: impl Into<String>,
        check: impl FnOnce(Box<dyn Fn() + Send + Sync>),
        one_run: fn() -> bool,
    ) -> Result<Hunt> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        Hunt::timed(name, move || {
            check(Box::new(move || {
                let bug = one_run();
                log.lock().unwrap_or_else(PoisonError::into_inner).push(bug);
            }));
            let runs = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
            Ok(runs)
        })
    }

    /// The hunt's name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::explore::Hunt::run("a", 1, || false).unwrap().name(), "a");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether each run hit the bug, in the order of the runs.
    ///
    /// # Examples
    ///
    /// ```
    /// let hunt = lab::explore::Hunt::run("a", 2, || true).unwrap();
    /// assert_eq!(hunt.hits(), &[true, true]);
    /// ```
    pub fn hits(&self) -> &[bool] {
        &self.hits
    }

    /// How many runs there were.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::explore::Hunt::run("a", 3, || false).unwrap().runs(), 3);
    /// ```
    pub fn runs(&self) -> usize {
        self.hits.len()
    }

    /// How many runs hit the bug.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::explore::Hunt::run("a", 3, || true).unwrap().found(), 3);
    /// ```
    pub fn found(&self) -> usize {
        self.hits.iter().filter(|&&hit| hit).count()
    }

    /// The first run (1 for the first) that hit the bug, `None` if none did.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut k = 0;
    /// let hunt = lab::explore::Hunt::run("a", 5, || { k += 1; k == 4 }).unwrap();
    /// assert_eq!(hunt.first(), Some(4));
    /// ```
    pub fn first(&self) -> Option<usize> {
        self.hits.iter().position(|&hit| hit).map(|i| i + 1)
    }

    /// How long all the runs took together.
    ///
    /// # Examples
    ///
    /// ```
    /// let hunt = lab::explore::Hunt::run("a", 1, || false).unwrap();
    /// assert!(hunt.took() < std::time::Duration::from_secs(1));
    /// ```
    pub fn took(&self) -> Duration {
        self.took
    }

    /// Hits per second of hunting: how fast this way of hunting finds the bug.
    ///
    /// # Examples
    ///
    /// ```
    /// let hunt = lab::explore::Hunt::run("a", 10, || true).unwrap();
    /// assert!(hunt.per_second() > 0.0);
    /// ```
    pub fn per_second(&self) -> f64 {
        self.found() as f64 / self.took.as_secs_f64().max(1e-9)
    }

    /// The points of a "found so far" line: after every `every` runs (and after the
    /// last of the first `up_to`), how many of those runs hit the bug; it starts at (0, 0).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut k = 0;
    /// let hunt = lab::explore::Hunt::run("a", 5, || { k += 1; k % 2 == 0 }).unwrap();
    /// assert_eq!(hunt.found_so_far(4, 2), [(0.0, 0.0), (2.0, 1.0), (4.0, 2.0)]);
    /// ```
    pub fn found_so_far(&self, up_to: usize, every: usize) -> Vec<(f64, f64)> {
        let runs = &self.hits[..up_to.min(self.hits.len())];
        let every = every.max(1);
        let mut points = vec![(0.0, 0.0)];
        let mut found = 0;
        for (i, &hit) in runs.iter().enumerate() {
            found += usize::from(hit);
            if (i + 1).is_multiple_of(every) || i + 1 == runs.len() {
                points.push(((i + 1) as f64, found as f64));
            }
        }
        points
    }

    /// The hunts as one line chart: for each, how many of the first N runs hit the bug,
    /// for N up to `up_to` (a point every `up_to / 20` runs).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::explore::Hunt;
    /// let (a, b) = (Hunt::run("a", 50, || true).unwrap(), Hunt::run("b", 50, || false).unwrap());
    /// let chart = Hunt::chart("found so far", &[&a, &b], 50);
    /// assert!(chart.to_svg().unwrap().contains("runs that hit the bug"));
    /// ```
    pub fn chart(title: impl Into<String>, hunts: &[&Hunt], up_to: usize) -> Lines {
        let every = (up_to / 20).max(1);
        hunts.iter().fold(
            Lines::new(title)
                .x_label("runs")
                .y_label("runs that hit the bug"),
            |chart, hunt| chart.series(hunt.name.clone(), hunt.found_so_far(up_to, every)),
        )
    }
}

impl fmt::Display for Hunt {
    /// `name: 3 of 2 000 runs (0.15%), 1.2 µs a run, 1 234 hits / s, the first in run 17`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let runs = self.runs().max(1);
        write!(
            f,
            "{}: {} of {} runs ({:.2}%), {} a run, {:.0} hits / s, {}",
            self.name,
            self.found(),
            self.runs(),
            100.0 * self.found() as f64 / runs as f64,
            fmt_duration(self.took / u32::try_from(runs).unwrap_or(u32::MAX)),
            self.per_second(),
            self.first()
                .map_or("none hit".to_string(), |i| format!("the first in run {i}"))
        )
    }
}

/// Runs `test`, a test that panics when it finds a bug (as shuttle's and loom's checkers
/// do), and returns the panic's message, or `None` if it passed. The default panic report
/// (a backtrace, in a notebook) is silenced meanwhile, and the cell goes on either way.
///
/// # Examples
///
/// ```
/// use lab::explore::finding;
/// assert_eq!(finding(|| assert!(1 + 1 == 3, "arithmetic is off")).as_deref(), Some("arithmetic is off"));
/// assert_eq!(finding(|| ()), None);
/// ```
pub fn finding(test: impl FnOnce() + UnwindSafe) -> Option<String> {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {})); // quiet while the test runs
    let outcome = catch_unwind(test);
    std::panic::set_hook(report);
    outcome.err().map(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}
