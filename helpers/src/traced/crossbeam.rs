//! `crossbeam::channel`, recorded: `use lab::traced::crossbeam::{bounded, Sender};` in
//! place of `use crossbeam::channel::{bounded, Sender};`.
//!
//! The errors are crossbeam's own (re-exported here), and so are `after`, `tick`,
//! `never` and `select!`. In a `select!`, `recv(rx) -> msg` hands over the stamped
//! envelope: unwrap it with [`Receiver::got`], which records its arrival.
//!
//! ```
//! use lab::record::Recorder;
//! use lab::traced::crossbeam::{after, bounded, select};
//! use std::time::Duration;
//!
//! let rec = Recorder::new();
//! let (tx, rx) = bounded::<u32>(1);
//! lab::traced::with_lane(rec.lane("main"), || {
//!     tx.send(7).unwrap();
//!     select! {
//!         recv(rx) -> msg => assert_eq!(rx.got(msg), Ok(7)),
//!         recv(after(Duration::from_secs(1))) -> _ => panic!("timed out"),
//!     }
//! });
//! assert!(rec.trace().unwrap().messages()[0].received.is_some());
//! ```

use std::fmt;
use std::ops::Deref;
use std::time::{Duration, Instant};

pub use ::crossbeam::channel::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError, after,
    at, never, select, tick,
};

use super::{Labeller, arrived, debug_labeller, labeller, send_with};
use crate::message::Msg;
use crate::trace::Label;

/// `crossbeam::channel::bounded`, recorded: a channel that holds at most `cap` messages
/// (`0`: a rendezvous, the sender waits for the receiver). Messages are labelled with
/// their `Debug`.
///
/// # Examples
///
/// A rendezvous: the sender is blocked until the receiver takes the message.
///
/// ```
/// use lab::{record::Recorder, traced::{self, crossbeam::bounded}};
/// use std::time::Duration;
///
/// let rec = Recorder::new();
/// let (tx, rx) = bounded(0);
/// std::thread::scope(|s| {
///     traced::spawn_scoped(s, rec.lane("sender"), move || tx.send(1u8).unwrap());
///     traced::with_lane(rec.lane("receiver"), || {
///         std::thread::sleep(Duration::from_millis(20));
///         rx.recv().unwrap()
///     });
/// });
/// let trace = rec.trace().unwrap();
/// let m = &trace.messages()[0];
/// assert!(m.accepted - m.sent >= Duration::from_millis(10)); // the sender waited
/// ```
pub fn bounded<T: fmt::Debug>(cap: usize) -> (Sender<T>, Receiver<T>) {
    wrap(::crossbeam::channel::bounded(cap), debug_labeller())
}

/// `crossbeam::channel::unbounded`, recorded: a channel whose sends never block.
///
/// # Examples
///
/// ```
/// let (tx, rx) = lab::traced::crossbeam::unbounded();
/// for i in 0..3 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// assert_eq!(rx.iter().collect::<Vec<_>>(), [0, 1, 2]);
/// ```
pub fn unbounded<T: fmt::Debug>() -> (Sender<T>, Receiver<T>) {
    wrap(::crossbeam::channel::unbounded(), debug_labeller())
}

/// [`bounded`], with messages labelled by `label` (for values without `Debug`, or to
/// say what they mean).
///
/// # Examples
///
/// ```
/// use lab::traced::crossbeam::bounded_labelled;
///
/// type Job = Box<dyn FnOnce() -> u32 + Send>;
/// let rec = lab::record::Recorder::new();
/// let (tx, rx) = bounded_labelled(1, |_: &Job| "job");
/// lab::traced::with_lane(rec.lane("A"), || {
///     tx.send(Box::new(|| 6 * 7)).unwrap();
///     assert_eq!(rx.recv().unwrap()(), 42);
/// });
/// assert_eq!(rec.trace().unwrap().messages()[0].label, "job");
/// ```
pub fn bounded_labelled<T, L: Into<Label>>(
    cap: usize,
    label: impl Fn(&T) -> L + Send + Sync + 'static,
) -> (Sender<T>, Receiver<T>) {
    wrap(::crossbeam::channel::bounded(cap), labeller(label))
}

/// [`unbounded`], with messages labelled by `label`.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// let (tx, rx) = lab::traced::crossbeam::unbounded_labelled(|n: &u32| format!("job {n}"));
/// lab::traced::with_lane(rec.lane("A"), || tx.send(3).unwrap());
/// assert_eq!(rx.recv(), Ok(3));
/// assert_eq!(rec.trace().unwrap().messages()[0].label, "job 3");
/// ```
pub fn unbounded_labelled<T, L: Into<Label>>(
    label: impl Fn(&T) -> L + Send + Sync + 'static,
) -> (Sender<T>, Receiver<T>) {
    wrap(::crossbeam::channel::unbounded(), labeller(label))
}

fn wrap<T>(
    (tx, rx): (
        ::crossbeam::channel::Sender<Msg<T>>,
        ::crossbeam::channel::Receiver<Msg<T>>,
    ),
    label: Labeller<T>,
) -> (Sender<T>, Receiver<T>) {
    (Sender { inner: tx, label }, Receiver { inner: rx })
}

