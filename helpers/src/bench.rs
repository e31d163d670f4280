//! Measuring honestly: warm-up, repetitions, median and spread, and the machine it ran on.

use std::fmt::{self, Write as _};
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::compare::{MIN_ROUNDS, Verdict, round_order};
use crate::draw::{Bars, Lines};
use crate::error::{Error, ErrorKind, FirstError, Result, check_count, svg_or_problem};
use crate::record::Recorder;
use crate::show::{Rendering, Show, fmt_duration, shown_in_cells, three_digits, time_unit};

/// The most repetitions a [`Bench`] accepts.
///
/// # Examples
///
/// ```
/// assert!(lab::bench::Bench::new("t").reps(lab::bench::MAX_REPS + 1).get("x").is_err());
/// ```
pub const MAX_REPS: usize = 10_000;
/// A [`Bench`] stops repeating a variant once it has spent this long on it, and says so.
///
/// # Examples
///
/// ```
/// use lab::bench::TIME_BUDGET_PER_VARIANT;
/// use std::time::Duration;
/// // How many repetitions of a 50 ms job fit before the bench stops early:
/// let job = Duration::from_millis(50);
/// let fit = TIME_BUDGET_PER_VARIANT.as_secs_f64() / job.as_secs_f64();
/// assert!(fit >= 100.0); // ask for fewer than this
/// ```
pub const TIME_BUDGET_PER_VARIANT: Duration = Duration::from_secs(30);

/// What a measurement ran on: cores, CPU, OS, compiler, clock, optimisation.
///
/// Every [`Bench`] carries one, and prints it under its chart: a timing means little
/// without the machine behind it.
///
/// # Examples
///
/// ```
/// let m = lab::bench::machine();
/// assert!(m.logical_cores >= 1);
/// assert!(m.one_line().contains("cores"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Machine {
    /// Hardware threads the OS lets this process use.
    pub logical_cores: usize,
    /// Physical cores (without SMT siblings), as far as the OS tells.
    pub physical_cores: usize,
    /// The CPU's model name, or `"unknown"`.
    pub cpu: String,
    /// OS and architecture, e.g. `"linux 6.1 x86_64"`.
    pub os: String,
    /// The compiler that built these helpers, e.g. `"rustc 1.95.0"`.
    pub rustc: String,
    /// The kernel's clock source behind `Instant` (Linux), e.g. `"tsc"`.
    pub clock_source: String,
    /// The smallest step seen between two `Instant::now()` reads.
    pub clock_resolution: Duration,
    /// The optimisation level the helpers (and, in evcxr, every cell) were built at.
    pub opt_level: String,
    /// Whether debug assertions (and with them overflow checks, in evcxr) are on.
    pub debug_assertions: bool,
}

/// The machine this code runs on, read once per process (it does not change).
///
/// # Examples
///
/// ```
/// let m = lab::bench::machine();
/// println!("{m}"); // a small table
/// ```
pub fn machine() -> Machine {
    static MACHINE: OnceLock<Machine> = OnceLock::new();
    MACHINE.get_or_init(read_machine).clone()
}

fn read_machine() -> Machine {
    let logical_cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name") || l.starts_with("Model"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .or_else(|| {
            std::process::Command::new("sysctl")
                .args(["-n", "machdep.cpu.brand_string"])
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "unknown".into());
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| {
            // "6.1.0-18-amd64" -> "6.1.0"
            s.trim().split('-').next().unwrap_or("").to_string()
        })
        .unwrap_or_default();
    let os = format!(
        "{} {} {}",
        std::env::consts::OS,
        release,
        std::env::consts::ARCH
    )
    .split_whitespace()
    .collect::<Vec<_>>()
    .join(" ");
    let clock_source =
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "the OS monotonic clock".into());
    Machine {
        logical_cores,
        // A container or an affinity mask can allow fewer cores than the machine has:
        // physical cores are counted on the machine, so never report more than we may use.
        physical_cores: num_cpus::get_physical().clamp(1, logical_cores),
        cpu,
        os,
        rustc: env!("LAB_RUSTC_VERSION").to_string(),
        clock_source,
        clock_resolution: clock_resolution(),
        opt_level: env!("LAB_OPT_LEVEL").to_string(),
        debug_assertions: cfg!(debug_assertions),
    }
}

/// The smallest non-zero step between consecutive clock reads, over a few thousand.
fn clock_resolution() -> Duration {
    let mut best = Duration::MAX;
    let mut last = Instant::now();
    for _ in 0..5_000 {
        let now = Instant::now();
        let d = now - last;
        if d > Duration::ZERO && d < best {
            best = d;
        }
        last = now;
    }
    if best == Duration::MAX {
        Duration::ZERO
    } else {
        best
    }
}

impl Machine {
    /// What the core counts mean for the speedups a notebook will measure, in four
    /// lines: whether SMT siblings make ×physical the likelier level, and the ceiling,
    /// ×logical (ideal linear speedup).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut m = lab::bench::machine();
    /// (m.logical_cores, m.physical_cores) = (8, 4);
    /// let text = m.speedup_ceiling();
    /// assert!(text.contains("SMT siblings") && text.contains("nearer ×4 than ×8"), "{text}");
    /// assert!(text.contains("the ceiling (ideal linear speedup; rarely exceeded): ×8"));
    /// ```
    pub fn speedup_ceiling(&self) -> String {
        let (logical, physical) = (self.logical_cores, self.physical_cores);
        let smt = if physical < logical {
            format!(
                "{physical} physical cores: some of the {logical} logical cores are SMT siblings,\n\
                 so CPU-bound work usually levels off nearer ×{physical} than ×{logical}"
            )
        } else {
            format!(
                "{physical} physical cores: no SMT siblings reported, so CPU-bound work can come\n\
                 close to ×{logical}, less what slower cores and a lower all-core clock take"
            )
        };
        format!(
            "{smt}\nthe ceiling (ideal linear speedup; rarely exceeded): ×{logical} (logical cores)\n\
             (in a CPU-limited container: counts capped by the limit, SMT may not show)"
        )
    }

    /// One line for the foot of a chart.
    ///
    /// # Examples
    ///
    /// ```
    /// let line = lab::bench::machine().one_line();
    /// assert!(line.contains("opt-level"));
    /// ```
    pub fn one_line(&self) -> String {
        format!(
            "{} logical / {} physical cores, {}, {}, {}, opt-level {}{}",
            self.logical_cores,
            self.physical_cores,
            self.cpu,
            self.os,
            self.rustc,
            self.opt_level,
            if self.debug_assertions {
                " + debug assertions"
            } else {
                ""
            }
        )
    }
}

