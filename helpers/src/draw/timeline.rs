//! The timeline: one swimlane per lane, spans coloured by kind, marks as ticks.

use std::fmt::Write as _;
use std::time::Duration;

use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Area, FONT, Hovers, KeyAxis, LegendSwatch, Panel, arrowhead, draw_legend, draw_notes,
    draw_title, drawing, hatch, kind_colour, kind_text_colour, legend_height, message_tip, shorten,
    span_tip, text_width,
};
use crate::error::{Error, Result};
use crate::record::Recorder;
use crate::show::{Rendering, Show, fmt_duration, shown_in_cells, time_unit};
use crate::trace::{Kind, LaneTrace, Span, Trace};

/// At most this many lanes are drawn; a note counts the rest.
const MAX_LANES: usize = 40;
/// Lanes with more spans than this are thinned: spans closer than a pixel are merged.
const THIN_ABOVE: usize = 1500;
const LANE_PX: u32 = 30;
const LANE_WITH_MARKS_PX: u32 = 64;
const X_AXIS_PX: u32 = 42;

/// A timeline chart of a trace: one swimlane per lane, time across.
///
/// Spans are coloured by [`Kind`] (with a legend), labelled when the label fits, and
/// never thinner than a pixel, so even a 50 ns span shows. Marks are ticks with their
/// label above. A lane with thousands of spans is thinned for drawing (spans closer
/// than a pixel become one block) and a note under the chart says so; the trace itself
/// keeps everything.
///
/// # Examples
///
/// ```
/// use lab::{record::Recorder, trace::Kind};
///
/// let rec = Recorder::new();
/// let mut lane = rec.lane("A");
/// lane.span(Kind::Compute, "1000 + 500", || 1000 + 500);
/// lane.mark("write 1500");
/// drop(lane);
/// let svg = rec.timeline().title("thread A").to_svg().unwrap();
/// assert!(svg.starts_with("<svg"));
/// ```
#[derive(Clone, Debug)]
pub struct Timeline {
    trace: Result<Trace>,
    pub(super) title: Option<String>,
    pub(super) width: Option<u32>,
}

impl Timeline {
    pub(crate) fn from_result(trace: Result<Trace>) -> Timeline {
        Timeline {
            trace,
            title: None,
            width: None,
        }
    }

    /// The trace drawn, or why there is none.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// assert!(rec.timeline().trace().is_err());
    /// rec.lane("a").mark("m");
    /// assert_eq!(rec.timeline().trace().unwrap().mark_count(), 1);
    /// ```
    pub fn trace(&self) -> Result<&Trace> {
        self.trace.as_ref().map_err(Clone::clone)
    }

    pub(crate) fn time_extent(&self) -> Option<Duration> {
        self.trace.as_ref().ok().map(Trace::wall)
    }

