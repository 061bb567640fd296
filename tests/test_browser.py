"""Real-browser checks in headless Debian Chromium, with the network off.

* The chapter 1 page of the built site: its math is typeset by the site's own
  MathJax, moving a scrubber changes the figure, and the page asks no other host
  for anything (every such request is recorded and refused).
* ``make lab``'s set-up: JupyterLab opens a chapter's ``.md`` as a notebook, shows
  no nbgrader instructor UI, keeps the exercises' solutions collapsed, and closes an
  untouched chapter without asking to save it.

Needs ``/usr/bin/chromium`` (Debian package ``chromium``; ``.ci/run`` installs it).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
READER_CONFIG = ROOT / "tools" / "lab-reader-config"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # network off: every host name but the loopback fails to resolve
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium) or set $CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site_url():
    if not (HTML / "chapters" / "01_activations.html").is_file():
        pytest.fail("no built site in _build/html: run `make book` first")
    handler = functools.partial(QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def offline_page(browser):
    """A new page that refuses and records every request to another host, and records local 4xx/5xx."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.external_requests, page.failed_local = [], []

    def route(r):
        if urlparse(r.request.url).hostname in LOCAL_HOSTS or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            page.external_requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("response", lambda resp: resp.status >= 400 and page.failed_local.append(f"{resp.status} {resp.url}"))
    return page


@pytest.mark.browser
def test_chapter_1_math_and_scrubber_work_offline(browser, site_url):
    page = offline_page(browser)
    page.goto(f"{site_url}/chapters/01_activations.html", wait_until="load")

    # MathJax (from _static/mathjax) typesets every formula
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000)
    page.evaluate("MathJax.startup.promise")
    n_math = page.locator("mjx-container").count()
    assert n_math > 40, f"only {n_math} typeset formulas"
    assert page.locator("mjx-merror").count() == 0, "MathJax reported a TeX error"
    assert page.locator("span.math, div.math").filter(has_not=page.locator("mjx-container")).count() == 0

    # the first scrubber: a <select> of functions and a range slider of x range
    scrubber = page.locator(".dls-explore").first
    image = scrubber.locator("img.dls-explore-frame")
    slider = scrubber.locator('input[type="range"]').first
    output = scrubber.locator("output").first
    src0, label0 = image.get_attribute("src"), output.inner_text()
    slider.focus()
    page.keyboard.press("ArrowRight")  # a reader's key press, not a scripted value
    src1, label1 = image.get_attribute("src"), output.inner_text()
    assert src1 != src0, "moving the slider did not change the figure"
    assert label1 != label0, "the slider's readout did not follow"
    scrubber.locator("select").select_option(label="relu")
    src2 = image.get_attribute("src")
    assert src2 not in (src0, src1), "choosing another function did not change the figure"
    # every frame the scrubber can show is an embedded image: nothing to fetch
    assert src2.startswith("data:image/png;base64,")
    page.screenshot(path=str(ROOT / "_build" / "browser-chapter-01.png"), full_page=False)

    assert page.external_requests == [], f"requests to other hosts: {page.external_requests}"
    assert page.failed_local == [], f"missing local files: {page.failed_local}"
    page.close()


@pytest.mark.browser
def test_chapter_1_solutions_wait_behind_their_toggles(browser, site_url):
    """A reader of the website sees the exercises, not their solutions, until a click on "Solution"."""
    page = offline_page(browser)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{site_url}/chapters/01_activations.html", wait_until="load")
    toggles = page.locator("details.hide.above-input")
    assert toggles.count() == 3
    code = toggles.first.locator("pre")
    assert not code.is_visible()
    summary = toggles.first.locator("summary")
    assert summary.inner_text().strip() == "Solution"
    summary.scroll_into_view_if_needed()
    summary.click()
    code.wait_for(state="visible", timeout=5_000)
    assert "np.log1p" in code.inner_text()
    assert summary.inner_text().strip() == "Hide the solution"
    # the written answer: sphinx-togglebutton collapses the "Solution" dropdown
    answer = page.locator("div.dropdown.admonition", has_text="With weights of size 10")
    body = answer.locator("p", has_text="With weights of size 10")
    assert not body.is_visible()
    answer.locator(".admonition-title").click()
    body.wait_for(state="visible", timeout=5_000)
    page.screenshot(path=str(ROOT / "_build" / "browser-chapter-01-solution.png"))
    text = page.locator("main").inner_text()
    assert "BEGIN SOLUTION" not in text
    assert "HIDDEN TESTS" not in text
    assert page.external_requests == [], f"requests to other hosts: {page.external_requests}"
    page.close()


#: A chapter-style figure, in the default mode (live widget plus static scrubber), as a notebook.
LIVE_NOTEBOOK = nbformat.v4.new_notebook(
    cells=[
        nbformat.v4.new_code_cell(
            "from dlscratch.plots.activations import plot_activation\n"
            "from dlscratch.widgets import Choice, Slider, explore\n\n"
            "explore(\n"
            "    plot_activation,\n"
            '    name=Choice(["sigmoid", "tanh", "relu"], label="function"),\n'
            '    x_max=Slider(2.0, 12.0, step=1.0, value=6.0, label="x range"),\n'
            ")"
        )
    ],
    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
)


