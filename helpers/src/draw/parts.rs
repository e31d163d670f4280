//! Parts that several charts draw: titles, legends, notes, arrowheads, dashed lines,
//! and the hover regions with their tooltips.

use std::time::Duration;

use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::style::{Area, FONT, drawing, shorten, text_width};
use crate::error::Result;
use crate::show::{Hover, fmt_duration};
use crate::trace::{Kind, Message};

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

    /// The regions collected, in the order drawn.
    pub(crate) fn list(&self) -> &[Hover] {
        &self.0
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

/// The corners of an arrowhead at `tip` pointing away from `from` (pixels): the tip
/// first, `length` long (at most the distance between the two points) and `half` wide
/// on each side. `None` when the points (nearly) coincide.
pub(crate) fn arrowhead(
    from: (f64, f64),
    tip: (f64, f64),
    length: f64,
    half: f64,
) -> Option<[(f64, f64); 3]> {
    let (dx, dy) = (tip.0 - from.0, tip.1 - from.1);
    let len = dx.hypot(dy);
    if len < 1.0 {
        return None;
    }
    let (ux, uy) = (dx / len, dy / len);
    let head = length.min(len);
    let (bx, by) = (tip.0 - ux * head, tip.1 - uy * head);
    Some([
        tip,
        (bx - uy * half, by + ux * half),
        (bx + uy * half, by - ux * half),
    ])
}

/// A dashed line through `points` (pixels of `area`): `dash` pixels drawn, then `gap`
/// skipped, from the first point on.
pub(crate) fn draw_dashed(
    area: &Area,
    points: Vec<(i32, i32)>,
    dash: f64,
    gap: f64,
    style: ShapeStyle,
) -> Result<()> {
    area.draw(&DashedPathElement::new(points, dash, gap, style))
        .map_err(drawing)
}

/// The height of one row of legend entries, in pixels.
pub(crate) const LEGEND_ROW: u32 = 24;

/// Where each legend entry goes on an area `width` pixels wide: left to right, and on to a
/// new row when the next entry would cross the right edge. Returns (x, row) per entry.
fn legend_places<'a>(names: impl IntoIterator<Item = &'a str>, width: u32) -> Vec<(i32, u32)> {
    let (mut x, mut row) = (12i32, 0u32);
    let mut places = Vec::new();
    for name in names {
        let w = 19 + text_width(name, 15.0) as i32 + 14;
        if x > 12 && x + w - 14 > width as i32 - 8 {
            (x, row) = (12, row + 1);
        }
        places.push((x, row));
        x += w;
    }
    places
}

/// How many pixels of height a legend of these names needs at `width`: one row, or more
/// when the names do not fit side by side.
pub(crate) fn legend_height<'a>(names: impl IntoIterator<Item = &'a str>, width: u32) -> u32 {
    let rows = legend_places(names, width)
        .last()
        .map_or(0, |&(_, row)| row)
        + 1;
    rows * LEGEND_ROW
}

/// Draws legend entries (colour box + name) on `area`, left to right, in as many rows as
/// its width needs ([`legend_height`] says how tall to make the area).
pub(crate) fn draw_legend(area: &Area, entries: &[(String, LegendSwatch)]) -> Result<()> {
    let width = area.dim_in_pixel().0;
    let places = legend_places(entries.iter().map(|(name, _)| name.as_str()), width);
    for ((name, swatch), &(x, row)) in entries.iter().zip(&places) {
        let y = 5 + (row * LEGEND_ROW) as i32;
        match swatch {
            LegendSwatch::Box(c) => {
                area.draw(&Rectangle::new([(x, y + 1), (x + 14, y + 13)], c.filled()))
                    .map_err(drawing)?;
            }
            LegendSwatch::Hatched(c) => {
                area.draw(&Rectangle::new([(x, y + 1), (x + 14, y + 13)], c.filled()))
                    .map_err(drawing)?;
                hatch(area, (x, y + 1), (x + 14, y + 13))?;
            }
            LegendSwatch::Line(c, dashed) => {
                let style = c.stroke_width(3);
                if *dashed {
                    draw_dashed(area, vec![(x, y + 7), (x + 15, y + 7)], 3.0, 3.0, style)?;
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
    }
    Ok(())
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) enum LegendSwatch {
    Box(RGBColor),
    /// A box with [`hatch`]'s diagonal lines: something blocked.
    Hatched(RGBColor),
    Line(RGBColor, bool),
    Tick,
    Cut,
}

/// Pixels between two of [`hatch`]'s lines.
const HATCH_STEP: i32 = 5;

/// Diagonal white lines across a rectangle of `area` (pixels, two opposite corners): the
/// one look of "blocked" in every chart (a lock waited for, a send waiting for room), so
/// that reading a figure never rests on telling two oranges apart. Too small a
/// rectangle (under 3 px either way) is left plain.
pub(crate) fn hatch(area: &Area, a: (i32, i32), b: (i32, i32)) -> Result<()> {
    let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
    let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
    let h = y1 - y0;
    if x1 - x0 < 3 || h < 3 {
        return Ok(());
    }
    let style = WHITE.mix(0.75).stroke_width(1);
    let mut lines = Vec::new();
    // Each line rises from (s, y1) to (s + h, y0), at 45°, clipped to [x0, x1].
    let mut s = x0 - h + HATCH_STEP / 2;
    while s < x1 {
        let (xa, xb) = (s.max(x0), (s + h).min(x1));
        if xb > xa {
            let y = |x: i32| y1 - (x - s);
            lines.push(PathElement::new(vec![(xa, y(xa)), (xb, y(xb))], style));
        }
        s += HATCH_STEP;
    }
    for line in lines {
        area.draw(&line).map_err(drawing)?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legend_too_wide_for_one_row_wraps_and_stays_inside_its_width() {
        let names = [
            "real threads, one pair per run",
            "real threads, released together",
            "random (explorer)",
            "PCT 2 (explorer)",
            "shuttle check_random",
            "shuttle check_pct 2",
        ];
        let places = legend_places(names, 960);
        assert!(
            places.last().unwrap().1 >= 1,
            "six long names should need a second row"
        );
        for (name, &(x, _)) in names.iter().zip(&places) {
            let right = x + 19 + text_width(name, 15.0) as i32;
            assert!(
                right <= 960 - 8,
                "{name} ends at {right}, past the right edge"
            );
        }
        assert_eq!(
            legend_height(names, 960),
            LEGEND_ROW * (places.last().unwrap().1 + 1)
        );
        assert_eq!(
            legend_height(["a", "b"], 960),
            LEGEND_ROW,
            "short legends keep one row"
        );
    }
}
