"""Memory per learner: a bare evcxr kernel against the project's, side by side.

    .venv/bin/python -m benchmarks.kernel_memory [--rounds 3] [--notebook NB]
        [--second notebooks/08-when-to-use-what.ipynb] [--series]
        [--variant NAME:KEY=VALUE,...] [--worktree] [--json FILE]

  (a) bare     evcxr_jupyter itself (a kernelspec written here: no launcher, no helpers,
               evcxr's throwaway build directory) running N one-line cells
               (`let x1 = 1;` ...), N = the number of code cells of the notebook;
  (b) ours     the installed `rust` kernel (tools/kernel/launcher.py, a build slot warmed
               first by one untimed run of the same notebook) running the notebook (default
               00-start-here) top to bottom, the way a learner presses Run All.

Memory is the proportional set size (PSS, /proc/<pid>/smaps_rollup) summed over the
kernel's whole process tree: evcxr (rust-analyzer runs inside it), its runtime child
(the process that loads and runs every cell's library), and, while a cell compiles,
cargo, rustc (behind evcxr's rustc wrapper) and the linker. Sampled every 0.1 s on a
thread. "peak" is the largest sum seen; "held" is the sum after the last cell, once the
kernel is idle. A page shared by k processes counts 1/k to each, so learners add up.
With --rounds N the variants run N times, interleaved, and the medians are printed.

Then where the memory goes: per cell, the tree's peak, the evcxr process, the runtime
child and the compiler; what the peak and the compiler's own peak were made of; and the
mappings of both processes after the last cell (evcxr's binary and its anonymous memory;
every cell library `libcode_N.so` still mapped in the child, libstd, heaps and stacks).

--variant NAME:KEY=VALUE,... adds a kernel to the comparison: kind=bare|ours (default
ours, in its own slot folder, warmed first), cargo_config=FILE (copied in as the slots'
`.cargo/config.toml`, which the launcher leaves alone when it did not write it), and any
other KEY=VALUE goes into the kernel's environment, e.g. `before:MIMALLOC_ARENA_EAGER_COMMIT=2`
(the launcher's allocator setting undone) or `eager0:kind=bare,MIMALLOC_ARENA_EAGER_COMMIT=0`.

--second NB: in the last round, with (b)'s kernel still open and idle (a learner who keeps
the first notebook open), a second kernel (a second slot, its setup cell run once first)
runs NB top to bottom: the learner's memory with two notebooks open.
--series: then every notebook once in (b)'s setup, each one's peak and held.

Kernels run a copy of the committed notebooks and helpers (git HEAD), so edits made in the
checkout during a run do not rebuild `lab` mid-run; --worktree runs the checkout as it is.
Prints figures; gates nothing. Record them in BENCHMARKS.md with the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

import tools.series
from tools.evcxr import panic_in

ROOT = Path(__file__).resolve().parent.parent

MIB = 2**20
INTERVAL_S = 0.1
CELL_LIB = re.compile(r"/lib(code_\d+|ctx)\.so( \(deleted\))?$")


# ---------------------------------------------------------------- /proc


def read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def parents() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command name) for every live process."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        stat = read(f"/proc/{name}/stat")
        if not stat:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        left, right = stat.index("("), stat.rindex(")")
        comm = stat[left + 1 : right]
        ppid = int(stat[right + 2 :].split()[1])
        found[int(name)] = (ppid, comm)
    return found


def rollup(pid: int) -> dict[str, int]:
    """smaps_rollup's fields in bytes (Rss, Pss, Pss_Anon, Pss_File, ...)."""
    text = read(f"/proc/{pid}/smaps_rollup") or ""
    out = {}
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
            out[parts[0][:-1]] = int(parts[1]) * 1024
    return out


def mappings(pid: int) -> dict[str, dict[str, int]]:
    """Per mapped object (path, or [heap], [stack], [anon]): Pss and Rss in bytes, and how
    many mappings it has."""
    text = read(f"/proc/{pid}/smaps") or ""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"Pss": 0, "Rss": 0, "maps": 0})
    current = None
    for line in text.splitlines():
        first = line.split(None, 1)[0] if line else ""
        if "-" in first and not first.endswith(":"):
            parts = line.split(None, 5)
            current = parts[5].strip() if len(parts) == 6 and parts[5].strip() else "[anon]"
            out[current]["maps"] += 1
        elif current and (line.startswith("Pss:") or line.startswith("Rss:")):
            out[current][line[:3]] += int(line.split()[1]) * 1024
    return dict(out)


