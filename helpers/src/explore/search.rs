//! The exhaustive search: exact schedule counts on the state graph.
//!
//! Every step moves its thread forward (jumps only go forward, loops are unrolled), so
//! the sum of the threads' positions grows with every step: processing states in order
//! of that sum (a *level*) visits every state after all the states that lead to it. Each
//! state keeps the number of schedule prefixes that reach it and the shortest one; a step
//! adds the state's count to its successor's. A state where no thread can move, or a step
//! that ends the schedule, ends schedules: its count goes to that outcome.
//!
//! A program whose states would not fit is refused, never cut short: up front when its
//! positions alone are too many, or, when its values multiply them, as soon as the
//! states pass the limit, with an estimate of how many it would need.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::time::Instant;

use super::Exploration;
use super::lang::Ins;
use super::machine::Machine;
use super::outcome::{Counts, too_many};
use crate::error::{Error, ErrorKind, Result};
use crate::show::fmt_count;

/// One state of the graph, with the schedules that reach it.
struct Node {
    state: Rc<[i64]>,
    count: u64,
    depth: u32,
    /// The state it was first reached from by a shortest prefix, and the thread that moved.
    parent: u32,
    via: u8,
}

/// Counts every schedule of `program`, keeping at most `limit` states.
pub(crate) fn explore(program: Machine, limit: usize) -> Result<Exploration> {
    let began = Instant::now();
    let n = program.threads.len();
    // Positions alone: an estimate of the states to come (values multiply it, locks and
    // waits cut it). Refuse up front what cannot fit.
    let positions: f64 = program
        .threads
        .iter()
        .map(|(_, c)| c.ins.len() as f64 + 1.0)
        .product();
    if positions > limit as f64 {
        return Err(Error::of(
            ErrorKind::Limit,
            format!(
                "this program has about {} combinations of thread positions alone, more than the \
             {} states the explorer keeps: use fewer threads or steps (or sample it: Program::sample)",
                fmt_count(positions as u64),
                fmt_count(limit as u64)
            ),
        ));
    }
    let max_sum: usize = program.threads.iter().map(|(_, c)| c.ins.len()).sum();
    let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); max_sum + 1];
    let mut nodes: Vec<Node> = Vec::new();
    let mut index: HashMap<Rc<[i64]>, u32, BuildHasherDefault<Fx>> = HashMap::default();
    let start: Rc<[i64]> = program.start().into();
    index.insert(start.clone(), 0);
    buckets[position_sum(&start, n)].push(0);
    nodes.push(Node {
        state: start,
        count: 1,
        depth: 0,
        parent: u32::MAX,
        via: 0,
    });
    let mut tally = Counts::default();
    let path_to = |nodes: &[Node], mut id: u32, last: Option<usize>| -> Vec<String> {
        let mut path = Vec::new();
        if let Some(t) = last {
            path.push(program.name(t).to_string());
        }
        while nodes[id as usize].parent != u32::MAX {
            path.push(program.name(nodes[id as usize].via as usize).to_string());
            id = nodes[id as usize].parent;
        }
        path.reverse();
        path
    };
    let mut next: Vec<i64> = Vec::new();
    let mut movable: Vec<usize> = Vec::with_capacity(n);
    for b in 0..buckets.len() {
        let ids = std::mem::take(&mut buckets[b]);
        for id in ids {
            let (state, count, depth) = {
                let node = &nodes[id as usize];
                (node.state.clone(), node.count, node.depth)
            };
            movable.clear();
            movable.extend((0..n).filter(|&t| program.can_move(&state, t)));
            if movable.is_empty() {
                tally.add(
                    program.ending(&state),
                    count,
                    || program.values(&state),
                    || path_to(&nodes, id, None),
                    depth as usize,
                )?;
                continue;
            }
            for &t in &movable {
                match program.step_into(&state, t, &mut next) {
                    None => {
                        let to = match index.get(next.as_slice()) {
                            Some(&to) => to,
                            None => {
                                if nodes.len() >= limit {
                                    let levels = Levels {
                                        done: b,
                                        count: level_counts(&nodes, n, max_sum),
                                    };
                                    return Err(too_many_states(&program, &levels, limit));
                                }
                                let next: Rc<[i64]> = next.as_slice().into();
                                let to = nodes.len() as u32;
                                buckets[position_sum(&next, n)].push(to);
                                index.insert(next.clone(), to);
                                nodes.push(Node {
                                    state: next,
                                    count: 0,
                                    depth: u32::MAX,
                                    parent: id,
                                    via: t as u8,
                                });
                                to
                            }
                        };
                        let node = &mut nodes[to as usize];
                        node.count = node.count.checked_add(count).ok_or_else(too_many)?;
                        if depth + 1 < node.depth {
                            node.depth = depth + 1;
                            node.parent = id;
                            node.via = t as u8;
                        }
                    }
                    Some(stop) => {
                        tally.add(
                            stop.into(),
                            count,
                            || program.values(&next),
                            || path_to(&nodes, id, Some(t)),
                            depth as usize + 1,
                        )?;
                    }
                }
            }
        }
    }
    let (outcomes, _) = tally.sorted(&program);
    let schedules = outcomes
        .iter()
        .try_fold(0u64, |acc, o| acc.checked_add(o.schedules))
        .ok_or_else(too_many)?;
    Ok(Exploration {
        states: nodes.len(),
        program,
        outcomes,
        schedules,
        took: began.elapsed(),
    })
}

