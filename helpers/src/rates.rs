//! Rates (work done per second) of several variants at several thread counts, measured
//! round by round: how a scaling experiment is run once, so that cells keep only the
//! work being measured.
//!
//! A [`Bench`](crate::bench::Bench) times a job that does a fixed amount of work. Some
//! experiments turn that round: threads count for a fixed window and the figure is how
//! much they did ([`for_a_while`](crate::scenarios::for_a_while) returns it). [`Rates`]
//! runs such a measurement for every variant at every thread count, one warm-up round
//! and then [`rounds`](Rates::rounds) rounds, each in a rotating order
//! ([`round_order`]), keeps every rate, and shows the medians as a line chart (or bars,
//! with a single thread count) with the machine and its free cores underneath.
//! [`Rates::verdict`] compares two variants round by round by the rule of
//! [`compare`](crate::compare).

use std::fmt::{self, Write as _};
use std::time::Duration;

use crate::bench::{MAX_REPS, machine};
use crate::compare::{Verdict, round_order};
use crate::draw::{Bars, Lines};
use crate::error::{Error, ErrorKind, Result, check_count};
use crate::limits::{FreeCores, free_cores};
use crate::scenarios::MAX_THREADS;
use crate::show::{Rendering, Show, fmt_count, shown_in_cells, three_digits};

/// Every variant's rate at every thread count, every round kept. Made by
/// [`Rates::new`]`(title)…`[`.run(names, rate)`](Rates::run).
///
/// # Examples
///
/// ```
/// use lab::rates::Rates;
///
/// // Two ways to add up numbers, at 1 and 2 threads: the rate is sums per second.
/// let sum = |n: u64| (0..n).fold(0u64, |a, b| a.wrapping_add(b));
/// let rates = Rates::new("sums per second").threads(&[1, 2]).rounds(6)
///     .run(&["short", "long"], |variant, threads| {
///         let n = if variant == 0 { 1_000 } else { 100_000 };
///         let start = std::time::Instant::now();
///         std::hint::black_box(sum(n));
///         Ok(threads as f64 / start.elapsed().as_secs_f64().max(1e-9))
///     })
///     .unwrap();
/// assert_eq!(rates.samples("short", 2).unwrap().len(), 6);
/// let verdict = rates.verdict("long", "short", 1).unwrap();
/// assert_eq!(verdict.rounds(), 6);
/// // In a cell, end with `rates` to see the chart, or print it for the numbers.
/// assert!(rates.to_string().contains("short: 1 →"));
/// ```
#[derive(Clone, Debug)]
pub struct Rates {
    title: String,
    y_label: String,
    threads: Vec<usize>,
    rounds: usize,
    names: Vec<String>,
    /// `[variant][thread count][round]`.
    samples: Vec<Vec<Vec<f64>>>,
    free: Option<FreeCores>,
}

impl Rates {
    /// A measurement called `title`, at 1 thread and 7 rounds until told otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let rates = lab::rates::Rates::new("lookups").run(&["a"], |_, _| Ok(1.0)).unwrap();
    /// assert_eq!(rates.samples("a", 1).unwrap().len(), 7);
    /// ```
    pub fn new(title: impl Into<String>) -> Rates {
        Rates {
            title: title.into(),
            y_label: "per second".into(),
            threads: vec![1],
            rounds: 7,
            names: Vec::new(),
            samples: Vec::new(),
            free: None,
        }
    }

    /// What the rate counts, for the value axis (default "per second").
    ///
    /// # Examples
    ///
    /// ```
    /// let rates = lab::rates::Rates::new("t").y_label("million reads / s");
    /// # let _ = rates;
    /// ```
    pub fn y_label(mut self, label: impl Into<String>) -> Rates {
        self.y_label = label.into();
        self
    }

    /// The thread counts to measure each variant at (the x axis).
    ///
    /// # Examples
    ///
    /// ```
    /// let rates = lab::rates::Rates::new("t").threads(&[1, 2, 4]).run(&["a"], |_, n| Ok(n as f64));
    /// assert_eq!(rates.unwrap().median("a", 4).unwrap(), 4.0);
    /// ```
    pub fn threads(mut self, counts: &[usize]) -> Rates {
        self.threads = counts.to_vec();
        self
    }

