//! tokio's channels, recorded: `use lab::traced::tokio::{mpsc, oneshot};` in place of
//! `use tokio::sync::{mpsc, oneshot};`, and [`spawn`] to start a task with its lane.
//!
//! ```
//! use lab::traced::tokio::{mpsc, oneshot, spawn};
//!
//! let rec = lab::record::Recorder::new();
//! let rt = lab::scenarios::multi_thread_runtime(2).unwrap();
//! rt.block_on(lab::traced::instrument(rec.lane("client"), async {
//!     let (tx, mut rx) = mpsc::channel::<(u32, oneshot::Sender<u32>)>(1);
//!     let server = spawn(rec.lane("server"), async move {
//!         while let Some((n, reply)) = rx.recv().await {
//!             reply.send(n * 2).unwrap();
//!         }
//!     });
//!     let (reply, answer) = oneshot::channel();
//!     tx.send((21, reply)).await.unwrap();
//!     assert_eq!(answer.await, Ok(42));
//!     drop(tx);
//!     server.await.unwrap();
//! }));
//! let trace = rec.trace().unwrap();
//! assert_eq!(trace.messages().len(), 2);
//! assert!(trace.messages().iter().all(|m| m.received.is_some()));
//! ```

use std::future::Future;

use crate::record::Lane;

/// `tokio::spawn`, with `lane` current whenever the task runs (see
/// [`instrument`](crate::traced::instrument)). Call it inside a runtime.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// let rt = lab::scenarios::current_thread_runtime().unwrap();
/// let name = rt.block_on(async {
///     lab::traced::tokio::spawn(rec.lane("task"), async { lab::traced::current_lane() })
///         .await
///         .unwrap()
/// });
/// assert_eq!(name.as_deref(), Some("task"));
/// ```
pub fn spawn<F>(lane: Lane, future: F) -> ::tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    ::tokio::spawn(super::instrument(lane, future))
}

pub mod mpsc {
    //! `tokio::sync::mpsc`, recorded. The errors are tokio's own, in [`error`].
    //!
    //! ```
    //! let rt = lab::scenarios::current_thread_runtime().unwrap();
    //! rt.block_on(async {
    //!     let (tx, mut rx) = lab::traced::tokio::mpsc::channel(4);
    //!     tx.send("hello").await.unwrap();
    //!     assert_eq!(rx.recv().await, Some("hello"));
    //! });
    //! ```

    use std::fmt;
    use std::time::Duration;

    use super::super::{Labeller, arrived, debug_labeller, labeller, send_with, sent, stamp};
    use crate::message::Msg;
    use crate::trace::Label;

    pub mod error {
        //! tokio's `mpsc` errors (`tokio::sync::mpsc::error`), re-exported.
        pub use ::tokio::sync::mpsc::error::{
            SendError, SendTimeoutError, TryRecvError, TrySendError,
        };
    }
    use error::{SendError, SendTimeoutError, TryRecvError, TrySendError};

