"""The learner-facing checks fed wrong answers: a check that says ✔ must fail every wrong
answer we can think of (the developers' guide), and the solutions must pass it.

Notebook 10's `check` judges the capstone's three exercises. This runs the whole notebook
in the rust kernel (solutions included: none may print ✘), then, in the same kernel,
redefines `my_crawl` as one wrong answer after another and runs `check` on each. A wrong
answer must never get ✔ for the exercise it gets wrong, and must get ✘ where the check can
tell for certain.
"""
from __future__ import annotations

import nbformat
import pytest

from tools.evcxr import panic_in
from tools.execute import execute
from tools.series import NOTEBOOKS, tags

CAPSTONE = NOTEBOOKS / "10-conclusion.ipynb"

# Each wrong answer: (name, Rust cell defining `my_crawl` and checking it, what must be printed,
# what must not). The cells use lab::capstone's items (Site, fetch, parse, within_deadline,
# Site::check) as the notebook imports them, and, after Run All, the solutions' own fns.
HEALTHY = """
let rec_w = Recorder::new();
let wrong = my_crawl(site.addr(), work, FETCHERS, page_limit, &rec_w);
site.check(&wrong, FETCHERS, Some(starter_time));
"""

# The backpressure check of the notebook's check cell: the same crawler on the burst site.
BURST = """
let burst_w = Site::burst(2 * pages)?;
let wrong = my_crawl(burst_w.addr(), work, FETCHERS, page_limit, &Recorder::new());
burst_w.check(&wrong, FETCHERS, None);
"""

NO_CAP = """
/// Wrong: every new link is fetched at once, however many are in flight.
fn my_crawl(addr: SocketAddr, work: CpuWork, fetchers: usize, limit: Duration, rec: &Recorder) -> Report {
    let _ = (fetchers, limit);
    let mut lane = rec.lane("crawler");
    within_deadline(CRAWL_DEADLINE, async move {
        let (mut report, mut seen) = (Report::default(), HashSet::from(["/p0".to_string()]));
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(fetch(addr, "/p0".to_string()));
        while let Some(Ok(page)) = tasks.join_next().await {
            let parsed = lane.span(Kind::Compute, "parse", || parse(page, work));
            for link in &parsed.links {
                if seen.insert(link.clone()) { tasks.spawn(fetch(addr, link.clone())); }
            }
            report.add(&parsed);
        }
        report
    })
}
""" + HEALTHY


def parse_elsewhere(how: str) -> str:
    """Wrong: a capped JoinSet crawl whose parses run on threads that are not rayon's."""
    return """
fn my_crawl(addr: SocketAddr, work: CpuWork, fetchers: usize, limit: Duration, rec: &Recorder) -> Report {
    let _ = limit;
    let rec = rec.clone();
    within_deadline(CRAWL_DEADLINE, async move {
        let (mut report, mut seen) = (Report::default(), HashSet::from(["/p0".to_string()]));
        let mut frontier = VecDeque::from(["/p0".to_string()]);
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            while tasks.len() < fetchers {
                let Some(path) = frontier.pop_front() else { break };
                let rec = rec.clone();
                tasks.spawn(async move {
                    let page = fetch(addr, path).await;
                    %s
                });
            }
            let Some(Ok(parsed)) = tasks.join_next().await else { break };
            for link in &parsed.links {
                if seen.insert(link.clone()) { frontier.push_back(link.clone()); }
            }
            report.add(&parsed);
        }
        report
    })
}
""" % how + HEALTHY


SPAWN_BLOCKING = parse_elsewhere(
    'tokio::task::spawn_blocking(move || rec.thread_lane().span(Kind::Compute, "parse", || parse(page, work)))'
    ".await.unwrap()")
THREAD_PER_PAGE = parse_elsewhere(
    "let (tx, rx) = oneshot::channel();\n"
    '                    std::thread::spawn(move || { let _ = tx.send(rec.thread_lane().span(Kind::Compute, "parse", || parse(page, work))); });\n'
    "                    rx.await.unwrap()")

