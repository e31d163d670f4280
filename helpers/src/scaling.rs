//! How a few figures grow with size: several variants (threads, tasks) at several sizes
//! (10, 100, 1 000 of them), each run giving a few figures at once (the time to start
//! them all, the time to pass a value along, the memory they hold), measured round by
//! round, so that cells keep only the run itself.
//!
//! A [`Bench`](crate::bench::Bench) times one thing per run; [`Rates`](crate::rates::Rates)
//! counts work per second. Some experiments read several figures off each run, and
//! stop where the machine does (the OS refuses the 3 000th thread). [`Scaling`] runs
//! such an experiment for every variant at every size, a warm-up round and then
//! [`rounds`](Scaling::rounds) rounds, each in a rotating order
//! ([`round_order`]), keeps every [`Reading`], and shows the medians: per unit at the
//! largest size as text, and over the sizes as a chart (times above memory).
//! [`Scaling::verdict`] compares two variants on one time figure round by round, by the
//! rule of [`compare`](crate::compare). A run that fails ends the experiment there, and
//! what was measured before it is kept and said to be all there is.

use std::fmt::{self, Write as _};
use std::time::Duration;

use crate::bench::{MAX_REPS, machine};
use crate::compare::{Verdict, round_order};
use crate::draw::{Figure, Lines};
use crate::error::{Error, ErrorKind, Result, check_count};
use crate::show::{Rendering, Show, fmt_count, fmt_duration, shown_in_cells, three_digits};

/// The figures one run gave, each with a name: times, and memory in bytes.
///
/// # Examples
///
/// ```
/// use lab::scaling::Reading;
/// use std::time::Duration;
///
/// let before = lab::bench::resident_memory();
/// let kept: Vec<u64> = (0..100_000).collect(); // what this run holds
/// let reading = Reading::new()
///     .time("start", Duration::from_micros(120))
///     .memory("memory", lab::bench::memory_grown_since(before)); // None: the OS does not say
/// assert_eq!(reading.names(), ["start", "memory"]);
/// # drop(kept);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reading {
    figures: Vec<(String, Value)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Value {
    Time(Duration),
    /// Bytes; `None` where the OS does not say.
    Bytes(Option<u64>),
}

impl Reading {
    /// A reading with no figures yet.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(lab::scaling::Reading::new().names().is_empty());
    /// ```
    pub fn new() -> Reading {
        Reading::default()
    }

    /// Adds a time, e.g. how long starting them all took.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = lab::scaling::Reading::new().time("pass", std::time::Duration::from_millis(2));
    /// assert_eq!(r.names(), ["pass"]);
    /// ```
    pub fn time(mut self, name: impl Into<String>, took: Duration) -> Reading {
        self.figures.push((name.into(), Value::Time(took)));
        self
    }

    /// Adds an amount of memory in bytes (`None` where the OS does not say, as
    /// [`resident_memory`](crate::bench::resident_memory) returns it).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = lab::scaling::Reading::new().memory("memory", Some(4096));
    /// assert_eq!(r.names(), ["memory"]);
    /// ```
    pub fn memory(mut self, name: impl Into<String>, bytes: Option<u64>) -> Reading {
        self.figures.push((name.into(), Value::Bytes(bytes)));
        self
    }

