//! The recorder under concurrency, through the public API only: nothing lost, nothing
//! invented, whatever records it (threads, scoped threads, rayon, tokio tasks).

use std::collections::HashMap;
use std::time::Duration;

use lab::prelude::*;

/// Counts records per lane name in a trace.
fn counts(trace: &Trace) -> HashMap<String, (usize, usize)> {
    trace
        .lanes()
        .iter()
        .map(|l| (l.name.to_string(), (l.spans.len(), l.marks.len())))
        .collect()
}

#[test]
fn exact_counts_from_many_threads() {
    // Several shapes, small to large, to catch an off-by-one at any size.
    for (threads, events) in [(1, 1), (2, 1000), (8, 10_000), (16, 2_500), (3, 33_333)] {
        let rec = Recorder::new();
        std::thread::scope(|s| {
            for t in 0..threads {
                let mut lane = rec.lane(format!("t{t}"));
                s.spawn(move || {
                    for i in 0..events {
                        if i % 2 == 0 {
                            lane.span(Kind::Compute, "c", || ());
                        } else {
                            lane.mark("m");
                        }
                    }
                });
            }
        });
        let trace = rec.trace().unwrap();
        assert_eq!(trace.lanes().len(), threads);
        assert_eq!(
            trace.span_count() + trace.mark_count(),
            threads * events,
            "{threads} threads × {events} events"
        );
        for (name, (spans, marks)) in counts(&trace) {
            assert_eq!(spans, events.div_ceil(2), "{name}");
            assert_eq!(marks, events / 2, "{name}");
        }
    }
}

#[test]
fn exact_counts_from_rayon_with_thread_lanes() {
    let rec = Recorder::new();
    let pool = thread_pool(4).unwrap();
    let items = 20_000usize;
    pool.install(|| {
        (0..items).into_par_iter().for_each_init(
            || rec.thread_lane(),
            |lane, i| {
                lane.span(Kind::Compute, "item", || i * 2);
            },
        );
    });
    let trace = rec.trace().unwrap();
    assert_eq!(trace.span_count(), items);
    // Many short-lived handles, at most one lane per worker thread.
    assert!(trace.lanes().len() <= 4, "{:?}", counts(&trace));
    for lane in trace.lanes() {
        assert!(lane.name.starts_with("worker "), "{}", lane.name);
        // Spans on one thread never overlap.
        for w in lane.spans.windows(2) {
            assert!(w[0].end <= w[1].start, "{:?} overlaps {:?}", w[0], w[1]);
        }
    }
}

#[test]
fn exact_counts_from_tokio_tasks_on_both_runtimes() {
    for workers in [None, Some(2)] {
        let rec = Recorder::new();
        let rt = match workers {
            None => current_thread_runtime().unwrap(),
            Some(n) => multi_thread_runtime(n).unwrap(),
        };
        rt.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for t in 0..50 {
                let mut lane = rec.lane(format!("task {t}"));
                tasks.spawn(async move {
                    for _ in 0..20 {
                        lane.span_async(Kind::Io, "tick", tokio::task::yield_now())
                            .await;
                        lane.mark("tock");
                    }
                });
            }
            while let Some(done) = tasks.join_next().await {
                done.unwrap();
            }
        });
        drop(rt);
        let trace = rec.trace().unwrap();
        assert_eq!(trace.lanes().len(), 50);
        assert_eq!(trace.span_count(), 50 * 20);
        assert_eq!(trace.mark_count(), 50 * 20);
    }
}

#[test]
fn times_are_ordered_and_relative_to_the_first_record() {
    let rec = Recorder::new();
    let mut lane = rec.lane("a");
    lane.span(Kind::Io, "sleep", || {
        std::thread::sleep(Duration::from_millis(5))
    });
    lane.mark("after");
    drop(lane);
    let trace = rec.trace().unwrap();
    let l = &trace.lanes()[0];
    assert_eq!(l.spans[0].start, Duration::ZERO);
    assert!(l.spans[0].duration() >= Duration::from_millis(5));
    assert!(l.marks[0].at >= l.spans[0].end);
    assert_eq!(trace.wall(), l.marks[0].at);
}

#[test]
fn overlap_tells_interleaving_from_parallelism() {
    // Two threads sleeping at once overlap, whatever the machine's core count.
    let rec = Recorder::new();
    std::thread::scope(|s| {
        for t in 0..2 {
            let mut lane = rec.lane(format!("t{t}"));
            s.spawn(move || {
                lane.span(Kind::Io, "sleep", || {
                    std::thread::sleep(Duration::from_millis(50))
                })
            });
        }
    });
    assert_eq!(rec.trace().unwrap().max_overlap(Kind::Io), 2);
    // One thread doing the same twice never overlaps itself.
    let rec = Recorder::new();
    let mut lane = rec.lane("one");
    for _ in 0..2 {
        lane.span(Kind::Io, "sleep", || {
            std::thread::sleep(Duration::from_millis(1))
        });
    }
    drop(lane);
    assert_eq!(rec.trace().unwrap().max_overlap(Kind::Io), 1);
}

