"""This machine, as the rehearsal measures it: its usable cores, how busy it is, and the
processes of a run (marked with RUN_MARK in their environment) with the memory they hold.
Linux only (it reads /proc). Standard library only."""
from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

RUN_MARK = "LAB_ROOM_RUN"  # set in every process it starts: how the rehearsal finds (and stops) them
HUB = "(hub)"  # the hub and its proxy: marked, but no learner's
# What the rehearsal's token must be allowed: create and delete users, start and stop their
# servers, and reach those servers (contents, sessions, kernels) through the proxy.


def usable_cores() -> int:
    """The cores this process may use: its CPU affinity, capped by a cgroup v2 CPU quota
    (a container or a systemd slice), which os.cpu_count() does not see."""
    cores = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = max(1, min(cores, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cores


def machine_line() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    return (f"{usable_cores()} usable logical cores of {os.cpu_count()} ({cpu}), {mem:.0f} GiB, "
            f"{busy_percent():.0f}% busy at start")


def busy_percent(seconds: float = 1.0) -> float:
    """How busy the machine's CPUs were over the last `seconds` (from /proc/stat): the load
    average lags by minutes, this does not."""
    def read() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle
    total0, idle0 = read()
    time.sleep(seconds)
    total1, idle1 = read()
    return 100.0 * (1 - (idle1 - idle0) / max(1, total1 - total0))


def learner_processes(run_id: str) -> dict[str, list[int]]:
    """Every live process of this run, by learner (the JUPYTERHUB_USER in its environment)."""
    found: dict[str, list[int]] = {}
    mark = f"{RUN_MARK}={run_id}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if mark not in env:
            continue
        user = next((e[16:].decode() for e in env if e.startswith(b"JUPYTERHUB_USER=")), HUB)
        found.setdefault(user, []).append(int(entry.name))
    return found


def pss_bytes(pid: int) -> int:
    """The process's proportional share of memory: a page shared by k processes (evcxr's code,
    the kernel's libraries) counts 1/k to each, so the learners' sums add up to the machine's."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


async def sample_memory(run_id: str, peaks: dict[str, int], total: list[int], stop: asyncio.Event):
    def snapshot() -> dict[str, int]:
        return {u: sum(pss_bytes(p) for p in pids)
                for u, pids in learner_processes(run_id).items() if u != HUB and u in peaks}

    while not stop.is_set():
        now = await asyncio.to_thread(snapshot)
        for u, b in now.items():
            peaks[u] = max(peaks.get(u, 0), b)
        total[0] = max(total[0], sum(now.values()))
        try:
            await asyncio.wait_for(stop.wait(), 0.2)
        except asyncio.TimeoutError:
            pass