    /// The figures' names, in the order they were added.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = lab::scaling::Reading::new().memory("m", None).time("t", Default::default());
    /// assert_eq!(r.names(), ["m", "t"]);
    /// ```
    pub fn names(&self) -> Vec<&str> {
        self.figures.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn kinds(&self) -> Vec<(String, bool)> {
        self.figures
            .iter()
            .map(|(n, v)| (n.clone(), matches!(v, Value::Time(_))))
            .collect()
    }

    fn get(&self, name: &str) -> Option<Value> {
        self.figures
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }
}

/// Every variant's readings at every size, every round kept. Made by
/// [`Scaling::new`]`(title)…`[`.run(names, run)`](Scaling::run).
///
/// # Examples
///
/// ```
/// use lab::scaling::{Reading, Scaling};
/// use std::time::{Duration, Instant};
///
/// // Making n vectors of 1 KiB, one at a time or all in one: time and memory.
/// let chains = Scaling::new("n vectors").sizes(&[10, 100]).rounds(6).per("vector")
///     .run(&["one by one", "all at once"], |variant, n| {
///         let t = Instant::now();
///         let made: Vec<Vec<u8>> = if variant == 0 {
///             (0..n).map(|_| vec![1u8; 1024]).collect()
///         } else {
///             vec![vec![1u8; 1024]; n]
///         };
///         let took = t.elapsed();
///         Ok(Reading::new().time("make", took).memory("memory", Some(made.len() as u64 * 1024)))
///     })
///     .unwrap();
/// assert_eq!(chains.memory("all at once", 100, "memory").unwrap(), Some(102_400));
/// assert!(chains.to_string().contains("all at once, per vector at n = 100: make"));
/// assert!(chains.to_string().contains("memory 1.00 KiB"));
/// println!("{}", chains.verdict("one by one", "all at once", 100, "make").unwrap());
/// // In a cell, end with `chains` to see the chart.
/// ```
#[derive(Clone, Debug)]
pub struct Scaling {
    title: String,
    x_label: String,
    unit: String,
    sizes: Vec<usize>,
    rounds: usize,
    warmup: usize,
    names: Vec<String>,
    /// Each figure's name and whether it is a time (else memory), from the first reading.
    figures: Vec<(String, bool)>,
    /// `[variant][size][round]`.
    runs: Vec<Vec<Vec<Reading>>>,
    stopped: Option<String>,
}

impl Scaling {
    /// An experiment called `title`: size 1, a warm-up round and 3 rounds, per "item",
    /// until told otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::scaling::{Reading, Scaling};
    /// let s = Scaling::new("t").run(&["a"], |_, _| Ok(Reading::new().memory("m", Some(1)))).unwrap();
    /// assert_eq!(s.readings("a", 1).unwrap().len(), 3);
    /// ```
    pub fn new(title: impl Into<String>) -> Scaling {
        Scaling {
            title: title.into(),
            x_label: "size (n)".into(),
            unit: "item".into(),
            sizes: vec![1],
            rounds: 3,
            warmup: 1,
            names: Vec::new(),
            figures: Vec::new(),
            runs: Vec::new(),
            stopped: None,
        }
    }

    /// The sizes to run each variant at (the x axis), smallest first.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::scaling::{Reading, Scaling};
    /// let s = Scaling::new("t").sizes(&[10, 100]).run(&["a"], |_, _| Ok(Reading::new())).unwrap();
    /// assert_eq!(s.largest(), Some(100));
    /// ```
    pub fn sizes(mut self, sizes: &[usize]) -> Scaling {
        self.sizes = sizes.to_vec();
        self
    }

    /// What one unit of size is, for the text ("0.2 µs a link") and the x axis
    /// ("links (n)"); default "item".
    ///
    /// # Examples
    ///
    /// ```
    /// let s = lab::scaling::Scaling::new("t").per("link");
    /// # let _ = s;
    /// ```
    pub fn per(mut self, unit: impl Into<String>) -> Scaling {
        self.unit = unit.into();
        self.x_label = format!("{}s (n)", self.unit);
        self
    }

    /// How many rounds are kept (default 3) after the warm-up ones. 6 or more let
    /// [`verdict`](Scaling::verdict) name a winner.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::scaling::{Reading, Scaling};
    /// let s = Scaling::new("t").rounds(2).run(&["a"], |_, _| Ok(Reading::new())).unwrap();
    /// assert_eq!(s.readings("a", 1).unwrap().len(), 2);
    /// ```
    pub fn rounds(mut self, rounds: usize) -> Scaling {
        self.rounds = rounds;
        self
    }

    /// Rounds run first and not kept (default 1; 0 is allowed).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::scaling::{Reading, Scaling};
    /// let mut calls = 0;
    /// Scaling::new("t").warmup(0).rounds(2).run(&["a"], |_, _| { calls += 1; Ok(Reading::new()) }).unwrap();
    /// assert_eq!(calls, 2);
    /// ```
    pub fn warmup(mut self, rounds: usize) -> Scaling {
        self.warmup = rounds;
        self
    }

