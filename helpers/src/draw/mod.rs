//! Drawing: timelines, bar charts, line charts, and figures that stack them.
//!
//! Every chart is a plain value built with a short builder chain. It displays itself
//! when it is the last expression of a cell (evcxr calls its `evcxr_display`), as an
//! SVG image plus a plain-text summary for consoles and screen readers. A chart built
//! from bad input (an empty trace, a zero width) shows a one-line message instead.
//!
//! evcxr keeps only one image per cell, so to show two charts at once, stack them:
//! `a.above(b)` or [`Figure::new`]`().with(a).with(b)`. Timelines stacked in one figure
//! share their time axis, so the shorter run *looks* shorter.

mod charts;
mod graph;
mod sequence;
mod table;
mod timeline;

pub use charts::{Bars, Lines};
pub use graph::WaitForGraph;
pub use sequence::Sequence;
pub use table::Table;
use timeline::Axes;
pub use timeline::Timeline;

use std::fmt::Write as _;
use std::time::Duration;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, ErrorKind, Result, save_file, svg_or_problem};
use crate::record::{Kind, Message};
use crate::show::{Hover, Rendering, Show, describe_svg, fmt_duration, shown_in_cells};

/// The drawing surface every chart draws on.
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Default figure width in pixels: fits a JupyterLab cell without scrolling.
pub(crate) const DEFAULT_WIDTH: u32 = 960;
pub(crate) const FONT: &str = "sans-serif";

/// Accepted widths; anything else is a mistake worth a message.
pub(crate) fn check_width(px: u32) -> Result<u32> {
    if (320..=4000).contains(&px) {
        Ok(px)
    } else {
        Err(Error::of(
            ErrorKind::BadInput,
            format!("width {px} px is outside 320..=4000: try .width(960)"),
        ))
    }
}

/// Turns a plotters error into ours.
pub(crate) fn drawing<E: std::fmt::Display>(e: E) -> Error {
    Error::of(ErrorKind::Render, format!("drawing failed: {e}"))
}

/// The colour of a kind of span. Okabe–Ito colours: told apart with any colour vision.
pub(crate) fn kind_colour(kind: Kind) -> RGBColor {
    match kind {
        Kind::Compute => RGBColor(0, 114, 178),
        Kind::Wait => RGBColor(190, 190, 190),
        Kind::Io => RGBColor(230, 159, 0),
        Kind::LockWait => RGBColor(213, 94, 0),
        Kind::LockHeld => RGBColor(0, 158, 115),
        Kind::Send => RGBColor(204, 121, 167),
        Kind::Recv => RGBColor(240, 228, 66),
    }
}

/// The colour that reads on top of `kind_colour(kind)`.
pub(crate) fn kind_text_colour(kind: Kind) -> RGBColor {
    match kind {
        Kind::Compute | Kind::LockWait | Kind::LockHeld => WHITE,
        _ => BLACK,
    }
}

/// Series colours for bars and lines, in order.
pub(crate) fn series_colour(i: usize) -> RGBColor {
    const PALETTE: [RGBColor; 6] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
    ];
    PALETTE[i % PALETTE.len()]
}

/// A rough width in pixels of `text` at `size` px in a sans-serif face (SVG text is
/// measured by the browser, so this only has to be safe, not exact).
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.5
}

/// Shortens `text` to at most `max` characters, with an ellipsis.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A round step (1, 2 or 5 times a power of ten) near `rough`.
pub(crate) fn nice_step(rough: f64) -> f64 {
    if rough <= 0.0 || !rough.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(rough.log10().floor());
    let m = rough / power;
    let nice = if m < 1.5 {
        1.0
    } else if m < 3.5 {
        2.0
    } else if m < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// An axis tick label: no trailing zeros (`1`, `1.5`, `0.25`, `12000`).
pub(crate) fn axis_number(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.to_string()
    }
}

/// At most this many hover regions per image: a timeline of 100 000 spans keeps its
/// tooltips for the first ones and a reasonable file size.
const MAX_HOVERS: usize = 1000;

/// The tooltips of an image, collected while its charts are drawn (in the whole
/// image's pixels) and written into the SVG by [`describe_svg`].
#[derive(Debug, Default)]
pub(crate) struct Hovers(Vec<Hover>);

