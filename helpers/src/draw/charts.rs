//! Bar charts (durations, throughputs) and line charts (sweeps).

use std::fmt::Write as _;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Area, Axes, FONT, Hovers, LegendSwatch, Panel, draw_legend, draw_notes, draw_title, drawing,
    legend_height, series_colour, shorten, text_width,
};
use crate::compare::Verdict;
use crate::error::{Error, ErrorKind, FirstError, Result};
use crate::show::three_digits;

/// One bar of a [`Bars`] chart.
#[derive(Clone, Debug, PartialEq)]
struct Bar {
    label: String,
    value: f64,
    range: Option<(f64, f64)>,
    annotation: Option<String>,
}

/// A horizontal bar chart: one bar per label, optional min–max whiskers, and a note
/// printed at the end of each bar.
///
/// # Examples
///
/// ```
/// use lab::draw::Bars;
///
/// let bars = Bars::new("wall time")
///     .unit("ms")
///     .bar("sequential", 300.0).range(295.0, 310.0).annotate("×1.00")
///     .bar("join!", 101.0).range(100.0, 104.0).annotate("×2.97");
/// let svg = bars.to_svg().unwrap();
/// assert!(svg.contains("sequential") && svg.contains("×2.97"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Bars {
    pub(super) title: String,
    unit: String,
    bars: Vec<Bar>,
    pub(super) notes: Vec<String>,
    pub(super) error: FirstError,
    pub(super) width: Option<u32>,
    axis_max: Option<f64>,
}

const BAR_PX: u32 = 38;

impl Bars {
    /// An empty bar chart with a title.
    ///
    /// # Examples
    ///
    /// ```
    /// let bars = lab::draw::Bars::new("wall time").bar("a", 1.0);
    /// assert!(bars.to_svg().unwrap().contains("wall time"));
    /// ```
    pub fn new(title: impl Into<String>) -> Bars {
        Bars {
            title: title.into(),
            unit: String::new(),
            bars: Vec::new(),
            notes: Vec::new(),
            error: FirstError::default(),
            width: None,
            axis_max: None,
        }
    }

    /// The unit of the values, shown on the axis and after each value (e.g. `"ms"`).
    ///
    /// # Examples
    ///
    /// ```
    /// let bars = lab::draw::Bars::new("t").unit("ms").bar("a", 3.5);
    /// assert!(bars.to_svg().unwrap().contains("3.50 ms"));
    /// ```
    pub fn unit(mut self, unit: impl Into<String>) -> Bars {
        self.unit = unit.into();
        self
    }

    /// The value axis runs at least to `max`: give several charts stacked in one figure
    /// the same `axis_max` and their bars compare by length (histograms side by side).
    ///
    /// # Examples
    ///
    /// ```
    /// let a = lab::draw::Bars::new("quiet").bar("0-1 ms", 3.0).axis_max(40.0);
    /// let b = lab::draw::Bars::new("busy").bar("0-1 ms", 40.0).axis_max(40.0);
    /// assert!(a.above(b).to_svg().is_ok());
    /// assert!(lab::draw::Bars::new("t").bar("a", 1.0).axis_max(-1.0).to_svg().is_err());
    /// ```
    pub fn axis_max(mut self, max: f64) -> Bars {
        if max.is_finite() && max > 0.0 {
            self.axis_max = Some(max);
        } else {
            self.error.keep(Error::of(
                ErrorKind::BadInput,
                format!("axis_max({max}): give a positive number, e.g. .axis_max(100.0)"),
            ));
        }
        self
    }