    /// `tokio::sync::mpsc::channel`, recorded: a channel that holds at most `buffer`
    /// messages (at least 1). Messages are labelled with their `Debug`.
    ///
    /// # Panics
    ///
    /// Like tokio's, if `buffer` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = lab::traced::tokio::mpsc::channel(1);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn channel<T: fmt::Debug>(buffer: usize) -> (Sender<T>, Receiver<T>) {
        let (tx, rx) = ::tokio::sync::mpsc::channel(buffer);
        let label = debug_labeller();
        (Sender { inner: tx, label }, Receiver { inner: rx })
    }

    /// [`channel`], with messages labelled by `label`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = lab::traced::tokio::mpsc::channel_labelled(1, |_: &Vec<u8>| "page");
    /// tx.try_send(vec![0; 4096]).unwrap();
    /// assert_eq!(rx.try_recv().unwrap().len(), 4096);
    /// ```
    pub fn channel_labelled<T, L: Into<Label>>(
        buffer: usize,
        label: impl Fn(&T) -> L + Send + Sync + 'static,
    ) -> (Sender<T>, Receiver<T>) {
        let (tx, rx) = ::tokio::sync::mpsc::channel(buffer);
        let label = labeller(label);
        (Sender { inner: tx, label }, Receiver { inner: rx })
    }

    /// `tokio::sync::mpsc::unbounded_channel`, recorded.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = lab::traced::tokio::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn unbounded_channel<T: fmt::Debug>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
        let (tx, rx) = ::tokio::sync::mpsc::unbounded_channel();
        let label = debug_labeller();
        (
            UnboundedSender { inner: tx, label },
            UnboundedReceiver { inner: rx },
        )
    }

    /// [`unbounded_channel`], with messages labelled by `label`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = lab::traced::tokio::mpsc::unbounded_channel_labelled(|_: &()| "tick");
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(()));
    /// ```
    pub fn unbounded_channel_labelled<T, L: Into<Label>>(
        label: impl Fn(&T) -> L + Send + Sync + 'static,
    ) -> (UnboundedSender<T>, UnboundedReceiver<T>) {
        let (tx, rx) = ::tokio::sync::mpsc::unbounded_channel();
        let label = labeller(label);
        (
            UnboundedSender { inner: tx, label },
            UnboundedReceiver { inner: rx },
        )
    }

    fn unwrap_send<T>(e: SendError<Msg<T>>) -> SendError<T> {
        SendError(e.0.into_parts().0)
    }

    /// The sending side of [`channel`]: tokio's `Sender` methods, recorded on the
    /// current lane (the task's, when it was started with a lane).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = lab::traced::tokio::mpsc::channel::<u8>(2);
    /// let tx2: lab::traced::tokio::mpsc::Sender<u8> = tx.clone();
    /// assert!(tx2.same_channel(&tx));
    /// ```
    pub struct Sender<T> {
        inner: ::tokio::sync::mpsc::Sender<Msg<T>>,
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
        /// Sends `value`, waiting while the channel is full; an error, with the value
        /// back, if the receiver is gone (recorded as never received).
        ///
        /// # Examples
        ///
        /// ```
        /// use lab::traced::tokio::mpsc::{channel, error::SendError};
        /// let rt = lab::scenarios::current_thread_runtime().unwrap();
        /// rt.block_on(async {
        ///     let (tx, rx) = channel(1);
        ///     drop(rx);
        ///     assert_eq!(tx.send(1).await, Err(SendError(1)));
        /// });
        /// ```
        pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
            self.send_named(None, value).await
        }

        /// [`send`](Sender::send), with this message labelled `label`.
        ///
        /// # Examples
        ///
        /// ```
        /// let rt = lab::scenarios::current_thread_runtime().unwrap();
        /// rt.block_on(async {
        ///     let (tx, mut rx) = lab::traced::tokio::mpsc::channel(1);
        ///     tx.send_as("first", 1).await.unwrap();
        ///     assert_eq!(rx.recv().await, Some(1));
        /// });
        /// ```
        pub async fn send_as(&self, label: impl Into<Label>, value: T) -> Result<(), SendError<T>> {
            self.send_named(Some(label.into()), value).await
        }

        async fn send_named(&self, label: Option<Label>, value: T) -> Result<(), SendError<T>> {
            let (msg, out) = stamp(value, &self.label, label);
            let result = self.inner.send(msg).await;
            sent(out);
            result.map_err(unwrap_send)
        }

        /// Sends without waiting: `Full` (not recorded) or `Closed` (recorded as never
        /// received) when it cannot.
        ///
        /// # Examples
        ///
        /// ```
        /// use lab::traced::tokio::mpsc::{channel, error::TrySendError};
        /// let (tx, _rx) = channel(1);
        /// tx.try_send(1).unwrap();
        /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
        /// ```
        pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
            send_with(
                &self.label,
                None,
                value,
                |m| self.inner.try_send(m),
                |e| matches!(e, TrySendError::Closed(_)),
            )
            .map_err(|e| match e {
                TrySendError::Full(m) => TrySendError::Full(m.into_parts().0),
                TrySendError::Closed(m) => TrySendError::Closed(m.into_parts().0),
            })
        }

        /// Sends, waiting at most `timeout` for room; a send that times out is not
        /// recorded.
        ///
        /// # Examples
        ///
        /// ```
        /// use lab::traced::tokio::mpsc::{channel, error::SendTimeoutError};
        /// use std::time::Duration;
        /// let rt = lab::scenarios::current_thread_runtime().unwrap();
        /// rt.block_on(async {
        ///     let (tx, _rx) = channel(1);
        ///     tx.send(1).await.unwrap();
        ///     let r = tx.send_timeout(2, Duration::from_millis(1)).await;
        ///     assert_eq!(r, Err(SendTimeoutError::Timeout(2)));
        /// });
        /// ```
        pub async fn send_timeout(
            &self,
            value: T,
            timeout: Duration,
        ) -> Result<(), SendTimeoutError<T>> {
            let (msg, out) = stamp(value, &self.label, None);
            match self.inner.send_timeout(msg, timeout).await {
                Ok(()) => {
                    sent(out);
                    Ok(())
                }
                Err(SendTimeoutError::Closed(m)) => {
                    sent(out);
                    Err(SendTimeoutError::Closed(m.into_parts().0))
                }
                Err(SendTimeoutError::Timeout(m)) => {
                    Err(SendTimeoutError::Timeout(m.into_parts().0))
                }
            }
        }

        /// Sends from outside any runtime (a plain thread), blocking while the channel
        /// is full.
        ///
        /// # Panics
        ///
        /// Like tokio's, if called inside an asynchronous context.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, mut rx) = lab::traced::tokio::mpsc::channel(1);
        /// std::thread::spawn(move || tx.blocking_send(5).unwrap()).join().unwrap();
        /// assert_eq!(rx.try_recv(), Ok(5));
        /// ```
        pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
            send_with(
                &self.label,
                None,
                value,
                |m| self.inner.blocking_send(m),
                |_| true,
            )
            .map_err(unwrap_send)
        }

        /// Waits until the receiver is gone.
        ///
        /// # Examples
        ///
        /// ```
        /// let rt = lab::scenarios::current_thread_runtime().unwrap();
        /// rt.block_on(async {
        ///     let (tx, rx) = lab::traced::tokio::mpsc::channel::<u8>(1);
        ///     drop(rx);
        ///     tx.closed().await;
        /// });
        /// ```
        pub async fn closed(&self) {
            self.inner.closed().await
        }

        /// Whether the receiver is gone.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = lab::traced::tokio::mpsc::channel::<u8>(1);
        /// drop(rx);
        /// assert!(tx.is_closed());
        /// ```
        pub fn is_closed(&self) -> bool {
            self.inner.is_closed()
        }

        /// How many more messages fit now.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, _rx) = lab::traced::tokio::mpsc::channel(2);
        /// tx.try_send(1).unwrap();
        /// assert_eq!(tx.capacity(), 1);
        /// ```
        pub fn capacity(&self) -> usize {
            self.inner.capacity()
        }

        /// How many messages the channel holds at most.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, _rx) = lab::traced::tokio::mpsc::channel::<u8>(2);
        /// assert_eq!(tx.max_capacity(), 2);
        /// ```
        pub fn max_capacity(&self) -> usize {
            self.inner.max_capacity()
        }

        /// Whether two senders belong to the same channel.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, _rx) = lab::traced::tokio::mpsc::channel::<u8>(2);
        /// assert!(tx.same_channel(&tx.clone()));
        /// ```
        pub fn same_channel(&self, other: &Sender<T>) -> bool {
            self.inner.same_channel(&other.inner)
        }
    }

    /// The receiving side of [`channel`]: tokio's `Receiver` methods, recorded on the
    /// current lane.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = lab::traced::tokio::mpsc::channel::<u8>(1);
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub struct Receiver<T> {
        inner: ::tokio::sync::mpsc::Receiver<Msg<T>>,
    }

    impl<T> fmt::Debug for Receiver<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.pad("Receiver { .. }")
        }
    }

    impl<T> Receiver<T> {
        /// Waits for a message; `None` once the channel is empty and every sender is
        /// gone.
        ///
        /// # Examples
        ///
        /// ```
        /// let rt = lab::scenarios::current_thread_runtime().unwrap();
        /// rt.block_on(async {
        ///     let (tx, mut rx) = lab::traced::tokio::mpsc::channel(1);
        ///     tx.send(1).await.unwrap();
        ///     drop(tx);
        ///     assert_eq!(rx.recv().await, Some(1));
        ///     assert_eq!(rx.recv().await, None);
        /// });
        /// ```
        pub async fn recv(&mut self) -> Option<T> {
            self.inner.recv().await.map(arrived)
        }

        /// Takes a message if one is waiting.
        ///
        /// # Examples
        ///
        /// ```
        /// use lab::traced::tokio::mpsc::{channel, error::TryRecvError};
        /// let (_tx, mut rx) = channel::<u8>(1);
        /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        /// ```
        pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
            self.inner.try_recv().map(arrived)
        }

        /// Waits for a message from outside any runtime (a plain thread).
        ///
        /// # Panics
        ///
        /// Like tokio's, if called inside an asynchronous context.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, mut rx) = lab::traced::tokio::mpsc::channel(1);
        /// tx.try_send(3).unwrap();
        /// assert_eq!(rx.blocking_recv(), Some(3));
        /// ```
        pub fn blocking_recv(&mut self) -> Option<T> {
            self.inner.blocking_recv().map(arrived)
        }

        /// Closes the channel to new messages; those already in it can still be received.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, mut rx) = lab::traced::tokio::mpsc::channel(1);
        /// rx.close();
        /// assert!(tx.try_send(1).is_err());
        /// ```
        pub fn close(&mut self) {
            self.inner.close()
        }

        /// Whether the channel is closed (every sender gone, or [`close`](Receiver::close)d).
        ///
        /// # Examples
        ///
        /// ```
        /// let (_tx, rx) = lab::traced::tokio::mpsc::channel::<u8>(1);
        /// assert!(!rx.is_closed());
        /// ```
        pub fn is_closed(&self) -> bool {
            self.inner.is_closed()
        }

        /// Whether no message is waiting.
        ///
        /// # Examples
        ///
        /// ```
        /// let (_tx, rx) = lab::traced::tokio::mpsc::channel::<u8>(1);
        /// assert!(rx.is_empty());
        /// ```
        pub fn is_empty(&self) -> bool {
            self.inner.is_empty()
        }

        /// How many messages are waiting.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = lab::traced::tokio::mpsc::channel(2);
        /// tx.try_send(1).unwrap();
        /// assert_eq!(rx.len(), 1);
        /// ```
        pub fn len(&self) -> usize {
            self.inner.len()
        }
    }

    /// The sending side of [`unbounded_channel`]: sends never wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = lab::traced::tokio::mpsc::unbounded_channel();
    /// let tx2: lab::traced::tokio::mpsc::UnboundedSender<u8> = tx.clone();
    /// tx2.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub struct UnboundedSender<T> {
        inner: ::tokio::sync::mpsc::UnboundedSender<Msg<T>>,
        label: Labeller<T>,
    }

    impl<T> Clone for UnboundedSender<T> {
        fn clone(&self) -> Self {
            UnboundedSender {
                inner: self.inner.clone(),
                label: self.label.clone(),
            }
        }
    }

    impl<T> fmt::Debug for UnboundedSender<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.pad("UnboundedSender { .. }")
        }
    }

    impl<T> UnboundedSender<T> {
        /// Sends `value`; an error, with the value back, if the receiver is gone
        /// (recorded as never received).
        ///
        /// # Examples
        ///
        /// ```
        /// use lab::traced::tokio::mpsc::{error::SendError, unbounded_channel};
        /// let (tx, rx) = unbounded_channel();
        /// drop(rx);
        /// assert_eq!(tx.send(1), Err(SendError(1)));
        /// ```
        pub fn send(&self, value: T) -> Result<(), SendError<T>> {
            send_with(&self.label, None, value, |m| self.inner.send(m), |_| true)
                .map_err(unwrap_send)
        }

        /// [`send`](UnboundedSender::send), with this message labelled `label`.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, mut rx) = lab::traced::tokio::mpsc::unbounded_channel();
        /// tx.send_as("first", 1).unwrap();
        /// assert_eq!(rx.try_recv(), Ok(1));
        /// ```
        pub fn send_as(&self, label: impl Into<Label>, value: T) -> Result<(), SendError<T>> {
            let label = Some(label.into());
            send_with(&self.label, label, value, |m| self.inner.send(m), |_| true)
                .map_err(unwrap_send)
        }

        /// Waits until the receiver is gone.
        ///
        /// # Examples
        ///
        /// ```
        /// let rt = lab::scenarios::current_thread_runtime().unwrap();
        /// rt.block_on(async {
        ///     let (tx, rx) = lab::traced::tokio::mpsc::unbounded_channel::<u8>();
        ///     drop(rx);
        ///     tx.closed().await;
        /// });
        /// ```
        pub async fn closed(&self) {
            self.inner.closed().await
        }

        /// Whether the receiver is gone.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = lab::traced::tokio::mpsc::unbounded_channel::<u8>();
        /// drop(rx);
        /// assert!(tx.is_closed());
        /// ```
        pub fn is_closed(&self) -> bool {
            self.inner.is_closed()
        }
    }

    /// The receiving side of [`unbounded_channel`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = lab::traced::tokio::mpsc::unbounded_channel();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// assert_eq!(rx.blocking_recv(), Some(2));
    /// ```
    pub struct UnboundedReceiver<T> {
        inner: ::tokio::sync::mpsc::UnboundedReceiver<Msg<T>>,
    }

    impl<T> fmt::Debug for UnboundedReceiver<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.pad("UnboundedReceiver { .. }")
        }
    }

    impl<T> UnboundedReceiver<T> {
        /// Waits for a message; `None` once the channel is empty and every sender is
        /// gone.
        ///
        /// # Examples
        ///
        /// ```
        /// let rt = lab::scenarios::current_thread_runtime().unwrap();
        /// rt.block_on(async {
        ///     let (tx, mut rx) = lab::traced::tokio::mpsc::unbounded_channel();
        ///     tx.send(1).unwrap();
        ///     assert_eq!(rx.recv().await, Some(1));
        /// });
        /// ```
        pub async fn recv(&mut self) -> Option<T> {
            self.inner.recv().await.map(arrived)
        }

        /// Takes a message if one is waiting.
        ///
        /// # Examples
        ///
        /// ```
        /// use lab::traced::tokio::mpsc::{error::TryRecvError, unbounded_channel};
        /// let (tx, mut rx) = unbounded_channel::<u8>();
        /// drop(tx);
        /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        /// ```
        pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
            self.inner.try_recv().map(arrived)
        }

        /// Waits for a message from outside any runtime (a plain thread).
        ///
        /// # Panics
        ///
        /// Like tokio's, if called inside an asynchronous context.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, mut rx) = lab::traced::tokio::mpsc::unbounded_channel::<u8>();
        /// drop(tx);
        /// assert_eq!(rx.blocking_recv(), None);
        /// ```
        pub fn blocking_recv(&mut self) -> Option<T> {
            self.inner.blocking_recv().map(arrived)
        }

        /// Closes the channel to new messages.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, mut rx) = lab::traced::tokio::mpsc::unbounded_channel();
        /// rx.close();
        /// assert!(tx.send(1).is_err());
        /// ```
        pub fn close(&mut self) {
            self.inner.close()
        }

        /// Whether no message is waiting.
        ///
        /// # Examples
        ///
        /// ```
        /// let (_tx, rx) = lab::traced::tokio::mpsc::unbounded_channel::<u8>();
        /// assert!(rx.is_empty());
        /// ```
        pub fn is_empty(&self) -> bool {
            self.inner.is_empty()
        }

        /// How many messages are waiting.
        ///
        /// # Examples
        ///
        /// ```
        /// let (_tx, rx) = lab::traced::tokio::mpsc::unbounded_channel::<u8>();
        /// assert_eq!(rx.len(), 0);
        /// ```
        pub fn len(&self) -> usize {
            self.inner.len()
        }
    }
}

