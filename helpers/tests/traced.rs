//! `lab::traced`: channels, locks and tasks with the real APIs, recording on the current
//! lane. Real behaviour: blocking, disconnection, tasks moving between workers, rayon,
//! the deadlock watch, and exact counts under load.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Barrier};
use std::thread::ThreadId;
use std::time::Duration;

use lab::deadlock::{LockError, LockWatch};
use lab::record::Recorder;
use lab::trace::{Kind, Trace};
use lab::traced;

fn lane_of(trace: &Trace, name: &str) -> usize {
    trace
        .lanes()
        .iter()
        .position(|l| l.name == name)
        .unwrap_or_else(|| panic!("no lane {name:?}"))
}

#[test]
fn a_crossbeam_rendezvous_records_the_sender_blocked() {
    use traced::crossbeam::bounded;
    let rec = Recorder::new();
    let (tx, rx) = bounded(0);
    std::thread::scope(|s| {
        traced::spawn_scoped(s, rec.lane("sender"), move || tx.send(42u32).unwrap());
        traced::with_lane(rec.lane("receiver"), || {
            std::thread::sleep(Duration::from_millis(30));
            assert_eq!(rx.recv(), Ok(42));
        });
    });
    let trace = rec.trace().unwrap();
    let [m] = trace.messages() else {
        panic!("{:?}", trace.messages())
    };
    assert_eq!(m.from, lane_of(&trace, "sender"));
    assert_eq!(m.to, Some(lane_of(&trace, "receiver")));
    assert_eq!(m.label, "42");
    assert!(
        m.accepted - m.sent >= Duration::from_millis(20),
        "the sender waited for the receiver: {m:?}"
    );
    assert!(m.received.unwrap() >= m.sent);
}

#[test]
fn a_buffered_send_does_not_block_and_std_sync_channel_blocks_when_full() {
    let rec = Recorder::new();
    let (tx, rx) = traced::mpsc::sync_channel(1);
    std::thread::scope(|s| {
        traced::spawn_scoped(s, rec.lane("sender"), move || {
            tx.send_as("fits", 1).unwrap();
            tx.send_as("waits", 2).unwrap(); // the buffer holds one: waits for a recv
        });
        traced::with_lane(rec.lane("receiver"), || {
            std::thread::sleep(Duration::from_millis(30));
            assert_eq!(rx.iter().collect::<Vec<_>>(), [1, 2]);
        });
    });
    let trace = rec.trace().unwrap();
    let blocked: Vec<(String, bool)> = trace
        .messages()
        .iter()
        .map(|m| {
            let waited = m.accepted - m.sent >= Duration::from_millis(20);
            (m.label.to_string(), waited)
        })
        .collect();
    assert_eq!(
        blocked,
        [("fits".to_string(), false), ("waits".to_string(), true)]
    );
}

#[test]
fn messages_never_received_show_as_such_and_disconnection_errors_are_the_originals() {
    let rec = Recorder::new();
    traced::with_lane(rec.lane("sender"), || {
        // crossbeam
        let (tx, rx) = traced::crossbeam::bounded(1);
        tx.send("kept, never read").unwrap();
        drop(rx);
        let e: crossbeam::channel::SendError<&str> = tx.send("no receiver").unwrap_err();
        assert_eq!(e.into_inner(), "no receiver");
        let (tx, rx) = traced::crossbeam::unbounded::<u8>();
        drop(tx);
        assert_eq!(rx.recv(), Err(crossbeam::channel::RecvError));
        assert_eq!(
            rx.try_recv(),
            Err(crossbeam::channel::TryRecvError::Disconnected)
        );
        // std
        let (tx, rx) = traced::mpsc::channel::<u8>();
        drop(rx);
        assert_eq!(tx.send(1), Err(std::sync::mpsc::SendError(1)));
        let (tx, rx) = traced::mpsc::sync_channel::<u8>(0);
        drop(tx);
        assert_eq!(rx.recv(), Err(std::sync::mpsc::RecvError));
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(1)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
        );
        // tokio (no runtime needed for these)
        let (tx, rx) = traced::tokio::mpsc::channel::<u8>(1);
        drop(rx);
        assert_eq!(
            tx.try_send(1),
            Err(tokio::sync::mpsc::error::TrySendError::Closed(1))
        );
        let (tx, mut rx) = traced::tokio::mpsc::unbounded_channel::<u8>();
        drop(tx);
        assert_eq!(rx.blocking_recv(), None);
        let (tx, rx) = traced::tokio::oneshot::channel::<u8>();
        drop(rx);
        assert_eq!(tx.send(9), Err(9));
        let (tx, rx) = traced::tokio::oneshot::channel::<u8>();
        drop(tx);
        let _: tokio::sync::oneshot::error::RecvError = rx.blocking_recv().unwrap_err();
    });
    let trace = rec.trace().unwrap();
    let labels: Vec<(&str, Option<usize>)> =
        trace.messages().iter().map(|m| (&*m.label, m.to)).collect();
    assert_eq!(
        labels,
        [
            ("\"kept, never read\"", None),
            ("\"no receiver\"", None),
            ("1", None),
            ("1", None),
            ("9", None),
        ]
    );
}

