//! The step language: parsing a thread's lines and compiling them to instructions.
//!
//! One line is one step, executed indivisibly. Names declared with `Program::shared` are
//! shared variables; any other name on the left of `=` is a local of the thread, starting
//! at 0. Locks, critical sections and condition variables have their own names.
//!
//! A thread is checked before it is unrolled: its size (nested `repeat`s multiply) against
//! the limit, and its names, so that a typo (a local read before any step sets it, or set
//! and never read with a name a letter off a shared variable's) is an error, not a new
//! local that quietly changes the program.

use std::fmt;

use super::{MAX_STEPS_PER_THREAD, Step};
use crate::error::{Error, ErrorKind, Result};
use crate::show::fmt_count;

/// An expression over numbers, shared variables and the thread's locals.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    Num(i64),
    Shared(usize),
    Local(usize),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl Op {
    fn precedence(self) -> u8 {
        match self {
            Op::Or => 1,
            Op::And => 2,
            Op::Eq | Op::Ne => 3,
            Op::Lt | Op::Le | Op::Gt | Op::Ge => 4,
            Op::Add | Op::Sub => 5,
            Op::Mul | Op::Div | Op::Rem => 6,
        }
    }
}

/// Where an assignment writes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Place {
    Shared(usize),
    Local(usize),
}

/// One compiled instruction. All but `Goto` are steps a schedule chooses.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ins {
    Assign(Place, Expr),
    Lock(usize),
    Unlock(usize),
    TryLock(Place, usize),
    Cas {
        into: Place,
        var: usize,
        expected: Expr,
        new: Expr,
    },
    WaitUntil(Expr),
    Acquire(usize),
    Check(Expr),
    Enter(usize),
    Leave(usize),
    /// The first half of `wait(cv, m)`: unlock `m` and fall asleep on `cv`, in one step.
    Sleep {
        cv: usize,
        lock: usize,
    },
    /// The second half of `wait(cv, m)`: once notified and `m` is free, wake and lock `m`.
    Wake {
        cv: usize,
        lock: usize,
    },
    /// `notify_one(cv)` (`all: false`) or `notify_all(cv)`.
    Notify {
        cv: usize,
        all: bool,
    },
    /// Evaluates the condition (a step: it may read shared memory); jumps if false.
    JumpUnless(Expr, usize),
    /// Not a step: where an `if` branch ends.
    Goto(usize),
}

/// A thread, compiled: its instructions, each with the text a learner reads.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Code {
    pub(crate) ins: Vec<Ins>,
    pub(crate) text: Vec<String>,
    pub(crate) locals: Vec<String>,
}

/// Name tables shared by all threads while compiling.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Names {
    pub(crate) shared: Vec<String>,
    pub(crate) locks: Vec<String>,
    pub(crate) sections: Vec<String>,
    pub(crate) condvars: Vec<String>,
}

impl Names {
    fn lock(&mut self, name: &str) -> usize {
        intern(&mut self.locks, name)
    }
    fn section(&mut self, name: &str) -> usize {
        intern(&mut self.sections, name)
    }
    fn condvar(&mut self, name: &str) -> usize {
        intern(&mut self.condvars, name)
    }
    fn shared(&self, name: &str) -> Option<usize> {
        self.shared.iter().position(|n| n == name)
    }
}

fn intern(list: &mut Vec<String>, name: &str) -> usize {
    match list.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            list.push(name.to_string());
            list.len() - 1
        }
    }
}

/// A statement before compiling: blocks still nested. `line` is the step's number in
/// its thread (from 1); `reads` are the locals it reads, before it writes any.
enum Stmt {
    Simple {
        ins: Ins,
        text: String,
        line: usize,
        reads: Vec<usize>,
    },
    If {
        head: Head,
        then: Vec<Stmt>,
        otherwise: Vec<Stmt>,
    },
    Repeat(usize, Vec<Stmt>),
}

/// The line that opens an `if` block.
struct Head {
    cond: Expr,
    text: String,
    line: usize,
    reads: Vec<usize>,
}

/// The most times a `repeat` block may run (the loop is unrolled).
const MAX_REPEAT: usize = 16;