pub mod oneshot {
    //! `tokio::sync::oneshot`, recorded. The errors are tokio's own, in [`error`].
    //!
    //! ```
    //! let rt = lab::scenarios::current_thread_runtime().unwrap();
    //! rt.block_on(async {
    //!     let (tx, rx) = lab::traced::tokio::oneshot::channel();
    //!     tx.send("done").unwrap();
    //!     assert_eq!(rx.await, Ok("done"));
    //! });
    //! ```

    use std::fmt;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::super::{Labeller, arrived, debug_labeller, labeller, send_with};
    use crate::message::Msg;
    use crate::trace::Label;

    pub mod error {
        //! tokio's `oneshot` errors (`tokio::sync::oneshot::error`), re-exported.
        pub use ::tokio::sync::oneshot::error::{RecvError, TryRecvError};
    }
    use error::{RecvError, TryRecvError};

    /// `tokio::sync::oneshot::channel`, recorded: one value, once. Labelled with its
    /// `Debug`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = lab::traced::tokio::oneshot::channel();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn channel<T: fmt::Debug>() -> (Sender<T>, Receiver<T>) {
        let (tx, rx) = ::tokio::sync::oneshot::channel();
        let label = debug_labeller();
        (Sender { inner: tx, label }, Receiver { inner: rx })
    }

    /// [`channel`], with the value labelled by `label`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, mut rx) = lab::traced::tokio::oneshot::channel_labelled(|_: &String| "reply");
    /// tx.send("ok".to_string()).unwrap();
    /// assert_eq!(rx.try_recv().unwrap(), "ok");
    /// ```
    pub fn channel_labelled<T, L: Into<Label>>(
        label: impl Fn(&T) -> L + Send + Sync + 'static,
    ) -> (Sender<T>, Receiver<T>) {
        let (tx, rx) = ::tokio::sync::oneshot::channel();
        let label = labeller(label);
        (Sender { inner: tx, label }, Receiver { inner: rx })
    }

    /// The sending side of [`channel`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = lab::traced::tokio::oneshot::channel::<u8>();
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub struct Sender<T> {
        inner: ::tokio::sync::oneshot::Sender<Msg<T>>,
        label: Labeller<T>,
    }

    impl<T> fmt::Debug for Sender<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.pad("Sender { .. }")
        }
    }

    impl<T> Sender<T> {
        /// Sends the value; `Err(value)` if the receiver is gone (recorded as never
        /// received).
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = lab::traced::tokio::oneshot::channel();
        /// drop(rx);
        /// assert_eq!(tx.send(1), Err(1));
        /// ```
        pub fn send(self, t: T) -> Result<(), T> {
            let Sender { inner, label } = self;
            send_with(&label, None, t, |m| inner.send(m), |_| true).map_err(|m| m.into_parts().0)
        }

        /// [`send`](Sender::send), with the value labelled `label`.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, mut rx) = lab::traced::tokio::oneshot::channel();
        /// tx.send_as("reply", 1).unwrap();
        /// assert_eq!(rx.try_recv(), Ok(1));
        /// ```
        pub fn send_as(self, label: impl Into<Label>, t: T) -> Result<(), T> {
            let Sender { inner, label: l } = self;
            send_with(&l, Some(label.into()), t, |m| inner.send(m), |_| true)
                .map_err(|m| m.into_parts().0)
        }

        /// Whether the receiver is gone.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, _rx) = lab::traced::tokio::oneshot::channel::<u8>();
        /// assert!(!tx.is_closed());
        /// ```
        pub fn is_closed(&self) -> bool {
            self.inner.is_closed()
        }

        /// Waits until the receiver is gone.
        ///
        /// # Examples
        ///
        /// ```
        /// let rt = lab::scenarios::current_thread_runtime().unwrap();
        /// rt.block_on(async {
        ///     let (mut tx, rx) = lab::traced::tokio::oneshot::channel::<u8>();
        ///     drop(rx);
        ///     tx.closed().await;
        /// });
        /// ```
        pub async fn closed(&mut self) {
            self.inner.closed().await
        }
    }

    /// The receiving side of [`channel`]: await it for the value (recorded on the
    /// current lane when it arrives).
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::traced::tokio::oneshot::{channel, error::RecvError};
    /// let rt = lab::scenarios::current_thread_runtime().unwrap();
    /// rt.block_on(async {
    ///     let (tx, rx) = channel::<u8>();
    ///     drop(tx);
    ///     let r: Result<u8, RecvError> = rx.await;
    ///     assert!(r.is_err());
    /// });
    /// ```
    pub struct Receiver<T> {
        inner: ::tokio::sync::oneshot::Receiver<Msg<T>>,
    }

    impl<T> fmt::Debug for Receiver<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.pad("Receiver { .. }")
        }
    }

    impl<T> Receiver<T> {
        /// Takes the value if it has been sent.
        ///
        /// # Examples
        ///
        /// ```
        /// use lab::traced::tokio::oneshot::{channel, error::TryRecvError};
        /// let (_tx, mut rx) = channel::<u8>();
        /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        /// ```
        pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
            self.inner.try_recv().map(arrived)
        }

        /// Waits for the value from outside any runtime (a plain thread).
        ///
        /// # Panics
        ///
        /// Like tokio's, if called inside an asynchronous context.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, rx) = lab::traced::tokio::oneshot::channel();
        /// tx.send(9).unwrap();
        /// assert_eq!(rx.blocking_recv(), Ok(9));
        /// ```
        pub fn blocking_recv(self) -> Result<T, RecvError> {
            self.inner.blocking_recv().map(arrived)
        }

        /// Closes the channel: a later send fails.
        ///
        /// # Examples
        ///
        /// ```
        /// let (tx, mut rx) = lab::traced::tokio::oneshot::channel();
        /// rx.close();
        /// assert_eq!(tx.send(1), Err(1));
        /// ```
        pub fn close(&mut self) {
            self.inner.close()
        }
    }

    impl<T> Future for Receiver<T> {
        type Output = Result<T, RecvError>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            Pin::new(&mut self.get_mut().inner)
                .poll(cx)
                .map(|r| r.map(arrived))
        }
    }
}
