//! The message sequence diagram: lanes as lifelines, time going down, an arrow per message.

use std::fmt::Write as _;
use std::time::Duration;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Area, Axes, FONT, Hovers, LegendSwatch, Panel, arrowhead, draw_dashed, draw_legend, draw_notes,
    draw_title, drawing, hatch, kind_colour, message_tip, on_image, shorten, span_tip, text_width,
};
use crate::error::{Error, ErrorKind, Result};
use crate::record::Recorder;
use crate::show::time_unit;
use crate::trace::{Kind, Message, Trace};

/// At most this many lifelines are drawn; messages to or from the others are counted.
const MAX_LIFELINES: usize = 40;
/// Above this many messages, one in every k is drawn (evenly spread), with a note.
const MAX_ARROWS: usize = 300;
/// Above this many drawn messages, their labels are left out.
const MAX_LABELS: usize = 40;
const PLOT_PX: f64 = 430.0;
const AXIS_PX: f64 = 70.0;
const RIGHT_PX: f64 = 24.0;

// Near-black like the timeline's message arrows: never the compute blue of the spans beside them.
const ARROW: RGBColor = RGBColor(40, 40, 40);
const BLOCKED: RGBColor = RGBColor(213, 94, 0);
const LOST: RGBColor = RGBColor(200, 30, 30);
const LIFELINE: RGBColor = RGBColor(170, 170, 170);

/// A message sequence diagram of a trace: one lifeline per lane, time going down, an
/// arrow per message from the moment the channel took it to the moment it was received.
/// A send that had to wait first (a full bounded channel, a rendezvous with no receiver
/// yet) shows as an orange bar on the sender's lifeline, ending where its arrow starts; a
/// message nobody received ends in a red cross. What each lane was doing meanwhile (its
/// spans: compute, sleep / I/O, waits, in the timeline's colours) shows as a bar along its
/// lifeline, under the arrows, with a second legend row naming the kinds drawn. Made by
/// [`Recorder::sequence`](crate::record::Recorder::sequence) or [`Trace::sequence`].
///
/// Readable up to 20 or so lifelines; above 300 messages one in every *k* is drawn and a
/// note says so (the trace keeps them all). Time is to scale, so a long arrow is a
/// message that waited in the channel.
///
/// # Examples
///
/// ```
/// let rec = lab::record::Recorder::new();
/// let (tx, rx) = crossbeam::channel::unbounded();
/// let (mut a, mut b) = (rec.lane("client"), rec.lane("server"));
/// a.send("request", 1, |m| tx.send(m)).unwrap();
/// b.got(rx.recv().unwrap());
/// drop((a, b));
/// let svg = rec.sequence().title("one request").to_svg().unwrap();
/// assert!(svg.contains("client") && svg.contains("request"));
/// ```
#[derive(Clone, Debug)]
pub struct Sequence {
    trace: Result<Trace>,
    pub(super) title: Option<String>,
    pub(super) width: Option<u32>,
}

impl Sequence {
    pub(crate) fn from_result(trace: Result<Trace>) -> Sequence {
        let trace = trace.and_then(|t| {
            if t.messages().is_empty() {
                Err(Error::of(
                    ErrorKind::Empty,
                    "no messages recorded: send with lane.send(label, value, |m| tx.send(m)) \
                     and receive with lane.got(msg)",
                ))
            } else {
                Ok(t)
            }
        });
        Sequence {
            trace,
            title: None,
            width: None,
        }
    }