impl Show for Machine {
    fn summary(&self) -> String {
        self.to_string()
    }

    fn rendering(&self) -> Rendering {
        Rendering::TextOnly
    }
}
shown_in_cells!(Machine, "lab::bench::machine()");

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "logical cores     {}", self.logical_cores)?;
        writeln!(f, "physical cores    {}", self.physical_cores)?;
        writeln!(f, "CPU               {}", self.cpu)?;
        writeln!(f, "OS                {}", self.os)?;
        writeln!(f, "compiler          {}", self.rustc)?;
        writeln!(
            f,
            "clock             {} (smallest step seen: {})",
            self.clock_source,
            fmt_duration(self.clock_resolution)
        )?;
        write!(
            f,
            "optimisation      opt-level {}, debug assertions {}",
            self.opt_level,
            if self.debug_assertions { "on" } else { "off" }
        )
    }
}

/// The timings of one variant: every repetition, plus its median, fastest and slowest.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let m = lab::bench::Measurement::from_samples("x", vec![
///     Duration::from_millis(3), Duration::from_millis(1), Duration::from_millis(2),
/// ]).unwrap();
/// assert_eq!(m.median(), Duration::from_millis(2));
/// assert_eq!(m.min(), Duration::from_millis(1));
/// assert_eq!(m.max(), Duration::from_millis(3));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    name: String,
    samples: Vec<Duration>,
    /// The process's CPU time of each repetition, where it was measured.
    cpu: Option<Vec<Duration>>,
    /// Which `compare` or `sweep` of its bench timed it: only variants timed together
    /// ran in the same rounds.
    batch: usize,
    note: Option<String>,
}

impl Measurement {
    /// A measurement from samples taken elsewhere. Fails if there are none.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(lab::bench::Measurement::from_samples("x", vec![]).is_err());
    /// ```
    pub fn from_samples(name: impl Into<String>, samples: Vec<Duration>) -> Result<Measurement> {
        let name = name.into();
        if samples.is_empty() {
            return Err(Error::of(
                ErrorKind::BadInput,
                format!("measurement {name:?} has no samples: give it at least one"),
            ));
        }
        Ok(Measurement {
            name,
            samples,
            cpu: None,
            batch: 0,
            note: None,
        })
    }

    /// The variant's name.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lab::bench::measure("sum", 1, || 1 + 1).unwrap();
    /// assert_eq!(m.name(), "sum");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every repetition's time, in the order they ran (warm-ups not included).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lab::bench::measure("sum", 4, || 1 + 1).unwrap();
    /// assert_eq!(m.samples().len(), 4);
    /// ```
    pub fn samples(&self) -> &[Duration] {
        &self.samples
    }

    /// The CPU time the whole process used during each repetition (all its threads,
    /// user and system), beside the wall times of [`samples`](Measurement::samples).
    /// `None` for a variant that timed itself ([`Variants::add_timed`]: its CPU time
    /// would include what it left out), for a measurement made
    /// [`from_samples`](Measurement::from_samples), and where the OS does not say (not
    /// Unix).
    ///
    /// When it is the steadier figure: a single-threaded, CPU-bound job on a shared
    /// machine. Wall time also counts the moments the OS gave the core to someone else;
    /// CPU time counts only the job's own work, so it moves less when the machine is
    /// busy (compare the two: if the wall times jump and the CPU times do not, the
    /// machine was busy). When it means something else: a job that sleeps or waits (for
    /// I/O, a lock, a timer) uses little CPU however long it takes; a multi-threaded
    /// job's CPU time is the sum over its threads (4 threads busy for 10 ms: 40 ms), so
    /// it shows the total work, not how long anyone waited; and any other thread of the
    /// process that is busy meanwhile (a pool from an earlier cell still working) is
    /// counted too.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::bench::Bench;
    /// use lab::compare::Verdict;
    ///
    /// let bench = Bench::new("spin").warmup(0).reps(6).compare(|v| {
    ///     v.add("more", || lab::scenarios::spin(400_000));
    ///     v.add("less", || lab::scenarios::spin(100_000));
    /// });
    /// let (more, less) = (bench.get("more").unwrap(), bench.get("less").unwrap());
    /// if let (Some(a), Some(b)) = (more.cpu_samples(), less.cpu_samples()) {
    ///     assert_eq!(a.len(), 6);
    ///     // The verdict on CPU time, paired round by round like the one on wall time.
    ///     println!("{}", Verdict::from_rounds(a, b).unwrap().named("more", "less"));
    /// }
    /// ```
    pub fn cpu_samples(&self) -> Option<&[Duration]> {
        self.cpu.as_deref()
    }

    /// The median repetition (the mean of the middle two for an even count).
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lab::bench::measure("nap", 3, || std::thread::sleep(std::time::Duration::from_millis(1))).unwrap();
    /// assert!(m.median() >= std::time::Duration::from_millis(1));
    /// ```
    pub fn median(&self) -> Duration {
        let mut s = self.samples.clone();
        s.sort();
        let n = s.len();
        if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2
        }
    }

    /// The fastest repetition.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lab::bench::measure("x", 3, || lab::scenarios::spin(100)).unwrap();
    /// assert!(m.min() <= m.median());
    /// ```
    pub fn min(&self) -> Duration {
        self.samples.iter().copied().min().unwrap_or_default()
    }

    /// The slowest repetition.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = lab::bench::measure("x", 3, || lab::scenarios::spin(100)).unwrap();
    /// assert!(m.max() >= m.median());
    /// ```
    pub fn max(&self) -> Duration {
        self.samples.iter().copied().max().unwrap_or_default()
    }
}

impl fmt::Display for Measurement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: median {} (fastest {}, slowest {}, {} runs)",
            self.name,
            fmt_duration(self.median()),
            fmt_duration(self.min()),
            fmt_duration(self.max()),
            self.samples.len()
        )?;
        if let Some(n) = &self.note {
            write!(f, " [{n}]")?;
        }
        Ok(())
    }
}

