//! Recording what threads and tasks did, and when: recorders and lanes (the write side;
//! what is read back is in [`trace`](crate::trace)).
//!
//! A [`Recorder`] is a value, cheap to clone, that a cell creates and keeps in a
//! variable. Each thread or task asks it for a [`Lane`] and writes into that lane
//! alone: a lane is a plain buffer owned by one thread, so recording an event is a
//! clock read and a push onto a `Vec`, with no lock and no atomic on the way. When the
//! lane is dropped (its thread ends, its task finishes) it hands its buffer to the
//! recorder under a lock, once. Reading back ([`Recorder::trace`]) collects those
//! buffers into a [`Trace`], the immutable snapshot that drawing and export work from.
//!
//! One exception costs more: a lock guard from [`TracedMutex`](crate::sync::TracedMutex) or
//! [`WatchedMutex`](crate::deadlock::WatchedMutex) records its held span on a sibling of the
//! caller's lane, so the thread can keep recording (and take other locks) while it holds
//! one. Each guard therefore pays an atomic add, a copy of the lane's name and, when it
//! drops, one hand-over under the recorder's lock: microseconds, not nanoseconds. Fine for
//! drawing a few thousand lock holds; not for timing a lock in a tight loop (time those
//! with a plain `std::sync::Mutex` and no recording, as notebook 04 does).
//!
//! Why values and not a global: evcxr compiles every cell into its own library with its
//! own copy of each dependency, so a `static` in this crate starts afresh in every cell.
//! A recorder held in a notebook variable survives from cell to cell.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::trace::{Kind, Label, LaneTrace, Mark, Message, Span, Trace};

/// The most records (spans plus marks) one lane keeps. Past it, records are counted,
/// not kept, and the trace says how many were left out. 4 Mi records is about 256 MiB.
///
/// # Examples
///
/// ```
/// use lab::record::{MAX_RECORDS_PER_LANE, Recorder};
/// // One mark per iteration: within the limit, every one is kept.
/// let iterations = 10_000;
/// assert!(iterations < MAX_RECORDS_PER_LANE);
/// let rec = Recorder::new();
/// let mut lane = rec.lane("loop");
/// for _ in 0..iterations {
///     lane.mark("tick");
/// }
/// drop(lane);
/// assert_eq!(rec.trace().unwrap().mark_count(), iterations);
/// ```
pub const MAX_RECORDS_PER_LANE: usize = 4 << 20;

#[derive(Debug)]
struct RawSpan {
    start: Instant,
    end: Instant,
    kind: Kind,
    cancelled: bool,
    label: Label,
}

#[derive(Debug)]
struct RawMark {
    at: Instant,
    label: Label,
}

/// A send, as the sending lane saw it: asked at `start`, the channel took it at `end`.
#[derive(Debug)]
pub(crate) struct RawSend {
    pub(crate) id: u64,
    pub(crate) start: Instant,
    pub(crate) end: Instant,
    pub(crate) label: Label,
}

/// A receive: message `id` reached the receiving lane at `at`.
#[derive(Debug)]
pub(crate) struct RawRecv {
    pub(crate) id: u64,
    pub(crate) at: Instant,
}

#[derive(Debug, Default)]
pub(crate) struct LaneBuffer {
    order: u64,
    name: Label,
    spans: Vec<RawSpan>,
    marks: Vec<RawMark>,
    pub(crate) sends: Vec<RawSend>,
    pub(crate) recvs: Vec<RawRecv>,
    pub(crate) left_out: u64,
    /// Messages from another recorder, received here: counted, not paired.
    pub(crate) strangers: u64,
}