    /// Works out sizes, the time axis, where mark labels go, and the notes, for a
    /// given width and (shared) time axis.
    fn layout(&self, trace: &Trace, width: u32, axes: Axes) -> Layout {
        let lanes = &trace.lanes()[..trace.lanes().len().min(MAX_LANES)];
        let names: Vec<String> = lanes.iter().map(|l| shorten(&l.name, 24)).collect();
        let label_px = names
            .iter()
            .map(|s| text_width(s, 15.0))
            .fold(40.0, f64::max)
            .min(220.0) as u32
            + 22;
        let label_px = label_px.max(axes.label_px.unwrap_or(0));
        let extent = axes
            .time
            .unwrap_or_else(|| trace.wall())
            .max(Duration::from_nanos(10));
        let (unit, per_sec) = time_unit(extent);
        let xmax = extent.as_secs_f64() * per_sec * 1.02;
        let plot_w = (width as f64 - label_px as f64 - MARGIN_LEFT - MARGIN_RIGHT).max(50.0);
        let px = xmax / plot_w;

        // Mark labels: each goes in the first of two rows where it does not run into
        // the label before it; a label with no room is left out and counted.
        // A label goes right of its tick, or, near the right edge, left of it.
        let mut hidden = 0;
        let mut rows = Vec::with_capacity(lanes.len());
        for lane in lanes {
            let mut free_from = [f64::NEG_INFINITY; 2];
            let lane_rows: Vec<Option<(usize, bool)>> = lane
                .marks
                .iter()
                .map(|m| {
                    let x = m.at.as_secs_f64() * per_sec;
                    let w = (text_width(&m.label, 13.5) + 8.0) * px;
                    let fits = |start: f64, r: usize| start >= free_from[r] && start >= 0.0;
                    let right = x + w <= xmax + 20.0 * px;
                    let place = (0..2)
                        .find_map(|r| (right && fits(x, r)).then_some((r, false)))
                        .or_else(|| (0..2).find_map(|r| fits(x - w, r).then_some((r, true))));
                    match place {
                        Some((r, left)) => free_from[r] = if left { x + 4.0 * px } else { x + w },
                        None => hidden += 1,
                    }
                    place
                })
                .collect();
            rows.push(lane_rows);
        }

        let mut notes: Vec<String> = trace.notes().to_vec();
        let shown = trace
            .messages()
            .iter()
            .filter(|m| m.from < lanes.len() && m.to.is_none_or(|t| t < lanes.len()))
            .count();
        if shown > MAX_ARROWS {
            notes.push(format!(
                "{shown} messages: one in every {} drawn (the trace keeps them all)",
                shown.div_ceil(MAX_ARROWS)
            ));
        }
        if trace.lanes().len() > MAX_LANES {
            notes.push(format!(
                "{} more lanes not drawn (a timeline shows the first {MAX_LANES})",
                trace.lanes().len() - MAX_LANES
            ));
        }
        let thinned: Vec<_> = lanes
            .iter()
            .filter(|l| l.spans.len() > THIN_ABOVE)
            .collect();
        if !thinned.is_empty() {
            let spans: usize = thinned.iter().map(|l| l.spans.len()).sum();
            notes.push(format!(
                "{spans} spans in {} busy lane(s) drawn thinned: spans less than a pixel \
                 apart are merged into one block (the trace keeps them all)",
                thinned.len()
            ));
        }
        if hidden > 0 {
            notes.push(format!(
                "{hidden} event labels left out where they would overlap (every tick is drawn; \
                 the trace keeps all labels)"
            ));
        }
        let lane_px = lanes
            .iter()
            .map(|l| {
                if l.marks.is_empty() {
                    LANE_PX
                } else {
                    LANE_WITH_MARKS_PX
                }
            })
            .collect();
        Layout {
            names,
            label_px,
            unit,
            per_sec,
            xmax,
            lane_px,
            rows,
            notes,
        }
    }

    /// Pixels the lane names need.
    pub(crate) fn label_px(&self) -> u32 {
        match &self.trace {
            Ok(trace) => {
                self.layout(trace, super::DEFAULT_WIDTH, Axes::default())
                    .label_px
            }
            Err(_) => 0,
        }
    }

    pub(crate) fn summary(&self) -> String {
        let trace = match &self.trace {
            Ok(t) => t,
            Err(e) => return e.to_string(),
        };
        let mut s = String::new();
        let title = self.title.as_deref().unwrap_or("timeline");
        let _ = writeln!(
            s,
            "{title}: {} lanes ({}), {} spans, {} marks, {} messages, wall {}",
            trace.lanes().len(),
            super::some_names(trace.lanes().iter().map(|l| &*l.name), 6),
            trace.span_count(),
            trace.mark_count(),
            trace.messages().len(),
            crate::show::fmt_duration(trace.wall()),
        );
        for lane in trace.lanes().iter().take(MAX_LANES) {
            let _ = write!(s, "  {:<16}", shorten(&lane.name, 16));
            for kind in Kind::ALL {
                let spans: Vec<&Span> = lane.spans.iter().filter(|sp| sp.kind == kind).collect();
                if !spans.is_empty() {
                    let total: Duration = spans.iter().map(|sp| sp.duration()).sum();
                    let _ = write!(
                        s,
                        "  {} {} ({})",
                        kind.name(),
                        crate::show::fmt_duration(total),
                        spans.len()
                    );
                }
            }
            if !lane.marks.is_empty() {
                let _ = write!(s, "  marks: {}", lane.marks.len());
            }
            s.push('\n');
        }
        for note in self
            .layout(trace, super::DEFAULT_WIDTH, Axes::default())
            .notes
        {
            let _ = writeln!(s, "note: {note}");
        }
        s.trim_end().to_string()
    }
}