impl Hovers {
    /// A rectangle with a tooltip; corners in the image's pixels (what a chart's
    /// `backend_coord` gives, or [`on_image`]).
    pub(crate) fn rect(&mut self, a: (i32, i32), b: (i32, i32), text: String) {
        if self.0.len() < MAX_HOVERS {
            self.0.push(Hover::Rect(a, b, text));
        }
    }

    /// A line with a tooltip; ends in the image's pixels.
    pub(crate) fn line(&mut self, a: (i32, i32), b: (i32, i32), text: String) {
        if self.0.len() < MAX_HOVERS {
            self.0.push(Hover::Line(a, b, text));
        }
    }
}

/// Where a point of `area`, in its own pixels, is on the whole image.
pub(crate) fn on_image(area: &Area, (x, y): (i32, i32)) -> (i32, i32) {
    let (bx, by) = area.get_base_pixel();
    (bx + x, by + y)
}

/// A span's tooltip: `lane: label (kind), at 1.20 ms for 4.00 ms`.
pub(crate) fn span_tip(
    lane: &str,
    label: Option<&str>,
    kind: Kind,
    start: Duration,
    end: Duration,
) -> String {
    let what = match label.filter(|l| !l.is_empty()) {
        Some(l) => format!("{l} ({})", kind.name()),
        None => kind.name().to_string(),
    };
    format!(
        "{lane}: {what}, at {} for {}",
        fmt_duration(start),
        fmt_duration(end.saturating_sub(start))
    )
}

/// A message's tooltip: who sent it to whom, when, how long the sender was blocked and
/// how long it was in the channel.
pub(crate) fn message_tip(m: &Message, from: &str, to: Option<&str>) -> String {
    let mut s = format!("{}: {from} → {}", m.label, to.unwrap_or("nobody"));
    s.push_str(&format!(", sent at {}", fmt_duration(m.sent)));
    if !m.blocked().is_zero() {
        s.push_str(&format!(", sender blocked {}", fmt_duration(m.blocked())));
    }
    match m.in_flight() {
        Some(d) => s.push_str(&format!(", in the channel {}", fmt_duration(d))),
        None => s.push_str(", never received"),
    }
    s
}

/// Up to `max` names, then how many more: `A, B, C and 4 more`.
pub(crate) fn some_names<'a>(names: impl IntoIterator<Item = &'a str>, max: usize) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let mut s = names
        .iter()
        .take(max)
        .map(|n| shorten(n, 24))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > max {
        s.push_str(&format!(" and {} more", names.len() - max));
    }
    s
}

/// Draws a row of legend entries (colour box + name) on `area`, left to right.
pub(crate) fn draw_legend(area: &Area, entries: &[(String, LegendSwatch)]) -> Result<()> {
    let mut x = 12i32;
    let y = 5i32;
    for (name, swatch) in entries {
        match swatch {
            LegendSwatch::Box(c) => {
                area.draw(&Rectangle::new([(x, y + 1), (x + 14, y + 13)], c.filled()))
                    .map_err(drawing)?;
            }
            LegendSwatch::Line(c, dashed) => {
                let style = c.stroke_width(3);
                if *dashed {
                    for k in 0..3 {
                        let x0 = x + k * 6;
                        area.draw(&PathElement::new(vec![(x0, y + 7), (x0 + 3, y + 7)], style))
                            .map_err(drawing)?;
                    }
                } else {
                    area.draw(&PathElement::new(vec![(x, y + 7), (x + 14, y + 7)], style))
                        .map_err(drawing)?;
                }
            }
            LegendSwatch::Tick => {
                area.draw(&PathElement::new(
                    vec![(x + 6, y - 1), (x + 6, y + 15)],
                    BLACK.stroke_width(2),
                ))
                .map_err(drawing)?;
            }
            LegendSwatch::Cut => {
                area.draw(&Rectangle::new(
                    [(x, y + 1), (x + 14, y + 13)],
                    RGBColor(150, 150, 150).filled(),
                ))
                .map_err(drawing)?;
                area.draw(&Rectangle::new(
                    [(x + 11, y - 1), (x + 14, y + 15)],
                    RGBColor(170, 0, 0).filled(),
                ))
                .map_err(drawing)?;
            }
        }
        area.draw(&Text::new(
            name.clone(),
            (x + 19, y),
            (FONT, 15).into_font(),
        ))
        .map_err(drawing)?;
        x += 19 + text_width(name, 15.0) as i32 + 14;
    }
    Ok(())
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) enum LegendSwatch {
    Box(RGBColor),
    Line(RGBColor, bool),
    Tick,
    Cut,
}

