#!/usr/bin/env bash
# The two commands of this project:
#
#   ./lab.sh start   set up what is missing, then open JupyterLab on notebooks/
#   ./lab.sh test    set up what is missing, then run every test (CI runs this)
#   ./lab.sh site    set up what is missing, run every notebook, and write the series
#                    as a static HTML site (figures included) into site/
#   ./lab.sh setup hub
#                    setup, plus JupyterHub's single-user server (for an image behind a hub)
#   ./lab.sh singleuser [args]
#                    what a hub starts for each learner (the workshop image behind
#                    JupyterHub): the learner's work/ folder made on first start (the
#                    notebooks copied into it, never overwritten), then jupyterhub-singleuser
#                    serving it; no setup (the image has done it)
#   ./lab.sh rehearse [--learners 1,2,4,8] [--notebooks 00-start-here,08-when-to-use-what]
#                    for instructors: a JupyterHub on this machine with simulated learners,
#                    then a capacity table (python -m tools.room.rehearse; installs JupyterHub into
#                    .venv/ and its proxy with npm into tools/room/, on first use)
#   ./lab.sh rehearse --hub-url URL --token T
#                    the same on the hub you will teach on (needs only .venv/ here)
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
    check_linker
}

check_linker() {
    # rustc links with `cc`. conda-forge's C compiler (environment.yml) installs a prefixed
    # one (x86_64-conda-linux-gnu-cc) and names it in $CC: hand that to cargo, whose
    # settings every build inherits (evcxr_jupyter's, and every cell the kernel compiles,
    # since JupyterLab and its kernels are started from here).
    command -v cc >/dev/null && return
    if [ -n "${CC:-}" ] && command -v "$CC" >/dev/null; then
        local host
        host=$(rustc -vV | sed -n 's/^host: //p' | tr 'a-z.-' 'A-Z__')
        export "CARGO_TARGET_${host}_LINKER=$(command -v "$CC")"
        return
    fi
    die "no C linker: rustc needs 'cc' (Debian/Ubuntu: apt-get install build-essential; macOS: xcode-select --install; conda: the c-compiler package)"
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
    setup_jupyter_config
}

setup_jupyter_config() {
    # The project's Jupyter settings (tools/jupyter/: no "fetch Jupyter news?" popup, no
    # update check, kernels of closed tabs culled, a warm spare kernel waiting for the next
    # notebook) go into the environment's own config
    # folder, .venv/etc/jupyter, which every Jupyter started from .venv/ reads: ./lab.sh
    # start, the image's CMD, and the single-user server a hub starts (which never runs
    # this script). One JupyterLab on every route, with no variable to set.
    local src dst
    while IFS= read -r src; do
        dst="$VENV/etc/jupyter/${src#tools/jupyter/}"
        if ! cmp -s "$src" "$dst"; then
            mkdir -p "$(dirname "$dst")"
            cp "$src" "$dst"
        fi
    done < <(find tools/jupyter -type f -name '*.json' | sort)
    # Earlier setups put the server's settings into jupyter_server_config.d/, which Jupyter
    # Server reads only for extensions (they never applied): now jupyter_server_config.json.
    rm -f "$VENV/etc/jupyter/jupyter_server_config.d/concurrency-notebooks.json"
    # The server's kernel manager (warm spare kernels, tools/jupyter/server/lab_spare.py),
    # named in that config: its folder goes on the environment's Python path (a .pth file).
    local site
    site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    dst="$site/lab_spare.pth"
    if [ "$(cat "$dst" 2>/dev/null)" != "$ROOT/tools/jupyter/server" ]; then
        echo "$ROOT/tools/jupyter/server" > "$dst"
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
    "$VENV/bin/python" -m tools.kernel.install register "$bin"
}

setup_warm() {
    # The first notebook a learner opens should be fast too: run the setup cell once in
    # the first slot (only when no slot has run it with this rustc, evcxr and helper source).
    "$VENV/bin/python" -m tools.kernel.install warm
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

sets() {
    # sets ARGS... -- NAME...: does any of ARGS set one of the options NAME (--NAME or
    # --NAME=value)?
    local args=() a n
    while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
    shift
    for a in ${args[@]+"${args[@]}"}; do
        for n in "$@"; do
            case "$a" in "--$n" | "--$n="*) return 0 ;; esac
        done
    done
    return 1
}