/// The sending side: `crossbeam::channel::Sender`'s methods, recorded on the current
/// lane. Clone it for more senders.
///
/// # Examples
///
/// ```
/// use lab::traced::crossbeam::{Sender, unbounded};
/// fn producer(tx: Sender<u32>) {
///     tx.send(1).unwrap();
/// }
/// let (tx, rx) = unbounded();
/// producer(tx.clone());
/// assert_eq!(rx.recv(), Ok(1));
/// ```
pub struct Sender<T> {
    inner: ::crossbeam::channel::Sender<Msg<T>>,
    label: Labeller<T>,
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            inner: self.inner.clone(),
            label: self.label.clone(),
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sender { .. }")
    }
}

impl<T> Sender<T> {
    /// Sends `msg`, blocking while the channel is full; an error (with the value back)
    /// if every receiver is gone. Recorded: when it was asked for and when the channel
    /// took it.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::traced::crossbeam::{SendError, bounded};
    /// let (tx, rx) = bounded(1);
    /// assert_eq!(tx.send(1), Ok(()));
    /// drop(rx);
    /// assert_eq!(tx.send(2), Err(SendError(2)));
    /// ```
    pub fn send(&self, msg: T) -> Result<(), SendError<T>> {
        self.send_named(None, msg)
    }

    /// [`send`](Sender::send), with this message labelled `label`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let (tx, rx) = lab::traced::crossbeam::unbounded();
    /// lab::traced::with_lane(rec.lane("A"), || tx.send_as("the answer", 42).unwrap());
    /// assert_eq!(rx.recv(), Ok(42));
    /// assert_eq!(rec.trace().unwrap().messages()[0].label, "the answer");
    /// ```
    pub fn send_as(&self, label: impl Into<Label>, msg: T) -> Result<(), SendError<T>> {
        self.send_named(Some(label.into()), msg)
    }

    fn send_named(&self, label: Option<Label>, msg: T) -> Result<(), SendError<T>> {
        send_with(&self.label, label, msg, |m| self.inner.send(m), |_| true)
            .map_err(|SendError(m)| SendError(m.into_parts().0))
    }

    /// Sends without blocking: `Full` (not recorded) or `Disconnected` (recorded as never
    /// received) when it cannot.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::traced::crossbeam::{TrySendError, bounded};
    /// let (tx, _rx) = bounded(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// ```
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        send_with(
            &self.label,
            None,
            msg,
            |m| self.inner.try_send(m),
            |e| e.is_disconnected(),
        )
        .map_err(|e| match e {
            TrySendError::Full(m) => TrySendError::Full(m.into_parts().0),
            TrySendError::Disconnected(m) => TrySendError::Disconnected(m.into_parts().0),
        })
    }

    /// Sends, waiting at most `timeout` for room. A send that times out is not recorded.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::traced::crossbeam::{SendTimeoutError, bounded};
    /// use std::time::Duration;
    /// let (tx, _rx) = bounded(0);
    /// let r = tx.send_timeout(1, Duration::from_millis(1));
    /// assert_eq!(r, Err(SendTimeoutError::Timeout(1)));
    /// ```
    pub fn send_timeout(&self, msg: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_deadline(msg, Instant::now() + timeout)
    }

    /// Sends, waiting until `deadline` at most for room.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (tx, rx) = lab::traced::crossbeam::bounded(1);
    /// assert!(tx.send_deadline(1, Instant::now() + Duration::from_millis(1)).is_ok());
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    pub fn send_deadline(&self, msg: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        send_with(
            &self.label,
            None,
            msg,
            |m| self.inner.send_deadline(m, deadline),
            |e| e.is_disconnected(),
        )
        .map_err(|e| match e {
            SendTimeoutError::Timeout(m) => SendTimeoutError::Timeout(m.into_parts().0),
            SendTimeoutError::Disconnected(m) => SendTimeoutError::Disconnected(m.into_parts().0),
        })
    }

    /// Whether the channel is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = lab::traced::crossbeam::bounded::<u8>(1);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Whether the channel is full (a rendezvous channel always is).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = lab::traced::crossbeam::bounded(1);
    /// tx.send(1).unwrap();
    /// assert!(tx.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.inner.is_full()
    }

    /// How many messages are in the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = lab::traced::crossbeam::unbounded();
    /// tx.send(1).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// The channel's capacity (`None` if unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = lab::traced::crossbeam::bounded::<u8>(4);
    /// assert_eq!(tx.capacity(), Some(4));
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.inner.capacity()
    }

    /// Whether two senders belong to the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = lab::traced::crossbeam::unbounded::<u8>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        self.inner.same_channel(&other.inner)
    }
}

