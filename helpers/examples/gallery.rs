//! Draws one of each chart into a folder, to look at before shipping:
//! `cargo run -p lab --example gallery -- /tmp/gallery`.

use lab::prelude::*;

fn main() -> lab::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "gallery".into()));
    std::fs::create_dir_all(&dir).map_err(|e| lab::Error::new(e.to_string()))?;
    let work = CpuWork::calibrate();

    // Interleaved on one thread vs parallel on all cores, stacked.
    let one = Recorder::new();
    let rt = current_thread_runtime()?;
    rt.block_on(async {
        let mut tasks = Vec::new();
        for t in 0..4 {
            let mut lane = one.lane(format!("task {t}"));
            tasks.push(tokio::spawn(async move {
                for chunk in 0..5 {
                    lane.span(Kind::Compute, format!("{t}.{chunk}"), || work.ms(4.0));
                    tokio::task::yield_now().await;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let all = Recorder::new();
    std::thread::scope(|s| {
        for t in 0..4 {
            let mut lane = all.lane(format!("task {t}"));
            s.spawn(move || {
                for chunk in 0..5 {
                    lane.span(Kind::Compute, format!("{t}.{chunk}"), || work.ms(4.0));
                }
            });
        }
    });
    one.timeline()
        .title("concurrent: 4 tasks on one thread")
        .above(all.timeline().title("parallel: 4 threads"))
        .save_svg(dir.join("stacked.svg"))?;

    // Marks and all kinds.
    let rec = Recorder::new();
    {
        let mut a = rec.lane("thread A");
        let mut b = rec.lane("thread B");
        a.mark("read balance = 1000");
        b.mark("read balance = 1000");
        a.span(Kind::Compute, "1000 + 500", || work.ms(1.0));
        b.span(Kind::Compute, "1000 - 200", || work.ms(1.0));
        a.mark("write 1500");
        b.mark("write 800");
        let mut c = rec.lane("every kind");
        for k in Kind::ALL {
            c.span(k, k.name(), || work.ms(1.5));
        }
    }
    rec.timeline()
        .title("marks and kinds")
        .save_svg(dir.join("marks.svg"))?;

    // Thinning.
    let busy = Recorder::new();
    {
        let mut lane = busy.lane("busy");
        for i in 0..20_000 {
            lane.span(
                if i % 2 == 0 {
                    Kind::Compute
                } else {
                    Kind::Wait
                },
                "",
                || spin(200),
            );
        }
    }
    busy.timeline()
        .title("20,000 spans")
        .save_svg(dir.join("thinned.svg"))?;

    let bench = Bench::new("encode 16 frames").reps(3).compare(|v| {
        v.add("sequential", || (0..16).map(encode_frame).max());
        v.add("rayon par_iter", || {
            (0..16).into_par_iter().map(encode_frame).max()
        });
    });
    bench.chart().save_svg(dir.join("bench.svg"))?;

    Lines::new("speedup against threads")
        .x_label("threads")
        .y_label("× faster than 1 thread")
        .series("measured", [(1.0, 1.0), (2.0, 1.93), (4.0, 3.6)])
        .reference("ideal", [(1.0, 1.0), (2.0, 2.0), (4.0, 4.0)])
        .save_svg(dir.join("lines.svg"))?;
    println!("{}", bench);
    // Messages: a fast producer, a bounded channel of 2, a slow consumer; one more
    // worker answering a request through a rendezvous, and one message never read.
    let talk = Recorder::new();
    let (jobs, inbox) = crossbeam::channel::bounded::<Msg<u32>>(2);
    let (ask, asked) = crossbeam::channel::bounded::<Msg<&str>>(0);
    let (lost, _never_read) = crossbeam::channel::unbounded::<Msg<()>>();
    std::thread::scope(|s| {
        let mut producer = talk.lane("producer");
        let mut consumer = talk.lane("consumer");
        let mut client = talk.lane("client");
        let mut server = talk.lane("server");
        s.spawn(move || {
            for i in 0..8 {
                producer
                    .send(format!("job {i}"), i, |m| jobs.send(m))
                    .unwrap();
            }
            producer.send("bye?", (), |m| lost.send(m)).unwrap();
        });
        s.spawn(move || {
            for m in inbox.iter() {
                let i = consumer.got(m);
                consumer.span(Kind::Compute, format!("work {i}"), || work.ms(3.0));
            }
        });
        s.spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(12));
            server.got(asked.recv().unwrap());
        });
        s.spawn(move || {
            client.send("request", "hi", |m| ask.send(m)).unwrap();
        });
    });
    talk.sequence()
        .title("bounded(2): the producer waits for the slow consumer")
        .save_svg(dir.join("sequence.svg"))?;
    talk.timeline()
        .title("the same run as a timeline, with message arrows")
        .save_svg(dir.join("timeline-messages.svg"))?;

    // A deadlock's wait-for graph: two threads take two locks in opposite orders.
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
    watch.graph().save_svg(dir.join("graph.svg"))?;

    Ok(())
}