fn position_sum(state: &[i64], threads: usize) -> usize {
    state[..threads].iter().map(|&p| p as usize).sum()
}

/// Where the search was when the states passed the limit.
struct Levels {
    /// The level being processed: every state of it and below is known.
    done: usize,
    /// The states found at each level.
    count: Vec<usize>,
}

fn level_counts(nodes: &[Node], threads: usize, max_sum: usize) -> Vec<usize> {
    let mut count = vec![0; max_sum + 1];
    for node in nodes {
        count[position_sum(&node.state, threads)] += 1;
    }
    count
}

/// How many combinations of thread positions sum to each level. A position is a step a
/// thread can be about to take (not an `if`'s hidden jump), or its end.
fn combos_of(program: &Machine) -> Vec<f64> {
    let mut combos = vec![1.0f64];
    for (_, code) in &program.threads {
        let at: Vec<usize> = (0..=code.ins.len())
            .filter(|&pc| !matches!(code.ins.get(pc), Some(Ins::Goto(_))))
            .collect();
        let mut next = vec![0.0; combos.len() + code.ins.len()];
        for (sum, &c) in combos.iter().enumerate() {
            for &pc in &at {
                next[sum + pc] += c;
            }
        }
        combos = next;
    }
    combos
}

/// How many states a program that passed the limit would need, roughly. Levels known
/// whole are counted; each later level is its combinations of positions times the states
/// per combination of the last level known, grown by the rate at which that grew over the
/// last three levels (values spread further with every step), and never more than each
/// state of the level before moving every thread.
fn estimate(program: &Machine, levels: &Levels) -> f64 {
    let combos = combos_of(program);
    let per_combo = |l: usize| levels.count[l] as f64 / combos[l].max(1.0);
    let b = levels.done;
    let back = b.min(3);
    let growth = match per_combo(b - back) {
        before if before > 0.0 && back > 0 => {
            (per_combo(b) / before).powf(1.0 / back as f64).max(1.0)
        }
        _ => 1.0,
    };
    let threads = program.threads.len() as f64;
    let mut total: f64 = levels.count[..=b].iter().map(|&c| c as f64).sum();
    let (mut ratio, mut previous) = (per_combo(b), levels.count[b] as f64);
    for (&combos, &found) in combos.iter().zip(&levels.count).skip(b + 1) {
        ratio *= growth;
        let here = (combos * ratio).min(threads * previous).max(found as f64);
        total += here;
        previous = here;
    }
    total
}

fn too_many_states(program: &Machine, levels: &Levels, limit: usize) -> Error {
    let about = estimate(program, levels).max(limit as f64 + 1.0);
    Error::of(
        ErrorKind::Limit,
        format!(
            "this program needs about {} distinct states (an estimate: its values multiply its \
         positions), more than the {} the explorer keeps: use fewer threads, steps or distinct \
         values, or sample it: Program::sample",
            fmt_about(about),
            fmt_count(limit as u64)
        ),
    )
}

/// A large estimate, to two significant figures: `4 300 000`.
fn fmt_about(x: f64) -> String {
    if !x.is_finite() || x >= u64::MAX as f64 {
        return format!("more than {}", fmt_count(u64::MAX));
    }
    let magnitude = 10f64.powi((x.log10().floor() as i32 - 1).max(0));
    fmt_count(((x / magnitude).round() * magnitude) as u64)
}

/// The Fx hash (rustc's): fast for short keys of integers; no dependency for it.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_i64(&mut self, v: i64) {
        self.write_u64(v as u64);
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
