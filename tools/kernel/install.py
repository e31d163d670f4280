"""Registers the project's `rust` kernel and warms its first build slot.

    python -m tools.kernel.install register EVCXR_BIN
        the `rust` kernelspec: evcxr's own files (logos, version.txt) with a kernel.json
        that starts evcxr through tools/kernel/launcher.py (one build slot per kernel).
        Rewrites nothing when the installed kernelspec is already this one.
    python -m tools.kernel.install warm
        runs the notebooks' setup cell once in the installed kernel, so that the first
        notebook a learner opens finds the helpers built. Does nothing when a slot already
        ran it with this rustc and evcxr.

Run by ./lab.sh setup, from the repository's root, with the project's Python (which has
jupyter_client). The kernelspec runs a copy of launcher.py by its path, as a script: it
imports nothing from this package.
"""
from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.evcxr import panic_in
from tools.kernel import launcher

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

KERNEL = "rust"


def say(message: str) -> None:
    print(f"\033[1m[lab]\033[0m {message}", flush=True)


def staged_spec(evcxr: str, into: Path) -> Path:
    """The kernelspec directory we want, built in `into`."""
    # evcxr writes its resources (and version.txt, which it compares at every start and
    # re-installs itself over a kernelspec that lacks it) wherever JUPYTER_PATH says.
    env = dict(os.environ, JUPYTER_PATH=str(into))
    subprocess.run([evcxr, "--install"], env=env, check=True, capture_output=True)
    spec = into / "kernels" / KERNEL
    (spec / "launcher.py").write_bytes((HERE / "launcher.py").read_bytes())
    kernel = json.loads((spec / "kernel.json").read_text())
    kernel["argv"] = [
        sys.executable,
        "{resource_dir}/launcher.py",
        "--evcxr",
        evcxr,
        "--",
        "--control_file",
        "{connection_file}",
    ]
    kernel["metadata"] = {"lab": "evcxr through tools/kernel/launcher.py (build slots)"}
    (spec / "kernel.json").write_text(json.dumps(kernel, indent=1) + "\n")
    return spec


def same_tree(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    if not b.is_dir() or names != sorted(p.name for p in b.iterdir()):
        return False
    return all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def register(evcxr: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_core.paths import jupyter_data_dir

    ksm = KernelSpecManager()
    ours = Path(jupyter_data_dir(), "kernels", KERNEL)  # where --user installs it
    with tempfile.TemporaryDirectory() as tmp:
        spec = staged_spec(evcxr, Path(tmp))
        if not same_tree(spec, ours):
            say("registering the rust kernel (evcxr through the build-slot launcher)")
            where = ksm.install_kernel_spec(str(spec), KERNEL, user=True)
            print(f"      {where}")
    winner = KernelSpecManager().find_kernel_specs().get(KERNEL)
    if winner and Path(winner).resolve() != ours.resolve():
        say(f"warning: another `{KERNEL}` kernelspec, {winner}, comes first on Jupyter's path, so "
            "notebooks will not use the launcher: remove it (jupyter kernelspec remove) or fix JUPYTER_PATH")


def evcxr_of_installed_spec() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    argv = KernelSpecManager().get_kernel_spec(KERNEL).argv
    return argv[argv.index("--evcxr") + 1] if "--evcxr" in argv else argv[0]


def sources_hash() -> str:
    """What the warm slot compiled: the helper crate, the lock file, the setup cell. A
    `git pull` that changes any of them makes the next setup warm the slot again."""
    h = hashlib.sha256(str(ROOT).encode())  # `:dep lab = { path = ... }` is this clone's
    files = sorted((ROOT / "helpers").rglob("*.rs")) + [
        ROOT / "helpers" / "Cargo.toml", ROOT / "Cargo.lock", ROOT / "tools" / "setup_cell.rs"]
    for f in files:
        if f.is_file():
            h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def warm_marker() -> str | None:
    """The text a warm slot holds in its marker file, or None when slots cannot be used."""
    evcxr = evcxr_of_installed_spec()
    try:
        version, _ = launcher.rustc_facts(launcher.find_rustc(evcxr))
        return launcher.stamp(version, evcxr) + f"sources: {sources_hash()}\n"
    except (launcher.NoSlot, OSError):
        return None


def warm() -> None:
    from nbclient import NotebookClient
    import nbformat

    marker = warm_marker()
    root = launcher.slots_root()
    if marker is None or launcher.slot_count() == 0:
        return  # the kernel will run without slots; it says why when it starts
    if any(launcher.read_text(p / launcher.WARM_FILE) == marker for p in root.glob("slot-*")):
        return
    say("warming the kernel's first build slot: the setup cell compiles the helpers once "
        "(about 30 s on 2 cores; minutes more the very first time, for crate downloads)")
    setup = (ROOT / "tools" / "setup_cell.rs").read_text()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell(
            'println!("slot={}", std::env::var("EVCXR_TMPDIR").unwrap_or_default());\n'
            'println!("why={}", std::env::var("LAB_KERNEL_NO_SLOT").unwrap_or_default());'),
    ]
    client = NotebookClient(
        nb, kernel_name=KERNEL, timeout=1800, resources={"metadata": {"path": str(ROOT / "notebooks")}}
    )
    t0 = time.monotonic()
    client.execute()
    outputs = [o for c in nb.cells for o in c.outputs]
    out = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    failed = [o for o in outputs if o.output_type == "error"]
    if failed or panic_in(out):
        out += "".join(f"{o.ename}: {o.evalue}\n" for o in failed)
        raise SystemExit(f"the setup cell did not run cleanly in the rust kernel:\n{out}")
    lines = dict(line.split("=", 1) for line in out.splitlines() if line[:4] in ("slot", "why="))
    if not lines.get("slot"):
        say(f"no build slot to warm ({lines.get('why') or 'unknown reason'}); skipped")
        return
    launcher.write_text(Path(lines["slot"], launcher.WARM_FILE), marker)
    say(f"kernel warm in {time.monotonic() - t0:.0f} s ({lines['slot']})")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.kernel.install", description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("register", help="register the `rust` kernelspec").add_argument("evcxr", metavar="EVCXR_BIN")
    sub.add_parser("warm", help="run the setup cell once in the installed kernel")
    args = p.parse_args(argv)
    if args.command == "register":
        register(args.evcxr)
    else:
        warm()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
