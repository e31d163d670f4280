//! A load that grows until the machine says stop: how long several ways (a thread per
//! connection, a task per connection) take at increasing counts, round by round, and
//! the verdict at the largest count they all reached.
//!
//! [`room_for`] reads this process's limits first ([`threads_left`] and the open-files
//! limit that [`raise_open_files`] sets), so that the largest count is one the machine
//! allows with room to spare. [`Growth::run`] then times every way at every count, the
//! ways of each count in a rotating order ([`round_order`]), every round kept. A way that
//! fails at some count (the OS refused a thread, a connection broke) stops there, with
//! its sentence kept, and the others go on. [`Growth::verdict`] compares two ways at the
//! largest count both reached in every round, by the rule of [`compare`](crate::compare).

use std::fmt::{self, Write as _};
use std::time::Duration;

use crate::bench::machine;
use crate::compare::{Verdict, round_order};
use crate::draw::Lines;
use crate::error::{Error, ErrorKind, Result, check_count};
use crate::limits::{raise_open_files, threads_left};
use crate::show::{Rendering, Show, fmt_duration, shown_in_cells};

/// The largest count of connections to open at once, at most `cap`, that this process's
/// limits leave room for, and why, in one line: each connection takes
/// `files_per_connection` open files (a socket at each end of a loopback connection is
/// two) and, run with a thread each, one thread; half of the threads left (see
/// [`threads_left`]) and the open files not yet used (less 100 for everything else)
/// bound it. Raises the open-files limit first ([`raise_open_files`]).
///
/// # Examples
///
/// ```
/// let (n, why) = lab::growth::room_for(2_000, 4);
/// assert!(n >= 1 && n <= 2_000);
/// assert!(why.contains(&n.to_string()));
/// ```
pub fn room_for(cap: usize, files_per_connection: usize) -> (usize, String) {
    let open_now = open_files_now();
    let files = raise_open_files().ok();
    let by_files = files
        .map(|f| (f.soft as usize).saturating_sub(open_now + 100) / files_per_connection.max(1));
    let by_threads = threads_left().map(|left| left / 2);
    let n = [Some(cap), by_files, by_threads]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(cap)
        .max(1);
    let files_text = match (files, by_files) {
        (Some(f), Some(b)) => format!(
            "open files: {open_now} open, limit {} → {b} connections ({files_per_connection} each)",
            f.soft
        ),
        _ => "open files: the limit was not found".into(),
    };
    let threads_text = by_threads.map_or(
        "threads: the OS does not say here (macOS: sysctl kern.num_taskthreads)".into(),
        |b| format!("threads: room for {} more → {b} used at most", 2 * b),
    );
    (
        n,
        format!("{files_text}; {threads_text}; the bound: {n} connections at once (at most {cap})"),
    )
}

/// How many files (sockets included) this process holds open now, as `/dev/fd` lists
/// them (0 where there is no `/dev/fd`).
///
/// # Examples
///
/// ```
/// let before = lab::growth::open_files_now();
/// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// assert!(lab::growth::open_files_now() > before || before == 0);
/// # drop(listener);
/// ```
pub fn open_files_now() -> usize {
    std::fs::read_dir("/dev/fd").map_or(0, |d| d.count())
}

/// Waits (5 s at most) until this process holds at least `count` open files, then 50 ms
/// more; says whether the count was reached. With a server in this process, that is how
/// a cell knows the server has accepted every connection (each accepted one is one more
/// socket) and, after the 50 ms, read its request.
///
/// # Examples
///
/// ```
/// assert!(lab::growth::until_open_files(0));
/// ```
pub fn until_open_files(count: usize) -> bool {
    let start = std::time::Instant::now();
    while open_files_now() < count && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(50));
    open_files_now() >= count
}