/// Times several variants of the same job side by side, in one run, on one machine.
///
/// [`compare`](Bench::compare) takes named variants and [`sweep`](Bench::sweep) one job
/// over parameter values; both run the variants *round by round* (one run of each, then
/// the next round), warm-ups included, so a machine whose speed drifts (a busy neighbour,
/// a warming CPU) treats every variant alike instead of giving the last one the worst of
/// it; and the order within a round rotates from round to round
/// ([`round_order`]), so no variant always runs first or
/// always after the same one. Every time is kept (wall time, and the process's CPU time:
/// [`Measurement::cpu_samples`]). [`verdict`](Bench::verdict) pairs two variants' times
/// round by round and says whether one is faster, with its 95% interval, or that this
/// machine cannot tell them apart (the rule: [`compare`](mod@crate::compare)). The bench
/// displays as a bar chart of medians with fastest–slowest whiskers and each variant's
/// speedup over the first, with the machine report underneath; its text also gives each
/// variant's verdict against the first when there are at least
/// [`MIN_ROUNDS`] rounds. Bad settings (zero repetitions)
/// are reported in place of the chart, and a bench that runs too long (see
/// [`TIME_BUDGET_PER_VARIANT`]) stops after the round it is in and says so.
///
/// # Examples
///
/// ```
/// use lab::bench::Bench;
///
/// let bench = Bench::new("sum 1..n").reps(3).compare(|v| {
///     v.add("n = 1000", || (1..=1000u64).sum::<u64>());
///     v.add("n = 100", || (1..=100u64).sum::<u64>());
/// });
/// assert_eq!(bench.measurements().len(), 2);
/// assert!(bench.get("n = 100").is_ok());
/// assert!(bench.speedup("n = 1000", "n = 100").unwrap() > 0.0);
/// ```
#[derive(Clone, Debug)]
pub struct Bench {
    title: String,
    warmup: usize,
    reps: usize,
    results: Vec<Measurement>,
    /// The recorders of variants added with `add_recorded`, one per timed run.
    recordings: Vec<(String, Vec<Recorder>)>,
    error: FirstError,
}

/// The variants of one [`Bench::compare`]: each [`add`](Variants::add) names one.
/// Nothing runs until the closure given to `compare` returns; then all run round by round.
///
/// # Examples
///
/// ```
/// let data: Vec<u64> = (0..1000).collect();
/// let bench = lab::bench::Bench::new("sum").reps(2).compare(|v| {
///     v.add("iter().sum()", || data.iter().sum::<u64>());
///     v.add("a for loop", || { let mut s = 0; for x in &data { s += x; } s });
/// });
/// assert_eq!(bench.measurements().len(), 2);
/// ```
pub struct Variants<'a> {
    jobs: Vec<(String, Job<'a>)>,
}

/// One variant's run, which returns how long it took.
/// A run's error (from a variant added with [`Variants::add_timed`] whose job returns a
/// `Result`) stops the bench.
type Job<'a> = Box<dyn FnMut() -> Result<Timed> + 'a>;

/// One run's wall time, and the process's CPU time meanwhile where it was measured.
struct Timed {
    wall: Duration,
    cpu: Option<Duration>,
    /// What the run recorded (`add_recorded` only).
    recording: Option<Recorder>,
}

/// Runs `run` once and times it: wall time, and the process's CPU time around it.
fn timed<R>(run: impl FnOnce() -> R) -> (Timed, R) {
    let cpu_before = process_cpu_time();
    let t = Instant::now();
    let out = run();
    let wall = t.elapsed();
    let cpu = cpu_before
        .zip(process_cpu_time())
        .map(|(before, after)| after.saturating_sub(before));
    (
        Timed {
            wall,
            cpu,
            recording: None,
        },
        out,
    )
}

/// The CPU time this process has used so far, all its threads together, where the OS
/// says (`CLOCK_PROCESS_CPUTIME_ID`, Unix).
fn process_cpu_time() -> Option<Duration> {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the call only writes into it.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
        if rc == 0 {
            let secs = u64::try_from(ts.tv_sec).ok()?;
            let nanos = u32::try_from(ts.tv_nsec).ok()?;
            return Some(Duration::new(secs, nanos));
        }
        None
    }
    #[cfg(not(unix))]
    {
        None
    }
}

impl fmt::Debug for Variants<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.jobs.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Variants").field("names", &names).finish()
    }
}

impl<'a> Variants<'a> {
    /// Adds a variant called `name` that runs `job`. What `job` returns is passed through
    /// `black_box`, so the optimiser cannot skip the work.
    ///
    /// # Examples
    ///
    /// ```
    /// let bench = lab::bench::Bench::new("t").reps(1).compare(|v| {
    ///     v.add("spin 1000", || lab::scenarios::spin(1000));
    /// });
    /// assert!(bench.get("spin 1000").is_ok());
    /// ```
    pub fn add<R>(&mut self, name: impl Into<String>, mut job: impl FnMut() -> R + 'a) {
        self.jobs.push((
            name.into(),
            Box::new(move || {
                Ok(timed(|| {
                    black_box(job());
                })
                .0)
            }),
        ));
    }

    /// Adds a variant whose every run first calls `setup` (not timed) and then `job`
    /// on what it made (timed). Dropping what `job` returns is not timed either. For
    /// a job that consumes its input, e.g. sorting a fresh copy of the data each run.
    ///
    /// # Examples
    ///
    /// ```
    /// let data: Vec<u64> = (0..10_000).rev().collect();
    /// let bench = lab::bench::Bench::new("sort").reps(3).compare(|v| {
    ///     v.add_with_setup("sort", || data.clone(), |mut d| d.sort());
    ///     v.add_with_setup("sort_unstable", || data.clone(), |mut d| d.sort_unstable());
    /// });
    /// assert_eq!(bench.measurements().len(), 2);
    /// ```
    pub fn add_with_setup<S, R>(
        &mut self,
        name: impl Into<String>,
        mut setup: impl FnMut() -> S + 'a,
        mut job: impl FnMut(S) -> R + 'a,
    ) {
        self.jobs.push((
            name.into(),
            Box::new(move || {
                let input = setup();
                let (time, out) = timed(|| black_box(job(input)));
                drop(out);
                Ok(time)
            }),
        ));
    }

