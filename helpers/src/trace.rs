//! What was recorded, read back: the [`Trace`] snapshot, its lanes of [`Span`]s and
//! [`Mark`]s, and its [`Message`]s (each send paired with its receive).
//!
//! The read side of recording. A [`Recorder`](crate::record::Recorder) and its
//! [`Lane`](crate::record::Lane)s write (module [`record`](crate::record)); reading them back with
//! [`Recorder::trace`](crate::record::Recorder::trace) gives an immutable `Trace`, which drawing
//! and export work from and never write to. This module knows nothing of how it was
//! recorded: a trace can also be built from lanes given directly
//! ([`Trace::from_lanes`]), for data that was not recorded live.

use std::borrow::Cow;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};

/// A lane's or a span's name: a `&'static str` costs nothing, a `String` is kept as is.
///
/// # Examples
///
/// ```
/// let fixed: lab::trace::Label = "read".into();
/// let made: lab::trace::Label = format!("frame {}", 3).into();
/// assert_eq!(made, "frame 3");
/// assert_eq!(fixed, "read");
/// ```
pub type Label = Cow<'static, str>;

/// What a thread or task was doing during a span: the colour on a timeline.
///
/// # Examples
///
/// ```
/// use lab::trace::Kind;
///
/// assert_eq!(Kind::LockWait.name(), "lock wait");
/// assert_eq!(Kind::ALL.len(), 7);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Using a CPU: arithmetic, encoding, hashing.
    Compute,
    /// Waiting for something else to finish: a join, a condition, a result.
    Wait,
    /// Sleeping or waiting on I/O: a timer, a socket, a simulated network call.
    Io,
    /// Waiting to acquire a lock that another thread holds.
    LockWait,
    /// Holding a lock: the critical section.
    LockHeld,
    /// Sending on a channel (including time blocked because it is full).
    Send,
    /// Receiving from a channel (including time blocked because it is empty).
    Recv,
}

impl Kind {
    /// Every kind, in legend order.
    ///
    /// # Examples
    ///
    /// ```
    /// let names: Vec<&str> = lab::trace::Kind::ALL.iter().map(|k| k.name()).collect();
    /// assert_eq!(names[0], "compute");
    /// ```
    pub const ALL: [Kind; 7] = [
        Kind::Compute,
        Kind::Wait,
        Kind::Io,
        Kind::LockWait,
        Kind::LockHeld,
        Kind::Send,
        Kind::Recv,
    ];

    /// The kind's name as the legend prints it.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::trace::Kind::Io.name(), "sleep / I/O");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Kind::Compute => "compute",
            Kind::Wait => "wait",
            Kind::Io => "sleep / I/O",
            Kind::LockWait => "lock wait",
            Kind::LockHeld => "lock held",
            Kind::Send => "send",
            Kind::Recv => "receive",
        }
    }
}

/// One stretch of time on one lane, as read back in a [`Trace`].
///
/// Times are measured from the trace's zero: the earliest record in it.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// rec.lane("a").span(lab::trace::Kind::Compute, "add", || 1 + 1);
/// let trace = rec.trace().unwrap();
/// let span = &trace.lanes()[0].spans[0];
/// assert_eq!(span.label, "add");
/// assert!(!span.cancelled);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// When it began.
    pub start: Duration,
    /// When it ended (never before `start`).
    pub end: Duration,
    /// What kind of activity it was.
    pub kind: Kind,
    /// Its label, e.g. `"frame 3"`.
    pub label: Label,
    /// True when the work was cut short: a future dropped before it finished.
    pub cancelled: bool,
}

impl Span {
    /// How long it lasted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use lab::trace::{Kind, Span};
    ///
    /// let s = Span {
    ///     start: Duration::from_millis(2),
    ///     end: Duration::from_millis(5),
    ///     kind: Kind::Compute,
    ///     label: "x".into(),
    ///     cancelled: false,
    /// };
    /// assert_eq!(s.duration(), Duration::from_millis(3));
    /// ```
    pub fn duration(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}

/// A moment on one lane: "read balance = 1000", "request 7 accepted".
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// rec.lane("a").mark("hello");
/// let trace = rec.trace().unwrap();
/// let mark = &trace.lanes()[0].marks[0];
/// assert_eq!(mark.label, "hello");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// When it happened, from the trace's zero.
    pub at: Duration,
    /// What happened.
    pub label: Label,
}