/// Every way's time at every count, every round kept. Made by
/// [`Growth::new`]`(title)…`[`.run(names, time)`](Growth::run).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use lab::growth::Growth;
///
/// // Two ways whose time grows with n, one 3 times as fast; the slow one stops past 100.
/// let load = Growth::new("n at once").sizes(&[10, 100, 1_000]).rounds(6)
///     .run(&["slow", "fast"], |way, n| match way {
///         0 if n > 100 => Err("the OS refused a thread".into()),
///         0 => Ok(Duration::from_micros(30 * n as u64)),
///         _ => Ok(Duration::from_micros(10 * n as u64)),
///     })
///     .unwrap();
/// assert_eq!(load.largest_shared(), Some(100));
/// let v = load.verdict("slow", "fast").unwrap();
/// assert_eq!(v.ratio(), 3.0);
/// assert!(load.stops()[0].contains("slow stops at 1000"));
/// ```
#[derive(Clone, Debug)]
pub struct Growth {
    title: String,
    sizes: Vec<usize>,
    rounds: usize,
    names: Vec<String>,
    /// `[way][size][round]`.
    times: Vec<Vec<Vec<Duration>>>,
    stops: Vec<String>,
}

impl Growth {
    /// A measurement called `title`, at the counts 10, 100 and 1 000 and 6 rounds, until
    /// told otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let load = lab::growth::Growth::new("connections").run(&["a"], |_, _| Ok(std::time::Duration::from_millis(1)));
    /// assert_eq!(load.unwrap().largest_shared(), Some(1_000));
    /// ```
    pub fn new(title: impl Into<String>) -> Growth {
        Growth {
            title: title.into(),
            sizes: vec![10, 100, 1_000],
            rounds: 6,
            names: Vec::new(),
            times: Vec::new(),
            stops: Vec::new(),
        }
    }

    /// The counts to run each way at, in increasing order (the x axis).
    ///
    /// # Examples
    ///
    /// ```
    /// let load = lab::growth::Growth::new("t").sizes(&[1, 2]).rounds(1)
    ///     .run(&["a"], |_, _| Ok(std::time::Duration::from_millis(1))).unwrap();
    /// assert_eq!(load.largest_shared(), Some(2));
    /// ```
    pub fn sizes(mut self, sizes: &[usize]) -> Growth {
        self.sizes = sizes.to_vec();
        self
    }

    /// How many rounds: 6 or more let [`verdict`](Growth::verdict) name a winner.
    ///
    /// # Examples
    ///
    /// ```
    /// let load = lab::growth::Growth::new("t").rounds(2)
    ///     .run(&["a"], |_, _| Ok(std::time::Duration::from_millis(1))).unwrap();
    /// assert_eq!(load.times("a", 10).unwrap().len(), 2);
    /// ```
    pub fn rounds(mut self, rounds: usize) -> Growth {
        self.rounds = rounds;
        self
    }

    /// Measures: in each round, at each count from the smallest, `time(way, n)` for
    /// every way still going (the way's index in `names`), in the round's rotating
    /// order. An `Err(sentence)` stops that way at that count and every larger one, in
    /// this round and the next; [`stops`](Growth::stops) keeps the sentence.
    ///
    /// # Errors
    ///
    /// No names, no counts, counts not increasing or 0, 0 rounds (or too many).
    ///
    /// # Examples
    ///
    /// ```
    /// let bad = lab::growth::Growth::new("t").sizes(&[10, 5])
    ///     .run(&["a"], |_, _| Ok(std::time::Duration::from_millis(1)));
    /// assert_eq!(bad.unwrap_err().kind(), lab::ErrorKind::BadInput);
    /// ```
    pub fn run(
        mut self,
        names: &[&str],
        mut time: impl FnMut(usize, usize) -> std::result::Result<Duration, String>,
    ) -> Result<Growth> {
        let increasing = self.sizes.windows(2).all(|w| w[0] < w[1]);
        if names.is_empty() || self.sizes.is_empty() || !increasing || self.sizes[0] == 0 {
            return Err(Error::of(
                ErrorKind::BadInput,
                format!(
                    "give at least one way and increasing counts from 1 up (got {:?}), e.g. \
                     .sizes(&[10, 100, 1_000]).run(&[\"threads\", \"tasks\"], |way, n| ...)",
                    self.sizes
                ),
            ));
        }
        check_count("rounds", self.rounds, 1_000, "try .rounds(6)")?;
        let mut times = vec![vec![Vec::with_capacity(self.rounds); self.sizes.len()]; names.len()];
        // The first count each way failed at (it runs only below it).
        let mut stopped_at = vec![usize::MAX; names.len()];
        for round in 0..self.rounds {
            for (k, &n) in self.sizes.iter().enumerate() {
                for way in round_order(names.len(), round) {
                    if n >= stopped_at[way] {
                        continue;
                    }
                    match time(way, n) {
                        Ok(t) => times[way][k].push(t),
                        Err(why) => {
                            stopped_at[way] = n;
                            self.stops
                                .push(format!("{} stops at {n}: {why}", names[way]));
                        }
                    }
                }
            }
        }
        self.names = names.iter().map(|n| n.to_string()).collect();
        self.times = times;
        Ok(self)
    }

