"""The workshop image, rehearsed without a container engine (none runs on these machines).

    .venv/bin/python -m tools.image.rehearse_build [--keep]    (from the repository's root)

Follows the Dockerfile line by line on this machine, as `docker build` then `docker run`
would, as far as a machine without containers can:

    FROM      stood in for by this machine: the base image's Rust (this machine's rustc,
              which must be the image's version) is copied, read-only, outside any home,
              and is all the learner's PATH has of Rust; the base image's other tools
              (python3, cc) are this machine's
    RUN       (as root) apt-get installs are checked, not run (this machine's packages are
              not the rehearsal's to change): each package must be installed already;
              any other root command runs as written (useradd)
    USER/ENV/WORKDIR
              kept, and applied to what follows, with an environment that has nothing else
              in it (the image's, not this shell's)
    COPY . .  a clean copy of the repository with .dockerignore applied (the build context)
    RUN       (as the user) run as written, by /bin/sh -c, as that fresh user with an empty
              home: the whole setup, evcxr's build included (about 10 minutes on 2 cores)
    CMD       started as written, as that user, in WORKDIR, and checked end to end by
              tools/start_check.py: /api/status with the token, a rust kernel through the
              REST API, the setup cell over its websocket, everything stopped.

Then the user, their home and the stand-in Rust are removed (--keep leaves them, to look).
Needs root on Linux (it creates a user); elsewhere, or when the Dockerfile's user already
exists on this machine, it says why in one line and exits 0 without doing anything.
"""
from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tools.start_check import RouteBroke, check_route

ROOT = Path(__file__).resolve().parents[2]

STANDIN = Path("/opt/lab-image-rehearsal")  # the base image's Rust, outside any home
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def say(message: str) -> None:
    print(f"\033[1m[image]\033[0m {message}", flush=True)


class Skip(Exception):
    """Why this machine cannot rehearse the build (one line)."""


# --- reading the Dockerfile ------------------------------------------------------------

