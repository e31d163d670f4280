//! The wait-for graph of a deadlock: threads, locks, and who waits for whom.

use std::f64::consts::PI;
use std::fmt::Write as _;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Area, Axes, FONT, Hovers, Panel, arrowhead, draw_dashed, draw_title, drawing};
use crate::error::Result;

const NODE: f64 = 22.0;

/// A wait-for graph, drawn: threads as circles, locks as squares, an arrow from a thread
/// to the lock it waits for (dashed) and from a lock to the thread holding it (solid).
/// The edges of a deadlock's cycle are red. Made by
/// [`LockWatch::graph`](crate::deadlock::LockWatch::graph).
///
/// # Examples
///
/// ```
/// use lab::{deadlock::LockWatch, record::Recorder};
///
/// // Two threads take two locks in opposite orders: a real deadlock, found and ended.
/// let (watch, rec) = (LockWatch::new(), Recorder::new());
/// let (x, y) = (watch.mutex("x", ()), watch.mutex("y", ()));
/// let both = std::sync::Barrier::new(2);
/// std::thread::scope(|s| {
///     for (name, first, second) in [("A", &x, &y), ("B", &y, &x)] {
///         let (mut lane, both) = (rec.lane(name), &both);
///         s.spawn(move || {
///             let _one = first.lock(&mut lane);
///             both.wait();
///             let _two = second.lock(&mut lane); // one of them gets Err(LockError)
///         });
///     }
/// });
/// let g = watch.graph();
/// assert!(g.to_svg().unwrap().contains("a cycle of 2 threads"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct WaitForGraph {
    title: String,
    threads: Vec<String>,
    locks: Vec<String>,
    /// (from, to, waits_for, in_cycle)
    edges: Vec<(String, String, bool, bool)>,
}

impl WaitForGraph {
    /// A graph from its parts: edges are `(from, to, waits_for, in_cycle)`; `waits_for`
    /// edges go thread → lock, the others lock → thread (held by). Only a
    /// [`LockWatch`](crate::deadlock::LockWatch) knows these, so only it makes graphs.
    pub(crate) fn new(
        title: impl Into<String>,
        threads: Vec<String>,
        locks: Vec<String>,
        edges: Vec<(String, String, bool, bool)>,
    ) -> WaitForGraph {
        WaitForGraph {
            title: title.into(),
            threads,
            locks,
            edges,
        }
    }

    pub(crate) fn width_setting(&self) -> Option<u32> {
        None
    }

    pub(crate) fn summary(&self) -> String {
        let cycle = self.edges.iter().filter(|e| e.3).count();
        let mut s = format!(
            "{}: {} threads ({}), {} locks ({}), {} edges{}\n",
            self.title,
            self.threads.len(),
            super::some_names(self.threads.iter().map(String::as_str), 6),
            self.locks.len(),
            super::some_names(self.locks.iter().map(String::as_str), 6),
            self.edges.len(),
            if cycle > 0 {
                format!(", {cycle} of them in a cycle")
            } else {
                String::new()
            }
        );
        for (from, to, waits, red) in &self.edges {
            let verb = if *waits { "waits for" } else { "is held by" };
            let _ = writeln!(
                s,
                "  {from} {verb} {to}{}",
                if *red { "  (cycle)" } else { "" }
            );
        }
        s.trim_end().to_string()
    }

    /// Node order around the circle: follow the cycle's edges first, so the cycle is
    /// drawn as a ring, then everything else.
    fn order(&self) -> Vec<(String, bool)> {
        let mut order: Vec<(String, bool)> = Vec::new();
        let is_thread = |n: &str| self.threads.iter().any(|t| t == n);
        let cycle: Vec<&(String, String, bool, bool)> = self.edges.iter().filter(|e| e.3).collect();
        if let Some(first) = cycle.iter().find(|e| e.2) {
            let mut at = first.0.clone();
            for _ in 0..cycle.len() {
                if order.iter().any(|(n, _)| *n == at) {
                    break;
                }
                order.push((at.clone(), is_thread(&at)));
                match cycle.iter().find(|e| e.0 == at) {
                    Some(e) => at = e.1.clone(),
                    None => break,
                }
            }
        }
        for t in &self.threads {
            if !order.iter().any(|(n, _)| n == t) {
                order.push((t.clone(), true));
            }
        }
        for l in &self.locks {
            if !order.iter().any(|(n, _)| n == l) {
                order.push((l.clone(), false));
            }
        }
        order
    }
}

