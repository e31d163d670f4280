//! Running one schedule by hand: the stepper, and the table it builds.

use super::lang::Ins;
use super::machine::Machine;
use super::outcome::End;
use crate::draw::Table;
use crate::error::{Error, ErrorKind, Result};
use crate::show::{Rendering, Show, escape_xml, shown_in_cells};

/// Runs a program one step at a time, with you as the scheduler: [`step`](Stepper::step)
/// moves the named thread. Made by [`Program::stepper`](super::Program::stepper).
///
/// # Examples
///
/// ```
/// use lab::explore::{Program, Step};
/// let p = Program::new().shared("x", 0)
///     .thread("A", [Step::read("x"), Step::add(1), Step::write("x")])
///     .thread("B", [Step::read("x"), Step::add(1), Step::write("x")]);
/// let mut s = p.stepper().unwrap();
/// for who in ["A", "B", "A", "A", "B", "B"] {
///     s.step(who).unwrap();
/// }
/// assert_eq!(s.replay().outcome(), "x = 1"); // one update lost
/// ```
#[derive(Clone, Debug)]
pub struct Stepper {
    program: Machine,
    state: Vec<i64>,
    rows: Vec<Vec<String>>,
    /// Set when a step failed (a check, a critical section) or deadlocked: the run is over.
    over: Option<End>,
    /// Why the last move given to [`play`](Stepper::play) was refused.
    refused: Option<String>,
}

impl Stepper {
    pub(crate) fn new(program: Machine) -> Stepper {
        Stepper {
            state: program.start(),
            program,
            rows: Vec::new(),
            over: None,
            refused: None,
        }
    }

    /// Plays moves in order (thread names) until one is refused; a refused move is not
    /// an error here: it is kept, and showing the stepper prints the table so far with the
    /// reason under it. What a puzzle cell wants: `you.play(["A", "B", "A"])`.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().thread("A", ["lock m", "unlock m"]).thread("B", ["lock m"]);
    /// let mut you = p.stepper().unwrap();
    /// you.play(["A", "B", "A"]);
    /// let run = you.replay();
    /// assert_eq!(run.rows().len(), 1); // B's move was refused, so A's second never ran
    /// assert!(run.refused().unwrap().contains("move 2 (B)"));
    /// ```
    pub fn play<S: AsRef<str>>(&mut self, moves: impl IntoIterator<Item = S>) -> &mut Stepper {
        self.refused = None;
        for (i, who) in moves.into_iter().enumerate() {
            if let Err(e) = self.step(who.as_ref()) {
                let why = e.message();
                self.refused = Some(format!("move {} ({}) refused: {why}", i + 1, who.as_ref()));
                break;
            }
        }
        self
    }

    /// Moves thread `name` one step and returns the table so far. An error (and no step)
    /// if that thread has finished, cannot move now (and why), or the run is over.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().shared("x", 0).thread("A", ["x = 1"]);
    /// let mut s = p.stepper().unwrap();
    /// assert_eq!(s.step("A").unwrap().outcome(), "x = 1");
    /// assert!(s.step("A").unwrap_err().to_string().contains("finished"));
    /// ```
    pub fn step(&mut self, name: &str) -> Result<Replay> {
        let p = &self.program;
        let t = p.thread_index(name)?;
        if let Some(end) = &self.over {
            return Err(Error::of(
                ErrorKind::Misuse,
                format!(
                    "the run is over ({}): make a new stepper to try another schedule",
                    p.label(end)
                ),
            ));
        }
        let Some(text) = p.next_text(&self.state, t).map(str::to_string) else {
            return Err(Error::of(
                ErrorKind::Misuse,
                format!(
                    "thread {name:?} has finished (it has no steps left): move another thread ({})",
                    self.movable_text()
                ),
            ));
        };
        if !p.can_move(&self.state, t) {
            return Err(Error::of(
                ErrorKind::Misuse,
                format!(
                    "thread {name:?} is waiting: its next step, {text}, cannot run yet ({}); move {}",
                    self.why_waiting(t),
                    self.movable_text()
                ),
            ));
        }
        let (state, end) = p.step(&self.state, t);
        self.state = state;
        self.over = end;
        let mut row = vec![(self.rows.len() + 1).to_string(), name.to_string(), text];
        for u in 0..p.threads.len() {
            row.extend(p.locals(&self.state, u).iter().map(|v| v.to_string()));
        }
        row.extend(p.shared(&self.state).iter().map(|v| v.to_string()));
        self.rows.push(row);
        Ok(self.replay())
    }

