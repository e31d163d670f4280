//! Messages on the record: a send and its receive, recorded as one message.
//!
//! The channel stays the cell's own (crossbeam, `std::sync::mpsc`, tokio's `mpsc` or
//! `oneshot`, anything with a send and a receive). Only the value travelling through it
//! changes: [`Lane::send`] wraps it in a [`Msg`] stamped with an id, calls the channel's
//! send with it, and records when the send was asked for and when the channel took it (the
//! time between is how long the sender was blocked: a full bounded channel, a rendezvous).
//! [`Lane::got`] unwraps it on the other side and records when it arrived.
//! [`Recorder::trace`](crate::record::Recorder::trace) pairs the two into a
//! [`Message`](crate::trace::Message) (the read side, in [`record`](crate::record)).
//!
//! ```
//! use lab::record::Recorder;
//!
//! let rec = Recorder::new();
//! let (tx, rx) = crossbeam::channel::bounded(0); // a rendezvous, as in Go
//! std::thread::scope(|s| {
//!     let mut main = rec.lane("main");
//!     let mut worker = rec.lane("worker");
//!     s.spawn(move || {
//!         worker.send("done", "the result", |m| tx.send(m)).unwrap();
//!     });
//!     let got = main.got(rx.recv().unwrap());
//!     assert_eq!(got, "the result");
//! });
//! let trace = rec.trace().unwrap();
//! assert_eq!(trace.messages().len(), 1);
//! assert!(trace.messages()[0].received.is_some());
//! ```

use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::record::{Lane, RawRecv, RawSend, Shared};
use crate::trace::Label;

/// A value in a channel, stamped by [`Lane::send`] so that [`Lane::got`] can record its
/// arrival. A channel that carries recorded messages is a channel of `Msg<T>`
/// (`crossbeam::channel::bounded::<Msg<u64>>(4)`); everything else about it is unchanged.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// let (tx, rx) = std::sync::mpsc::channel::<lab::message::Msg<&str>>();
/// rec.lane("A").send("greeting", "hi", |m| tx.send(m)).unwrap();
/// let msg = rx.recv().unwrap();
/// assert_eq!(*msg.value(), "hi"); // look without recording
/// assert_eq!(rec.lane("B").got(msg), "hi");
/// ```
#[derive(Debug)]
pub struct Msg<T> {
    value: T,
    id: u64,
    origin: usize,
}

impl<T> Msg<T> {
    /// The origin of a message sent where no lane was recording: it is delivered, and
    /// neither its send nor its receive is recorded.
    pub(crate) const UNSTAMPED: usize = 0;

    /// A message stamped with `id` by the recorder `origin` (or [`Msg::UNSTAMPED`]).
    pub(crate) fn stamped(value: T, id: u64, origin: usize) -> Msg<T> {
        Msg { value, id, origin }
    }

    /// The value, its id and its origin.
    pub(crate) fn into_parts(self) -> (T, u64, usize) {
        (self.value, self.id, self.origin)
    }

    /// The value inside, without recording anything.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// rec.lane("A").send("n", 7, |m| tx.send(m)).unwrap();
    /// assert_eq!(*rx.recv().unwrap().value(), 7);
    /// ```
    pub fn value(&self) -> &T {
        &self.value
    }
}

impl Lane {
    /// Sends `value` through `send`, the channel's own send (`|m| tx.send(m)`), and
    /// records the message: when the send was asked for, and when it returned. Returns
    /// what `send` returned, so the channel's errors stay the cell's to handle. A send
    /// that fails (the receiver is gone) shows as a message never received.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let (tx, rx) = crossbeam::channel::bounded(1);
    /// let mut lane = rec.lane("producer");
    /// lane.send("job 1", 1u32, |m| tx.send(m)).unwrap();
    /// drop(rx);
    /// assert!(lane.send("job 2", 2u32, |m| tx.send(m)).is_err()); // no receiver
    /// ```
    pub fn send<T, R>(
        &mut self,
        label: impl Into<Label>,
        value: T,
        send: impl FnOnce(Msg<T>) -> R,
    ) -> R {
        let (msg, start) = self.stamp(value);
        let id = msg.id;
        let out = send(msg);
        self.push_send(id, start, label.into());
        out
    }

    /// [`send`](Lane::send) for a channel whose send is awaited (tokio's
    /// `mpsc::Sender::send`): `lane.send_async("job", v, |m| tx.send(m)).await`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let rt = lab::scenarios::current_thread_runtime().unwrap();
    /// let got = rt.block_on(async {
    ///     let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    ///     let mut lane = rec.lane("A");
    ///     lane.send_async("x", 5, |m| tx.send(m)).await.unwrap();
    ///     rec.lane("B").got(rx.recv().await.unwrap())
    /// });
    /// assert_eq!(got, 5);
    /// ```
    pub async fn send_async<T, F: IntoFuture>(
        &mut self,
        label: impl Into<Label>,
        value: T,
        send: impl FnOnce(Msg<T>) -> F,
    ) -> F::Output {
        let (msg, start) = self.stamp(value);
        let id = msg.id;
        let out = send(msg).into_future().await;
        self.push_send(id, start, label.into());
        out
    }