/// Draws a title in bold at the top left of `area`.
pub(crate) fn draw_title(area: &Area, title: &str, size: f64) -> Result<()> {
    let font = (FONT, size).into_font().style(FontStyle::Bold);
    area.draw(&Text::new(title.to_string(), (10, 6), font))
        .map_err(drawing)?;
    Ok(())
}

/// Draws notes in grey italics, each starting with "note:", wrapped to the area's width.
pub(crate) fn draw_notes(area: &Area, notes: &[String]) -> Result<()> {
    let font = (FONT, 14)
        .into_font()
        .style(FontStyle::Italic)
        .color(&RGBColor(90, 90, 90));
    let (width, _) = area.dim_in_pixel();
    for (i, line) in note_lines(notes, width).into_iter().enumerate() {
        area.draw(&Text::new(
            line,
            (12, 2 + NOTE_LINE as i32 * i as i32),
            font.clone(),
        ))
        .map_err(drawing)?;
    }
    Ok(())
}

/// The notes as drawn: "note: " before each, long ones wrapped at word boundaries to fit
/// `width` pixels (continuation lines indented).
pub(crate) fn note_lines(notes: &[String], width: u32) -> Vec<String> {
    let room = (width as f64 - 30.0).max(100.0);
    let mut lines = Vec::new();
    for note in notes {
        let mut line = String::from("note:");
        for word in note.split_whitespace() {
            let candidate = format!("{line} {word}");
            if text_width(&candidate, 14.0) > room && line.trim().len() > 5 {
                lines.push(line);
                line = format!("      {word}");
            } else {
                line = candidate;
            }
        }
        lines.push(line);
    }
    lines
}

/// The height the notes take when drawn `width` pixels wide.
pub(crate) fn notes_height(notes: &[String], width: u32) -> u32 {
    note_lines(notes, width).len() as u32 * NOTE_LINE
}

pub(crate) const NOTE_LINE: u32 = 16;

/// Any chart, so that a [`Figure`] can stack different kinds.
///
/// You rarely name this type: `Figure::with` and `above` accept a [`Timeline`],
/// [`Bars`], [`Lines`] or a [`Recorder`](crate::Recorder) directly.
///
/// # Examples
///
/// ```
/// use lab::{Bars, Chart};
/// let chart: Chart = Bars::new("one bar").bar("a", 1.0).into();
/// assert!(matches!(chart, Chart::Bars(_)));
/// ```
#[derive(Clone, Debug)]
pub enum Chart {
    /// A timeline of lanes.
    Timeline(Timeline),
    /// A bar chart.
    Bars(Bars),
    /// A line chart.
    Lines(Lines),
    /// A wait-for graph.
    Graph(WaitForGraph),
    /// A message sequence diagram.
    Sequence(Sequence),
}

impl From<Timeline> for Chart {
    fn from(t: Timeline) -> Chart {
        Chart::Timeline(t)
    }
}
impl From<&crate::Recorder> for Chart {
    fn from(r: &crate::Recorder) -> Chart {
        Chart::Timeline(r.timeline())
    }
}
impl From<Bars> for Chart {
    fn from(b: Bars) -> Chart {
        Chart::Bars(b)
    }
}
impl From<WaitForGraph> for Chart {
    fn from(g: WaitForGraph) -> Chart {
        Chart::Graph(g)
    }
}
impl From<Sequence> for Chart {
    fn from(s: Sequence) -> Chart {
        Chart::Sequence(s)
    }
}
impl From<Lines> for Chart {
    fn from(l: Lines) -> Chart {
        Chart::Lines(l)
    }
}