    /// Runs the experiment: `run(variant, size)` (the variant's index in `names`, the
    /// size) for every variant and size, the warm-up rounds and then the rounds, each
    /// round in a rotating order. A run that fails (the OS refusing a thread, say)
    /// drops its size and every larger one, for every variant; the experiment goes on
    /// with the sizes below, and [`stopped`](Scaling::stopped) says where and why.
    ///
    /// # Errors
    ///
    /// No names or sizes, a size of 0, 0 rounds (or too many), readings whose figures
    /// differ from the first one's ([`ErrorKind::BadInput`]), and the error of `run` at
    /// the smallest size (nothing could be measured).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{Error, scaling::{Reading, Scaling}};
    /// let s = Scaling::new("threads").sizes(&[10, 10_000]).warmup(0).rounds(1)
    ///     .run(&["a"], |_, n| if n > 100 { Err(Error::new("refused")) } else { Ok(Reading::new()) })
    ///     .unwrap();
    /// assert_eq!(s.largest(), Some(10));
    /// assert!(s.stopped().unwrap().contains("refused"));
    /// assert!(s.readings("a", 10_000).is_err()); // left out
    /// assert!(Scaling::new("t").sizes(&[0]).run(&["a"], |_, _| Ok(Reading::new())).is_err());
    /// ```
    pub fn run(
        mut self,
        names: &[&str],
        mut run: impl FnMut(usize, usize) -> Result<Reading>,
    ) -> Result<Scaling> {
        if names.is_empty() || self.sizes.is_empty() {
            return Err(Error::of(
                ErrorKind::BadInput,
                "nothing to run: give at least one variant name and one size, e.g. \
                 .sizes(&[10, 100]).run(&[\"threads\"], |v, n| ...)",
            ));
        }
        for &n in &self.sizes {
            check_count("a size", n, usize::MAX, "e.g. .sizes(&[10, 100, 1_000])")?;
        }
        check_count("rounds", self.rounds, MAX_REPS, "try .rounds(3)")?;
        check_count(
            "warm-up rounds",
            self.warmup.max(1),
            MAX_REPS,
            "try .warmup(1)",
        )?;
        let cells: Vec<(usize, usize)> = (0..names.len())
            .flat_map(|v| (0..self.sizes.len()).map(move |s| (v, s)))
            .collect();
        self.names = names.iter().map(|n| n.to_string()).collect();
        self.runs = vec![vec![Vec::with_capacity(self.rounds); self.sizes.len()]; names.len()];
        let mut first = true;
        // Sizes from `limit` on are dropped once one of their runs fails: the sizes grow
        // until the machine refuses, and every variant is compared where all could run.
        let mut limit = self.sizes.len();
        let mut refused = None;
        for round in 0..self.warmup + self.rounds {
            for k in round_order(cells.len(), round) {
                let (v, s) = cells[k];
                if s >= limit {
                    continue;
                }
                let reading = match run(v, self.sizes[s]) {
                    Ok(r) => r,
                    Err(e) => {
                        self.stopped = Some(format!(
                            "stopped at {}, {}: {} (sizes from {} on are left out)",
                            names[v],
                            fmt_count(self.sizes[s] as u64),
                            e.message(),
                            fmt_count(self.sizes[s] as u64),
                        ));
                        refused = Some(e);
                        limit = s;
                        continue;
                    }
                };
                if first {
                    self.figures = reading.kinds();
                    first = false;
                } else if reading.kinds() != self.figures {
                    return Err(Error::of(
                        ErrorKind::BadInput,
                        format!(
                            "{}, {}: a reading with the figures {:?}, where the first had {:?}: \
                             give every run the same figures",
                            names[v],
                            self.sizes[s],
                            reading.names(),
                            self.figures.iter().map(|f| &f.0).collect::<Vec<_>>()
                        ),
                    ));
                }
                if round >= self.warmup {
                    self.runs[v][s].push(reading);
                }
            }
        }
        if let Some(e) = refused.filter(|_| limit == 0) {
            return Err(e); // not even the smallest size could run
        }
        self.sizes.truncate(limit);
        for v in &mut self.runs {
            v.truncate(limit);
        }
        Ok(self)
    }