prepare_work() {
    # A learner's own folder, kept on the hub's persistent volume: the notebooks copied into
    # it on first start (and any notebook added to the image later; a learner's copy is never
    # overwritten), beside links to the image's helper crate and README, so that the
    # notebooks' `:dep lab = { path = "../helpers" }` and links work unchanged there.
    local work="$1" nb
    mkdir -p "$work/notebooks" || die "cannot create $work (the learner's volume): is it writable by $(id -un)?"
    for nb in "$ROOT"/notebooks/*.ipynb; do
        [ -e "$work/notebooks/${nb##*/}" ] || cp "$nb" "$work/notebooks/"
    done
    local link
    for link in helpers README.md BENCHMARKS.md docs; do
        [ -e "$work/$link" ] || [ -L "$work/$link" ] || ln -s "$ROOT/$link" "$work/$link"
    done
}

run_tests() {
    say "1/5 formatting (cargo fmt --check)"
    cargo fmt --all -- --check
    say "2/5 lints (cargo clippy -D warnings)"
    cargo clippy --workspace --all-targets --quiet -- -D warnings
    say "3/5 helper crate tests (unit, integration, doc) and its docs"
    cargo test --workspace
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
    say "4/5 benchmark figures (printed, not gated), a small room rehearsal (a hub, 1 then 2 learners), the image's build rehearsal"
    cargo run --release --quiet -p lab-benchmarks --bin record_cost
    cargo run --release --quiet -p lab-benchmarks --bin explore_cost
    setup_hub  # also what the setup test checks: `setup hub`, as the image runs it
    if [ "$(uname -s)" = Linux ] && command -v npm >/dev/null; then
        setup_proxy
        "$VENV/bin/python" -m tools.room.rehearse --learners 1,2
    else
        say "skipped the room rehearsal: it needs Linux (it reads /proc) and npm (JupyterHub's proxy)"
    fi
    # The Dockerfile followed on this machine as a fresh user with an empty home (no container
    # engine here): its build, then its CMD checked end to end. Says why when it cannot run.
    "$VENV/bin/python" -m tools.image.rehearse_build
    say "5/5 the kernel launcher, the setup, JupyterLab started every documented way, then every notebook checked and run top to bottom in the rust kernel"
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
        # Our defaults, each only where the user's own arguments do not set it (JupyterLab
        # refuses an option given twice, e.g. the image's --ServerApp.ip=0.0.0.0): the
        # repository as the root (so notebooks can link to ../README.md), the browser opened
        # in notebooks/, and 127.0.0.1 only.
        sets "$@" -- ServerApp.root_dir notebook-dir ServerApp.notebook_dir \
            || extra+=(--ServerApp.root_dir="$ROOT")
        sets "$@" -- LabApp.default_url ServerApp.default_url \
            || extra+=(--LabApp.default_url=/lab/tree/notebooks)
        sets "$@" -- ip ServerApp.ip || extra+=(--ServerApp.ip=127.0.0.1)
        say "opening JupyterLab on notebooks/, with token login (Ctrl-C twice to stop)"
        exec "$VENV/bin/jupyter" lab ${extra[@]+"${extra[@]}"} "$@"
        ;;
    singleuser)
        # The hub's command for each learner (docs/instructor.md); the image is set up already.
        shift
        [ -x "$VENV/bin/jupyterhub-singleuser" ] \
            || die "jupyterhub-singleuser is not installed: run ./lab.sh setup hub first (the image's build does)"
        work="${LAB_WORK_DIR:-$ROOT/work}"
        prepare_work "$work"
        extra=()
        sets "$@" -- ServerApp.root_dir notebook-dir ServerApp.notebook_dir \
            || extra+=(--ServerApp.root_dir="$work")
        exec "$VENV/bin/jupyterhub-singleuser" ${extra[@]+"${extra[@]}"} "$@"
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
        "$VENV/bin/python" -m tools.nbtool site --execute "$ROOT/site"
        say "open site/index.html"
        ;;
    rehearse)
        shift
        case " $* " in
            *" -h "* | *" --help "*)
                # Help without installing anything (the script's help needs only Python).
                exec python3 -m tools.room.rehearse --help ;;
            *" --hub-url "* | *" --hub-url="*)
                # An existing hub: no local hub, proxy or kernel to install, only the Python
                # environment the script runs in.
                setup_python
                exec "$VENV/bin/python" -m tools.room.rehearse "$@" ;;
        esac
        setup
        setup_hub
        setup_proxy
        exec "$VENV/bin/python" -m tools.room.rehearse "$@"
        ;;
    *)
        echo "usage: ./lab.sh start | test | setup [hub] | site | rehearse [--help] | singleuser" >&2
        exit 2
        ;;
esac