    /// How many rounds are kept (after one warm-up round that is not). 6 or more let
    /// [`verdict`](Rates::verdict) name a winner.
    ///
    /// # Examples
    ///
    /// ```
    /// let rates = lab::rates::Rates::new("t").rounds(3).run(&["a"], |_, _| Ok(1.0)).unwrap();
    /// assert_eq!(rates.samples("a", 1).unwrap().len(), 3);
    /// ```
    pub fn rounds(mut self, rounds: usize) -> Rates {
        self.rounds = rounds;
        self
    }

    /// Measures: `rate(variant, threads)` (the variant's index in `names`, the thread
    /// count) for every variant and thread count, one warm-up round and then the rounds,
    /// each round in a rotating order; then [`free_cores`] once, for the chart's note.
    ///
    /// # Errors
    ///
    /// No names, no thread counts, a count of 0 threads or rounds (or too many), and the
    /// first error `rate` returns (a refused thread, say), which ends the measurement.
    ///
    /// # Examples
    ///
    /// ```
    /// let rates = lab::rates::Rates::new("t").threads(&[0]).run(&["a"], |_, _| Ok(1.0));
    /// assert_eq!(rates.unwrap_err().kind(), lab::ErrorKind::BadInput);
    /// ```
    pub fn run(
        mut self,
        names: &[&str],
        mut rate: impl FnMut(usize, usize) -> Result<f64>,
    ) -> Result<Rates> {
        if names.is_empty() || self.threads.is_empty() {
            return Err(Error::of(
                ErrorKind::BadInput,
                "nothing to measure: give at least one variant name and one thread count, \
                 e.g. .threads(&[1, 2]).run(&[\"mutex\"], |v, n| ...)",
            ));
        }
        for &n in &self.threads {
            check_count(
                "a thread count",
                n,
                MAX_THREADS,
                "e.g. .threads(&[1, 2, 4])",
            )?;
        }
        check_count("rounds", self.rounds, MAX_REPS, "try .rounds(7)")?;
        let cells: Vec<(usize, usize)> = (0..names.len())
            .flat_map(|v| (0..self.threads.len()).map(move |t| (v, t)))
            .collect();
        let mut samples =
            vec![vec![Vec::with_capacity(self.rounds); self.threads.len()]; names.len()];
        for round in 0..=self.rounds {
            for k in round_order(cells.len(), round) {
                let (v, t) = cells[k];
                let r = rate(v, self.threads[t])?;
                if !(r.is_finite() && r >= 0.0) {
                    return Err(Error::of(
                        ErrorKind::BadInput,
                        format!(
                            "{}, {} threads: the rate was {r}: return a count per second (≥ 0)",
                            names[v], self.threads[t]
                        ),
                    ));
                }
                if round > 0 {
                    samples[v][t].push(r);
                }
            }
        }
        self.names = names.iter().map(|n| n.to_string()).collect();
        self.samples = samples;
        self.free = free_cores().ok();
        Ok(self)
    }

    fn index(&self, variant: &str, threads: usize) -> Result<(usize, usize)> {
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
        let t = self
            .threads
            .iter()
            .position(|&n| n == threads)
            .ok_or_else(|| {
                Error::of(
                    ErrorKind::NotFound,
                    format!(
                        "{threads} threads were not measured: the counts are {:?}",
                        self.threads
                    ),
                )
            })?;
        Ok((v, t))
    }

    /// Every kept rate of one variant at one thread count, in the order of the rounds.
    ///
    /// # Errors
    ///
    /// An unknown name or thread count: the message lists the known ones.
    ///
    /// # Examples
    ///
    /// ```
    /// let rates = lab::rates::Rates::new("t").rounds(2).run(&["a"], |_, _| Ok(5.0)).unwrap();
    /// assert_eq!(rates.samples("a", 1).unwrap(), &[5.0, 5.0]);
    /// assert!(rates.samples("b", 1).is_err());
    /// ```
    pub fn samples(&self, variant: &str, threads: usize) -> Result<&[f64]> {
        let (v, t) = self.index(variant, threads)?;
        Ok(&self.samples[v][t])
    }

