//! Export: a trace as Chrome trace-event JSON, which Perfetto and `chrome://tracing` open.

use serde_json::{Value, json};

use crate::error::Result;
use crate::record::Trace;

impl Trace {
    /// The trace in Chrome's trace-event format: one thread per lane, spans as complete
    /// (`"X"`) events with their kind as category, marks as instant (`"i"`) events.
    /// Open the saved file at ui.perfetto.dev to zoom into every span.
    ///
    /// # Examples
    ///
    /// ```
    /// use lab::{Kind, Recorder};
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
        let mut events: Vec<Value> = Vec::with_capacity(self.span_count() + self.mark_count());
        for (tid, lane) in self.lanes().iter().enumerate() {
            events.push(json!({
                "ph": "M", "name": "thread_name", "pid": 1, "tid": tid,
                "args": { "name": lane.name.as_ref() }
            }));
            events.push(json!({
                "ph": "M", "name": "thread_sort_index", "pid": 1, "tid": tid,
                "args": { "sort_index": tid }
            }));
            for s in &lane.spans {
                events.push(json!({
                    "ph": "X", "name": s.label.as_ref(), "cat": s.kind.name(),
                    "pid": 1, "tid": tid, "ts": us(s.start), "dur": us(s.duration()),
                    "args": { "kind": s.kind.name(), "cancelled": s.cancelled }
                }));
            }
            for m in &lane.marks {
                events.push(json!({
                    "ph": "i", "s": "t", "name": m.label.as_ref(), "cat": "mark",
                    "pid": 1, "tid": tid, "ts": us(m.at)
                }));
            }
        }
        json!({ "traceEvents": events, "displayTimeUnit": "ms" }).to_string()
    }

    /// Saves [`to_chrome_json`](Trace::to_chrome_json) to `path`; returns the path.
    ///
    /// # Examples
    ///
    /// ```
    /// let rec = lab::Recorder::new();
    /// rec.lane("A").mark("hello");
    /// let path = std::env::temp_dir().join("lab-doc-trace.json");
    /// rec.trace().unwrap().save_chrome_trace(&path).unwrap();
    /// assert!(std::fs::read_to_string(&path).unwrap().contains("hello"));
    /// ```
    pub fn save_chrome_trace(
        &self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<std::path::PathBuf> {
        crate::draw::save_file(path.as_ref(), &self.to_chrome_json())
    }
}