LEAK = """
/// Wrong: gives up *waiting* for a silent page, not the fetch itself: its task lives on.
fn my_crawl(addr: SocketAddr, work: CpuWork, fetchers: usize, limit: Duration, rec: &Recorder) -> Report {
    let _ = rec;
    within_deadline(CRAWL_DEADLINE, async move {
        let (mut report, mut seen) = (Report::default(), HashSet::from(["/p0".to_string()]));
        let mut frontier = VecDeque::from(["/p0".to_string()]);
        let (mut asked, mut tasks) = (HashSet::new(), tokio::task::JoinSet::new());
        loop {
            while tasks.len() < fetchers {
                let Some(path) = frontier.pop_front() else { break };
                asked.insert(path.clone());
                tasks.spawn(fetch(addr, path));
            }
            match tokio::time::timeout(limit, tasks.join_next()).await {
                Ok(Some(Ok(page))) => {
                    asked.remove(&page.path);
                    let parsed = parse(page, work);
                    for link in &parsed.links {
                        if seen.insert(link.clone()) { frontier.push_back(link.clone()); }
                    }
                    report.add(&parsed);
                }
                Ok(_) => break,
                Err(_) => { report.no_answer.extend(asked.drain()); tasks.detach_all(); break; }
            }
        }
        report
    })
}
let silent_w = Site::silent(pages, 17)?;
let wrong = my_crawl(silent_w.addr(), work, FETCHERS, page_limit, &Recorder::new());
silent_w.check(&wrong, FETCHERS, None);
"""

NOT_JOINED = """
/// Wrong: the finished crawler (timeouts and all), its tasks spawned and never joined. They
/// end soon after it returns, by themselves, but nothing in the crawl makes sure of it.
fn my_crawl(addr: SocketAddr, work: CpuWork, fetchers: usize, limit: Duration, rec: &Recorder) -> Report {
    within_deadline(CRAWL_DEADLINE, async {
        let (frontier_tx, frontier_rx) = mpsc::unbounded_channel();
        let (pages_tx, pages_rx) = mpsc::channel(4);
        let (results_tx, results_rx) = mpsc::channel(4);
        let frontier: Frontier = Arc::new(Mutex::new(frontier_rx));
        for f in 0..fetchers {
            let lane = rec.lane(format!("fetcher {f}"));
            tokio::spawn(fetch_stage_within(lane, addr, frontier.clone(), pages_tx.clone(), limit));
        }
        tokio::spawn(parse_stage(rec.lane("parse stage"), rec.clone(), work, pages_rx, results_tx));
        drop(pages_tx);
        coordinate(rec.lane("coordinator"), frontier_tx, results_rx).await
    })
}
let silent_w = Site::silent(pages, 17)?;
let wrong = my_crawl(silent_w.addr(), work, FETCHERS, page_limit, &Recorder::new());
silent_w.check(&wrong, FETCHERS, None);
"""

LONG_LIMIT = """
/// Wrong: the finished crawler with a time limit of 4.5 s per fetch instead of `limit`: it
/// is back before the 5 s deadline, after waiting 4.5 s for the silent page.
fn my_crawl(addr: SocketAddr, work: CpuWork, fetchers: usize, _limit: Duration, rec: &Recorder) -> Report {
    crawl(addr, work, fetchers, Duration::from_millis(4500), rec)
}
let silent_w = Site::silent(pages, 17)?;
let wrong = my_crawl(silent_w.addr(), work, FETCHERS, page_limit, &Recorder::new());
silent_w.check(&wrong, FETCHERS, None);
"""

UNBOUNDED_PARSES = """
/// Wrong: at most `fetchers` fetches, and the parses on rayon, but each fetched page is
/// handed to rayon::spawn and its task ends: nothing holds the next page back, and pages
/// queue on rayon without a bound when parsing falls behind.
fn my_crawl(addr: SocketAddr, work: CpuWork, fetchers: usize, limit: Duration, rec: &Recorder) -> Report {
    let _ = (limit, rec);
    within_deadline(CRAWL_DEADLINE, async move {
        let (mut report, mut seen) = (Report::default(), HashSet::from(["/p0".to_string()]));
        let mut frontier = VecDeque::from(["/p0".to_string()]);
        let (parsed_tx, mut parsed_rx) = mpsc::unbounded_channel::<Parsed>();
        let (mut tasks, mut pending) = (tokio::task::JoinSet::new(), 0);
        loop {
            while tasks.len() < fetchers {
                let Some(path) = frontier.pop_front() else { break };
                pending += 1;
                let tx = parsed_tx.clone();
                tasks.spawn(async move {
                    let page = fetch(addr, path).await;
                    rayon::spawn(move || { let _ = tx.send(parse(page, work)); });
                });
            }
            if pending == 0 { break; }
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
""" + HEALTHY + BURST