@pytest.fixture(scope="module")
def lab_server():
    jupyter = Path(sys.executable).with_name("jupyter")
    overrides = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    if not overrides.is_file():
        pytest.fail(f"{overrides} is missing: `make lab` / `make install` writes it")
    token, port = secrets.token_hex(16), free_port()
    home = ROOT / "_build" / "lab-home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    # `make lab` serves chapters/ as it is; the test adds one scratch notebook, so it serves a copy
    root = home / "chapters"
    shutil.copytree(ROOT / "chapters", root, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    nbformat.write(LIVE_NOTEBOOK, root / "live_widget.ipynb")
    env = {k: v for k, v in os.environ.items() if k != "DLSCRATCH_EXPLORE"}  # figures as a reader gets them
    env = {
        **env,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        # as `make lab` starts it: tools/lab-reader-config switches nbgrader's instructor UI off
        "JUPYTER_CONFIG_PATH": str(READER_CONFIG),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
    }
    proc = subprocess.Popen(
        [
            str(jupyter),
            "lab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            "--ServerApp.open_browser=False",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start within 60 s")
                time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=20) as response:
        return json.load(response)


@pytest.mark.lab
def test_lab_serves_chapters_as_notebooks(lab_server):
    base, token = lab_server
    settings = get_json(f"{base}/lab/api/settings/@jupyterlab/docmanager-extension:plugin?token={token}")
    # overrides.json changes the schema's defaults (what a user without own settings gets)
    viewers = {
        **settings["schema"]["properties"]["defaultViewers"]["default"],
        **settings["settings"].get("defaultViewers", {}),
    }
    assert viewers.get("markdown") == "Jupytext Notebook", viewers
    model = get_json(f"{base}/api/contents/01_activations.md?type=notebook&content=1&token={token}")
    assert model["type"] == "notebook"
    code = [c["source"] for c in model["content"]["cells"] if c["cell_type"] == "code"]
    assert len(code) > 20
    assert any("from dlscratch import activations as act" in src for src in code)


@pytest.mark.lab
@pytest.mark.browser
def test_a_click_on_the_md_opens_a_notebook(browser, lab_server):
    base, token = lab_server
    page = offline_page(browser)
    page.goto(f"{base}/lab?token={token}", wait_until="domcontentloaded")
    item = page.locator(".jp-DirListing-item", has_text="01_activations.md")
    item.wait_for(timeout=60_000)
    item.dblclick()
    notebook = page.locator(".jp-NotebookPanel:visible")
    notebook.locator(".jp-CodeCell").first.wait_for(timeout=60_000)
    # a notebook, not the text editor; JupyterLab renders cells lazily, so look at the first ones
    notebook.locator("h1", has_text="Activation functions").wait_for(timeout=30_000)
    assert page.locator(".jp-FileEditor:visible").count() == 0
    assert notebook.locator(".jp-MarkdownCell").count() >= 1
    # jupyterlab-myst renders the chapter's MyST admonitions as boxes, not as ":::{admonition}" text
    goals = notebook.locator("aside.myst-admonition", has_text="Learning goals")
    goals.wait_for(timeout=30_000)
    assert "say why a neural network needs a non-linear" in goals.inner_text()
    assert ":::{admonition}" not in notebook.locator(".jp-MarkdownCell").first.inner_text()
    page.screenshot(path=str(ROOT / "_build" / "browser-lab.png"))
    page.close()


def page_config(base: str, token: str) -> dict:
    with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=20) as response:
        page = response.read().decode()
    blob = page.split('id="jupyter-config-data"', 1)[1].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(blob)


@pytest.mark.lab
def test_a_reader_sees_no_nbgrader_instructor_ui(lab_server):
    base, token = lab_server
    for route in ("formgrader", "assignments", "courses"):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{base}/{route}?token={token}", timeout=20)
        info.value.close()
        assert info.value.code == 404, route
    config = page_config(base, token)
    assert "@jupyter/nbgrader" in config["disabledExtensions"]
    assert "@jupyter/nbgrader" in [e["name"] for e in config["federated_extensions"]]  # installed, switched off


def test_make_lab_uses_the_reader_config():
    makefile = (ROOT / "Makefile").read_text()
    lab = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "tools/lab-reader-config" in lab
    assert json.loads((READER_CONFIG / "labconfig" / "page_config.json").read_text())["disabledExtensions"] == {
        "@jupyter/nbgrader": True
    }