class Tree:
    """A kernel's process tree: evcxr (the root), its runtime child, and the rest
    (cargo, rustc, the linker, and rust-analyzer's `cargo metadata`) as "compile"."""

    def __init__(self, root: int):
        self.root = root
        self.root_comm = (parents().get(root) or (0, "?"))[1]

    def snapshot(self) -> dict:
        table = parents()
        children = defaultdict(list)
        for pid, (ppid, _) in table.items():
            children[ppid].append(pid)
        sample = {"t": time.monotonic(), "evcxr": 0, "runtime": 0, "compile": 0, "by_comm": defaultdict(int),
                  "compile_anon": 0, "runtime_pid": None, "compiling": False}
        if self.root not in table:
            return sample
        sample["evcxr"] = rollup(self.root).get("Pss", 0)
        for top in children[self.root]:
            is_runtime = table[top][1] == self.root_comm
            if is_runtime:
                sample["runtime_pid"] = top
            stack = [top]
            while stack:
                pid = stack.pop()
                stack.extend(children.get(pid, []))
                r = rollup(pid)
                pss = r.get("Pss", 0)
                if is_runtime:
                    sample["runtime"] += pss
                else:
                    sample["compile"] += pss
                    sample["compile_anon"] += r.get("Pss_Anon", 0)
                    sample["compiling"] = True
                    sample["by_comm"][table.get(pid, (0, "?"))[1]] += pss
        sample["total"] = sample["evcxr"] + sample["runtime"] + sample["compile"]
        return sample


class Sampler(threading.Thread):
    """Samples one or more trees every INTERVAL_S; each sample sums them."""

    def __init__(self, trees: list[Tree]):
        super().__init__(daemon=True)
        self.trees = trees
        self.samples: list[dict] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        while not self.stop.is_set():
            parts = [t.snapshot() for t in self.trees]
            s = {"t": time.monotonic(), "total": sum(p.get("total", 0) for p in parts),
                 "parts": parts}
            with self.lock:
                self.samples.append(s)
            self.stop.wait(INTERVAL_S)

    def mark(self) -> int:
        with self.lock:
            return len(self.samples)

    def window(self, start: int, end: int | None = None) -> list[dict]:
        with self.lock:
            return self.samples[start:end]

    def finish(self):
        self.stop.set()
        self.join()


# ---------------------------------------------------------------- kernels


def kernel_pid(km: KernelManager) -> int:
    prov = getattr(km, "provisioner", None)
    for obj in (prov, getattr(prov, "process", None), getattr(km, "kernel", None)):
        pid = getattr(obj, "pid", None)
        if isinstance(pid, int):
            return pid
    raise SystemExit("cannot find the kernel's process id")


NOTEBOOKS = tools.series.NOTEBOOKS  # where kernels start (`:dep lab = { path = "../helpers" }`); see snapshot()


def snapshot(tmp: Path) -> Path:
    """The committed notebooks and helper crate (git HEAD), copied to `tmp`: other people's
    edits to helpers/ during a run would otherwise rebuild `lab` in the slots mid-run and
    put that compile in the figures. Returns the copy's notebooks folder."""
    tree = tmp / "tree"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD", "Cargo.toml", "Cargo.lock", "helpers",
                              "benchmarks", "notebooks"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree / "notebooks"


def start(ksm, name: str, env: dict) -> tuple[KernelManager, object]:
    km = KernelManager(kernel_name=name, kernel_spec_manager=ksm)
    km.start_kernel(env=env, cwd=str(NOTEBOOKS))
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    return km, client


def stop(km, client) -> None:
    client.stop_channels()
    km.shutdown_kernel(now=True)