/// Compiles one thread's steps. Errors name the thread and the line.
pub(crate) fn compile(thread: &str, steps: &[Step], names: &mut Names) -> Result<Code> {
    let bad = |why: String| Error::of(ErrorKind::BadInput, why);
    let mut locals = Vec::new();
    // The one local of the first version's steps, which read it before writing it.
    let mut legacy_local = None;
    let mut stack: Vec<(Block, Vec<Stmt>)> = vec![(Block::Top, Vec::new())];
    for (i, step) in steps.iter().enumerate() {
        let line = i + 1;
        let at = |e: String| bad(format!("thread {thread:?}, step {line}: {e}"));
        let text = match step {
            Step::Line(text) => text.trim().to_string(),
            other => {
                let ins = legacy(other, names, &mut locals).map_err(at)?;
                legacy_local = Some(intern(&mut locals, "local"));
                stack.last_mut().expect("top").1.push(Stmt::Simple {
                    ins,
                    text: other.to_string(),
                    line,
                    reads: Vec::new(),
                });
                continue;
            }
        };
        let mut p = Parser::new(&text, names, &mut locals);
        let parsed = p.line().map_err(at)?;
        let reads = std::mem::take(&mut p.reads);
        match parsed {
            Parsed::Stmt(ins) => stack.last_mut().expect("top").1.push(Stmt::Simple {
                ins,
                text,
                line,
                reads,
            }),
            // One line, two steps: a thread asleep in a wait sits between them.
            Parsed::Wait { cv, lock } => {
                let (c, m) = (&names.condvars[cv], &names.locks[lock]);
                let body = &mut stack.last_mut().expect("top").1;
                body.push(Stmt::Simple {
                    ins: Ins::Sleep { cv, lock },
                    text: format!("wait({c}, {m}): unlock {m}, sleep"),
                    line,
                    reads: Vec::new(),
                });
                body.push(Stmt::Simple {
                    ins: Ins::Wake { cv, lock },
                    text: format!("wait({c}, {m}): woken, lock {m}"),
                    line,
                    reads: Vec::new(),
                });
            }
            Parsed::OpenIf(cond) => stack.push((
                Block::If(Head {
                    cond,
                    text,
                    line,
                    reads,
                }),
                Vec::new(),
            )),
            Parsed::OpenRepeat(n) => stack.push((Block::Repeat(n), Vec::new())),
            Parsed::Else => match stack.pop() {
                Some((Block::If(head), then)) => stack.push((Block::Else(head, then), Vec::new())),
                _ => return Err(at("`} else {` without an open `if ... {`".into())),
            },
            Parsed::Close => {
                let (block, body) = stack.pop().expect("top");
                let stmt = match block {
                    Block::Top => return Err(at("`}` without an open block".into())),
                    Block::If(head) => Stmt::If {
                        head,
                        then: body,
                        otherwise: Vec::new(),
                    },
                    Block::Else(head, then) => Stmt::If {
                        head,
                        then,
                        otherwise: body,
                    },
                    Block::Repeat(n) => Stmt::Repeat(n, body),
                };
                stack.last_mut().expect("top").1.push(stmt);
            }
        }
    }
    if stack.len() > 1 {
        return Err(bad(format!(
            "thread {thread:?}: a block is not closed: add a line \"}}\""
        )));
    }
    let body = stack.pop().expect("top").1;
    // Counted before unrolling: nested `repeat`s multiply, and unrolling 16^8 copies of
    // a line would exhaust the memory long before the limit was checked.
    let size = size(&body);
    if size == 0 {
        return Err(Error::of(
            ErrorKind::Empty,
            format!(
                "thread {thread:?} has no steps (its repeat blocks are empty): give it at least one"
            ),
        ));
    }
    if size > MAX_STEPS_PER_THREAD as u64 {
        return Err(Error::of(
            ErrorKind::Limit,
            format!(
                "thread {thread:?} has {} steps (repeat blocks unrolled); the explorer takes at most \
             {MAX_STEPS_PER_THREAD}: use fewer steps or smaller repeat counts",
                fmt_count(size)
            ),
        ));
    }
    check_names(thread, &body, names, &locals, legacy_local).map_err(bad)?;
    let mut code = Code {
        ins: Vec::new(),
        text: Vec::new(),
        locals,
    };
    emit(&body, &mut code);
    Ok(code)
}

enum Block {
    Top,
    If(Head),
    Else(Head, Vec<Stmt>),
    Repeat(usize),
}

