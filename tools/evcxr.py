"""What the `rust` kernel (evcxr_jupyter) reports in a way a kernel's status does not say.

evcxr answers a cell that panicked with status "ok" and prints the panic to stderr, so a
plain `nbconvert --execute` passes a broken notebook. Every tool that runs cells (the
notebook tests, `nbtool`, the kernel's warm-up, the start-route check, the room rehearsal,
the benchmarks) asks `panic_in` about the text a cell printed.

Standard library only: the room rehearsal's `--help` runs with any Python.
"""
from __future__ import annotations

PANIC_MARK = "panicked at"  # Rust's panic message: "thread 'x' panicked at src/lib.rs:1:1:\nboom"


def panic_in(text: str) -> str | None:
    """The panic in what a cell printed, in one line (where, then its message), or None."""
    if PANIC_MARK not in text:
        return None
    line = next(line for line in text.splitlines() if PANIC_MARK in line)
    message = text.split(line, 1)[1].strip().splitlines()[:1]
    return " ".join([line.strip(), *message])