    /// Adds a bar. Values must be finite and not negative.
    ///
    /// # Examples
    ///
    /// ```
    /// let bars = lab::draw::Bars::new("t").bar("a", 1.0).bar("b", 2.0);
    /// assert!(lab::draw::Bars::new("t").bar("bad", -1.0).to_svg().is_err());
    /// assert!(bars.to_svg().is_ok());
    /// ```
    pub fn bar(mut self, label: impl Into<String>, value: f64) -> Bars {
        let label = label.into();
        if !(value.is_finite() && value >= 0.0) {
            self.error.keep(Error::of(
                ErrorKind::BadInput,
                format!("bar {label:?} has value {value}: bars need a finite value ≥ 0"),
            ));
        }
        self.bars.push(Bar {
            label,
            value,
            range: None,
            annotation: None,
        });
        self
    }

    /// Adds a bar for a [`Verdict`]: its ratio (×2 faster draws 2.0), with its 95%
    /// interval as the whisker where the rounds give one. A whisker that holds 1.0 is a
    /// "cannot tell apart".
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::compare::Verdict;
    /// use std::time::Duration;
    /// let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
    /// let v = Verdict::from_rounds(&ms(&[20, 21, 22, 20, 21, 20]), &ms(&[10; 6])).unwrap();
    /// let bars = lab::draw::Bars::new("speedup").verdict("2 threads", &v).annotate("of ×2");
    /// assert!(bars.to_svg().unwrap().contains("2 threads"));
    /// ```
    pub fn verdict(self, label: impl Into<String>, verdict: &Verdict) -> Bars {
        let ratio = verdict.ratio();
        let bars = self.bar(label, ratio);
        match (verdict.low(), verdict.high()) {
            (Some(low), Some(high)) => bars.range(low, high),
            _ => bars,
        }
    }

    /// Gives the last bar a whisker from `low` to `high` (e.g. the fastest and slowest run).
    ///
    /// # Examples
    ///
    /// ```
    /// let bars = lab::draw::Bars::new("t").bar("a", 10.0).range(9.0, 12.0);
    /// assert!(bars.to_svg().is_ok());
    /// ```
    pub fn range(mut self, low: f64, high: f64) -> Bars {
        match self.bars.last_mut() {
            Some(bar) => bar.range = Some((low.min(high), low.max(high))),
            None => self.missing_bar("range"),
        }
        self
    }

    /// Text printed after the last bar's value (e.g. `"×1.93"`).
    ///
    /// # Examples
    ///
    /// ```
    /// let bars = lab::draw::Bars::new("t").bar("a", 10.0).annotate("×1.00");
    /// assert!(bars.to_svg().unwrap().contains("×1.00"));
    /// ```
    pub fn annotate(mut self, text: impl Into<String>) -> Bars {
        match self.bars.last_mut() {
            Some(bar) => bar.annotation = Some(text.into()),
            None => self.missing_bar("annotate"),
        }
        self
    }

    fn missing_bar(&mut self, what: &str) {
        self.error.keep(Error::of(
            ErrorKind::Misuse,
            format!(
                ".{what}() applies to the last bar, and there is none yet: call .bar(label, value) first"
            ),
        ));
    }

    fn value_text(&self, v: f64) -> String {
        // Counts read as counts: 9, not 9.00; 286 612, not 286612.
        let number = if v.fract() == 0.0 && v.abs() < 1e18 {
            let sign = if v < 0.0 { "-" } else { "" };
            format!("{sign}{}", crate::show::fmt_count(v.abs() as u64))
        } else {
            three_digits(v)
        };
        if self.unit.is_empty() {
            number
        } else {
            format!("{number} {}", self.unit)
        }
    }

    /// One bar in words: `label: value (range lo–hi) annotation`.
    fn bar_line(&self, b: &Bar) -> String {
        let mut s = format!("{}: {}", b.label, self.value_text(b.value));
        if let Some((lo, hi)) = b.range {
            let _ = write!(s, " (range {}–{})", three_digits(lo), three_digits(hi));
        }
        if let Some(a) = &b.annotation {
            let _ = write!(s, " {a}");
        }
        s
    }