    fn why_waiting(&self, t: usize) -> String {
        let p = &self.program;
        match p.next_ins(&self.state, t) {
            Some(Ins::Lock(l)) => {
                let holder = p
                    .holder(&self.state, *l)
                    .map_or("another thread".to_string(), |u| format!("{:?}", p.name(u)));
                format!("{holder} holds {}", p.names.locks[*l])
            }
            Some(Ins::WaitUntil(_)) => "its condition is false now".to_string(),
            Some(Ins::Acquire(_)) => "the count is 0".to_string(),
            Some(Ins::Wake { cv, lock }) if p.sleep(&self.state, t) == -1 => {
                let holder = p
                    .holder(&self.state, *lock)
                    .map_or("another thread".to_string(), |u| format!("{:?}", p.name(u)));
                format!(
                    "notified on {}; {holder} holds {}",
                    p.names.condvars[*cv], p.names.locks[*lock]
                )
            }
            Some(Ins::Wake { cv, .. }) => {
                format!("asleep on {} until a notify", p.names.condvars[*cv])
            }
            _ => "blocked".to_string(),
        }
    }

    fn movable_text(&self) -> String {
        let can = self.can_move();
        if can.is_empty() {
            "none: no thread can move any more".to_string()
        } else {
            format!("one of {can:?}")
        }
    }

    /// The threads that can take a step now.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().thread("A", ["lock m", "unlock m"]).thread("B", ["lock m"]);
    /// let mut s = p.stepper().unwrap();
    /// s.step("A").unwrap();
    /// assert_eq!(s.can_move(), ["A"]); // B waits for m
    /// ```
    pub fn can_move(&self) -> Vec<String> {
        if self.over.is_some() {
            return Vec::new();
        }
        (0..self.program.threads.len())
            .filter(|&t| self.program.can_move(&self.state, t))
            .map(|t| self.program.name(t).to_string())
            .collect()
    }

    /// The table of the steps taken so far, with the outcome.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().shared("x", 0).thread("A", ["x = 1"]);
    /// assert_eq!(p.stepper().unwrap().replay().outcome(), "unfinished: x = 0");
    /// ```
    pub fn replay(&self) -> Replay {
        let p = &self.program;
        let mut header = vec!["#".to_string(), "thread".into(), "step".into()];
        for (name, code) in &p.threads {
            header.extend(code.locals.iter().map(|l| format!("{name}'s {l}")));
        }
        header.extend(p.names.shared.iter().map(|n| format!("{n} (shared)")));
        let outcome = match &self.over {
            Some(end) => p.label(end),
            None => p.label(&p.ending(&self.state)),
        };
        Replay {
            header,
            rows: self.rows.clone(),
            outcome,
            finished: self.over.is_none() && p.all_finished(&self.state),
            can_move: self.can_move(),
            refused: self.refused.clone(),
            positions: self.positions(),
        }
    }

    /// Where each thread is, one entry per thread: the step it runs next, or that it
    /// waits there and why, or that it has finished. Empty once every thread has finished.
    fn positions(&self) -> Vec<String> {
        let p = &self.program;
        if p.all_finished(&self.state) {
            return Vec::new();
        }
        (0..p.threads.len())
            .map(|t| {
                let name = p.name(t);
                match p.next_text(&self.state, t) {
                    None => format!("{name} finished"),
                    Some(text) if self.over.is_none() && p.can_move(&self.state, t) => {
                        format!("{name} next: {text}")
                    }
                    Some(text) if p.can_move(&self.state, t) => {
                        format!("{name} was to run: {text}")
                    }
                    Some(_) if p.sleep(&self.state, t) > 0 => match p.next_ins(&self.state, t) {
                        Some(Ins::Wake { cv, lock }) => format!(
                            "{name} sleeps in wait({}, {}) until a notify",
                            p.names.condvars[*cv], p.names.locks[*lock]
                        ),
                        _ => unreachable!("only a thread in a wait sleeps"),
                    },
                    Some(text) => format!("{name} waits at: {text} ({})", self.why_waiting(t)),
                }
            })
            .collect()
    }
}

