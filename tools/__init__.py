"""The project's Python tooling, one package. Run its commands from the repository's root
(`python -m tools.nbtool ...`; ./lab.sh does); its tests with `python -m pytest tools`.

    series.py        the notebooks of the series: paths, cell tags, time budgets, exercises
    evcxr.py         the panic check: evcxr reports a panicking cell as a success
    execute.py       a notebook run in the rust kernel (nbclient, a timeout per cell, timings)
    nbtool.py        strip, setup, nav, figures, site, budget: the command for notebook editors
    start_check.py   JupyterLab started as a route does, checked end to end
    kernel/          launcher.py (run by path by the `rust` kernelspec: standard library only,
                     imports nothing from here), install.py (registers it, warms a slot)
    image/           rehearse_build.py: the Dockerfile followed without a container engine
    room/            the room rehearsal (python -m tools.room.rehearse)
    jupyter/         the project's Jupyter settings (copied into .venv/etc/jupyter by ./lab.sh)
    test_*.py        the tests; conftest.py prints the notebooks' timings after them

Imports go one way: series and evcxr import nothing of the package, execute imports them,
nbtool imports execute; the tests import what they test.
"""
