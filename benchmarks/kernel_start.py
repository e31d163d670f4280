"""How long a notebook takes to be ready: a bare evcxr kernel against the project's.

    .venv/bin/python -m benchmarks.kernel_start [--rounds N] [--notebooks]    (from the repository's root)

Each round starts, one after the other (the two variants interleaved, round by round):
  (a) bare      evcxr_jupyter itself (no launcher, evcxr's throwaway build directory),
                running a no-op cell;
  (b) project   the installed `rust` kernel (tools/kernel/launcher.py, a build slot),
                running the notebooks' setup cell.
Both then run the same one-line cell that binds a variable (`let ready = 1;`): the first
variable a kernel sees makes evcxr's rust-analyzer load the crates it can name, a cost a
learner pays in the first real cell, so it is shown apart and counted in "usable".
The project kernel uses a fresh slot directory, so round 1 is a cold slot (the helpers
compile from scratch; their dependencies come from evcxr's cache) and later rounds warm.

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
from jupyter_client.manager import KernelManager

from tools import series
from tools.evcxr import panic_in
from tools.execute import execute

ROOT = Path(__file__).resolve().parent.parent

NOOP = "let _nothing = ();"
FIRST_VARIABLE = "let ready = 1;"


def run_cell(client, code: str) -> float:
    errors = []

    def hook(msg):
        if msg["msg_type"] == "error":
            errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
        elif msg["msg_type"] == "stream" and panic_in(msg["content"]["text"]):
            errors.append(panic_in(msg["content"]["text"]))

    t = time.monotonic()
    client.execute_interactive(code, timeout=900, output_hook=hook)
    took = time.monotonic() - t
    if errors:
        raise SystemExit(f"cell {code.splitlines()[0]!r} failed: {errors[0]}")
    return took


def one_start(ksm, name: str, first_cell: str, env: dict) -> dict:
    km = KernelManager(kernel_name=name, kernel_spec_manager=ksm)
    t0 = time.monotonic()
    km.start_kernel(env=env, cwd=str(ROOT / "notebooks"))
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        kernel = time.monotonic() - t0
        first = run_cell(client, first_cell)
        variable = run_cell(client, FIRST_VARIABLE)
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
    return {"kernel": kernel, "first": first, "ready": kernel + first, "variable": variable,
            "usable": kernel + first + variable}


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
    return f"{statistics.median(xs):5.2f} s (min {min(xs):.2f}, max {max(xs):.2f}, n={len(xs)})"


def kernels(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # (a): evcxr's own kernelspec, written here so it does not touch the installed one.
        bare_dir = Path(tmp, "kernels", "bare-evcxr")
        bare_dir.mkdir(parents=True)
        (bare_dir / "kernel.json").write_text(json.dumps({
            "argv": [evcxr_binary(), "--control_file", "{connection_file}"],
            "display_name": "bare evcxr", "language": "rust", "interrupt_mode": "message"}))
        ksm = KernelSpecManager()
        ksm.kernel_dirs = [str(Path(tmp, "kernels"))] + list(ksm.kernel_dirs)
        env = dict(os.environ, LAB_KERNEL_SLOTS_DIR=str(Path(tmp, "slots")))
        setup = (ROOT / "tools" / "setup_cell.rs").read_text()
        bare, cold, warm = [], None, []
        for r in range(rounds):
            bare.append(one_start(ksm, "bare-evcxr", NOOP, dict(os.environ)))
            run = one_start(ksm, "rust", setup, env)
            if r == 0:
                cold = run
            else:
                warm.append(run)
            print(f"  round {r + 1}: bare ready {bare[-1]['ready']:.2f} s (usable {bare[-1]['usable']:.2f} s); "
                  f"project {'cold' if r == 0 else 'warm'} slot ready {run['ready']:.2f} s (usable {run['usable']:.2f} s)",
                  flush=True)
    rows = [("(a) bare evcxr, no-op cell", bare), ("(b) project, cold slot", [cold]), ("(b) project, warm slot", warm)]
    print(f"\n{'':30} {'kernel ready':>30} {'first cell':>30} {'ready (kernel + cell)':>34} {'+ first variable':>30}")
    for label, runs in rows:
        print(f"{label:30} {fmt([x['kernel'] for x in runs]):>30} {fmt([x['first'] for x in runs]):>30} "
              f"{fmt([x['ready'] for x in runs]):>34} {fmt([x['variable'] for x in runs]):>30}")
    if warm:
        a = statistics.median(x["ready"] for x in bare)
        b = statistics.median(x["ready"] for x in warm)
        au = statistics.median(x["usable"] for x in bare)
        bu = statistics.median(x["usable"] for x in warm)
        print(f"\nready, warm project / bare: {b:.2f} / {a:.2f} s = ×{b / a:.2f}  (target: ≤ 6 s and ≤ ×1.0)")
        print(f"usable (after the first variable), warm project / bare: {bu:.2f} / {au:.2f} s = ×{bu / au:.2f}")


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
    parser.add_argument("--rounds", type=int, default=5, help="kernel starts per variant (first is the cold slot)")
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
