"""The setup behind `./lab.sh start` and `./lab.sh test` is idempotent: run again right
after a setup, it installs nothing and says it is ready.

Runs only under `./lab.sh test` (which has just done a setup); run alone, for instance on
the conda route, it is skipped rather than installing anything.
"""
import os
import subprocess

import pytest

from tools import series


@pytest.mark.skipif(os.environ.get("LAB_SETUP_DONE") != "1", reason="run through ./lab.sh test")
def test_a_second_setup_installs_nothing():
    # `setup hub`, what the workshop image's build runs (the Dockerfile): everything `setup`
    # does, plus JupyterHub's single-user server (installed by the room rehearsal, step 4).
    run = subprocess.run(
        ["bash", str(series.ROOT / "lab.sh"), "setup", "hub"],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    for word in ("creating", "installing", "building", "registering", "warming", "wiped"):
        assert word not in out, f"a second setup is not a no-op ({word!r}):\n{out}"
    assert "ready" in out, out


def _check_linker(tmp_path, tools: dict[str, str], cc_var: str | None) -> subprocess.CompletedProcess:
    """lab.sh's check_linker, alone, on a PATH holding only `tools` (name -> real program)."""
    import shutil

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, real in tools.items():
        (bin_dir / name).symlink_to(shutil.which(real))
    script = series.ROOT / "lab.sh"
    body = script.read_text()
    fn = body[body.index("check_linker() {"):]
    fn = fn[: fn.index("\n}\n") + 3]
    env = {"PATH": str(bin_dir), **({"CC": cc_var} if cc_var else {})}
    code = f'die() {{ echo "error: $*" >&2; exit 1; }}\n{fn}\ncheck_linker\nenv | grep _LINKER= || echo "no linker variable"\n'
    return subprocess.run([shutil.which("bash"), "-c", code], env=env, capture_output=True, text=True, timeout=30)


def test_conda_prefixed_compiler_is_handed_to_cargo(tmp_path):
    # conda-forge's c-compiler: no `cc`, a prefixed gcc named in $CC.
    run = _check_linker(tmp_path, {"rustc": "rustc", "sed": "sed", "tr": "tr", "env": "env", "grep": "grep",
                                   "x86_64-conda-linux-gnu-cc": "gcc"}, "x86_64-conda-linux-gnu-cc")
    assert run.returncode == 0, run.stderr
    line = run.stdout.strip()
    assert line.startswith("CARGO_TARGET_") and line.endswith("_LINKER=" + str(tmp_path / "bin" / "x86_64-conda-linux-gnu-cc")), line
    assert "-" not in line.split("=")[0] and "." not in line.split("=")[0], line


def test_no_linker_at_all_is_one_line_that_says_what_to_install(tmp_path):
    run = _check_linker(tmp_path, {"rustc": "rustc", "sed": "sed", "tr": "tr"}, None)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "build-essential" in run.stderr, run.stderr


def test_a_system_cc_is_left_alone(tmp_path):
    run = _check_linker(tmp_path, {"rustc": "rustc", "sed": "sed", "tr": "tr", "env": "env", "grep": "grep",
                                   "cc": "gcc"}, None)
    assert run.returncode == 0 and run.stdout.strip() == "no linker variable", run.stdout + run.stderr
