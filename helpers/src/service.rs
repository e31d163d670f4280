//! A small, slow service on the loopback interface, for experiments with real sockets.
//!
//! [`SlowService::start`] binds `127.0.0.1` on a port the OS picks, and answers each
//! request after a delay you choose, like a database or an API that takes its time.
//! It runs on its own thread with its own tokio runtime, so whatever runtime the cell
//! uses as a *client* (one thread or many) does not change how the server behaves.
//! Dropping the service (at the end of the cell that made it, usually) stops it and
//! joins its thread: nothing is left listening.
//!
//! The protocol is one line each way: the client sends `<request>\n` (any text without a
//! newline), the service waits, then replies `<reply to request>\n` and closes.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::error::{Error, ErrorKind, Result};

/// How many connections may wait to be accepted. std's `bind` asks for 128, and a burst
/// of more connects than that overflows the queue: each dropped connect costs the client a
/// 1 s retry, which would look like a slow server in a growing-load experiment.
const BACKLOG: u32 = 4096;

/// A listener on 127.0.0.1 and a port the OS picks, with a `backlog`-long accept queue
/// (std has no setting for it; tokio's `TcpSocket` does, inside a runtime).
fn listen_on_loopback(backlog: u32) -> std::io::Result<std::net::TcpListener> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind((Ipv4Addr::LOCALHOST, 0).into())?;
        socket.listen(backlog)?.into_std()
    })
}

/// The longest delay a [`SlowService`] accepts: longer would only make cells hang.
///
/// # Examples
///
/// ```
/// use lab::service::{MAX_DELAY, SlowService};
/// use std::time::Duration;
/// let err = SlowService::start(MAX_DELAY + Duration::from_millis(1)).unwrap_err();
/// assert_eq!(err.kind(), lab::ErrorKind::Limit);
/// ```
pub const MAX_DELAY: Duration = Duration::from_secs(10);

