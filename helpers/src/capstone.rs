//! The capstone's workshop (notebook 10): a website to crawl, the pieces a crawler is
//! built from, and the checks that tell a learner whether their crawler is right.
//!
//! The lesson of notebook 10 is the crawler itself (tasks, channels, a semaphore, rayon),
//! written in its cells. Everything around it lives here:
//!
//! - [`Site`]: a website of `n` pages served on `127.0.0.1` by its own thread, the same
//!   on every run (page `i` links to pages computed from `i`; some links are broken, some
//!   pages slow). It keeps a log of every request it is asked, which is how the checks
//!   know what a crawl did without trusting the crawl to say so. Three shapes:
//!   [`Site::start`] (healthy), [`Site::silent`] (one page never answers: exercise 3) and
//!   [`Site::burst`] (the home page links to every page, all answered at once, so
//!   fetching outruns parsing: exercise 2's backpressure).
//! - [`Page`], [`fetch`] (one HTTP/1.0 GET), [`Parsed`] and [`parse`] (find the links,
//!   count the words, and spend [`ANALYSIS_MS`] of CPU: the indexing a real crawler does).
//!   `parse` notes when it ran and whether on one of rayon's threads.
//! - [`Report`], what a crawl hands back, and [`within_deadline`], which runs a crawl on
//!   a fresh event loop, stops it at a deadline, and notes what it left running.
//! - [`Site::check`]: one line per check, ✔ or ✘ (· for an exercise not done yet). Each
//!   rule counts events (requests at the server, parses, tasks on the event loop); none
//!   judges by a time limit that a slow machine could miss, except exercise 1's speed
//!   against the starter, which is a gauge (· when short, never ✘).
//!
//! # Examples
//!
//! The starter's crawl, one page at a time, checked:
//!
//! ```
//! use lab::capstone::{Report, Site, fetch, parse, within_deadline};
//! use lab::scenarios::CpuWork;
//! use std::collections::{HashSet, VecDeque};
//! use std::time::Duration;
//!
//! let site = Site::start(12).unwrap();
//! let work = CpuWork::calibrate();
//! let report = within_deadline(Duration::from_secs(5), async {
//!     let mut report = Report::default();
//!     let mut seen = HashSet::from(["/p0".to_string()]);
//!     let mut frontier = VecDeque::from(["/p0".to_string()]);
//!     while let Some(path) = frontier.pop_front() {
//!         let parsed = parse(fetch(site.addr(), path).await, work);
//!         for link in &parsed.links {
//!             if seen.insert(link.clone()) { frontier.push_back(link.clone()); }
//!         }
//!         report.add(&parsed);
//!     }
//!     report
//! });
//! assert_eq!(report.pages, site.expected().pages);
//! let lines = site.check_lines(&report, 8, None);
//! assert!(lines.iter().all(|l| !l.starts_with('✘')), "{lines:?}");
//! ```

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

use crate::draw::Table;
use crate::error::{Error, ErrorKind, Result, check_count};
use crate::scenarios::{CpuWork, cores, current_thread_runtime};
use crate::show::fmt_duration;

/// The CPU a parse costs, in this machine's milliseconds ([`CpuWork::ms`]): what a real
/// indexer spends on a real page (ours are small, so honest parsing would take
/// microseconds).
///
/// # Examples
///
/// ```
/// assert_eq!(lab::capstone::ANALYSIS_MS, 3.0);
/// ```
pub const ANALYSIS_MS: f64 = 3.0;

/// The most pages a [`Site`] may have.
///
/// # Examples
///
/// ```
/// use lab::capstone::{MAX_PAGES, Site};
/// assert!(Site::start(MAX_PAGES + 1).is_err());
/// ```
pub const MAX_PAGES: usize = 10_000;

/// The longest deadline [`within_deadline`] accepts; a longer one is cut to this.
///
/// # Examples
///
/// ```
/// assert_eq!(lab::capstone::MAX_DEADLINE.as_secs(), 60);
/// ```
pub const MAX_DEADLINE: Duration = Duration::from_secs(60);

/// How long a silent page keeps its client waiting: "never", for any crawl.
const NEVER: Duration = Duration::from_secs(20);

/// How long [`within_deadline`] lets the crawl's tasks end by themselves once it has
/// returned, before it counts those still alive as leaked.
const GRACE: Duration = Duration::from_millis(100);

/// The log keeps at most this many requests (the oldest are dropped first).
const MAX_LOG: usize = 100_000;

/// The shape of a site: which pages link where, and how fast they answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// Every fifth page takes 40 ms, the rest 10 ms.
    Healthy,
    /// As healthy, but this page never answers.
    Silent(usize),
    /// The home page links to every page; every page answers at once.
    Burst,
}

/// One request the server was asked.
#[derive(Clone, Debug)]
struct Request {
    path: String,
    /// When the request line had been read.
    arrived: Instant,
    /// When the reply had been written (None: not answered).
    answered: Option<Instant>,
    /// When the server was done with it: answered, or the client hung up.
    ended: Option<Instant>,
}

/// The server's log, shared with its thread.
type Log = Arc<Mutex<Vec<Request>>>;