impl Chart {
    fn height(&self, width: u32, axes: Axes) -> u32 {
        match self {
            Chart::Timeline(t) => t.height(width, axes),
            Chart::Bars(b) => b.height(width),
            Chart::Lines(l) => l.height(width),
            Chart::Graph(g) => g.height(),
            Chart::Sequence(s) => s.height(width),
        }
    }

    fn problem(&self) -> Option<&Error> {
        match self {
            Chart::Timeline(t) => t.problem(),
            Chart::Bars(b) => b.problem(),
            Chart::Lines(l) => l.problem(),
            Chart::Graph(_) => None,
            Chart::Sequence(s) => s.problem(),
        }
    }

    fn summary(&self) -> String {
        match self {
            Chart::Timeline(t) => t.summary(),
            Chart::Bars(b) => b.summary(),
            Chart::Lines(l) => l.summary(),
            Chart::Graph(g) => g.summary(),
            Chart::Sequence(s) => s.summary(),
        }
    }

    fn draw(&self, area: &Area, axes: Axes, hovers: &mut Hovers) -> Result<()> {
        match self {
            Chart::Timeline(t) => t.draw(area, axes, hovers),
            Chart::Bars(b) => b.draw(area, hovers),
            Chart::Lines(l) => l.draw(area, hovers),
            Chart::Graph(g) => g.draw(area),
            Chart::Sequence(s) => s.draw(area, hovers),
        }
    }
}

/// Several charts stacked top to bottom in one image (evcxr shows one image per cell).
///
/// Timelines in one figure share a time axis: the run that took half as long fills
/// half the width.
///
/// # Examples
///
/// ```
/// use lab::{Figure, Kind, Recorder};
///
/// let (one, two) = (Recorder::new(), Recorder::new());
/// one.lane("a").span(Kind::Compute, "work", || ());
/// two.lane("b").span(Kind::Io, "wait", || ());
/// let fig = Figure::new()
///     .title("two runs")
///     .with(one.timeline().title("first"))
///     .with(two.timeline().title("second"));
/// let svg = fig.to_svg().unwrap();
/// assert!(svg.contains("first") && svg.contains("second"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Figure {
    title: Option<String>,
    parts: Vec<Chart>,
    width: Option<u32>,
}

impl Figure {
    /// An empty figure; add charts with [`with`](Figure::with).
    ///
    /// # Examples
    ///
    /// ```
    /// let fig = lab::Figure::new().with(lab::Bars::new("t").bar("a", 1.0));
    /// assert!(fig.to_svg().is_ok());
    /// ```
    pub fn new() -> Figure {
        Figure::default()
    }

    /// A title over the whole figure.
    ///
    /// # Examples
    ///
    /// ```
    /// let fig = lab::Figure::new().title("two charts").with(lab::Bars::new("t").bar("a", 1.0));
    /// assert!(fig.to_svg().unwrap().contains("two charts"));
    /// ```
    pub fn title(mut self, title: impl Into<String>) -> Figure {
        self.title = Some(title.into());
        self
    }

    /// Adds a chart below the ones already there.
    ///
    /// # Examples
    ///
    /// ```
    /// let fig = lab::Figure::new()
    ///     .with(lab::Bars::new("first").bar("a", 1.0))
    ///     .with(lab::Bars::new("second").bar("b", 2.0));
    /// assert!(fig.to_svg().unwrap().contains("second"));
    /// ```
    pub fn with(mut self, chart: impl Into<Chart>) -> Figure {
        self.parts.push(chart.into());
        self
    }

    /// Width in pixels (320 to 4000; default 960).
    ///
    /// # Examples
    ///
    /// ```
    /// let fig = lab::Figure::new().width(5).with(lab::Bars::new("t").bar("a", 1.0));
    /// assert!(fig.to_svg().unwrap_err().to_string().contains("width"));
    /// ```
    pub fn width(mut self, px: u32) -> Figure {
        self.width = Some(px);
        self
    }