/// One lane of a [`Trace`]: its name, its spans and its marks, sorted by time.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// rec.lane("a").mark("m");
/// let trace = rec.trace().unwrap();
/// let lane: &lab::trace::LaneTrace = &trace.lanes()[0];
/// assert_eq!(lane.name, "a");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LaneTrace {
    /// The lane's name.
    pub name: Label,
    /// Its spans, sorted by start.
    pub spans: Vec<Span>,
    /// Its marks, sorted by time.
    pub marks: Vec<Mark>,
}

/// An immutable snapshot of a recording: lanes of spans and marks, with times measured
/// from the earliest record. Drawing and export work from this.
///
/// # Examples
///
/// ```
/// use lab::{record::Recorder, trace::Kind};
///
/// let rec = Recorder::new();
/// let mut a = rec.lane("A");
/// a.span(Kind::Compute, "x", || ());
/// drop(a);
/// let trace = rec.trace().unwrap();
/// assert_eq!(trace.lanes()[0].name, "A");
/// assert!(trace.wall() >= trace.lanes()[0].spans[0].duration());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    // Filled in by the recorder (record.rs), which builds traces from lanes' buffers.
    pub(crate) lanes: Vec<LaneTrace>,
    pub(crate) messages: Vec<Message>,
    pub(crate) notes: Vec<String>,
}

/// Items' latencies, from the shortest to the longest: what
/// [`Trace::latencies`] measured in one run, or several runs' pooled. Never empty.
///
/// # Examples
///
/// ```
/// use lab::trace::Latencies;
/// use std::time::Duration;
///
/// let ms = |n| Duration::from_millis(n);
/// let one = Latencies::from_durations(vec![ms(3), ms(1), ms(2)]).unwrap();
/// let two = Latencies::from_durations(vec![ms(10)]).unwrap();
/// let all = Latencies::pooled([one, two]).unwrap();
/// assert_eq!(all.as_slice(), [ms(1), ms(2), ms(3), ms(10)]);
/// assert_eq!(all.percentile(1.0), ms(10)); // the slowest item
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Latencies {
    sorted: Vec<Duration>,
}

impl Latencies {
    fn sorted(mut all: Vec<Duration>) -> Latencies {
        all.sort_unstable();
        Latencies { sorted: all }
    }

    /// Latencies measured elsewhere. Fails if there are none.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(lab::trace::Latencies::from_durations(vec![]).is_err());
    /// ```
    pub fn from_durations(all: Vec<Duration>) -> Result<Latencies> {
        if all.is_empty() {
            return Err(Error::of(
                ErrorKind::Empty,
                "no latencies: give at least one",
            ));
        }
        Ok(Latencies::sorted(all))
    }

    /// Several runs' latencies as one distribution (every item of every run). Fails if
    /// given none.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::trace::Latencies;
    /// use std::time::Duration;
    /// let run = Latencies::from_durations(vec![Duration::from_millis(1)]).unwrap();
    /// assert_eq!(Latencies::pooled([run.clone(), run]).unwrap().len(), 2);
    /// assert!(Latencies::pooled([]).is_err());
    /// ```
    pub fn pooled(runs: impl IntoIterator<Item = Latencies>) -> Result<Latencies> {
        Latencies::from_durations(runs.into_iter().flat_map(|l| l.sorted).collect())
    }

    /// The latency that a share `p` of the items did not exceed, nearest rank: 0.5 the
    /// median, 0.9 the 90th percentile, 1.0 the slowest item. `p` is clamped to 0..=1
    /// (NaN counts as 0.5).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let ms = |n| Duration::from_millis(n);
    /// let l = lab::trace::Latencies::from_durations((1..=10).map(ms).collect()).unwrap();
    /// assert_eq!(l.percentile(0.0), ms(1));
    /// assert_eq!(l.percentile(0.9), ms(9));
    /// assert_eq!(l.percentile(7.0), ms(10)); // clamped
    /// ```
    pub fn percentile(&self, p: f64) -> Duration {
        let p = if p.is_nan() { 0.5 } else { p.clamp(0.0, 1.0) };
        self.sorted[((self.sorted.len() - 1) as f64 * p).round() as usize]
    }

    /// The median item's latency (`percentile(0.5)`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let l = lab::trace::Latencies::from_durations(vec![Duration::from_millis(4); 3]).unwrap();
    /// assert_eq!(l.median(), Duration::from_millis(4));
    /// ```
    pub fn median(&self) -> Duration {
        self.percentile(0.5)
    }

