//! Showing things: how numbers read, and how a value becomes a cell's output.
//!
//! The bottom of the crate: every other module may use it, it uses none of them. It
//! holds the one time-unit rule ([`fmt_duration`]) and the one way to group digits
//! ([`fmt_count`]), the evcxr output blocks, and [`Show`], the trait every value that
//! displays itself implements: a plain-text summary and a rich rendering (an SVG image,
//! an HTML fragment, or only the text), from which its `evcxr_display` is made once.
//!
//! ```
//! use lab::show::{Rendering, Show};
//!
//! struct Greeting;
//! impl Show for Greeting {
//!     fn summary(&self) -> String {
//!         "hello".into()
//!     }
//!     fn rendering(&self) -> Rendering {
//!         Rendering::Html("<b>hello</b>".into())
//!     }
//! }
//! Greeting.show(); // prints evcxr's content blocks: text/plain, then text/html
//! ```

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The one time-unit rule of the crate (axes, bars, printed durations): nanoseconds below
/// a microsecond, microseconds below a millisecond, milliseconds below a second, seconds
/// above. Returns the unit's name and how many of it make a second.
pub(crate) fn time_unit(d: Duration) -> (&'static str, f64) {
    let s = d.as_secs_f64();
    if s < 1e-6 {
        ("ns", 1e9)
    } else if s < 1e-3 {
        ("µs", 1e6)
    } else if s < 1.0 {
        ("ms", 1e3)
    } else {
        ("s", 1.0)
    }
}

/// A duration in the unit that reads best: `850 ns`, `12.3 µs`, `412 ms`, `3.02 s`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// assert_eq!(lab::show::fmt_duration(Duration::from_micros(12_345)), "12.3 ms");
/// assert_eq!(lab::show::fmt_duration(Duration::from_nanos(850)), "850 ns");
/// ```
pub fn fmt_duration(d: Duration) -> String {
    let (unit, per_sec) = time_unit(d);
    format!("{} {unit}", three_digits(d.as_secs_f64() * per_sec))
}

