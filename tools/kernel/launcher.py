"""The `rust` kernel's launcher: gives each evcxr kernel a persistent build directory.

evcxr builds every kernel in a fresh temporary directory, so the helper crate `lab` (a
path crate, which evcxr's `:cache` never stores) is compiled again by every notebook that
opens. Pointed at a directory that outlives the kernel (`EVCXR_TMPDIR`), cargo finds `lab`
and every dependency already built, and the setup cell takes seconds instead of 10-17 s.

Two live kernels must never share such a directory (each rewrites the other's files), so
the directories are *slots*, each guarded by a lock held for the kernel's whole life:

    <cache>/concurrency-notebooks/kernel-slots/    (<cache>: $XDG_CACHE_HOME or ~/.cache;
                                                    ~/Library/Caches on macOS)
        slot-0.lock   flock'ed by the kernel using slot-0 (inherited across exec, so the
                      lock lives exactly as long as the kernel and its child processes)
        slot-0/       EVCXR_TMPDIR of that kernel; slot-0/.lab-stamp names the rustc,
                      evcxr and cargo settings it was built with; others wipe it first
        .cargo/config.toml
                      cargo settings for every build in the slots (see CARGO_CONFIG)

A kernel takes the first free slot. Whenever no slot can be used (all busy, slots turned
off, no rustc on PATH, no file locks, an unwritable cache) the kernel still starts, in
evcxr's own throwaway directory (slower: the helpers compile from scratch), says why in
the log, and tells the notebook (LAB_KERNEL_NO_SLOT, which `lab::ready()` prints).

It also tunes evcxr's memory allocator (see ALLOCATOR), whether or not a slot is found.

Used as:  python launcher.py --evcxr /path/to/evcxr_jupyter -- --control_file FILE
Settings (environment): LAB_KERNEL_SLOTS_DIR (where the slots live),
LAB_KERNEL_SLOTS (how many, default 8; 0 turns slots off).

Standard library only: it runs before anything else, with whatever Python Jupyter has.
"""
from __future__ import annotations

import errno
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

# Cargo reads .cargo/config.toml from every folder above the one it builds in, so this
# file, beside the slots, tunes every build in them and nothing else. Profile settings in
# a config file take precedence over the Cargo.toml that evcxr writes for each cell.
CONFIG_HEADER = "# Written by the kernel launcher (tools/kernel/launcher.py)"
CARGO_CONFIG = f"""\
{CONFIG_HEADER}; rewritten when it differs.
# evcxr builds each cell at opt-level 2 with 16 codegen units and cargo's default
# `lto = false`, which still runs a "thin local" LTO pass across those 16 units: measured
# at 0.2-0.5 s of every 0.4-1.4 s cell compile on 2 cores. "off" skips it; the
# optimisation level and debug assertions stay what evcxr and the notebooks say.
[profile.dev]
lto = "off"
"""


# evcxr_jupyter allocates with mimalloc (its default feature), and rust-analyzer inside it
# holds 400-600 MiB. mimalloc commits its 1 GiB arenas eagerly on Linux and, where the
# system's transparent huge pages are "madvise" (common), asks for huge pages on them, so
# every 2 MiB region the allocator touches becomes resident whole: 85-105 MiB per kernel
# held, 80-160 MiB at its peak (benchmarks/kernel_memory.py; BENCHMARKS.md "Memory per
# learner"), at no cost in time. Committing on demand keeps the arenas in 4 KiB pages.
# Unlike MIMALLOC_ALLOW_THP=0 (same saving), it leaves the huge-page policy of the kernel's
# children (the notebook's own code, rustc) alone. A value already in the environment
# wins; other allocators ignore the variable.
ALLOCATOR = {"MIMALLOC_ARENA_EAGER_COMMIT": "0"}


class NoSlot(Exception):
    """Why this kernel runs without a build slot (one line, shown to the learner)."""


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