    /// Adds a variant whose every run records into a fresh [`Recorder`], made before the
    /// clock starts and handed to `job`. The bench keeps the recorder of each timed run
    /// (warm-ups' are dropped): [`Bench::recordings`] gives them back in round order, and
    /// [`Bench::verdict_by`] compares two variants on a figure read from each run's
    /// recording (a latency, say) instead of on their wall times. Building a trace from a
    /// recorder is never timed.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::trace::Kind;
    /// let bench = lab::bench::Bench::new("t").warmup(1).reps(3).compare(|v| {
    ///     v.add_recorded("spin", |rec| rec.lane("main").span(Kind::Compute, "job 0", || lab::scenarios::spin(1_000)));
    /// });
    /// assert_eq!(bench.recordings("spin").unwrap().len(), 3); // the warm-up's is not kept
    /// ```
    pub fn add_recorded<R>(
        &mut self,
        name: impl Into<String>,
        mut job: impl FnMut(&Recorder) -> R + 'a,
    ) {
        self.jobs.push((
            name.into(),
            Box::new(move || {
                let rec = Recorder::new();
                let (mut time, out) = timed(|| black_box(job(&rec)));
                drop(out);
                time.recording = Some(rec);
                Ok(time)
            }),
        ));
    }

    /// Adds a variant that times itself: `job` returns how long the part worth timing
    /// took (e.g. from a barrier's release to the last message, leaving thread start
    /// out), as a [`Duration`] or as a [`Result`] of one ([`SelfTimed`]): an `Err` stops
    /// the bench, which then shows that error in place of its chart and returns it from
    /// [`get`](Bench::get) and [`verdict`](Bench::verdict). Warm-ups, rounds and
    /// interleaving are as for [`add`](Variants::add).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let bench = lab::bench::Bench::new("t").reps(3).compare(|v| {
    ///     v.add_timed("only the sum", || {
    ///         let data: Vec<u64> = (0..10_000).collect(); // not timed
    ///         let t = Instant::now();
    ///         std::hint::black_box(data.iter().sum::<u64>());
    ///         t.elapsed()
    ///     });
    /// });
    /// assert!(bench.get("only the sum").unwrap().median() < Duration::from_secs(1));
    ///
    /// // A run that can fail: the first error is the bench's.
    /// let failing = lab::bench::Bench::new("t").reps(3).compare(|v| {
    ///     v.add_timed("refused", || Err(lab::Error::new("the OS refused a thread")));
    /// });
    /// assert!(failing.get("refused").unwrap_err().to_string().contains("refused a thread"));
    /// ```
    pub fn add_timed<T: SelfTimed>(
        &mut self,
        name: impl Into<String>,
        mut job: impl FnMut() -> T + 'a,
    ) {
        self.jobs.push((
            name.into(),
            Box::new(move || {
                job().time_taken().map(|wall| Timed {
                    wall,
                    cpu: None,
                    recording: None,
                })
            }),
        ));
    }
}

/// What the job of [`Variants::add_timed`] may return: the time it measured, or a
/// [`Result`] of it (e.g. [`Throughput::run`](crate::channels::Throughput::run), which
/// fails on bad settings), whose error stops the bench.
///
/// # Examples
///
/// ```
/// use lab::bench::SelfTimed;
/// use std::time::Duration;
/// assert_eq!(Duration::from_millis(3).time_taken(), Ok(Duration::from_millis(3)));
/// let failed: lab::Result<Duration> = Err(lab::Error::new("no"));
/// assert!(failed.time_taken().is_err());
/// ```
pub trait SelfTimed {
    /// The time, or why there is none.
    fn time_taken(self) -> Result<Duration>;
}

impl SelfTimed for Duration {
    fn time_taken(self) -> Result<Duration> {
        Ok(self)
    }
}

impl SelfTimed for Result<Duration> {
    fn time_taken(self) -> Result<Duration> {
        self
    }
}

impl Bench {
    /// A bench with 1 warm-up and 5 repetitions per variant.
    ///
    /// # Examples
    ///
    /// ```
    /// let bench = lab::bench::Bench::new("sorting").compare(|v| v.add("sort", || vec![3, 1, 2].sort()));
    /// assert_eq!(bench.measurements()[0].samples().len(), 5);
    /// ```
    pub fn new(title: impl Into<String>) -> Bench {
        Bench {
            title: title.into(),
            warmup: 1,
            reps: 5,
            results: Vec::new(),
            recordings: Vec::new(),
            error: FirstError::default(),
        }
    }

    /// Runs of each variant before timing, not kept (default 1). 0 is allowed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut calls = 0;
    /// lab::bench::Bench::new("t").warmup(3).reps(1).compare(|v| v.add("a", || calls += 1));
    /// assert_eq!(calls, 4);
    /// ```
    pub fn warmup(mut self, runs: usize) -> Bench {
        match check_count("warmup", runs.max(1), MAX_REPS, "try .warmup(1)") {
            Ok(_) => self.warmup = runs,
            Err(e) => self.fail(e),
        }
        self
    }

    /// Timed runs of each variant (default 5; at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let bench = lab::bench::Bench::new("t").reps(2).compare(|v| v.add("a", || ()));
    /// assert_eq!(bench.get("a").unwrap().samples().len(), 2);
    /// assert!(lab::bench::Bench::new("t").reps(0).get("a").is_err());
    /// ```
    pub fn reps(mut self, runs: usize) -> Bench {
        match check_count("reps", runs, MAX_REPS, "try .reps(5)") {
            Ok(n) => self.reps = n,
            Err(e) => self.fail(e),
        }
        self
    }

    fn fail(&mut self, e: Error) {
        self.error.keep(e);
    }