    pub(crate) fn summary(&self) -> String {
        let firsts: Vec<String> = self
            .bars
            .iter()
            .take(6)
            .map(|b| format!("{} {}", b.label, self.value_text(b.value)))
            .collect();
        let more = match self.bars.len() {
            n if n > 6 => format!(" and {} more", n - 6),
            _ => String::new(),
        };
        let mut s = format!(
            "{}: {} bars: {}{more}\n",
            self.title,
            self.bars.len(),
            firsts.join(", ")
        );
        let w = self
            .bars
            .iter()
            .map(|b| b.label.chars().count())
            .max()
            .unwrap_or(0);
        for b in &self.bars {
            let _ = write!(s, "  {:<w$}  {}", b.label, self.value_text(b.value));
            if let Some((lo, hi)) = b.range {
                let _ = write!(s, "  (range {}–{})", three_digits(lo), three_digits(hi));
            }
            if let Some(a) = &b.annotation {
                let _ = write!(s, "  {a}");
            }
            s.push('\n');
        }
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        s.trim_end().to_string()
    }

    fn bar_text(&self, b: &Bar) -> String {
        match &b.annotation {
            Some(a) => format!("{}   {a}", self.value_text(b.value)),
            None => self.value_text(b.value),
        }
    }
}

/// How a figure stacks this chart (see [`Panel`]).
impl Panel for Bars {
    fn problem(&self) -> Option<&Error> {
        if let Some(e) = self.error.get() {
            return Some(e);
        }
        if self.bars.is_empty() {
            return Some(&NO_BARS);
        }
        None
    }

    fn height(&self, width: u32, _: Axes) -> u32 {
        34 + self.bars.len() as u32 * BAR_PX + 50 + super::notes_height(&self.notes, width)
    }

    fn draw(&self, area: &Area, _: Axes, hovers: &mut Hovers) -> Result<()> {
        let (top, rest) = area.split_vertically(34);
        draw_title(&top, &self.title, 18.5)?;
        let (w, h) = rest.dim_in_pixel();
        let notes_h = super::notes_height(&self.notes, w);
        let (chart_area, notes_area) = rest.split_vertically(h.saturating_sub(notes_h));
        draw_notes(&notes_area, &self.notes)?;

        let n = self.bars.len();
        let labels: Vec<String> = self.bars.iter().map(|b| shorten(&b.label, 44)).collect();
        let label_px = labels
            .iter()
            .map(|l| text_width(l, 15.0))
            .fold(40.0, f64::max)
            .min(330.0) as u32
            + 14;
        let top_value = self
            .bars
            .iter()
            .map(|b| b.range.map_or(b.value, |(_, hi)| hi.max(b.value)))
            .fold(self.axis_max.unwrap_or(0.0), f64::max);
        let top_value = if top_value > 0.0 { top_value } else { 1.0 };
        let counts = self.bars.iter().all(|b| {
            b.value.fract() == 0.0
                && b.range
                    .is_none_or(|(lo, hi)| lo.fract() == 0.0 && hi.fract() == 0.0)
        });
        // Room on the right for the value and annotation text.
        let longest_note = self
            .bars
            .iter()
            .map(|b| {
                let text = self.bar_text(b);
                text_width(&text, 14.0)
            })
            .fold(0.0, f64::max);
        let (w, _) = chart_area.dim_in_pixel();
        let plot_px = (w as f64 - label_px as f64 - 30.0).max(100.0);
        let frac_for_text = ((longest_note + 16.0) / plot_px).min(0.6);
        let xmax = top_value / (1.0 - frac_for_text);
        let centers: Vec<f64> = (0..n).map(|i| (n - 1 - i) as f64 + 0.5).collect();
        let mut chart = ChartBuilder::on(&chart_area)
            .margin_left(4)
            .margin_right(24)
            .margin_top(4)
            .margin_bottom(6)
            .x_label_area_size(40)
            .y_label_area_size(label_px)
            .build_cartesian_2d(
                0f64..xmax,
                super::KeyAxis::new(0f64..n as f64, centers.clone()),
            )
            .map_err(drawing)?;
        let label_of = |v: &f64| {
            let i = (n as f64 - 0.5 - v).round();
            if i >= 0.0 && (i as usize) < n {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        };
        let desc = if self.unit.is_empty() {
            String::new()
        } else {
            self.unit.clone()
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(WHITE)
            .x_label_formatter(&|v| {
                // Counts have no half ticks: 0.5 schedules means nothing.
                if counts && v.fract() != 0.0 {
                    String::new()
                } else if counts && *v >= 0.0 {
                    crate::show::fmt_count(*v as u64)
                } else {
                    super::axis_number(*v)
                }
            })
            .y_label_formatter(&label_of)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 15))
            .x_desc(desc)
            .draw()
            .map_err(drawing)?;
        let (pw, _) = chart.plotting_area().dim_in_pixel();
        let px = xmax / pw.max(1) as f64;
        for (i, b) in self.bars.iter().enumerate() {
            let c = centers[i];
            let colour = series_colour(i);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, c - 0.3), (b.value.max(px), c + 0.3)],
                    colour.filled(),
                )))
                .map_err(drawing)?;
            hovers.rect(
                chart.backend_coord(&(0.0, c + 0.3)),
                chart.backend_coord(&(b.value.max(px), c - 0.3)),
                self.bar_line(b),
            );
            let mut end = b.value;
            if let Some((lo, hi)) = b.range {
                let style = BLACK.stroke_width(2);
                let whisker = vec![
                    PathElement::new(vec![(lo, c), (hi, c)], style),
                    PathElement::new(vec![(lo, c - 0.15), (lo, c + 0.15)], style),
                    PathElement::new(vec![(hi, c - 0.15), (hi, c + 0.15)], style),
                ];
                chart.draw_series(whisker).map_err(drawing)?;
                end = end.max(hi);
            }
            let style = (FONT, 14)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center));
            chart
                .draw_series(std::iter::once(Text::new(
                    self.bar_text(b),
                    (end + 6.0 * px, c),
                    style,
                )))
                .map_err(drawing)?;
        }
        Ok(())
    }
}