def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out, pending = [], ""
    for line in dockerfile.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def expand(value: str, env: dict[str, str]) -> str:
    """$VAR and ${VAR} from the build's environment, as Docker expands ENV and WORKDIR."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), value)


def env_pairs(args: str, env: dict[str, str]) -> dict[str, str]:
    """ENV a=1 b=2 (the key=value form)."""
    pairs = {}
    for item in shlex.split(args):
        key, eq, value = item.partition("=")
        if not eq:
            raise Skip(f"ENV {args!r}: only the key=value form is understood here")
        pairs[key] = expand(value, {**env, **pairs})
    return pairs


# --- the build context -------------------------------------------------------------------

def ignore_patterns(root: Path) -> list[tuple[re.Pattern, bool]]:
    """.dockerignore as (regex, is_exception) pairs, Docker's rules: paths from the context's
    root, `*` within a path segment, `**` across segments, `!` re-includes, the last match wins."""
    patterns = []
    path = root / ".dockerignore"
    for line in (path.read_text().splitlines() if path.exists() else []):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pat = line[1:] if negate else line
        pat = pat.strip("/")
        regex = ""
        i = 0
        while i < len(pat):
            if pat.startswith("**", i):
                regex += ".*"
                i += 2
            elif pat[i] == "*":
                regex += "[^/]*"
                i += 1
            elif pat[i] == "?":
                regex += "[^/]"
                i += 1
            else:
                regex += re.escape(pat[i])
                i += 1
        patterns.append((re.compile(regex + r"\Z"), negate))
    return patterns


def ignored(rel: str, patterns) -> bool:
    """Is this path (relative, with /) left out of the context? A pattern that matches a
    folder leaves out everything in it."""
    parts = rel.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    verdict = False
    for regex, negate in patterns:
        if any(regex.match(p) for p in prefixes):
            verdict = not negate
    return verdict


def context_files(root: Path) -> list[str]:
    """Every file `docker build` would send from `root`, relative paths."""
    patterns = ignore_patterns(root)
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = [d for d in dirnames if not ignored(rel_dir + d, patterns)]
        files += [rel_dir + f for f in filenames if not ignored(rel_dir + f, patterns)]
    return sorted(files)


def copy_context(root: Path, into: Path, user: str) -> int:
    files = context_files(root)
    for rel in files:
        dst = into / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, dst, follow_symlinks=False)
    ids = pwd.getpwnam(user)
    for dirpath, dirnames, filenames in os.walk(into):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            os.lchown(name, ids.pw_uid, ids.pw_gid)
    return len(files)


# --- the base image's stand-in -----------------------------------------------------------

def standin_rust(version: str) -> Path:
    """This machine's toolchain, copied where any user can read it (hard links where the
    file system allows: instant, no space). Returns its bin/ folder."""
    sysroot = Path(subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True,
                                  check=True).stdout.strip())
    have = subprocess.run(["rustc", "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    if not have.startswith(version):
        raise Skip(f"the image's base has Rust {version}, this machine has {have}")
    target = STANDIN / "rust"
    if not (target / "bin" / "cargo").exists():
        STANDIN.mkdir(parents=True, exist_ok=True)
        os.chmod(STANDIN, 0o755)
        if subprocess.run(["cp", "-al", str(sysroot), str(target)], capture_output=True).returncode != 0:
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(sysroot, target, symlinks=True)
    for dirpath, dirnames, _ in os.walk(target):
        os.chmod(dirpath, 0o755)
    return target / "bin"


def package_installed(name: str) -> bool:
    run = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True)
    return run.returncode == 0 and "install ok installed" in run.stdout


def root_step(command: str) -> str:
    """A RUN step before USER: apt-get installs are checked, the rest is run."""
    done = []
    for part in re.split(r"\s*&&\s*", command):
        words = shlex.split(part)
        if words[:1] == ["apt-get"] or words[:1] == ["rm"] and "/var/lib/apt/lists/*" in part:
            if "install" in words:
                wanted = [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
                missing = [p for p in wanted if not package_installed(p)]
                if missing:
                    raise Skip(f"this machine lacks {' '.join(missing)}, which the image installs "
                               f"(apt-get install {' '.join(missing)}, then run again)")
                done.append(f"checked installed: {' '.join(wanted)}")
            continue
        subprocess.run(["/bin/sh", "-c", part], check=True)
        done.append(part)
    return "; ".join(done)


# --- the rehearsal -----------------------------------------------------------------------

def rehearse(keep: bool) -> int:
    steps = instructions(ROOT / "Dockerfile")
    base = steps[0][1] if steps and steps[0][0] == "FROM" else ""
    m = re.match(r"rust:(\d+\.\d+)", base)
    if not m:
        raise Skip(f"FROM {base!r}: the rehearsal stands in for a rust:<version> base only")
    users = [shlex.split(a)[-1] for kind, a in steps if kind == "RUN" and a.startswith("useradd")]
    user = users[-1] if users else None
    if user:
        try:
            pwd.getpwnam(user)
            raise Skip(f"a user named {user!r} exists on this machine already; the rehearsal creates "
                       "and then removes its own, and will not touch that one")
        except KeyError:
            pass
    rust_bin = standin_rust(m.group(1))
    env = {"PATH": f"{rust_bin}:{BASE_PATH}", "HOME": "/root", "LANG": "C.UTF-8"}
    as_user, workdir, cmd = None, Path("/"), None
    t_build = time.monotonic()
    try:
        for kind, args in steps[1:]:
            if kind == "RUN" and as_user is None:
                say(f"RUN (root) {args[:70]}…: {root_step(args)}")
            elif kind == "RUN":
                say(f"RUN (as {as_user}, in {workdir}) {args}")
                t0 = time.monotonic()
                ids = {"user": as_user, "group": as_user, "extra_groups": []}
                run = subprocess.run(["/bin/sh", "-c", args], cwd=workdir, env=env, stdin=subprocess.DEVNULL, **ids)
                if run.returncode != 0:
                    print(f"[image] build broke: RUN {args!r} as {as_user} exited with {run.returncode} (output above)",
                          file=sys.stderr)
                    return 1
                say(f"  done in {time.monotonic() - t0:.0f} s")
            elif kind == "USER":
                as_user = args
                info = pwd.getpwnam(as_user)
                env["HOME"], env["USER"] = info.pw_dir, as_user
            elif kind == "ENV":
                env.update(env_pairs(args, env))
            elif kind == "WORKDIR":
                workdir = Path(expand(args, env))
                workdir.mkdir(parents=True, exist_ok=True)
                if as_user:
                    info = pwd.getpwnam(as_user)
                    os.chown(workdir, info.pw_uid, info.pw_gid)
            elif kind == "COPY":
                words = shlex.split(args)
                owner = next((w.split("=", 1)[1] for w in words if w.startswith("--chown=")), "root")
                if [w for w in words if not w.startswith("--")] != [".", "."]:
                    raise Skip(f"COPY {args!r}: only 'COPY [--chown=U] . .' is understood here")
                n = copy_context(ROOT, workdir, owner)
                say(f"COPY: {n} files of the build context (.dockerignore applied) into {workdir}")
            elif kind == "CMD":
                cmd = json.loads(args)
            elif kind in ("EXPOSE", "LABEL", "ARG"):
                continue
            else:
                raise Skip(f"{kind} {args!r}: not understood by the rehearsal (teach tools/image/rehearse_build.py)")
        build_s = time.monotonic() - t_build
        say(f"built in {build_s / 60:.1f} min; starting the CMD as {as_user}: {' '.join(cmd)}")
        try:
            t = check_route("the image's CMD (build rehearsal)", cmd, cwd=workdir, env=env,
                            expect_ip="0.0.0.0", user=as_user)
        except RouteBroke as e:
            print(f"[image] route broke: {e}", file=sys.stderr)
            return 1
        say(f"the image works: built in {build_s / 60:.1f} min as a fresh {as_user}; its CMD up in "
            f"{t['start_s']:.1f} s, the setup cell answered {t['kernel_s']:.1f} s later, stopped in {t['stop_s']:.1f} s")
        return 0
    finally:
        if not keep and user:
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
            subprocess.run(["userdel", "--remove", user], capture_output=True)
        if not keep:
            shutil.rmtree(STANDIN, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.image.rehearse_build", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="leave the user, its home and the stand-in Rust")
    args = parser.parse_args(argv)
    try:
        if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("useradd"):
            raise Skip("it needs root on Linux, with useradd (it creates the image's user)")
        return rehearse(args.keep)
    except Skip as why:
        say(f"skipped the image's build rehearsal: {why}")
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