def run_cell(client, code: str) -> tuple[float, str | None]:
    """Runs one cell; (seconds, the error or panic it showed, or None)."""
    problem = []

    def hook(msg):
        if msg["msg_type"] == "error":
            problem.append(f"{msg['content']['ename']}: {msg['content']['evalue']}"[:200])
        elif msg["msg_type"] == "stream" and panic_in(msg["content"].get("text", "")):
            problem.append("panicked")

    t = time.monotonic()
    client.execute_interactive(code, timeout=900, output_hook=hook)
    return time.monotonic() - t, (problem[0] if problem else None)


def idle_settle(seconds: float = 1.5) -> None:
    time.sleep(seconds)


def cells_of(notebook: Path) -> list:
    return tools.series.code_cells(tools.series.read(notebook))


def check(cell, problem: str | None) -> str | None:
    """A problem the notebook did not ask for (tools/test_notebooks.py's rules, short)."""
    t = tools.series.tags(cell)
    if problem and problem != "panicked" and tools.series.TAG_RAISES not in t:
        return problem
    if problem == "panicked" and tools.series.TAG_PANIC not in t:
        return problem
    if tools.series.TAG_RAISES in t and not problem:
        return "tagged raises-exception but did not fail"
    return None


def run_notebook(client, sampler: Sampler, sources: list[str], cells=None, tree_index: int = 0) -> dict:
    """Runs `sources` one cell at a time; per cell: time, time spent compiling (a cargo
    process alive), the peak of the sampled sum and of the compiler, and what the evcxr
    process and the runtime child held when the cell ended."""
    rows, failures = [], []
    for i, src in enumerate(sources):
        m = sampler.mark()
        took, problem = run_cell(client, src)
        time.sleep(INTERVAL_S * 1.5)
        window = sampler.window(m)
        parts = [s["parts"][tree_index] for s in window if len(s["parts"]) > tree_index]
        compiling = sum(1 for p in parts if p.get("compiling"))
        last = parts[-1] if parts else {}
        rows.append({
            "cell": i, "seconds": took, "compile_s": compiling * INTERVAL_S,
            "peak": max((s["total"] for s in window), default=0),
            "peak_compile": max((p.get("compile", 0) for p in parts), default=0),
            "evcxr": last.get("evcxr", 0), "runtime": last.get("runtime", 0),
            "first_line": src.strip().splitlines()[0][:48] if src.strip() else "",
        })
        if cells is not None:
            bad = check(cells[i], problem)
            if bad:
                failures.append(f"cell {i}: {bad}")
        elif problem:
            failures.append(f"cell {i}: {problem}")
    return {"cells": rows, "failures": failures}


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(CPU time of the process itself, of its children that have exited and were waited
    for: cargo, rustc, the linker), user + system."""
    stat = read(f"/proc/{pid}/stat") or ""
    fields = stat[stat.rindex(")") + 2 :].split() if ")" in stat else []
    if len(fields) < 15:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def held_now(tree: Tree) -> dict:
    s = tree.snapshot()
    return {k: s.get(k, 0) for k in ("total", "evcxr", "runtime", "compile")} | {"runtime_pid": s["runtime_pid"]}


def where(pid: int | None) -> dict:
    """The mappings of one process, grouped: its binary, cell libraries, libstd, other
    libraries, anonymous memory (heap, arenas, thread stacks)."""
    if not pid:
        return {}
    maps = mappings(pid)
    exe = os.path.realpath(f"/proc/{pid}/exe")
    groups = defaultdict(lambda: {"Pss": 0, "Rss": 0, "count": 0})
    for path, m in maps.items():
        if path == exe:
            g = "binary (evcxr_jupyter)"
        elif CELL_LIB.search(path):
            g = "cell libraries (code_N.so)"
        elif "/libstd-" in path:
            g = "libstd"
        elif path.startswith("/"):
            g = "other files"
        elif path == "[heap]":
            g = "heap ([heap])"
        elif path in ("[anon]",):
            g = "anonymous (malloc arenas, mmaps, thread stacks)"
        else:
            g = "other ([stack], [vdso], ...)"
        groups[g]["Pss"] += m["Pss"]
        groups[g]["Rss"] += m["Rss"]
        groups[g]["count"] += 1
    status = read(f"/proc/{pid}/status") or ""
    threads = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("Threads:")), 0)
    cell_libs = sorted(((p, m["Pss"]) for p, m in maps.items() if CELL_LIB.search(p)),
                       key=lambda x: int(re.search(r"(\d+)", Path(x[0]).name).group(1)) if re.search(r"\d", Path(x[0]).name) else 0)
    sizes = []
    for p, _ in cell_libs:
        try:
            sizes.append(os.path.getsize(p.replace(" (deleted)", "")))
        except OSError:
            pass
    return {"groups": dict(groups), "threads": threads, "cell_libs": cell_libs, "cell_lib_file_bytes": sizes}


# ---------------------------------------------------------------- variants


def evcxr_binary() -> str:
    argv = KernelSpecManager().get_kernel_spec("rust").argv
    return argv[argv.index("--evcxr") + 1] if "--evcxr" in argv else argv[0]


def measured(ksm, kernel: str, env: dict, sources: list[str], cells=None) -> tuple[dict, KernelManager, object, Tree]:
    """One kernel started and `sources` run in it, sampled; the kernel is left running
    (the caller stops it, or keeps it open for a second notebook)."""
    t0 = time.monotonic()
    km, client = start(ksm, kernel, env)
    ready = time.monotonic() - t0
    tree = Tree(kernel_pid(km))
    sampler = Sampler([tree])
    sampler.start()
    try:
        cpu0 = cpu_seconds(tree.root)
        result = run_notebook(client, sampler, sources, cells)
        idle_settle()
        cpu1 = cpu_seconds(tree.root)
        result["cpu_evcxr_s"], result["cpu_children_s"] = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
        result["held"] = held_now(tree)
        result["cpu_runtime_s"] = cpu_seconds(result["held"]["runtime_pid"] or 0)[0]
        result["where_evcxr"] = where(tree.root)
        result["where_runtime"] = where(result["held"]["runtime_pid"])
    finally:
        sampler.finish()
    result["ready_s"] = ready
    result["samples"] = sampler.samples
    result["peak"] = max(s["total"] for s in sampler.samples)
    return result, km, client, tree


def warm(ksm, env: dict, cells) -> None:
    """One untimed run of the notebook, so the slot is warm (what `./lab.sh setup` and an
    earlier notebook leave behind)."""
    km, client = start(ksm, "rust", env)
    try:
        for c in cells:
            run_cell(client, c.source)
    finally:
        stop(km, client)


def with_second(ksm, env: dict, first: Tree, notebook: Path) -> dict:
    """A second notebook run while the first kernel stays open and idle."""
    cells = cells_of(notebook)
    warm(ksm, env, cells[:1])  # a second slot: the setup cell once, as a second open notebook finds it
    km, client = start(ksm, "rust", env)
    tree = Tree(kernel_pid(km))
    sampler = Sampler([first, tree])
    sampler.start()
    try:
        result = run_notebook(client, sampler, [c.source for c in cells], cells, tree_index=1)
        idle_settle()
        result["held"] = held_now(first)["total"] + held_now(tree)["total"]
        result["held_second"] = held_now(tree)["total"]
    finally:
        sampler.finish()
        stop(km, client)
    result["peak"] = max(s["total"] for s in sampler.samples)
    result["peak_second"] = max(s["parts"][1]["total"] for s in sampler.samples)
    result["notebook"] = notebook.stem
    return result


class Variant:
    """A kernel to measure: bare evcxr or ours, with extra environment variables and,
    for ours, its own slot folder (and optionally its own cargo config there)."""

    def __init__(self, label: str, kind: str, env: dict):
        self.label, self.kind, self.env = label, kind, env
        self.runs: list[dict] = []


def parse_variant(text: str, tmp: Path) -> Variant:
    name, _, rest = text.partition(":")
    kind = "ours"
    env = dict(os.environ)
    slots = tmp / f"slots-{name}"
    env["LAB_KERNEL_SLOTS_DIR"] = str(slots)
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        if key == "kind":
            kind = value
        elif key == "cargo_config":
            (slots / ".cargo").mkdir(parents=True, exist_ok=True)
            shutil.copy(value, slots / ".cargo" / "config.toml")
        else:
            env[key] = value
    if kind not in ("bare", "ours"):
        raise SystemExit(f"--variant {text}: kind must be bare or ours")
    return Variant(f"({'a' if kind == 'bare' else 'b'}) {'bare evcxr' if kind == 'bare' else 'ours'}, {name}", kind, env)


# ---------------------------------------------------------------- report


def machine() -> str:
    cpu = "unknown CPU"
    for line in (read("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int((read("/proc/meminfo") or "MemTotal: 0").split()[1]) / 2**20
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    listed = subprocess.run(["cargo", "install", "--list"], capture_output=True, text=True).stdout
    evcxr = next((line.rstrip(":") for line in listed.splitlines() if line.startswith("evcxr_jupyter ")), "")
    load = (read("/proc/loadavg") or "?").split()[0]
    return (f"{os.cpu_count()} logical cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}, "
            f"{rustc}, {evcxr or 'evcxr ?'}, load {load} at start")


def mib(b: float) -> str:
    return f"{b / MIB:,.0f} MiB"


def med(xs) -> float:
    xs = list(xs)
    return statistics.median(xs) if xs else 0.0


def spread(xs, unit=MIB, fmt="{:,.0f}") -> str:
    xs = [x / unit for x in xs]
    if len(xs) == 1:
        return fmt.format(xs[0])
    return f"{fmt.format(statistics.median(xs))} ({fmt.format(min(xs))}-{fmt.format(max(xs))})"


def print_cells(v: Variant) -> None:
    """Per cell, the median over the rounds."""
    runs = v.runs
    print(f"\n{v.label}: per cell, median of {len(runs)} run(s) (tree peak while the cell ran; "
          "evcxr and its runtime child when it ended)")
    print(f"  {'cell':>4} {'time':>6} {'compiling':>9} {'peak':>9} {'compiler':>9} {'evcxr':>9} {'runtime':>9}  first line")
    for i, c in enumerate(runs[0]["cells"]):
        col = lambda k: med(r["cells"][i][k] for r in runs)  # noqa: E731
        print(f"  {i:>4} {col('seconds'):>5.1f}s {col('compile_s'):>8.1f}s {col('peak') / MIB:>5.0f} MiB"
              f" {col('peak_compile') / MIB:>5.0f} MiB {col('evcxr') / MIB:>5.0f} MiB {col('runtime') / MIB:>5.0f} MiB"
              f"  {c['first_line']}")


def print_where(label: str, w: dict) -> None:
    if not w:
        return
    print(f"    {label} ({w['threads']} threads):")
    for g, v in sorted(w["groups"].items(), key=lambda kv: -kv[1]["Pss"]):
        if v["Pss"] >= 0.05 * MIB:
            print(f"      {g:<48} PSS {v['Pss'] / MIB:7.1f} MiB   RSS {v['Rss'] / MIB:7.1f} MiB   ({v['count']} objects)")
    if w["cell_libs"]:
        pss = [p for _, p in w["cell_libs"]]
        size = w["cell_lib_file_bytes"] or [0]
        print(f"      cell libraries still mapped: {len(pss)}, PSS {sum(pss) / MIB:.1f} MiB in all "
              f"(median {med(pss) / MIB:.2f} MiB each); {sum(size) / MIB:.1f} MiB on disk")


def peak_breakdown(r: dict) -> str:
    p = max(r["samples"], key=lambda s: s["total"])["parts"][0]
    comms = ", ".join(f"{k} {v / MIB:.0f}" for k, v in sorted(p["by_comm"].items(), key=lambda kv: -kv[1]) if v >= MIB)
    return (f"evcxr {mib(p['evcxr'])} + runtime child {mib(p['runtime'])} + compiling {mib(p['compile'])}"
            + (f" ({comms} MiB; {mib(p['compile_anon'])} of it anonymous, the rest mapped files)" if comms else ""))


def compile_peak(r: dict) -> str:
    p = max(r["samples"], key=lambda s: s["parts"][0]["compile"])["parts"][0]
    comms = ", ".join(f"{k} {v / MIB:.0f}" for k, v in sorted(p["by_comm"].items(), key=lambda kv: -kv[1]) if v >= MIB)
    return f"{mib(p['compile'])} ({comms} MiB; {mib(p['compile_anon'])} anonymous)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notebook", type=Path, default=tools.series.NOTEBOOKS / "00-start-here.ipynb")
    parser.add_argument("--rounds", type=int, default=1, help="measured runs of every variant, interleaved")
    parser.add_argument("--second", type=Path, help="with (b) still open, run this notebook in a second kernel")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:KEY=VALUE,...",
                        help="another kernel to measure: kind=bare|ours (default ours), cargo_config=FILE "
                             "(ours: the slots' cargo config), any other KEY=VALUE goes into its environment")
    parser.add_argument("--only-variants", action="store_true", help="skip the default (a) and (b)")
    parser.add_argument("--series", action="store_true",
                        help="then run every notebook once in (b)'s kernel setup: each one's peak and held")
    parser.add_argument("--worktree", action="store_true",
                        help="run the checkout's notebooks and helpers as they are (default: a copy of git HEAD)")
    parser.add_argument("--json", type=Path, help="write every figure (and the samples) here")
    args = parser.parse_args()

    global NOTEBOOKS
    tmp_dir = tempfile.TemporaryDirectory()
    tmp = Path(tmp_dir.name)
    if not args.worktree:
        NOTEBOOKS = snapshot(tmp)
        args.notebook = NOTEBOOKS / args.notebook.name
        if args.second:
            args.second = NOTEBOOKS / args.second.name
    cells = cells_of(args.notebook)
    n = len(cells)
    print(f"machine: {machine()}")
    print(f"notebook: {args.notebook.name} ({n} code cells); PSS of each kernel's process tree sampled every "
          f"{INTERVAL_S} s; {args.rounds} round(s), variants interleaved; "
          f"{'the checkout as it is' if args.worktree else 'notebooks and helpers from git HEAD'}\n", flush=True)
    with tmp_dir:
        bare_dir = tmp / "kernels" / "bare-evcxr"
        bare_dir.mkdir(parents=True)
        (bare_dir / "kernel.json").write_text(json.dumps({
            "argv": [evcxr_binary(), "--control_file", "{connection_file}"],
            "display_name": "bare evcxr", "language": "rust", "interrupt_mode": "message"}))
        ksm = KernelSpecManager()
        ksm.kernel_dirs = [str(tmp / "kernels")] + list(ksm.kernel_dirs)
        variants = []
        if not args.only_variants:
            variants.append(Variant("(a) bare evcxr", "bare", dict(os.environ)))
            variants.append(Variant("(b) ours", "ours", dict(os.environ, LAB_KERNEL_SLOTS_DIR=str(tmp / "slots-ours"))))
        variants += [parse_variant(v, tmp) for v in args.variant]
        for v in variants:
            if v.kind == "ours":
                print(f"warming the slot of {v.label} ...", flush=True)
                warm(ksm, v.env, cells)
        second = None
        for r in range(args.rounds):
            for v in variants:
                t = time.monotonic()
                if v.kind == "bare":
                    sources = [f"let x{i + 1} = {i + 1};" for i in range(n)]
                    result, km, client, tree = measured(ksm, "bare-evcxr", v.env, sources)
                else:
                    result, km, client, tree = measured(ksm, "rust", v.env, [c.source for c in cells], cells)
                try:
                    if args.second and v.label == "(b) ours" and r == args.rounds - 1:
                        second = with_second(ksm, v.env, tree, args.second)
                finally:
                    stop(km, client)
                v.runs.append(result)
                print(f"  round {r + 1}, {v.label}: {time.monotonic() - t:.0f} s; peak {mib(result['peak'])}, "
                      f"held {mib(result['held']['total'])}"
                      + (f"; FAILED: {result['failures']}" if result["failures"] else ""), flush=True)

        series = []
        if args.series:
            env = next(v.env for v in variants if v.kind == "ours")
            for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
                t = time.monotonic()
                nb_cells = cells_of(path)
                result, km, client, _ = measured(ksm, "rust", env, [c.source for c in nb_cells], nb_cells)
                stop(km, client)
                result["notebook"] = path.stem
                series.append(result)
                print(f"  {path.stem}: {time.monotonic() - t:.0f} s; peak {mib(result['peak'])}, "
                      f"held {mib(result['held']['total'])}"
                      + (f"; FAILED: {result['failures']}" if result["failures"] else ""), flush=True)

    for v in variants:
        print_cells(v)
        last = v.runs[-1]
        print(f"  at the peak (last run): {peak_breakdown(last)}")
        print(f"  the compiler's own peak (last run): {compile_peak(last)}")
        print("  held after the last cell (last run), by mapping:")
        print_where("evcxr (rust-analyzer runs inside it)", last["where_evcxr"])
        print_where("runtime child (loads and runs every cell)", last["where_runtime"])

    print(f"\nmedian (min-max) of {args.rounds} run(s); MiB of PSS; 'cells' = the notebook's cells after the first, summed")
    print("(CPU: seconds of CPU over the whole notebook, less sensitive to load than the times: evcxr itself, "
          "with rust-analyzer; cargo, rustc and the linker; the runtime child, running the cells)")
    print(f"{'':<34} {'peak':>16} {'held':>16} {'evcxr held':>16} {'child held':>11} {'ready':>6} {'cells':>6}"
          f" {'evcxr CPU':>10} {'compile CPU':>12} {'cells CPU':>11}")
    for v in variants:
        rs = v.runs
        print(f"{v.label:<34} {spread(r['peak'] for r in rs):>16} {spread(r['held']['total'] for r in rs):>16}"
              f" {spread(r['held']['evcxr'] for r in rs):>16} {med(r['held']['runtime'] for r in rs) / MIB:>11.0f}"
              f" {med(r['ready_s'] for r in rs):>5.1f}s {med(sum(c['seconds'] for c in r['cells'][1:]) for r in rs):>5.1f}s"
              f" {med(r['cpu_evcxr_s'] for r in rs):>9.1f}s {med(r['cpu_children_s'] for r in rs):>11.1f}s"
              f" {med(r['cpu_runtime_s'] for r in rs):>10.1f}s")
    bares = [v for v in variants if v.kind == "bare"]
    if bares:
        base = bares[0]
        bp, bh = med(r["peak"] for r in base.runs), med(r["held"]["total"] for r in base.runs)
        print(f"\nagainst {base.label} (peak {mib(bp)}, held {mib(bh)}); target: peak within ×1.3")
        for v in variants:
            if v is base:
                continue
            p, h = med(r["peak"] for r in v.runs), med(r["held"]["total"] for r in v.runs)
            verdict = "" if v.kind == "bare" else ("  met" if p <= 1.3 * bp else "  not met")
            print(f"  {v.label:<34} peak ×{p / bp:.2f}, held ×{h / bh:.2f}{verdict}")
    if second:
        print(f"\ntwo notebooks open ({args.notebook.stem} run and left open, then {second['notebook']} run top to "
              f"bottom in a second kernel): peak {mib(second['peak'])} for both kernels together "
              f"({second['notebook']}'s kernel alone {mib(second['peak_second'])}), held after {mib(second['held'])}"
              + (f"; FAILED: {second['failures']}" if second["failures"] else ""))
    if series:
        print("\nevery notebook once, top to bottom, in (b)'s setup (its first run in that slot: "
              "a notebook's own :dep crates compile here, as in a room):")
        print(f"  {'notebook':<28} {'peak':>10} {'held':>10} {'evcxr held':>11} {'child held':>11} {'at the peak':>40}")
        for r in series:
            p = max(r["samples"], key=lambda s: s["total"])["parts"][0]
            at = f"evcxr {p['evcxr'] / MIB:.0f} + child {p['runtime'] / MIB:.0f} + compiler {p['compile'] / MIB:.0f}"
            print(f"  {r['notebook']:<28} {mib(r['peak']):>10} {mib(r['held']['total']):>10} "
                  f"{mib(r['held']['evcxr']):>11} {mib(r['held']['runtime']):>11} {at:>40}"
                  + ("  FAILED" if r["failures"] else ""))
    if args.json:
        out = {v.label: v.runs for v in variants} | ({"second": second} if second else {}) | {"series": series}
        args.json.write_text(json.dumps(out, default=lambda o: dict(o) if isinstance(o, defaultdict) else str(o)))
    failed = (any(r["failures"] for v in variants for r in v.runs) or bool(second and second["failures"])
              or any(r["failures"] for r in series))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
