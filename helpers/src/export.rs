//! Export: a trace as Chrome trace-event JSON, which Perfetto and `chrome://tracing` open.

//!
//! The JSON is written by hand rather than with serde_json: evcxr with `:cache` on
//! rebuilds crates that depend on serde_core in *every* cell (measured: about 2 s per
//! cell on 2 cores), and this is the only JSON the helpers write.

use std::fmt::Write as _;

use crate::error::Result;
use crate::trace::Trace;

impl Trace {
    /// The trace in Chrome's trace-event format: one thread per lane, spans as complete
    /// (`"X"`) events with their kind as category, marks as instant (`"i"`) events.
    /// Open the saved file at ui.perfetto.dev to zoom into every span.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{record::Recorder, trace::Kind};
    ///
    /// let rec = Recorder::new();
    /// rec.lane("A").span(Kind::Compute, "add", || 1 + 1);
    /// let json = rec.trace().unwrap().to_chrome_json();
    /// let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    /// let events = v["traceEvents"].as_array().unwrap();
    /// assert!(events.iter().any(|e| e["ph"] == "X" && e["name"] == "add"));
    /// assert!(events.iter().any(|e| e["ph"] == "M" && e["args"]["name"] == "A"));
    /// ```
    pub fn to_chrome_json(&self) -> String {
        let us = |d: std::time::Duration| d.as_nanos() as f64 / 1e3;
        let mut events: Vec<String> = Vec::with_capacity(self.span_count() + self.mark_count());
        for (tid, lane) in self.lanes().iter().enumerate() {
            events.push(format!(
                r#"{{"ph":"M","name":"thread_name","pid":1,"tid":{tid},"args":{{"name":{}}}}}"#,
                json_string(&lane.name)
            ));
            events.push(format!(
                r#"{{"ph":"M","name":"thread_sort_index","pid":1,"tid":{tid},"args":{{"sort_index":{tid}}}}}"#
            ));
            for s in &lane.spans {
                events.push(format!(
                    r#"{{"ph":"X","name":{},"cat":{},"pid":1,"tid":{tid},"ts":{},"dur":{},"args":{{"kind":{},"cancelled":{}}}}}"#,
                    json_string(&s.label),
                    json_string(s.kind.name()),
                    us(s.start),
                    us(s.duration()),
                    json_string(s.kind.name()),
                    s.cancelled
                ));
            }
            for m in &lane.marks {
                events.push(format!(
                    r#"{{"ph":"i","s":"t","name":{},"cat":"mark","pid":1,"tid":{tid},"ts":{}}}"#,
                    json_string(&m.label),
                    us(m.at)
                ));
            }
        }
        format!(
            "{{\"traceEvents\":[\n{}\n],\"displayTimeUnit\":\"ms\"}}",
            events.join(",\n")
        )
    }

    /// Saves [`to_chrome_json`](Trace::to_chrome_json) to `path`; returns the path.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::record::Recorder::new();
    /// rec.lane("A").mark("hello");
    /// let path = std::env::temp_dir().join("lab-doc-trace.json");
    /// rec.trace().unwrap().save_chrome_trace(&path).unwrap();
    /// assert!(std::fs::read_to_string(&path).unwrap().contains("hello"));
    /// ```
    pub fn save_chrome_trace(
        &self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<std::path::PathBuf> {
        crate::error::save_file(path.as_ref(), &self.to_chrome_json())
    }
}

/// `text` as a JSON string literal, quotes included.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn awkward_labels_survive_the_round_trip() {
        let label = "say \"hi\"\\ \n\t\u{1} ünï ✂";
        let json = super::json_string(label);
        let back: String = serde_json::from_str(&json).unwrap();
        assert_eq!(back, label);
    }
}