/// A count with its digits grouped in threes, as the notebooks print them:
/// `2 308 743 493 056`.
///
/// # Examples
///
/// ```
/// assert_eq!(lab::show::fmt_count(34_650), "34 650");
/// assert_eq!(lab::show::fmt_count(999), "999");
/// ```
pub fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A number with about three significant digits: 0.123, 1.23, 12.3, 123, 1234.
pub(crate) fn three_digits(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// `text` made safe inside XML or HTML, in an element or in a quoted attribute.
pub(crate) fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// How a value looks in a cell besides its plain-text summary.
///
/// # Examples
///
/// ```
/// use lab::show::{Rendering, Show};
///
/// let table = lab::draw::Table::new(["x"]).row([1]);
/// assert!(matches!(table.rendering(), Rendering::Html(h) if h.contains("<td>1</td>")));
/// let empty = lab::draw::Bars::new("nothing yet");
/// assert_eq!(
///     empty.rendering(),
///     Rendering::Problem("lab: no bars to draw: add some with .bar(label, value)".into())
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rendering {
    /// An SVG document (a chart).
    Svg(String),
    /// An HTML fragment (a table).
    Html(String),
    /// Nothing besides the text (a report).
    TextOnly,
    /// It cannot be shown; this one line says why (shown after a ⚠, instead of the
    /// summary).
    Problem(String),
}

/// A value that shows itself as a cell's output: a plain-text summary (what a console,
/// a screen reader or an untrusted notebook shows) and a rich rendering.
///
/// Each type of the crate that implements it also has an inherent `evcxr_display`
/// calling [`Show::show`], which is what evcxr looks for on a cell's last value.
///
/// # Examples
///
/// ```
/// use lab::show::{Rendering, Show};
///
/// let bars = lab::draw::Bars::new("t").bar("a", 1.0);
/// assert!(Show::summary(&bars).contains("a"));
/// assert!(matches!(bars.rendering(), Rendering::Svg(svg) if svg.contains("<title>")));
/// ```
pub trait Show {
    /// What it shows, in plain text: the text/plain output, and an SVG's title (its
    /// first line) and description.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::show::Show;
    /// let bars = lab::draw::Bars::new("runs").bar("fast", 1.0).bar("slow", 3.0);
    /// assert!(Show::summary(&bars).starts_with("runs: 2 bars: fast 1, slow 3"));
    /// ```
    fn summary(&self) -> String;

    /// The rich output, or the one-line problem to show instead of it.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::show::{Rendering, Show};
    /// let err = lab::Error::new("expected 800");
    /// assert_eq!(err.rendering(), Rendering::Problem("lab: expected 800".into()));
    /// ```
    fn rendering(&self) -> Rendering;

    /// Writes the value's content blocks for evcxr: the summary as text/plain and the
    /// rendering as image/svg+xml or text/html; a problem alone, as text.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::show::Show;
    /// lab::draw::Table::new(["x"]).row([1]).show();
    /// ```
    fn show(&self) {
        match self.rendering() {
            Rendering::Svg(svg) => emit(&self.summary(), "image/svg+xml", &responsive(&svg)),
            Rendering::Html(html) => emit(&self.summary(), "text/html", &html),
            Rendering::TextOnly => emit_text_only(&self.summary()),
            Rendering::Problem(why) => emit_text_only(&format!("⚠ {why}")),
        }
    }
}

/// Gives types that implement [`Show`] the inherent `evcxr_display` that evcxr calls on a
/// cell's last value (a trait method would need the trait in scope in every cell).
/// `$example` is an expression of the type, for the doc example.
macro_rules! shown_in_cells {
    ($t:ty, $example:literal) => {
        impl $t {
            /// Shows it as a cell's output (see [`Show`](crate::show::Show)): the
            /// plain-text summary and the chart or table, or a one-line message saying
            /// what is wrong. evcxr calls this for the last value of a cell.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let value = ", $example, ";")]
            /// value.evcxr_display(); // prints evcxr's content blocks
            /// ```
            pub fn evcxr_display(&self) {
                $crate::show::Show::show(self)
            }
        }
    };
}
pub(crate) use shown_in_cells;

/// Puts a description into an SVG document, for screen readers, the static site and a
/// hover over the image: `role="img"` and `aria-label` on the root `<svg>`, and a
/// `<title>` (the first line of `summary`) and `<desc>` (all of it) as its first
/// children. `hovers` are regions with a tooltip each (a span, a bar, a message),
/// added on top of the drawing as transparent shapes with a `<title>`. Done once here
/// because plotters writes neither.
///
/// Where it shows: JupyterLab (4.x) puts an `image/svg+xml` output in an `<img>`, and
/// so does nbconvert's HTML (the static site: a base64 `<img>` without `alt`), so there
/// the text/plain summary beside the image is what a screen reader can get and hover
/// titles do not pop up. They do wherever the SVG itself is in the page or opened on
/// its own (a saved `.svg` in a browser tab, an HTML page that inlines it).
pub(crate) fn describe_svg(svg: &str, summary: &str, hovers: &[Hover]) -> String {
    let Some(open_end) = svg
        .find("<svg")
        .and_then(|s| svg[s..].find('>').map(|e| s + e))
    else {
        return svg.to_string();
    };
    let title = summary.lines().next().unwrap_or("").trim();
    let mut out = String::with_capacity(svg.len() + summary.len() * 2 + hovers.len() * 120);
    let head = &svg[..open_end];
    let head = head.strip_suffix('/').unwrap_or(head);
    out.push_str(head);
    out.push_str(&format!(
        " role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n<desc>{}</desc>",
        escape_xml(title),
        escape_xml(title),
        escape_xml(summary.trim())
    ));
    let rest = &svg[open_end + 1..];
    match rest.rfind("</svg>") {
        Some(close) if !hovers.is_empty() => {
            out.push_str(&rest[..close]);
            out.push_str("<g class=\"hover\">\n");
            for h in hovers {
                out.push_str(&h.to_svg());
            }
            out.push_str("</g>\n");
            out.push_str(&rest[close..]);
        }
        _ => out.push_str(rest),
    }
    out
}

/// A region of a chart with a tooltip: a span's rectangle, a bar, a message's arrow.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Hover {
    /// A rectangle, corners in pixels.
    Rect((i32, i32), (i32, i32), String),
    /// A line, ends in pixels (hovered within a few pixels of it).
    Line((i32, i32), (i32, i32), String),
}

