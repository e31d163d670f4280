//! Figures: several charts stacked in one image, and the outputs every chart type
//! shares (`to_svg`, `save_svg`, `above`, its display in a cell).

use std::fmt::Write as _;

use plotters::prelude::*;

use super::Axes;
use super::parts::{Hovers, draw_title};
use super::style::{DEFAULT_WIDTH, check_width, drawing};
use super::{Area, Bars, Lines, Sequence, Timeline, WaitForGraph};
use crate::error::{Error, ErrorKind, Result, save_file, svg_or_problem};
use crate::show::{Rendering, Show, describe_svg, shown_in_cells};

/// Any chart, so that a [`Figure`] can stack different kinds.
///
/// You rarely name this type: `Figure::with` and `above` accept a [`Timeline`],
/// [`Bars`], [`Lines`] or a [`Recorder`](crate::record::Recorder) directly.
///
/// # Examples
///
/// ```
/// use lab::draw::{Bars, Chart};
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
impl From<&crate::record::Recorder> for Chart {
    fn from(r: &crate::record::Recorder) -> Chart {
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

/// What a [`Figure`] needs of each chart it stacks, besides its summary ([`Show`]):
/// each chart type implements it in its own file.
pub(crate) trait Panel: Show {
    /// Its height in pixels when drawn `width` pixels wide (timelines: on `axes`).
    fn height(&self, width: u32, axes: Axes) -> u32;

    /// Why it cannot be drawn, if it cannot (found before anything is drawn, so a figure
    /// shows the first problem of any of its charts instead of half a picture).
    fn problem(&self) -> Option<&Error> {
        None
    }

    /// Draws it on `area` (timelines: on the figure's shared `axes`), adding its hover
    /// regions to `hovers`.
    fn draw(&self, area: &Area, axes: Axes, hovers: &mut Hovers) -> Result<()>;
}

impl Chart {
    /// The chart inside, as what a figure stacks.
    fn panel(&self) -> &dyn Panel {
        match self {
            Chart::Timeline(t) => t,
            Chart::Bars(b) => b,
            Chart::Lines(l) => l,
            Chart::Graph(g) => g,
            Chart::Sequence(s) => s,
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
/// use lab::{draw::Figure, record::Recorder, trace::Kind};
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
    /// let fig = lab::draw::Figure::new().with(lab::draw::Bars::new("t").bar("a", 1.0));
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
    /// let fig = lab::draw::Figure::new().title("two charts").with(lab::draw::Bars::new("t").bar("a", 1.0));
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
    /// let fig = lab::draw::Figure::new()
    ///     .with(lab::draw::Bars::new("first").bar("a", 1.0))
    ///     .with(lab::draw::Bars::new("second").bar("b", 2.0));
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
    /// let fig = lab::draw::Figure::new().width(5).with(lab::draw::Bars::new("t").bar("a", 1.0));
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
    /// let err = lab::draw::Figure::new().to_svg().unwrap_err();
    /// assert!(err.to_string().contains("empty figure"));
    /// ```
    pub fn to_svg(&self) -> Result<String> {
        if self.parts.is_empty() {
            return Err(Error::of(
                ErrorKind::Empty,
                "empty figure: add charts with .with(chart) before displaying it",
            ));
        }
        if let Some(e) = self.parts.iter().find_map(|p| p.panel().problem()) {
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
        let heights: Vec<u32> = self
            .parts
            .iter()
            .map(|p| p.panel().height(width, axes))
            .collect();
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
                part.panel().draw(&this, axes, &mut hovers)?;
                rest = below;
            }
            root.present().map_err(drawing)?;
        }
        Ok(describe_svg(&svg, &self.summary(), hovers.list()))
    }

    /// A plain-text summary of every chart in the figure.
    ///
    /// # Examples
    ///
    /// ```
    /// let fig = lab::draw::Figure::new().with(lab::draw::Bars::new("t").bar("a", 1.0));
    /// assert!(fig.summary().contains("a"));
    /// ```
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self.parts.iter().map(|p| p.panel().summary()).collect();
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
    /// lab::draw::Figure::new().with(lab::draw::Bars::new("t").bar("a", 1.0)).save_svg(&path).unwrap();
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
shown_in_cells!(Figure, "lab::draw::Figure::new()");

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
chart_output!(Bars, r#"lab::draw::Bars::new("t").bar("a", 1.0)"#);
chart_output!(
    Lines,
    r#"lab::draw::Lines::new("t").series("a", [(1.0, 2.0)])"#
);
chart_output!(
    WaitForGraph,
    r#"{ let watch = lab::deadlock::LockWatch::new(); let _m = watch.mutex("m", ()); watch.graph() }"#
);
chart_output!(
    Sequence,
    r#"{ let rec = lab::record::Recorder::new(); let (tx, _rx) = std::sync::mpsc::channel(); rec.lane("a").send("m", 1, |m| tx.send(m)).unwrap(); rec.sequence() }"#
);
chart_output!(
    Timeline,
    r#"{ let rec = lab::record::Recorder::new(); rec.lane("a").mark("m"); rec.timeline() }"#
);

/// The setters several chart types share, written once. Each arm takes the types and
/// an example value of each for the docs.
///
/// - `width`: every chart but the wait-for graph (a `width: Option<u32>` field), with
///   `width_setting()` for [`render_alone`].
/// - `title`: charts whose title is optional (`title: Option<String>`).
/// - `note`: charts with notes under them (`notes: Vec<String>`), which also carry the
///   first error of their builder (`error: FirstError`) and can be told to `fail`.
macro_rules! setters {
    (width: $($t:ty => $make:literal),+) => {$(
        impl $t {
            /// Width in pixels (320 to 4000; default 960).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let chart = ", $make, ";")]
            /// assert!(chart.clone().width(640).to_svg().unwrap().contains("width=\"640\""));
            /// assert!(chart.width(5).to_svg().is_err());
            /// ```
            pub fn width(mut self, px: u32) -> $t {
                self.width = Some(px);
                self
            }

            pub(crate) fn width_setting(&self) -> Option<u32> {
                self.width
            }
        }
    )+};
    (title: $($t:ty => $make:literal),+) => {$(
        impl $t {
            /// A title above the chart.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let chart = ", $make, ";")]
            /// assert!(chart.title("mine").to_svg().unwrap().contains("mine"));
            /// ```
            pub fn title(mut self, title: impl Into<String>) -> $t {
                self.title = Some(title.into());
                self
            }
        }
    )+};
    (note: $($t:ty => $make:literal),+) => {$(
        impl $t {
            /// A note printed under the chart (the machine it ran on, a caveat).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let chart = ", $make, ";")]
            /// assert!(chart.note("2 cores").to_svg().unwrap().contains("2 cores"));
            /// ```
            pub fn note(mut self, note: impl Into<String>) -> $t {
                self.notes.push(note.into());
                self
            }

            /// Shows `e` instead of the chart (a bench or an exploration whose numbers
            /// could not be had).
            pub(crate) fn fail(mut self, e: Error) -> $t {
                self.error.keep(e);
                self
            }
        }
    )+};
}
setters!(width:
    Timeline => r#"{ let rec = lab::record::Recorder::new(); rec.lane("a").mark("m"); rec.timeline() }"#,
    Sequence => r#"{ let rec = lab::record::Recorder::new(); let (tx, _rx) = std::sync::mpsc::channel(); rec.lane("a").send("m", 1, |m| tx.send(m)).unwrap(); rec.sequence() }"#,
    Bars => r#"lab::draw::Bars::new("t").bar("a", 1.0)"#,
    Lines => r#"lab::draw::Lines::new("t").series("a", [(1.0, 2.0)])"#
);
setters!(title:
    Timeline => r#"{ let rec = lab::record::Recorder::new(); rec.lane("a").mark("m"); rec.timeline() }"#,
    Sequence => r#"{ let rec = lab::record::Recorder::new(); let (tx, _rx) = std::sync::mpsc::channel(); rec.lane("a").send("m", 1, |m| tx.send(m)).unwrap(); rec.sequence() }"#
);
setters!(note:
    Bars => r#"lab::draw::Bars::new("t").bar("a", 1.0)"#,
    Lines => r#"lab::draw::Lines::new("t").series("a", [(1.0, 2.0)])"#
);

/// Adds `above` to every chart type: `a.above(b)` is a figure with `a` over `b`.
macro_rules! stackable {
    ($t:ty) => {
        impl $t {
            /// A [`Figure`](crate::draw::Figure) with this chart above `below`.
            ///
            /// # Examples
            ///
            /// ```
            /// let fig = lab::draw::Bars::new("top").bar("a", 1.0).above(lab::draw::Bars::new("bottom").bar("b", 1.0));
            /// assert!(fig.to_svg().unwrap().contains("bottom"));
            /// ```
            pub fn above(self, below: impl Into<$crate::draw::Chart>) -> $crate::draw::Figure {
                $crate::draw::Figure::new().with(self).with(below)
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
        let empty = crate::record::Recorder::new();
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