/// One schedule, step by step: who moved, what the step was, every local and shared
/// value after it, and how it ended.
///
/// # Examples
///
/// ```
/// use lab::explore::{Program, Step};
/// let p = Program::new().shared("x", 0).thread("A", [Step::atomic_add("x", 2)]);
/// let run = p.replay(["A"]).unwrap();
/// assert_eq!(run.rows()[0][2], "atomic x += 2");
/// assert!(run.table().to_html().contains("atomic x += 2"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    outcome: String,
    finished: bool,
    can_move: Vec<String>,
    refused: Option<String>,
    /// Where each thread stands after the last step (see `Stepper::positions`).
    positions: Vec<String>,
}

impl Replay {
    /// Why the last move given to [`Stepper::play`] was refused, if one was.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().thread("A", ["x = 1"]);
    /// let mut you = p.stepper().unwrap();
    /// assert!(you.play(["A", "A"]).replay().refused().unwrap().contains("finished"));
    /// ```
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    /// The rows: step number, thread, step, then the values after it.
    ///
    /// # Examples
    ///
    /// ```
    /// let run = lab::explore::Program::new().shared("x", 0).thread("A", ["x = 1"]).replay(["A"]).unwrap();
    /// assert_eq!(run.rows()[0], ["1", "A", "x = 1", "1"]);
    /// ```
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// How the schedule ended: the shared values when every thread finished,
    /// `"unfinished: ..."` if some thread could still move, or what went wrong (a failed
    /// check, a deadlock, a thread stuck waiting).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = lab::explore::Program::new().shared("x", 0).thread("A", ["x = 1", "check x == 2"]);
    /// assert_eq!(p.replay(["A", "A"]).unwrap().outcome(), "check failed in A: x == 2");
    /// ```
    pub fn outcome(&self) -> &str {
        &self.outcome
    }

    /// The steps as a table (what displaying the replay shows).
    ///
    /// # Examples
    ///
    /// ```
    /// let run = lab::explore::Program::new().thread("A", ["x = 1"]).replay(["A"]).unwrap();
    /// assert!(run.table().to_string().contains("A's x"));
    /// ```
    pub fn table(&self) -> Table {
        let mut t = Table::new(self.header.iter());
        for r in &self.rows {
            t = t.row(r.iter());
        }
        t
    }

    /// The outcome (or who can move next), one line, after why a move was refused if
    /// one was.
    fn status(&self) -> String {
        let mut status = if self.finished {
            format!("finished: {}", self.outcome)
        } else if self.can_move.is_empty() {
            format!("ended: {}", self.outcome)
        } else {
            format!("next, any of: {}", self.can_move.join(", "))
        };
        if !self.finished && !self.positions.is_empty() {
            status = format!(
                "where each thread is: {}\n{status}",
                self.positions.join("; ")
            );
        }
        if let Some(why) = &self.refused {
            status = format!("{why}\n{status}");
        }
        status
    }
}

/// A replay shows its table, then its outcome.
impl Show for Replay {
    fn summary(&self) -> String {
        format!("{}\n{}", self.table(), self.status())
    }

    fn rendering(&self) -> Rendering {
        let status: String = self
            .status()
            .lines()
            .map(|line| format!("<p><b>{}</b></p>", escape_xml(line)))
            .collect();
        Rendering::Html(format!("{}\n{status}", self.table().to_html()))
    }
}
shown_in_cells!(
    Replay,
    r#"lab::explore::Program::new().thread("A", ["x = 1"]).replay(["A"]).unwrap()"#
);

/// A stepper shows the replay of its moves so far.
impl Show for Stepper {
    fn summary(&self) -> String {
        self.replay().summary()
    }

    fn rendering(&self) -> Rendering {
        self.replay().rendering()
    }
}
shown_in_cells!(
    Stepper,
    r#"lab::explore::Program::new().thread("A", ["x = 1"]).stepper().unwrap()"#
);