    fn index(&self, variant: &str, size: usize) -> Result<(usize, usize)> {
        let v = self
            .names
            .iter()
            .position(|n| n == variant)
            .ok_or_else(|| {
                Error::of(
                    ErrorKind::NotFound,
                    format!(
                        "no variant named {variant:?}: the variants are {:?}",
                        self.names
                    ),
                )
            })?;
        let s = self.sizes.iter().position(|&n| n == size).ok_or_else(|| {
            Error::of(
                ErrorKind::NotFound,
                format!("size {size} was not run: the sizes are {:?}", self.sizes),
            )
        })?;
        Ok((v, s))
    }

    /// Every kept reading of one variant at one size, in the order of the rounds.
    ///
    /// # Errors
    ///
    /// An unknown variant or size: the message lists the known ones.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::scaling::{Reading, Scaling};
    /// let s = Scaling::new("t").rounds(2).run(&["a"], |_, _| Ok(Reading::new())).unwrap();
    /// assert_eq!(s.readings("a", 1).unwrap().len(), 2);
    /// assert!(s.readings("b", 1).unwrap_err().to_string().contains("[\"a\"]"));
    /// ```
    pub fn readings(&self, variant: &str, size: usize) -> Result<&[Reading]> {
        let (v, s) = self.index(variant, size)?;
        Ok(&self.runs[v][s])
    }

    fn figure(&self, figure: &str, time: bool) -> Result<()> {
        match self.figures.iter().find(|(n, _)| n == figure) {
            Some(&(_, is_time)) if is_time == time => Ok(()),
            Some(_) => Err(Error::of(
                ErrorKind::Misuse,
                format!(
                    "{figure:?} is {}: ask for it with .{}(..)",
                    if time {
                        "memory, not a time"
                    } else {
                        "a time, not memory"
                    },
                    if time { "memory" } else { "time" }
                ),
            )),
            None => Err(Error::of(
                ErrorKind::NotFound,
                format!(
                    "no figure named {figure:?}: the readings have {:?}",
                    self.figures.iter().map(|f| &f.0).collect::<Vec<_>>()
                ),
            )),
        }
    }

    fn times(&self, variant: &str, size: usize, figure: &str) -> Result<Vec<Duration>> {
        self.figure(figure, true)?;
        let runs = self.readings(variant, size)?;
        if runs.is_empty() {
            return Err(self.not_reached(variant, size));
        }
        Ok(runs
            .iter()
            .filter_map(|r| match r.get(figure) {
                Some(Value::Time(d)) => Some(d),
                _ => None,
            })
            .collect())
    }

    fn not_reached(&self, variant: &str, size: usize) -> Error {
        Error::of(
            ErrorKind::Empty,
            format!(
                "{variant} at {size} has no runs: {}",
                self.stopped.as_deref().unwrap_or("none were kept")
            ),
        )
    }

    /// The median of a time figure of one variant at one size.
    ///
    /// # Errors
    ///
    /// An unknown variant, size or figure, a memory figure, or a size the experiment
    /// stopped before.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::scaling::{Reading, Scaling};
    /// use std::time::Duration;
    /// let mut k = 0;
    /// let s = Scaling::new("t").warmup(0).rounds(3).run(&["a"], |_, _| {
    ///     k += 1;
    ///     Ok(Reading::new().time("t", Duration::from_millis(k)))
    /// }).unwrap();
    /// assert_eq!(s.time("a", 1, "t").unwrap(), Duration::from_millis(2));
    /// ```
    pub fn time(&self, variant: &str, size: usize, figure: &str) -> Result<Duration> {
        let mut t = self.times(variant, size, figure)?;
        t.sort();
        let n = t.len();
        Ok(if n % 2 == 1 {
            t[n / 2]
        } else {
            (t[n / 2 - 1] + t[n / 2]) / 2
        })
    }