    /// Times the variants that `variants` adds, round by round: each round runs every
    /// variant once, the first round in the order added, later rounds in an order that
    /// rotates ([`round_order`]). Call it again to add more
    /// variants to the same bench (they are interleaved with each other, not with the
    /// earlier ones, so [`verdict`](Bench::verdict) cannot pair them with those).
    ///
    /// # Examples
    ///
    /// ```
    /// let order = std::cell::RefCell::new(Vec::new());
    /// let bench = lab::bench::Bench::new("t").warmup(0).reps(2).compare(|v| {
    ///     v.add("a", || order.borrow_mut().push('a'));
    ///     v.add("b", || order.borrow_mut().push('b'));
    /// });
    /// assert_eq!(*order.borrow(), ['a', 'b', 'b', 'a']); // round by round, rotating
    /// assert_eq!(bench.measurements().len(), 2);
    /// ```
    pub fn compare<'a>(self, variants: impl FnOnce(&mut Variants<'a>)) -> Bench {
        let mut v = Variants { jobs: Vec::new() };
        variants(&mut v);
        self.interleave(v.jobs)
    }

    /// Times `job` once per parameter value, as one variant per value named
    /// `"{value} {unit}"` (e.g. `"4 threads"`), round by round like
    /// [`compare`](Bench::compare).
    ///
    /// # Examples
    ///
    /// ```
    /// let sizes = [1_000u64, 10_000, 100_000];
    /// let bench = lab::bench::Bench::new("spin").reps(3).sweep(&sizes, "steps", |&n| lab::scenarios::spin(n));
    /// assert_eq!(bench.measurements().len(), 3);
    /// assert_eq!(bench.measurements()[2].name(), "100000 steps");
    /// assert!(bench.speedups().unwrap()[2] < 1.0); // more steps, more time
    /// ```
    pub fn sweep<'p, P: fmt::Display + 'p, R>(
        self,
        values: impl IntoIterator<Item = &'p P>,
        unit: &str,
        job: impl FnMut(&P) -> R,
    ) -> Bench {
        let job = std::cell::RefCell::new(job);
        let jobs: Vec<(String, Job<'_>)> = values
            .into_iter()
            .map(|v| {
                let name = format!("{v} {unit}").trim().to_string();
                let job = &job;
                let run: Job<'_> = Box::new(move || {
                    let mut job = job.borrow_mut();
                    Ok(timed(|| {
                        black_box(job(v));
                    })
                    .0)
                });
                (name, run)
            })
            .collect();
        self.interleave(jobs)
    }

    /// The one timing loop behind `compare` and `sweep`: warm-up rounds, then timed
    /// rounds, every variant once per round, within the time budget.
    fn interleave(mut self, mut jobs: Vec<(String, Job<'_>)>) -> Bench {
        if self.error.get().is_some() {
            return self;
        }
        if jobs.is_empty() {
            self.fail(Error::of(
                ErrorKind::Empty,
                "no variants to time: add at least one, e.g. v.add(\"name\", || work()) or .sweep(&[1, 2, 4], ...)",
            ));
            return self;
        }
        let mut seen: Vec<&str> = self.results.iter().map(|m| m.name.as_str()).collect();
        for (name, _) in &jobs {
            if seen.contains(&name.as_str()) {
                let e = Error::of(
                    ErrorKind::BadInput,
                    format!("two variants are both named {name:?}: give each one a different name"),
                );
                self.fail(e);
                return self;
            }
            seen.push(name);
        }
        let budget = TIME_BUDGET_PER_VARIANT * jobs.len() as u32;
        let began = Instant::now();
        let over = || began.elapsed() > budget;
        let n = jobs.len();
        for round in 0..self.warmup {
            for i in round_order(n, round) {
                if let Err(e) = (jobs[i].1)() {
                    self.fail(e);
                    return self;
                }
            }
            if over() {
                break;
            }
        }
        let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(self.reps); n];
        let mut cpus: Vec<Option<Vec<Duration>>> = vec![Some(Vec::with_capacity(self.reps)); n];
        let mut recordings: Vec<Vec<Recorder>> = vec![Vec::new(); n];
        let mut note = None;
        for round in 0..self.reps {
            // The order rotates from round to round (see `round_order`).
            for i in round_order(n, round) {
                let Timed {
                    wall,
                    cpu,
                    recording,
                } = match (jobs[i].1)() {
                    Ok(t) => t,
                    Err(e) => {
                        self.fail(e);
                        return self;
                    }
                };
                samples[i].push(wall);
                recordings[i].extend(recording);
                match (cpu, &mut cpus[i]) {
                    (Some(c), Some(kept)) => kept.push(c),
                    _ => cpus[i] = None,
                }
            }
            if over() && round + 1 < self.reps {
                note = Some(format!(
                    "stopped after {} of {} rounds: over the {} s budget",
                    round + 1,
                    self.reps,
                    budget.as_secs()
                ));
                break;
            }
        }
        let batch = self.results.len();
        for ((name, _), recs) in jobs.iter().zip(recordings) {
            if !recs.is_empty() {
                self.recordings.push((name.clone(), recs));
            }
        }
        for (((name, _), samples), cpu) in jobs.into_iter().zip(samples).zip(cpus) {
            self.results.push(Measurement {
                name,
                samples,
                cpu,
                batch,
                note: note.clone(),
            });
        }
        self
    }

    /// The title the bench was made with.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::bench::Bench::new("sorting").title(), "sorting");
    /// ```
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Every variant measured so far, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let bench = lab::bench::Bench::new("t").reps(1).sweep(&["a", "b"], "", |_| ());
    /// assert_eq!(bench.measurements().len(), 2);
    /// ```
    pub fn measurements(&self) -> &[Measurement] {
        &self.results
    }

    /// One variant's measurement, by name.
    ///
    /// # Examples
    ///
    /// ```
    /// let bench = lab::bench::Bench::new("t").reps(1).compare(|v| v.add("a", || ()));
    /// assert!(bench.get("a").is_ok());
    /// assert!(bench.get("z").unwrap_err().to_string().contains("no variant named"));
    /// ```
    pub fn get(&self, name: &str) -> Result<&Measurement> {
        if let Some(e) = self.error.get() {
            return Err(e.clone());
        }
        self.results.iter().find(|m| m.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.results.iter().map(|m| m.name.as_str()).collect();
            Error::of(
                ErrorKind::NotFound,
                format!("no variant named {name:?}; this bench has {names:?}"),
            )
        })
    }

    /// Whether `candidate` is faster than `baseline`, slower, or cannot be told apart on
    /// this machine, with the 95% interval of how many times faster it is: their times
    /// paired round by round (the rule: [`compare`](mod@crate::compare)). Needs at least
    /// [`MIN_ROUNDS`] rounds (`.reps(6)`) for a winner.
    ///
    /// # Errors
    ///
    /// A name the bench does not have ([`ErrorKind::NotFound`], listing those it has),
    /// two variants timed by different calls of `compare` or `sweep`, whose rounds are
    /// not paired ([`ErrorKind::Misuse`]), or the bench's own error.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::bench::Bench;
    /// use lab::compare::Decision;
    ///
    /// let bench = Bench::new("spin").reps(9).compare(|v| {
    ///     v.add("more", || lab::scenarios::spin(400_000));
    ///     v.add("less", || lab::scenarios::spin(20_000));
    /// });
    /// let verdict = bench.verdict("more", "less").unwrap();
    /// println!("{verdict}"); // e.g. less vs more: ×19 faster (95% interval ×18–×21, 9 of 9 rounds)
    /// assert_eq!(verdict.decision(), Decision::Faster);
    /// assert_eq!(verdict.rounds(), 9);
    /// assert!(bench.verdict("more", "most").unwrap_err().to_string().contains("\"less\""));
    /// ```
    pub fn verdict(&self, baseline: &str, candidate: &str) -> Result<Verdict> {
        let (b, c) = (self.get(baseline)?, self.get(candidate)?);
        if b.batch != c.batch {
            return Err(Error::of(
                ErrorKind::Misuse,
                format!(
                    "{baseline:?} and {candidate:?} were timed by different .compare or .sweep \
                     calls, so their rounds are not paired: time them in one call"
                ),
            ));
        }
        Verdict::from_rounds(&b.samples, &c.samples).map(|v| v.named(baseline, candidate))
    }

    /// The recorders of a variant added with [`Variants::add_recorded`], one per timed
    /// run, in the order the rounds ran (warm-ups not included).
    ///
    /// # Errors
    ///
    /// A name the bench does not have ([`ErrorKind::NotFound`]), a variant added some
    /// other way, which kept no recordings ([`ErrorKind::Misuse`]), or the bench's own
    /// error.
    ///
    /// # Examples
    ///
    /// ```
    /// let bench = lab::bench::Bench::new("t").reps(2).compare(|v| {
    ///     v.add_recorded("recorded", |rec| rec.lane("a").mark("hello"));
    ///     v.add("plain", || ());
    /// });
    /// let last = bench.recordings("recorded").unwrap().last().unwrap();
    /// assert_eq!(last.trace().unwrap().mark_count(), 1);
    /// assert!(bench.recordings("plain").unwrap_err().to_string().contains("add_recorded"));
    /// ```
    pub fn recordings(&self, name: &str) -> Result<&[Recorder]> {
        self.get(name)?;
        self.recordings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, recs)| recs.as_slice())
            .ok_or_else(|| {
                Error::of(
                    ErrorKind::Misuse,
                    format!(
                        "{name:?} kept no recordings: add it with v.add_recorded(name, |rec| ...)"
                    ),
                )
            })
    }

    /// Like [`verdict`](Bench::verdict), on a figure read from each timed run's
    /// recording instead of its wall time: `figure` is asked once per run of both
    /// variants (e.g. the median latency of the items that run handled), and the two
    /// are paired round by round by the same rule. Both variants must have been added
    /// with [`Variants::add_recorded`] in one call of `compare`.
    ///
    /// # Errors
    ///
    /// As for [`verdict`](Bench::verdict) and [`recordings`](Bench::recordings), and the
    /// first error `figure` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{compare::Decision, trace::Kind};
    /// use std::time::Duration;
    ///
    /// let nap = |ms| move |rec: &lab::record::Recorder| {
    ///     rec.lane("worker").span(Kind::Io, "job 0", || std::thread::sleep(Duration::from_millis(ms)))
    /// };
    /// let bench = lab::bench::Bench::new("naps").warmup(0).reps(6).compare(|v| {
    ///     v.add_recorded("long", nap(30));
    ///     v.add_recorded("short", nap(1));
    /// });
    /// let latency = |rec: &lab::record::Recorder| Ok(rec.trace()?.latencies("job ")?.median());
    /// let verdict = bench.verdict_by("long", "short", latency).unwrap();
    /// assert_eq!(verdict.decision(), Decision::Faster); // shorter latency in every round
    /// ```
    pub fn verdict_by(
        &self,
        baseline: &str,
        candidate: &str,
        figure: impl Fn(&Recorder) -> Result<Duration>,
    ) -> Result<Verdict> {
        self.verdict(baseline, candidate)?; // the same names, one batch
        let figures = |name| -> Result<Vec<Duration>> {
            self.recordings(name)?.iter().map(&figure).collect()
        };
        Verdict::from_rounds(&figures(baseline)?, &figures(candidate)?)
            .map(|v| v.named(baseline, candidate))
    }

    /// How many times faster `fast` was than `slow`: median of `slow` / median of `fast`.
    ///
    /// # Examples
    ///
    /// ```
    /// let bench = lab::bench::Bench::new("t").reps(3).compare(|v| {
    ///     v.add("more", || lab::scenarios::spin(200_000));
    ///     v.add("less", || lab::scenarios::spin(1_000));
    /// });
    /// assert!(bench.speedup("more", "less").unwrap() > 1.0);
    /// ```
    pub fn speedup(&self, slow: &str, fast: &str) -> Result<f64> {
        let s = self.get(slow)?.median().as_secs_f64();
        let f = self.get(fast)?.median().as_secs_f64();
        if f == 0.0 {
            return Err(Error::of(
                ErrorKind::BadInput,
                format!("{fast:?} took no measurable time: give it more work to time"),
            ));
        }
        Ok(s / f)
    }

    /// Each variant's speedup over the first, in order: median of the first / its median.
    /// An error if the bench has one (e.g. zero repetitions) or measured nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let bench = lab::bench::Bench::new("x").reps(1).sweep(&[1000, 10], "", |&n| lab::scenarios::spin(n));
    /// assert_eq!(bench.speedups().unwrap()[0], 1.0);
    /// assert!(lab::bench::Bench::new("x").reps(0).sweep(&[1], "", |_| ()).speedups().is_err());
    /// ```
    pub fn speedups(&self) -> Result<Vec<f64>> {
        if let Some(e) = self.error.get() {
            return Err(e.clone());
        }
        let Some(first) = self.results.first() else {
            return Err(nothing_measured());
        };
        let base = first.median().as_secs_f64();
        Ok(self
            .results
            .iter()
            .map(|m| base / m.median().as_secs_f64().max(1e-12))
            .collect())
    }

    /// The speedups as a line chart against `xs` (one x per variant, in order), e.g.
    /// the thread count of each variant. Add the ideal with
    /// [`Lines::reference`].
    ///
    /// # Examples
    ///
    /// ```
    /// let bench = lab::bench::Bench::new("work").reps(1).compare(|v| {
    ///     v.add("1 thread", || lab::scenarios::spin(1000));
    ///     v.add("2 threads", || lab::scenarios::spin(500));
    /// });
    /// let chart = bench.speedup_lines("threads", [1.0, 2.0]);
    /// assert!(chart.to_svg().is_ok());
    /// ```
    pub fn speedup_lines(&self, x_label: &str, xs: impl IntoIterator<Item = f64>) -> Lines {
        let lines = Lines::new(format!("{}: speedup over the first", self.title))
            .x_label(x_label)
            .y_label("× faster than the first");
        let speedups = match self.speedups() {
            Ok(s) => s,
            Err(e) => return lines.fail(e),
        };
        let xs: Vec<f64> = xs.into_iter().collect();
        if xs.len() != self.results.len() {
            let msg = format!(
                "speedup_lines got {} x values for {} variants: give one per .run",
                xs.len(),
                self.results.len()
            );
            return lines.fail(Error::of(ErrorKind::BadInput, msg));
        }
        // The fastest runs show what the machine can do when nothing else disturbs it;
        // the medians, what a typical run gets. On a busy machine they differ.
        let base = self.results[0].min().as_secs_f64();
        let fastest: Vec<f64> = self
            .results
            .iter()
            .map(|m| base / m.min().as_secs_f64().max(1e-12))
            .collect();
        lines
            .series("median runs", xs.iter().copied().zip(speedups))
            .series("fastest runs", xs.iter().copied().zip(fastest))
            .note(format!(
                "{} runs per point after {} warm-up; {}",
                self.reps,
                self.warmup,
                machine().one_line()
            ))
    }

    /// The bench as a bar chart (what displaying it shows).
    ///
    /// # Examples
    ///
    /// ```
    /// let bench = lab::bench::Bench::new("t").reps(1).compare(|v| v.add("a", || ()));
    /// assert!(bench.chart().to_svg().is_ok());
    /// ```
    pub fn chart(&self) -> Bars {
        let mut bars = Bars::new(self.title.clone());
        if let Some(e) = self.error.get() {
            return bars.fail(e.clone());
        }
        let longest = self.results.iter().map(Measurement::max).max();
        let Some(longest) = longest else {
            return bars;
        };
        let (unit, per_sec) = time_unit(longest);
        bars = bars.unit(unit);
        let base = self.results[0].median().as_secs_f64();
        for m in &self.results {
            let v = |d: Duration| d.as_secs_f64() * per_sec;
            let med = m.median().as_secs_f64();
            let speed = if med > 0.0 {
                format!("×{:.2}", base / med)
            } else {
                "×∞".into()
            };
            bars = bars
                .bar(m.name.clone(), v(m.median()))
                .range(v(m.min()), v(m.max()))
                .annotate(speed);
            if let Some(n) = &m.note {
                bars = bars.note(format!("{}: {n}", m.name));
            }
        }
        bars.note(format!(
            "median of {} runs after {} warm-up; whiskers: fastest to slowest; ×: speed vs the first bar",
            self.reps, self.warmup
        ))
        .note(machine().one_line())
    }
}