#[test]
fn the_chrome_trace_has_every_record() {
    let rec = Recorder::new();
    std::thread::scope(|s| {
        for t in 0..3 {
            let mut lane = rec.lane(format!("t{t}"));
            s.spawn(move || {
                for _ in 0..100 {
                    lane.span(Kind::Compute, "c", || ());
                    lane.mark("m");
                }
            });
        }
    });
    let trace = rec.trace().unwrap();
    let v: serde_json::Value = serde_json::from_str(&trace.to_chrome_json()).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    let count = |ph: &str| events.iter().filter(|e| e["ph"] == ph).count();
    assert_eq!(count("X"), 300);
    assert_eq!(count("i"), 300);
    assert_eq!(count("M"), 6, "a name and a sort index per lane");
}

#[test]
fn timeline_svg_draws_every_span_and_names_every_lane() {
    let rec = Recorder::new();
    for t in 0..3 {
        let mut lane = rec.lane(format!("lane-{t}"));
        for _ in 0..4 {
            lane.span(Kind::Compute, "", || spin(1000));
        }
    }
    let svg = rec.timeline().to_svg().unwrap();
    for t in 0..3 {
        assert!(svg.contains(&format!("lane-{t}")));
    }
    // One filled rectangle per span in the compute colour (plus one legend swatch).
    let compute_fill = "fill=\"#0072B2\"";
    assert_eq!(svg.matches(compute_fill).count(), 12 + 1, "{svg}");
}

#[test]
fn busy_lanes_are_thinned_with_a_visible_note() {
    let rec = Recorder::new();
    let mut lane = rec.lane("busy");
    for _ in 0..5000 {
        lane.span(Kind::Compute, "", || ());
    }
    drop(lane);
    let timeline = rec.timeline();
    let svg = timeline.to_svg().unwrap();
    assert!(svg.contains("drawn thinned"), "the note is in the picture");
    assert!(svg.matches("fill=\"#0072B2\"").count() < 5000);
    assert_eq!(
        timeline.trace().unwrap().span_count(),
        5000,
        "the data is all there"
    );
}

#[test]
fn stacked_timelines_share_their_time_axis() {
    let short = Recorder::new();
    short.lane("a").span(Kind::Io, "short", || {
        std::thread::sleep(Duration::from_millis(2))
    });
    let long = Recorder::new();
    long.lane("a").span(Kind::Io, "long", || {
        std::thread::sleep(Duration::from_millis(40))
    });
    let svg = short
        .timeline()
        .title("SHORT")
        .above(long.timeline().title("LONG"))
        .to_svg()
        .unwrap();
    // The numeric tick labels of the two panels are the same: one axis for both.
    let ticks = |part: &str| -> Vec<String> {
        part.split("</text>")
            .filter_map(|t| t.rsplit('>').next().map(str::trim))
            .filter(|t| !t.is_empty() && t.parse::<f64>().is_ok())
            .map(str::to_string)
            .collect()
    };
    // (After the description at the top, which names both.)
    let drawing = &svg[svg.find("</desc>").unwrap()..];
    let (top, bottom) = drawing.split_at(drawing.find("LONG").unwrap());
    assert!(ticks(top).len() >= 3, "{svg}");
    assert_eq!(ticks(top), ticks(bottom));
}

#[test]
fn nested_spans_are_drawn_inside_their_parent_without_its_label() {
    // Work done while holding a lock: a span inside a span on one lane.
    let ms = Duration::from_millis;
    let span = |a, b, kind, label: &'static str| lab::trace::Span {
        start: ms(a),
        end: ms(b),
        kind,
        label: label.into(),
        cancelled: false,
    };
    let lane = lab::trace::LaneTrace {
        name: "t".into(),
        spans: vec![
            span(0, 10, Kind::LockHeld, "PARENT"),
            span(2, 8, Kind::Compute, "CHILD"),
        ],
        marks: vec![],
    };
    let svg = Trace::from_lanes(vec![lane])
        .unwrap()
        .timeline()
        .to_svg()
        .unwrap();
    // The drawing (between the description and the hover layer, which names both).
    let drawing = &svg[svg.find("</desc>").unwrap()..svg.find("<g class=\"hover\">").unwrap()];
    assert!(drawing.contains("CHILD"));
    assert!(
        !drawing.contains("PARENT"),
        "the covered parent label is left out"
    );
    assert!(svg.contains("<title>t: PARENT (lock held), at 0 ns for 10.0 ms</title>"));
}