def find_rustc(evcxr: str) -> str:
    """The rustc evcxr will use: on PATH, or beside evcxr (~/.cargo/bin), as evcxr does.

    JupyterLab started from a desktop launcher or an editor may not have ~/.cargo/bin on
    PATH; evcxr copes, so the launcher must too."""
    for candidate in (shutil.which("rustc"), Path(evcxr).parent / "rustc", Path.home() / ".cargo" / "bin" / "rustc"):
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    raise NoSlot("rustc was not found on PATH or beside evcxr")


def rustc_facts(rustc: str) -> tuple[str, str]:
    """(`rustc -vV`, the folder holding libstd): asked once, and a failure means no slot
    (never a wipe: a rustc that cannot answer says nothing about the slots)."""
    try:
        version = subprocess.run([rustc, "-vV"], capture_output=True, text=True, timeout=60, check=True).stdout
        libdir = subprocess.run(
            [rustc, "--print", "target-libdir"], capture_output=True, text=True, timeout=60, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        raise NoSlot(f"could not ask {rustc} for its version ({e})") from e
    if not version.strip() or not libdir:
        raise NoSlot(f"{rustc} gave no version or library folder")
    return version.strip(), libdir


def stamp(rustc_version: str, evcxr: str) -> str:
    """What a slot's build outputs depend on: the compiler, the kernel binary, the cargo
    settings. Cargo would rebuild for a new rustc anyway, but evcxr's own files in the
    slot (and the disk they fill) belong to one evcxr build, so all are named here."""
    st = os.stat(evcxr)
    binary = f"{os.path.realpath(evcxr)} size={st.st_size} mtime_ns={st.st_mtime_ns}"
    config = hashlib.sha256(CARGO_CONFIG.encode()).hexdigest()[:12]
    return f"{rustc_version}\nevcxr: {binary}\ncargo config: {config}\n"


def library_path(env: dict[str, str], libdir: str) -> None:
    """Lets the dynamic loader find Rust's standard library for every cell.

    evcxr links each cell against libstd-*.so with a *relative* runpath computed for
    target/<host>/debug/deps/, then loads a copy from one folder up. From a throwaway
    directory in /tmp the extra `..` stops at `/` and happens to land right; from a slot
    under the home directory (where rustup lives too) it misses, and every cell fails
    with "dlopen failed". Naming the toolchain's library folder fixes it on any path.
    Only that folder (`rustc --print target-libdir`): with conda's Rust, the sysroot's
    lib/ is the whole environment's, which must not shadow the system's libraries."""
    if sys.platform == "darwin":
        var = "DYLD_FALLBACK_LIBRARY_PATH"
        # Setting it replaces dyld's default fallback, so keep that default after ours.
        rest = env.get(var) or os.pathsep.join([str(Path.home() / "lib"), "/usr/local/lib", "/usr/lib"])
    else:
        var = "LD_LIBRARY_PATH"
        rest = env.get(var, "")
    env[var] = os.pathsep.join([libdir] + [p for p in rest.split(os.pathsep) if p])


def try_lock(path: Path) -> int | None:
    """An open, exclusively flock'ed descriptor for `path`, or None if another holds it.

    Any other failure (a file system without locks: NFS without lockd, some FUSE mounts)
    is not "busy": it means slots cannot be used here at all."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return None
        raise NoSlot(
            f"file locks do not work in {path.parent} ({e.strerror}); "
            "set LAB_KERNEL_SLOTS_DIR to a local folder"
        ) from e
    return fd


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(errors="surrogateescape")
    except (OSError, ValueError):
        return None


def write_text(path: Path, text: str) -> None:
    path.write_text(text, errors="surrogateescape")


def prepare(slot: Path, want: str) -> str:
    """Makes `slot` ready for a kernel built with `want`; says what it found."""
    have = read_text(slot / STAMP_FILE)
    if have == want:
        return "warm" if (read_text(slot / WARM_FILE) or "").startswith(want) else "reused"
    state = "new"
    if slot.exists():
        shutil.rmtree(slot, ignore_errors=True)
        state = "wiped (rustc, evcxr or the cargo settings changed)"
    slot.mkdir(parents=True, exist_ok=True)
    write_text(slot / STAMP_FILE, want)
    return state


def write_cargo_config(root: Path) -> None:
    path = root / ".cargo" / "config.toml"
    have = read_text(path)
    if have == CARGO_CONFIG:
        return
    if have is not None and not have.startswith(CONFIG_HEADER):
        # LAB_KERNEL_SLOTS_DIR points somewhere that has its own cargo config: leave it.
        log(f"{path} is not the launcher's: left as it is (cells compile without lto = \"off\")")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(CARGO_CONFIG)
    os.replace(tmp, path)  # atomic: a kernel starting beside us reads old or new


def acquire(root: Path, count: int, want: str) -> tuple[int, Path, int, str]:
    """Locks the first free slot: (index, directory, lock descriptor, state).

    When that slot was left by another rustc or evcxr, the other free slots are wiped
    too, so a version change frees their disk at once rather than one slot at a time."""
    root.mkdir(parents=True, exist_ok=True)
    write_cargo_config(root)
    for i in range(count):
        fd = try_lock(root / f"slot-{i}.lock")
        if fd is None:
            continue
        slot = root / f"slot-{i}"
        try:
            state = prepare(slot, want)
            if state.startswith("wiped"):
                sweep(root, range(i + 1, count), want)
        except BaseException:
            os.close(fd)
            raise
        return i, slot, fd, state
    raise NoSlot(
        f"all {count} build slots in {root} are busy (one per running kernel): shut down "
        "unused kernels, or raise LAB_KERNEL_SLOTS"
    )


def sweep(root: Path, indices, want: str) -> None:
    for i in indices:
        slot = root / f"slot-{i}"
        if not slot.exists() or read_text(slot / STAMP_FILE) == want:
            continue
        fd = try_lock(root / f"slot-{i}.lock")
        if fd is not None:  # a busy slot is wiped by whoever takes it next
            shutil.rmtree(slot, ignore_errors=True)
            os.close(fd)


def choose_slot(evcxr: str, env: dict[str, str]) -> None:
    """Points `env` at a locked slot, or says in `env` why there is none."""
    try:
        if fcntl is None:
            raise NoSlot("this system has no file locks (flock)")
        count = slot_count()
        if count == 0:
            raise NoSlot("build slots are turned off (LAB_KERNEL_SLOTS=0)")
        version, libdir = rustc_facts(find_rustc(evcxr))
        root = slots_root()
        index, slot, fd, state = acquire(root, count, stamp(version, evcxr))
    except NoSlot as e:
        reason = str(e)
    except Exception as e:  # a launcher bug must never keep the kernel from starting
        reason = f"build slots unavailable ({type(e).__name__}: {e})"
    else:
        library_path(env, libdir)
        os.set_inheritable(fd, True)  # the lock lives as long as the kernel does
        env["EVCXR_TMPDIR"] = str(slot)
        env["LAB_KERNEL_SLOT"] = str(index)
        log(f"build slot {index} ({slot}): {state}")
        return
    env["LAB_KERNEL_NO_SLOT"] = reason
    log(f"no build slot: {reason}. This kernel builds in a temporary folder, so its setup cell compiles the helpers from scratch (slower).")


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "--evcxr" or "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    evcxr = argv[1]
    kernel_args = argv[argv.index("--") + 1 :]
    env = dict(os.environ)
    env["LAB_KERNEL"] = "launcher"  # lab::ready() tells "no slot" from "not our kernel"
    env.pop("LAB_KERNEL_NO_SLOT", None)
    env.pop("LAB_KERNEL_SLOT", None)
    for key, value in ALLOCATOR.items():
        env.setdefault(key, value)
    choose_slot(evcxr, env)
    try:
        os.execve(evcxr, [evcxr, *kernel_args], env)
    except OSError as e:
        log(f"cannot start {evcxr}: {e}. Run ./lab.sh setup to build and register the kernel.")
        return 1
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