impl Show for Bench {
    fn summary(&self) -> String {
        self.to_string()
    }

    fn rendering(&self) -> Rendering {
        if let Some(e) = self.error.get() {
            return e.rendering();
        }
        if self.results.is_empty() {
            return nothing_measured().rendering();
        }
        svg_or_problem(self.chart().to_svg())
    }
}
shown_in_cells!(
    Bench,
    r#"lab::bench::Bench::new("t").reps(1).compare(|v| v.add("a", || ()))"#
);

impl fmt::Display for Bench {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = self.error.get() {
            return write!(f, "{e}");
        }
        let mut s = format!("{}\n", self.title);
        let base = self.results.first().map(|m| m.median().as_secs_f64());
        for m in &self.results {
            let _ = write!(s, "  {m}");
            if let Some(b) = base {
                let med = m.median().as_secs_f64();
                if med > 0.0 {
                    let _ = write!(s, "  ×{}", three_digits(b / med));
                }
            }
            s.push('\n');
        }
        // Each variant's verdict against the first, where there are rounds enough.
        if let Some(first) = self.results.first() {
            for m in &self.results[1..] {
                if m.batch == first.batch
                    && m.samples.len() >= MIN_ROUNDS
                    && let Ok(v) = self.verdict(&first.name, &m.name)
                {
                    let _ = writeln!(s, "  {v}");
                }
            }
        }
        let _ = write!(s, "  on {}", machine().one_line());
        f.write_str(&s)
    }
}

