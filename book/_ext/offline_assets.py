"""Serve MathJax from the site itself, so that no page loads anything from another host.

MathJax 3 comes from the pip package ``django-static-mathjax`` (pinned in
constraints.txt; it has no dependencies). At build time this extension copies
the CommonHTML build, its fonts and its TeX extensions into
``_build/html/_static/mathjax``; ``_config.yml`` sets ``mathjax_path`` to it.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

from sphinx.application import Sphinx

# What tex-chtml.js loads on demand; the other combined builds (svg, mml) are left out.
_KEEP = ("tex-chtml.js", "output/chtml", "input/tex/extensions", "a11y", "ui", "sre", "adaptors")


def _copy_mathjax(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    source = Path(str(files("mathjax") / "static" / "mathjax" / "es5"))
    if not (source / "tex-chtml.js").is_file():
        raise FileNotFoundError(f"MathJax not found at {source}: pip install -c constraints.txt django-static-mathjax")
    target = Path(app.outdir) / "_static" / "mathjax"
    for item in _KEEP:
        src = source / item
        if not src.exists():
            continue
        dst = target / item
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def _drop_widget_state(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Remove the saved ipywidgets state (~100 kB a page): the site shows explore()'s static scrubber."""
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [
            js
            for js in scripts
            if getattr(js, "attributes", {}).get("type") != "application/vnd.jupyter.widget-state+json"
        ]


def _check_config(app: Sphinx, config) -> None:
    if "://" in config.mathjax_path:
        raise ValueError(f"mathjax_path must be a local path under _static, got {config.mathjax_path!r}")


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", _check_config)
    app.connect("builder-inited", _copy_mathjax)
    app.connect("html-page-context", _drop_widget_state)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