impl Hover {
    fn to_svg(&self) -> String {
        match self {
            Hover::Rect((x0, y0), (x1, y1), text) => format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#000\" \
                 fill-opacity=\"0\"><title>{}</title></rect>\n",
                x0.min(x1),
                y0.min(y1),
                (x1 - x0).abs().max(1),
                (y1 - y0).abs().max(1),
                escape_xml(text)
            ),
            Hover::Line((x0, y0), (x1, y1), text) => format!(
                "<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y1}\" stroke=\"#000\" \
                 stroke-opacity=\"0\" stroke-width=\"8\"><title>{}</title></line>\n",
                escape_xml(text)
            ),
        }
    }
}

/// Makes a fixed-size SVG scale down to the width of a narrow notebook column (and
/// never up past its own width), instead of overflowing it with a scrollbar.
pub(crate) fn responsive(svg: &str) -> String {
    let Some(end) = svg.find('>') else {
        return svg.to_string();
    };
    let (head, rest) = svg.split_at(end);
    let width = head
        .split("width=\"")
        .nth(1)
        .and_then(|w| w.split('"').next())
        .unwrap_or("960")
        .to_string();
    let head = head
        .replacen(&format!("width=\"{width}\""), "width=\"100%\"", 1)
        .replacen(" height=\"", " data-height=\"", 1);
    format!("{head} style=\"max-width: {width}px; height: auto\"{rest}")
}

/// Writes evcxr's content blocks: plain text, then `body` as `mime`.
pub(crate) fn emit(text: &str, mime: &str, body: &str) {
    let mut out = std::io::stdout().lock();
    // Errors writing to stdout have nowhere better to go.
    let _ = writeln!(
        out,
        "EVCXR_BEGIN_CONTENT text/plain\n{text}\nEVCXR_END_CONTENT\n\
         EVCXR_BEGIN_CONTENT {mime}\n{body}\nEVCXR_END_CONTENT"
    );
    let _ = out.flush();
}

/// Writes a plain-text-only content block for evcxr (messages, reports).
pub(crate) fn emit_text_only(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "EVCXR_BEGIN_CONTENT text/plain\n{text}\nEVCXR_END_CONTENT"
    );
    let _ = out.flush();
}

/// Writes `contents` to `path`; returns the path written.
pub(crate) fn save(path: &Path, contents: &str) -> std::io::Result<PathBuf> {
    std::fs::write(path, contents)?;
    Ok(path.to_path_buf())
}

/// Output that stays folded until the reader opens it: one visible line, `title`, and
/// under it lines of text and shown values (tables, charts, replays), in an HTML
/// `<details>` element. For answers a learner should see only after trying.
///
/// Why not the notebook's own folding: JupyterLab (4.x) shows a new output unfolded even
/// in a cell whose output was collapsed when the notebook was saved, so a learner who runs
/// the cell would see the answer at once. A `<details>` element stays closed wherever the
/// HTML is shown (JupyterLab, VS Code, the static site) until it is clicked. Its plain-text
/// summary (what a console or a screen reader gets) holds everything, unfolded.
///
/// # Examples
///
/// ```
/// use lab::show::{Folded, Rendering, Show};
///
/// let table = lab::draw::Table::new(["schedules", "won"]).row([20, 12]);
/// let answer = Folded::new("the answer: click to unfold").text("12 of 20 schedules win").with(&table);
/// let Rendering::Html(html) = answer.rendering() else { panic!("folded output is HTML") };
/// assert!(html.starts_with("<details>") && html.contains("<td>12</td>"));
/// assert!(answer.summary().contains("12 of 20 schedules win"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Folded {
    title: String,
    parts: Vec<(String, Rendering)>,
}

impl Folded {
    /// A fold whose one visible line is `title`; add what it hides with
    /// [`text`](Folded::text) and [`with`](Folded::with).
    ///
    /// # Examples
    ///
    /// ```
    /// let answer = lab::show::Folded::new("the answer");
    /// assert!(lab::show::Show::summary(&answer).starts_with("the answer"));
    /// ```
    pub fn new(title: impl Into<String>) -> Folded {
        Folded {
            title: title.into(),
            parts: Vec::new(),
        }
    }

    /// Adds lines of text (what a `println!` would have printed).
    ///
    /// # Examples
    ///
    /// ```
    /// let answer = lab::show::Folded::new("the answer").text(42).text("and more");
    /// assert!(lab::show::Show::summary(&answer).ends_with("42\nand more"));
    /// ```
    pub fn text(mut self, text: impl std::fmt::Display) -> Folded {
        self.parts.push((text.to_string(), Rendering::TextOnly));
        self
    }