/// A website of `n` pages on `127.0.0.1`, served by its own thread; dropping it stops
/// the server and joins the thread.
///
/// Page `i` (at `/p{i}`) links to `(7i + 3) % n`, `(11i + 5) % n` and `i + 1`; the home
/// page `/p0` is also an index of every fourth page; every thirteenth page (i % 13 == 5)
/// also links to a page that does not exist (a broken link, answered `404 Not Found`).
/// Every fifth page takes 40 ms to answer, the others 10 ms. The server logs every
/// request (when it came, when it was answered or its client hung up), and
/// [`check`](Site::check) reads the log.
///
/// # Examples
///
/// ```
/// let site = lab::capstone::Site::start(40).unwrap();
/// assert!(site.addr().ip().is_loopback());
/// assert_eq!(site.links(0)[..3], [3, 5, 1]);
/// let want = site.expected();
/// assert_eq!((want.pages, want.broken), (40, 3));
/// ```
#[derive(Debug)]
pub struct Site {
    addr: SocketAddr,
    n: usize,
    shape: Shape,
    log: Log,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What a correct crawl of a [`Site`] finds.
///
/// # Examples
///
/// ```
/// let site = lab::capstone::Site::silent(40, 17).unwrap();
/// let want = site.expected();
/// assert_eq!(want.pages, 39);
/// assert_eq!(want.silent.as_deref(), Some("/p17"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// Pages that answer `200 OK`.
    pub pages: usize,
    /// Links to pages that do not exist (`404 Not Found`).
    pub broken: usize,
    /// Words in the text of every page found.
    pub words: usize,
    /// The page that never answers, if the site has one.
    pub silent: Option<String>,
}

impl Site {
    /// A healthy site of `pages` pages (see [`Site`]).
    ///
    /// # Errors
    ///
    /// `pages` of 0 or more than [`MAX_PAGES`]; the OS refusing a socket or a thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let site = lab::capstone::Site::start(40).unwrap();
    /// assert_eq!(site.pages(), 40);
    /// assert!(lab::capstone::Site::start(0).is_err());
    /// ```
    pub fn start(pages: usize) -> Result<Site> {
        Site::serve(pages, Shape::Healthy)
    }

    /// A site whose page `silent` never answers (it keeps the connection open for 20 s):
    /// exercise 3's site.
    ///
    /// # Errors
    ///
    /// As [`start`](Site::start), and `silent` 0 (the home page) or not below `pages`.
    ///
    /// # Examples
    ///
    /// ```
    /// let site = lab::capstone::Site::silent(40, 17).unwrap();
    /// assert_eq!(site.expected().silent.as_deref(), Some("/p17"));
    /// assert!(lab::capstone::Site::silent(40, 40).is_err());
    /// ```
    pub fn silent(pages: usize, silent: usize) -> Result<Site> {
        if silent == 0 || silent >= pages {
            return Err(Error::of(
                ErrorKind::BadInput,
                format!(
                    "the silent page must be one of /p1 … /p{} (got /p{silent})",
                    pages.saturating_sub(1)
                ),
            ));
        }
        Site::serve(pages, Shape::Silent(silent))
    }

    /// A site whose home page links to every page, and whose pages all answer at once:
    /// a crawl can fetch far faster than it can parse, so pages pile up wherever the
    /// crawler lets them. Exercise 2's backpressure is checked on it.
    ///
    /// # Errors
    ///
    /// As [`start`](Site::start).
    ///
    /// # Examples
    ///
    /// ```
    /// let site = lab::capstone::Site::burst(80).unwrap();
    /// assert_eq!(site.links(0).len(), 79); // every other page
    /// assert_eq!(site.delay(4), std::time::Duration::ZERO);
    /// ```
    pub fn burst(pages: usize) -> Result<Site> {
        Site::serve(pages, Shape::Burst)
    }