/// How much memory this process has resident (in RAM) right now, in bytes: the `VmRSS`
/// line of `/proc/self/status`. `None` where the OS does not say (not Linux).
///
/// Good for comparing "before" and "after" within one cell (e.g. 10 000 threads vs
/// 10 000 tasks); the absolute number includes the whole kernel process.
///
/// # Examples
///
/// ```
/// if let Some(bytes) = lab::bench::resident_memory() {
///     assert!(bytes > 0);
/// }
/// ```
pub fn resident_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// How much resident memory grew since `before` (a [`resident_memory`] reading), in
/// bytes: 0 if it shrank, `None` where the OS does not say. Read it while what you are
/// measuring is alive (every thread started, every task waiting). Memory a process
/// freed earlier and uses again shows as no growth.
///
/// # Examples
///
/// ```
/// let before = lab::bench::resident_memory();
/// let held: Vec<u8> = vec![1; 8 << 20]; // 8 MiB, every page touched
/// if let Some(grown) = lab::bench::memory_grown_since(before) {
///     println!("grew {} KiB", grown / 1024); // most of 8 MiB, unless reused
/// }
/// assert_eq!(lab::bench::memory_grown_since(None), None);
/// # drop(held);
/// ```
pub fn memory_grown_since(before: Option<u64>) -> Option<u64> {
    Some(resident_memory()?.saturating_sub(before?))
}

/// Times one closure: `reps` runs after one warm-up. For several variants use [`Bench`].
///
/// # Examples
///
/// ```
/// let m = lab::bench::measure("sum", 3, || (1..=1000u64).sum::<u64>()).unwrap();
/// assert_eq!(m.samples().len(), 3);
/// assert!(lab::bench::measure("sum", 0, || ()).is_err());
/// ```
pub fn measure<R>(
    name: impl Into<String>,
    reps: usize,
    job: impl FnMut() -> R,
) -> Result<Measurement> {
    let name = name.into();
    let bench = Bench::new(name.clone())
        .reps(reps)
        .compare(|v| v.add(name.clone(), job));
    bench.get(&name).cloned()
}