    fn layout(&self, trace: &Trace, width: u32) -> Layout {
        let lanes = trace.lanes().len().min(MAX_LIFELINES);
        let col = ((width as f64 - AXIS_PX - RIGHT_PX) / lanes.max(1) as f64).max(8.0);
        let names: Vec<String> = trace.lanes()[..lanes]
            .iter()
            .map(|l| l.name.to_string())
            .collect();
        let stagger = names.iter().any(|n| text_width(n, 14.0) > col - 6.0);
        let room = if stagger { 2.0 * col - 8.0 } else { col - 6.0 };
        let chars = ((room / 7.0) as usize).max(3);
        let names = names.iter().map(|n| shorten(n, chars)).collect();
        let all = trace.messages();
        let visible: Vec<&Message> = all
            .iter()
            .filter(|m| m.from < lanes && m.to.is_none_or(|t| t < lanes))
            .collect();
        let step = visible.len().div_ceil(MAX_ARROWS).max(1);
        let drawn: Vec<usize> = (0..visible.len()).step_by(step).collect();
        let mut notes: Vec<String> = trace.notes().to_vec();
        if trace.lanes().len() > MAX_LIFELINES {
            notes.push(format!(
                "{} more lanes and the {} messages touching them not drawn (a sequence \
                 diagram shows the first {MAX_LIFELINES} lanes)",
                trace.lanes().len() - MAX_LIFELINES,
                all.len() - visible.len()
            ));
        }
        if step > 1 {
            notes.push(format!(
                "{} messages: one in every {step} drawn, evenly spread (the trace keeps them all)",
                visible.len()
            ));
        }
        let labels = drawn.len() <= MAX_LABELS;
        if !labels {
            notes.push(format!(
                "message labels left out: more than {MAX_LABELS} arrows"
            ));
        }
        // The spans of the drawn lanes go on their lifelines, so the time axis covers them too.
        let spans = || trace.lanes()[..lanes].iter().flat_map(|l| &l.spans);
        let end = all
            .iter()
            .map(Message::last)
            .chain(spans().map(|s| s.end))
            .max()
            .unwrap_or_default()
            .max(Duration::from_nanos(10));
        let kinds = Kind::ALL
            .into_iter()
            .filter(|k| spans().any(|s| s.kind == *k && tall_enough(s, end)))
            .collect();
        Layout {
            col,
            names,
            stagger,
            drawn: drawn.into_iter().map(|i| visible[i].clone()).collect(),
            kinds,
            labels,
            end,
            notes,
        }
    }

    pub(crate) fn summary(&self) -> String {
        let trace = match &self.trace {
            Ok(t) => t,
            Err(e) => return e.to_string(),
        };
        let messages = trace.messages();
        let lost = messages.iter().filter(|m| m.received.is_none()).count();
        let blocked = messages
            .iter()
            .map(Message::blocked)
            .max()
            .unwrap_or_default();
        let mut flight: Vec<Duration> = messages.iter().filter_map(Message::in_flight).collect();
        flight.sort();
        let mut s = String::new();
        let title = self.title.as_deref().unwrap_or("messages");
        let _ = write!(
            s,
            "{title}: {} lanes ({}), {} messages ({lost} never received); longest blocked send {}",
            trace.lanes().len(),
            super::some_names(trace.lanes().iter().map(|l| &*l.name), 6),
            messages.len(),
            crate::show::fmt_duration(blocked)
        );
        if let Some(median) = flight.get(flight.len() / 2) {
            let _ = write!(
                s,
                "; median time in the channel {}",
                crate::show::fmt_duration(*median)
            );
        }
        for note in self.layout(trace, super::DEFAULT_WIDTH).notes {
            let _ = write!(s, "\nnote: {note}");
        }
        s
    }
}

/// How a figure stacks this chart (see [`Panel`]).
impl Panel for Sequence {
    fn height(&self, width: u32, _: Axes) -> u32 {
        let Ok(trace) = &self.trace else {
            return 100;
        };
        let layout = self.layout(trace, width);
        let title = if self.title.is_some() { 30 } else { 0 };
        let header = if layout.stagger { 40 } else { 24 };
        let legend = if layout.kinds.is_empty() { 24 } else { 48 };
        title + legend + header + PLOT_PX as u32 + 30 + super::notes_height(&layout.notes, width)
    }

    fn problem(&self) -> Option<&Error> {
        self.trace.as_ref().err()
    }

