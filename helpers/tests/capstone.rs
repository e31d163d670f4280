//! Notebook 10's checks, fed a right and a wrong answer to exercise 2's backpressure and to
//! exercise 3's "join your tasks", through the public API (the notebook's own wrong answers
//! run in the kernel: tools/test_checks.py).

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::time::Duration;

use lab::capstone::{Page, Parsed, Report, Site, fetch, parse, within_deadline};
use lab::scenarios::CpuWork;
use tokio::sync::{mpsc, oneshot};

const FETCHERS: usize = 8;

/// A JoinSet crawl, at most FETCHERS tasks at once. `bounded`: each task awaits its own
/// page's parse on rayon (right); otherwise it hands the page to rayon and ends, so pages
/// queue on rayon without a bound (wrong).
fn crawl(addr: SocketAddr, work: CpuWork, bounded: bool) -> Report {
    within_deadline(Duration::from_secs(20), async move {
        let (mut report, mut seen) = (Report::default(), HashSet::from(["/p0".to_string()]));
        let mut frontier = VecDeque::from(["/p0".to_string()]);
        let (tx, mut parsed_rx) = mpsc::unbounded_channel::<Parsed>();
        let (mut tasks, mut pending) = (tokio::task::JoinSet::new(), 0);
        loop {
            while tasks.len() < FETCHERS {
                let Some(path) = frontier.pop_front() else {
                    break;
                };
                pending += 1;
                let tx = tx.clone();
                tasks.spawn(async move {
                    let page: Page = fetch(addr, path).await;
                    if bounded {
                        let (one_tx, one_rx) = oneshot::channel();
                        rayon::spawn(move || {
                            let _ = one_tx.send(parse(page, work));
                        });
                        let _ = tx.send(one_rx.await.unwrap());
                    } else {
                        rayon::spawn(move || {
                            let _ = tx.send(parse(page, work));
                        });
                    }
                });
            }
            if pending == 0 {
                break;
            }
            tokio::select! {
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                Some(parsed) = parsed_rx.recv() => {
                    pending -= 1;
                    for link in &parsed.links {
                        if seen.insert(link.clone()) { frontier.push_back(link.clone()); }
                    }
                    report.add(&parsed);
                }
            }
        }
        while tasks.join_next().await.is_some() {}
        report
    })
}

fn line<'a>(lines: &'a [String], start: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.contains(start))
        .map_or("", |l| l.as_str())
}

#[test]
fn backpressure_fails_an_unbounded_queue_and_passes_a_bounded_one() {
    let work = CpuWork::calibrate();
    let site = Site::burst(80).unwrap();
    let right = site.check_lines(&crawl(site.addr(), work, true), FETCHERS, None);
    assert!(line(&right, "backpressure").starts_with("✔"), "{right:#?}");
    assert!(!right.iter().any(|l| l.starts_with('✘')), "{right:#?}");
    let wrong = site.check_lines(&crawl(site.addr(), work, false), FETCHERS, None);
    assert!(line(&wrong, "backpressure").starts_with("✘"), "{wrong:#?}");
}

#[test]
fn exercise_3_fails_tasks_left_running_when_the_crawl_returns() {
    let site = Site::silent(20, 3).unwrap();
    let (work, addr) = (CpuWork::calibrate(), site.addr());
    // Right: every task joined. Wrong: one more task spawned that ends soon after.
    for leave_one in [false, true] {
        let report = within_deadline(Duration::from_secs(5), async move {
            let mut report = Report::default();
            let (mut seen, mut frontier) =
                (HashSet::from(["/p0".to_string()]), vec!["/p0".to_string()]);
            let mut tasks = tokio::task::JoinSet::new();
            while let Some(path) = frontier.pop() {
                let limit = Duration::from_millis(100);
                let p = path.clone();
                tasks.spawn(async move { tokio::time::timeout(limit, fetch(addr, p)).await });
                let page = match tasks.join_next().await {
                    Some(Ok(Ok(page))) => page,
                    _ => Page {
                        path,
                        status: 0,
                        html: String::new(),
                    },
                };
                let parsed = parse(page, work);
                for link in &parsed.links {
                    if seen.insert(link.clone()) {
                        frontier.push(link.clone());
                    }
                }
                report.add(&parsed);
            }
            if leave_one {
                tokio::spawn(tokio::time::sleep(Duration::from_millis(5)));
            }
            report
        });
        let lines = site.check_lines(&report, FETCHERS, None);
        let ex3 = line(&lines, "exercise 3");
        assert_eq!(ex3.starts_with("✔"), !leave_one, "{lines:#?}");
    }
}
