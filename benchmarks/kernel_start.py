"""How long a notebook takes to be ready: a bare evcxr kernel, the project's kernel, and the
project's kernel taken from a warm spare, side by side in one run.

    .venv/bin/python -m benchmarks.kernel_start [--rounds N] [--notebooks]    (from the repository's root)

Every figure is taken as JupyterLab opens a notebook: from the request that opens its session
(POST /api/sessions) to the reply of a cell over the kernel's websocket, on a JupyterLab
started from .venv/ with the rust kernel installed:
  ready    until the first cell's reply: the setup cell (tools/setup_cell.rs) for the
           project's kernel, a no-op cell (`let _nothing = ();`) for a bare one;
  usable   until the reply of the next cell, the first that binds a variable
           (`let ready = 1;`): the first variable a kernel sees makes evcxr's rust-analyzer
           load the crates it can name, a cost a learner pays in the first real cell.
Phase 1, a server with spares off (LAB_SPARE_KERNELS=0), the two variants interleaved round
by round:
  (a) bare      evcxr_jupyter itself (no launcher, evcxr's throwaway build directory);
  (b) project   the installed `rust` kernel (tools/kernel/launcher.py, a build slot), in a
                fresh slot folder: round 1 is a cold slot (the helpers compile from scratch;
                their dependencies come from evcxr's cache), later rounds warm.
Phase 2, a server with one spare (the default; tools/jupyter/server/lab_spare.py), the same
slot folder: each round waits until the spare is warm, then opens a notebook, which takes it:
  (c) spare     the project's kernel, warm spare.

With --notebooks it then runs every notebook top to bottom (as the harness does, once)
and prints each one's Run All time and its median cell after the setup cell.

Prints figures; gates nothing. Record them in BENCHMARKS.md with the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager

from tools import series
from tools.evcxr import panic_in
from tools.execute import execute
from tools.labserver import READY, Lab

ROOT = Path(__file__).resolve().parent.parent

NOOP = "let _nothing = ();"
FIRST_VARIABLE = "let ready = 1;"


NOTEBOOK = "notebooks/00-start-here.ipynb"


def one_open(lab: Lab, kernel: str, first_cell: str) -> dict:
    """Opens NOTEBOOK with `kernel`, runs `first_cell` then the first variable over one
    websocket; seconds from the request that opened the session."""
    t0 = time.monotonic()
    session, kernel_id = lab.open(NOTEBOOK, kernel)
    opened = time.monotonic() - t0
    try:
        replies = lab.run_all(kernel_id, [first_cell, FIRST_VARIABLE])
    finally:
        lab.close(session)
    for code, (status, _, shown, _) in zip((first_cell, FIRST_VARIABLE), replies):
        if status != "ok" or panic_in(shown):
            raise SystemExit(f"cell {code.splitlines()[0]!r} failed in {kernel}: {shown.strip()[:300]}")
    return {"open": opened, "ready": replies[0][3] - t0, "usable": replies[1][3] - t0,
            "spare": kernel_id in READY.findall(lab.log())}


def memory(pid: int) -> tuple[int, int]:
    """(PSS, RSS) in bytes of the process `pid` and all its descendants (a kernel: evcxr, with
    rust-analyzer inside it, and its runtime child), as benchmarks/kernel_memory.py reads them."""
    from benchmarks.kernel_memory import parents, rollup

    table = parents()
    tree, stack = [], [pid]
    while stack:
        p = stack.pop()
        tree.append(p)
        stack.extend(c for c, (ppid, _) in table.items() if ppid == p)
    r = [rollup(p) for p in tree]
    return sum(x.get("Pss", 0) for x in r), sum(x.get("Rss", 0) for x in r)


def server(tmp: Path, env: dict) -> Lab:
    cmd = [str(ROOT / ".venv" / "bin" / "jupyter"), "lab", f"--ServerApp.root_dir={ROOT}", "--ServerApp.ip=127.0.0.1"]
    if os.getuid() == 0:
        cmd.append("--allow-root")
    tmp.mkdir()
    return Lab(tmp, env=env, cmd=cmd)


def evcxr_binary() -> str:
    argv = KernelSpecManager().get_kernel_spec("rust").argv
    return argv[argv.index("--evcxr") + 1] if "--evcxr" in argv else argv[0]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or cpu
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} logical cores, {cpu}, {platform.system()} {platform.release()}, {rustc}"


def fmt(xs: list[float]) -> str:
    if not xs:
        return "-"
    if len(xs) == 1:
        return f"{xs[0]:5.2f} s"
    return f"{statistics.median(xs):5.2f} s ({min(xs):.2f}-{max(xs):.2f}, n={len(xs)})"


def kernels(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # (a): evcxr's own kernelspec, in a folder of its own on the server's JUPYTER_PATH.
        bare_dir = Path(tmp, "share", "kernels", "bare-evcxr")
        bare_dir.mkdir(parents=True)
        (bare_dir / "kernel.json").write_text(json.dumps({
            "argv": [evcxr_binary(), "--control_file", "{connection_file}"],
            "display_name": "bare evcxr", "language": "rust", "interrupt_mode": "message"}))
        paths = [str(Path(tmp, "share"))] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
        env = {"JUPYTER_PATH": os.pathsep.join(paths), "LAB_KERNEL_SLOTS_DIR": str(Path(tmp, "slots"))}
        setup = (ROOT / "tools" / "setup_cell.rs").read_text()
        bare, cold, warm, spare, held = [], None, [], [], []
        lab = server(Path(tmp, "phase1"), {**env, "LAB_SPARE_KERNELS": "0"})
        try:
            for r in range(rounds):
                bare.append(one_open(lab, "bare-evcxr", NOOP))
                run = one_open(lab, "rust", setup)
                if r == 0:
                    cold = run
                else:
                    warm.append(run)
                print(f"  round {r + 1}: bare ready {bare[-1]['ready']:.2f} s (usable {bare[-1]['usable']:.2f} s); "
                      f"project {'cold' if r == 0 else 'warm'} slot ready {run['ready']:.2f} s "
                      f"(usable {run['usable']:.2f} s)", flush=True)
        finally:
            lab.stop()
        lab = server(Path(tmp, "phase2"), {**env, "LAB_SPARE_KERNELS": "1"})
        try:
            for r in range(rounds - 1):
                pid = lab.kernel_pids().get(lab.wait_ready(r + 1))
                if pid is not None:
                    held.append(memory(pid))
                run = one_open(lab, "rust", setup)
                if not run["spare"]:
                    raise SystemExit("the notebook did not get the spare kernel: "
                                     + " / ".join(ln for ln in lab.log().splitlines() if "[lab spare]" in ln))
                spare.append(run)
                print(f"  spare round {r + 1}: ready {run['ready']:.2f} s (usable {run['usable']:.2f} s)", flush=True)
        finally:
            lab.stop()
    rows = [("(a) bare evcxr, no-op cell", bare), ("(b) project, cold slot", [cold]),
            ("(b) project, warm slot, no spare", warm), ("(c) project, warm spare", spare)]
    print(f"\n{'':34} {'session opened':>28} {'ready (first cell replied)':>30} {'usable (first variable replied)':>34}")
    for label, runs in rows:
        print(f"{label:34} {fmt([x['open'] for x in runs]):>28} {fmt([x['ready'] for x in runs]):>30} "
              f"{fmt([x['usable'] for x in runs]):>34}")
    med = {k: statistics.median(x[k] for x in warm) for k in ("ready", "usable")}
    a = {k: statistics.median(x[k] for x in bare) for k in ("ready", "usable")}
    c = {k: statistics.median(x[k] for x in spare) for k in ("ready", "usable")}
    mib = 1024 * 1024
    if held:
        print(f"\na warm spare, waiting (kernel and runtime child): PSS {statistics.median(p for p, _ in held) / mib:,.0f} MiB, "
              f"RSS {statistics.median(r for _, r in held) / mib:,.0f} MiB (median of {len(held)})")
    print(f"with a spare:    ready {c['ready']:.2f} s (target ≤ 1 s), usable {c['usable']:.2f} s (target ≤ 1.5 s)")
    print(f"without a spare: usable {med['usable']:.2f} s = ×{med['usable'] / a['usable']:.2f} the bare kernel's "
          f"{a['usable']:.2f} s (target ≤ ×1.3); ready {med['ready']:.2f} s against {a['ready']:.2f} s")


def notebooks() -> None:
    total = 0.0
    print(f"\n{'notebook':<26} {'kernel':>7} {'setup':>7} {'median cell':>12} {'max cell':>9} {'Run All':>8}")
    for path in series.notebook_paths():
        _, _, t = execute(path)
        cells = [c["seconds"] for c in t["cells"]]
        rest = cells[1:]
        total += t["total_s"]
        print(f"{path.stem:<26} {t['kernel_ready_s']:>6.1f}s {cells[0]:>6.1f}s {statistics.median(rest):>11.2f}s "
              f"{max(rest):>8.2f}s {t['total_s']:>7.1f}s", flush=True)
    print(f"{'whole series':<26} {'':>7} {'':>7} {'':>12} {'':>9} {total:>7.1f}s  (target ≤ 300 s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5,
                        help="notebooks opened per variant (the project's first is the cold slot; spare rounds: N-1)")
    parser.add_argument("--notebooks", action="store_true", help="also time Run All of every notebook")
    args = parser.parse_args()
    if args.rounds < 2:
        parser.error("--rounds must be at least 2 (one cold start, then warm ones)")
    print(f"machine: {machine()}; evcxr {evcxr_binary()}\n")
    kernels(args.rounds)
    if args.notebooks:
        notebooks()
    return 0


if __name__ == "__main__":
    sys.exit(main())