@pytest.mark.lab
@pytest.mark.browser
def test_exercises_open_collapsed_and_an_untouched_chapter_closes_without_asking(browser, lab_server):
    """A self-study reader: the solutions wait collapsed, and closing the chapter asks nothing."""
    base, token = lab_server
    from chapter_cells import SOLUTION, read_chapter

    global SOLUTION_BODIES
    SOLUTION_BODIES = [
        SOLUTION.search(c.source).group(1) for c in read_chapter(ROOT / "chapters" / "01_activations.md").solution_cells
    ]
    page = offline_page(browser)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(
        f"{base}/lab/workspaces/exercises/tree/01_activations.md?reset&token={token}", wait_until="domcontentloaded"
    )
    notebook = page.locator(".jp-NotebookPanel:visible")
    notebook.locator(".jp-CodeCell").first.wait_for(timeout=60_000)
    # jump to the end, where the exercises are; JupyterLab renders cells lazily
    notebook.locator(".jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+End")
    heading = notebook.locator(".jp-MarkdownCell", has_text="Exercise 1 (softplus")
    heading.wait_for(timeout=30_000)
    heading.scroll_into_view_if_needed()
    # each coding or numeric exercise's solution cell shows a collapsed-input placeholder instead of its code
    for n, title in enumerate(["softplus", "the derivative of SiLU", "where the sigmoid becomes exactly 1"], 1):
        question = notebook.locator(".jp-MarkdownCell", has_text=f"Exercise {n} ({title}")
        question.scroll_into_view_if_needed()
        solution = question.locator("xpath=following-sibling::div[contains(@class, 'jp-CodeCell')][1]")
        solution.scroll_into_view_if_needed()
        solution.locator(".jp-InputPlaceholder").wait_for(timeout=30_000)
        shown = solution.inner_text()  # the placeholder previews the cell's first line, nothing more
        body = [line.strip() for line in SOLUTION_BODIES[n - 1].splitlines() if len(line.strip()) > 6]
        assert body
        assert not [line for line in body if line in shown], shown
        check_cell = solution.locator("xpath=following-sibling::div[contains(@class, 'jp-CodeCell')][1]")
        assert "check(" in check_cell.inner_text()  # the check cells stay visible
    # the written answer's model answer is a closed dropdown
    answer = notebook.locator("details", has_text="Solution").last
    answer.wait_for(timeout=30_000)
    assert answer.get_attribute("open") is None
    page.screenshot(path=str(ROOT / "_build" / "browser-lab-exercises.png"))
    # close the untouched chapter: no "save your work?" dialog
    page.wait_for_timeout(1500)
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="01_activations.md")
    assert "jp-mod-dirty" not in (tab.get_attribute("class") or "")
    tab.locator(".lm-TabBar-tabCloseIcon").click()
    page.wait_for_timeout(1500)
    assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()
    assert tab.count() == 0
    assert page.external_requests == [], f"requests to other hosts: {page.external_requests}"
    page.close()


@pytest.mark.lab
@pytest.mark.browser
def test_a_live_figure_redraws_when_the_reader_moves_its_slider(browser, lab_server):
    """The kernel, ipywidgets' front end and explore's live mode, together, as a reader uses them."""
    base, token = lab_server
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = offline_page(browser)
    # a workspace of its own, so that the tabs other tests opened are not restored next to it
    page.goto(f"{base}/lab/workspaces/live/tree/live_widget.ipynb?reset&token={token}", wait_until="domcontentloaded")
    notebook = page.locator(".jp-NotebookPanel:visible")
    notebook.locator(".jp-CodeCell").first.wait_for(timeout=60_000)
    # wait for the kernel, then run the cell with the toolbar's ▶ as a reader does
    page.locator(".jp-StatusBar-Widget", has_text="Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
    prompt = notebook.locator(".jp-InputPrompt").first
    for _ in range(3):  # a click before the kernel's session is fully connected is dropped; a reader clicks again
        notebook.locator(".jp-CodeCell").first.click()
        notebook.locator("jp-button[data-command='notebook:run-cell-and-select-next']").click()
        try:
            started = "el => el.textContent.trim() !== '[ ]:'"  # [*]: queued or running, [1]: done
            page.wait_for_function(started, arg=prompt.element_handle(), timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    image = notebook.locator(".jupyter-widgets img, .widget-image").first
    image.wait_for(timeout=60_000)
    # the widget view, not the static scrubber (both are in the output; JupyterLab shows the widget)
    assert notebook.locator(".dls-explore-frame:visible").count() == 0
    src0 = image.get_attribute("src")
    slider = notebook.locator(".widget-slider .noUi-handle, .widget-slider [role='slider']").first
    slider.focus()
    page.keyboard.press("ArrowRight")  # x range 6 -> 7: the kernel redraws and sends a new PNG
    page.wait_for_function("([el, old]) => el.getAttribute('src') !== old", arg=[image.element_handle(), src0])
    src1 = image.get_attribute("src")
    notebook.locator(".widget-dropdown select").first.select_option(label="relu")
    page.wait_for_function("([el, old]) => el.getAttribute('src') !== old", arg=[image.element_handle(), src1])
    readout = notebook.locator(".widget-readout").first.inner_text()
    assert readout.strip() in ("7", "7.0", "7.00"), readout
    page.screenshot(path=str(ROOT / "_build" / "browser-lab-live.png"))
    assert page.external_requests == [], f"requests to other hosts: {page.external_requests}"
    page.close()