/// The receiving side: `crossbeam::channel::Receiver`'s methods, recorded on the current
/// lane. Clone it for more receivers; `for v in &rx` receives until every sender is
/// gone.
///
/// It dereferences to the crossbeam receiver inside (of stamped envelopes), so that
/// `select!` accepts it; unwrap what a `select!` arm got with [`got`](Receiver::got).
///
/// # Examples
///
/// ```
/// let (tx, rx) = lab::traced::crossbeam::unbounded();
/// std::thread::scope(|s| {
///     s.spawn(move || (0..4).for_each(|i| tx.send(i).unwrap()));
///     let mut total = 0;
///     for v in &rx {
///         total += v;
///     }
///     assert_eq!(total, 6);
/// });
/// ```
pub struct Receiver<T> {
    inner: ::crossbeam::channel::Receiver<Msg<T>>,
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        Receiver {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}

impl<T> Deref for Receiver<T> {
    type Target = ::crossbeam::channel::Receiver<Msg<T>>;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl<T> Receiver<T> {
    /// Waits for a message; an error once the channel is empty and every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::traced::crossbeam::{RecvError, unbounded};
    /// let (tx, rx) = unbounded();
    /// tx.send("hi").unwrap();
    /// drop(tx);
    /// assert_eq!(rx.recv(), Ok("hi"));
    /// assert_eq!(rx.recv(), Err(RecvError));
    /// ```
    pub fn recv(&self) -> Result<T, RecvError> {
        self.inner.recv().map(arrived)
    }

    /// Takes a message if one is waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::traced::crossbeam::{TryRecvError, unbounded};
    /// let (_tx, rx) = unbounded::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.inner.try_recv().map(arrived)
    }

    /// Waits at most `timeout` for a message.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::traced::crossbeam::{RecvTimeoutError, unbounded};
    /// use std::time::Duration;
    /// let (_tx, rx) = unbounded::<u8>();
    /// let r = rx.recv_timeout(Duration::from_millis(1));
    /// assert_eq!(r, Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.inner.recv_timeout(timeout).map(arrived)
    }

    /// Waits until `deadline` at most for a message.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (tx, rx) = lab::traced::crossbeam::unbounded();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.recv_deadline(Instant::now() + Duration::from_millis(1)), Ok(1));
    /// ```
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.inner.recv_deadline(deadline).map(arrived)
    }

    /// Unwraps what a `select!` arm received, recording its arrival: `recv(rx) -> msg =>
    /// { let v = rx.got(msg)?; ... }`. Works on any `Result` of an envelope.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::traced::crossbeam::{select, unbounded};
    /// let (tx, rx) = unbounded();
    /// tx.send(5).unwrap();
    /// let v = select! {
    ///     recv(rx) -> msg => rx.got(msg).unwrap(),
    /// };
    /// assert_eq!(v, 5);
    /// ```
    pub fn got<E>(&self, msg: Result<Msg<T>, E>) -> Result<T, E> {
        msg.map(arrived)
    }

    /// The crossbeam receiver inside (of stamped envelopes), for APIs that want one
    /// (`crossbeam::channel::Select`); unwrap what it gives with [`got`](Receiver::got).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = lab::traced::crossbeam::unbounded();
    /// tx.send(1).unwrap();
    /// let mut sel = crossbeam::channel::Select::new();
    /// let i = sel.recv(rx.inner());
    /// let op = sel.select();
    /// assert_eq!(op.index(), i);
    /// assert_eq!(rx.got(op.recv(rx.inner())), Ok(1));
    /// ```
    pub fn inner(&self) -> &::crossbeam::channel::Receiver<Msg<T>> {
        &self.inner
    }

    /// Receives until every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = lab::traced::crossbeam::unbounded();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.iter().sum::<i32>(), 3);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// Takes the messages waiting now, without blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = lab::traced::crossbeam::unbounded();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_iter().count(), 1);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { rx: self }
    }

    /// Whether the channel is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = lab::traced::crossbeam::unbounded::<u8>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// How many messages are in the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = lab::traced::crossbeam::unbounded();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// The channel's capacity (`None` if unbounded).
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = lab::traced::crossbeam::bounded::<u8>(0);
    /// assert_eq!(rx.capacity(), Some(0));
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.inner.capacity()
    }
}

/// Receives until every sender is gone: from [`Receiver::iter`] or `for v in &rx`.
///
/// # Examples
///
/// ```
/// let (tx, rx) = lab::traced::crossbeam::unbounded();
/// tx.send(1).unwrap();
/// drop(tx);
/// let it: lab::traced::crossbeam::Iter<'_, i32> = rx.iter();
/// assert_eq!(it.count(), 1);
/// ```
#[derive(Debug)]
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

/// The messages waiting now: from [`Receiver::try_iter`].
///
/// # Examples
///
/// ```
/// let (_tx, rx) = lab::traced::crossbeam::unbounded::<u8>();
/// let it: lab::traced::crossbeam::TryIter<'_, u8> = rx.try_iter();
/// assert_eq!(it.count(), 0);
/// ```
#[derive(Debug)]
pub struct TryIter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

/// Receives until every sender is gone, owning the receiver: `for v in rx`.
///
/// # Examples
///
/// ```
/// let (tx, rx) = lab::traced::crossbeam::unbounded();
/// tx.send(2).unwrap();
/// drop(tx);
/// let it: lab::traced::crossbeam::IntoIter<i32> = rx.into_iter();
/// assert_eq!(it.sum::<i32>(), 2);
/// ```
#[derive(Debug)]
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}
