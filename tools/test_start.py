"""JupyterLab started every way the project documents, and used end to end.

Each route is started exactly as a person is told to start it (tools/start_check.py): the
server answers /api/status with the token, the project's JupyterLab settings are applied, a
`rust` kernel opens 00's session through the REST API and runs the setup cell over its
websocket, and everything stops. A broken route fails with one line naming it.

Runs only under `./lab.sh test` (which has just done the setup); the Dockerfile's own build
is rehearsed by tools/image/rehearse_build.py (step 4 of `./lab.sh test`).
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tools import series
from tools.start_check import RouteBroke, check_route, image_cmd, settings_problems

needs_setup = pytest.mark.skipif(os.environ.get("LAB_SETUP_DONE") != "1", reason="run through ./lab.sh test")


def settings(**defaults) -> dict:
    return {"schema": {"properties": {k: {"default": v} for k, v in defaults.items()}}}


@pytest.mark.parametrize("wrong", [
    settings(),  # JupyterLab's own: no overrides at all
    settings(fetchNews="none", checkForUpdates=True),
    settings(fetchNews="false", checkForUpdates=True),
    settings(fetchNews=False, checkForUpdates=False),  # a boolean where JupyterLab wants "false"
])
def test_the_settings_check_fails_every_wrong_answer(wrong):
    assert settings_problems(wrong), wrong
    assert not settings_problems(settings(fetchNews="false", checkForUpdates=False))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check(route: str, cmd: list[str], **kw) -> dict:
    try:
        return check_route(route, cmd, cwd=series.ROOT, **kw)
    except RouteBroke as e:
        pytest.fail(str(e), pytrace=False)


@needs_setup
def test_the_readme_route():
    # The README's example: ./lab.sh start --no-browser --port 8899 (any free port here).
    check("./lab.sh start, as the README shows", ["./lab.sh", "start", "--no-browser", "--port", str(free_port())],
          expect_ip="127.0.0.1")


@needs_setup
def test_the_image_cmd_route():
    # The Dockerfile's CMD, exactly (its own --ServerApp.ip, the default port); as root here,
    # as in a container run as root, so lab.sh adds --allow-root.
    cmd = image_cmd()
    assert cmd[:2] == ["./lab.sh", "start"], cmd
    check("the image's CMD", cmd, expect_ip="0.0.0.0")


@needs_setup
@pytest.mark.parametrize("args, ip", [
    (["--ip", "0.0.0.0"], "0.0.0.0"),
    (["--ServerApp.ip", "0.0.0.0"], "0.0.0.0"),
    (["--ip=127.0.0.1", "--ServerApp.root_dir=notebooks"], "127.0.0.1"),
])
def test_a_users_own_options_win_over_ours(args, ip):
    # Options we set by default (ip, root_dir) given by the user too: theirs, and no refusal.
    check(f"./lab.sh start {' '.join(args)}", ["./lab.sh", "start", "--no-browser", f"--port={free_port()}", *args],
          expect_ip=ip, run_setup_cell=False)


@needs_setup
def test_a_broken_route_is_one_line_naming_it():
    with pytest.raises(RouteBroke) as e:
        check_route("a bad option", ["./lab.sh", "start", "--no-browser", "--ServerApp.port=notaport"],
                    cwd=series.ROOT, start_limit_s=120)
    message = str(e.value)
    assert message.startswith("a bad option: JupyterLab exited with code"), message
    assert "\n" not in message, message


def test_the_image_cmd_is_what_the_readme_documents():
    readme = (series.ROOT / "README.md").read_text()
    assert "docker run --rm -p 8888:8888 concurrency-notebooks" in readme
    assert "8888" in (series.ROOT / "Dockerfile").read_text()


@needs_setup
def test_the_singleuser_route_prepares_a_learners_work_folder(tmp_path: Path):
    # What a hub starts for each learner (./lab.sh singleuser): without a hub, the server
    # itself refuses to run, but the learner's folder is made first, and made only once.
    import subprocess

    work = tmp_path / "work"
    env = {**os.environ, "LAB_WORK_DIR": str(work)}
    run = subprocess.run(["./lab.sh", "singleuser", "--help"], cwd=series.ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    names = sorted(p.name for p in (work / "notebooks").glob("*.ipynb"))
    assert names == sorted(p.name for p in series.notebook_paths()), names
    assert (work / "helpers" / "Cargo.toml").exists() and (work / "README.md").exists()
    mine = work / "notebooks" / names[0]
    mine.write_text(mine.read_text() + " ")  # a learner's edit
    subprocess.run(["./lab.sh", "singleuser", "--help"], cwd=series.ROOT, env=env, capture_output=True, timeout=120)
    assert mine.read_text().endswith(" "), "a second start overwrote the learner's notebook"
