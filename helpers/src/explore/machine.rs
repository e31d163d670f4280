//! The machine that runs a compiled program: its state, one step, and how a state ends.
//!
//! A state is one `Vec<i64>`: each thread's position, each lock's holder (+1; 0 when
//! free), each critical section's occupants (a bit per thread), when the program has
//! condition variables each thread's place in a wait (see [`Machine::sleep`]), the shared
//! variables, then every thread's locals. A step that ends the schedule (a failed check, a lock
//! taken twice) says so with a typed [`End`]; so does [`Machine::ending`] for a state
//! where no thread can move. Nothing here writes a label: that is the outcome layer's.

use super::lang::{self, Code, Expr, Ins, Names, Place};
use super::outcome::{End, Failure, Stop, Wait};
use crate::error::{Error, ErrorKind, Result};

/// A program, compiled: what the explorer, the stepper and the samplers run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Machine {
    pub(crate) threads: Vec<(String, Code)>,
    pub(crate) names: Names,
    start: Vec<i64>,
    locks_at: usize,
    sections_at: usize,
    /// Each thread's place in a wait: 0 when not asleep, r > 0 asleep and r-th in its
    /// condition variable's queue, -1 notified (waiting only for the lock). No slots when
    /// the program has no condition variables.
    sleeps_at: usize,
    shared_at: usize,
    locals_at: Vec<usize>,
    /// For each thread and position, the first position whose step reads the same: two
    /// endings at steps that read alike are one outcome.
    same_text: Vec<Vec<u32>>,
}

impl Machine {
    pub(crate) fn new(threads: Vec<(String, Code)>, names: Names, shared: Vec<i64>) -> Machine {
        let n = threads.len();
        let locks_at = n;
        let sections_at = locks_at + names.locks.len();
        let sleeps_at = sections_at + names.sections.len();
        let shared_at = sleeps_at + if names.condvars.is_empty() { 0 } else { n };
        let mut locals_at = Vec::with_capacity(n);
        let mut at = shared_at + shared.len();
        for (_, code) in &threads {
            locals_at.push(at);
            at += code.locals.len();
        }
        let mut start = vec![0; at];
        start[shared_at..shared_at + shared.len()].copy_from_slice(&shared);
        let same_text = threads
            .iter()
            .map(|(_, code)| {
                (0..code.text.len())
                    .map(|pc| {
                        code.text
                            .iter()
                            .position(|t| *t == code.text[pc])
                            .unwrap_or(pc) as u32
                    })
                    .collect()
            })
            .collect();
        let mut m = Machine {
            threads,
            names,
            start,
            locks_at,
            sections_at,
            sleeps_at,
            shared_at,
            locals_at,
            same_text,
        };
        for t in 0..n {
            let pc = m.settle(t, 0);
            m.start[t] = pc as i64;
        }
        m
    }

    pub(crate) fn start(&self) -> Vec<i64> {
        self.start.clone()
    }

    /// Every instruction of every thread (untaken branches included).
    pub(crate) fn steps(&self) -> usize {
        self.threads.iter().map(|(_, c)| c.ins.len()).sum()
    }

    pub(crate) fn name(&self, t: usize) -> &str {
        &self.threads[t].0
    }

    pub(crate) fn pc(&self, s: &[i64], t: usize) -> usize {
        s[t] as usize
    }

    pub(crate) fn finished(&self, s: &[i64], t: usize) -> bool {
        self.pc(s, t) >= self.threads[t].1.ins.len()
    }

    pub(crate) fn all_finished(&self, s: &[i64]) -> bool {
        (0..self.threads.len()).all(|t| self.finished(s, t))
    }