#[test]
fn full_and_timed_out_sends_are_not_messages() {
    let rec = Recorder::new();
    traced::with_lane(rec.lane("A"), || {
        let (tx, _rx) = traced::crossbeam::bounded(0);
        assert!(tx.try_send(1).unwrap_err().is_full());
        assert!(
            tx.send_timeout(2, Duration::from_millis(1))
                .unwrap_err()
                .is_timeout()
        );
        traced::mark("only this");
    });
    let trace = rec.trace().unwrap();
    assert!(trace.messages().is_empty());
    assert_eq!(trace.mark_count(), 1);
}

#[test]
fn without_a_current_lane_nothing_is_recorded_and_nothing_breaks() {
    let rec = Recorder::new();
    let (tx, rx) = traced::crossbeam::unbounded();
    tx.send(1).unwrap(); // no lane: delivered, not recorded
    let m = traced::sync::Mutex::new(0);
    *m.lock().unwrap() += 1;
    traced::with_lane(rec.lane("receiver"), || {
        assert_eq!(rx.recv(), Ok(1)); // its receive is not recorded either
        traced::mark("here");
    });
    let trace = rec.trace().unwrap();
    assert!(trace.messages().is_empty());
    assert!(trace.notes().is_empty(), "{:?}", trace.notes());
    assert_eq!(trace.span_count(), 0);
}

#[test]
fn select_with_a_timeout_records_what_it_received() {
    use traced::crossbeam::{after, bounded, select};
    let rec = Recorder::new();
    let (tx, rx) = bounded::<&str>(1);
    let got = traced::with_lane(rec.lane("main"), || {
        let mut got = Vec::new();
        for round in 0..2 {
            if round == 1 {
                tx.send("ready").unwrap();
            }
            select! {
                recv(rx) -> msg => got.push(rx.got(msg).unwrap()),
                recv(after(Duration::from_millis(5))) -> _ => got.push("timeout"),
            }
        }
        got
    });
    assert_eq!(got, ["timeout", "ready"]);
    let trace = rec.trace().unwrap();
    assert_eq!(trace.messages().len(), 1);
    assert_eq!(trace.messages()[0].to, Some(0));
}