/// A loopback service that answers each request after a fixed delay.
///
/// Requests are served concurrently: a hundred clients at once all get their answers
/// after about one delay, as from a real server with plenty of capacity.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
///
/// let service = lab::service::SlowService::start(Duration::from_millis(20)).unwrap();
/// assert!(service.addr().ip().is_loopback());
/// let rt = lab::scenarios::current_thread_runtime().unwrap();
/// let reply = rt.block_on(async {
///     let mut conn = tokio::net::TcpStream::connect(service.addr()).await.unwrap();
///     conn.write_all(b"user 42\n").await.unwrap();
///     let mut line = String::new();
///     let mut reader = BufReader::new(conn);
///     reader.read_line(&mut line).await.unwrap();
///     line
/// });
/// assert_eq!(reply, "reply to user 42\n");
/// assert_eq!(service.served(), 1);
/// ```
#[derive(Debug)]
pub struct SlowService {
    addr: SocketAddr,
    delay: Duration,
    served: Arc<AtomicU64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SlowService {
    /// Starts the service on `127.0.0.1` and an ephemeral port; each answer takes `delay`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let service = lab::service::SlowService::start(Duration::from_millis(5)).unwrap();
    /// assert_ne!(service.addr().port(), 0);
    /// assert!(lab::service::SlowService::start(Duration::from_secs(3600)).is_err());
    /// ```
    pub fn start(delay: Duration) -> Result<SlowService> {
        if delay > MAX_DELAY {
            return Err(Error::of(
                ErrorKind::Limit,
                format!(
                    "a delay of {} is more than the {} s this service allows: try Duration::from_millis(50)",
                    crate::show::fmt_duration(delay),
                    MAX_DELAY.as_secs()
                ),
            ));
        }
        // Bind before spawning, so the port is known and errors are reported here.
        let listener = listen_on_loopback(BACKLOG)
            .map_err(|e| Error::of(ErrorKind::Io, format!("cannot listen on 127.0.0.1: {e}")))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::of(ErrorKind::Io, format!("cannot configure the listener: {e}")))?;
        let addr = listener.local_addr().map_err(|e| {
            Error::of(
                ErrorKind::Io,
                format!("cannot read the listener's address: {e}"),
            )
        })?;
        let served = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let counter = Arc::clone(&served);
        let thread = std::thread::Builder::new()
            .name("slow service".into())
            .spawn(move || serve(listener, delay, counter, stopped))
            .map_err(|e| {
                Error::of(
                    ErrorKind::Io,
                    format!("cannot start the service thread: {e}"),
                )
            })?;
        Ok(SlowService {
            addr,
            delay,
            served,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where to connect: `127.0.0.1:<port>`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = lab::service::SlowService::start(std::time::Duration::ZERO).unwrap();
    /// assert_eq!(s.addr().ip(), std::net::Ipv4Addr::LOCALHOST);
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The delay before each answer.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let s = lab::service::SlowService::start(Duration::from_millis(7)).unwrap();
    /// assert_eq!(s.delay(), Duration::from_millis(7));
    /// ```
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// How many requests have been answered so far (counted as each reply is sent).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = lab::service::SlowService::start(std::time::Duration::ZERO).unwrap();
    /// assert_eq!(s.served(), 0);
    /// ```
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::SeqCst)
    }
}

impl Drop for SlowService {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Asks the service at `addr` from async code: connects, sends `request` as one line,
/// and awaits the one-line reply (newline included). The task waits at each step and its
/// thread runs other tasks meanwhile; one connection per request, as the service expects.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the service cannot be reached or hangs up without a reply (was
/// the `SlowService` dropped?), or `request` contains a newline ([`ErrorKind::BadInput`]).
///
/// # Examples
///
/// ```
/// use lab::service::{SlowService, ask};
/// let service = SlowService::start(std::time::Duration::from_millis(5)).unwrap();
/// let rt = lab::scenarios::current_thread_runtime().unwrap();
/// let reply = rt.block_on(ask(service.addr(), "doc 3")).unwrap();
/// assert_eq!(reply, "reply to doc 3\n");
/// ```
pub async fn ask(addr: SocketAddr, request: &str) -> Result<String> {
    let line = request_line(request)?;
    let failed = |e: std::io::Error| unreachable(addr, e);
    let mut conn = tokio::net::TcpStream::connect(addr).await.map_err(failed)?;
    conn.write_all(line.as_bytes()).await.map_err(failed)?;
    let mut reply = String::new();
    BufReader::new(conn)
        .read_line(&mut reply)
        .await
        .map_err(failed)?;
    replied(addr, reply)
}

/// Asks the service at `addr` from plain blocking code: the same as [`ask`], but the
/// calling thread blocks at each step until the reply comes.
///
/// # Errors
///
/// As for [`ask`].
///
/// # Examples
///
/// ```
/// use lab::service::{SlowService, ask_blocking};
/// let service = SlowService::start(std::time::Duration::from_millis(5)).unwrap();
/// assert_eq!(ask_blocking(service.addr(), "doc 3").unwrap(), "reply to doc 3\n");
/// let gone = service.addr();
/// drop(service);
/// assert!(ask_blocking(gone, "doc 3").unwrap_err().to_string().contains("dropped"));
/// assert!(ask_blocking(gone, "two\nlines").is_err());
/// ```
pub fn ask_blocking(addr: SocketAddr, request: &str) -> Result<String> {
    use std::io::{BufRead, Write};
    let line = request_line(request)?;
    let failed = |e: std::io::Error| unreachable(addr, e);
    let mut conn = std::net::TcpStream::connect(addr).map_err(failed)?;
    conn.write_all(line.as_bytes()).map_err(failed)?;
    let mut reply = String::new();
    std::io::BufReader::new(conn)
        .read_line(&mut reply)
        .map_err(failed)?;
    replied(addr, reply)
}

fn request_line(request: &str) -> Result<String> {
    if request.contains('\n') {
        return Err(Error::of(
            ErrorKind::BadInput,
            format!(
                "the request {request:?} has a newline: the service reads one line per request"
            ),
        ));
    }
    Ok(format!("{request}\n"))
}

fn unreachable(addr: SocketAddr, e: std::io::Error) -> Error {
    Error::of(
        ErrorKind::Io,
        format!(
            "no answer from the service at {addr} ({e}): was its SlowService dropped? start it again"
        ),
    )
}

fn replied(addr: SocketAddr, reply: String) -> Result<String> {
    if reply.is_empty() {
        return Err(unreachable(addr, std::io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(reply)
}

/// The service's thread: accept connections until told to stop; each connection is a
/// task that reads one line, sleeps, and answers.
fn serve(
    listener: std::net::TcpListener,
    delay: Duration,
    served: Arc<AtomicU64>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    rt.block_on(async move {
        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
            return;
        };
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => {
                    let Ok((conn, _)) = accepted else { continue };
                    let served = Arc::clone(&served);
                    connections.spawn(async move {
                        let (read, mut write) = conn.into_split();
                        let mut line = String::new();
                        // A client that sends nothing for a minute is dropped.
                        let mut reader = BufReader::new(read);
                        let read = reader.read_line(&mut line);
                        if tokio::time::timeout(Duration::from_secs(60), read).await.is_err() {
                            return;
                        }
                        tokio::time::sleep(delay).await;
                        let reply = format!("reply to {}\n", line.trim_end());
                        // Counted before the reply leaves, so a client that has its
                        // reply always sees itself counted.
                        served.fetch_add(1, Ordering::SeqCst);
                        let _ = write.write_all(reply.as_bytes()).await;
                    });
                }
                // Reap finished connections so the set does not grow without bound.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.abort_all();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn ask(addr: SocketAddr, what: String) -> String {
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(format!("{what}\n").as_bytes())
            .await
            .unwrap();
        let mut line = String::new();
        let mut reader = BufReader::new(conn);
        reader.read_line(&mut line).await.unwrap();
        line
    }

    #[test]
    fn many_requests_at_once_overlap_their_delays() {
        let delay = Duration::from_millis(100);
        let service = SlowService::start(delay).unwrap();
        let rt = crate::scenarios::current_thread_runtime().unwrap();
        let t = std::time::Instant::now();
        let replies = rt.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for i in 0..50 {
                set.spawn(ask(service.addr(), format!("{i}")));
            }
            set.join_all().await
        });
        let took = t.elapsed();
        assert_eq!(replies.len(), 50);
        assert_eq!(service.served(), 50);
        // 50 requests one after another would take 5 s; at once, about one delay.
        // The bound is generous for a loaded machine, and still far below 5 s.
        assert!(took < delay * 10, "{took:?}");
    }

    #[test]
    fn dropping_the_service_stops_it() {
        let service = SlowService::start(Duration::ZERO).unwrap();
        let addr = service.addr();
        drop(service);
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "nothing listens any more"
        );
    }

    #[test]
    fn it_listens_on_loopback_only() {
        let service = SlowService::start(Duration::ZERO).unwrap();
        assert!(service.addr().ip().is_loopback());
    }
}