    /// The median rate of one variant at one thread count.
    ///
    /// # Errors
    ///
    /// As [`samples`](Rates::samples).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut k = 0.0;
    /// let rates = lab::rates::Rates::new("t").rounds(3)
    ///     .run(&["a"], |_, _| { k += 1.0; Ok(k) }).unwrap(); // 1 is the warm-up
    /// assert_eq!(rates.median("a", 1).unwrap(), 3.0); // of 2, 3, 4
    /// ```
    pub fn median(&self, variant: &str, threads: usize) -> Result<f64> {
        Ok(median(self.samples(variant, threads)?))
    }

    /// Compares two variants at one thread count, round by round, by the rule of
    /// [`compare`](crate::compare): "faster" means a higher rate.
    ///
    /// # Errors
    ///
    /// As [`samples`](Rates::samples).
    ///
    /// # Examples
    ///
    /// ```
    /// let rates = lab::rates::Rates::new("t").rounds(6)
    ///     .run(&["slow", "fast"], |v, _| Ok(if v == 0 { 100.0 } else { 300.0 })).unwrap();
    /// let v = rates.verdict("slow", "fast", 1).unwrap();
    /// assert_eq!(v.decision(), lab::compare::Decision::Faster);
    /// assert!((v.ratio() - 3.0).abs() < 1e-6);
    /// ```
    pub fn verdict(&self, baseline: &str, candidate: &str, threads: usize) -> Result<Verdict> {
        let (a, b) = (
            self.samples(baseline, threads)?,
            self.samples(candidate, threads)?,
        );
        Ok(Verdict::from_rounds(&per_unit(a), &per_unit(b))?
            .named(format!("{baseline} ({threads} threads)"), candidate))
    }

    /// Compares one variant with itself at two thread counts, round by round, by the rule
    /// of [`compare`](crate::compare): does `more` threads do more work per second than
    /// `fewer`? Both counts ran in every round (in the rotating order), so each round
    /// gives one paired ratio, as between two variants. The rates are of all threads
    /// together: ×1.8 *faster* from 1 to 2 threads is a speedup of ×1.8, *slower* means
    /// the extra threads cost more than they gave.
    ///
    /// # Errors
    ///
    /// As [`samples`](Rates::samples), and [`BadInput`](ErrorKind::BadInput) when the two
    /// counts are the same.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{compare::Decision, rates::Rates};
    /// // "scales" does twice the work on 2 threads, "stuck" the same.
    /// let rates = Rates::new("t").threads(&[1, 2]).rounds(6)
    ///     .run(&["scales", "stuck"], |v, n| Ok(if v == 0 { 100.0 * n as f64 } else { 100.0 }))
    ///     .unwrap();
    /// let v = rates.verdict_threads("scales", 1, 2).unwrap();
    /// assert_eq!(v.decision(), Decision::Faster);
    /// assert!((v.ratio() - 2.0).abs() < 1e-6);
    /// assert!(v.to_string().contains("scales, 2 threads"), "{v}");
    /// assert_ne!(rates.verdict_threads("stuck", 1, 2).unwrap().decision(), Decision::Faster);
    /// assert!(rates.verdict_threads("scales", 2, 2).is_err());
    /// ```
    pub fn verdict_threads(&self, variant: &str, fewer: usize, more: usize) -> Result<Verdict> {
        if fewer == more {
            return Err(Error::of(
                ErrorKind::BadInput,
                format!(
                    "{variant}: {fewer} threads against {more}: give two different counts, \
                     e.g. .verdict_threads(\"{variant}\", 1, 4)"
                ),
            ));
        }
        let (a, b) = (self.samples(variant, fewer)?, self.samples(variant, more)?);
        Ok(Verdict::from_rounds(&per_unit(a), &per_unit(b))?.named(
            format!("{variant}, {fewer} thread{}", plural(fewer)),
            format!("{variant}, {more} thread{}", plural(more)),
        ))
    }