#[test]
fn a_task_moving_across_worker_threads_keeps_its_lane() {
    let rt = lab::scenarios::multi_thread_runtime(2).unwrap();
    let rec = Recorder::new();
    let tasks = 6;
    let seen: Vec<(String, HashSet<ThreadId>)> = rt.block_on(async {
        let (tx, mut rx) = traced::tokio::mpsc::unbounded_channel::<usize>();
        let mut handles = Vec::new();
        for t in 0..tasks {
            let name = format!("task {t}");
            let tx = tx.clone();
            handles.push(traced::tokio::spawn(rec.lane(name.clone()), async move {
                let mut threads = HashSet::new();
                for i in 0..200 {
                    threads.insert(std::thread::current().id());
                    assert_eq!(traced::current_lane().as_deref(), Some(name.as_str()));
                    if i % 20 == 0 {
                        tx.send(t).unwrap();
                    }
                    traced::span_async(
                        Kind::Io,
                        "nap",
                        tokio::time::sleep(Duration::from_micros(50)),
                    )
                    .await;
                }
                (name, threads)
            }));
        }
        drop(tx);
        let collector = traced::tokio::spawn(rec.lane("collector"), async move {
            let mut n = 0;
            while rx.recv().await.is_some() {
                n += 1;
            }
            n
        });
        let mut seen = Vec::new();
        for h in handles {
            seen.push(h.await.unwrap());
        }
        assert_eq!(collector.await.unwrap(), tasks * 10);
        seen
    });
    assert!(
        seen.iter().any(|(_, threads)| threads.len() > 1),
        "no task moved between workers: {seen:?}"
    );
    // Outside the tasks, no lane is current.
    assert_eq!(traced::current_lane(), None);
    let trace = rec.trace().unwrap();
    assert!(trace.notes().is_empty(), "{:?}", trace.notes());
    for t in 0..tasks {
        let lane = &trace.lanes()[lane_of(&trace, &format!("task {t}"))];
        assert_eq!(lane.spans.len(), 200, "every nap on its own task's lane");
    }
    let collector = lane_of(&trace, "collector");
    assert_eq!(trace.messages().len(), tasks * 10);
    for m in trace.messages() {
        assert_eq!(m.to, Some(collector));
        let from = &trace.lanes()[m.from].name;
        assert_eq!(*from, format!("task {}", m.label), "sent from its own lane");
    }
}

#[test]
fn rayon_jobs_record_on_the_lane_of_the_worker_that_ran_them() {
    use rayon::prelude::*;
    let rec = Recorder::new();
    let pool = lab::scenarios::thread_pool(2).unwrap();
    let (tx, rx) = traced::crossbeam::unbounded::<u32>();
    let lanes = traced::worker_lanes(&pool, &rec);
    pool.install(|| {
        (0..100u32).into_par_iter().for_each(|i| {
            traced::span(Kind::Compute, "square", || i * i);
            tx.send(i).unwrap();
        });
        // A job given a lane of its own, inside the pool.
        rayon::scope(|s| {
            s.spawn(|_| traced::with_lane(rec.lane("job"), || traced::mark("own lane")));
        });
    });
    drop(lanes);
    drop(tx);
    let total: u32 = traced::with_lane(rec.lane("sum"), || rx.iter().sum());
    assert_eq!(total, (0..100).sum());
    let trace = rec.trace().unwrap();
    let workers: BTreeSet<&str> = trace
        .messages()
        .iter()
        .map(|m| &*trace.lanes()[m.from].name)
        .collect();
    assert!(
        workers.iter().all(|w| w.starts_with("worker ")),
        "{workers:?}"
    );
    assert_eq!(trace.messages().len(), 100);
    assert!(trace.messages().iter().all(|m| m.received.is_some()));
    assert_eq!(trace.span_count(), 100);
    assert_eq!(trace.lanes()[lane_of(&trace, "job")].marks.len(), 1);
    // The workers' lanes are gone once `lanes` is dropped.
    assert_eq!(pool.install(traced::current_lane), None);
}