    /// How many items (never 0).
    ///
    /// # Examples
    ///
    /// ```
    /// let l = lab::trace::Latencies::from_durations(vec![std::time::Duration::ZERO; 2]).unwrap();
    /// assert_eq!(l.len(), 2);
    /// ```
    #[allow(clippy::len_without_is_empty)] // never empty
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Every latency, from the shortest.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let l = lab::trace::Latencies::from_durations(vec![Duration::from_millis(2), Duration::ZERO]).unwrap();
    /// assert_eq!(l.as_slice()[0], Duration::ZERO);
    /// ```
    pub fn as_slice(&self) -> &[Duration] {
        &self.sorted
    }
}

impl Trace {
    /// Builds a trace from lanes given directly: for tests, and for drawing data that
    /// was not recorded live (an explored schedule, say). Times are used as given.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::trace::{Kind, LaneTrace, Span, Trace};
    /// use std::time::Duration;
    ///
    /// let ms = Duration::from_millis;
    /// let lane = LaneTrace {
    ///     name: "A".into(),
    ///     spans: vec![Span { start: ms(0), end: ms(2), kind: Kind::Compute,
    ///                        label: "add".into(), cancelled: false }],
    ///     marks: vec![],
    /// };
    /// let trace = Trace::from_lanes(vec![lane]).unwrap();
    /// assert_eq!(trace.wall(), ms(2));
    /// ```
    pub fn from_lanes(lanes: Vec<LaneTrace>) -> Result<Trace> {
        let mut lanes = lanes;
        lanes.retain(|l| !l.spans.is_empty() || !l.marks.is_empty());
        if lanes.is_empty() {
            return Err(Error::of(
                ErrorKind::Empty,
                "nothing to draw: every lane given to Trace::from_lanes is empty",
            ));
        }
        for lane in &mut lanes {
            for s in &mut lane.spans {
                if s.end < s.start {
                    std::mem::swap(&mut s.start, &mut s.end);
                }
            }
            lane.spans.sort_by_key(|s| (s.start, s.end));
            lane.marks.sort_by_key(|m| m.at);
        }
        Ok(Trace {
            lanes,
            messages: Vec::new(),
            notes: Vec::new(),
        })
    }

    /// The lanes, in the order they were created.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// rec.lane("a").mark("m");
    /// rec.lane("b").mark("m");
    /// assert_eq!(rec.trace().unwrap().lanes().len(), 2);
    /// ```
    pub fn lanes(&self) -> &[LaneTrace] {
        &self.lanes
    }

    /// Things a reader of this trace should know: lanes left open, records not kept.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// rec.lane("closed").mark("m");
    /// let _open = rec.lane("open");
    /// assert!(rec.trace().unwrap().notes()[0].contains("still open"));
    /// ```
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// How long each item took, start to finish: for every span label that begins with
    /// `prefix` (`"doc "` groups `"doc 0"`, `"doc 1"`, ...), the time from the earliest
    /// start of a span with that label to the latest end of one, on whatever lanes they
    /// are. For a document fetched on one lane and counted on another, that is its
    /// latency from fetch to count.
    ///
    /// # Errors
    ///
    /// No span label begins with `prefix` ([`ErrorKind::NotFound`], naming a few labels
    /// the trace has).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{record::Recorder, trace::Kind};
    /// use std::time::Duration;
    ///
    /// let rec = Recorder::new();
    /// let (mut fetcher, mut counter) = (rec.lane("fetch"), rec.lane("count"));
    /// for i in 0..3 {
    ///     fetcher.span(Kind::Io, format!("doc {i}"), || std::thread::sleep(Duration::from_millis(1)));
    ///     counter.span(Kind::Compute, format!("doc {i}"), || lab::scenarios::spin(1_000));
    /// }
    /// drop((fetcher, counter)); // lanes are kept when dropped
    /// let latencies = rec.trace().unwrap().latencies("doc ").unwrap();
    /// assert_eq!(latencies.len(), 3);
    /// assert!(latencies.median() >= Duration::from_millis(1)); // each includes its fetch
    /// assert!(rec.trace().unwrap().latencies("page ").is_err());
    /// ```
    pub fn latencies(&self, prefix: &str) -> Result<Latencies> {
        let mut items: Vec<(&str, Duration, Duration)> = Vec::new();
        for span in self.lanes.iter().flat_map(|l| &l.spans) {
            if !span.label.starts_with(prefix) {
                continue;
            }
            match items.iter_mut().find(|(label, _, _)| *label == span.label) {
                Some((_, start, end)) => {
                    *start = (*start).min(span.start);
                    *end = (*end).max(span.end);
                }
                None => items.push((&span.label, span.start, span.end)),
            }
        }
        if items.is_empty() {
            let mut some: Vec<&str> = self
                .lanes
                .iter()
                .flat_map(|l| &l.spans)
                .map(|s| &*s.label)
                .collect();
            some.sort_unstable();
            some.dedup();
            some.truncate(4);
            return Err(Error::of(
                ErrorKind::NotFound,
                format!(
                    "no span label begins with {prefix:?}; this trace has labels such as {some:?}"
                ),
            ));
        }
        Ok(Latencies::sorted(
            items
                .into_iter()
                .map(|(_, start, end)| end - start)
                .collect(),
        ))
    }