    /// The figure as an SVG document, or why it cannot be drawn.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = lab::Figure::new().to_svg().unwrap_err();
    /// assert!(err.to_string().contains("empty figure"));
    /// ```
    pub fn to_svg(&self) -> Result<String> {
        if self.parts.is_empty() {
            return Err(Error::of(
                ErrorKind::Empty,
                "empty figure: add charts with .with(chart) before displaying it",
            ));
        }
        if let Some(e) = self.parts.iter().find_map(Chart::problem) {
            return Err(e.clone());
        }
        let width = check_width(self.width.unwrap_or(DEFAULT_WIDTH))?;
        let title_h = if self.title.is_some() { 34 } else { 0 };
        let gap = 12;
        // Stacked timelines share one time axis: the longest of them.
        let time_axis = self
            .parts
            .iter()
            .filter_map(|p| match p {
                Chart::Timeline(t) => t.time_extent(),
                _ => None,
            })
            .max();
        let label_px = self
            .parts
            .iter()
            .filter_map(|p| match p {
                Chart::Timeline(t) => Some(t.label_px()),
                _ => None,
            })
            .max();
        let axes = Axes {
            time: time_axis,
            label_px,
        };
        let heights: Vec<u32> = self.parts.iter().map(|p| p.height(width, axes)).collect();
        let total = title_h + heights.iter().sum::<u32>() + gap * (heights.len() as u32 - 1);
        let mut svg = String::new();
        let mut hovers = Hovers::default();
        {
            let root = SVGBackend::with_string(&mut svg, (width, total)).into_drawing_area();
            root.fill(&WHITE).map_err(drawing)?;
            let mut rest = root.clone();
            if let Some(title) = &self.title {
                let (top, below) = rest.split_vertically(title_h);
                draw_title(&top, title, 21.0)?;
                rest = below;
            }
            for (part, h) in self.parts.iter().zip(&heights) {
                let (this, below) = rest.split_vertically(*h + gap);
                let (this, _gap) = this.split_vertically(*h);
                part.draw(&this, axes, &mut hovers)?;
                rest = below;
            }
            root.present().map_err(drawing)?;
        }
        Ok(describe_svg(&svg, &self.summary(), &hovers.0))
    }

    /// A plain-text summary of every chart in the figure.
    ///
    /// # Examples
    ///
    /// ```
    /// let fig = lab::Figure::new().with(lab::Bars::new("t").bar("a", 1.0));
    /// assert!(fig.summary().contains("a"));
    /// ```
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self.parts.iter().map(Chart::summary).collect();
        if self.title.is_none() && parts.len() == 1 {
            return parts[0].clone();
        }
        // The first line says what the whole figure shows (an image's title and
        // aria-label); each chart's own summary follows.
        let firsts: Vec<&str> = parts
            .iter()
            .map(|p| p.lines().next().unwrap_or(""))
            .collect();
        let mut s = format!(
            "{}: {} charts: {}",
            self.title.as_deref().unwrap_or("figure"),
            parts.len(),
            firsts.join(" | ")
        );
        for p in &parts {
            let _ = write!(s, "\n{p}");
        }
        s
    }

    /// Saves the figure as an SVG file; returns the path written.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join("lab-doc-figure.svg");
    /// lab::Figure::new().with(lab::Bars::new("t").bar("a", 1.0)).save_svg(&path).unwrap();
    /// ```
    pub fn save_svg(&self, path: impl AsRef<std::path::Path>) -> Result<std::path::PathBuf> {
        save_file(path.as_ref(), &self.to_svg()?)
    }
}

impl Show for Figure {
    fn summary(&self) -> String {
        Figure::summary(self)
    }

    fn rendering(&self) -> Rendering {
        svg_or_problem(self.to_svg())
    }
}
shown_in_cells!(Figure, "lab::Figure::new()");

/// Renders one chart alone as an SVG document.
pub(crate) fn render_alone(chart: Chart, width: Option<u32>) -> Result<String> {
    let mut fig = Figure::new().with(chart);
    fig.width = width;
    fig.to_svg()
}

