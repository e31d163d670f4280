//! Every figure is described in words: the root `<svg>` is an image with an
//! `aria-label`, a `<title>` and a `<desc>` taken from the chart's text summary, and
//! what it draws (spans, marks, messages, bars, points) carries a hover `<title>`.

use std::time::Duration;

use lab::show::{Rendering, Show};
use lab::{
    deadlock::LockWatch,
    draw::{Bars, Figure, Lines},
    record::Recorder,
    trace::{Kind, LaneTrace, Mark, Span, Trace},
};

/// The text of every `<title>` in `svg`.
fn titles(svg: &str) -> Vec<&str> {
    svg.split("<title>")
        .skip(1)
        .filter_map(|t| t.split("</title>").next())
        .collect()
}

/// The root element's opening tag.
fn root(svg: &str) -> &str {
    &svg[..svg.find('>').unwrap()]
}

fn two_lanes() -> Trace {
    let ms = Duration::from_millis;
    let span = |start, end, kind, label: &str| Span {
        start: ms(start),
        end: ms(end),
        kind,
        label: label.to_string().into(),
        cancelled: false,
    };
    let reader = LaneTrace {
        name: "reader".into(),
        spans: vec![span(0, 3, Kind::Compute, "parse")],
        marks: vec![Mark {
            at: ms(3),
            label: "done".into(),
        }],
    };
    let writer = LaneTrace {
        name: "writer".into(),
        spans: vec![
            span(1, 4, Kind::Io, "write <1>"),
            span(4, 5, Kind::LockWait, ""),
        ],
        marks: vec![],
    };
    Trace::from_lanes(vec![reader, writer]).unwrap()
}

#[test]
fn a_timeline_is_an_image_described_by_its_summary() {
    let timeline = two_lanes().timeline().title("two lanes");
    let summary = Show::summary(&timeline);
    let first = summary.lines().next().unwrap();
    // The summary's first line names the lanes and counts what is drawn.
    assert!(
        first.starts_with("two lanes: 2 lanes (reader, writer), 3 spans, 1 marks"),
        "{first}"
    );
    let svg = timeline.to_svg().unwrap();
    let head = root(&svg);
    assert!(head.contains(r#"role="img""#), "{head}");
    assert!(head.contains(&format!(r#"aria-label="{first}""#)), "{head}");
    let titles = titles(&svg);
    assert_eq!(titles[0], first);
    assert!(svg.contains("<desc>two lanes: 2 lanes"), "{svg}");
    // One hover title per span (names escaped), and one for the mark.
    let spans: Vec<_> = titles
        .iter()
        .filter(|t| t.contains(" at ") && t.contains(" for "))
        .collect();
    assert_eq!(spans.len(), 3, "{titles:?}");
    assert!(
        titles.contains(&"reader: parse (compute), at 0 ns for 3.00 ms"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"writer: write &lt;1&gt; (sleep / I/O), at 1.00 ms for 3.00 ms"),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.starts_with("reader: done, at ")),
        "{titles:?}"
    );
    // The text/plain output is the same summary.
    assert!(matches!(timeline.rendering(), Rendering::Svg(_)));
}

#[test]
fn messages_and_bars_and_points_get_hover_titles() {
    let rec = Recorder::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let (mut a, mut b) = (rec.lane("A"), rec.lane("B"));
    a.send("ping", 1, |m| tx.send(m)).unwrap();
    b.got(rx.recv().unwrap());
    a.send("lost", 2, |m| tx.send(m)).unwrap();
    drop((a, b));
    let svg = rec.sequence().to_svg().unwrap();
    let t = titles(&svg);
    assert!(
        t[0].contains("2 lanes (A, B), 2 messages (1 never received)"),
        "{t:?}"
    );
    assert!(
        t.iter().any(|t| t.starts_with("ping: A → B, sent at ")),
        "{t:?}"
    );
    assert!(
        t.iter()
            .any(|t| t.starts_with("lost: A → nobody") && t.ends_with("never received")),
        "{t:?}"
    );
    // The same messages as arrows on a timeline.
    let t = rec.timeline().to_svg().unwrap();
    assert!(
        titles(&t).iter().any(|t| t.starts_with("ping: A → B")),
        "{t}"
    );

    let bars = Bars::new("runs").bar("fast", 1.0).bar("slow", 3.0);
    let svg = bars.to_svg().unwrap();
    let t = titles(&svg);
    assert_eq!(t[0], "runs: 2 bars: fast 1, slow 3");
    assert!(t.contains(&"fast: 1") && t.contains(&"slow: 3"), "{t:?}");

    let lines = Lines::new("sweep").series("measured", [(1.0, 1.0), (2.0, 1.9)]);
    let t = lines.to_svg().unwrap();
    assert_eq!(
        titles(&t)
            .iter()
            .filter(|t| t.starts_with("measured: "))
            .count(),
        2,
        "{t}"
    );
}

#[test]
fn graphs_and_figures_are_described_too() {
    // A real deadlock: two threads take two locks in opposite orders.
    let (watch, rec) = (LockWatch::new(), Recorder::new());
    let (x, y) = (watch.mutex("x", ()), watch.mutex("y", ()));
    let both = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        for (name, first, second) in [("A", &x, &y), ("B", &y, &x)] {
            let (mut lane, both) = (rec.lane(name), &both);
            s.spawn(move || {
                let _one = first.lock(&mut lane);
                both.wait();
                let _two = second.lock(&mut lane);
            });
        }
    });
    let svg = watch.graph().to_svg().unwrap();
    let first = titles(&svg)[0];
    assert!(
        first.starts_with("wait-for graph: a cycle of 2 threads, found "),
        "{first}"
    );
    assert!(first.contains(": 2 threads ("), "{first}");
    assert!(
        first.ends_with("2 locks (x, y), 4 edges, 4 of them in a cycle"),
        "{first}"
    );
    assert!(svg.contains("A waits for y"), "the desc has every edge");

    let fig = Figure::new()
        .title("both")
        .with(Bars::new("one").bar("a", 1.0))
        .with(two_lanes().timeline().title("two"));
    let svg = fig.to_svg().unwrap();
    let first = titles(&svg)[0];
    assert!(
        first.starts_with("both: 2 charts: one: 1 bars: a 1 | two: 2 lanes (reader, writer)"),
        "{first}"
    );
    // One root element, and the hover layer sits inside it, after the drawing.
    assert_eq!(svg.matches("<svg").count(), 1);
    assert!(
        svg.trim_end().ends_with("</g>\n</svg>"),
        "{}",
        &svg[svg.len() - 200..]
    );
}
