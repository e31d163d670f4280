#!/usr/bin/env bash
# The two commands of this project:
#
#   ./lab.sh start   set up what is missing, then open JupyterLab on notebooks/
#   ./lab.sh test    set up what is missing, then run every test (CI runs this)
#   ./lab.sh site    set up what is missing, run every notebook, and write the series
#                    as a static HTML site (figures included) into site/
#   ./lab.sh setup hub
#                    setup, plus JupyterHub's single-user server (for an image behind a hub)
#   ./lab.sh rehearse [--learners 1,2,4,8]
#                    for instructors: a JupyterHub on this machine with simulated learners,
#                    then a capacity table (tools/room/rehearse.py; installs JupyterHub into
#                    .venv/ and its proxy with npm into tools/room/, on first use)
#
# Setup is idempotent: each step checks before it installs, so a second run takes
# seconds. What it installs:
#   .venv/                     Python packages from tools/requirements.txt (pinned)
#   ~/.cargo/bin/evcxr_jupyter evcxr's Jupyter kernel, version $EVCXR_VERSION
#   the `rust` kernelspec      registered for your user (~/.local/share/jupyter): evcxr
#                              started through tools/kernel/launcher.py, which gives each
#                              kernel a persistent build slot (~/.cache/concurrency-notebooks)
#   a warm first slot          the setup cell run once, so the first notebook opens fast
set -euo pipefail

EVCXR_VERSION=0.22.0
RUST_MIN=1.95
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"

say() { printf '\033[1m[lab]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[lab] error:\033[0m %s\n' "$*" >&2; exit 1; }

check_rust() {
    command -v cargo >/dev/null || die "cargo not found: install Rust ≥ $RUST_MIN (https://rustup.rs), then re-run"
    local v
    v=$(rustc --version | awk '{print $2}')
    # sort -V puts the smaller version first.
    if [ "$(printf '%s\n%s\n' "$RUST_MIN" "$v" | sort -V | head -n1)" != "$RUST_MIN" ]; then
        die "rustc $v is older than $RUST_MIN, which evcxr $EVCXR_VERSION needs: run 'rustup update stable'"
    fi
}

setup_python() {
    command -v python3 >/dev/null || die "python3 not found: install Python 3.10 or newer"
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating the Python environment in .venv/"
        python3 -m venv "$VENV" || die "python3 -m venv failed: on Debian/Ubuntu, apt-get install python3-venv"
    fi
    local want have
    want=$(sha256sum tools/requirements.txt | cut -d' ' -f1)
    have=$(cat "$VENV/.requirements.sha256" 2>/dev/null || true)
    if [ "$want" != "$have" ]; then
        say "installing Python packages (JupyterLab, nbclient, pytest) into .venv/ (about a minute)"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check -r tools/requirements.txt
        echo "$want" > "$VENV/.requirements.sha256"
    fi
}

setup_evcxr() {
    local bin="${CARGO_HOME:-$HOME/.cargo}/bin/evcxr_jupyter"
    if cargo install --list 2>/dev/null | grep -q "^evcxr_jupyter v$EVCXR_VERSION:" && [ -x "$bin" ]; then
        :
    else
        say "building evcxr_jupyter $EVCXR_VERSION (first time only: about 7 minutes on 2 cores)"
        cargo install --locked evcxr_jupyter --version "$EVCXR_VERSION"
    fi
    # The `rust` kernelspec: evcxr started through tools/kernel/launcher.py, which gives
    # each kernel its own persistent build slot (see that file). Rewrites nothing when
    # the installed kernelspec is already this one.
    "$VENV/bin/python" tools/kernel/install.py register "$bin"
}

setup_warm() {
    # The first notebook a learner opens should be fast too: run the setup cell once in
    # the first slot (only when no slot has run it with this rustc, evcxr and helper source).
    "$VENV/bin/python" tools/kernel/install.py warm
}

setup() {
    check_rust
    setup_python
    setup_evcxr
    setup_warm
}

setup_hub() {
    # jupyterhub-singleuser, which JupyterHub starts for each learner (the hub's own package,
    # into .venv/, constrained by tools/requirements.txt so nothing a learner uses changes).
    # For a workshop image behind a hub (./lab.sh setup hub) and for the rehearsal.
    local want have
    want=$(cat tools/requirements.txt tools/room/requirements.txt | sha256sum | cut -d' ' -f1)
    have=$(cat "$VENV/.hub-requirements.sha256" 2>/dev/null || true)
    if [ "$want" != "$have" ]; then
        say "installing JupyterHub's single-user server into .venv/"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check \
            -r tools/room/requirements.txt -c tools/requirements.txt
        echo "$want" > "$VENV/.hub-requirements.sha256"
    fi
}