    /// How many spans, over all lanes.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// rec.lane("a").span(lab::trace::Kind::Io, "x", || ());
    /// assert_eq!(rec.trace().unwrap().span_count(), 1);
    /// ```
    pub fn span_count(&self) -> usize {
        self.lanes.iter().map(|l| l.spans.len()).sum()
    }

    /// How many marks, over all lanes.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// rec.lane("a").mark("x");
    /// assert_eq!(rec.trace().unwrap().mark_count(), 1);
    /// ```
    pub fn mark_count(&self) -> usize {
        self.lanes.iter().map(|l| l.marks.len()).sum()
    }

    /// Every message sent through [`Lane::send`](crate::record::Lane::send), in the order they were sent, each paired
    /// with its receive ([`Lane::got`](crate::record::Lane::got)) when there was one. `from` and `to` index
    /// [`lanes`](Trace::lanes).
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let (mut a, mut b) = (rec.lane("A"), rec.lane("B"));
    /// a.send("hello", 42, |m| tx.send(m)).unwrap();
    /// assert_eq!(b.got(rx.recv().unwrap()), 42);
    /// drop((a, b));
    /// let trace = rec.trace().unwrap();
    /// let m = &trace.messages()[0];
    /// assert_eq!((m.from, m.to, &*m.label), (0, Some(1), "hello"));
    /// ```
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// From the trace's zero (its earliest record) to its latest record: the wall time
    /// the recorded work took.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// rec.lane("a").mark("only");
    /// assert_eq!(rec.trace().unwrap().wall(), std::time::Duration::ZERO);
    /// ```
    pub fn wall(&self) -> Duration {
        self.lanes
            .iter()
            .flat_map(|l| {
                let s = l.spans.iter().map(|s| s.end);
                let m = l.marks.iter().map(|m| m.at);
                s.chain(m)
            })
            .chain(self.messages.iter().map(Message::last))
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// Total time spent in spans of `kind`, summed over all lanes (so it can exceed
    /// [`wall`](Trace::wall) when lanes overlap: that is parallelism).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{record::Recorder, trace::Kind};
    /// let rec = Recorder::new();
    /// let mut lane = rec.lane("a");
    /// lane.span(Kind::Compute, "x", || ());
    /// drop(lane);
    /// let trace = rec.trace().unwrap();
    /// assert!(trace.total(Kind::Compute) <= trace.wall());
    /// assert_eq!(trace.total(Kind::Io), std::time::Duration::ZERO);
    /// ```
    pub fn total(&self, kind: Kind) -> Duration {
        self.lanes
            .iter()
            .flat_map(|l| l.spans.iter())
            .filter(|s| s.kind == kind)
            .map(Span::duration)
            .sum()
    }

    /// The most spans of `kind` in progress at the same moment, over the whole trace:
    /// 1 means they never overlapped (interleaving at best), more means simultaneity.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::trace::{Kind, LaneTrace, Span, Trace};
    /// use std::time::Duration;
    ///
    /// let ms = Duration::from_millis;
    /// let span = |a, b| Span { start: ms(a), end: ms(b), kind: Kind::Compute,
    ///                          label: "".into(), cancelled: false };
    /// let lane = |n: &str, s| LaneTrace { name: n.to_string().into(), spans: vec![s], marks: vec![] };
    /// let t = Trace::from_lanes(vec![lane("a", span(0, 10)), lane("b", span(5, 15))]).unwrap();
    /// assert_eq!(t.max_overlap(Kind::Compute), 2);
    /// ```
    pub fn max_overlap(&self, kind: Kind) -> usize {
        let mut edges: Vec<(Duration, i32)> = self
            .lanes
            .iter()
            .flat_map(|l| l.spans.iter())
            .filter(|s| s.kind == kind && s.end > s.start)
            .flat_map(|s| [(s.start, 1), (s.end, -1)])
            .collect();
        // Ends before starts at the same instant: touching spans do not overlap.
        edges.sort();
        let (mut now, mut best) = (0i32, 0i32);
        for (_, d) in edges {
            now += d;
            best = best.max(now);
        }
        best as usize
    }
}

/// One message of a [`Trace`]: who sent it, who received it, and when.
/// Times are since the trace's first record, like spans.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// let (tx, rx) = crossbeam::channel::unbounded();
/// let (mut a, mut b) = (rec.lane("A"), rec.lane("B"));
/// a.send("x", 1, |m| tx.send(m)).unwrap();
/// b.got(rx.recv().unwrap());
/// a.send("never read", 2, |m| tx.send(m)).unwrap();
/// drop((a, b));
/// let trace = rec.trace().unwrap();
/// let [read, unread] = trace.messages() else { panic!() };
/// assert!(read.in_flight().is_some());
/// assert_eq!(unread.to, None); // sent, never received
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// The sending lane (an index into [`Trace::lanes`](crate::trace::Trace::lanes)).
    pub from: usize,
    /// The receiving lane, or `None` if no lane received it (yet).
    pub to: Option<usize>,
    /// What [`Lane::send`](crate::record::Lane::send) was told to call it.
    pub label: Label,
    /// When the sender asked the channel to take it.
    pub sent: Duration,
    /// When the channel took it and the send returned.
    pub accepted: Duration,
    /// When the receiver got it, if it did.
    pub received: Option<Duration>,
}