    /// The medians of some variants only, as lines, under a title of their own: a
    /// zoomed view for variants whose lines the others flatten (a fast one sets the
    /// scale of [`lines`](Rates::lines)).
    ///
    /// # Errors
    ///
    /// An unknown name ([`NotFound`](ErrorKind::NotFound), listing the known ones), or
    /// none at all ([`BadInput`](ErrorKind::BadInput)).
    ///
    /// # Examples
    ///
    /// ```
    /// let rates = lab::rates::Rates::new("t").threads(&[1, 2])
    ///     .run(&["a", "b"], |v, n| Ok((v + n) as f64)).unwrap();
    /// let zoomed = rates.lines_of("only a", &["a"]).unwrap().to_svg().unwrap();
    /// assert!(zoomed.contains("only a"));
    /// assert!(rates.lines_of("t", &["c"]).is_err());
    /// ```
    pub fn lines_of(&self, title: impl Into<String>, variants: &[&str]) -> Result<Lines> {
        if variants.is_empty() {
            return Err(Error::of(
                ErrorKind::BadInput,
                format!("no variants to draw: name some of {:?}", self.names),
            ));
        }
        let mut chart = Lines::new(title)
            .x_label("threads")
            .y_label(self.y_label.clone());
        for name in variants {
            let mut points = Vec::with_capacity(self.threads.len());
            for &n in &self.threads {
                points.push((n as f64, self.median(name, n)?));
            }
            chart = chart.series(name.to_string(), points);
        }
        Ok(chart)
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = vec![format!(
            "median of {} rounds, variants in a rotating order, after a warm-up round{}",
            self.rounds,
            self.free
                .map_or(String::new(), |f| format!("; measured just after: {f}"))
        )];
        notes.push(machine().one_line());
        notes
    }

    /// The medians as lines, one per variant, over the thread counts.
    ///
    /// # Examples
    ///
    /// ```
    /// let rates = lab::rates::Rates::new("t").threads(&[1, 2]).run(&["a"], |_, n| Ok(n as f64)).unwrap();
    /// assert!(rates.lines().to_svg().unwrap().contains("threads"));
    /// ```
    pub fn lines(&self) -> Lines {
        let mut chart = Lines::new(self.title.clone())
            .x_label("threads")
            .y_label(self.y_label.clone());
        for note in self.notes() {
            chart = chart.note(note);
        }
        for (v, name) in self.names.iter().enumerate() {
            let points: Vec<(f64, f64)> = self
                .threads
                .iter()
                .zip(&self.samples[v])
                .map(|(&n, s)| (n as f64, median(s)))
                .collect();
            chart = chart.series(name.clone(), points);
        }
        chart
    }

    /// The medians as bars, one per variant and thread count, each marked with its
    /// ratio to the variant's first thread count.
    ///
    /// # Examples
    ///
    /// ```
    /// let rates = lab::rates::Rates::new("t").threads(&[1, 2]).run(&["a"], |_, n| Ok(n as f64)).unwrap();
    /// assert!(rates.bars().to_svg().unwrap().contains("a, 2 threads"));
    /// ```
    pub fn bars(&self) -> Bars {
        let mut bars = Bars::new(self.title.clone()).unit(self.y_label.clone());
        for note in self.notes() {
            bars = bars.note(note);
        }
        for (v, name) in self.names.iter().enumerate() {
            let first = median(&self.samples[v][0]);
            for (t, &n) in self.threads.iter().enumerate() {
                let m = median(&self.samples[v][t]);
                let label = if self.threads.len() == 1 {
                    name.clone()
                } else {
                    format!("{name}, {n} thread{}", if n == 1 { "" } else { "s" })
                };
                bars = bars.bar(label, m);
                if t > 0 {
                    bars = bars.annotate(format!("×{:.2}", m / first.max(1e-12)));
                }
            }
        }
        bars
    }
}

/// A rate r is 1/r seconds per unit of work: the comparison of times applies.
fn per_unit(rates: &[f64]) -> Vec<Duration> {
    rates
        .iter()
        .map(|&r| Duration::from_secs_f64(1.0 / r.max(1e-12)))
        .collect()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A rate as it reads best: three significant digits, and big ones grouped (`60 974 853`).
fn number(v: f64) -> String {
    if v >= 10_000.0 {
        fmt_count(v.round() as u64)
    } else {
        three_digits(v)
    }
}

fn median(samples: &[f64]) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

impl fmt::Display for Rates {
    /// One line per variant: `name: 1 → 12.3 (×1.00), 2 → 23.9 (×1.94)`, the ratios to
    /// the first thread count; with one thread count, `name: 2 threads → 12.3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = format!("{} ({}):", self.title, self.y_label);
        for (v, name) in self.names.iter().enumerate() {
            let first = median(&self.samples[v][0]);
            let row: Vec<String> = self
                .threads
                .iter()
                .zip(&self.samples[v])
                .map(|(n, r)| {
                    let m = median(r);
                    if self.threads.len() == 1 {
                        format!("{n} threads → {}", number(m))
                    } else {
                        format!("{n} → {} (×{:.2})", number(m), m / first.max(1e-12))
                    }
                })
                .collect();
            let _ = write!(s, "\n  {name}: {}", row.join(", "));
        }
        f.write_str(&s)
    }
}