setup_proxy() {
    # The hub's proxy (configurable-http-proxy, with npm into tools/room/node_modules/):
    # the rehearsal only.
    if [ ! -x tools/room/node_modules/.bin/configurable-http-proxy ]; then
        command -v npm >/dev/null || die "npm not found: JupyterHub's proxy needs Node.js ≥ 20 and npm"
        say "installing JupyterHub's proxy (configurable-http-proxy) with npm into tools/room/"
        (cd tools/room && npm ci --no-audit --no-fund --loglevel=error) \
            || die "npm could not install configurable-http-proxy (above): check the npm registry is reachable"
    fi
}

run_tests() {
    say "1/5 formatting (cargo fmt --check)"
    cargo fmt --all -- --check
    say "2/5 lints (cargo clippy -D warnings)"
    cargo clippy --workspace --all-targets --quiet -- -D warnings
    say "3/5 helper crate tests (unit, integration, doc) and its docs"
    cargo test --workspace
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
    say "4/5 benchmark figures (printed, not gated), and a small room rehearsal (a hub, 1 then 2 learners)"
    cargo run --release --quiet -p lab-benchmarks --bin record_cost
    cargo run --release --quiet -p lab-benchmarks --bin explore_cost
    setup_hub  # also what the setup test checks: `setup hub`, as the image runs it
    if [ "$(uname -s)" = Linux ] && command -v npm >/dev/null; then
        setup_proxy
        "$VENV/bin/python" tools/room/rehearse.py --learners 1,2
    else
        say "skipped the room rehearsal: it needs Linux (it reads /proc) and npm (JupyterHub's proxy)"
    fi
    say "5/5 the kernel launcher, the setup, then every notebook checked and run top to bottom in the rust kernel"
    LAB_SETUP_DONE=1 "$VENV/bin/python" -m pytest tools -q -p no:cacheprovider
}

case "${1:-}" in
    start)
        setup
        shift
        extra=()
        if [ "$(id -u)" = 0 ]; then
            say "running as root (a container?): passing --allow-root to JupyterLab"
            extra+=(--allow-root)
        fi
        # The project's own JupyterLab settings (tools/jupyter/labconfig): no "fetch Jupyter
        # news?" popup greeting a newcomer, no update check calling out.
        export JUPYTER_CONFIG_PATH="$ROOT/tools/jupyter${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}"
        say "opening JupyterLab on notebooks/, on 127.0.0.1 with token login (Ctrl-C twice to stop)"
        # The repository is the root (so notebooks can link to ../README.md); the browser
        # opens in notebooks/.
        exec "$VENV/bin/jupyter" lab --ServerApp.root_dir="$ROOT" \
            --LabApp.default_url=/lab/tree/notebooks --ServerApp.ip=127.0.0.1 \
            ${extra[@]+"${extra[@]}"} "$@"
        ;;
    test)
        # The tests register the `rust` kernelspec in this checkout's own Jupyter data folder,
        # so testing a clone never repoints the kernel you teach from (~/.local/share/jupyter).
        export JUPYTER_DATA_DIR="$ROOT/.jupyter-test"
        setup
        run_tests
        say "all tests passed"
        ;;
    setup)
        case "${2:-}" in
            "" | hub) ;;
            *) die "./lab.sh setup takes no argument, or 'hub' (for an image behind JupyterHub), not '$2'" ;;
        esac
        setup
        [ "${2:-}" = hub ] && setup_hub
        say "ready: ./lab.sh start opens JupyterLab"
        ;;
    site)
        setup
        say "running every notebook, then writing the static site into site/"
        "$VENV/bin/python" tools/nbtool.py site --execute "$ROOT/site"
        say "open site/index.html"
        ;;
    rehearse)
        shift
        case " $* " in
            *" -h "* | *" --help "*)
                # Help without installing anything (the script's help needs only Python).
                exec python3 tools/room/rehearse.py --help ;;
        esac
        setup
        setup_hub
        setup_proxy
        exec "$VENV/bin/python" tools/room/rehearse.py "$@"
        ;;
    *)
        echo "usage: ./lab.sh start | test | setup [hub] | site | rehearse [--help]" >&2
        exit 2
        ;;
esac