/// How a figure stacks this chart (see [`Panel`]).
impl Panel for Timeline {
    fn height(&self, width: u32, axes: Axes) -> u32 {
        let Ok(trace) = &self.trace else {
            return 100;
        };
        let layout = self.layout(trace, width, axes);
        let title = if self.title.is_some() { 30 } else { 0 };
        let lanes: u32 = layout.lane_px.iter().sum();
        let entries = legend(trace, &trace.lanes()[..layout.lane_px.len()]);
        let legend = legend_height(entries.iter().map(|(name, _)| name.as_str()), width);
        title + legend + lanes + X_AXIS_PX + 12 + super::notes_height(&layout.notes, width)
    }

    fn problem(&self) -> Option<&Error> {
        self.trace.as_ref().err()
    }

    /// Draws the timeline on `area`, with axes shared with the other timelines of a
    /// figure, or its own.
    fn draw(&self, area: &Area, axes: Axes, hovers: &mut Hovers) -> Result<()> {
        let trace = self.trace()?;
        let (width, _) = area.dim_in_pixel();
        let layout = self.layout(trace, width, axes);
        let mut rest = area.clone();
        if let Some(title) = &self.title {
            let (top, below) = rest.split_vertically(30);
            draw_title(&top, title, 18.5)?;
            rest = below;
        }
        let lanes = &trace.lanes()[..layout.lane_px.len()];

        // Legend: only the kinds that appear, in as many rows as the width needs.
        let entries = legend(trace, lanes);
        let legend_h = legend_height(entries.iter().map(|(name, _)| name.as_str()), width);
        let (legend_area, rest) = rest.split_vertically(legend_h);
        draw_legend(&legend_area, &entries)?;

        let (w, h) = rest.dim_in_pixel();
        let notes_h = super::notes_height(&layout.notes, w);
        let (chart_area, notes_area) = rest.split_vertically(h.saturating_sub(notes_h));
        draw_notes(&notes_area, &layout.notes)?;

        // y runs in pixels from the bottom: lane i (0 = top) owns [base, base + height).
        let n = lanes.len();
        let heights: Vec<f64> = layout.lane_px.iter().map(|h| *h as f64).collect();
        let total_h: f64 = heights.iter().sum();
        let mut bases = vec![0.0; n];
        let mut acc = total_h;
        for i in 0..n {
            acc -= heights[i];
            bases[i] = acc;
        }
        // Lane names sit level with the span band.
        let centers: Vec<f64> = (0..n)
            .map(|i| bases[i] + BAND.0 + (BAND.1 - BAND.0) / 2.0)
            .collect();
        let centers = centers
            .iter()
            .zip(&heights)
            .zip(&bases)
            .map(|((c, h), b)| {
                if *h == LANE_PX as f64 {
                    b + h / 2.0
                } else {
                    *c
                }
            })
            .collect::<Vec<_>>();
        let Layout {
            unit,
            per_sec,
            xmax,
            ..
        } = layout;
        let mut chart = ChartBuilder::on(&chart_area)
            .margin_left(MARGIN_LEFT as i32)
            .margin_right(MARGIN_RIGHT as i32)
            .margin_top(4)
            .margin_bottom(8)
            .x_label_area_size(X_AXIS_PX)
            .y_label_area_size(layout.label_px)
            .build_cartesian_2d(
                0f64..xmax,
                super::KeyAxis::new(0f64..total_h, centers.clone()),
            )
            .map_err(drawing)?;
        let name_of = |v: &f64| {
            centers
                .iter()
                .position(|c| (c - v).abs() < 0.5)
                .map(|i| layout.names[i].clone())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(WHITE)
            .x_labels(10)
            .x_label_formatter(&|v| super::axis_number(*v))
            .y_label_formatter(&name_of)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 15))
            .x_desc(format!("time since the first record ({unit})"))
            .draw()
            .map_err(drawing)?;