    fn serve(n: usize, shape: Shape) -> Result<Site> {
        check_count("pages", n, MAX_PAGES, "try 40")?;
        let fail =
            |e: std::io::Error| Error::of(ErrorKind::Io, format!("cannot serve the site: {e}"));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(fail)?;
        listener.set_nonblocking(true).map_err(fail)?;
        let addr = listener.local_addr().map_err(fail)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(fail)?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let log: Log = Arc::default();
        let (pages, served) = (PageSource { n, shape }, Arc::clone(&log));
        let thread = std::thread::Builder::new()
            .name("site".into())
            .spawn(move || rt.block_on(accept(listener, pages, served, stopped)))
            .map_err(fail)?;
        Ok(Site {
            addr,
            n,
            shape,
            log,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where the site listens: `127.0.0.1:<port>`.
    ///
    /// # Examples
    ///
    /// ```
    /// let site = lab::capstone::Site::start(5).unwrap();
    /// assert_ne!(site.addr().port(), 0);
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many pages the site has.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::capstone::Site::start(7).unwrap().pages(), 7);
    /// ```
    pub fn pages(&self) -> usize {
        self.n
    }

    /// The pages that page `i` links to (`n` or more: a page that does not exist).
    ///
    /// # Examples
    ///
    /// ```
    /// let site = lab::capstone::Site::start(40).unwrap();
    /// assert_eq!(site.links(5), [38, 20, 6, 45]); // 45: a broken link
    /// ```
    pub fn links(&self, i: usize) -> Vec<usize> {
        PageSource {
            n: self.n,
            shape: self.shape,
        }
        .links(i)
    }

    /// How long the server waits before answering page `i`.
    ///
    /// # Examples
    ///
    /// ```
    /// let site = lab::capstone::Site::start(40).unwrap();
    /// assert_eq!(site.delay(4).as_millis(), 40);
    /// assert_eq!(site.delay(3).as_millis(), 10);
    /// ```
    pub fn delay(&self, i: usize) -> Duration {
        PageSource {
            n: self.n,
            shape: self.shape,
        }
        .delay(i)
    }

    /// The first `rows` pages: how long each takes to answer, its words, its links.
    ///
    /// # Examples
    ///
    /// ```
    /// let site = lab::capstone::Site::start(40).unwrap();
    /// assert!(site.first_pages(6).to_string().contains("/p5"));
    /// ```
    pub fn first_pages(&self, rows: usize) -> Table {
        let mut table = Table::new(["page", "answers after", "words", "links to"]);
        for i in 0..rows.min(self.n) {
            let to: Vec<String> = self.links(i).iter().map(|l| format!("/p{l}")).collect();
            table = table.row([
                format!("/p{i}"),
                fmt_duration(self.delay(i)),
                words_of(i).to_string(),
                to.join(" "),
            ]);
        }
        table
    }

    /// What a correct crawl finds: a walk of the link graph from `/p0`.
    ///
    /// # Examples
    ///
    /// ```
    /// let want = lab::capstone::Site::start(40).unwrap().expected();
    /// assert_eq!(want.words, (0..40).map(|i| 200 + i * 37 % 100).sum::<usize>());
    /// assert_eq!(want.silent, None);
    /// ```
    pub fn expected(&self) -> Expected {
        let pages = PageSource {
            n: self.n,
            shape: self.shape,
        };
        let (mut seen, mut todo) = (HashSet::from([0]), vec![0]);
        let mut found = Expected {
            pages: 0,
            broken: 0,
            words: 0,
            silent: None,
        };
        while let Some(i) = todo.pop() {
            if i >= self.n {
                found.broken += 1;
                continue;
            }
            if self.shape == Shape::Silent(i) {
                found.silent = Some(format!("/p{i}"));
                continue;
            }
            found.pages += 1;
            found.words += words_of(i);
            todo.extend(pages.links(i).into_iter().filter(|&l| seen.insert(l)));
        }
        found
    }

    /// Prints [`check_lines`](Site::check_lines), one line per check: what a learner
    /// runs after a crawl of this site. Never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::capstone::{Report, Site};
    /// let site = Site::start(5).unwrap();
    /// site.check(&Report::default(), 8, None); // ✘ … run your crawl inside within_deadline
    /// ```
    pub fn check(&self, report: &Report, fetchers: usize, starter: Option<Duration>) {
        for line in self.check_lines(report, fetchers, starter) {
            println!("{line}");
        }
    }

    /// The checks of a crawl of this site, one line each, ✔ or ✘ (· for an exercise not
    /// done yet). `fetchers` is the cap on pages in flight the exercise asks for;
    /// `starter`, the starter's time, to judge exercise 1 against (`None`: not judged).
    ///
    /// Read from the server's log of this crawl's requests (between the start and the
    /// return of its [`within_deadline`]), from the parses the report was given
    /// ([`Report::add`]), and from what `within_deadline` counted on the event loop:
    ///
    /// - every site: the pages, broken links and words against [`expected`](Site::expected);
    ///   a page fetched twice; tasks still alive 100 ms after the crawl returned, or
    ///   requests that reached the site after it returned (left running: ✘).
    /// - the healthy site, with `starter`: exercise 1 (the most requests answered at once,
    ///   at most `fetchers`, and ×2.5 the starter's speed) and where the parses ran
    ///   (exercise 2: on rayon's threads, at most one per core, the event loop free).
    /// - the burst site: exercise 2's backpressure (pages fetched and not yet parsed, at
    ///   most `2 × fetchers + cores`).
    /// - the silent site: exercise 3 (back, the silent page reported, and no task still
    ///   running when the crawl returned).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::capstone::{Report, Site, within_deadline};
    /// use std::time::Duration;
    /// let site = Site::start(5).unwrap();
    /// let nothing = within_deadline(Duration::from_secs(1), async { Report::default() });
    /// let lines = site.check_lines(&nothing, 8, None);
    /// assert!(lines[0].starts_with("✘ pages found: 0 (expected 5)"));
    /// ```
    pub fn check_lines(
        &self,
        report: &Report,
        fetchers: usize,
        starter: Option<Duration>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let ok = |good: bool| if good { "✔" } else { "✘" };
        if let Some(problem) = &report.failed {
            out.push(format!("✘ {problem}"));
            return out;
        }
        let (Some(started), Some(returned)) = (report.started, report.returned) else {
            out.push("✘ took 0 s: run your crawl inside within_deadline(…), which times it".into());
            return out;
        };
        if report.gave_up {
            out.push(format!(
                "✘ your crawl did not finish within {}: is a receiver waiting for a channel \
                 that never closes, or a fetch for a page that never answers? See the hints \
                 of exercises 1 and 3",
                fmt_duration(report.deadline)
            ));
            return out;
        }
        let want = self.expected();
        out.push(format!(
            "{} pages found: {} (expected {})",
            ok(report.pages == want.pages),
            report.pages,
            want.pages
        ));
        let hint = if report.broken.len() == want.broken {
            ""
        } else {
            ": they are the 404 pages passed to report.add (add every page)"
        };
        out.push(format!(
            "{} broken links: {} (expected {}){hint}",
            ok(report.broken.len() == want.broken),
            report.broken.len(),
            want.broken
        ));
        out.push(format!(
            "{} words counted: {} (expected {})",
            ok(report.words == want.words),
            report.words,
            want.words
        ));

        let log = self
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let now = Instant::now();
        let during: Vec<&Request> = log
            .iter()
            .filter(|r| r.arrived >= started && r.arrived <= returned)
            .collect();
        let after = log
            .iter()
            .filter(|r| r.arrived > returned && r.arrived <= now)
            .count();
        if report.tasks_leaked > 0 || after > 0 {
            out.push(format!(
                "✘ {} of your crawl's tasks were still running after it returned ({} still \
                 alive {} later; {after} request(s) reached the site after it returned): \
                 leaked (join them, exercise 3)",
                report.tasks_at_return,
                report.tasks_leaked,
                fmt_duration(GRACE)
            ));
        }
        let distinct = want.pages + want.broken + usize::from(want.silent.is_some());
        if during.len() > distinct {
            out.push(format!(
                "✘ some pages were fetched more than once ({} requests for {distinct} distinct \
                 paths): check `seen` when you queue a link, not when its result arrives",
                during.len()
            ));
        }
        let in_flight = most_at_once(
            during
                .iter()
                .map(|r| (r.arrived, r.ended.unwrap_or(returned).min(returned))),
        );
        // An exercise is done only when every crawl's own lines hold: a ✘ above keeps its
        // ✔ from showing (it would read as "done" beside the ✘).
        let every_crawl_failed = out.iter().any(|l| l.starts_with('✘'));
        let mut exercises = Vec::new();
        match self.shape {
            Shape::Healthy => match starter {
                None => out.push(format!("· took {}", fmt_duration(report.took))),
                Some(base) => {
                    exercises.push(exercise_1(report.took, base, in_flight, fetchers));
                    exercises.push(where_parses_ran(report));
                }
            },
            Shape::Burst => exercises.push(backpressure(report, &during, fetchers)),
            Shape::Silent(_) => {
                let silent_wait = want.silent.as_ref().and_then(|path| {
                    during
                        .iter()
                        .filter(|r| &r.path == path)
                        .map(|r| {
                            r.ended
                                .unwrap_or(returned)
                                .saturating_duration_since(r.arrived)
                        })
                        .max()
                });
                exercises.push(exercise_3(report, &want, silent_wait));
            }
        }
        for line in exercises {
            match line.strip_prefix('✔') {
                Some(rest) if every_crawl_failed => {
                    out.push(format!("·{rest} (done once the ✘ above is fixed)"))
                }
                _ => out.push(line),
            }
        }
        out
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The words in page `i`'s text.
fn words_of(i: usize) -> usize {
    200 + i * 37 % 100
}

/// The pages of a site, what the server thread needs to answer them.
#[derive(Clone, Copy, Debug)]
struct PageSource {
    n: usize,
    shape: Shape,
}

impl PageSource {
    fn links(&self, i: usize) -> Vec<usize> {
        let n = self.n;
        let mut to = vec![(i * 7 + 3) % n, (i * 11 + 5) % n];
        if i + 1 < n {
            to.push(i + 1);
        }
        if i % 13 == 5 {
            to.push(n + i); // a broken link
        }
        if i == 0 {
            // The home page is also an index: of every fourth page, or of every page.
            let step = if self.shape == Shape::Burst { 1 } else { 4 };
            for l in (1..n).step_by(step) {
                if !to.contains(&l) {
                    to.push(l);
                }
            }
        }
        to
    }

    fn delay(&self, i: usize) -> Duration {
        match self.shape {
            Shape::Burst => Duration::ZERO,
            Shape::Silent(s) if s == i => NEVER,
            _ if i % 5 == 4 => Duration::from_millis(40),
            _ => Duration::from_millis(10),
        }
    }

    fn html(&self, i: usize) -> String {
        const WORDS: [&str; 8] = [
            "thread", "task", "lock", "channel", "core", "await", "race", "queue",
        ];
        let text: Vec<&str> = (0..words_of(i))
            .map(|k| WORDS[(i * 31 + k * 7) % 8])
            .collect();
        let anchors: String = self
            .links(i)
            .iter()
            .map(|l| format!("<a href=\"/p{l}\">p{l}</a>\n"))
            .collect();
        format!(
            "<html><h1>page {i}</h1>\n<p>{}</p>\n{anchors}</html>\n",
            text.join(" ")
        )
    }
}

/// The server thread's loop: accept until told to stop, each connection a task.
async fn accept(
    listener: std::net::TcpListener,
    pages: PageSource,
    log: Log,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            Ok((conn, _)) = listener.accept() => {
                connections.spawn(answer(conn, pages, Arc::clone(&log)));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

/// Notes something about request `id` in the log.
fn note(log: &Log, id: usize, f: impl FnOnce(&mut Request)) {
    let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(r) = log.get_mut(id) {
        f(r);
    }
}

/// Answers one connection: reads the request and its headers, logs it, waits the page's
/// delay (or until the client hangs up), answers, closes.
async fn answer(conn: tokio::net::TcpStream, pages: PageSource, log: Log) {
    let (read, mut write) = conn.into_split();
    let mut reader = tokio::io::BufReader::new(read);
    let (mut request, mut header) = (String::new(), String::from("?"));
    let _ = reader.read_line(&mut request).await; // GET /p12 HTTP/1.0
    while !header.trim().is_empty() {
        header.clear();
        if reader.read_line(&mut header).await.unwrap_or(0) == 0 {
            break;
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
    let id = {
        let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
        if log.len() >= MAX_LOG {
            log.drain(..MAX_LOG / 2);
        }
        log.push(Request {
            path: path.clone(),
            arrived: Instant::now(),
            answered: None,
            ended: None,
        });
        log.len() - 1
    };
    let page = path
        .strip_prefix("/p")
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&i| i < pages.n);
    let reply = match page {
        Some(i) => {
            // Wait the delay, unless the client hangs up first (a fetch given up on): it
            // sends nothing after its headers, so a read ends only when it closes.
            let mut rest = [0u8; 64];
            tokio::select! {
                _ = tokio::time::sleep(pages.delay(i)) => {}
                _ = reader.read(&mut rest) => {
                    return note(&log, id, |r| r.ended = Some(Instant::now()));
                }
            }
            format!(
                "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n{}",
                pages.html(i)
            )
        }
        None => "HTTP/1.0 404 Not Found\r\n\r\nno such page\n".to_string(),
    };
    let _ = write.write_all(reply.as_bytes()).await;
    let t = Instant::now();
    note(&log, id, |r| (r.answered, r.ended) = (Some(t), Some(t)));
}

/// The most intervals that overlap at one instant.
fn most_at_once(intervals: impl Iterator<Item = (Instant, Instant)>) -> usize {
    let mut edges: Vec<(Instant, i64)> = intervals
        .filter(|(a, b)| a <= b)
        .flat_map(|(a, b)| [(a, 1), (b, -1)])
        .collect();
    edges.sort(); // at one instant, an end (-1) comes before a start (+1)
    let mut now = 0i64;
    let mut most = 0i64;
    for (_, d) in edges {
        now += d;
        most = most.max(now);
    }
    most as usize
}

/// A fetched page: its path, the HTTP status (0: no answer), and the HTML.
///
/// # Examples
///
/// ```
/// // What a fetch that gave up hands on, so that the crawl still counts the page:
/// let page = lab::capstone::Page { path: "/p17".into(), status: 0, html: String::new() };
/// assert_eq!(page.status, 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The path asked for, such as `/p12`.
    pub path: String,
    /// The HTTP status: 200, 404, or 0 when there was no answer.
    pub status: u16,
    /// The body of the reply.
    pub html: String,
}

/// GETs one page over HTTP/1.0: connect, ask, read until the server closes. Waits as
/// long as the server takes: bounding the wait is the caller's job (exercise 3).
///
/// # Examples
///
/// ```
/// use lab::capstone::{Site, fetch};
/// let site = Site::start(40).unwrap();
/// let rt = lab::scenarios::current_thread_runtime().unwrap();
/// let home = rt.block_on(fetch(site.addr(), "/p0".to_string()));
/// assert_eq!(home.status, 200);
/// assert!(home.html.contains("href=\"/p3\""));
/// assert_eq!(rt.block_on(fetch(site.addr(), "/p99".to_string())).status, 404);
/// ```
pub async fn fetch(addr: SocketAddr, path: String) -> Page {
    let mut text = String::new();
    if let Ok(mut conn) = tokio::net::TcpStream::connect(addr).await {
        let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
        if conn.write_all(request.as_bytes()).await.is_ok() {
            let _ = conn.read_to_string(&mut text).await;
        }
    }
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let html = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_string();
    Page { path, status, html }
}

/// When a parse ran and whether on one of rayon's threads (noted by [`parse`] itself).
#[derive(Clone, Debug, PartialEq, Eq)]
struct ParseRun {
    path: String,
    start: Instant,
    end: Instant,
    on_rayon: bool,
}

/// What parsing found in a page: its links and how many words its text has. It also
/// carries, unseen, when the parse ran and on which kind of thread, for the check.
///
/// # Examples
///
/// ```
/// use lab::capstone::{Page, parse};
/// let page = Page { path: "/p1".into(), status: 200,
///                   html: "<p>two words</p><a href=\"/p2\">".into() };
/// let parsed = parse(page, lab::scenarios::CpuWork::calibrate());
/// assert_eq!((parsed.words, parsed.links.clone()), (2, vec!["/p2".to_string()]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// The page's path.
    pub path: String,
    /// Its HTTP status (0: no answer).
    pub status: u16,
    /// The paths it links to, in order.
    pub links: Vec<String>,
    /// The words of its text.
    pub words: usize,
    ran: ParseRun,
}

/// Parses a page: finds its links, counts the words of its text, and, for a page that
/// answered (status 200), spends [`ANALYSIS_MS`] of CPU on what an indexer does. Pure CPU
/// work: nothing in it waits. It notes when it ran and whether on one of rayon's threads.
///
/// # Examples
///
/// ```
/// use lab::capstone::{Page, parse};
/// let work = lab::scenarios::CpuWork::calibrate();
/// let broken = Page { path: "/p45".into(), status: 404, html: "no such page".into() };
/// let parsed = parse(broken, work);
/// assert!(parsed.links.is_empty() && parsed.status == 404);
/// ```
pub fn parse(page: Page, work: CpuWork) -> Parsed {
    let start = Instant::now();
    let links = page
        .html
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(String::from)
        .collect();
    let text = page
        .html
        .split_once("<p>")
        .and_then(|(_, rest)| rest.split_once("</p>"))
        .map_or("", |(t, _)| t);
    let words = text.split_whitespace().count();
    if page.status == 200 {
        work.ms(ANALYSIS_MS); // the indexing a real crawler would do
    }
    let ran = ParseRun {
        path: page.path.clone(),
        start,
        end: Instant::now(),
        on_rayon: rayon::current_thread_index().is_some(),
    };
    Parsed {
        path: page.path,
        status: page.status,
        links,
        words,
        ran,
    }
}

/// What a crawl found: pages that answered, their words, broken links, pages that gave no
/// answer. [`within_deadline`] adds how long it took and what it left running.
///
/// # Examples
///
/// ```
/// use lab::capstone::{Page, Report, parse};
/// let work = lab::scenarios::CpuWork::calibrate();
/// let mut report = Report::default();
/// report.add(&parse(Page { path: "/p9".into(), status: 404, html: String::new() }, work));
/// report.add(&parse(Page { path: "/p17".into(), status: 0, html: String::new() }, work));
/// assert_eq!(report.broken.len() + report.no_answer.len(), 2);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Pages that answered `200 OK`.
    pub pages: usize,
    /// The words of their text.
    pub words: usize,
    /// Paths answered `404 Not Found`.
    pub broken: BTreeSet<String>,
    /// Paths that gave no answer (status 0).
    pub no_answer: BTreeSet<String>,
    parses: Vec<ParseRun>,
    took: Duration,
    gave_up: bool,
    deadline: Duration,
    started: Option<Instant>,
    returned: Option<Instant>,
    tasks_at_return: usize,
    tasks_leaked: usize,
    loop_ran: Vec<Instant>,
    failed: Option<String>,
}

impl Report {
    /// Adds a parsed page: counted as a page, a broken link or no answer, by its status.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::capstone::{Page, Report, parse};
    /// let page = Page { path: "/p1".into(), status: 200, html: "<p>a b c</p>".into() };
    /// let mut report = Report::default();
    /// report.add(&parse(page, lab::scenarios::CpuWork::calibrate()));
    /// assert_eq!((report.pages, report.words), (1, 3));
    /// ```
    pub fn add(&mut self, parsed: &Parsed) {
        self.parses.push(parsed.ran.clone());
        match parsed.status {
            200 => {
                self.pages += 1;
                self.words += parsed.words;
            }
            404 => {
                self.broken.insert(parsed.path.clone());
            }
            _ => {
                self.no_answer.insert(parsed.path.clone());
            }
        }
    }

    /// How long the crawl took, as [`within_deadline`] timed it (zero if it did not run
    /// there).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::capstone::{Report, within_deadline};
    /// use std::time::Duration;
    /// let r = within_deadline(Duration::from_secs(1), async {
    ///     tokio::time::sleep(Duration::from_millis(20)).await;
    ///     Report::default()
    /// });
    /// assert!(r.took() >= Duration::from_millis(20));
    /// ```
    pub fn took(&self) -> Duration {
        self.took
    }

    /// Whether [`within_deadline`] stopped the crawl at its deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::capstone::{Report, within_deadline};
    /// use std::time::Duration;
    /// let r = within_deadline(Duration::from_millis(10), std::future::pending::<Report>());
    /// assert!(r.gave_up());
    /// ```
    pub fn gave_up(&self) -> bool {
        self.gave_up
    }

    /// How many tasks the crawl had spawned that were still alive on its event loop at
    /// the moment it returned (joined tasks are not: exercise 3 joins them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::capstone::{Report, within_deadline};
    /// use std::time::Duration;
    /// let r = within_deadline(Duration::from_secs(1), async {
    ///     tokio::spawn(tokio::time::sleep(Duration::from_millis(5))); // not joined
    ///     Report::default()
    /// });
    /// assert_eq!(r.tasks_left_running(), 1);
    /// ```
    pub fn tasks_left_running(&self) -> usize {
        self.tasks_at_return
    }
}

/// Runs a crawl on a fresh event loop (a current-thread tokio runtime), times it, and
/// stops it after `deadline` (at most [`MAX_DEADLINE`]): a crawl that would wait for
/// ever comes back as a report that [`gave_up`](Report::gave_up), and the cell returns.
///
/// Meanwhile a heartbeat task notes when the event loop is free to run it (about every
/// millisecond), so that the check can tell a loop blocked while a parse runs. The moment
/// the crawl returns, it counts the tasks the crawl spawned that are still alive
/// ([`Report::tasks_left_running`]); then it lets them end by themselves for up to 100 ms
/// and counts those still alive as leaked; dropping the event loop then drops them.
///
/// # Examples
///
/// ```
/// use lab::capstone::{Report, within_deadline};
/// use std::time::Duration;
/// let r = within_deadline(Duration::from_secs(5), async {
///     let mut tasks = tokio::task::JoinSet::new();
///     for _ in 0..3 { tasks.spawn(tokio::time::sleep(Duration::from_millis(5))); }
///     tasks.join_all().await;
///     Report::default()
/// });
/// assert!(!r.gave_up() && r.tasks_left_running() == 0);
/// ```
pub fn within_deadline<'a>(deadline: Duration, crawl: impl Future<Output = Report> + 'a) -> Report {
    run_within(deadline, Box::pin(crawl))
}

/// [`within_deadline`]'s body, compiled once here rather than in every cell.
fn run_within(deadline: Duration, crawl: Pin<Box<dyn Future<Output = Report> + '_>>) -> Report {
    let deadline = if deadline > MAX_DEADLINE {
        eprintln!(
            "lab: a deadline of {} cut to {}",
            fmt_duration(deadline),
            fmt_duration(MAX_DEADLINE)
        );
        MAX_DEADLINE
    } else {
        deadline
    };
    let rt = match current_thread_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            return Report {
                failed: Some(e.to_string()),
                ..Report::default()
            };
        }
    };
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let heartbeat = rt.spawn(async move {
        let mut ran = vec![];
        loop {
            ran.push(Instant::now());
            tokio::select! {
                _ = &mut stopped => return ran,
                _ = tokio::time::sleep(Duration::from_millis(1)) => {}
            }
        }
    });
    let started = Instant::now();
    let finished = rt.block_on(async move { tokio::time::timeout(deadline, crawl).await });
    let returned = Instant::now();
    // Counted before anything else runs: the heartbeat is ours, the rest the crawl's.
    let alive = || rt.metrics().num_alive_tasks();
    let tasks_at_return = alive().saturating_sub(1);
    let _ = stop.send(());
    let loop_ran = rt.block_on(heartbeat).unwrap_or_default();
    rt.block_on(async {
        let alive = || {
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks()
        };
        while alive() > 0 && returned.elapsed() < GRACE {
            tokio::task::yield_now().await;
        }
    });
    let mut report = finished.unwrap_or_else(|_| Report {
        gave_up: true,
        ..Report::default()
    });
    report.took = returned - started;
    report.deadline = deadline;
    report.started = Some(started);
    report.returned = Some(returned);
    report.tasks_at_return = tasks_at_return;
    report.tasks_leaked = alive();
    report.loop_ran = loop_ran;
    report
}

/// Exercise 1's line: the most requests at once, and the speed against the starter.
fn exercise_1(took: Duration, base: Duration, in_flight: usize, fetchers: usize) -> String {
    let x = base.as_secs_f64() / took.as_secs_f64().max(1e-9);
    let (mark, verdict) = if in_flight > fetchers {
        (
            "✘",
            format!("more than FETCHERS = {fetchers}: cap the pages in flight"),
        )
    } else if in_flight <= 1 {
        (
            "·",
            "one page at a time: fetch several at once (did your my_crawl cell compile?)".into(),
        )
    } else if x < 2.5 {
        ("·", "aim for ×2.5 or more".to_string())
    } else {
        ("✔", "done".to_string())
    };
    format!(
        "{mark} exercise 1: took {} against the starter's {} (×{x:.1}, one run each), at most \
         {in_flight} in flight at once (the server's count): {verdict}",
        fmt_duration(took),
        fmt_duration(base)
    )
}

/// Exercise 2's first line: where the parses ran, how many at once, and whether the event
/// loop ran meanwhile.
fn where_parses_ran(report: &Report) -> String {
    let parses = most_at_once(report.parses.iter().map(|p| (p.start, p.end)));
    let off_rayon = report.parses.iter().filter(|p| !p.on_rayon).count();
    let on_rayon = report.parses.len() - off_rayon;
    // A parse on rayon during which the event loop's heartbeat never ran: the loop was
    // blocked, waiting for it.
    let ran = &report.loop_ran; // in time order
    let blocked = report
        .parses
        .iter()
        .filter(|p| {
            p.on_rayon
                && ran
                    .get(ran.partition_point(|&t| t <= p.start))
                    .is_none_or(|&t| t >= p.end)
        })
        .count();
    let head = "exercise 2, where parses run:";
    let n = cores();
    if blocked > 0 && 2 * blocked > on_rayon {
        format!(
            "✘ {head} during {blocked} of the {on_rayon} parses on rayon the event loop did not \
             run at all: it was blocked waiting for them (a blocking recv(), a par_iter or \
             rayon::scope in async code), so no reply was read meanwhile. Do not block the \
             loop while a parse runs: await a oneshot that the rayon job sends its result on"
        )
    } else if off_rayon > 0 && parses > 1 {
        format!(
            "✘ {head} {off_rayon} of {} parses ran on threads that are not rayon's \
             (spawn_blocking's, or your own): parse on rayon",
            report.parses.len()
        )
    } else if parses == 0 {
        format!("· {head} no parse counted: add every parsed page to the report (report.add)")
    } else if parses > n {
        format!("✘ {head} {parses} parses at once on {n} cores: at most one per core")
    } else if parses == 1 && off_rayon == 0 && n == 1 {
        format!("✔ {head} every parse on rayon (one core: one at a time)")
    } else if parses == 1 && off_rayon == 0 {
        format!(
            "· {head} one parse at a time, though on rayon: does your async code wait for \
             each parse? Do not block the loop while waiting: await a oneshot instead"
        )
    } else if parses == 1 {
        format!("· {head} one parse at a time: parse on rayon to run several at once")
    } else {
        format!("✔ {head} up to {parses} parses at once, on rayon's threads")
    }
}

/// Exercise 2's second line, on the burst site: the most pages fetched (answered by the
/// server) and not yet parsed at once.
fn backpressure(report: &Report, during: &[&Request], fetchers: usize) -> String {
    let mut answered: HashMap<&str, Vec<Instant>> = HashMap::new();
    for r in during {
        if let Some(t) = r.answered {
            answered.entry(r.path.as_str()).or_default().push(t);
        }
    }
    // Each parse waited from its page's answer (the latest before it started) to its start.
    let waits = report.parses.iter().filter_map(|p| {
        let at = answered.get(p.path.as_str())?;
        let t = at.iter().filter(|&&t| t <= p.start).max()?;
        Some((*t, p.start))
    });
    let waiting = most_at_once(waits);
    let cap = 2 * fetchers + cores();
    let head = "exercise 2, backpressure:";
    let off_rayon = report.parses.iter().filter(|p| !p.on_rayon).count();
    if waiting > cap {
        format!(
            "✘ {head} up to {waiting} pages fetched and waiting for a parse at once, more than \
             2 × FETCHERS + cores = {cap}: a queue without a bound (rayon's own queue is one). \
             Bound what waits for a parse: a bounded channel and a permit per parse, or await \
             each parse in the task that fetched the page"
        )
    } else if report.parses.is_empty() || off_rayon > 0 {
        format!(
            "· {head} at most {waiting} pages waited for a parse at once (limit {cap}); judged \
             once every parse runs on rayon"
        )
    } else {
        format!(
            "✔ {head} at most {waiting} pages waited for a parse at once, on a site that \
             answers at once (limit 2 × FETCHERS + cores = {cap})"
        )
    }
}

/// The longest a crawl may wait for the silent page before giving up, in exercise 3:
/// several times the exercise's 300 ms limit, so that a busy machine never fails a right
/// answer, and far below the crawl's deadline, so that a limit of seconds is caught.
const SILENT_WAIT_LIMIT: Duration = Duration::from_secs(2);

/// Exercise 3's line: back, the silent page reported after a short wait, nothing left
/// running. `silent_wait`: how long the server held the silent page's request before the
/// client hung up (from its log).
fn exercise_3(report: &Report, want: &Expected, silent_wait: Option<Duration>) -> String {
    let silent: Vec<&String> = report.no_answer.iter().collect();
    let expected: Vec<&String> = want.silent.iter().collect();
    let left = report.tasks_at_return;
    let waited_too_long = silent_wait.is_some_and(|w| w > SILENT_WAIT_LIMIT);
    let done = silent == expected && left == 0 && !waited_too_long;
    let why = if left > 0 {
        ": keep every task you spawn in a JoinSet and join it (with a timeout) before returning"
            .to_string()
    } else if waited_too_long {
        format!(
            "; but it waited {} for {} before giving up (more than {}): give each fetch \
             the exercise's limit, `limit` (page_limit, 300 ms)",
            fmt_duration(silent_wait.unwrap_or_default()),
            want.silent.as_deref().unwrap_or("the silent page"),
            fmt_duration(SILENT_WAIT_LIMIT)
        )
    } else {
        String::new()
    };
    format!(
        "{} exercise 3: back in {} (deadline {}), no answer from {silent:?} (expected \
         {expected:?}), {left} task(s) still running when your crawl returned{why}",
        if done { "✔" } else { "✘" },
        fmt_duration(report.took),
        fmt_duration(report.deadline)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_are_counted_at_their_peak() {
        let t = Instant::now();
        let ms = |k: u64| t + Duration::from_millis(k);
        assert_eq!(
            most_at_once([(ms(0), ms(10)), (ms(5), ms(15)), (ms(12), ms(20))].into_iter()),
            2
        );
        assert_eq!(
            most_at_once([(ms(0), ms(5)), (ms(5), ms(9))].into_iter()),
            1
        );
        assert_eq!(most_at_once(std::iter::empty()), 0);
    }

    #[test]
    fn the_link_graph_has_no_self_links_and_reaches_every_page() {
        let site = Site::start(40).unwrap();
        for i in 0..40 {
            assert!(!site.links(i).contains(&i), "page {i}");
        }
        assert_eq!(site.expected().pages, 40);
        assert_eq!(Site::burst(80).unwrap().expected().pages, 80);
    }

    #[test]
    fn a_request_given_up_on_ends_at_the_server() {
        let site = Site::silent(20, 3).unwrap();
        let rt = current_thread_runtime().unwrap();
        let got = rt.block_on(async {
            tokio::time::timeout(Duration::from_millis(50), fetch(site.addr(), "/p3".into())).await
        });
        assert!(got.is_err());
        std::thread::sleep(Duration::from_millis(200));
        let log = site.log.lock().unwrap().clone();
        assert_eq!(log.len(), 1);
        assert!(log[0].ended.is_some() && log[0].answered.is_none());
    }

    #[test]
    fn a_crawl_that_leaves_tasks_running_fails_exercise_3() {
        let site = Site::silent(20, 3).unwrap();
        let report = within_deadline(Duration::from_secs(5), async {
            tokio::spawn(std::future::pending::<()>());
            Report::default()
        });
        assert_eq!(report.tasks_left_running(), 1);
        let lines = site.check_lines(&report, 8, None);
        assert!(
            lines.iter().any(|l| l.starts_with("✘ exercise 3")),
            "{lines:?}"
        );
        assert!(lines.iter().any(|l| l.contains("leaked")), "{lines:?}");
    }
}