    fn draw(&self, area: &Area, _: Axes, hovers: &mut Hovers) -> Result<()> {
        let trace = self.trace.as_ref().map_err(Clone::clone)?;
        let (width, _) = area.dim_in_pixel();
        let layout = self.layout(trace, width);
        let mut rest = area.clone();
        if let Some(title) = &self.title {
            let (top, below) = rest.split_vertically(30);
            draw_title(&top, title, 18.5)?;
            rest = below;
        }
        let (legend_area, rest) = rest.split_vertically(24);
        let mut legend = vec![(
            "message: send → receive".to_string(),
            LegendSwatch::Line(ARROW, false),
        )];
        // Only when some wait is drawn (a pixel or more), so the legend names what is shown.
        let drawn_wait = |m: &Message| {
            m.handed_over().saturating_sub(m.sent).as_secs_f64() * px_per_sec(layout.end) >= 1.0
        };
        if layout.drawn.iter().any(drawn_wait) {
            legend.push((
                "sender blocked (channel full, or waiting for a receiver)".into(),
                LegendSwatch::Hatched(BLOCKED),
            ));
        }
        if layout.drawn.iter().any(|m| m.received.is_none()) {
            legend.push(("never received".into(), LegendSwatch::Line(LOST, true)));
        }
        draw_legend(&legend_area, &legend)?;
        // A second row: what the lanes were doing (their spans, drawn along the lifelines).
        let rest = if layout.kinds.is_empty() {
            rest
        } else {
            let (kinds_area, rest) = rest.split_vertically(24);
            let kinds: Vec<(String, LegendSwatch)> = layout
                .kinds
                .iter()
                .map(|k| (k.name().to_string(), LegendSwatch::Box(kind_colour(*k))))
                .collect();
            draw_legend(&kinds_area, &kinds)?;
            rest
        };
        let header_h = if layout.stagger { 40 } else { 24 };
        let (header, rest) = rest.split_vertically(header_h);
        let (plot, rest) = rest.split_vertically(PLOT_PX as u32 + 30);
        draw_notes(&rest, &layout.notes)?;

        let (unit, per_sec) = time_unit(layout.end);
        let grid = Grid {
            col: layout.col,
            top: 8.0,
            per_sec,
            span: layout.end.as_secs_f64() * per_sec * 1.02,
        };
        draw_header(&header, &layout, grid)?;
        draw_time_axis(&plot, grid, unit, width)?;
        draw_lifelines(&plot, trace, &layout, grid, hovers)?;
        draw_messages(&plot, trace, &layout, grid, width, hovers)
    }
}

/// Where things sit on the diagram: lifelines `col` pixels apart (after the time
/// axis), time going down from `top` (`per_sec` axis units a second, `span` of them
/// over the plot's height).
#[derive(Clone, Copy, Debug)]
struct Grid {
    col: f64,
    top: f64,
    per_sec: f64,
    span: f64,
}

impl Grid {
    /// The x of lane `lane`'s lifeline.
    fn x(self, lane: usize) -> f64 {
        AXIS_PX + self.col * (lane as f64 + 0.5)
    }

    /// The y of a time since the trace's zero.
    fn y(self, d: Duration) -> f64 {
        self.top + d.as_secs_f64() * self.per_sec / self.span * PLOT_PX
    }
}

/// A point in whole pixels.
fn pt(x: f64, y: f64) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

/// The lanes' names, centred over their lifelines (two rows when they would collide).
fn draw_header(header: &Area, layout: &Layout, grid: Grid) -> Result<()> {
    let x_of = |lane: usize| grid.x(lane);
    for (i, name) in layout.names.iter().enumerate() {
        let row = if layout.stagger {
            (i % 2) as f64 * 17.0
        } else {
            0.0
        };
        let style = (FONT, 14)
            .into_font()
            .style(FontStyle::Bold)
            .into_text_style(header)
            .pos(Pos::new(HPos::Center, VPos::Top));
        header
            .draw(&Text::new(name.clone(), pt(x_of(i), 4.0 + row), style))
            .map_err(drawing)?;
    }
    Ok(())
}

/// The time axis on the left, with faint grid lines across.
fn draw_time_axis(plot: &Area, grid: Grid, unit: &str, width: u32) -> Result<()> {
    let Grid { top, span, .. } = grid;
    let step = super::nice_step(span / 6.0);
    let line = RGBColor(232, 232, 232);
    let label = (FONT, 13)
        .into_font()
        .into_text_style(plot)
        .pos(Pos::new(HPos::Right, VPos::Center));
    let mut v = 0.0;
    while v <= span {
        let y = top + v / span * PLOT_PX;
        plot.draw(&PathElement::new(
            vec![pt(AXIS_PX - 4.0, y), pt(width as f64 - RIGHT_PX, y)],
            line,
        ))
        .map_err(drawing)?;
        plot.draw(&Text::new(
            super::axis_number(v),
            pt(AXIS_PX - 8.0, y),
            label.clone(),
        ))
        .map_err(drawing)?;
        v += step;
    }
    let unit_style = (FONT, 13)
        .into_font()
        .into_text_style(plot)
        .pos(Pos::new(HPos::Left, VPos::Top));
    plot.draw(&Text::new(
        format!("time ({unit}) ↓"),
        pt(6.0, top + PLOT_PX + 8.0),
        unit_style,
    ))
    .map_err(drawing)?;
    Ok(())
}