static NO_BARS: std::sync::LazyLock<Error> = std::sync::LazyLock::new(|| {
    Error::of(
        ErrorKind::Empty,
        "no bars to draw: add some with .bar(label, value)",
    )
});

/// A line chart: one or more series of (x, y) points, e.g. speedup against threads.
///
/// A [`reference`](Lines::reference) series is drawn dashed and grey: the ideal to
/// compare a measurement with.
///
/// # Examples
///
/// ```
/// use lab::draw::Lines;
///
/// let chart = Lines::new("speedup")
///     .x_label("threads")
///     .y_label("× faster than 1 thread")
///     .series("measured", [(1.0, 1.0), (2.0, 1.9)])
///     .reference("ideal", [(1.0, 1.0), (2.0, 2.0)]);
/// assert!(chart.to_svg().unwrap().contains("measured"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Lines {
    pub(super) title: String,
    x_label: String,
    y_label: String,
    series: Vec<Series>,
    pub(super) notes: Vec<String>,
    pub(super) error: FirstError,
    pub(super) width: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
    reference: bool,
}

impl Lines {
    /// An empty line chart with a title.
    ///
    /// # Examples
    ///
    /// ```
    /// let chart = lab::draw::Lines::new("speedup").series("measured", [(1.0, 1.0), (2.0, 1.9)]);
    /// assert!(chart.to_svg().is_ok());
    /// ```
    pub fn new(title: impl Into<String>) -> Lines {
        Lines {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            series: Vec::new(),
            notes: Vec::new(),
            error: FirstError::default(),
            width: None,
        }
    }

    /// What the x axis measures.
    ///
    /// # Examples
    ///
    /// ```
    /// let chart = lab::draw::Lines::new("t").x_label("threads").series("a", [(1.0, 1.0)]);
    /// assert!(chart.to_svg().unwrap().contains("threads"));
    /// ```
    pub fn x_label(mut self, label: impl Into<String>) -> Lines {
        self.x_label = label.into();
        self
    }