#[test]
fn two_threads_with_same_named_lanes_never_make_a_false_deadlock() {
    use traced::sync::WatchedMutex;
    for _ in 0..20 {
        let watch = LockWatch::new();
        let (a, b) = (
            WatchedMutex::new(&watch, "a", ()),
            WatchedMutex::new(&watch, "b", ()),
        );
        let rec = Recorder::new();
        let held = Barrier::new(2);
        let results: Vec<String> = std::thread::scope(|s| {
            let run = |first: &'static str| {
                let (held, a, b) = (&held, &a, &b);
                traced::spawn_scoped(s, rec.lane("worker"), move || {
                    let (one, two) = if first == "a" { (a, b) } else { (b, a) };
                    let guard = one.lock();
                    held.wait();
                    let r = match (guard.as_ref(), two.lock().as_ref()) {
                        (Err(e), _) | (Ok(_), Err(e)) => format!("{e:?}"),
                        (Ok(_), Ok(_)) => "both".to_string(),
                    };
                    drop(guard);
                    r
                })
            };
            let handles = [run("a"), run("b")];
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(watch.deadlock().is_none(), "a false deadlock: {results:?}");
        assert!(
            results.iter().any(|r| r.starts_with("Misuse")),
            "{results:?}"
        );
    }
    // Distinct names: the real deadlock is found.
    let watch = LockWatch::new();
    let (a, b) = (
        WatchedMutex::new(&watch, "a", ()),
        WatchedMutex::new(&watch, "b", ()),
    );
    let rec = Recorder::new();
    let held = Barrier::new(2);
    std::thread::scope(|s| {
        for (name, one, two) in [("T1", &a, &b), ("T2", &b, &a)] {
            let held = &held;
            traced::spawn_scoped(s, rec.lane(name), move || {
                let guard = one.lock();
                held.wait();
                let second = two.lock();
                assert!(matches!(second, Err(LockError::Deadlock(_))) || guard.is_err());
            });
        }
    });
    assert_eq!(watch.deadlock().unwrap().threads().len(), 2);
}

#[test]
fn traced_mutex_records_exactly_and_holds_never_overlap() {
    let (threads, each) = (4, 2_000);
    let m = Arc::new(traced::sync::Mutex::named("m", 0u64));
    let rec = Recorder::new();
    std::thread::scope(|s| {
        for t in 0..threads {
            let m = Arc::clone(&m);
            traced::spawn_scoped(s, rec.lane(format!("t{t}")), move || {
                for _ in 0..each {
                    *m.lock().unwrap() += 1;
                }
            });
        }
    });
    assert_eq!(*m.lock().unwrap(), threads * each);
    let trace = rec.trace().unwrap();
    let mut held = Vec::new();
    for lane in trace.lanes() {
        let count = |k: Kind| lane.spans.iter().filter(|s| s.kind == k).count();
        assert_eq!(count(Kind::LockWait), each as usize, "{}", lane.name);
        assert_eq!(count(Kind::LockHeld), each as usize, "{}", lane.name);
        held.extend(lane.spans.iter().filter(|s| s.kind == Kind::LockHeld));
    }
    held.sort_by_key(|s| s.start);
    assert!(held.windows(2).all(|w| w[0].end <= w[1].start));
}

#[test]
fn a_panic_while_holding_poisons_the_lock_as_std_does() {
    let m = traced::sync::Mutex::new(1);
    let rec = Recorder::new();
    std::thread::scope(|s| {
        let m = &m;
        let h = traced::spawn_scoped(s, rec.lane("panics"), move || {
            let _g = m.lock().unwrap();
            panic!("while holding");
        });
        assert!(h.join().is_err());
    });
    assert!(m.is_poisoned());
    let err = m.lock().unwrap_err();
    assert_eq!(*err.into_inner(), 1);
    // The lane was handed over despite the panic: a wait and a hold.
    assert_eq!(rec.trace().unwrap().span_count(), 2);
}

/// N producers × M messages through each library: every message read back, paired,
/// from its own lane, exactly once.
fn check_exact(trace: &Trace, producers: usize, each: usize) {
    assert!(trace.notes().is_empty(), "{:?}", trace.notes());
    let messages = trace.messages();
    assert_eq!(messages.len(), producers * each);
    let consumer = lane_of(trace, "consumer");
    let mut labels = HashSet::new();
    for m in messages {
        assert_eq!(m.to, Some(consumer), "{m:?}");
        // The default label is the value's Debug: "(t, i)".
        let t = m.label.trim_start_matches('(').split(',').next().unwrap();
        assert_eq!(trace.lanes()[m.from].name, format!("producer {t}"));
        assert!(m.sent <= m.accepted && m.received.unwrap() >= m.sent);
        assert!(labels.insert(m.label.to_string()), "each message once");
    }
}

#[test]
fn n_threads_by_m_messages_are_recorded_exactly_for_every_library() {
    let (producers, each) = (8usize, 500usize);
    // crossbeam, bounded
    let rec = Recorder::new();
    let (tx, rx) = traced::crossbeam::bounded(4);
    std::thread::scope(|s| {
        for t in 0..producers {
            let tx = tx.clone();
            traced::spawn_scoped(s, rec.lane(format!("producer {t}")), move || {
                (0..each).for_each(|i| tx.send((t, i)).unwrap())
            });
        }
        drop(tx);
        traced::spawn_scoped(s, rec.lane("consumer"), move || {
            assert_eq!((&rx).into_iter().count(), producers * each)
        });
    });
    check_exact(&rec.trace().unwrap(), producers, each);
    // std, sync_channel
    let rec = Recorder::new();
    let (tx, rx) = traced::mpsc::sync_channel(4);
    std::thread::scope(|s| {
        for t in 0..producers {
            let tx = tx.clone();
            traced::spawn_scoped(s, rec.lane(format!("producer {t}")), move || {
                (0..each).for_each(|i| tx.send((t, i)).unwrap())
            });
        }
        drop(tx);
        traced::spawn_scoped(s, rec.lane("consumer"), move || {
            assert_eq!(rx.into_iter().count(), producers * each)
        });
    });
    check_exact(&rec.trace().unwrap(), producers, each);
    // tokio mpsc, tasks on a multi-thread runtime
    let rec = Recorder::new();
    let rt = lab::scenarios::multi_thread_runtime(2).unwrap();
    rt.block_on(async {
        let (tx, mut rx) = traced::tokio::mpsc::channel(4);
        let mut handles = Vec::new();
        for t in 0..producers {
            let tx = tx.clone();
            handles.push(traced::tokio::spawn(
                rec.lane(format!("producer {t}")),
                async move {
                    for i in 0..each {
                        tx.send((t, i)).await.unwrap();
                    }
                },
            ));
        }
        drop(tx);
        let consumer = traced::tokio::spawn(rec.lane("consumer"), async move {
            let mut n = 0;
            while rx.recv().await.is_some() {
                n += 1;
            }
            n
        });
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(consumer.await.unwrap(), producers * each);
    });
    check_exact(&rec.trace().unwrap(), producers, each);
}

#[test]
fn tokio_oneshot_replies_are_paired_across_tasks() {
    let rec = Recorder::new();
    let rt = lab::scenarios::multi_thread_runtime(2).unwrap();
    rt.block_on(traced::instrument(rec.lane("asker"), async {
        let (tx, mut rx) = traced::tokio::mpsc::channel::<traced::tokio::oneshot::Sender<u32>>(1);
        let server = traced::tokio::spawn(rec.lane("server"), async move {
            let mut n = 0;
            while let Some(reply) = rx.recv().await {
                n += 1;
                reply.send_as("reply", n).unwrap();
            }
        });
        for want in 1..=3 {
            let (reply, answer) = traced::tokio::oneshot::channel();
            tx.send_as("ask", reply).await.unwrap();
            assert_eq!(answer.await, Ok(want));
        }
        drop(tx);
        server.await.unwrap();
    }));
    let trace = rec.trace().unwrap();
    let (asker, server) = (lane_of(&trace, "asker"), lane_of(&trace, "server"));
    let arrows: Vec<(&str, usize, Option<usize>)> = trace
        .messages()
        .iter()
        .map(|m| (&*m.label, m.from, m.to))
        .collect();
    let one = [("ask", asker, Some(server)), ("reply", server, Some(asker))];
    assert_eq!(arrows, [one, one, one].concat());
}

#[test]
fn an_inner_lane_gives_way_to_the_outer_one_also_after_a_panic() {
    let rec = Recorder::new();
    traced::with_lane(rec.lane("outer"), || {
        traced::with_lane(rec.lane("inner"), || {
            assert_eq!(traced::current_lane().as_deref(), Some("inner"));
            traced::mark("in");
        });
        assert_eq!(traced::current_lane().as_deref(), Some("outer"));
        let caught = std::panic::catch_unwind(|| {
            traced::with_lane(rec.lane("panics"), || {
                traced::mark("before the panic");
                panic!("boom");
            })
        });
        assert!(caught.is_err());
        assert_eq!(traced::current_lane().as_deref(), Some("outer"));
        traced::mark("out");
    });
    assert_eq!(traced::current_lane(), None);
    let trace = rec.trace().unwrap();
    assert!(trace.notes().is_empty(), "every lane handed over");
    let marks: Vec<(&str, usize)> = trace
        .lanes()
        .iter()
        .map(|l| (&*l.name, l.marks.len()))
        .collect();
    assert_eq!(marks, [("outer", 1), ("inner", 1), ("panics", 1)]);
}
