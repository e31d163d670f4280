//! What this process may use right now: cores that are free, threads it may still start,
//! open files (every socket is one). Experiments that scale up (10 000 threads, 100 000
//! connections, one thread per core) read these first, so that they stop at the
//! machine's limits with a sentence instead of failing half-way with an OS error.
//!
//! The numbers come from the OS (Linux's `/proc` and cgroup files; `getrlimit` on every
//! Unix, through the `rlimit` crate). Where the OS does not say, the answer is `None` or
//! "not found", never a guess.

use std::fmt;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::draw::Table;
use crate::error::{Error, ErrorKind, Result};
use crate::scenarios::{cores, for_a_while};

/// The limits on how many threads this process may start, as far as the OS says
/// (Linux: `ulimit -u`, the cgroup's `pids.max`, `vm.max_map_count`; "not found" where it
/// does not say, e.g. on macOS). A container or a JupyterHub server often sets `pids.max`
/// far below what the machine could run.
///
/// # Examples
///
/// ```
/// let limits = lab::limits::thread_limits();
/// assert!(limits.to_string().contains("pids.max"));
/// ```
pub fn thread_limits() -> Table {
    fn read(path: &str) -> Option<String> {
        Some(std::fs::read_to_string(path).ok()?.trim().to_string())
    }
    let ulimit = read("/proc/self/limits").and_then(|s| {
        let line = s.lines().find(|l| l.starts_with("Max processes"))?;
        line.split_whitespace().nth(2).map(String::from)
    });
    let cgroup = read("/proc/self/cgroup").and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("0::").map(String::from))
    });
    let pids_max = cgroup.and_then(|c| read(&format!("/sys/fs/cgroup{c}/pids.max")));
    let maps = read("/proc/sys/vm/max_map_count");
    let files = read("/proc/self/limits").and_then(|s| {
        let line = s.lines().find(|l| l.starts_with("Max open files"))?;
        line.split_whitespace().nth(3).map(String::from)
    });
    let rows = [
        ("ulimit -u (threads of this user; root is exempt)", ulimit),
        (
            "pids.max (this cgroup: a container, a JupyterHub server)",
            pids_max,
        ),
        (
            "vm.max_map_count (memory maps; a thread takes 2 to 4)",
            maps,
        ),
        ("ulimit -n (open files: every socket is one)", files),
    ];
    rows.into_iter()
        .fold(Table::new(["limit", "here"]), |t, (what, value)| {
            t.row([
                what.to_string(),
                value.unwrap_or_else(|| "not found".into()),
            ])
        })
}

/// How many cores this process gets right now, measured: what one thread per core
/// counts in 10 ms over what one thread alone counts (best of 3 each, taken in turns).
/// On an idle machine `ratio` is about `threads`; other busy programs, SMT siblings and
/// efficiency cores make it less. See [`free_cores`].
///
/// # Examples
///
/// ```
/// let free = lab::limits::free_cores().unwrap();
/// assert!(free.ratio > 0.0 && free.threads >= 1);
/// assert!(free.to_string().starts_with("cores free:"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FreeCores {
    /// The threads counted at once: one per core the process may use ([`cores`]).
    pub threads: usize,
    /// What they counted together over what one thread counted alone.
    pub ratio: f64,
}

impl fmt::Display for FreeCores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cores free: {} threads counted ×{:.2} what 1 did",
            self.threads, self.ratio
        )
    }
}

/// Measures [`FreeCores`] now (about 60 ms): print it beside a scaling figure, so that a
/// reader can tell a machine that had 2 cores free from one that had 1.2.
///
/// # Errors
///
/// The OS refused a thread (a container's thread limit): the message says so.
///
/// # Examples
///
/// ```
/// let free = lab::limits::free_cores().unwrap();
/// println!("{free}"); // cores free: 8 threads counted ×7.61 what 1 did
/// ```
pub fn free_cores() -> Result<FreeCores> {
    let count = |n| {
        for_a_while(n, Duration::from_millis(10), |_, stop| {
            let mut k = 0u64;
            while !stop.load(Relaxed) {
                k = std::hint::black_box(k + 1);
            }
            k
        })
        .map(|tally| tally.per_second())
    };
    let threads = cores();
    let (mut one, mut all) = (0.0f64, 0.0f64);
    for _ in 0..3 {
        one = one.max(count(1)?);
        all = all.max(count(threads)?);
    }
    Ok(FreeCores {
        threads,
        ratio: all / one.max(1.0),
    })
}