CAPPED_TOO_HIGH = """
/// Wrong: a cap, but at twice FETCHERS.
fn my_crawl(addr: SocketAddr, work: CpuWork, fetchers: usize, limit: Duration, rec: &Recorder) -> Report {
    let _ = (fetchers, limit);
    let mut lane = rec.lane("crawler");
    within_deadline(CRAWL_DEADLINE, async move {
        let (mut report, mut seen) = (Report::default(), HashSet::from(["/p0".to_string()]));
        let mut frontier = VecDeque::from(["/p0".to_string()]);
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            while tasks.len() < 2 * FETCHERS {
                let Some(path) = frontier.pop_front() else { break };
                tasks.spawn(fetch(addr, path));
            }
            let Some(Ok(page)) = tasks.join_next().await else { break };
            let parsed = lane.span(Kind::Compute, "parse", || parse(page, work));
            for link in &parsed.links {
                if seen.insert(link.clone()) { frontier.push_back(link.clone()); }
            }
            report.add(&parsed);
        }
        report
    })
}
""" + HEALTHY

# Right, though recorded its own way: parses on rayon, on a lane moved into each job.
RAYON_OWN_LANE = parse_elsewhere(
    "let (tx, rx) = oneshot::channel();\n"
    '                    let mut lane = rec.lane("parser");\n'
    '                    rayon::spawn(move || { let _ = tx.send(lane.span(Kind::Compute, "parse", || parse(page, work))); });\n'
    "                    rx.await.unwrap()")

BLOCKING_RECV = parse_elsewhere(
    "let (tx, rx) = std::sync::mpsc::channel();\n"
    '                    rayon::spawn(move || { let _ = tx.send(rec.thread_lane().span(Kind::Compute, "parse", || parse(page, work))); });\n'
    "                    rx.recv().unwrap() // blocks the event loop until the parse is done")

PAR_ITER_BATCH = """
/// Wrong: fetches a batch, then parses it with a parallel iterator inside the async code:
/// on rayon, several at once, but the event loop is blocked until the whole batch is parsed.
fn my_crawl(addr: SocketAddr, work: CpuWork, fetchers: usize, limit: Duration, rec: &Recorder) -> Report {
    let _ = (limit, rec);
    within_deadline(CRAWL_DEADLINE, async move {
        let (mut report, mut seen) = (Report::default(), HashSet::from(["/p0".to_string()]));
        let mut frontier = VecDeque::from(["/p0".to_string()]);
        while !frontier.is_empty() {
            let mut tasks = tokio::task::JoinSet::new();
            while tasks.len() < fetchers {
                let Some(path) = frontier.pop_front() else { break };
                tasks.spawn(fetch(addr, path));
            }
            let mut batch = vec![];
            while let Some(Ok(page)) = tasks.join_next().await { batch.push(page); }
            let parsed: Vec<Parsed> = batch.into_par_iter().map(|page| parse(page, work)).collect();
            for p in &parsed {
                for link in &p.links {
                    if seen.insert(link.clone()) { frontier.push_back(link.clone()); }
                }
                report.add(p);
            }
        }
        report
    })
}
""" + HEALTHY

FETCHED_TWICE = """
/// Wrong: queues every link and skips a page already seen only when it arrives: the report
/// is right, but pages are fetched several times.
fn my_crawl(addr: SocketAddr, work: CpuWork, fetchers: usize, limit: Duration, rec: &Recorder) -> Report {
    let _ = limit;
    let mut lane = rec.lane("crawler");
    within_deadline(CRAWL_DEADLINE, async move {
        let (mut report, mut seen) = (Report::default(), HashSet::new());
        let mut frontier = VecDeque::from(["/p0".to_string()]);
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            while tasks.len() < fetchers {
                let Some(path) = frontier.pop_front() else { break };
                tasks.spawn(fetch(addr, path));
            }
            let Some(Ok(page)) = tasks.join_next().await else { break };
            if !seen.insert(page.path.clone()) { continue; } // deduplicated here: too late
            let parsed = lane.span(Kind::Compute, "parse", || parse(page, work));
            frontier.extend(parsed.links.iter().cloned());
            report.add(&parsed);
        }
        report
    })
}
""" + HEALTHY

