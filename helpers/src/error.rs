//! One error type whose message fits on one line and says what to do.

use std::fmt;

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

    /// Shows the error as a cell's output: evcxr calls this for the last value of a cell.
    ///
    /// # Examples
    ///
    /// ```
    /// lab::Error::new("reps must be at least 1").evcxr_display();
    /// ```
    pub fn evcxr_display(&self) {
        crate::draw::emit_text_only(&format!("⚠ {}", self.message));
    }
}

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
