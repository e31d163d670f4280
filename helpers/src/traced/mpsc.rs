//! `std::sync::mpsc`, recorded: `use lab::traced::mpsc::{channel, Receiver};` in place
//! of `use std::sync::mpsc::{channel, Receiver};`. The errors are std's own
//! (re-exported here).
//!
//! ```
//! use lab::traced::mpsc::sync_channel;
//!
//! let rec = lab::record::Recorder::new();
//! let (tx, rx) = sync_channel(0);
//! std::thread::scope(|s| {
//!     lab::traced::spawn_scoped(s, rec.lane("ping"), move || tx.send("ping").unwrap());
//!     lab::traced::with_lane(rec.lane("pong"), || assert_eq!(rx.recv(), Ok("ping")));
//! });
//! assert_eq!(rec.trace().unwrap().messages()[0].to, Some(1));
//! ```

use std::fmt;
use std::time::Duration;

pub use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};

use super::{Labeller, arrived, debug_labeller, labeller, send_with};
use crate::message::Msg;
use crate::trace::Label;

type StdSender<T> = std::sync::mpsc::Sender<Msg<T>>;
type StdSyncSender<T> = std::sync::mpsc::SyncSender<Msg<T>>;

/// `std::sync::mpsc::channel`, recorded: an unbounded channel. Messages are labelled
/// with their `Debug`.
///
/// # Examples
///
/// ```
/// let (tx, rx) = lab::traced::mpsc::channel();
/// tx.send(1).unwrap();
/// assert_eq!(rx.recv(), Ok(1));
/// ```
pub fn channel<T: fmt::Debug>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let label = debug_labeller();
    (Sender { inner: tx, label }, Receiver { inner: rx })
}

/// `std::sync::mpsc::sync_channel`, recorded: a channel that holds at most `bound`
/// messages (`0`: a rendezvous).
///
/// # Examples
///
/// ```
/// use lab::traced::mpsc::{TrySendError, sync_channel};
/// let (tx, rx) = sync_channel(1);
/// tx.send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
/// assert_eq!(rx.recv(), Ok(1));
/// ```
pub fn sync_channel<T: fmt::Debug>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    let (tx, rx) = std::sync::mpsc::sync_channel(bound);
    let label = debug_labeller();
    (SyncSender { inner: tx, label }, Receiver { inner: rx })
}

/// [`channel`], with messages labelled by `label`.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// let (tx, rx) = lab::traced::mpsc::channel_labelled(|n: &u8| format!("order {n}"));
/// lab::traced::with_lane(rec.lane("A"), || tx.send(7).unwrap());
/// assert_eq!(rx.recv(), Ok(7));
/// assert_eq!(rec.trace().unwrap().messages()[0].label, "order 7");
/// ```
pub fn channel_labelled<T, L: Into<Label>>(
    label: impl Fn(&T) -> L + Send + Sync + 'static,
) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let label = labeller(label);
    (Sender { inner: tx, label }, Receiver { inner: rx })
}

/// [`sync_channel`], with messages labelled by `label`.
///
/// # Examples
///
/// ```
/// let (tx, rx) = lab::traced::mpsc::sync_channel_labelled(1, |_: &Vec<u8>| "bytes");
/// tx.send(vec![1, 2]).unwrap();
/// assert_eq!(rx.recv(), Ok(vec![1, 2]));
/// ```
pub fn sync_channel_labelled<T, L: Into<Label>>(
    bound: usize,
    label: impl Fn(&T) -> L + Send + Sync + 'static,
) -> (SyncSender<T>, Receiver<T>) {
    let (tx, rx) = std::sync::mpsc::sync_channel(bound);
    let label = labeller(label);
    (SyncSender { inner: tx, label }, Receiver { inner: rx })
}

fn unwrap_send<T>(e: SendError<Msg<T>>) -> SendError<T> {
    SendError(e.0.into_parts().0)
}

/// The sending side of [`channel`]: `std::sync::mpsc::Sender`'s methods, recorded on
/// the current lane.
///
/// # Examples
///
/// ```
/// use lab::traced::mpsc::{SendError, channel};
/// let (tx, rx) = channel();
/// drop(rx);
/// assert_eq!(tx.send(1), Err(SendError(1)));
/// ```
pub struct Sender<T> {
    inner: StdSender<T>,
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
    /// Sends `t` (never blocks); an error, with the value back, if the receiver is gone
    /// (recorded as a message never received).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = lab::traced::mpsc::channel();
    /// tx.send("a").unwrap();
    /// assert_eq!(rx.recv(), Ok("a"));
    /// ```
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        send_with(&self.label, None, t, |m| self.inner.send(m), |_| true).map_err(unwrap_send)
    }

    /// [`send`](Sender::send), with this message labelled `label`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = lab::traced::mpsc::channel();
    /// tx.send_as("first", 1).unwrap();
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    pub fn send_as(&self, label: impl Into<Label>, t: T) -> Result<(), SendError<T>> {
        let label = Some(label.into());
        send_with(&self.label, label, t, |m| self.inner.send(m), |_| true).map_err(unwrap_send)
    }
}