        let (plot_w, _) = chart.plotting_area().dim_in_pixel();
        let px = xmax / plot_w.max(1) as f64; // axis units per pixel
        let scale = Scale { per_sec, px };

        // Lane separators.
        let separators = bases
            .iter()
            .skip(1)
            .map(|y| PathElement::new(vec![(0.0, *y), (xmax, *y)], RGBColor(215, 215, 215)));
        chart.draw_series(separators).map_err(drawing)?;

        for (i, lane) in lanes.iter().enumerate() {
            let (base, h) = (bases[i], heights[i]);
            // The span band: the whole lane, or its lower part when labels go above.
            let band = if lane.marks.is_empty() {
                (base + 5.0, base + h - 5.0)
            } else {
                (base + BAND.0, base + BAND.1)
            };
            draw_spans(&mut chart, lane, band, scale, hovers)?;
            draw_marks(&mut chart, lane, &layout.rows[i], base, scale, hovers)?;
        }
        draw_messages(&mut chart, trace, lanes, &centers, scale, hovers)
    }
}

/// The legend's entries: the kinds of span that appear, and marks, cut spans and
/// messages if there are any.
fn legend(trace: &Trace, lanes: &[LaneTrace]) -> Vec<(String, LegendSwatch)> {
    let mut legend: Vec<(String, LegendSwatch)> = Kind::ALL
        .iter()
        .filter(|k| lanes.iter().any(|l| l.spans.iter().any(|s| s.kind == **k)))
        .map(|k| {
            let swatch = if *k == Kind::LockWait {
                LegendSwatch::Hatched(kind_colour(*k))
            } else {
                LegendSwatch::Box(kind_colour(*k))
            };
            (k.name().to_string(), swatch)
        })
        .collect();
    if lanes.iter().any(|l| !l.marks.is_empty()) {
        legend.push(("event".into(), LegendSwatch::Tick));
    }
    if lanes.iter().any(|l| l.spans.iter().any(|s| s.cancelled)) {
        legend.push(("cancelled (cut short)".into(), LegendSwatch::Cut));
    }
    if !trace.messages().is_empty() {
        legend.push(("message".into(), LegendSwatch::Line(MESSAGE, false)));
        if trace.messages().iter().any(|m| !m.blocked().is_zero()) {
            legend.push(("sender blocked".into(), LegendSwatch::Hatched(BLOCKED)));
        }
    }
    legend
}

/// The chart a timeline draws on: time across (in the trace's unit), pixel rows up.
type TimeChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, KeyAxis>>;

/// The time axis's scale: how many axis units a second is, and one pixel is.
#[derive(Clone, Copy, Debug)]
struct Scale {
    per_sec: f64,
    px: f64,
}

impl Scale {
    /// Where a time since the trace's zero sits on the axis.
    fn x(self, d: Duration) -> f64 {
        d.as_secs_f64() * self.per_sec
    }
}

