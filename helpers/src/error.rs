//! One error type whose message fits on one line and says what to do.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::show::{Rendering, Show, shown_in_cells};

/// What went wrong, in one line that says what to do about it, and what kind of thing
/// went wrong.
///
/// Helpers never panic on bad input: a notebook cell would print a thirty-line
/// backtrace and still report success. They return this error instead, or, for
/// builders such as [`Bench`](crate::bench::Bench), keep it and show it in place of the
/// chart. It is shown (`Display`, and `Debug` too, so an `Err` shown as the last value
/// of a cell stays readable) as one line starting with `lab: `; code that reacts to it
/// looks at its [`kind`](Error::kind).
///
/// # Examples
///
/// ```
/// use lab::{ErrorKind, record::Recorder};
///
/// let rec = Recorder::new();
/// let err = rec.trace().unwrap_err(); // nothing was recorded yet
/// assert_eq!(err.kind(), ErrorKind::Empty);
/// assert!(err.to_string().starts_with("lab: nothing recorded"));
/// assert_eq!(format!("{err:?}"), err.to_string());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// What kind of thing went wrong: what a test or a cell matches on, rather than on
/// the words of the message.
///
/// # Examples
///
/// ```
/// use lab::ErrorKind;
///
/// let err = lab::draw::Bars::new("t").bar("a", -1.0).to_svg().unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::BadInput);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A value out of range or malformed: a width, a count, a bar's value, a line of
    /// a step program.
    BadInput,
    /// Nothing to show or use yet: an empty recording, a chart without bars, a bench
    /// without variants, a program without threads.
    Empty,
    /// No such thing: a variant, a thread or an outcome asked for by a name it does not
    /// have.
    NotFound,
    /// Called in an order or a way that cannot work: lanes still open, a move a replay
    /// cannot make, two threads sharing a lane name.
    Misuse,
    /// Past one of the crate's limits: threads, runs, states, schedules.
    Limit,
    /// The operating system refused: a file, a socket, a thread, a runtime.
    Io,
    /// Drawing a chart failed.
    Render,
    /// A job or thread the helper ran panicked (its message is printed above).
    Panicked,
    /// Locks waited for each other in a cycle (see [`LockError`](crate::deadlock::LockError)).
    Deadlock,
    /// A wait lasted longer than its bound (see [`LockError`](crate::deadlock::LockError)).
    TimedOut,
    /// Anything else, such as an error a cell makes with [`Error::new`].
    Other,
}

impl Error {
    /// An error of kind [`ErrorKind::Other`] with this message: what a cell's own code
    /// returns. It is shown with `lab: ` in front.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = lab::Error::new("expected 800, got 1500");
    /// assert_eq!(e.to_string(), "lab: expected 800, got 1500");
    /// assert_eq!(e.kind(), lab::ErrorKind::Other);
    /// ```
    pub fn new(message: impl Into<String>) -> Error {
        Error::of(ErrorKind::Other, message)
    }

    /// An error of a given kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{Error, ErrorKind};
    /// let e = Error::of(ErrorKind::BadInput, "threads must be at least 1 (got 0)");
    /// assert_eq!(e.to_string(), "lab: threads must be at least 1 (got 0)");
    /// ```
    pub fn of(kind: ErrorKind, message: impl Into<String>) -> Error {
        let message = message.into();
        // Keep the promise of one line even if a caller's message has newlines.
        let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
        Error { kind, message }
    }

    /// What kind of thing went wrong.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = lab::draw::Figure::new().to_svg().unwrap_err();
    /// assert_eq!(err.kind(), lab::ErrorKind::Empty);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the `lab: ` that showing it puts in front.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::Error::new("x").message(), "x");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The first error a builder met, carried until the builder is shown or used: a
/// builder's steps (`.bar(..)`, `.thread(..)`, `.compare(..)`) return the builder, not a
/// `Result`, so a cell reads as one chain, and a mistake in any step is what the cell
/// shows at the end. Later errors are dropped: the first one is the one to fix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FirstError(Option<Error>);

impl FirstError {
    /// Keeps `e` unless an error is already kept.
    pub(crate) fn keep(&mut self, e: Error) {
        self.0.get_or_insert(e);
    }

    /// The error kept, if any.
    pub(crate) fn get(&self) -> Option<&Error> {
        self.0.as_ref()
    }

    /// `Err` with the error kept, if any.
    pub(crate) fn check(&self) -> Result<()> {
        match &self.0 {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

impl Show for Error {
    fn summary(&self) -> String {
        self.to_string()
    }

    fn rendering(&self) -> Rendering {
        Rendering::Problem(self.to_string())
    }
}
shown_in_cells!(Error, r#"lab::Error::new("reps must be at least 1")"#);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lab: {}", self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

/// `Result` with [`Error`] as its error.
///
/// # Examples
///
/// ```
/// fn pool() -> lab::Result<lab::scenarios::Pool> {
///     lab::scenarios::thread_pool(2)
/// }
/// assert!(pool().is_ok());
/// ```
pub type Result<T> = std::result::Result<T, Error>;

/// Checks that a count is at least 1 and at most `max`, with a message that names it.
pub(crate) fn check_count(what: &str, n: usize, max: usize, hint: &str) -> Result<usize> {
    if n == 0 {
        Err(Error::of(
            ErrorKind::BadInput,
            format!("{what} must be at least 1 (got 0): {hint}"),
        ))
    } else if n > max {
        Err(Error::of(
            ErrorKind::Limit,
            format!("{what} = {n} is more than this helper allows ({max}): {hint}"),
        ))
    } else {
        Ok(n)
    }
}

/// A chart's SVG as its rendering, or the error that stopped it as the problem to show.
pub(crate) fn svg_or_problem(svg: Result<String>) -> Rendering {
    match svg {
        Ok(svg) => Rendering::Svg(svg),
        Err(e) => e.rendering(),
    }
}

/// Writes `contents` to `path`, with a one-line error naming the path.
pub(crate) fn save_file(path: &Path, contents: &str) -> Result<PathBuf> {
    crate::show::save(path, contents).map_err(|e| {
        Error::of(
            ErrorKind::Io,
            format!("cannot write {}: {e}", path.display()),
        )
    })
}