/// The sending side of [`sync_channel`]: `std::sync::mpsc::SyncSender`'s methods,
/// recorded on the current lane.
///
/// # Examples
///
/// ```
/// let (tx, rx) = lab::traced::mpsc::sync_channel(1);
/// let tx2: lab::traced::mpsc::SyncSender<u8> = tx.clone();
/// tx2.send(1).unwrap();
/// assert_eq!(rx.recv(), Ok(1));
/// ```
pub struct SyncSender<T> {
    inner: StdSyncSender<T>,
    label: Labeller<T>,
}

impl<T> Clone for SyncSender<T> {
    fn clone(&self) -> Self {
        SyncSender {
            inner: self.inner.clone(),
            label: self.label.clone(),
        }
    }
}

impl<T> fmt::Debug for SyncSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("SyncSender { .. }")
    }
}

impl<T> SyncSender<T> {
    /// Sends `t`, blocking while the channel is full (with bound 0, until the receiver
    /// takes it); an error, with the value back, if the receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = lab::traced::mpsc::sync_channel(1);
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        send_with(&self.label, None, t, |m| self.inner.send(m), |_| true).map_err(unwrap_send)
    }

    /// [`send`](SyncSender::send), with this message labelled `label`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = lab::traced::mpsc::sync_channel(1);
    /// tx.send_as("first", 1).unwrap();
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    pub fn send_as(&self, label: impl Into<Label>, t: T) -> Result<(), SendError<T>> {
        let label = Some(label.into());
        send_with(&self.label, label, t, |m| self.inner.send(m), |_| true).map_err(unwrap_send)
    }

    /// Sends without blocking: `Full` (not recorded) or `Disconnected` (recorded as
    /// never received) when it cannot.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::traced::mpsc::{TrySendError, sync_channel};
    /// let (tx, rx) = sync_channel(0);
    /// assert_eq!(tx.try_send(1), Err(TrySendError::Full(1))); // nobody is receiving
    /// drop(rx);
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Disconnected(2)));
    /// ```
    pub fn try_send(&self, t: T) -> Result<(), TrySendError<T>> {
        send_with(
            &self.label,
            None,
            t,
            |m| self.inner.try_send(m),
            |e| matches!(e, TrySendError::Disconnected(_)),
        )
        .map_err(|e| match e {
            TrySendError::Full(m) => TrySendError::Full(m.into_parts().0),
            TrySendError::Disconnected(m) => TrySendError::Disconnected(m.into_parts().0),
        })
    }
}

/// The receiving side: `std::sync::mpsc::Receiver`'s methods, recorded on the current
/// lane; `for v in &rx` receives until every sender is gone.
///
/// # Examples
///
/// ```
/// let (tx, rx) = lab::traced::mpsc::channel();
/// std::thread::spawn(move || (1..=3).for_each(|i| tx.send(i).unwrap()));
/// let mut total = 0;
/// for v in &rx {
///     total += v;
/// }
/// assert_eq!(total, 6);
/// ```
pub struct Receiver<T> {
    inner: std::sync::mpsc::Receiver<Msg<T>>,
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Receiver { .. }")
    }
}

impl<T> Receiver<T> {
    /// Waits for a message; an error once the channel is empty and every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::traced::mpsc::{RecvError, channel};
    /// let (tx, rx) = channel::<u8>();
    /// drop(tx);
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
    /// use lab::traced::mpsc::{TryRecvError, channel};
    /// let (_tx, rx) = channel::<u8>();
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
    /// use lab::traced::mpsc::{RecvTimeoutError, channel};
    /// use std::time::Duration;
    /// let (_tx, rx) = channel::<u8>();
    /// assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.inner.recv_timeout(timeout).map(arrived)
    }

    /// Receives until every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = lab::traced::mpsc::channel();
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// let it: lab::traced::mpsc::Iter<'_, i32> = rx.iter();
    /// assert_eq!(it.collect::<Vec<_>>(), [1]);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// Takes the messages waiting now, without blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = lab::traced::mpsc::channel();
    /// tx.send(1).unwrap();
    /// let it: lab::traced::mpsc::TryIter<'_, i32> = rx.try_iter();
    /// assert_eq!(it.count(), 1);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { rx: self }
    }
}

/// Receives until every sender is gone: from [`Receiver::iter`] or `for v in &rx`.
///
/// # Examples
///
/// ```
/// let (tx, rx) = lab::traced::mpsc::channel();
/// tx.send(1).unwrap();
/// drop(tx);
/// assert_eq!((&rx).into_iter().count(), 1);
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
/// let (_tx, rx) = lab::traced::mpsc::channel::<u8>();
/// assert_eq!(rx.try_iter().count(), 0);
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
/// let (tx, rx) = lab::traced::mpsc::channel();
/// tx.send(1).unwrap();
/// drop(tx);
/// let it: lab::traced::mpsc::IntoIter<i32> = rx.into_iter();
/// assert_eq!(it.count(), 1);
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