impl LaneBuffer {
    pub(crate) fn is_full(&self) -> bool {
        self.spans.len() + self.marks.len() + self.sends.len() + self.recvs.len()
            >= MAX_RECORDS_PER_LANE
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    next_order: AtomicU64,
    /// Message ids, unique within this recorder.
    pub(crate) next_message: AtomicU64,
    open: AtomicUsize,
    finished: Mutex<Vec<LaneBuffer>>,
}

/// Collects what lanes record; clone it into every thread or task that records.
///
/// Cloning is cheap (an `Arc`), and every clone feeds the same recording. Create one
/// per experiment and keep it in a variable: it survives from cell to cell.
///
/// # Examples
///
/// ```
/// use lab::{record::Recorder, trace::Kind};
///
/// let rec = Recorder::new();
/// std::thread::scope(|s| {
///     for i in 0..3 {
///         let mut lane = rec.lane(format!("thread {i}"));
///         s.spawn(move || {
///             lane.span(Kind::Compute, "work", || (0..1000u64).sum::<u64>());
///             lane.mark("done");
///         });
///     }
/// });
/// let trace = rec.trace().unwrap();
/// assert_eq!(trace.lanes().len(), 3);
/// assert_eq!(trace.span_count(), 3);
/// assert_eq!(trace.mark_count(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct Recorder {
    shared: Arc<Shared>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// A new, empty recorder.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// assert!(rec.trace().is_err()); // nothing recorded yet
    /// ```
    pub fn new() -> Recorder {
        Recorder {
            shared: Arc::new(Shared {
                next_order: AtomicU64::new(0),
                next_message: AtomicU64::new(0),
                open: AtomicUsize::new(0),
                finished: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A lane to record into, named e.g. `"thread 1"` or `"get_user"`.
    ///
    /// Move it into the thread or task whose activity it records. Lanes are drawn in
    /// the order they were created. Two lanes with the same name become one lane in
    /// the trace, which is how several short-lived handles on one thread (rayon's
    /// `for_each_init`, say) still draw as one swimlane.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{record::Recorder, trace::Kind};
    /// use std::time::Duration;
    ///
    /// let rec = Recorder::new();
    /// let mut lane = rec.lane("main");
    /// lane.span(Kind::Io, "nap", || std::thread::sleep(Duration::from_millis(1)));
    /// drop(lane); // hands its records to the recorder
    /// assert_eq!(rec.trace().unwrap().span_count(), 1);
    /// ```
    pub fn lane(&self, name: impl Into<Label>) -> Lane {
        self.shared.open.fetch_add(1, Ordering::Relaxed);
        let mut buffer = LaneBuffer {
            order: self.shared.next_order.fetch_add(1, Ordering::Relaxed),
            name: name.into(),
            ..LaneBuffer::default()
        };
        buffer.spans.reserve(256);
        Lane {
            buffer,
            shared: Arc::clone(&self.shared),
        }
    }

    /// A lane named after the thread that calls this: `"worker 2"` on a rayon pool
    /// thread, the thread's name if it has one, otherwise `"thread <id>"`.
    ///
    /// Handy inside `par_iter`, where the closure does not know which thread runs it.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let lane = std::thread::Builder::new()
    ///     .name("loader".into())
    ///     .spawn({
    ///         let rec = rec.clone();
    ///         move || rec.thread_lane().name().to_string()
    ///     })
    ///     .unwrap()
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(lane, "loader");
    /// ```
    pub fn thread_lane(&self) -> Lane {
        self.lane(current_thread_label())
    }

    /// How many lanes are still alive (not yet dropped): `trace` names them.
    pub(crate) fn open_lanes(&self) -> usize {
        self.shared.open.load(Ordering::Relaxed)
    }

    /// A snapshot of everything the dropped lanes recorded.
    ///
    /// Fails, with a message saying why, when nothing has been recorded yet. Lanes
    /// still alive are left out, and the trace's [notes](Trace::notes) say so.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{record::Recorder, trace::Kind};
    ///
    /// let rec = Recorder::new();
    /// assert!(rec.trace().is_err()); // nothing yet
    /// rec.lane("a").mark("hello");
    /// let trace = rec.trace().unwrap();
    /// assert_eq!(trace.mark_count(), 1);
    /// ```
    pub fn trace(&self) -> Result<Trace> {
        let open = self.open_lanes();
        let finished = self
            .shared
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Trace::from_buffers(&finished, open)
    }

    /// Saves the recording as Chrome trace-event JSON, which opens in Perfetto
    /// (ui.perfetto.dev) and in `chrome://tracing`. Returns the path written.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// rec.lane("a").mark("hello");
    /// let path = std::env::temp_dir().join("lab-doc-recorder.json");
    /// assert_eq!(rec.save_chrome_trace(&path).unwrap(), path);
    /// ```
    pub fn save_chrome_trace(
        &self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<std::path::PathBuf> {
        self.trace()?.save_chrome_trace(path)
    }
}

/// Where one thread or task records. Owned by that thread or task; dropping it hands
/// its records to the [`Recorder`].
///
/// Recording is a clock read and a `Vec` push: no lock, no atomic, nothing shared.
///
/// # Examples
///
/// ```
/// use lab::{record::Recorder, trace::Kind};
///
/// let rec = Recorder::new();
/// let mut lane = rec.lane("cashier");
/// let start = lane.now();
/// let total: u64 = (1..=100).sum();
/// lane.record(Kind::Compute, "add up", start);
/// lane.mark(format!("total = {total}"));
/// assert_eq!(lane.len(), 2);
/// ```
#[derive(Debug)]
pub struct Lane {
    pub(crate) buffer: LaneBuffer,
    pub(crate) shared: Arc<Shared>,
}

impl Lane {
    /// The lane's name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::record::Recorder::new().lane("a").name(), "a");
    /// ```
    pub fn name(&self) -> &str {
        &self.buffer.name
    }

    /// How many records (spans and marks) this lane holds so far.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let mut lane = rec.lane("a");
    /// lane.mark("one");
    /// assert_eq!(lane.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.buffer.spans.len() + self.buffer.marks.len()
    }

    /// True when nothing has been recorded on this lane yet.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(lab::record::Recorder::new().lane("a").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The current time, to pass to [`record`](Lane::record) later.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let lane = rec.lane("a");
    /// let t0 = lane.now();
    /// assert!(t0.elapsed().as_secs() < 1);
    /// ```
    #[inline]
    pub fn now(&self) -> Instant {
        Instant::now()
    }

    /// Runs `work` and records it as one span of `kind`, labelled `label`; returns what
    /// `work` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{record::Recorder, trace::Kind};
    ///
    /// let rec = Recorder::new();
    /// let mut lane = rec.lane("a");
    /// let x = lane.span(Kind::Compute, "square", || 12 * 12);
    /// assert_eq!(x, 144);
    /// ```
    #[inline]
    pub fn span<R>(&mut self, kind: Kind, label: impl Into<Label>, work: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let out = work();
        let end = Instant::now();
        self.push_span(start, end, kind, label.into(), false);
        out
    }

    /// Awaits `future` and records the time until it completes as one span.
    ///
    /// If the future is dropped before it completes (a `select!` that picked another
    /// branch, a `timeout` that fired), the span is still recorded, up to the moment it
    /// was dropped, with [`Span::cancelled`] set: a timeline draws it cut short.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{record::Recorder, trace::Kind};
    /// use std::time::Duration;
    ///
    /// let rec = Recorder::new();
    /// let rt = lab::scenarios::current_thread_runtime().unwrap();
    /// let user = rt.block_on(async {
    ///     let mut lane = rec.lane("get_user");
    ///     lane.span_async(Kind::Io, "get_user(42)", async {
    ///         tokio::time::sleep(Duration::from_millis(2)).await;
    ///         "ada"
    ///     })
    ///     .await
    /// });
    /// assert_eq!(user, "ada");
    /// assert_eq!(rec.trace().unwrap().span_count(), 1);
    /// ```
    pub async fn span_async<F: IntoFuture>(
        &mut self,
        kind: Kind,
        label: impl Into<Label>,
        future: F,
    ) -> F::Output {
        let mut guard = SpanGuard {
            lane: self,
            start: Instant::now(),
            kind,
            label: Some(label.into()),
            cancelled_on_drop: true,
        };
        let out = future.into_future().await;
        guard.cancelled_on_drop = false;
        drop(guard);
        out
    }

    /// Starts a span that ends when the returned guard is dropped (or
    /// [`end`](SpanGuard::end)ed): for work that does not fit in a closure.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{record::Recorder, trace::Kind};
    ///
    /// let rec = Recorder::new();
    /// let mut lane = rec.lane("a");
    /// {
    ///     let _held = lane.enter(Kind::LockHeld, "critical section");
    ///     // ... work while holding ...
    /// } // the span ends here
    /// assert_eq!(lane.len(), 1);
    /// ```
    pub fn enter(&mut self, kind: Kind, label: impl Into<Label>) -> SpanGuard<'_> {
        SpanGuard {
            start: Instant::now(),
            lane: self,
            kind,
            label: Some(label.into()),
            cancelled_on_drop: false,
        }
    }

    /// Records a span of `kind` from `start` (from [`now`](Lane::now)) until now.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{record::Recorder, trace::Kind};
    ///
    /// let rec = Recorder::new();
    /// let mut lane = rec.lane("a");
    /// let t0 = lane.now();
    /// std::hint::black_box((0..100).sum::<u32>());
    /// lane.record(Kind::Compute, "sum", t0);
    /// assert_eq!(lane.len(), 1);
    /// ```
    #[inline]
    pub fn record(&mut self, kind: Kind, label: impl Into<Label>, start: Instant) {
        let end = Instant::now();
        self.push_span(start, end, kind, label.into(), false);
    }

    /// Records a span between two instants taken earlier (the lock guards of `sync`
    /// and `deadlock` time their waits and holds themselves). If `end` is before
    /// `start`, the two are swapped.
    pub(crate) fn record_between(
        &mut self,
        kind: Kind,
        label: impl Into<Label>,
        start: Instant,
        end: Instant,
    ) {
        let (start, end) = if end < start {
            (end, start)
        } else {
            (start, end)
        };
        self.push_span(start, end, kind, label.into(), false);
    }

    /// Records a moment: an instant event with a label, drawn as a tick on the lane.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let mut lane = rec.lane("A");
    /// lane.mark("read balance = 1000");
    /// assert_eq!(lane.len(), 1);
    /// ```
    #[inline]
    pub fn mark(&mut self, label: impl Into<Label>) {
        let at = Instant::now();
        if self.buffer.is_full() {
            self.buffer.left_out += 1;
            return;
        }
        self.buffer.marks.push(RawMark {
            at,
            label: label.into(),
        });
    }

    /// Another handle on this same lane (same name, same place in the drawing): what it
    /// records merges into this lane. Lock guards hold one, so that a thread can keep
    /// recording, and take other locks, while it holds a lock.
    pub(crate) fn sibling(&self) -> Lane {
        self.shared.open.fetch_add(1, Ordering::Relaxed);
        Lane {
            buffer: LaneBuffer {
                order: self.buffer.order,
                name: self.buffer.name.clone(),
                ..LaneBuffer::default()
            },
            shared: Arc::clone(&self.shared),
        }
    }

    /// Records a span that was cut short (drawn with a red end): work abandoned, a wait
    /// given up.
    pub(crate) fn record_cut(&mut self, kind: Kind, label: Label, start: Instant, end: Instant) {
        self.push_span(start, end.max(start), kind, label, true);
    }

    #[inline]
    fn push_span(
        &mut self,
        start: Instant,
        end: Instant,
        kind: Kind,
        label: Label,
        cancelled: bool,
    ) {
        if self.buffer.is_full() {
            self.buffer.left_out += 1;
            return;
        }
        self.buffer.spans.push(RawSpan {
            start,
            end,
            kind,
            cancelled,
            label,
        });
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        let buffer = std::mem::take(&mut self.buffer);
        self.shared
            .finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(buffer);
        self.shared.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A span in progress, from [`Lane::enter`]; it is recorded when this is dropped.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// let mut lane = rec.lane("a");
/// let guard = lane.enter(lab::trace::Kind::Wait, "waiting");
/// drop(guard); // recorded here
/// assert_eq!(lane.len(), 1);
/// ```
#[derive(Debug)]
pub struct SpanGuard<'a> {
    lane: &'a mut Lane,
    start: Instant,
    kind: Kind,
    label: Option<Label>,
    cancelled_on_drop: bool,
}

impl SpanGuard<'_> {
    /// Ends the span now (the same as dropping the guard, but easier to read).
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let mut lane = rec.lane("a");
    /// let held = lane.enter(lab::trace::Kind::LockHeld, "held");
    /// held.end();
    /// assert_eq!(lane.len(), 1);
    /// ```
    pub fn end(self) {}
}

impl Drop for SpanGuard<'_> {
    fn drop(&mut self) {
        let end = Instant::now();
        let label = self.label.take().unwrap_or(Cow::Borrowed(""));
        let cancelled = self.cancelled_on_drop;
        self.lane
            .push_span(self.start, end, self.kind, label, cancelled);
    }
}

/// The name [`Recorder::thread_lane`] gives the calling thread.
fn current_thread_label() -> Label {
    if let Some(i) = rayon::current_thread_index() {
        return Cow::Owned(format!("worker {i}"));
    }
    let thread = std::thread::current();
    match thread.name() {
        Some(name) => Cow::Owned(name.to_string()),
        None => {
            // `ThreadId(7)` -> `thread 7`
            let id = format!("{:?}", thread.id());
            let digits: String = id.chars().filter(char::is_ascii_digit).collect();
            Cow::Owned(format!("thread {digits}"))
        }
    }
}

/// Building a trace from the lanes' buffers: the one place that reads what lanes wrote.
impl Trace {
    fn from_buffers(buffers: &[LaneBuffer], open: usize) -> Result<Trace> {
        let zero = buffers
            .iter()
            .flat_map(|b| {
                let s = b.spans.iter().map(|s| s.start);
                let m = b.marks.iter().map(|m| m.at);
                let sends = b.sends.iter().map(|s| s.start);
                let recvs = b.recvs.iter().map(|r| r.at);
                s.chain(m).chain(sends).chain(recvs)
            })
            .min();
        let Some(zero) = zero else {
            let why = if open > 0 {
                format!(
                    "nothing recorded yet: {open} lane(s) still open; a lane hands over its \
                     records when dropped, so join its thread or drop it first"
                )
            } else {
                "nothing recorded yet: create lanes with rec.lane(\"name\") and record \
                 spans or marks on them"
                    .to_string()
            };
            let kind = if open > 0 {
                ErrorKind::Misuse
            } else {
                ErrorKind::Empty
            };
            return Err(Error::of(kind, why));
        };
        // Group buffers by name, in order of each name's first lane.
        let mut order: Vec<&LaneBuffer> = buffers.iter().collect();
        order.sort_by_key(|b| b.order);
        let mut lanes: Vec<LaneTrace> = Vec::new();
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        let mut left_out = 0u64;
        let mut strangers = 0u64;
        let mut sends: HashMap<u64, (&str, &RawSend)> = HashMap::new();
        let mut recvs: Vec<(&str, &RawRecv)> = Vec::new();
        for buffer in order {
            left_out += buffer.left_out;
            strangers += buffer.strangers;
            sends.extend(buffer.sends.iter().map(|s| (s.id, (&*buffer.name, s))));
            recvs.extend(buffer.recvs.iter().map(|r| (&*buffer.name, r)));
            let i = *by_name.entry(&buffer.name).or_insert_with(|| {
                lanes.push(LaneTrace {
                    name: buffer.name.clone(),
                    spans: Vec::new(),
                    marks: Vec::new(),
                });
                lanes.len() - 1
            });
            let lane = &mut lanes[i];
            lane.spans.extend(buffer.spans.iter().map(|s| Span {
                start: s.start - zero,
                end: s.end.max(s.start) - zero,
                kind: s.kind,
                label: s.label.clone(),
                cancelled: s.cancelled,
            }));
            lane.marks.extend(buffer.marks.iter().map(|m| Mark {
                at: m.at - zero,
                label: m.label.clone(),
            }));
        }
        // Lanes with nothing in them are noise on a chart (a lane that only sent or
        // received messages is kept: it is a lifeline).
        let talked: std::collections::HashSet<&str> = sends
            .values()
            .map(|(n, _)| *n)
            .chain(recvs.iter().map(|(n, _)| *n))
            .collect();
        lanes.retain(|l| !l.spans.is_empty() || !l.marks.is_empty() || talked.contains(&*l.name));
        for lane in &mut lanes {
            lane.spans.sort_by_key(|s| (s.start, s.end));
            lane.marks.sort_by_key(|m| m.at);
        }
        let index: HashMap<&str, usize> = lanes
            .iter()
            .enumerate()
            .map(|(i, l)| (&*l.name, i))
            .collect();
        let (messages, unpaired) = pair(&index, &sends, &recvs, zero);
        let mut notes = Vec::new();
        if unpaired > 0 {
            notes.push(format!(
                "{unpaired} receives whose send was not recorded (its lane was full or still open)"
            ));
        }
        if strangers > 0 {
            notes.push(format!(
                "{strangers} messages stamped by another recorder were received here and not drawn: \
                 use one recorder for both ends"
            ));
        }
        if open > 0 {
            notes.push(format!(
                "{open} lane(s) still open and not shown: drop them (or join their threads) \
                 before reading the trace"
            ));
        }
        if left_out > 0 {
            notes.push(format!(
                "{left_out} records not kept: a lane keeps at most {MAX_RECORDS_PER_LANE} \
                 records"
            ));
        }
        Ok(Trace {
            lanes,
            messages,
            notes,
        })
    }
}

/// Pairs every send with its receive. Returns the messages in the order they were sent
/// and how many receives had no recorded send.
pub(crate) fn pair(
    lanes: &HashMap<&str, usize>,
    sends: &HashMap<u64, (&str, &RawSend)>,
    recvs: &[(&str, &RawRecv)],
    zero: Instant,
) -> (Vec<Message>, usize) {
    let mut arrived: HashMap<u64, (usize, Duration)> = HashMap::with_capacity(recvs.len());
    let mut unpaired = 0;
    for (lane, r) in recvs {
        if sends.contains_key(&r.id) {
            arrived.insert(r.id, (lanes[lane], r.at - zero));
        } else {
            unpaired += 1;
        }
    }
    let mut messages: Vec<(u64, Message)> = sends
        .iter()
        .map(|(id, (lane, s))| {
            let got = arrived.get(id);
            let sent = s.start - zero;
            let message = Message {
                from: lanes[lane],
                to: got.map(|g| g.0),
                label: s.label.clone(),
                sent,
                accepted: (s.end - zero).max(sent),
                received: got.map(|g| g.1),
            };
            (*id, message)
        })
        .collect();
    messages.sort_by_key(|(id, m)| (m.sent, *id));
    (messages.into_iter().map(|(_, m)| m).collect(), unpaired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_with_one_name_merge_in_creation_order() {
        let rec = Recorder::new();
        let mut first = rec.lane("w");
        let mut other = rec.lane("other");
        let mut second = rec.lane("w");
        second.mark("2");
        first.mark("1");
        other.mark("x");
        drop(second);
        drop(other);
        drop(first);
        let trace = rec.trace().unwrap();
        let names: Vec<&str> = trace.lanes().iter().map(|l| &*l.name).collect();
        assert_eq!(names, ["w", "other"]);
        assert_eq!(trace.lanes()[0].marks.len(), 2);
        assert!(trace.lanes()[0].marks[0].at <= trace.lanes()[0].marks[1].at);
    }

    #[test]
    fn open_lanes_are_reported_not_silently_missing() {
        let rec = Recorder::new();
        let mut open = rec.lane("open");
        open.mark("not yet handed over");
        let err = rec.trace().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Misuse);
        assert!(err.message().contains("1 lane(s) still open"), "{err}");
        rec.lane("closed").mark("x");
        let trace = rec.trace().unwrap();
        assert_eq!(trace.notes().len(), 1);
        drop(open);
        assert!(rec.trace().unwrap().notes().is_empty());
    }

    #[test]
    fn a_full_lane_counts_what_it_leaves_out() {
        let rec = Recorder::new();
        let mut lane = rec.lane("full");
        lane.buffer.marks.reserve(MAX_RECORDS_PER_LANE);
        for _ in 0..MAX_RECORDS_PER_LANE + 5 {
            lane.mark("m");
        }
        drop(lane);
        let trace = rec.trace().unwrap();
        assert_eq!(trace.mark_count(), MAX_RECORDS_PER_LANE);
        assert!(trace.notes()[0].starts_with("5 records not kept"));
    }

    #[test]
    fn a_dropped_future_leaves_a_cancelled_span() {
        let rec = Recorder::new();
        let rt = crate::scenarios::current_thread_runtime().unwrap();
        rt.block_on(async {
            let mut lane = rec.lane("slow");
            let slow =
                lane.span_async(Kind::Io, "slow", tokio::time::sleep(Duration::from_secs(5)));
            let _ = tokio::time::timeout(Duration::from_millis(5), slow).await;
        });
        let trace = rec.trace().unwrap();
        let span = &trace.lanes()[0].spans[0];
        assert!(span.cancelled);
        assert!(span.duration() < Duration::from_secs(1));
    }

    #[test]
    fn thread_lane_is_named_after_rayon_workers() {
        let rec = Recorder::new();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let name = pool.install(|| rec.thread_lane().name().to_string());
        assert_eq!(name, "worker 0");
    }
}
