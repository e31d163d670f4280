"""pytest setup for the tools' tests: a closing table of how long each notebook and cell
took (also saved in reports/notebook-timings.json, by tools/test_notebooks.py)."""
import json

from tools.execute import TIMINGS


def pytest_terminal_summary(terminalreporter):
    if not TIMINGS.exists():
        return
    data = json.loads(TIMINGS.read_text())
    terminalreporter.section("notebook timings (seconds)")
    for name, t in data.items():
        cells = t["cells"]
        setup = cells[0]["seconds"] if cells else 0
        rest = [c["seconds"] for c in cells[1:]]
        median = sorted(rest)[len(rest) // 2] if rest else 0
        terminalreporter.write_line(
            f"{name:<28} kernel {t['kernel_ready_s']:>5.1f}  setup cell {setup:>6.1f}  "
            f"other cells: median {median:>5.2f}, max {max(rest, default=0):>5.2f}  total {t['total_s']:>6.1f}"
        )


def pytest_sessionstart(session):
    # Timings describe this run only.
    TIMINGS.unlink(missing_ok=True)