    fn index(&self, way: &str, n: usize) -> Result<(usize, usize)> {
        let v = self.names.iter().position(|x| x == way).ok_or_else(|| {
            Error::of(
                ErrorKind::NotFound,
                format!("no way named {way:?}: the ways are {:?}", self.names),
            )
        })?;
        let k = self.sizes.iter().position(|&s| s == n).ok_or_else(|| {
            Error::of(
                ErrorKind::NotFound,
                format!("{n} was not measured: the counts are {:?}", self.sizes),
            )
        })?;
        Ok((v, k))
    }

    /// Every time of one way at one count, in the order of the rounds (fewer than the
    /// rounds where it stopped).
    ///
    /// # Errors
    ///
    /// An unknown way or count: the message lists the known ones.
    ///
    /// # Examples
    ///
    /// ```
    /// let load = lab::growth::Growth::new("t").rounds(1)
    ///     .run(&["a"], |_, _| Ok(std::time::Duration::from_millis(1))).unwrap();
    /// assert!(load.times("b", 10).is_err() && load.times("a", 7).is_err());
    /// ```
    pub fn times(&self, way: &str, n: usize) -> Result<&[Duration]> {
        let (v, k) = self.index(way, n)?;
        Ok(&self.times[v][k])
    }

    /// Why each way that stopped stopped, one sentence each, in the order it happened.
    ///
    /// # Examples
    ///
    /// ```
    /// let load = lab::growth::Growth::new("t").rounds(1)
    ///     .run(&["a"], |_, _| Ok(std::time::Duration::from_millis(1))).unwrap();
    /// assert!(load.stops().is_empty());
    /// ```
    pub fn stops(&self) -> &[String] {
        &self.stops
    }

    /// The largest count at which every way ran every round.
    ///
    /// # Examples
    ///
    /// ```
    /// let load = lab::growth::Growth::new("t").sizes(&[1, 2]).rounds(1)
    ///     .run(&["a", "b"], |way, n| if way == 1 && n == 2 { Err("no".into()) } else { Ok(std::time::Duration::from_millis(1)) })
    ///     .unwrap();
    /// assert_eq!(load.largest_shared(), Some(1));
    /// ```
    pub fn largest_shared(&self) -> Option<usize> {
        (0..self.sizes.len())
            .rev()
            .find(|&k| self.times.iter().all(|way| way[k].len() == self.rounds))
            .map(|k| self.sizes[k])
    }

    /// `candidate` against `baseline` at the [largest count both
    /// reached](Growth::largest_shared) in every round, by the rule of
    /// [`compare`](crate::compare), named with the count.
    ///
    /// # Errors
    ///
    /// An unknown way; no count that every way reached in every round.
    ///
    /// # Examples
    ///
    /// ```
    /// let ms = std::time::Duration::from_millis;
    /// let load = lab::growth::Growth::new("t").sizes(&[5]).rounds(6)
    ///     .run(&["threads", "tasks"], |way, _| Ok(if way == 0 { ms(3) } else { ms(1) })).unwrap();
    /// let v = load.verdict("threads", "tasks").unwrap();
    /// assert!(v.to_string().starts_with("tasks vs threads at 5: ×3.0 faster"));
    /// ```
    pub fn verdict(&self, baseline: &str, candidate: &str) -> Result<Verdict> {
        let n = self.largest_shared().ok_or_else(|| {
            Error::of(
                ErrorKind::Empty,
                "no count was reached by every way in every round: nothing to compare",
            )
        })?;
        let v = Verdict::from_rounds(self.times(baseline, n)?, self.times(candidate, n)?)?;
        Ok(v.named(format!("{baseline} at {n}"), candidate))
    }