/// The lifelines, and what each lane was doing as bars along its lifeline.
fn draw_lifelines(
    plot: &Area,
    trace: &Trace,
    layout: &Layout,
    grid: Grid,
    hovers: &mut Hovers,
) -> Result<()> {
    let x_of = |lane: usize| grid.x(lane);
    let y_of = |d: Duration| grid.y(d);
    let top = grid.top;
    for i in 0..layout.names.len() {
        plot.draw(&PathElement::new(
            vec![pt(x_of(i), top), pt(x_of(i), top + PLOT_PX)],
            LIFELINE.stroke_width(1),
        ))
        .map_err(drawing)?;
    }

    // What each lane was doing: its spans as bars along its lifeline, under the arrows
    // and wider than a blocked send's bar, which is drawn over them.
    for (i, lane) in trace.lanes()[..layout.names.len()].iter().enumerate() {
        let x = x_of(i);
        for s in lane.spans.iter().filter(|s| tall_enough(s, layout.end)) {
            let (y0, y1) = (y_of(s.start), y_of(s.end));
            plot.draw(&Rectangle::new(
                [pt(x - 6.0, y0), pt(x + 6.0, y1)],
                kind_colour(s.kind).filled(),
            ))
            .map_err(drawing)?;
            hovers.rect(
                on_image(plot, pt(x - 6.0, y0)),
                on_image(plot, pt(x + 6.0, y1)),
                span_tip(&lane.name, Some(&s.label), s.kind, s.start, s.end),
            );
        }
    }
    Ok(())
}

