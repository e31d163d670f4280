# The workshop image: everything ./lab.sh setup installs, done at build time, so that a
# learner's first notebook opens in seconds (evcxr built, the helper crate and its
# dependencies compiled, the first build slot warm). All logic is in lab.sh; this file
# only provides Rust, Python and a C compiler, and runs it.
#
#   docker build -t concurrency-notebooks .
#   docker run --rm -p 8888:8888 concurrency-notebooks     # then open the printed URL
#
# Behind JupyterHub (Zero to JupyterHub, DockerSpawner), set the spawner's cmd to
# /home/learner/concurrency-notebooks/lab.sh singleuser (not CMD, not a bare
# jupyterhub-singleuser): it makes the learner's work/ (the notebooks copied in on first
# start), then execs jupyterhub-singleuser, which `./lab.sh setup hub` installs. Mount the
# hub's persistent volume at /home/learner/concurrency-notebooks/work, not over
# /home/learner: the warm caches live in the image's home. docs/instructor.md has the config.
#
# The build takes about 10 minutes on 2 cores (7 of them building evcxr_jupyter).
FROM rust:1.95-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv build-essential \
    && rm -rf /var/lib/apt/lists/*

# A plain user: JupyterLab refuses to run as root without --allow-root, and cargo's
# installs and the build slots go under this user's home.
RUN useradd --create-home learner
USER learner
ENV CARGO_HOME=/home/learner/.cargo \
    PATH=/home/learner/concurrency-notebooks/.venv/bin:/home/learner/.cargo/bin:/usr/local/cargo/bin:$PATH
WORKDIR /home/learner/concurrency-notebooks
COPY --chown=learner . .
# work/: where a hub mounts each learner's persistent volume (made here, so it is the
# learner's and visible in JupyterLab; docs/instructor.md).
RUN ./lab.sh setup hub && mkdir -p work

EXPOSE 8888
# lab.sh start binds 127.0.0.1; inside a container the port must be reachable from the host.
CMD ["./lab.sh", "start", "--ServerApp.ip=0.0.0.0", "--no-browser"]
