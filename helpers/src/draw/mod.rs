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
//!
//! One concern per file: `style` (the surface, sizes, palette, text metrics), `axes`
//! (ticks and the axis whose labels sit at given points), `parts` (titles, legends,
//! notes, arrowheads, dashes, hover tooltips), `figure` (stacking, and the outputs
//! every chart shares), then one file per chart: `timeline`, `sequence`, `charts`
//! (bars and lines), `graph` (wait-for graphs), `table`.

mod axes;
mod charts;
mod figure;
mod graph;
mod parts;
mod sequence;
mod style;
mod table;
mod timeline;

pub use charts::{Bars, Lines};
pub use figure::{Chart, Figure};
pub use graph::WaitForGraph;
pub use sequence::Sequence;
pub use table::Table;
pub use timeline::Timeline;

// What the chart files share, named once here so each of them says `super::…`.
pub(crate) use axes::{KeyAxis, axis_number, nice_step};
pub(crate) use figure::Panel;
pub(crate) use parts::{
    Hovers, LegendSwatch, arrowhead, draw_dashed, draw_legend, draw_notes, draw_title, hatch,
    legend_height, message_tip, notes_height, on_image, some_names, span_tip,
};
pub(crate) use style::{
    Area, DEFAULT_WIDTH, FONT, drawing, kind_colour, kind_text_colour, series_colour, shorten,
    text_width,
};
pub(crate) use timeline::Axes;
