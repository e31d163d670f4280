//! A small results table: HTML in JupyterLab, aligned text elsewhere.

use std::fmt::Write as _;

use crate::show::{Rendering, Show, escape_xml, shown_in_cells};

/// Rows of results shown as a table, e.g. the figures a notebook measured, side by side.
///
/// # Examples
///
/// ```
/// use lab::draw::Table;
///
/// let t = Table::new(["aspect", "concurrency", "parallelism"])
///     .row(["cores needed", "one", "several"])
///     .row(["measured", "×9.7 (1 thread)", "×1.9 (2 cores)"]);
/// assert!(t.to_html().contains("<td>×9.7 (1 thread)</td>"));
/// assert!(t.to_string().contains("cores needed"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headings.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = lab::draw::Table::new(["threads", "time"]);
    /// assert!(t.to_string().starts_with("threads"));
    /// ```
    pub fn new<S: ToString>(header: impl IntoIterator<Item = S>) -> Table {
        Table {
            header: header.into_iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are left blank, extra cells are kept.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = lab::draw::Table::new(["a", "b"]).row(["1", "2"]).row([3, 4]);
    /// assert_eq!(t.to_string().lines().count(), 4);
    /// ```
    pub fn row<S: ToString>(mut self, cells: impl IntoIterator<Item = S>) -> Table {
        self.rows
            .push(cells.into_iter().map(|c| c.to_string()).collect());
        self
    }

    fn columns(&self) -> usize {
        self.rows
            .iter()
            .map(Vec::len)
            .chain([self.header.len()])
            .max()
            .unwrap_or(0)
    }

    /// The table as an HTML fragment.
    ///
    /// # Examples
    ///
    /// ```
    /// let html = lab::draw::Table::new(["x"]).row(["<1>"]).to_html();
    /// assert!(html.contains("<td>&lt;1&gt;</td>"));
    /// ```
    pub fn to_html(&self) -> String {
        let esc = escape_xml;
        let n = self.columns();
        let mut h = String::from("<table>\n<thead><tr>");
        for i in 0..n {
            let _ = write!(h, "<th>{}</th>", esc(self.header.get(i).map_or("", |s| s)));
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            h.push_str("<tr>");
            for i in 0..n {
                let _ = write!(h, "<td>{}</td>", esc(row.get(i).map_or("", |s| s)));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table>");
        h
    }
}

impl Show for Table {
    fn summary(&self) -> String {
        self.to_string()
    }

    fn rendering(&self) -> Rendering {
        Rendering::Html(self.to_html())
    }
}
shown_in_cells!(Table, r#"lab::draw::Table::new(["x"]).row([1])"#);

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.columns();
        let cell = |row: &Vec<String>, i: usize| row.get(i).cloned().unwrap_or_default();
        let widths: Vec<usize> = (0..n)
            .map(|i| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|r| cell(r, i).chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |row: &Vec<String>| {
            (0..n)
                .map(|i| format!("{:<w$}", cell(row, i), w = widths[i]))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        writeln!(f, "{}", line(&self.header))?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        write!(f, "{}", rule.join("  "))?;
        for row in &self.rows {
            write!(f, "\n{}", line(row))?;
        }
        Ok(())
    }
}