    /// Unwraps a message that arrived, recording its arrival on this lane now.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let (tx, rx) = std::sync::mpsc::sync_channel(0);
    /// std::thread::scope(|s| {
    ///     let mut sender = rec.lane("sender");
    ///     s.spawn(move || sender.send("ping", "ping", |m| tx.send(m)).unwrap());
    ///     let mut me = rec.lane("receiver");
    ///     assert_eq!(me.got(rx.recv().unwrap()), "ping");
    /// });
    /// assert_eq!(rec.trace().unwrap().messages()[0].to, Some(1));
    /// ```
    pub fn got<T>(&mut self, msg: Msg<T>) -> T {
        let at = Instant::now();
        self.arrived(msg.id, msg.origin, at);
        msg.value
    }

    /// Records that message `id`, stamped by the recorder `origin`, arrived at `at`.
    /// A message sent from no lane ([`Msg::UNSTAMPED`]) is not recorded.
    pub(crate) fn arrived(&mut self, id: u64, from: usize, at: Instant) {
        if from == Msg::<()>::UNSTAMPED {
            return;
        }
        if from != origin(&self.shared) {
            self.buffer.strangers += 1;
        } else if self.buffer.is_full() {
            self.buffer.left_out += 1;
        } else {
            self.buffer.recvs.push(RawRecv { id, at });
        }
    }

    /// A fresh message id and this lane's recorder, to stamp a message with.
    pub(crate) fn next_stamp(&self) -> (u64, usize) {
        let id = self.shared.next_message.fetch_add(1, Ordering::Relaxed);
        (id, origin(&self.shared))
    }

    fn stamp<T>(&self, value: T) -> (Msg<T>, Instant) {
        let (id, origin) = self.next_stamp();
        let msg = Msg { value, id, origin };
        (msg, Instant::now())
    }

    pub(crate) fn push_send(&mut self, id: u64, start: Instant, label: Label) {
        let end = Instant::now();
        if self.buffer.is_full() {
            self.buffer.left_out += 1;
            return;
        }
        self.buffer.sends.push(RawSend {
            id,
            start,
            end,
            label,
        });
    }
}

fn origin(shared: &Arc<Shared>) -> usize {
    Arc::as_ptr(shared) as usize
}

#[cfg(test)]
mod tests {
    use crate::record::Recorder;

    #[test]
    fn every_message_of_n_threads_is_read_back_and_paired() {
        let (threads, each) = (8, 500);
        let rec = Recorder::new();
        let (tx, rx) = crossbeam::channel::bounded(4);
        std::thread::scope(|s| {
            for t in 0..threads {
                let tx = tx.clone();
                let mut lane = rec.lane(format!("producer {t}"));
                s.spawn(move || {
                    for i in 0..each {
                        lane.send(format!("{t}.{i}"), (t, i), |m| tx.send(m))
                            .unwrap();
                    }
                });
            }
            drop(tx);
            let mut consumer = rec.lane("consumer");
            let mut seen = 0;
            for m in rx.iter() {
                let (t, i) = consumer.got(m);
                assert!(t < threads && i < each);
                seen += 1;
            }
            assert_eq!(seen, threads * each);
        });
        let trace = rec.trace().unwrap();
        let messages = trace.messages();
        assert_eq!(messages.len(), threads * each);
        assert!(trace.notes().is_empty(), "{:?}", trace.notes());
        let consumer = trace
            .lanes()
            .iter()
            .position(|l| l.name == "consumer")
            .unwrap();
        for m in messages {
            assert_eq!(m.to, Some(consumer), "{m:?}");
            let from = &trace.lanes()[m.from].name;
            let t = m.label.split('.').next().unwrap();
            assert_eq!(*from, format!("producer {t}"), "sent by its own lane");
            assert!(m.sent <= m.accepted);
            assert!(m.received.unwrap() >= m.sent, "received after sent: {m:?}");
        }
        let mut labels: Vec<_> = messages.iter().map(|m| m.label.to_string()).collect();
        labels.sort();
        labels.dedup();
        assert_eq!(labels.len(), threads * each, "each message once");
    }

    #[test]
    fn tokio_mpsc_and_oneshot_and_strangers() {
        let rec = Recorder::new();
        let other = Recorder::new();
        let rt = crate::scenarios::multi_thread_runtime(2).unwrap();
        rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::channel(1);
            let (reply_tx, reply_rx) = tokio::sync::oneshot::channel();
            let mut asker = rec.lane("asker");
            let mut server = rec.lane("server");
            let task = tokio::spawn(async move {
                let n: u32 = server.got(rx.recv().await.unwrap());
                server.send("reply", n + 1, |m| reply_tx.send(m)).unwrap();
            });
            asker.send_async("ask", 1u32, |m| tx.send(m)).await.unwrap();
            assert_eq!(asker.got(reply_rx.await.unwrap()), 2);
            task.await.unwrap();
            let (tx2, mut rx2) = tokio::sync::mpsc::unbounded_channel();
            other
                .lane("elsewhere")
                .send("lost", 0, |m| tx2.send(m))
                .unwrap();
            asker.got(rx2.recv().await.unwrap());
        });
        let trace = rec.trace().unwrap();
        assert_eq!(trace.messages().len(), 2);
        assert!(trace.messages().iter().all(|m| m.received.is_some()));
        assert!(
            trace.notes()[0].contains("another recorder"),
            "{:?}",
            trace.notes()
        );
    }
}