/// The messages: the blocked part of each send, the arrow (or a stub and a cross for
/// one never received), its label where it does not overlap another, a hover title.
fn draw_messages(
    plot: &Area,
    trace: &Trace,
    layout: &Layout,
    grid: Grid,
    width: u32,
    hovers: &mut Hovers,
) -> Result<()> {
    let x_of = |lane: usize| grid.x(lane);
    let y_of = |d: Duration| grid.y(d);
    let top = grid.top;
    // A label that would overlap one already drawn is left out (and counted in a note).
    let text = (FONT, 12).into_font().into_text_style(plot);
    let mut placed: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut free = |x0: f64, x1: f64, y: f64| {
        let (a, b) = (x0.min(x1), x0.max(x1));
        let clash = placed
            .iter()
            .any(|&(pa, pb, py0, py1)| a < pb && pa < b && y - 13.0 < py1 && py0 < y);
        if !clash {
            placed.push((a, b, y - 13.0, y));
        }
        !clash
    };
    let mut hidden = 0usize;
    let lanes = trace.lanes();
    for m in &layout.drawn {
        let tip = message_tip(m, &lanes[m.from].name, m.to.map(|t| &*lanes[t].name));
        let x0 = x_of(m.from);
        let (y0, y1) = (y_of(m.sent), y_of(m.handed_over()));
        if y1 - y0 >= 1.0 {
            plot.draw(&Rectangle::new(
                [pt(x0 - 3.0, y0), pt(x0 + 3.0, y1)],
                BLOCKED.filled(),
            ))
            .map_err(drawing)?;
            hatch(plot, pt(x0 - 3.0, y0), pt(x0 + 3.0, y1))?;
            // A white notch where this send began, so back-to-back waits stay apart.
            plot.draw(&PathElement::new(
                vec![pt(x0 - 3.0, y0), pt(x0 + 3.0, y0)],
                WHITE.stroke_width(1),
            ))
            .map_err(drawing)?;
        }
        // The message leaves when the channel takes it (after any wait).
        let y0 = y1;
        match (m.to, m.received) {
            (Some(to), Some(at)) => {
                let (x1, y2) = (x_of(to), y_of(at));
                let path = if to == m.from {
                    // To itself: a small loop to the right.
                    let dx = (layout.col * 0.3).min(30.0);
                    vec![(x0, y0), (x0 + dx, y0), (x0 + dx, y2), (x0 + 2.0, y2)]
                } else {
                    vec![(x0, y0), (x1, y2)]
                };
                arrow(plot, &path, ARROW)?;
                let (first, last) = (path[0], path[path.len() - 1]);
                hovers.line(
                    on_image(plot, pt(first.0, first.1)),
                    on_image(plot, pt(last.0, last.1)),
                    tip,
                );
                if layout.labels && !m.label.is_empty() {
                    // Near the sender, on the side the arrow leaves to, so a label is
                    // read with its arrow, not with a lifeline it crosses.
                    let f = 0.5f64.min(0.45 * layout.col / (x1 - x0).abs().max(1.0));
                    let (lx, ly) = (x0 + (x1 - x0) * f, y0 + (y2 - y0) * f);
                    let h = if x1 >= x0 { HPos::Left } else { HPos::Right };
                    let dx = if x1 >= x0 { 4.0 } else { -4.0 };
                    let style = text.clone().pos(Pos::new(h, VPos::Bottom));
                    let room = (layout.col / 7.0) as usize;
                    let label = shorten(&m.label, room.max(4));
                    let w = text_width(&label, 12.0);
                    let (ax, bx) = if x1 >= x0 {
                        (lx + dx, lx + dx + w)
                    } else {
                        (lx + dx - w, lx + dx)
                    };
                    if free(ax, bx, ly - 3.0) {
                        plot.draw(&Text::new(label, pt(lx + dx, ly - 3.0), style))
                            .map_err(drawing)?;
                    } else {
                        hidden += 1;
                    }
                }
            }
            _ => {
                // Never received: a short dashed stub ending in a cross.
                let x1 = x0 + (layout.col * 0.4).clamp(12.0, 40.0);
                hovers.rect(
                    on_image(plot, pt(x0, y0 - 6.0)),
                    on_image(plot, pt(x1 + 6.0, y0 + 6.0)),
                    tip,
                );
                let dash = (x1 - x0) / 6.0;
                draw_dashed(
                    plot,
                    vec![pt(x0, y0), pt(x1, y0)],
                    dash,
                    dash,
                    LOST.stroke_width(2),
                )?;
                for (dx, dy) in [(-4.0, -4.0), (-4.0, 4.0)] {
                    plot.draw(&PathElement::new(
                        vec![pt(x1 + dx, y0 + dy), pt(x1 - dx, y0 - dy)],
                        LOST.stroke_width(2),
                    ))
                    .map_err(drawing)?;
                }
                if layout.labels && !m.label.is_empty() {
                    let label = format!("{} (never received)", shorten(&m.label, 24));
                    let w = text_width(&label, 12.0);
                    // Right of the cross, or left of the lifeline when the chart's edge
                    // would cut it.
                    let right = x1 + 8.0 + w <= width as f64 - 4.0;
                    let (a, b, x, h) = if right {
                        (x1 + 8.0, x1 + 8.0 + w, x1 + 8.0, HPos::Left)
                    } else {
                        (x0 - 8.0 - w, x0 - 8.0, x0 - 8.0, HPos::Right)
                    };
                    let style = text.clone().pos(Pos::new(h, VPos::Center));
                    if free(a, b, y0 + 6.0) {
                        plot.draw(&Text::new(label, pt(x, y0), style))
                            .map_err(drawing)?;
                    } else {
                        hidden += 1;
                    }
                }
            }
        }
    }
    if hidden > 0 {
        let style = (FONT, 12)
            .into_font()
            .style(FontStyle::Italic)
            .color(&RGBColor(90, 90, 90))
            .into_text_style(plot)
            .pos(Pos::new(HPos::Right, VPos::Top));
        plot.draw(&Text::new(
            format!(
                "{hidden} label{} left out where {} would overlap",
                if hidden == 1 { "" } else { "s" },
                if hidden == 1 { "it" } else { "they" }
            ),
            pt(width as f64 - RIGHT_PX, top + PLOT_PX + 8.0),
            style,
        ))
        .map_err(drawing)?;
    }
    Ok(())
}

struct Layout {
    col: f64,
    names: Vec<String>,
    stagger: bool,
    drawn: Vec<Message>,
    /// The kinds of the spans drawn on the lifelines, in the timeline's legend order.
    kinds: Vec<Kind>,
    labels: bool,
    end: Duration,
    notes: Vec<String>,
}

/// Whether a span is tall enough to see on a lifeline (2 px) when the time axis ends at `end`;
/// shorter ones are neither drawn nor named in the legend.
fn tall_enough(span: &crate::trace::Span, end: Duration) -> bool {
    (span.end - span.start).as_secs_f64() * px_per_sec(end) >= 2.0
}

