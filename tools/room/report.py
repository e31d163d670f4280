"""What the rehearsal measures per learner, each room's row, and the capacity table
(docs/instructor.md explains how to read it). Standard library only."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

NOT_MEASURED = "not measured (remote hub)"


@dataclass
class Result:
    name: str
    server_s: float = 0.0
    ready_s: float = 0.0
    before_s: float = 0.0  # running every notebook but the last (before Run All together)
    run_all_s: float = 0.0
    held: int = 0  # memory the learner's processes hold once Run All is done (reading time)
    server_version: str = ""
    errors: list[str] = field(default_factory=list)


def summary(n: int, results: list[Result], peaks: dict[str, int] | None, total: int | None) -> dict:
    """One room's row of the table (memory None: not measured)."""
    def med_max(values: list[float]) -> tuple[float, float]:
        return statistics.median(values), max(values)
    row = {"n": n, "failed": sum(len(r.errors) for r in results),
           "mem_max": max(peaks.values(), default=0) if peaks is not None else None,
           "mem_total": total, "held_max": max(r.held for r in results) if peaks is not None else None}
    for key, values in (("server", [r.server_s for r in results]), ("ready", [r.ready_s for r in results]),
                        ("before", [r.before_s for r in results]), ("run", [r.run_all_s for r in results])):
        row[f"{key}_med"], row[f"{key}_max"] = med_max(values)
    return row


@dataclass
class Setup:
    """What the table's header says: which hub, which notebooks, which machine."""
    hub: str  # e.g. "a local JupyterHub 6.1.1 on 127.0.0.1"
    notebooks: list[str]
    machine: str | None = None  # None: a remote hub, whose machines are not seen from here
    cores: int | None = None
    prep: str = ""
    server_version: str = ""  # the learners' single-user server (jupyter_server)

    @property
    def remote(self) -> bool:
        return self.machine is None


def mib(b: float | None) -> str:
    return NOT_MEASURED if b is None else f"{b / 2**20:,.0f} MiB"


def what_was_run(notebooks: list[str]) -> str:
    *before, last = notebooks
    if not before:
        return f"Each learner opened {last} (one kernel); then all of them pressed Run All on it at once."
    return (f"Each learner opened {' and '.join(notebooks)} at once (a kernel each, as {len(notebooks)} tabs), "
            f"ran {', '.join(before)} top to bottom and left {'its kernel' if len(before) == 1 else 'their kernels'} "
            f"open, then all of them pressed Run All on {last} at once (the Run All column).")


def report(rows: list[dict], setup: Setup) -> str:
    base = rows[0]
    server = f" (learners' servers: jupyter_server {setup.server_version})" if setup.server_version else ""
    where = "; its machines: not seen from here" if setup.remote else f"; this machine: {setup.machine}"
    lines = [
        f"Room rehearsal on {setup.hub}{server}{where}.",
        what_was_run(setup.notebooks),
        f"({setup.prep})",
        "",
        "| learners | per core | server up (median / max) | ready (median / max) | Run All (median / max) | "
        f"× {'alone' if base['n'] == 1 else str(base['n']) + ' learners'} | "
        "memory per learner: peak / held after | memory, all (peak) | cells failed |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        per_core = "—" if setup.remote else f"{r['n'] / setup.cores:.1f}"
        memory = NOT_MEASURED if r["mem_max"] is None else f"{mib(r['mem_max'])} / {mib(r['held_max'])}"
        lines.append(
            f"| {r['n']} | {per_core} | {r['server_med']:.1f} s / {r['server_max']:.1f} s | "
            f"{r['ready_med']:.1f} s / {r['ready_max']:.1f} s | "
            f"{r['run_med']:.1f} s / {r['run_max']:.1f} s | ×{r['run_med'] / base['run_med']:.1f} | "
            f"{memory} | {mib(r['mem_total'])} | {r['failed']} |")
    if len(setup.notebooks) > 1:
        lines += ["", f"Running {', '.join(setup.notebooks[:-1])} first (before Run All together, learners "
                  "not waiting for each other), median / max: "
                  + "; ".join(f"{r['n']} learner(s) {r['before_med']:.1f} s / {r['before_max']:.1f} s" for r in rows)
                  + "."]
    return "\n".join(lines + ["", capacity(rows, setup)])


def capacity(rows: list[dict], setup: Setup) -> str:
    """The capacity rule: the largest room for which every learner's Run All (the slowest, not
    the median), in that room and every smaller one, stays within twice the first room's median
    time (one learner alone, by default): a wait a room tolerates. Memory: the largest sampled
    peak of any learner, with a 1.5× margin."""
    base = rows[0]
    fits = 0
    for r in rows:
        if r["run_max"] > 2 * base["run_med"]:
            break
        fits = r["n"]
    first = "one learner alone" if base["n"] == 1 else "the first room"
    if setup.remote:
        return (f"Capacity (this hub): every learner's Run All stays within 2× of {first} up to {fits} "
                f"learner(s) running at once. Memory: {NOT_MEASURED}: watch the hub's machines during a "
                "run (docker stats, kubectl top pods, free -m).")
    per_learner = max(r["mem_max"] for r in rows)
    return (f"Capacity (this machine): every learner's Run All stays within 2× of {first} up to "
            f"{fits / setup.cores:.1f} learners per core when they all run at once; plan "
            f"{mib(per_learner * 1.5)} of memory per learner (the largest sampled peak, {mib(per_learner)}, × 1.5).")