/// How many instructions `body` unrolls to (saturating: only compared with the limit).
fn size(body: &[Stmt]) -> u64 {
    body.iter()
        .map(|stmt| match stmt {
            Stmt::Simple { .. } => 1,
            Stmt::If {
                then, otherwise, ..
            } => {
                let other = if otherwise.is_empty() {
                    0
                } else {
                    1 + size(otherwise)
                };
                (1 + size(then)).saturating_add(other)
            }
            Stmt::Repeat(n, inner) => (*n as u64).saturating_mul(size(inner)),
        })
        .fold(0, u64::saturating_add)
}

/// The local an instruction writes, if any.
fn writes(ins: &Ins) -> Option<usize> {
    match ins {
        Ins::Assign(Place::Local(i), _)
        | Ins::TryLock(Place::Local(i), _)
        | Ins::Cas {
            into: Place::Local(i),
            ..
        } => Some(*i),
        _ => None,
    }
}

/// Refuses what is almost surely a typo: reading a local that no earlier step of the
/// thread sets (`counter = countr + 1`, `check redy == 0`), or setting a local that no
/// step reads whose name is a letter or two from a shared variable's (`countr = 1`).
///
/// "Earlier" is in the order the steps run: a write later in a `repeat` body comes
/// before a read in the body's next round (a local starts at 0, so a loop may rely on
/// that); a write in either branch of an `if` counts after it.
fn check_names(
    thread: &str,
    body: &[Stmt],
    names: &Names,
    locals: &[String],
    legacy_local: Option<usize>,
) -> std::result::Result<(), String> {
    let mut written = vec![false; locals.len()];
    let mut read = vec![false; locals.len()];
    if let Some(l) = legacy_local {
        written[l] = true;
        read[l] = true;
    }
    if let Err((line, local)) = flow(body, &mut written, &mut read) {
        let name = &locals[local];
        let hint = match nearest(name, &names.shared) {
            Some(shared) => format!("did you mean {shared:?}? If not, to"),
            None => "to".into(),
        };
        return Err(format!(
            "thread {thread:?}, step {line}: {name:?} is neither a shared variable nor set by an \
             earlier step of {thread}: {hint} declare a shared variable use .shared({name:?}, 0); \
             for a local, set it first ({name} = 0)"
        ));
    }
    // A local set but never read: harmless (a replay's table shows it), unless its name
    // is that close to a shared variable's.
    let mut unread = Vec::new();
    first_writes(body, &read, &mut unread);
    for (line, local) in unread {
        let name = &locals[local];
        if let Some(shared) = nearest(name, &names.shared).filter(|s| close(name, s)) {
            return Err(format!(
                "thread {thread:?}, step {line}: sets {name:?}, a local of {thread} that no step \
                 reads: did you mean the shared variable {shared:?}?"
            ));
        }
    }
    Ok(())
}

/// Walks `body` in the order it runs; the first read of a local not yet written, as
/// (line, local), is an error. Marks every local read in `read`.
fn flow(
    body: &[Stmt],
    written: &mut Vec<bool>,
    read: &mut [bool],
) -> std::result::Result<(), (usize, usize)> {
    let uses = |reads: &[usize], line: usize, written: &[bool], read: &mut [bool]| {
        for &r in reads {
            read[r] = true;
            if !written[r] {
                return Err((line, r));
            }
        }
        Ok(())
    };
    for stmt in body {
        match stmt {
            Stmt::Simple {
                ins, line, reads, ..
            } => {
                uses(reads, *line, written, read)?;
                if let Some(w) = writes(ins) {
                    written[w] = true;
                }
            }
            Stmt::If {
                head,
                then,
                otherwise,
            } => {
                uses(&head.reads, head.line, written, read)?;
                let mut other = written.clone();
                flow(then, written, read)?;
                flow(otherwise, &mut other, read)?;
                for (w, o) in written.iter_mut().zip(other) {
                    *w |= o;
                }
            }
            Stmt::Repeat(n, inner) => {
                if *n > 1 {
                    mark_writes(inner, written);
                }
                flow(inner, written, read)?;
            }
        }
    }
    Ok(())
}