    /// The median of a memory figure of one variant at one size, in bytes; `None` if a
    /// run did not know it (the OS does not say).
    ///
    /// # Errors
    ///
    /// As for [`time`](Scaling::time), with a time figure the wrong kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::scaling::{Reading, Scaling};
    /// let s = Scaling::new("t").run(&["a"], |_, _| Ok(Reading::new().memory("m", Some(8)))).unwrap();
    /// assert_eq!(s.memory("a", 1, "m").unwrap(), Some(8));
    /// assert!(s.time("a", 1, "m").is_err());
    /// ```
    pub fn memory(&self, variant: &str, size: usize, figure: &str) -> Result<Option<u64>> {
        self.figure(figure, false)?;
        let runs = self.readings(variant, size)?;
        if runs.is_empty() {
            return Err(self.not_reached(variant, size));
        }
        let known: Option<Vec<u64>> = runs
            .iter()
            .map(|r| match r.get(figure) {
                Some(Value::Bytes(b)) => b,
                _ => None,
            })
            .collect();
        Ok(known.map(|mut b| {
            b.sort_unstable();
            let n = b.len();
            if n % 2 == 1 {
                b[n / 2]
            } else {
                (b[n / 2 - 1] + b[n / 2]) / 2
            }
        }))
    }

    /// The largest size at which every variant has at least one kept run, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::scaling::{Reading, Scaling};
    /// let s = Scaling::new("t").sizes(&[1, 5]).run(&["a", "b"], |_, _| Ok(Reading::new())).unwrap();
    /// assert_eq!(s.largest(), Some(5));
    /// ```
    pub fn largest(&self) -> Option<usize> {
        (0..self.sizes.len())
            .filter(|&s| self.runs.iter().all(|v| !v[s].is_empty()))
            .map(|s| self.sizes[s])
            .max()
    }

    /// Where and why the experiment stopped early (a run's error), if it did.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::scaling::{Reading, Scaling};
    /// let s = Scaling::new("t").run(&["a"], |_, _| Ok(Reading::new())).unwrap();
    /// assert_eq!(s.stopped(), None);
    /// ```
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    /// Compares two variants on one time figure at one size, their runs paired round by
    /// round, by the rule of [`compare`](crate::compare): "faster" means less time.
    ///
    /// # Errors
    ///
    /// As for [`time`](Scaling::time), and what [`Verdict::from_rounds`] refuses.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::scaling::{Reading, Scaling};
    /// use std::time::Duration;
    /// let s = Scaling::new("t").rounds(6).run(&["slow", "fast"], |v, _| {
    ///     Ok(Reading::new().time("pass", Duration::from_millis(if v == 0 { 30 } else { 10 })))
    /// }).unwrap();
    /// let verdict = s.verdict("slow", "fast", 1, "pass").unwrap();
    /// assert_eq!(verdict.decision(), lab::compare::Decision::Faster);
    /// ```
    pub fn verdict(
        &self,
        baseline: &str,
        candidate: &str,
        size: usize,
        figure: &str,
    ) -> Result<Verdict> {
        let (a, b) = (
            self.times(baseline, size, figure)?,
            self.times(candidate, size, figure)?,
        );
        Ok(Verdict::from_rounds(&a, &b)?.named(
            format!(
                "{baseline} ({figure}, {} {}s)",
                fmt_count(size as u64),
                self.unit
            ),
            candidate,
        ))
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = vec![format!(
            "median of {} rounds after {} warm-up, variants and sizes in a rotating order",
            self.rounds, self.warmup
        )];
        notes.extend(self.stopped.clone());
        notes.push(machine().one_line());
        notes
    }

