"""The static site: the executed series as HTML, with every figure (issue 13).

Built from the executed copies that tools/test_notebooks.py keeps (it runs first: pytest
takes the files in name order), so CI builds the site without running anything twice.
"""
from __future__ import annotations

import os
import re

import nbformat
import pytest

from tools import nbtool, series
from tools.execute import EXECUTED


def test_the_site_has_every_notebook_and_every_figure(tmp_path):
    missing = [p.name for p in series.notebook_paths() if not (EXECUTED / p.name).exists()]
    if missing:
        message = f"no executed copies of {missing}: run pytest tools/test_notebooks.py first"
        if os.environ.get("LAB_SETUP_DONE"):  # inside ./lab.sh test the notebooks ran just before
            pytest.fail(message)
        pytest.skip(message)
    pages = nbtool.build_site(tmp_path, execute_first=False)
    assert (tmp_path / "index.html").exists()
    index = (tmp_path / "index.html").read_text()
    for stem, figures in pages:
        html = (tmp_path / f"{stem}.html").read_text()
        assert f'href="{stem}.html"' in index, f"{stem} is not on the index page"
        executed = nbformat.read(EXECUTED / f"{stem}.ipynb", as_version=4)
        assert figures == nbtool.images(executed)
        # nbconvert embeds each figure as an <img> whose src is the SVG as base64; our
        # charts all start `<svg width="100%"` (PHN2ZyB3aWR0aD0iMTAwJSI in base64).
        shown = html.count('src="data:image/svg+xml;base64,PHN2ZyB3aWR0aD0iMTAwJSI') + html.count('src="data:image/png')
        assert shown >= figures, f"{stem}: {figures} figures in the notebook, {shown} in the page"
        figures_shown = re.findall(r'<img\b[^>]*src="data:image/svg\+xml;base64,PHN2ZyB3aWR0aD0iMTAwJSI[^>]*>', html)
        blind = [img for img in figures_shown if 'alt="No description' in img or ' alt="' not in img]
        assert not blind, f"{stem}: {len(blind)} of {len(figures_shown)} figures have no alt text from their description"
        assert ".ipynb\"" not in html.replace("kernelspec", ""), f"{stem}: a link still points at a notebook"