fn mark_writes(body: &[Stmt], written: &mut [bool]) {
    for stmt in body {
        match stmt {
            Stmt::Simple { ins, .. } => {
                if let Some(w) = writes(ins) {
                    written[w] = true;
                }
            }
            Stmt::If {
                then, otherwise, ..
            } => {
                mark_writes(then, written);
                mark_writes(otherwise, written);
            }
            Stmt::Repeat(_, inner) => mark_writes(inner, written),
        }
    }
}

/// The first step that writes each local never read, as (line, local), in line order.
fn first_writes(body: &[Stmt], read: &[bool], out: &mut Vec<(usize, usize)>) {
    for stmt in body {
        match stmt {
            Stmt::Simple { ins, line, .. } => {
                if let Some(w) = writes(ins).filter(|&w| !read[w])
                    && out.iter().all(|&(_, l)| l != w)
                {
                    out.push((*line, w));
                }
            }
            Stmt::If {
                then, otherwise, ..
            } => {
                first_writes(then, read, out);
                first_writes(otherwise, read, out);
            }
            Stmt::Repeat(_, inner) => first_writes(inner, read, out),
        }
    }
    out.sort();
}

/// The shared variable whose name is nearest to `name` (edit distance; the first
/// declared on a tie), if any is declared.
fn nearest<'n>(name: &str, shared: &'n [String]) -> Option<&'n str> {
    shared
        .iter()
        .min_by_key(|s| distance(name, s))
        .map(String::as_str)
}

/// Whether `name` is close enough to shared variable `shared` to be a typo of it: at
/// most two edits, and no more than a third of its letters (`countr` for `counter`,
/// not `b` for `a`).
fn close(name: &str, shared: &str) -> bool {
    let d = distance(&name.to_lowercase(), &shared.to_lowercase());
    d <= 2 && 3 * d <= shared.chars().count()
}

/// Levenshtein distance: insertions, deletions and substitutions of one letter.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + (ca != cb) as usize)
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

fn emit(body: &[Stmt], code: &mut Code) {
    for stmt in body {
        match stmt {
            Stmt::Simple { ins, text, .. } => {
                code.ins.push(ins.clone());
                code.text.push(text.clone());
            }
            Stmt::Repeat(n, inner) => {
                for _ in 0..*n {
                    emit(inner, code);
                }
            }
            Stmt::If {
                head,
                then,
                otherwise,
            } => {
                let cond = &head.cond;
                let jump = code.ins.len();
                code.ins.push(Ins::JumpUnless(cond.clone(), 0));
                code.text
                    .push(head.text.trim_end_matches('{').trim().to_string());
                emit(then, code);
                if otherwise.is_empty() {
                    let end = code.ins.len();
                    code.ins[jump] = Ins::JumpUnless(cond.clone(), end);
                } else {
                    let goto = code.ins.len();
                    code.ins.push(Ins::Goto(0));
                    code.text.push("(end of if)".into());
                    let other = code.ins.len();
                    code.ins[jump] = Ins::JumpUnless(cond.clone(), other);
                    emit(otherwise, code);
                    let end = code.ins.len();
                    code.ins[goto] = Ins::Goto(end);
                }
            }
        }
    }
}

/// The first five step kinds, kept from the first version: one implicit local, `local`.
fn legacy(
    step: &Step,
    names: &mut Names,
    locals: &mut Vec<String>,
) -> std::result::Result<Ins, String> {
    let var = |v: &str| {
        names
            .shared(v)
            .ok_or_else(|| format!("{v:?} is not declared: add .shared({v:?}, start)"))
    };
    let li = intern(locals, "local");
    let local = Place::Local(li);
    let local_expr = || Expr::Local(li);
    Ok(match step {
        Step::Read(v) => Ins::Assign(local, Expr::Shared(var(v)?)),
        Step::Add(n) => Ins::Assign(
            local,
            Expr::Bin(Op::Add, Box::new(local_expr()), Box::new(Expr::Num(*n))),
        ),
        Step::Write(v) => Ins::Assign(Place::Shared(var(v)?), local_expr()),
        Step::AtomicAdd(v, n) => {
            let i = var(v)?;
            Ins::Assign(
                Place::Shared(i),
                Expr::Bin(Op::Add, Box::new(Expr::Shared(i)), Box::new(Expr::Num(*n))),
            )
        }
        Step::Lock(l) => Ins::Lock(names.lock(l)),
        Step::Unlock(l) => Ins::Unlock(names.lock(l)),
        Step::Line(_) => unreachable!("lines are parsed"),
    })
}