    pub(crate) fn shared<'s>(&self, s: &'s [i64]) -> &'s [i64] {
        &s[self.shared_at..self.shared_at + self.names.shared.len()]
    }

    pub(crate) fn locals<'s>(&self, s: &'s [i64], t: usize) -> &'s [i64] {
        let at = self.locals_at[t];
        &s[at..at + self.threads[t].1.locals.len()]
    }

    pub(crate) fn holder(&self, s: &[i64], lock: usize) -> Option<usize> {
        let h = s[self.locks_at + lock];
        (h > 0).then(|| h as usize - 1)
    }

    /// Thread `t`'s place in a wait: 0 when it is not asleep, r > 0 when it sleeps r-th in
    /// line on a condition variable, -1 when notified and waiting only for the lock.
    pub(crate) fn sleep(&self, s: &[i64], t: usize) -> i64 {
        if self.names.condvars.is_empty() {
            0
        } else {
            s[self.sleeps_at + t]
        }
    }

    /// The threads asleep on condition variable `cv` (not yet notified).
    fn sleepers(&self, s: &[i64], cv: usize) -> impl Iterator<Item = usize> {
        (0..self.threads.len()).filter(move |&u| {
            self.sleep(s, u) > 0
                && matches!(self.next_ins(s, u), Some(Ins::Wake { cv: c, .. }) if *c == cv)
        })
    }

    /// Thread `t`'s next instruction, if it has one.
    pub(crate) fn next_ins(&self, s: &[i64], t: usize) -> Option<&Ins> {
        self.threads[t].1.ins.get(self.pc(s, t))
    }

    /// The text of thread `t`'s next step, if it has one.
    pub(crate) fn next_text(&self, s: &[i64], t: usize) -> Option<&str> {
        self.threads[t]
            .1
            .text
            .get(self.pc(s, t))
            .map(String::as_str)
    }

    /// The text of thread `t`'s step at `pc`, as [`same_text`](Machine::same_text) names it.
    pub(crate) fn text(&self, t: usize, pc: u32) -> &str {
        &self.threads[t].1.text[pc as usize]
    }

    /// The first position of thread `t` whose step reads like the one at `pc`.
    fn same_text(&self, t: usize, pc: usize) -> u32 {
        self.same_text[t][pc]
    }

    /// Follows `Goto`s (not steps) from `pc`.
    fn settle(&self, t: usize, mut pc: usize) -> usize {
        let code = &self.threads[t].1;
        while let Some(Ins::Goto(to)) = code.ins.get(pc) {
            pc = *to;
        }
        pc
    }

    fn eval(&self, s: &[i64], t: usize, e: &Expr) -> Option<i64> {
        lang::eval(e, self.shared(s), self.locals(s, t))
    }

    /// Whether thread `t` can take its next step now.
    pub(crate) fn can_move(&self, s: &[i64], t: usize) -> bool {
        let code = &self.threads[t].1;
        match code.ins.get(self.pc(s, t)) {
            None => false,
            Some(Ins::Lock(l)) => self.holder(s, *l).is_none_or(|h| h == t),
            Some(Ins::WaitUntil(e)) => self.eval(s, t, e).is_none_or(|v| v != 0),
            Some(Ins::Acquire(v)) => self.shared(s)[*v] > 0,
            // Mesa semantics: a notify makes the sleeper runnable, and it then competes
            // for the lock like any other thread.
            Some(Ins::Wake { lock, .. }) => {
                self.sleep(s, t) == -1 && self.holder(s, *lock).is_none()
            }
            Some(_) => true,
        }
    }

    fn set(&self, s: &mut [i64], t: usize, place: Place, v: i64) {
        match place {
            Place::Shared(i) => s[self.shared_at + i] = v,
            Place::Local(i) => s[self.locals_at[t] + i] = v,
        }
    }

    /// Thread `t` takes its next step (the caller checked `can_move`): the new state, and
    /// how the schedule ended if this step ended it.
    pub(crate) fn step(&self, s: &[i64], t: usize) -> (Vec<i64>, Option<End>) {
        let mut n = Vec::with_capacity(s.len());
        let stop = self.step_into(s, t, &mut n);
        (n, stop.map(End::from))
    }

    /// [`step`](Machine::step) into a buffer the caller reuses (the explorer's hot path):
    /// `None` if the thread moved on, or how this step ended the schedule.
    pub(crate) fn step_into(&self, s: &[i64], t: usize, n: &mut Vec<i64>) -> Option<Stop> {
        n.clear();
        n.extend_from_slice(s);
        let pc = self.pc(s, t);
        let code = &self.threads[t].1;
        let mut next_pc = pc + 1;
        let failed = |f: Failure| Some(Stop::Failed(f));
        macro_rules! eval {
            ($e:expr) => {
                match self.eval(s, t, $e) {
                    Some(v) => v,
                    None => {
                        return failed(Failure::DividesByZero {
                            thread: t,
                            step: self.same_text(t, pc),
                        });
                    }
                }
            };
        }
        match &code.ins[pc] {
            Ins::Assign(place, e) => {
                let v = eval!(e);
                self.set(n, t, *place, v);
            }
            Ins::Lock(l) => {
                if self.holder(s, *l) == Some(t) {
                    return Some(Stop::LocksTwice {
                        thread: t,
                        lock: *l,
                    });
                }
                n[self.locks_at + l] = t as i64 + 1;
            }
            Ins::Unlock(l) => {
                if self.holder(s, *l) != Some(t) {
                    return failed(Failure::UnlocksUnheld {
                        thread: t,
                        lock: *l,
                    });
                }
                n[self.locks_at + l] = 0;
            }
            Ins::TryLock(place, l) => {
                let free = self.holder(s, *l).is_none();
                if free {
                    n[self.locks_at + l] = t as i64 + 1;
                }
                self.set(n, t, *place, free as i64);
            }
            Ins::Cas {
                into,
                var,
                expected,
                new,
            } => {
                let (want, new) = (eval!(expected), eval!(new));
                let swapped = self.shared(s)[*var] == want;
                if swapped {
                    n[self.shared_at + var] = new;
                }
                self.set(n, t, *into, swapped as i64);
            }
            Ins::WaitUntil(e) => {
                eval!(e);
            }
            Ins::Acquire(v) => n[self.shared_at + v] -= 1,
            Ins::Sleep { cv, lock } => {
                if self.holder(s, *lock) != Some(t) {
                    return failed(Failure::WaitsUnheld {
                        thread: t,
                        cv: *cv,
                        lock: *lock,
                    });
                }
                n[self.locks_at + lock] = 0;
                n[self.sleeps_at + t] = 1 + self.sleepers(s, *cv).count() as i64;
            }
            Ins::Wake { lock, .. } => {
                n[self.locks_at + lock] = t as i64 + 1;
                n[self.sleeps_at + t] = 0;
            }
            Ins::Notify { cv, all } => {
                // Wakes the thread asleep longest (or all); with nobody asleep, it is lost.
                for u in self.sleepers(s, *cv) {
                    let at = self.sleeps_at + u;
                    n[at] = if *all || n[at] == 1 { -1 } else { n[at] - 1 };
                }
            }
            Ins::Check(e) => {
                if eval!(e) == 0 {
                    return failed(Failure::Check {
                        thread: t,
                        step: self.same_text(t, pc),
                    });
                }
            }
            Ins::Enter(c) => {
                let at = self.sections_at + c;
                let inside = n[at] | (1 << t);
                n[at] = inside;
                if inside != 1 << t {
                    return failed(Failure::BothIn {
                        threads: inside as u32,
                        section: *c,
                    });
                }
            }
            Ins::Leave(c) => {
                let at = self.sections_at + c;
                if n[at] & (1 << t) == 0 {
                    return failed(Failure::LeavesUnentered {
                        thread: t,
                        section: *c,
                    });
                }
                n[at] &= !(1 << t);
            }
            Ins::JumpUnless(e, to) => {
                if eval!(e) == 0 {
                    next_pc = *to;
                }
            }
            Ins::Goto(to) => next_pc = *to,
        }
        n[t] = self.settle(t, next_pc) as i64;
        None
    }

    /// How state `s` ends a schedule when it is the last: every thread finished, some
    /// thread could still move (a replay stopped early), or no unfinished thread can move,
    /// and why.
    pub(crate) fn ending(&self, s: &[i64]) -> End {
        let n = self.threads.len();
        if self.all_finished(s) {
            // Every thread ran all its steps, but a lock never unlocked is a bug too.
            let held = (0..self.names.locks.len())
                .filter_map(|l| self.holder(s, l).map(|h| (h, l)))
                .collect();
            return End::Finished {
                values: self.shared(s).to_vec(),
                held,
            };
        }
        if (0..n).any(|t| self.can_move(s, t)) {
            return End::Unfinished {
                values: self.shared(s).to_vec(),
            };
        }
        let stuck: Vec<usize> = (0..n).filter(|&t| !self.finished(s, t)).collect();
        let lock_of = |t: usize| match &self.threads[t].1.ins[self.pc(s, t)] {
            Ins::Lock(l) => Some(*l),
            Ins::Wake { lock, .. } if self.sleep(s, t) == -1 => Some(*lock),
            _ => None,
        };
        // A thread waiting for a lock whose holder has run all its steps: nobody will
        // ever unlock it. That is a forgotten unlock, not a cycle.
        let abandoned: Vec<Wait> = stuck
            .iter()
            .filter_map(|&t| {
                let lock = lock_of(t)?;
                let holder = self.holder(s, lock).filter(|&h| self.finished(s, h))?;
                Some(Wait::Abandoned {
                    thread: t,
                    lock,
                    holder,
                })
            })
            .collect();
        if !abandoned.is_empty() {
            return End::Stuck(abandoned);
        }
        if stuck.iter().all(|&t| lock_of(t).is_some()) {
            return End::Deadlock { stuck };
        }
        End::Stuck(
            stuck
                .iter()
                .map(|&t| match lock_of(t) {
                    Some(lock) => Wait::Lock {
                        thread: t,
                        lock,
                        holder: self.holder(s, lock),
                    },
                    None => match self.next_ins(s, t) {
                        Some(Ins::Wake { cv, .. }) => Wait::Asleep { thread: t, cv: *cv },
                        _ => Wait::Until {
                            thread: t,
                            step: self.same_text(t, self.pc(s, t)),
                        },
                    },
                })
                .collect(),
        )
    }

    pub(crate) fn values(&self, s: &[i64]) -> Vec<(String, i64)> {
        self.names
            .shared
            .iter()
            .cloned()
            .zip(self.shared(s).iter().copied())
            .collect()
    }

    pub(crate) fn thread_index(&self, name: &str) -> Result<usize> {
        self.threads
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self.threads.iter().map(|(n, _)| n.as_str()).collect();
                Error::of(
                    ErrorKind::NotFound,
                    format!("no thread named {name:?}; the threads are {names:?}"),
                )
            })
    }
}
