//! The look shared by every chart: the surface, the sizes, the palette, text metrics.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, ErrorKind, Result};
use crate::trace::Kind;

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