enum Parsed {
    Stmt(Ins),
    /// `wait(cv, m)`: two steps (see [`Ins::Sleep`] and [`Ins::Wake`]).
    Wait {
        cv: usize,
        lock: usize,
    },
    OpenIf(Expr),
    OpenRepeat(usize),
    Else,
    Close,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(i64),
    Name(String),
    Sym(&'static str),
}

struct Parser<'a> {
    toks: Vec<Tok>,
    at: usize,
    names: &'a mut Names,
    locals: &'a mut Vec<String>,
    /// The locals this line reads, in order.
    reads: Vec<usize>,
    bad: Option<String>,
}

const SYMBOLS: [&str; 22] = [
    "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "<", ">", "=", "+", "-", "*", "/", "%", "!",
    "(", ")", ",", "{", "}",
];

impl<'a> Parser<'a> {
    fn new(line: &str, names: &'a mut Names, locals: &'a mut Vec<String>) -> Parser<'a> {
        let mut toks = Vec::new();
        let mut bad = None;
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        'outer: while i < chars.len() {
            let c = chars[i];
            if c.is_whitespace() {
                i += 1;
            } else if c.is_ascii_digit() {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '_') {
                    i += 1;
                }
                let digits: String = chars[start..i].iter().filter(|c| **c != '_').collect();
                match digits.parse() {
                    Ok(n) => toks.push(Tok::Num(n)),
                    Err(_) => bad = Some(format!("{digits} is too big a number")),
                }
            } else if c.is_alphabetic() || c == '_' {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                toks.push(Tok::Name(chars[start..i].iter().collect()));
            } else {
                let rest: String = chars[i..].iter().take(2).collect();
                for s in SYMBOLS {
                    if rest.starts_with(s) {
                        toks.push(Tok::Sym(s));
                        i += s.chars().count();
                        continue 'outer;
                    }
                }
                bad = Some(format!("unexpected {c:?}"));
                break;
            }
        }
        Parser {
            toks,
            at: 0,
            names,
            locals,
            reads: Vec::new(),
            bad,
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn eat(&mut self, sym: &str) -> bool {
        let found = self.is_sym(sym);
        if found {
            self.at += 1;
        }
        found
    }

    fn is_sym(&self, sym: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym)
    }

    fn expect_sym(&mut self, sym: &str) -> std::result::Result<(), String> {
        if self.is_sym(sym) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected {sym:?} {}", self.here()))
        }
    }

    fn here(&self) -> String {
        match self.peek() {
            None => "at the end of the line".into(),
            Some(Tok::Num(n)) => format!("before {n}"),
            Some(Tok::Name(n)) => format!("before {n:?}"),
            Some(Tok::Sym(s)) => format!("before {s:?}"),
        }
    }

    fn name(&mut self, what: &str) -> std::result::Result<String, String> {
        match self.next() {
            Some(Tok::Name(n)) => Ok(n),
            _ => Err(format!("expected {what}")),
        }
    }

    fn done(&self) -> std::result::Result<(), String> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(format!("unexpected text {}", self.here())),
        }
    }

    fn place(&mut self, name: &str) -> Place {
        match self.names.shared(name) {
            Some(i) => Place::Shared(i),
            None => Place::Local(intern(self.locals, name)),
        }
    }

    fn line(&mut self) -> std::result::Result<Parsed, String> {
        if let Some(bad) = self.bad.take() {
            return Err(bad);
        }
        if self.toks.is_empty() {
            return Err("an empty step: write what the thread does".into());
        }
        if self.is_sym("}") {
            self.at += 1;
            if matches!(self.peek(), Some(Tok::Name(n)) if n == "else") {
                self.at += 1;
                self.expect_sym("{")?;
                self.done()?;
                return Ok(Parsed::Else);
            }
            self.done()?;
            return Ok(Parsed::Close);
        }
        let Some(Tok::Name(first)) = self.peek().cloned() else {
            return Err(format!(
                "a step starts with a name or a keyword, not {}",
                self.here()
            ));
        };
        self.at += 1;
        let keyword = |p: &mut Parser, s: &str| -> std::result::Result<Parsed, String> {
            Err(format!("{s} {}", p.here()))
        };
        let parsed = match first.as_str() {
            "lock" | "unlock" | "enter" | "leave" | "acquire" | "release"
                if matches!(self.peek(), Some(Tok::Name(_))) =>
            {
                let name = self.name("a name")?;
                Parsed::Stmt(match first.as_str() {
                    "lock" => Ins::Lock(self.names.lock(&name)),
                    "unlock" => Ins::Unlock(self.names.lock(&name)),
                    "enter" => Ins::Enter(self.names.section(&name)),
                    "leave" => Ins::Leave(self.names.section(&name)),
                    _ => {
                        let Some(v) = self.names.shared(&name) else {
                            return Err(format!(
                                "{first} needs a shared variable (a semaphore's count): add .shared({name:?}, 1)"
                            ));
                        };
                        if first == "acquire" {
                            Ins::Acquire(v)
                        } else {
                            Ins::Assign(
                                Place::Shared(v),
                                Expr::Bin(
                                    Op::Add,
                                    Box::new(Expr::Shared(v)),
                                    Box::new(Expr::Num(1)),
                                ),
                            )
                        }
                    }
                })
            }
            "wait" if self.eat("(") => {
                let cv = self.name("a condition variable's name: wait(cv, m)")?;
                self.expect_sym(",")?;
                let lock = self.name("a lock's name: wait(cv, m)")?;
                self.expect_sym(")")?;
                Parsed::Wait {
                    cv: self.names.condvar(&cv),
                    lock: self.names.lock(&lock),
                }
            }
            "wait" => {
                if !matches!(self.next(), Some(Tok::Name(n)) if n == "until") {
                    return keyword(
                        self,
                        "write `wait until <condition>` (a spin-wait) or `wait(cv, m)` (a \
                         condition variable),",
                    );
                }
                Parsed::Stmt(Ins::WaitUntil(self.expr()?))
            }
            "notify_one" | "notify_all" if self.eat("(") => {
                let cv = self.name("a condition variable's name")?;
                self.expect_sym(")")?;
                Parsed::Stmt(Ins::Notify {
                    cv: self.names.condvar(&cv),
                    all: first == "notify_all",
                })
            }
            "check" => Parsed::Stmt(Ins::Check(self.expr()?)),
            "if" => {
                let cond = self.expr()?;
                self.expect_sym("{")?;
                Parsed::OpenIf(cond)
            }
            "repeat" => {
                let n = match self.next() {
                    Some(Tok::Num(n)) if (1..=MAX_REPEAT as i64).contains(&n) => n as usize,
                    _ => {
                        return Err(format!(
                            "write `repeat N {{` with N from 1 to {MAX_REPEAT} (loops are unrolled)"
                        ));
                    }
                };
                self.expect_sym("{")?;
                Parsed::OpenRepeat(n)
            }
            "while" | "loop" | "for" => {
                return Err(format!(
                    "no `{first}` loops (every schedule must end): use `repeat N {{ ... }}`, or \
                     `wait until <condition>` for a spin-wait"
                ));
            }
            _ => {
                let target = self.place(&first);
                if self.eat("+=") || self.eat("-=") {
                    let op = if matches!(self.toks[self.at - 1], Tok::Sym("+=")) {
                        Op::Add
                    } else {
                        Op::Sub
                    };
                    let rhs = self.expr()?;
                    let current = match target {
                        Place::Shared(i) => Expr::Shared(i),
                        Place::Local(i) => {
                            self.reads.push(i);
                            Expr::Local(i)
                        }
                    };
                    Parsed::Stmt(Ins::Assign(
                        target,
                        Expr::Bin(op, Box::new(current), Box::new(rhs)),
                    ))
                } else {
                    self.expect_sym("=").map_err(|_| {
                        format!(
                            "{first:?} is not a step: write `x = <expression>`, lock, unlock, \
                             wait until, wait(cv, m), notify_one(cv), notify_all(cv), check, \
                             enter, leave, acquire, release, if, repeat"
                        )
                    })?;
                    match self.peek().cloned() {
                        Some(Tok::Name(f)) if f == "try_lock" => {
                            self.at += 1;
                            let lock = self.name("a lock's name after try_lock")?;
                            Parsed::Stmt(Ins::TryLock(target, self.names.lock(&lock)))
                        }
                        Some(Tok::Name(f)) if f == "cas" => {
                            self.at += 1;
                            self.expect_sym("(")?;
                            let var = self.name("a shared variable")?;
                            let Some(var) = self.names.shared(&var) else {
                                return Err(format!(
                                    "cas works on a shared variable: add .shared({var:?}, start)"
                                ));
                            };
                            self.expect_sym(",")?;
                            let expected = self.expr()?;
                            self.expect_sym(",")?;
                            let new = self.expr()?;
                            self.expect_sym(")")?;
                            Parsed::Stmt(Ins::Cas {
                                into: target,
                                var,
                                expected,
                                new,
                            })
                        }
                        _ => Parsed::Stmt(Ins::Assign(target, self.expr()?)),
                    }
                }
            }
        };
        self.done()?;
        Ok(parsed)
    }

    fn expr(&mut self) -> std::result::Result<Expr, String> {
        self.binary(1)
    }

    fn binary(&mut self, min: u8) -> std::result::Result<Expr, String> {
        let mut lhs = self.unary()?;
        while let Some(op) = self.peek_op().filter(|op| op.precedence() >= min) {
            self.at += 1;
            let rhs = self.binary(op.precedence() + 1)?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn peek_op(&self) -> Option<Op> {
        let Some(Tok::Sym(s)) = self.peek() else {
            return None;
        };
        Some(match *s {
            "*" => Op::Mul,
            "/" => Op::Div,
            "%" => Op::Rem,
            "+" => Op::Add,
            "-" => Op::Sub,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "&&" => Op::And,
            "||" => Op::Or,
            _ => return None,
        })
    }

    fn unary(&mut self) -> std::result::Result<Expr, String> {
        match self.next() {
            Some(Tok::Num(n)) => Ok(Expr::Num(n)),
            Some(Tok::Name(n)) if n == "true" => Ok(Expr::Num(1)),
            Some(Tok::Name(n)) if n == "false" => Ok(Expr::Num(0)),
            Some(Tok::Name(n)) => Ok(match self.names.shared(&n) {
                Some(i) => Expr::Shared(i),
                None => {
                    let i = intern(self.locals, &n);
                    self.reads.push(i);
                    Expr::Local(i)
                }
            }),
            Some(Tok::Sym("-")) => Ok(Expr::Neg(Box::new(self.unary()?))),
            Some(Tok::Sym("!")) => Ok(Expr::Not(Box::new(self.unary()?))),
            Some(Tok::Sym("(")) => {
                let e = self.expr()?;
                self.expect_sym(")")?;
                Ok(e)
            }
            _ => {
                self.at -= 1;
                Err(format!("expected a value {}", self.here()))
            }
        }
    }
}

/// Evaluates `e`; `None` on a division by zero.
pub(crate) fn eval(e: &Expr, shared: &[i64], locals: &[i64]) -> Option<i64> {
    Some(match e {
        Expr::Num(n) => *n,
        Expr::Shared(i) => shared[*i],
        Expr::Local(i) => locals[*i],
        Expr::Not(x) => (eval(x, shared, locals)? == 0) as i64,
        Expr::Neg(x) => eval(x, shared, locals)?.wrapping_neg(),
        Expr::Bin(op, a, b) => {
            let a = eval(a, shared, locals)?;
            // && and || short-circuit, as in Rust.
            match op {
                Op::And if a == 0 => return Some(0),
                Op::Or if a != 0 => return Some(1),
                _ => {}
            }
            let b = eval(b, shared, locals)?;
            match op {
                Op::Mul => a.wrapping_mul(b),
                Op::Div => a.checked_div(b)?,
                Op::Rem => a.checked_rem(b)?,
                Op::Add => a.wrapping_add(b),
                Op::Sub => a.wrapping_sub(b),
                Op::Lt => (a < b) as i64,
                Op::Le => (a <= b) as i64,
                Op::Gt => (a > b) as i64,
                Op::Ge => (a >= b) as i64,
                Op::Eq => (a == b) as i64,
                Op::Ne => (a != b) as i64,
                Op::And | Op::Or => (b != 0) as i64,
            }
        }
    })
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Mul => "*",
            Op::Div => "/",
            Op::Rem => "%",
            Op::Add => "+",
            Op::Sub => "-",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::And => "&&",
            Op::Or => "||",
        })
    }
}