    /// The median time of one way at one count (zero where it has no runs).
    ///
    /// # Errors
    ///
    /// An unknown way or count.
    ///
    /// # Examples
    ///
    /// ```
    /// let ms = std::time::Duration::from_millis;
    /// let load = lab::growth::Growth::new("t").sizes(&[5]).rounds(3)
    ///     .run(&["a"], |_, _| Ok(ms(2))).unwrap();
    /// assert_eq!(load.median("a", 5).unwrap(), ms(2));
    /// ```
    pub fn median(&self, way: &str, n: usize) -> Result<Duration> {
        let mut t = self.times(way, n)?.to_vec();
        t.sort();
        Ok(t.get(t.len() / 2).copied().unwrap_or_default())
    }

    /// A line per way: the median ms at each count it ran, with the machine underneath.
    ///
    /// # Examples
    ///
    /// ```
    /// let load = lab::growth::Growth::new("t").rounds(1)
    ///     .run(&["a"], |_, _| Ok(std::time::Duration::from_millis(1))).unwrap();
    /// assert!(load.lines().to_svg().unwrap().contains("connections"));
    /// ```
    pub fn lines(&self) -> Lines {
        let title = format!("{} (medians of {} rounds)", self.title, self.rounds);
        let chart = Lines::new(title)
            .x_label("connections")
            .y_label("ms until the last reply")
            .note(machine().one_line());
        self.names
            .iter()
            .enumerate()
            .fold(chart, |chart, (v, name)| {
                let points: Vec<(f64, f64)> = self
                    .sizes
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| !self.times[v][k].is_empty())
                    .map(|(_, &n)| {
                        let m = self.median(name, n).unwrap_or_default();
                        (n as f64, m.as_secs_f64() * 1e3)
                    })
                    .collect();
                if points.is_empty() {
                    chart
                } else {
                    chart.series(name.clone(), points)
                }
            })
    }
}

impl fmt::Display for Growth {
    /// One line per way: the median at each count; then why any way stopped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = format!("{} ({} rounds):", self.title, self.rounds);
        for (v, name) in self.names.iter().enumerate() {
            let row: Vec<String> = self
                .sizes
                .iter()
                .enumerate()
                .filter(|&(k, _)| !self.times[v][k].is_empty())
                .map(|(_, &n)| {
                    format!(
                        "{n} → {}",
                        fmt_duration(self.median(name, n).unwrap_or_default())
                    )
                })
                .collect();
            let _ = write!(s, "\n  {name}: {}", row.join(", "));
        }
        for stop in &self.stops {
            let _ = write!(s, "\n  {stop}");
        }
        f.write_str(&s)
    }
}

impl Show for Growth {
    fn summary(&self) -> String {
        self.to_string()
    }

    fn rendering(&self) -> Rendering {
        crate::error::svg_or_problem(self.lines().to_svg())
    }
}
shown_in_cells!(
    Growth,
    r#"lab::growth::Growth::new("t").rounds(1).run(&["a"], |_, _| Ok(std::time::Duration::from_millis(1))).unwrap()"#
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ways_alternate_and_a_way_that_fails_stops_there() {
        let mut order = Vec::new();
        let load = Growth::new("t")
            .sizes(&[1, 2, 3])
            .rounds(2)
            .run(&["a", "b"], |way, n| {
                order.push((way, n));
                if way == 0 && n == 3 {
                    Err("refused".into())
                } else {
                    Ok(Duration::from_millis(n as u64))
                }
            })
            .unwrap();
        // Round 0: a then b; round 1: b then a; a never tries 3 again.
        assert_eq!(
            order,
            [
                (0, 1),
                (1, 1),
                (0, 2),
                (1, 2),
                (0, 3),
                (1, 3),
                (1, 1),
                (0, 1),
                (1, 2),
                (0, 2),
                (1, 3)
            ]
        );
        assert_eq!(load.stops(), ["a stops at 3: refused"]);
        assert_eq!(load.largest_shared(), Some(2));
        assert_eq!(load.times("b", 3).unwrap().len(), 2);
        assert!(load.to_string().contains("b: 1 → "));
    }

    #[test]
    fn no_shared_count_is_a_clear_error() {
        let load = Growth::new("t")
            .sizes(&[1])
            .rounds(1)
            .run(&["a"], |_, _| Err("no".into()))
            .unwrap();
        assert_eq!(load.verdict("a", "a").unwrap_err().kind(), ErrorKind::Empty);
    }
}