/// How a figure stacks this chart (see [`Panel`]).
impl Panel for WaitForGraph {
    fn height(&self, _: u32, _: Axes) -> u32 {
        460
    }

    fn draw(&self, area: &Area, _: Axes, _: &mut Hovers) -> Result<()> {
        let (top, rest) = area.split_vertically(34);
        draw_title(&top, &self.title, 18.5)?;
        let (legend, rest) = rest.split_vertically(26);
        let font = (FONT, 14).into_font();
        legend
            .draw(&Text::new(
                "○ thread   □ lock   - - → waits for   —→ is held by   red: the cycle",
                (12, 4),
                font.clone(),
            ))
            .map_err(drawing)?;
        let (w, h) = rest.dim_in_pixel();
        let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
        let radius = (h as f64 / 2.0 - NODE - 14.0).max(40.0);
        let order = self.order();
        let n = order.len().max(1) as f64;
        let pos = |i: usize| {
            let a = -PI / 2.0 + 2.0 * PI * i as f64 / n;
            (cx + radius * 1.5 * a.cos(), cy + radius * a.sin())
        };
        let place = |name: &str| order.iter().position(|(m, _)| m == name).map(pos);
        // Edges first, so nodes sit on top.
        for (from, to, waits, red) in &self.edges {
            let (Some(a), Some(b)) = (place(from), place(to)) else {
                continue;
            };
            let colour = if *red {
                RGBColor(200, 30, 30)
            } else {
                RGBColor(120, 120, 120)
            };
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let len = (dx * dx + dy * dy).sqrt().max(1.0);
            let (ux, uy) = (dx / len, dy / len);
            let start = (a.0 + ux * NODE, a.1 + uy * NODE);
            let end = (b.0 - ux * (NODE + 2.0), b.1 - uy * (NODE + 2.0));
            let px = |p: (f64, f64)| (p.0 as i32, p.1 as i32);
            let style = colour.stroke_width(if *red { 3 } else { 2 });
            if *waits {
                // Dashed: waiting, not having.
                draw_dashed(&rest, vec![px(start), px(end)], 6.6, 5.4, style)?;
            } else {
                rest.draw(&PathElement::new(vec![px(start), px(end)], style))
                    .map_err(drawing)?;
            }
            if let Some(head) = arrowhead(start, end, 12.0, 6.0) {
                rest.draw(&Polygon::new(head.map(px).to_vec(), colour.filled()))
                    .map_err(drawing)?;
            }
        }
        for (i, (name, thread)) in order.iter().enumerate() {
            let (x, y) = pos(i);
            let (xi, yi) = (x as i32, y as i32);
            let r = NODE as i32;
            if *thread {
                rest.draw(&Circle::new((xi, yi), r, RGBColor(0, 114, 178).filled()))
                    .map_err(drawing)?;
            } else {
                rest.draw(&Rectangle::new(
                    [(xi - r, yi - r + 6), (xi + r, yi + r - 6)],
                    RGBColor(0, 158, 115).filled(),
                ))
                .map_err(drawing)?;
            }
            // Names go beside the node, on the outside of the ring, where they have room.
            let label = super::shorten(name, 24);
            let outward = if x >= cx { HPos::Left } else { HPos::Right };
            let dx = if x >= cx { r + 6 } else { -r - 6 };
            let style = (FONT, 15)
                .into_font()
                .color(&RGBColor(20, 20, 20))
                .pos(Pos::new(outward, VPos::Center));
            rest.draw(&Text::new(label, (xi + dx, yi), style))
                .map_err(drawing)?;
        }
        Ok(())
    }
}