/// Draws one lane's spans in its band (`y0..y1`, rows of the chart): a coloured block
/// each, white edges between back-to-back ones, the labels that fit, a red end on a span
/// cut short, and a hover title each.
fn draw_spans(
    chart: &mut TimeChart<'_, '_>,
    lane: &LaneTrace,
    (y0, y1): (f64, f64),
    scale: Scale,
    hovers: &mut Hovers,
) -> Result<()> {
    let Scale { per_sec, px } = scale;
    let to_x = |d: Duration| scale.x(d);
    let pixel = Duration::from_secs_f64(px / per_sec);
    let blocks = thin(&lane.spans, pixel, lane.spans.len() > THIN_ABOVE);
    let outline = blocks.len() <= THIN_ABOVE;
    let mut rects = Vec::with_capacity(blocks.len());
    let mut edges = Vec::new();
    let mut texts = Vec::new();
    let mut cuts = Vec::new();
    let mut blocked = Vec::new();
    // Spans inside spans (work done while holding a lock, say) are drawn inset
    // on top of their parent; a parent's label would be hidden, so it is left out.
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by_key(|&i| (blocks[i].start, std::cmp::Reverse(blocks[i].end)));
    let mut depth = vec![0usize; blocks.len()];
    let mut has_child = vec![false; blocks.len()];
    let mut open: Vec<usize> = Vec::new();
    for &i in &order {
        while open
            .last()
            .is_some_and(|&top| blocks[top].end <= blocks[i].start)
        {
            open.pop();
        }
        depth[i] = open.len();
        if let Some(&top) = open.last() {
            has_child[top] = true;
        }
        open.push(i);
    }
    let band = y1 - y0;
    for &i in &order {
        let b = &blocks[i];
        let inset = band * 0.28 * depth[i].min(1) as f64;
        let (y0, y1) = (y0 + inset, y1 - inset);
        let x0 = to_x(b.start);
        // Never thinner than 2 px, so the shortest span still shows.
        let x1 = to_x(b.end).max(x0 + 2.0 * px);
        rects.push(Rectangle::new(
            [(x0, y0), (x1, y1)],
            kind_colour(b.kind).filled(),
        ));
        let corners = (
            chart.backend_coord(&(x0, y1)),
            chart.backend_coord(&(x1, y0)),
        );
        hovers.rect(
            corners.0,
            corners.1,
            span_tip(&lane.name, b.label, b.kind, b.start, b.end),
        );
        if b.kind == Kind::LockWait {
            blocked.push(corners);
        }
        if outline && x1 - x0 >= 6.0 * px {
            // A white edge keeps back-to-back spans apart.
            edges.push(Rectangle::new([(x0, y0), (x1, y1)], WHITE.stroke_width(1)));
        }
        if b.cancelled {
            cuts.push(Rectangle::new(
                [(x1 - 3.0 * px, y0 - 2.0), (x1, y1 + 2.0)],
                RGBColor(170, 0, 0).filled(),
            ));
        }
        if let Some(label) = b.label.filter(|_| !has_child[i]) {
            let width_px = (x1 - x0) / px;
            let text = if b.cancelled {
                format!("{label} ✂")
            } else {
                label.to_string()
            };
            if !text.is_empty() && text_width(&text, 14.0) * 0.9 + 4.0 < width_px {
                let style = (FONT, 14)
                    .into_font()
                    .color(&kind_text_colour(b.kind))
                    .pos(Pos::new(HPos::Center, VPos::Center));
                texts.push(Text::new(text, ((x0 + x1) / 2.0, (y0 + y1) / 2.0), style));
            }
        }
    }
    chart.draw_series(rects).map_err(drawing)?;
    chart.draw_series(edges).map_err(drawing)?;
    hatch_pixels(chart, &blocked)?;
    chart.draw_series(cuts).map_err(drawing)?;
    chart.draw_series(texts).map_err(drawing)?;
    Ok(())
}

/// Two opposite corners of a rectangle, in the backend's pixels.
type PixelRect = ((i32, i32), (i32, i32));

/// [`hatch`]es rectangles given in the backend's pixels (from `backend_coord`) over the
/// chart's plotting area.
fn hatch_pixels(chart: &TimeChart<'_, '_>, rects: &[PixelRect]) -> Result<()> {
    let area = chart.plotting_area();
    let (bx, by) = area.get_base_pixel();
    let plain = area.strip_coord_spec();
    for &(a, b) in rects {
        hatch(&plain, (a.0 - bx, a.1 - by), (b.0 - bx, b.1 - by))?;
    }
    Ok(())
}