/// How many more threads this process may start, as far as Linux says: the least of the
/// cgroup's `pids.max` less `pids.current`, `ulimit -u` and a quarter of
/// `vm.max_map_count` (each less this process's threads), and `kernel.threads-max`.
/// `None` where the OS says nothing (macOS: `sysctl kern.num_taskthreads` is per
/// process). [`thread_limits`] shows each limit.
///
/// # Examples
///
/// ```
/// // Start at most half of what is left: the rest is for everything else.
/// let at_most = lab::limits::threads_left().map_or(1_000, |left| (left / 2).min(1_000));
/// assert!(at_most <= 1_000);
/// ```
pub fn threads_left() -> Option<usize> {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    // "max" and "unlimited" do not parse: no limit from that file.
    let num = |path: &str| read(path)?.trim().parse::<usize>().ok();
    let field = |text: String, key: &str, k: usize| {
        text.lines()
            .find(|l| l.starts_with(key))?
            .split_whitespace()
            .nth(k)?
            .parse::<usize>()
            .ok()
    };
    let threads_now = field(read("/proc/self/status")?, "Threads:", 1)?;
    let cgroup = read("/proc/self/cgroup")?
        .lines()
        .find_map(|l| l.strip_prefix("0::").map(str::to_string));
    let pids = cgroup.and_then(|c| {
        let max = num(&format!("/sys/fs/cgroup{c}/pids.max"))?;
        Some(max.saturating_sub(num(&format!("/sys/fs/cgroup{c}/pids.current"))?))
    });
    let user = read("/proc/self/limits")
        .and_then(|l| field(l, "Max processes", 2))
        .map(|u| u.saturating_sub(threads_now));
    let maps = num("/proc/sys/vm/max_map_count").map(|m| (m / 4).saturating_sub(threads_now));
    [pids, user, maps, num("/proc/sys/kernel/threads-max")]
        .into_iter()
        .flatten()
        .min()
}

/// This process's limit on open files (`ulimit -n`) after [`raise_open_files`]: every
/// socket, file and pipe takes one.
///
/// # Examples
///
/// ```
/// if let Ok(files) = lab::limits::raise_open_files() {
///     assert!(files.soft <= files.hard);
///     println!("{files}");
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenFiles {
    /// The limit in force now (what `ulimit -n` prints).
    pub soft: u64,
    /// The ceiling the soft limit may be raised to without privileges (`ulimit -Hn`).
    pub hard: u64,
}

impl fmt::Display for OpenFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "open files (ulimit -n) for this process: {} (hard limit {})",
            self.soft, self.hard
        )
    }
}

/// Raises this process's limit on open files to the most it may have without privileges
/// (its hard limit; on macOS at most `OPEN_MAX`, 10 240), and returns the limits after.
/// Only this process (the kernel) is affected, until it exits. Many systems start
/// processes at a soft limit of 1 024, which 1 000 connections (each a socket at both
/// ends in a loopback experiment) would pass.
///
/// # Errors
///
/// The OS has no such limit (not Unix) or refused the change: the message says how to
/// raise it by hand.
///
/// # Examples
///
/// ```
/// match lab::limits::raise_open_files() {
///     Ok(files) => assert!(files.soft >= 1 && files.soft <= files.hard),
///     Err(e) => println!("{e}"),
/// }
/// ```
pub fn raise_open_files() -> Result<OpenFiles> {
    #[cfg(unix)]
    {
        let fail = |e: std::io::Error| {
            Error::of(
                ErrorKind::Io,
                format!(
                    "could not raise the open-files limit ({e}): quit JupyterLab, run \
                     `ulimit -n $(ulimit -Hn)` in its shell, and start it again"
                ),
            )
        };
        rlimit::increase_nofile_limit(u64::MAX).map_err(fail)?;
        let (soft, hard) = rlimit::Resource::NOFILE.get().map_err(fail)?;
        Ok(OpenFiles { soft, hard })
    }
    #[cfg(not(unix))]
    {
        Err(Error::of(
            ErrorKind::Io,
            "this OS has no open-files limit that lab can read (Unix only): nothing to raise",
        ))
    }
}