impl Show for Rates {
    fn summary(&self) -> String {
        self.to_string()
    }

    fn rendering(&self) -> Rendering {
        let svg = if self.threads.len() > 1 {
            self.lines().to_svg()
        } else {
            self.bars().to_svg()
        };
        crate::error::svg_or_problem(svg)
    }
}
shown_in_cells!(
    Rates,
    r#"lab::rates::Rates::new("t").rounds(1).run(&["a"], |_, _| Ok(1.0)).unwrap()"#
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_and_count_runs_once_a_round_in_a_rotating_order() {
        let mut seen = Vec::new();
        let rates = Rates::new("t")
            .threads(&[1, 2])
            .rounds(4)
            .run(&["a", "b"], |v, n| {
                seen.push((v, n));
                Ok(1.0)
            })
            .unwrap();
        assert_eq!(seen.len(), 4 * 5); // 4 cells, a warm-up and 4 rounds
        for round in seen.chunks(4) {
            let mut r = round.to_vec();
            r.sort();
            assert_eq!(r, vec![(0, 1), (0, 2), (1, 1), (1, 2)]);
        }
        assert_ne!(seen[0..4], seen[4..8], "the order rotates");
        assert_eq!(rates.samples("b", 2).unwrap().len(), 4);
    }

    #[test]
    fn bad_input_is_one_line() {
        let none = Rates::new("t").run(&[], |_, _| Ok(1.0)).unwrap_err();
        assert_eq!(none.kind(), ErrorKind::BadInput);
        let zero = Rates::new("t")
            .rounds(0)
            .run(&["a"], |_, _| Ok(1.0))
            .unwrap_err();
        assert_eq!(zero.kind(), ErrorKind::BadInput);
        let nan = Rates::new("t")
            .run(&["a"], |_, _| Ok(f64::NAN))
            .unwrap_err();
        assert!(nan.to_string().contains("count per second"), "{nan}");
        let refused = Rates::new("t")
            .run(&["a"], |_, _| {
                Err(Error::of(ErrorKind::Limit, "no threads"))
            })
            .unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Limit);
        let rates = Rates::new("t").run(&["a"], |_, _| Ok(1.0)).unwrap();
        assert_eq!(
            rates.median("a", 3).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        for e in [none, zero, nan, refused] {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }

    #[test]
    fn one_variant_at_two_counts_is_paired_round_by_round() {
        // Round by round, 2 threads do ×1.5 of 1 thread's work, though the machine's
        // speed drifts between rounds: the pairing sees through the drift.
        let mut calls = 0;
        let rates = Rates::new("t")
            .threads(&[1, 2])
            .rounds(9)
            .run(&["a"], |_, n| {
                calls += 1;
                let speed = 100.0 * (1 + (calls - 1) / 2) as f64; // 2 calls a round
                Ok(if n == 1 { speed } else { 1.5 * speed })
            })
            .unwrap();
        let v = rates.verdict_threads("a", 1, 2).unwrap();
        assert_eq!(v.decision(), crate::compare::Decision::Faster, "{v}");
        assert!((v.ratio() - 1.5).abs() < 1e-6, "{v}");
        let back = rates.verdict_threads("a", 2, 1).unwrap();
        assert_eq!(back.decision(), crate::compare::Decision::Slower, "{back}");
        for bad in [
            rates.verdict_threads("a", 1, 1).unwrap_err(),
            rates.verdict_threads("a", 1, 3).unwrap_err(),
            rates.verdict_threads("b", 1, 2).unwrap_err(),
        ] {
            assert!(!bad.to_string().contains('\n'), "{bad}");
        }
    }

    #[test]
    fn the_text_gives_each_count_and_its_ratio() {
        let rates = Rates::new("t")
            .threads(&[1, 2])
            .rounds(1)
            .run(&["a"], |_, n| Ok(10.0 * n as f64))
            .unwrap();
        assert!(
            rates
                .to_string()
                .contains("a: 1 → 10.0 (×1.00), 2 → 20.0 (×2.00)"),
            "{rates}"
        );
    }
}