impl Message {
    /// How long the sender waited for the channel to take the message (0 for an
    /// unbounded channel with room; the wait for a receiver with a rendezvous).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let m = lab::trace::Message { from: 0, to: Some(1), label: "x".into(),
    ///     sent: Duration::from_millis(1), accepted: Duration::from_millis(4), received: None };
    /// assert_eq!(m.blocked(), Duration::from_millis(3));
    /// ```
    pub fn blocked(&self) -> Duration {
        self.accepted.saturating_sub(self.sent)
    }

    /// How long it sat in the channel, from being taken (`accepted`) until received:
    /// `None` if it was never received.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let ms = Duration::from_millis;
    /// let m = lab::trace::Message { from: 0, to: Some(1), label: "x".into(),
    ///     sent: ms(1), accepted: ms(1), received: Some(ms(6)) };
    /// assert_eq!(m.in_flight(), Some(ms(5)));
    /// ```
    pub fn in_flight(&self) -> Option<Duration> {
        self.received.map(|r| r.saturating_sub(self.accepted))
    }

    /// When the value changed hands: when the send returned, or, if the receiver already
    /// had it by then (the sending thread was descheduled before its send call returned,
    /// common on a busy machine with a rendezvous), when it was received. Drawings start
    /// the arrow here, so an arrow never points back in time.
    pub(crate) fn handed_over(&self) -> Duration {
        self.received
            .map_or(self.accepted, |r| r.min(self.accepted))
    }

    pub(crate) fn last(&self) -> Duration {
        self.received.unwrap_or(self.accepted).max(self.accepted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(kind: Kind, label: &'static str, start: u64, end: u64) -> Span {
        let ms = Duration::from_millis;
        Span {
            start: ms(start),
            end: ms(end),
            kind,
            label: label.into(),
            cancelled: false,
        }
    }

    #[test]
    fn latencies_join_an_items_spans_across_lanes() {
        let fetch = LaneTrace {
            name: "fetch".into(),
            spans: vec![
                span(Kind::Io, "doc 0", 0, 5),
                span(Kind::Io, "doc 1", 5, 10),
                span(Kind::Io, "other", 0, 50),
            ],
            marks: vec![],
        };
        let count = LaneTrace {
            name: "count".into(),
            spans: vec![
                span(Kind::Compute, "doc 0", 6, 8),
                span(Kind::Compute, "doc 1", 11, 30),
            ],
            marks: vec![],
        };
        let trace = Trace::from_lanes(vec![fetch, count]).unwrap();
        let l = trace.latencies("doc ").unwrap();
        let ms = Duration::from_millis;
        assert_eq!(l.as_slice(), [ms(8), ms(25)]); // doc 0: 0 → 8; doc 1: 5 → 30
        assert_eq!(l.percentile(0.0), ms(8));
        assert_eq!(l.percentile(f64::NAN), l.median());
        let err = trace.latencies("page ").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("\"doc 0\""), "{err}");
    }
}