    /// The medians over the sizes: the time figures as lines (ms) above the memory
    /// figures (MiB, left out where the OS does not say).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::scaling::{Reading, Scaling};
    /// use std::time::Duration;
    /// let s = Scaling::new("t").sizes(&[1, 2]).run(&["a"], |_, n| {
    ///     Ok(Reading::new().time("start", Duration::from_millis(n as u64)).memory("m", Some(1 << 20)))
    /// }).unwrap();
    /// assert!(s.chart().to_svg().unwrap().contains("a: start"));
    /// ```
    pub fn chart(&self) -> Figure {
        let medians = |figure: &str, time: bool| -> Vec<(String, Vec<(f64, f64)>)> {
            let mut series = Vec::new();
            for name in &self.names {
                let points: Vec<(f64, f64)> = self
                    .sizes
                    .iter()
                    .filter_map(|&n| {
                        let y = if time {
                            self.time(name, n, figure).ok()?.as_secs_f64() * 1e3
                        } else {
                            self.memory(name, n, figure).ok()?? as f64 / (1u64 << 20) as f64
                        };
                        Some((n as f64, y))
                    })
                    .collect();
                if !points.is_empty() {
                    series.push((format!("{name}: {figure}"), points));
                }
            }
            series
        };
        let rounds = format!("(median of {})", self.rounds);
        let mut time = Lines::new(format!("{}: time", self.title))
            .x_label(self.x_label.clone())
            .y_label(format!("milliseconds {rounds}"));
        let mut memory = Lines::new(format!("{}: resident memory grown", self.title))
            .x_label(self.x_label.clone())
            .y_label(format!("MiB {rounds}"));
        let (mut times, mut memories) = (0, 0);
        for (figure, is_time) in &self.figures {
            for (name, points) in medians(figure, *is_time) {
                if *is_time {
                    time = time.series(name, points);
                    times += 1;
                } else {
                    memory = memory.series(name, points);
                    memories += 1;
                }
            }
        }
        let notes = self.notes();
        if memories == 0 {
            return Figure::new().with(notes.into_iter().fold(time, Lines::note));
        }
        let memory = notes.into_iter().fold(memory, Lines::note);
        if times == 0 {
            Figure::new().with(memory)
        } else {
            time.above(memory)
        }
    }
}

/// An amount of memory per unit, as it reads best: `430 bytes`, `8.20 KiB`.
fn bytes(b: f64) -> String {
    if b < 1024.0 {
        format!("{b:.0} bytes")
    } else if b < 1024.0 * 1024.0 {
        format!("{} KiB", three_digits(b / 1024.0))
    } else {
        format!("{} MiB", three_digits(b / (1024.0 * 1024.0)))
    }
}

impl fmt::Display for Scaling {
    /// The title, then one line per variant at the largest size every variant reached,
    /// each figure divided by the size: `threads, per link at n = 2 000: start 26.1 µs, …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.title.clone();
        if let Some(n) = self.largest() {
            if self.rounds == 1 {
                s.push_str(" (one run):");
            } else {
                let _ = write!(s, " (median of {} rounds):", self.rounds);
            }
            for name in &self.names {
                let mut parts = Vec::new();
                for (figure, is_time) in &self.figures {
                    let per = if *is_time {
                        self.time(name, n, figure).ok().map(|d| {
                            fmt_duration(Duration::from_secs_f64(d.as_secs_f64() / n as f64))
                        })
                    } else {
                        match self.memory(name, n, figure) {
                            Ok(Some(b)) => Some(bytes(b as f64 / n as f64)),
                            Ok(None) => Some("not available".into()),
                            Err(_) => None,
                        }
                    };
                    if let Some(p) = per {
                        parts.push(format!("{figure} {p}"));
                    }
                }
                let _ = write!(
                    s,
                    "\n  {name}, per {} at n = {}: {}",
                    self.unit,
                    fmt_count(n as u64),
                    parts.join(", ")
                );
            }
        } else {
            s.push_str(": no size reached by every variant");
        }
        if let Some(why) = &self.stopped {
            let _ = write!(s, "\n  {why}");
        }
        f.write_str(&s)
    }
}

impl Show for Scaling {
    fn summary(&self) -> String {
        self.to_string()
    }