fn nothing_measured() -> Error {
    Error::of(
        ErrorKind::Empty,
        "nothing measured yet: add variants with .compare(|v| v.add(\"name\", || work()))",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_reps_is_a_one_line_error() {
        let bench = Bench::new("x").reps(0).compare(|v| v.add("a", || ()));
        let err = bench.get("a").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::BadInput);
        assert_eq!(
            err.to_string(),
            "lab: reps must be at least 1 (got 0): try .reps(5)"
        );
        assert!(
            bench.measurements().is_empty(),
            "nothing ran after the error"
        );
    }

    #[test]
    fn duplicate_names_are_refused() {
        let bench = Bench::new("x").reps(1).compare(|v| {
            v.add("a", || ());
            v.add("a", || ());
        });
        let kind = |e: Error| e.kind();
        assert_eq!(kind(bench.get("a").unwrap_err()), ErrorKind::BadInput);
        let again = Bench::new("x")
            .reps(1)
            .sweep(&[1], "", |_| ())
            .sweep(&[1], "", |_| ());
        assert_eq!(kind(again.speedups().unwrap_err()), ErrorKind::BadInput);
        let nothing = Bench::new("x").compare(|_| ());
        assert_eq!(kind(nothing.speedups().unwrap_err()), ErrorKind::Empty);
    }

    #[test]
    fn warmups_run_and_are_not_kept() {
        let mut calls = 0;
        let bench = Bench::new("x")
            .warmup(2)
            .reps(3)
            .compare(|v| v.add("a", || calls += 1));
        assert_eq!(calls, 5);
        assert_eq!(bench.get("a").unwrap().samples().len(), 3);
    }

    #[test]
    fn a_sweep_interleaves_its_rounds() {
        let order = std::cell::RefCell::new(Vec::new());
        let bench = Bench::new("x")
            .warmup(0)
            .reps(2)
            .sweep(&[1, 2, 3], "", |v| order.borrow_mut().push(*v));
        assert_eq!(*order.borrow(), [1, 2, 3, 2, 3, 1]); // the order rotates
        assert_eq!(bench.measurements().len(), 3);
        assert!(bench.measurements().iter().all(|m| m.samples().len() == 2));
        let empty: [u32; 0] = [];
        assert!(Bench::new("x").sweep(&empty, "", |_| ()).get("x").is_err());
    }

    #[test]
    fn every_variant_runs_in_every_place_over_a_cycle() {
        let order = std::cell::RefCell::new(Vec::new());
        Bench::new("x")
            .warmup(0)
            .reps(6)
            .sweep(&[0, 1, 2], "", |v| order.borrow_mut().push(*v));
        let order = order.borrow();
        for v in 0..3 {
            for place in 0..3 {
                let n = order.chunks(3).filter(|round| round[place] == v).count();
                assert_eq!(n, 2, "{v} in place {place}: {order:?}");
            }
        }
    }

    #[test]
    fn a_verdict_pairs_the_rounds_of_two_variants() {
        let ms = Duration::from_millis;
        // The baseline takes 30 ms and the candidate 10 ms, but every other round is
        // twice as slow for both (a busy machine): paired, the ratio stays 3.
        let time = |base: u64| {
            let runs = std::cell::Cell::new(0u64);
            move || {
                runs.set(runs.get() + 1);
                ms(base * (1 + runs.get() % 2))
            }
        };
        let bench = Bench::new("x").warmup(0).reps(9).compare(|v| {
            v.add_timed("slow", time(30));
            v.add_timed("fast", time(10));
        });
        let verdict = bench.verdict("slow", "fast").unwrap();
        assert_eq!(verdict.decision(), crate::compare::Decision::Faster);
        assert!((verdict.ratio() - 3.0).abs() < 1e-9);
        assert_eq!(
            verdict.to_string(),
            "fast vs slow: ×3.0 faster (95% interval ×3.0–×3.0, 9 of 9 rounds)"
        );
        assert!(bench.to_string().contains("\n  fast vs slow: ×3.0 faster"));
        let err = bench.verdict("slow", "quick").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains(r#"["slow", "fast"]"#), "{err}");
        // Variants of two calls ran in different rounds.
        let two_calls = Bench::new("x")
            .reps(6)
            .compare(|v| v.add("a", || ()))
            .compare(|v| v.add("b", || ()));
        let err = two_calls.verdict("a", "b").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Misuse);
        // Five rounds: no verdict line under the bench.
        let few = Bench::new("x").reps(5).sweep(&[1, 2], "", |_| ());
        assert!(!few.to_string().contains(" vs "), "{few}");
    }

    #[test]
    fn cpu_time_is_kept_beside_wall_time_unless_the_job_timed_itself() {
        let bench = Bench::new("x").warmup(0).reps(4).compare(|v| {
            v.add("whole", || (0..10_000u64).sum::<u64>());
            v.add_timed("itself", || Duration::from_millis(1));
            v.add_with_setup("setup", || vec![3, 1, 2], |mut d| d.sort());
        });
        let whole = bench.get("whole").unwrap();
        if cfg!(unix) {
            assert_eq!(whole.cpu_samples().map(<[_]>::len), Some(4));
            assert_eq!(
                bench.get("setup").unwrap().cpu_samples().map(<[_]>::len),
                Some(4)
            );
        }
        assert_eq!(bench.get("itself").unwrap().cpu_samples(), None);
        let given = Measurement::from_samples("x", vec![Duration::from_millis(1)]).unwrap();
        assert_eq!(given.cpu_samples(), None);
    }

    #[test]
    fn even_median_is_the_mean_of_the_middle_two() {
        let ms = Duration::from_millis;
        let m = Measurement::from_samples("x", vec![ms(1), ms(2), ms(4), ms(9)]).unwrap();
        assert_eq!(m.median(), ms(3));
    }

    #[test]
    fn bench_chart_has_one_bar_per_variant_and_the_machine() {
        let bench = Bench::new("t").reps(2).sweep(&["a", "b"], "", |_| ());
        let text = bench.chart().summary();
        assert!(text.contains("  a ") && text.contains("  b "), "{text}");
        assert!(text.contains("cores"), "{text}");
    }
}