    /// What the y axis measures.
    ///
    /// # Examples
    ///
    /// ```
    /// let chart = lab::draw::Lines::new("t").y_label("ms").series("a", [(1.0, 1.0)]);
    /// assert!(chart.to_svg().unwrap().contains("ms"));
    /// ```
    pub fn y_label(mut self, label: impl Into<String>) -> Lines {
        self.y_label = label.into();
        self
    }

    /// Adds a measured series. Points must be finite.
    ///
    /// # Examples
    ///
    /// ```
    /// let chart = lab::draw::Lines::new("t").series("a", [(1.0, 2.0), (2.0, 3.0)]);
    /// assert!(chart.to_svg().is_ok());
    /// assert!(lab::draw::Lines::new("t").series("nan", [(f64::NAN, 1.0)]).to_svg().is_err());
    /// ```
    pub fn series(
        self,
        name: impl Into<String>,
        points: impl IntoIterator<Item = (f64, f64)>,
    ) -> Lines {
        self.push(name.into(), points.into_iter().collect(), false)
    }

    /// Adds a reference series (dashed, grey): the ideal, or a bound.
    ///
    /// # Examples
    ///
    /// ```
    /// let chart = lab::draw::Lines::new("t")
    ///     .series("measured", [(1.0, 1.0), (2.0, 1.8)])
    ///     .reference("ideal", [(1.0, 1.0), (2.0, 2.0)]);
    /// assert!(chart.to_svg().unwrap().contains("ideal"));
    /// ```
    pub fn reference(
        self,
        name: impl Into<String>,
        points: impl IntoIterator<Item = (f64, f64)>,
    ) -> Lines {
        self.push(name.into(), points.into_iter().collect(), true)
    }

    fn push(mut self, name: String, points: Vec<(f64, f64)>, reference: bool) -> Lines {
        if points.is_empty() {
            self.error.keep(Error::of(
                ErrorKind::BadInput,
                format!("series {name:?} has no points: give it at least one (x, y)"),
            ));
        } else if let Some(p) = points
            .iter()
            .find(|(x, y)| !x.is_finite() || !y.is_finite())
        {
            self.error.keep(Error::of(
                ErrorKind::BadInput,
                format!("series {name:?} has the point {p:?}: points must be finite numbers"),
            ));
        }
        self.series.push(Series {
            name,
            points,
            reference,
        });
        self
    }

    pub(crate) fn summary(&self) -> String {
        let mut s = format!(
            "{}: {} against {}, {} series ({})\n",
            self.title,
            self.y_label,
            self.x_label,
            self.series.len(),
            super::some_names(self.series.iter().map(|s| s.name.as_str()), 6)
        );
        for series in &self.series {
            let pts: Vec<String> = series
                .points
                .iter()
                .map(|(x, y)| format!("{}→{}", three_digits(*x), three_digits(*y)))
                .collect();
            let _ = writeln!(s, "  {}: {}", series.name, pts.join(", "));
        }
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        s.trim_end().to_string()
    }
}

/// How a figure stacks this chart (see [`Panel`]).
impl Panel for Lines {
    fn problem(&self) -> Option<&Error> {
        if let Some(e) = self.error.get() {
            return Some(e);
        }
        if self.series.is_empty() {
            return Some(&NO_SERIES);
        }
        None
    }

    fn height(&self, width: u32, _: Axes) -> u32 {
        let legend = legend_height(self.series.iter().map(|s| s.name.as_str()), width);
        (width as f64 * 0.42) as u32 + 34 + legend + super::notes_height(&self.notes, width)
    }