/// Draws one lane's marks: a tick through the span band rising to its label like a
/// flag (`rows`: each label's row and side, or none when there is no room).
fn draw_marks(
    chart: &mut TimeChart<'_, '_>,
    lane: &LaneTrace,
    rows: &[Option<(usize, bool)>],
    base: f64,
    scale: Scale,
    hovers: &mut Hovers,
) -> Result<()> {
    let px = scale.px;
    let to_x = |d: Duration| scale.x(d);
    // Marks: a tick through the span band, rising to its label like a flag.
    let mut ticks = Vec::new();
    let mut labels = Vec::new();
    for (m, place) in lane.marks.iter().zip(rows) {
        let x = to_x(m.at);
        let top = match place {
            Some((r, _)) => base + LABEL_ROWS[*r] - 12.0,
            None => base + BAND.1 + 3.0,
        };
        ticks.push(PathElement::new(
            vec![(x, base + BAND.0 - 3.0), (x, top)],
            BLACK.stroke_width(2),
        ));
        let ((tx, ty0), (_, ty1)) = (
            chart.backend_coord(&(x, top)),
            chart.backend_coord(&(x, base + BAND.0 - 3.0)),
        );
        hovers.rect(
            (tx - 3, ty0),
            (tx + 3, ty1),
            format!("{}: {}, at {}", lane.name, m.label, fmt_duration(m.at)),
        );
        if let Some((r, left)) = place {
            let (anchor, dx) = if *left {
                (HPos::Right, -3.0 * px)
            } else {
                (HPos::Left, 3.0 * px)
            };
            let style = (FONT, 13.5)
                .into_font()
                .color(&RGBColor(30, 30, 30))
                .pos(Pos::new(anchor, VPos::Center));
            labels.push(Text::new(
                m.label.to_string(),
                (x + dx, base + LABEL_ROWS[*r] - 6.0),
                style,
            ));
        }
    }
    chart.draw_series(ticks).map_err(drawing)?;
    chart.draw_series(labels).map_err(drawing)?;
    Ok(())
}

/// Draws the messages between the lanes drawn (`centers`: each lane's middle row).
fn draw_messages(
    chart: &mut TimeChart<'_, '_>,
    trace: &Trace,
    lanes: &[LaneTrace],
    centers: &[f64],
    scale: Scale,
    hovers: &mut Hovers,
) -> Result<()> {
    let (n, px) = (lanes.len(), scale.px);
    let to_x = |d: Duration| scale.x(d);
    // Messages between drawn lanes: an arrow from send to receive, the sender's
    // blocked time as an orange bar, a red cross for one never received. Arrowheads
    // are worked out in pixels (x units per pixel: `px`; y is already in pixels).
    let messages: Vec<_> = trace
        .messages()
        .iter()
        .filter(|m| m.from < n && m.to.is_none_or(|t| t < n))
        .collect();
    let step = messages.len().div_ceil(MAX_ARROWS).max(1);
    for m in messages.into_iter().step_by(step) {
        let tip = message_tip(m, &lanes[m.from].name, m.to.map(|t| &*lanes[t].name));
        let (x0, y0) = (to_x(m.sent), centers[m.from]);
        let x_end = to_x(m.handed_over());
        if x_end - x0 >= px {
            chart
                .draw_series([Rectangle::new(
                    [(x0, y0 - 4.0), (x_end, y0 + 4.0)],
                    BLOCKED.filled(),
                )])
                .map_err(drawing)?;
            let corners = (
                chart.backend_coord(&(x0, y0 - 4.0)),
                chart.backend_coord(&(x_end, y0 + 4.0)),
            );
            hatch_pixels(chart, &[corners])?;
        }
        let x0 = x_end; // the message leaves when the channel takes it
        let Some((to, at)) = m.to.zip(m.received) else {
            let cross = [(-4.0, -4.0), (-4.0, 4.0)].map(|(dx, dy)| {
                PathElement::new(
                    vec![(x0 + dx * px, y0 + dy), (x0 - dx * px, y0 - dy)],
                    LOST.stroke_width(2),
                )
            });
            chart.draw_series(cross).map_err(drawing)?;
            let (cx, cy) = chart.backend_coord(&(x0, y0));
            hovers.rect((cx - 6, cy - 6), (cx + 6, cy + 6), tip);
            continue;
        };
        let (x1, y1) = (to_x(at), centers[to]);
        hovers.line(
            chart.backend_coord(&(x0, y0)),
            chart.backend_coord(&(x1, y1)),
            tip,
        );
        chart
            .draw_series([PathElement::new(
                vec![(x0, y0), (x1, y1)],
                MESSAGE.stroke_width(1),
            )])
            .map_err(drawing)?;
        // The head is worked out in pixels (x / px), then put back on the axis.
        let (from, tip) = ((x0 / px, y0), (x1 / px, y1));
        let long_enough = (tip.0 - from.0).hypot(tip.1 - from.1) >= 4.0;
        if let Some(head) = arrowhead(from, tip, 7.0, 3.5).filter(|_| long_enough) {
            chart
                .draw_series([Polygon::new(
                    head.map(|(x, y)| (x * px, y)).to_vec(),
                    MESSAGE.filled(),
                )])
                .map_err(drawing)?;
        }
    }
    Ok(())
}