/// Pixels per second of the time axis when it ends at `end` (2% of headroom below).
fn px_per_sec(end: Duration) -> f64 {
    PLOT_PX / (end.as_secs_f64() * 1.02)
}

/// Draws a polyline in pixels with an arrowhead at its last point.
pub(crate) fn arrow(area: &Area, path: &[(f64, f64)], colour: RGBColor) -> Result<()> {
    let pt = |p: (f64, f64)| (p.0.round() as i32, p.1.round() as i32);
    area.draw(&PathElement::new(
        path.iter().map(|p| pt(*p)).collect::<Vec<_>>(),
        colour.stroke_width(2),
    ))
    .map_err(drawing)?;
    let (a, b) = (path[path.len() - 2], path[path.len() - 1]);
    if let Some(head) = arrowhead(a, b, 9.0, 4.5) {
        area.draw(&Polygon::new(head.map(pt).to_vec(), colour.filled()))
            .map_err(drawing)?;
    }
    Ok(())
}

impl Recorder {
    /// The recording's messages as a sequence diagram (see [`Sequence`]);
    /// a one-line message if no messages were recorded.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let (tx, rx) = crossbeam::channel::bounded(1);
    /// let (mut a, mut b) = (rec.lane("A"), rec.lane("B"));
    /// a.send("ping", 1, |m| tx.send(m)).unwrap();
    /// b.got(rx.recv().unwrap());
    /// drop((a, b));
    /// assert!(rec.sequence().to_svg().unwrap().contains("ping"));
    /// ```
    pub fn sequence(&self) -> Sequence {
        Sequence::from_result(self.trace())
    }
}

impl Trace {
    /// The messages as a sequence diagram (see [`Sequence`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// let (tx, _rx) = std::sync::mpsc::channel();
    /// rec.lane("A").send("hello", (), |m| tx.send(m)).unwrap();
    /// assert!(rec.trace().unwrap().sequence().to_svg().is_ok());
    /// ```
    pub fn sequence(&self) -> Sequence {
        Sequence::from_result(Ok(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Recorder;

    fn chatty(lanes: usize, messages: usize) -> Recorder {
        let rec = Recorder::new();
        let (tx, rx) = crossbeam::channel::unbounded();
        let mut all: Vec<_> = (0..lanes)
            .map(|i| rec.lane(format!("worker {i}")))
            .collect();
        for k in 0..messages {
            let from = k % lanes;
            all[from].send(format!("m{k}"), k, |m| tx.send(m)).unwrap();
            let to = (k + 1) % lanes;
            all[to].got(rx.recv().unwrap());
        }
        rec
    }

    #[test]
    fn twenty_lanes_draw_and_thousands_of_messages_are_thinned_with_a_note() {
        let svg = chatty(20, 60).sequence().to_svg().unwrap();
        assert!(svg.contains("worker 19"), "every lifeline named");
        let big = chatty(4, 2000).sequence();
        let text = big.summary();
        assert!(text.contains("one in every 7 drawn"), "{text}");
        assert!(text.contains("labels left out"), "{text}");
        assert!(big.to_svg().is_ok());
    }

    #[test]
    fn spans_go_on_the_lifelines_with_a_legend_row_for_their_kinds() {
        let rec = chatty(2, 4);
        assert!(!rec.sequence().to_svg().unwrap().contains("compute"));
        let mut lane = rec.lane("worker 0 again");
        lane.span(crate::trace::Kind::Compute, "crunch", || {
            std::thread::sleep(std::time::Duration::from_millis(2))
        });
        drop(lane);
        let chart = rec.sequence();
        let svg = chart.to_svg().unwrap();
        assert!(svg.contains("compute"), "the kind is named in the legend");
        assert!(
            !svg.contains("sleep / I/O"),
            "only the kinds drawn are named"
        );
        let height = |s: Sequence| s.height(960, crate::draw::Axes::default());
        assert!(height(chart) > height(chatty(2, 4).sequence()));
    }

    #[test]
    fn no_messages_is_a_one_line_error() {
        let rec = Recorder::new();
        rec.lane("a").mark("x");
        let e = rec.sequence().to_svg().unwrap_err().to_string();
        assert!(e.contains("no messages recorded"), "{e}");
    }

    #[test]
    fn nice_steps() {
        use crate::draw::nice_step;
        assert_eq!(nice_step(0.9), 1.0);
        assert_eq!(nice_step(23.0), 20.0);
        assert_eq!(nice_step(0.04), 0.05);
    }
}