    fn draw(&self, area: &Area, _: Axes, hovers: &mut Hovers) -> Result<()> {
        let (top, rest) = area.split_vertically(34);
        draw_title(&top, &self.title, 18.5)?;
        let width = area.dim_in_pixel().0;
        let legend_h = legend_height(self.series.iter().map(|s| s.name.as_str()), width);
        let (legend_area, rest) = rest.split_vertically(legend_h);
        let mut colour_index = 0;
        let colours: Vec<RGBColor> = self
            .series
            .iter()
            .map(|s| {
                if s.reference {
                    RGBColor(130, 130, 130)
                } else {
                    colour_index += 1;
                    series_colour(colour_index - 1)
                }
            })
            .collect();
        let legend: Vec<(String, LegendSwatch)> = self
            .series
            .iter()
            .zip(&colours)
            .map(|(s, c)| (s.name.clone(), LegendSwatch::Line(*c, s.reference)))
            .collect();
        draw_legend(&legend_area, &legend)?;
        let (w, h) = rest.dim_in_pixel();
        let notes_h = super::notes_height(&self.notes, w);
        let (chart_area, notes_area) = rest.split_vertically(h.saturating_sub(notes_h));
        draw_notes(&notes_area, &self.notes)?;

        let all = self.series.iter().flat_map(|s| s.points.iter());
        let (mut x0, mut x1) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut y1 = f64::NEG_INFINITY;
        let mut y0 = 0.0f64;
        for (x, y) in all {
            x0 = x0.min(*x);
            x1 = x1.max(*x);
            y1 = y1.max(*y);
            y0 = y0.min(*y);
        }
        if x1 <= x0 {
            x0 -= 0.5;
            x1 += 0.5;
        }
        if y1 <= y0 {
            y1 = y0 + 1.0;
        }
        let pad = (x1 - x0) * 0.03;
        // Whole-number x values (thread counts, sizes), when few, get a tick each, at
        // exactly those values; otherwise about ten round ticks.
        let mut xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let whole = xs.iter().all(|x| x.fract() == 0.0);
        let keys = if whole && xs.len() <= 16 {
            xs
        } else {
            let step = super::nice_step((x1 - x0) / 8.0);
            let first = (x0 / step).ceil() as i64;
            let last = (x1 / step).floor() as i64;
            (first..=last).map(|k| k as f64 * step).collect()
        };
        let x_axis = super::KeyAxis::new((x0 - pad)..(x1 + pad), keys);
        let mut chart = ChartBuilder::on(&chart_area)
            .margin_left(8)
            .margin_right(24)
            .margin_top(6)
            .margin_bottom(6)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x_axis, y0..(y1 * 1.08))
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(WHITE)
            .x_label_formatter(&|v| super::axis_number(*v))
            .y_label_formatter(&|v| super::axis_number(*v))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 15))
            .x_desc(self.x_label.clone())
            .y_desc(self.y_label.clone())
            .draw()
            .map_err(drawing)?;
        for (s, c) in self.series.iter().zip(&colours) {
            for &(x, y) in &s.points {
                let (px, py) = chart.backend_coord(&(x, y));
                hovers.rect(
                    (px - 5, py - 5),
                    (px + 5, py + 5),
                    format!(
                        "{}: {} {} → {} {}",
                        s.name,
                        self.x_label,
                        three_digits(x),
                        self.y_label,
                        three_digits(y)
                    ),
                );
            }
            if s.reference {
                chart
                    .draw_series(DashedLineSeries::new(
                        s.points.iter().copied(),
                        8,
                        5,
                        c.stroke_width(2),
                    ))
                    .map_err(drawing)?;
            } else {
                chart
                    .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(3)))
                    .map_err(drawing)?;
                chart
                    .draw_series(s.points.iter().map(|p| Circle::new(*p, 4, c.filled())))
                    .map_err(drawing)?;
            }
        }
        Ok(())
    }
}

static NO_SERIES: std::sync::LazyLock<Error> = std::sync::LazyLock::new(|| {
    Error::of(
        ErrorKind::Empty,
        "no series to draw: add one with .series(name, points)",
    )
});