/// Gives a chart type its outputs: `to_svg`, `save_svg` and `evcxr_display`, all drawn
/// through [`render_alone`]. `$make` builds an example value for the docs. The type
/// provides `width_setting()` and `summary()`.
macro_rules! chart_output {
    ($t:ty, $make:literal) => {
        impl $t {
            /// The chart as an SVG document, or a one-line error saying why it cannot be
            /// drawn.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let chart = ", $make, ";")]
            /// assert!(chart.to_svg().unwrap().starts_with("<svg"));
            /// ```
            pub fn to_svg(&self) -> Result<String> {
                render_alone(self.clone().into(), self.width_setting())
            }

            /// Saves the chart as an SVG file; returns the path written.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let chart = ", $make, ";")]
            /// let path = std::env::temp_dir().join("lab-doc-chart.svg");
            /// assert_eq!(chart.save_svg(&path).unwrap(), path);
            /// ```
            pub fn save_svg(
                &self,
                path: impl AsRef<std::path::Path>,
            ) -> Result<std::path::PathBuf> {
                save_file(path.as_ref(), &self.to_svg()?)
            }
        }

        impl Show for $t {
            fn summary(&self) -> String {
                <$t>::summary(self)
            }

            fn rendering(&self) -> Rendering {
                svg_or_problem(self.to_svg())
            }
        }
        shown_in_cells!($t, $make);
    };
}
chart_output!(Bars, r#"lab::Bars::new("t").bar("a", 1.0)"#);
chart_output!(Lines, r#"lab::Lines::new("t").series("a", [(1.0, 2.0)])"#);
chart_output!(
    WaitForGraph,
    r#"lab::WaitForGraph::new("g", vec!["A".into()], vec!["m".into()], vec![])"#
);
chart_output!(
    Sequence,
    r#"{ let rec = lab::Recorder::new(); let (tx, _rx) = std::sync::mpsc::channel(); rec.lane("a").send("m", 1, |m| tx.send(m)).unwrap(); rec.sequence() }"#
);
chart_output!(
    Timeline,
    r#"{ let rec = lab::Recorder::new(); rec.lane("a").mark("m"); rec.timeline() }"#
);

/// Adds `above` to every chart type: `a.above(b)` is a figure with `a` over `b`.
macro_rules! stackable {
    ($t:ty) => {
        impl $t {
            /// A [`Figure`](crate::Figure) with this chart above `below`.
            ///
            /// # Examples
            ///
            /// ```
            /// let fig = lab::Bars::new("top").bar("a", 1.0).above(lab::Bars::new("bottom").bar("b", 1.0));
            /// assert!(fig.to_svg().unwrap().contains("bottom"));
            /// ```
            pub fn above(self, below: impl Into<$crate::Chart>) -> $crate::Figure {
                $crate::Figure::new().with(self).with(below)
            }
        }
    };
}
stackable!(Timeline);
stackable!(Bars);
stackable!(Lines);
stackable!(WaitForGraph);
stackable!(Sequence);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figure_reports_the_first_problem_of_its_parts() {
        use crate::ErrorKind;
        let kind = |e: Error| e.kind();
        let empty = crate::Recorder::new();
        let err = Figure::new().with(&empty).to_svg().unwrap_err();
        assert_eq!(kind(err), ErrorKind::Empty);
        let err = Bars::new("x").bar("a", 1.0).width(5).to_svg().unwrap_err();
        assert_eq!(kind(err), ErrorKind::BadInput);
        let err = Bars::new("x").to_svg().unwrap_err();
        assert_eq!(kind(err), ErrorKind::Empty);
        let err = Lines::new("x").to_svg().unwrap_err();
        assert_eq!(kind(err), ErrorKind::Empty);
        let err = Bars::new("x").bar("a", 1.0).annotate("x").bar("b", -1.0);
        assert_eq!(kind(err.to_svg().unwrap_err()), ErrorKind::BadInput);
        assert_eq!(kind(Figure::new().to_svg().unwrap_err()), ErrorKind::Empty);
    }
}

/// A numeric axis whose labels sit exactly at given points (one per lane or bar).
#[derive(Clone, Debug)]
pub(crate) struct KeyAxis {
    range: std::ops::Range<f64>,
    keys: Vec<f64>,
}

impl KeyAxis {
    pub(crate) fn new(range: std::ops::Range<f64>, keys: Vec<f64>) -> KeyAxis {
        KeyAxis { range, keys }
    }
}

impl plotters::coord::ranged1d::Ranged for KeyAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let frac = if span == 0.0 {
            0.0
        } else {
            (value - self.range.start) / span
        };
        limit.0 + (frac * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        self.keys.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}