WRONG = {
    "no cap on pages in flight": (NO_CAP, ["✘ exercise 1"], ["✔ exercise 1"]),
    "parses on spawn_blocking": (SPAWN_BLOCKING, [], ["✔ exercise 2"]),
    "a thread per parse": (THREAD_PER_PAGE, [], ["✔ exercise 2"]),
    "a cap at twice FETCHERS": (CAPPED_TOO_HIGH, ["✘ exercise 1"], ["✔ exercise 1"]),
    "right: rayon, its own lane names": (RAYON_OWN_LANE, [], ["✘"]),
    "rayon, then a blocking recv()": (BLOCKING_RECV, ["✘ exercise 2", "await a oneshot"],
                                      ["✔ exercise 2", "parse on rayon to run several at once"]),
    "a batch, then par_iter in async code": (PAR_ITER_BATCH, ["✘ exercise 2", "the event loop did not run"],
                                             ["✔ exercise 2"]),
    "pages fetched more than once": (FETCHED_TWICE, ["✘ some pages were fetched more than once",
                                                     "check `seen` when you queue a link"], []),
    "a fetch left running": (LEAK, ["of your crawl's tasks were still running after it returned", "✘ exercise 3"],
                             ["✔ exercise 3"]),
    "tasks never joined": (NOT_JOINED, ["✘ exercise 3", "task(s) still running when your crawl returned: keep every "
                                        "task you spawn in a JoinSet"], ["✔ exercise 3"]),
    "a time limit of seconds": (LONG_LIMIT, ["✘ exercise 3", "before giving up"], ["✔ exercise 3"]),
    "parses queued on rayon without a bound": (UNBOUNDED_PARSES, ["✘ exercise 2, backpressure"],
                                               ["✔ exercise 2, backpressure"]),
}


@pytest.fixture(scope="module")
def capstone_run(tmp_path_factory):
    """Notebook 10, then every wrong answer, in one kernel; the executed notebook."""
    nb = nbformat.read(CAPSTONE, as_version=4)
    for name, (code, _, _) in WRONG.items():
        cell = nbformat.v4.new_code_cell(code.strip())
        cell.metadata["wrong_answer"] = name
        nb.cells.append(cell)
    # Beside the series, so that `../helpers` is the same crate (a warm build); hidden from it.
    path = CAPSTONE.with_name(".wrong-answers-10.ipynb")
    nbformat.write(nb, path)
    try:
        executed, _, timings = execute(path)
    finally:
        path.unlink(missing_ok=True)
    assert "stopped" not in timings, timings["stopped"]
    return executed


def text_of(cell) -> str:
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            out.append(o["text"])
        elif o.get("output_type") == "error":
            out.append(o.get("evalue", ""))
    return "".join(out)


def test_the_solutions_pass_their_checks(capstone_run):
    solutions = [c for c in capstone_run.cells if c.cell_type == "code" and "solution" in tags(c)]
    assert solutions, "notebook 10 has no solution cells"
    for cell in solutions:
        text = text_of(cell)
        assert "✘" not in text, f"a solution fails its check:\n{text}"
        assert not panic_in(text), text
    checked = "".join(text_of(c) for c in solutions)
    for done in ("✔ exercise 2, backpressure", "✔ exercise 3"):  # counted, so certain on any machine
        assert done in checked, f"no {done!r} in the solutions' checks:\n{checked}"


@pytest.mark.parametrize("name", list(WRONG))
def test_a_wrong_answer_is_not_passed(capstone_run, name):
    [cell] = [c for c in capstone_run.cells if c.metadata.get("wrong_answer") == name]
    text = text_of(cell)
    _, must, must_not = WRONG[name]
    assert "pages found" in text, f"the wrong answer did not reach check:\n{text}"
    for line in must:
        assert line in text, f"{name}: expected {line!r} in:\n{text}"
    for line in must_not:
        assert line not in text, f"{name}: the check passed a wrong answer ({line!r}):\n{text}"
    if name in ("parses on spawn_blocking", "a thread per parse"):
        # ✘ when parses overlapped (the usual case); when they did not, "one at a time".
        assert "✘ exercise 2" in text or "· exercise 2, where parses run: one parse at a time" in text, text