    /// Adds a value as a cell would show it: a table, a chart, a replay.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::show::{Folded, Rendering, Show};
    /// let chart = lab::draw::Bars::new("runs").bar("a", 1.0);
    /// let answer = Folded::new("the chart").with(&chart);
    /// // an image (JupyterLab's HTML sanitizer keeps it in an untrusted notebook; an inline <svg> it drops)
    /// assert!(matches!(answer.rendering(), Rendering::Html(h) if h.contains("<img alt=\"runs") && h.contains("data:image/svg+xml;base64,")));
    /// ```
    pub fn with(mut self, value: &impl Show) -> Folded {
        self.parts.push((value.summary(), value.rendering()));
        self
    }
}

impl Show for Folded {
    fn summary(&self) -> String {
        let mut out = self.title.clone();
        for (summary, rendering) in &self.parts {
            out.push('\n');
            match rendering {
                Rendering::Problem(why) => out.push_str(&format!("⚠ {why}")),
                _ => out.push_str(summary),
            }
        }
        out
    }

    fn rendering(&self) -> Rendering {
        let mut html = format!(
            "<details><summary style=\"cursor: pointer\">{}</summary>\n",
            escape_xml(&self.title)
        );
        for (summary, rendering) in &self.parts {
            match rendering {
                Rendering::Svg(svg) => {
                    use base64::Engine as _;
                    let data = base64::engine::general_purpose::STANDARD.encode(svg);
                    let alt = escape_xml(summary.lines().next().unwrap_or("a chart"));
                    html.push_str(&format!(
                        "<div><img alt=\"{alt}\" style=\"max-width: 100%\" src=\"data:image/svg+xml;base64,{data}\"></div>\n"
                    ));
                }
                Rendering::Html(h) => html.push_str(&format!("<div>{h}</div>\n")),
                Rendering::TextOnly => {
                    html.push_str(&format!("<pre>{}</pre>\n", escape_xml(summary)))
                }
                Rendering::Problem(why) => {
                    html.push_str(&format!("<pre>⚠ {}</pre>\n", escape_xml(why)))
                }
            }
        }
        html.push_str("</details>");
        Rendering::Html(html)
    }
}

shown_in_cells!(Folded, "lab::show::Folded::new(\"the answer\").text(42)");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displayed_svgs_scale_to_the_column() {
        let svg = r#"<svg width="960" height="200" viewBox="0 0 960 200" xmlns="x"><rect/></svg>"#;
        let out = responsive(svg);
        assert!(
            out.starts_with(r#"<svg width="100%" data-height="200" viewBox="0 0 960 200""#),
            "{out}"
        );
        assert!(out.contains("max-width: 960px"), "{out}");
        assert!(out.ends_with("><rect/></svg>"), "{out}");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(Duration::from_secs(3)), "3.00 s");
        assert_eq!(fmt_duration(Duration::from_millis(412)), "412 ms");
        assert_eq!(fmt_duration(Duration::ZERO), "0 ns");
    }

    #[test]
    fn a_described_svg_has_a_title_a_desc_and_escaped_hovers() {
        let svg = "<svg width=\"10\" height=\"10\" xmlns=\"x\">\n<rect/>\n</svg>\n";
        let hovers = [Hover::Rect((1, 2), (5, 4), "a <b> & \"c\"".into())];
        let out = describe_svg(svg, "two lanes: A & B\nmore", &hovers);
        assert!(
            out.starts_with(
                "<svg width=\"10\" height=\"10\" xmlns=\"x\" role=\"img\" \
                 aria-label=\"two lanes: A &amp; B\">\n<title>two lanes: A &amp; B</title>\n\
                 <desc>two lanes: A &amp; B\nmore</desc>"
            ),
            "{out}"
        );
        assert!(
            out.contains("<title>a &lt;b&gt; &amp; &quot;c&quot;</title></rect>"),
            "{out}"
        );
        assert!(out.contains("width=\"4\" height=\"2\""), "{out}");
        assert!(out.trim_end().ends_with("</g>\n</svg>"), "{out}");
        // Still one root element, and still scalable.
        assert!(responsive(&out).contains("width=\"100%\""));
    }
}