/// Above this many messages, a timeline draws one in every k.
const MAX_ARROWS: usize = 300;
const MESSAGE: RGBColor = RGBColor(40, 40, 40);
const BLOCKED: RGBColor = RGBColor(213, 94, 0);
const LOST: RGBColor = RGBColor(200, 30, 30);

/// What the timelines stacked in one figure share, so they line up.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Axes {
    /// The time axis runs to this (the longest trace's wall time).
    pub(crate) time: Option<Duration>,
    /// Lane names get at least this many pixels (the widest names').
    pub(crate) label_px: Option<u32>,
}

/// Sizes and positions worked out before drawing.
struct Layout {
    names: Vec<String>,
    label_px: u32,
    unit: &'static str,
    per_sec: f64,
    xmax: f64,
    lane_px: Vec<u32>,
    /// For each lane, each mark's label row and whether it sits left of its tick
    /// (None: no room, label left out).
    rows: Vec<Vec<Option<(usize, bool)>>>,
    notes: Vec<String>,
}

const MARGIN_LEFT: f64 = 4.0;
const MARGIN_RIGHT: f64 = 24.0;
/// In a lane with marks (pixels from the lane's bottom): the span band...
const BAND: (f64, f64) = (6.0, 26.0);
/// ...and the tops of the two label rows above it.
const LABEL_ROWS: [f64; 2] = [44.0, 60.0];

/// A block to draw: one span, or several merged ones (then it has no label).
struct Block<'a> {
    start: Duration,
    end: Duration,
    kind: Kind,
    cancelled: bool,
    label: Option<&'a str>,
}

/// The spans to draw for one lane. When `merge` is set, consecutive spans of the same
/// kind less than a pixel apart become one block; otherwise every span is its own block.
fn thin(spans: &[Span], pixel: Duration, merge: bool) -> Vec<Block<'_>> {
    let mut out: Vec<Block<'_>> = Vec::with_capacity(spans.len().min(4096));
    for s in spans {
        if let Some(last) = out.last_mut().filter(|_| merge)
            && last.kind == s.kind
            && s.start.saturating_sub(last.end) <= pixel
        {
            last.end = last.end.max(s.end);
            last.label = None;
            last.cancelled |= s.cancelled;
            continue;
        }
        out.push(Block {
            start: s.start,
            end: s.end,
            kind: s.kind,
            cancelled: s.cancelled,
            label: Some(&s.label),
        });
    }
    out
}

/// The charts a recording draws itself as (here, next to the chart, so that recording
/// never depends on drawing).
impl Recorder {
    /// The recording as a timeline chart (see [`Timeline`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// rec.lane("a").mark("hello");
    /// let svg = rec.timeline().title("one mark").to_svg().unwrap();
    /// assert!(svg.contains("one mark"));
    /// ```
    pub fn timeline(&self) -> Timeline {
        Timeline::from_result(self.trace())
    }
}

impl Trace {
    /// The trace as a timeline chart.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// rec.lane("a").mark("x");
    /// assert!(rec.trace().unwrap().timeline().to_svg().is_ok());
    /// ```
    pub fn timeline(&self) -> Timeline {
        Timeline::from_result(Ok(self.clone()))
    }
}

/// A recording shows itself as its timeline.
impl Show for Recorder {
    fn summary(&self) -> String {
        self.timeline().summary()
    }

    fn rendering(&self) -> Rendering {
        self.timeline().rendering()
    }
}
shown_in_cells!(
    Recorder,
    r#"{ let rec = lab::record::Recorder::new(); rec.lane("a").mark("hello"); rec }"#
);

/// A trace shows itself as its timeline.
impl Show for Trace {
    fn summary(&self) -> String {
        self.timeline().summary()
    }

    fn rendering(&self) -> Rendering {
        self.timeline().rendering()
    }
}
shown_in_cells!(
    Trace,
    r#"{ let rec = lab::record::Recorder::new(); rec.lane("a").mark("x"); rec.trace().unwrap() }"#
);
