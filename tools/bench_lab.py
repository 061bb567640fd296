"""Live redraws as a reader gets them: from a key press or a menu choice to the new image, in JupyterLab.

``make bench`` runs this after the kernel-side measurements of ``tools/bench.py``.
It starts JupyterLab as ``make lab`` does (reader configuration, a copy of
``chapters/``), opens each chapter in headless Chromium, runs it, and then, for
every slider of every live ``explore`` figure, presses ArrowRight (and later
ArrowLeft) a few times, and in every menu (a ``Choice`` control) picks the other
options one by one and then the first again. For each it records, in the page:

* ``input``: the ``keydown`` event's timestamp (a slider) or the ``change`` event's (a menu);
* ``image``: the ``load`` event of the widget's new image (decoded, ready to paint).

The difference is the end-to-end time a reader waits. The kernel's own share
(the updater, one Agg draw, the PNG) is measured in the kernel around
``Explorer.render_png``; the rest is the widget message in both directions and
the browser's work. Budget (DESIGN.md): median <= 150 ms.

Usage: ``python tools/bench_lab.py [CHAPTER.md ...]``; exits non-zero over budget.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BUDGET_MS = 150.0
PRESSES = 6  # per slider: 3 to the right, 3 back

#: in the page: stamp every key press on a slider and every load of a widget image
_INSTRUMENT = """() => {
  window.__dls = {keys: [], loads: []};
  document.addEventListener('keydown', e => window.__dls.keys.push(e.timeStamp), true);
  document.addEventListener('change', e => {
    if (e.target.tagName === 'SELECT') window.__dls.keys.push(e.timeStamp);
  }, true);
  document.addEventListener('load', e => {
    if (e.target.tagName === 'IMG' && e.target.closest('.jupyter-widgets')) window.__dls.loads.push(performance.now());
  }, true);
}"""

#: in the page: true once every code cell has run (each prompt shows its execution count, none "[*]:" or "[ ]:")
_ALL_RUN = r"""() => {
  const prompts = [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt')];
  return prompts.length > 0 && prompts.every(p => /\[\d+\]/.test(p.textContent));
}"""

#: in the kernel: time every render of every live figure
_KERNEL_TIMER = """
import time as _time
import dlscratch.widgets as _widgets
_widgets.__render_ms = []
_original_render = _widgets.Explorer.render_png
def _timed_render(self, **params):
    _start = _time.perf_counter()
    try:
        return _original_render(self, **params)
    finally:
        _widgets.__render_ms.append((_time.perf_counter() - _start) * 1e3)
_widgets.Explorer.render_png = _timed_render
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_lab(home: Path) -> tuple[subprocess.Popen, str, str]:
    jupyter = Path(sys.executable).with_name("jupyter")
    # every cell rendered (JupyterLab draws only the visible ones by default): every slider can be found
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    token, port = secrets.token_hex(16), _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DLSCRATCH_EXPLORE"}
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_CONFIG_PATH=str(ROOT / "tools" / "lab-reader-config"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
    )
    proc = subprocess.Popen(
        [
            str(jupyter),
            "lab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=home / "chapters",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                return proc, base, token
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("JupyterLab did not start within 90 s") from None
            time.sleep(0.5)


def measure_chapter(browser, base: str, token: str, name: str) -> tuple[list[float], list[float], str]:
    """End-to-end and kernel times (ms) of every slider press and menu choice of the chapter's live figures."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    workspace = "bench-" + name.split(".")[0]
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{name}?reset&token={token}", wait_until="domcontentloaded")
    notebook = page.locator(".jp-NotebookPanel:visible")
    notebook.locator(".jp-CodeCell").first.wait_for(timeout=90_000)
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=90_000)
    # the kernel timer goes in a new first cell, then the whole chapter runs, as "Run All Cells" does
    notebook.locator(".jp-CodeCell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Home")
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(_KERNEL_TIMER)
    page.keyboard.press("Escape")
    page.locator("li.lm-MenuBar-item", has_text="Run").click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
    # done when every code cell has run: each prompt shows its execution count, none "[*]:" or "[ ]:"
    # (the kernel's "Idle" alone can show between two cells of the queue)
    try:
        page.wait_for_function(_ALL_RUN, timeout=300_000)
    except Exception as error:
        prompts = page.evaluate(
            "[...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell "
            ".jp-InputArea-prompt')].map(p => p.textContent)"
        )
        raise SystemExit(f"{name}: the chapter did not finish running in 300 s; prompts: {prompts}") from error
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=60_000)
    page.evaluate(_INSTRUMENT)
    sliders = notebook.locator(
        ".jupyter-widgets .widget-slider .noUi-handle, .jupyter-widgets .widget-slider [role='slider']"
    )
    n_sliders = sliders.count()
    end_to_end = []
    for i in range(n_sliders):
        slider = sliders.nth(i)
        slider.scroll_into_view_if_needed()
        for k in range(PRESSES):
            before = page.evaluate("window.__dls.loads.length")
            slider.focus()
            page.keyboard.press("ArrowRight" if k < PRESSES // 2 else "ArrowLeft")
            try:
                page.wait_for_function(f"window.__dls.loads.length > {before}", timeout=10_000)
            except Exception:  # a press at the end of a slider changes nothing: no new image
                continue
            page.wait_for_timeout(150)  # let the kernel go idle: presses one at a time, as a reader reads
            stamps = page.evaluate(
                "[window.__dls.keys[window.__dls.keys.length - 1], window.__dls.loads[window.__dls.loads.length - 1]]"
            )
            end_to_end.append(stamps[1] - stamps[0])
    # menus (Choice controls): pick each other option once, then the first again, as a reader compares them
    menus = notebook.locator(".jupyter-widgets .widget-dropdown select")
    found = f"{n_sliders} sliders, {menus.count()} menus"
    for i in range(menus.count()):
        menu = menus.nth(i)
        menu.scroll_into_view_if_needed()
        options = menu.locator("option").all_inner_texts()
        first = menu.evaluate("el => el.options[el.selectedIndex].text")
        for label in [*[o for o in options if o != first][: PRESSES - 1], first]:
            before = page.evaluate("window.__dls.loads.length")
            menu.select_option(label=label)
            try:
                page.wait_for_function(f"window.__dls.loads.length > {before}", timeout=10_000)
            except Exception:
                continue
            page.wait_for_timeout(150)
            stamps = page.evaluate(
                "[window.__dls.keys[window.__dls.keys.length - 1], window.__dls.loads[window.__dls.loads.length - 1]]"
            )
            end_to_end.append(stamps[1] - stamps[0])
    # read the kernel's render times back through a cell's output
    page.keyboard.press("Escape")
    page.keyboard.press("Control+End")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(
        "import json as _json, dlscratch.widgets as _w; print('RENDER_MS=' + _json.dumps(_w.__render_ms))"
    )
    page.keyboard.press("Shift+Enter")
    out = notebook.locator(".jp-OutputArea-output", has_text="RENDER_MS=").last
    out.wait_for(timeout=30_000)
    kernel = json.loads(out.inner_text().split("RENDER_MS=", 1)[1].strip())
    page.close()
    return end_to_end, kernel[-len(end_to_end) :] if end_to_end else [], found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", type=Path)
    args = parser.parse_args(argv)
    chapters = [c.resolve() for c in args.chapters] or sorted((ROOT / "chapters").glob("[0-9][0-9]_*.md"))
    if not Path(CHROMIUM).is_file():
        print(f"no Chromium at {CHROMIUM}: the end-to-end redraw was NOT measured (install chromium or set CHROMIUM)")
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        shutil.copytree(
            ROOT / "chapters", home / "chapters", ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints")
        )
        proc, base, token = _start_lab(home)
        all_times, missed = [], []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM,
                    headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
                )
                header = "input -> new image (ms): median / p90 / max   kernel render (ms): median"
                print(f"{'chapter':<28}{'inputs':>8}   {header}")
                for md in chapters:
                    times, kernel, found = measure_chapter(browser, base, token, md.name)
                    all_times += times
                    if not times:
                        print(f"{md.stem:<28}{0:>8}   NOT MEASURED: no input gave a new image ({found})")
                        missed.append(md.stem)
                    else:
                        p90 = sorted(times)[int(0.9 * (len(times) - 1))]
                        spread = f"{statistics.median(times):>6.0f} / {p90:>4.0f} / {max(times):>4.0f}"
                        print(f"{md.stem:<28}{len(times):>8}   {spread}   {statistics.median(kernel):>6.0f}")
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    if not all_times:
        print("no slider press produced a new image: nothing measured")
        return 1
    median = statistics.median(all_times)
    print(f"{'all chapters':<28}{len(all_times):>8}   {median:>6.0f} (median; budget {BUDGET_MS:.0f} ms)")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    if missed:
        print(f"not measured: {', '.join(missed)}")
    return 0 if median <= BUDGET_MS and not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