# ---------------------------------------------------------------- notebook 11, exercise 1

SCHEDULER = NOTEBOOKS / "11-be-the-scheduler.ipynb"

# Wrong fixes for puzzle 3 (one thread's five steps), and the one right answer.
FIXES = {
    "puzzle 3 unchanged": ('["lock m", "a += 1", "b += 1", "unlock m", "check a == b"]', "✘ 2 of"),
    "the check deleted": ('["lock m", "a += 1", "b += 1", "unlock m", "unlock m"]', "✘ a fix keeps"),
    "the check before the lock": ('["check a == b", "lock m", "a += 1", "b += 1", "unlock m"]', "✘ "),
    "no lock at all": ('["a += 1", "b += 1", "check a == b", "check a == b", "check a == b"]', "✘ a fix keeps"),
    "the fix": ('["lock m", "a += 1", "b += 1", "check a == b", "unlock m"]', "✔ 0 of"),
}

# Wrong fixes for puzzle 8, the lost wakeup (consumer, producer), and a right one.
LOOP = '"lock m", "repeat 2 {", "if ready == 0 {", "wait(cv, m)", "}", "}", "unlock m"'
IF = '"lock m", "if ready == 0 {", "wait(cv, m)", "}", "unlock m"'
LOCKED = '"lock m", "ready = 1", "notify_one(cv)", "unlock m"'
WAKEUPS = {
    "puzzle 8 unchanged": (IF, '"ready = 1", "notify_one(cv)"', "✘ "),
    "a loop, the flag set outside the lock": (LOOP, '"ready = 1", "notify_one(cv)"', "✘ "),
    "the lock, but if instead of a loop": (IF, LOCKED, "✘ "),
    "the wait deleted": ('"lock m", "unlock m"', LOCKED, "✘ "),
    "a spin-wait instead": ('"wait until ready == 1"', LOCKED, "✘ the consumer never needs"),
    "if, then a spin-wait": (IF + ', "wait until ready == 1"', LOCKED, "✘ the consumer never needs"),
    "the notify deleted": (LOOP, '"lock m", "ready = 1", "unlock m"', "✘ "),
    "the fix": (LOOP, LOCKED, "✔ 0 of"),
}


def test_the_scheduler_exercise_checks_fail_every_wrong_fix():
    """Notebook 11's judges, in the kernel: its setup cell and puzzle 3's cell, then each fix
    of puzzle 3 (judge_reorder) and of puzzle 8 (judge_wakeup); only the real fixes get ✔."""
    nb = nbformat.read(SCHEDULER, as_version=4)
    keep = [c for c in nb.cells if c.cell_type == "code" and (
        c is next(x for x in nb.cells if x.cell_type == "code") or "let half_locked" in c.source)]
    assert len(keep) == 2, "expected the setup cell and puzzle 3's cell in notebook 11"
    nb.cells = keep
    cases = {}
    for name, (fix, expect) in FIXES.items():
        cases[f"3: {name}"] = (f"println!(\"{{}}\", lab::explore::judge_reorder(&half_locked, &{fix})?);", expect)
    for name, (consumer, producer, expect) in WAKEUPS.items():
        cases[f"8: {name}"] = (
            f"println!(\"{{}}\", lab::explore::judge_wakeup(&[{consumer}], &[{producer}])?);", expect)
    for name, (source, _) in cases.items():
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["fix"] = name
        nb.cells.append(cell)
    path = SCHEDULER.with_name(".wrong-answers-11.ipynb")
    nbformat.write(nb, path)
    try:
        executed, _, timings = execute(path)
    finally:
        path.unlink(missing_ok=True)
    assert "stopped" not in timings, timings["stopped"]
    seen = 0
    for cell in executed.cells:
        if "fix" not in cell.metadata:
            continue
        seen += 1
        name, text = cell.metadata["fix"], text_of(cell)
        expect = cases[name][1]
        assert text.startswith(expect), f"{name}: expected a line starting {expect!r}, got:\n{text}"
        if not name.endswith("the fix"):
            assert "✔" not in text, f"{name}: the check passed a wrong fix:\n{text}"
    assert seen == len(cases), f"{seen} of {len(cases)} fixes ran"
