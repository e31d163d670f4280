//! One error type whose message fits on one line and says what to do.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::show::{Rendering, Show, shown_in_cells};

/// What went wrong, in one line that says what to do about it.
///
/// Helpers never panic on bad input: a notebook cell would print a thirty-line
/// backtrace and still report success. They return this error instead, or, for
/// builders such as [`Bench`](crate::Bench), keep it and show it in place of the
/// chart. `Debug` prints the same single line as `Display`, so an `Err` shown as the
/// last value of a cell stays readable.
///
/// # Examples
///
/// ```
/// use lab::Recorder;
///
/// let rec = Recorder::new();
/// let err = rec.trace().unwrap_err(); // nothing was recorded yet
/// assert!(err.to_string().starts_with("lab: nothing recorded"));
/// assert_eq!(format!("{err:?}"), err.to_string());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// An error with this message; `lab: ` is put in front of it.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = lab::Error::new("threads must be at least 1 (got 0)");
    /// assert_eq!(e.to_string(), "lab: threads must be at least 1 (got 0)");
    /// ```
    pub fn new(message: impl Into<String>) -> Error {
        let message = message.into();
        // Keep the promise of one line even if a caller's message has newlines.
        let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
        Error {
            message: format!("lab: {message}"),
        }
    }

    /// The message, `lab: ` included.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(lab::Error::new("x").message(), "lab: x");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
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
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// `Result` with [`Error`] as its error.
///
/// # Examples
///
/// ```
/// fn pool() -> lab::Result<lab::Pool> {
///     lab::thread_pool(2)
/// }
/// assert!(pool().is_ok());
/// ```
pub type Result<T> = std::result::Result<T, Error>;

/// Checks that a count is at least 1 and at most `max`, with a message that names it.
pub(crate) fn check_count(what: &str, n: usize, max: usize, hint: &str) -> Result<usize> {
    if n == 0 {
        Err(Error::new(format!(
            "{what} must be at least 1 (got 0): {hint}"
        )))
    } else if n > max {
        Err(Error::new(format!(
            "{what} = {n} is more than this helper allows ({max}): {hint}"
        )))
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
    crate::show::save(path, contents)
        .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))
}
