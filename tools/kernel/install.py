"""Registers the project's `rust` kernel and warms its first build slot.

    python tools/kernel/install.py register EVCXR_BIN
        the `rust` kernelspec: evcxr's own files (logos, version.txt) with a kernel.json
        that starts evcxr through tools/kernel/launcher.py (one build slot per kernel).
        Rewrites nothing when the installed kernelspec is already this one.
    python tools/kernel/install.py warm
        runs the notebooks' setup cell once in the installed kernel, so that the first
        notebook a learner opens finds the helpers built. Does nothing when a slot already
        ran it with this rustc and evcxr.

Run by ./lab.sh setup (with the project's Python, which has jupyter_client).
"""
from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
import launcher  # noqa: E402

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

    ksm = KernelSpecManager()
    installed = ksm.find_kernel_specs().get(KERNEL)
    with tempfile.TemporaryDirectory() as tmp:
        spec = staged_spec(evcxr, Path(tmp))
        if installed and same_tree(spec, Path(installed)):
            return
        say("registering the rust kernel (evcxr through the build-slot launcher)")
        where = ksm.install_kernel_spec(str(spec), KERNEL, user=True)
        print(f"      {where}")


def evcxr_of_installed_spec() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    argv = KernelSpecManager().get_kernel_spec(KERNEL).argv
    return argv[argv.index("--evcxr") + 1] if "--evcxr" in argv else argv[0]


def warm_slots(root: Path, want: str) -> list[Path]:
    return [p for p in sorted(root.glob("slot-*")) if launcher.read_text(p / launcher.WARM_FILE) == want]


def warm() -> None:
    from nbclient import NotebookClient
    import nbformat

    want = launcher.stamp(evcxr_of_installed_spec())
    root = launcher.slots_root()
    if warm_slots(root, want):
        return
    say("warming the kernel's first build slot: the setup cell compiles the helpers once "
        "(about 30 s on 2 cores; minutes more the very first time, for crate downloads)")
    setup = (ROOT / "tools" / "setup_cell.rs").read_text()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell('println!("slot={}", std::env::var("EVCXR_TMPDIR").unwrap_or_default());'),
    ]
    client = NotebookClient(
        nb, kernel_name=KERNEL, timeout=1800, resources={"metadata": {"path": str(ROOT / "notebooks")}}
    )
    t0 = time.monotonic()
    client.execute()
    outputs = [o for c in nb.cells for o in c.outputs]
    out = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    failed = [o for o in outputs if o.output_type == "error"]
    slot = next((line[5:] for line in out.splitlines() if line.startswith("slot=")), "")
    if failed or "panicked at" in out or not slot:
        out += "".join(f"{o.ename}: {o.evalue}\n" for o in failed)
        raise SystemExit(f"the setup cell did not run cleanly in the rust kernel:\n{out}")
    Path(slot, launcher.WARM_FILE).write_text(want)
    say(f"kernel warm in {time.monotonic() - t0:.0f} s ({slot})")


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "register":
        register(argv[1])
    elif argv == ["warm"]:
        warm()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