    fn rendering(&self) -> Rendering {
        crate::error::svg_or_problem(self.chart().to_svg())
    }
}
shown_in_cells!(
    Scaling,
    r#"lab::scaling::Scaling::new("t").run(&["a"], |_, _| Ok(lab::scaling::Reading::new().time("t", std::time::Duration::from_millis(1)))).unwrap()"#
);

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(ms: u64, bytes: Option<u64>) -> Reading {
        Reading::new()
            .time("start", Duration::from_millis(ms))
            .memory("memory", bytes)
    }

    #[test]
    fn every_variant_and_size_runs_once_a_round_in_a_rotating_order() {
        let mut seen = Vec::new();
        let s = Scaling::new("t")
            .sizes(&[1, 2])
            .warmup(1)
            .rounds(3)
            .run(&["a", "b"], |v, n| {
                seen.push((v, n));
                Ok(reading(1, Some(1)))
            })
            .unwrap();
        assert_eq!(seen.len(), 4 * 4);
        for round in seen.chunks(4) {
            let mut r = round.to_vec();
            r.sort();
            assert_eq!(r, vec![(0, 1), (0, 2), (1, 1), (1, 2)]);
        }
        assert_ne!(seen[0..4], seen[4..8], "the order rotates");
        assert_eq!(
            s.readings("b", 2).unwrap().len(),
            3,
            "the warm-up is not kept"
        );
    }

    #[test]
    fn a_refusal_keeps_what_came_before_and_says_where() {
        let s = Scaling::new("chain")
            .sizes(&[10, 100, 1000])
            .warmup(0)
            .rounds(2)
            .per("link")
            .run(&["threads", "tasks"], |v, n| {
                if v == 0 && n == 1000 {
                    Err(Error::of(
                        ErrorKind::Io,
                        "the OS refused thread 700 of 1000",
                    ))
                } else {
                    Ok(reading(n as u64, Some(n as u64 * 1024)))
                }
            })
            .unwrap();
        assert!(
            s.stopped()
                .unwrap()
                .contains("threads, 1 000: the OS refused")
        );
        assert_eq!(s.largest(), Some(100));
        assert_eq!(
            s.readings("tasks", 100).unwrap().len(),
            2,
            "the smaller sizes go on"
        );
        let text = s.to_string();
        assert!(
            text.contains("threads, per link at n = 100: start 1.00 ms, memory 1.00 KiB"),
            "{text}"
        );
        assert!(text.contains("stopped at threads, 1 000"), "{text}");
        assert_eq!(
            s.time("threads", 1000, "start").unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert!(s.chart().to_svg().is_ok());
    }

    #[test]
    fn memory_the_os_does_not_give_is_not_available() {
        let s = Scaling::new("t")
            .run(&["a"], |_, _| Ok(reading(1, None)))
            .unwrap();
        assert_eq!(s.memory("a", 1, "memory").unwrap(), None);
        assert!(s.to_string().contains("memory not available"), "{s}");
        let svg = s.chart().to_svg().unwrap();
        assert!(
            !svg.contains("resident memory grown"),
            "no memory chart without figures"
        );
    }

    #[test]
    fn bad_input_is_one_line() {
        let ok = |_: usize, _: usize| Ok(reading(1, Some(1)));
        let errors = [
            Scaling::new("t").run(&[], ok).unwrap_err(),
            Scaling::new("t").sizes(&[]).run(&["a"], ok).unwrap_err(),
            Scaling::new("t").sizes(&[0]).run(&["a"], ok).unwrap_err(),
            Scaling::new("t").rounds(0).run(&["a"], ok).unwrap_err(),
            Scaling::new("t")
                .rounds(MAX_REPS + 1)
                .run(&["a"], ok)
                .unwrap_err(),
            Scaling::new("t")
                .run(&["a"], |_, _| Err(Error::new("refused at once")))
                .unwrap_err(),
        ];
        for e in &errors {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
        let mut k = 0;
        let mixed = Scaling::new("t")
            .run(&["a"], |_, _| {
                k += 1;
                Ok(if k == 1 {
                    reading(1, None)
                } else {
                    Reading::new()
                })
            })
            .unwrap_err();
        assert_eq!(mixed.kind(), ErrorKind::BadInput);
        let s = Scaling::new("t").run(&["a"], ok).unwrap();
        assert_eq!(
            s.time("a", 1, "memory").unwrap_err().kind(),
            ErrorKind::Misuse
        );
        assert_eq!(
            s.time("a", 1, "nope").unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            s.time("a", 9, "start").unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn verdicts_pair_the_rounds() {
        let s = Scaling::new("t")
            .rounds(7)
            .run(&["slow", "fast"], |v, _| {
                Ok(reading(if v == 0 { 40 } else { 10 }, Some(0)))
            })
            .unwrap();
        let v = s.verdict("slow", "fast", 1, "start").unwrap();
        assert_eq!(v.rounds(), 7);
        assert!((v.ratio() - 4.0).abs() < 1e-9);
        assert!(s.verdict("slow", "fast", 1, "memory").is_err());
    }
}
