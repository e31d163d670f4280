"""pytest setup for the notebook tests: tools/ on the import path, and a closing table
of how long each notebook and cell took (also saved in reports/notebook-timings.json)."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_terminal_summary(terminalreporter):
    import nbtool

    report = nbtool.ROOT / "reports" / "notebook-timings.json"
    if not report.exists():
        return
    data = json.loads(report.read_text())
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
    import nbtool

    (nbtool.ROOT / "reports" / "notebook-timings.json").unlink(missing_ok=True)
