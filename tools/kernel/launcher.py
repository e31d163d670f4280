"""The `rust` kernel's launcher: gives each evcxr kernel a persistent build directory.

evcxr builds every kernel in a fresh temporary directory, so the helper crate `lab` (a
path crate, which evcxr's `:cache` never stores) is compiled again by every notebook that
opens. Pointed at a directory that outlives the kernel (`EVCXR_TMPDIR`), cargo finds `lab`
and every dependency already built, and the setup cell takes seconds instead of 10-17 s.

Two live kernels must never share such a directory (each rewrites the other's files), so
the directories are *slots*, each guarded by a lock held for the kernel's whole life:

    <cache>/concurrency-notebooks/kernel-slots/
        slot-0.lock   flock'ed by the kernel using slot-0 (inherited across exec, so the
                      lock lives exactly as long as the kernel and its child processes)
        slot-0/       EVCXR_TMPDIR of that kernel; slot-0/.lab-stamp names the rustc,
                      evcxr and cargo settings it was built with; others wipe it first
        .cargo/config.toml
                      cargo settings for every build in the slots (see CARGO_CONFIG)

A kernel takes the first free slot. When all are busy it still starts, in evcxr's own
throwaway directory (slower: the helpers compile from scratch), and says so in the log.

Used as:  python launcher.py --evcxr /path/to/evcxr_jupyter -- --control_file FILE
Settings (environment): LAB_KERNEL_SLOTS_DIR (where the slots live),
LAB_KERNEL_SLOTS (how many, default 8; 0 turns slots off).

Standard library only: it runs before anything else, with whatever Python Jupyter has.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; the kernel starts without a slot
    fcntl = None

DEFAULT_SLOTS = 8
STAMP_FILE = ".lab-stamp"
WARM_FILE = ".lab-warm"  # written by the setup once a slot has run the setup cell


def log(message: str) -> None:
    # stderr goes to the terminal running JupyterLab (the kernel's log).
    print(f"[lab kernel] {message}", file=sys.stderr, flush=True)


def slots_root() -> Path:
    if os.environ.get("LAB_KERNEL_SLOTS_DIR"):
        return Path(os.environ["LAB_KERNEL_SLOTS_DIR"]).expanduser()
    if sys.platform == "darwin":
        cache = Path.home() / "Library" / "Caches"
    else:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "concurrency-notebooks" / "kernel-slots"


def slot_count() -> int:
    raw = os.environ.get("LAB_KERNEL_SLOTS", str(DEFAULT_SLOTS))
    try:
        return max(0, int(raw))
    except ValueError:
        log(f"LAB_KERNEL_SLOTS={raw!r} is not a number; using {DEFAULT_SLOTS}")
        return DEFAULT_SLOTS


def stamp(evcxr: str) -> str:
    """What a slot's build outputs depend on: the compiler and the kernel binary.

    Cargo would rebuild for a new rustc anyway, but evcxr's own files in the slot (and
    the disk they fill) belong to one evcxr build, so both are named here."""
    try:
        rustc = subprocess.run(
            ["rustc", "-vV"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        rustc = f"rustc unavailable ({e})"
    try:
        st = os.stat(evcxr)
        binary = f"{os.path.realpath(evcxr)} size={st.st_size} mtime_ns={st.st_mtime_ns}"
    except OSError as e:
        binary = f"{evcxr} unavailable ({e})"
    return f"{rustc}\nevcxr: {binary}\ncargo config: {hashlib.sha256(CARGO_CONFIG.encode()).hexdigest()[:12]}\n"


def library_path(env: dict[str, str]) -> None:
    """Lets the dynamic loader find Rust's standard library for every cell.

    evcxr links each cell against libstd-*.so with a *relative* runpath computed for
    target/<host>/debug/deps/, then loads a copy from one folder up. From a throwaway
    directory in /tmp the extra `..` stops at `/` and happens to land right; from a slot
    under the home directory (where rustup lives too) it misses, and every cell fails
    with "dlopen failed". Naming the toolchain's library folder fixes it on any path."""
    try:
        sysroot = subprocess.run(
            ["rustc", "--print", "sysroot"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
        host = next(
            line.split(":", 1)[1].strip()
            for line in subprocess.run(
                ["rustc", "-vV"], capture_output=True, text=True, timeout=30, check=True
            ).stdout.splitlines()
            if line.startswith("host:")
        )
    except (OSError, subprocess.SubprocessError, StopIteration) as e:
        log(f"cannot ask rustc for its sysroot ({e}); cells may fail to load")
        return
    libs = [str(Path(sysroot, "lib", "rustlib", host, "lib")), str(Path(sysroot, "lib"))]
    var = "DYLD_FALLBACK_LIBRARY_PATH" if sys.platform == "darwin" else "LD_LIBRARY_PATH"
    env[var] = os.pathsep.join(libs + [p for p in env.get(var, "").split(os.pathsep) if p])


def try_lock(path: Path) -> int | None:
    """An open, exclusively flock'ed descriptor for `path`, or None if another holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def read_text(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def prepare(slot: Path, want: str) -> str:
    """Makes `slot` ready for a kernel built with `want`; says what it found."""
    have = read_text(slot / STAMP_FILE)
    if have == want:
        return "warm" if read_text(slot / WARM_FILE) == want else "reused"
    state = "new"
    if slot.exists():
        shutil.rmtree(slot, ignore_errors=True)
        state = "wiped (rustc, evcxr or the cargo settings changed)"
    slot.mkdir(parents=True, exist_ok=True)
    (slot / STAMP_FILE).write_text(want)
    return state


# Cargo reads .cargo/config.toml from every folder above the one it builds in, so this
# file, beside the slots, tunes every build in them and nothing else. Profile settings in
# a config file take precedence over the Cargo.toml that evcxr writes for each cell.
CARGO_CONFIG = """\
# Written by the kernel launcher (tools/kernel/launcher.py); rewritten at every start.
# evcxr builds each cell at opt-level 2 with 16 codegen units and cargo's default
# `lto = false`, which still runs a "thin local" LTO pass across those 16 units: measured
# at 0.2-0.5 s of every 0.4-1.4 s cell compile on 2 cores. "off" skips it; the
# optimisation level and debug assertions stay what evcxr and the notebooks say.
[profile.dev]
lto = "off"
"""


def write_cargo_config(root: Path) -> None:
    path = root / ".cargo" / "config.toml"
    if read_text(path) != CARGO_CONFIG:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(CARGO_CONFIG)
        os.replace(tmp, path)  # atomic: a kernel starting beside us reads old or new


def acquire(root: Path, count: int, want: str) -> tuple[int, Path, int, str] | None:
    """Locks the first free slot: (index, directory, lock descriptor, state), or None.

    When that slot was left by another rustc or evcxr, the other free slots are wiped
    too, so a version change frees their disk at once rather than one slot at a time."""
    root.mkdir(parents=True, exist_ok=True)
    write_cargo_config(root)
    for i in range(count):
        fd = try_lock(root / f"slot-{i}.lock")
        if fd is None:
            continue
        slot = root / f"slot-{i}"
        state = prepare(slot, want)
        if state.startswith("wiped"):
            sweep(root, range(i + 1, count), want)
        return i, slot, fd, state
    return None


def sweep(root: Path, indices, want: str) -> None:
    for i in indices:
        slot = root / f"slot-{i}"
        if not slot.exists() or read_text(slot / STAMP_FILE) == want:
            continue
        fd = try_lock(root / f"slot-{i}.lock")
        if fd is not None:  # a busy slot is wiped by whoever takes it next
            shutil.rmtree(slot, ignore_errors=True)
            os.close(fd)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "--evcxr" or "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    evcxr = argv[1]
    kernel_args = argv[argv.index("--") + 1 :]
    env = dict(os.environ)
    count = slot_count() if fcntl is not None else 0
    got = None
    if count > 0:
        root = slots_root()
        try:
            got = acquire(root, count, stamp(evcxr))
        except OSError as e:
            log(f"cannot use build slots in {root} ({e}); using a temporary directory")
        else:
            if got is None:
                log(
                    f"all {count} build slots in {root} are busy (one per running kernel): "
                    "this kernel builds in a temporary directory, so its setup cell compiles "
                    "the helpers from scratch (slower). Shut down unused kernels, or raise "
                    "LAB_KERNEL_SLOTS."
                )
    if got is not None:
        index, slot, fd, state = got
        library_path(env)
        os.set_inheritable(fd, True)  # the lock lives as long as the kernel does
        env["EVCXR_TMPDIR"] = str(slot)
        env["LAB_KERNEL_SLOT"] = str(index)
        log(f"build slot {index} ({slot}): {state}")
    try:
        os.execve(evcxr, [evcxr, *kernel_args], env)
    except OSError as e:
        log(f"cannot start {evcxr}: {e}. Run ./lab.sh setup to build and register the kernel.")
        return 1
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
