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

import contextlib
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
PAGE_BUDGET = 2.5 * 1024 * 1024  # DESIGN.md: a chapter page, with everything it loads, <= 2.5 MB uncompressed
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
def playwright():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium) or set $CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
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


def offline_page(browser, width: int = 1280, height: int = 900, scale: float = 1):
    """A new page that refuses and records every request to another host, and records local 4xx/5xx,
    console errors and the bytes of every response."""
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
    page = context.new_page()
    page.external_requests, page.failed_local, page.console_errors, page.loaded = [], [], [], {}
    page.on("console", lambda m: m.type in ("error", "warning") and page.console_errors.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda err: page.console_errors.append(f"page error: {err}"))

    def record(response):
        with contextlib.suppress(Exception):  # a body the browser dropped (a redirect, an aborted load)
            page.loaded[response.url] = len(response.body())

    page.on("response", record)
    page.on("close", lambda _: context.close())

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

    # the first scrubber: a <select> of functions and a range slider of the leaky slope
    scrubber = page.locator(".dls-explore").first
    image = scrubber.locator("img.dls-explore-frame")
    slider = scrubber.locator('input[type="range"]').first
    output = scrubber.locator("output").first
    src0 = image.get_attribute("src")
    scrubber.locator("select").select_option(label="leaky_relu")
    src1, label1 = image.get_attribute("src"), output.inner_text()
    assert src1 != src0, "choosing another function did not change the figure"
    slider.focus()
    page.keyboard.press("ArrowRight")  # a reader's key press, not a scripted value
    src2, label2 = image.get_attribute("src"), output.inner_text()
    assert src2 not in (src0, src1), "moving the slider did not change the figure"
    assert label2 != label1, "the slider's readout did not follow"
    assert "leaky_relu" in image.get_attribute("alt")  # the alt text follows the frame
    # every frame the scrubber can show is an image file of the site, loaded when shown
    assert src2.startswith("../_images/explore/")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
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


def site_pages() -> list[str]:
    """Every page of the site, relative to its root."""
    return sorted(
        p.relative_to(HTML).as_posix()
        for p in HTML.rglob("*.html")
        if "_static" not in p.relative_to(HTML).parts and p.name not in ("search.html", "genindex.html")
    )


def chapter_pages() -> list[str]:
    """The chapter pages of both editions (English at the root, 中文 under zh/)."""
    return [p for p in site_pages() if p.startswith(("chapters/", "zh/chapters/"))]


def load_completely(page, url: str) -> None:
    """Open ``url`` as a reader does: wait for MathJax, then scroll to the end so lazy figures load too."""
    page.goto(url, wait_until="load")
    ready = "window.MathJax && MathJax.startup && MathJax.startup.promise"
    page.wait_for_function(f"() => !document.querySelector('script[src*=mathjax]') || ({ready})")
    page.evaluate("window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height + 900, 600):
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(30)
    page.wait_for_load_state("networkidle")


@pytest.mark.browser
def test_every_page_loads_without_console_errors_or_other_hosts(browser, site_url):
    pages = site_pages()
    assert len(pages) >= 8
    problems = []
    for name in pages:
        page = offline_page(browser)
        load_completely(page, f"{site_url}/{name}")
        problems += [f"{name}: {e}" for e in page.console_errors]
        problems += [f"{name}: request to another host {u}" for u in page.external_requests]
        problems += [f"{name}: {f}" for f in page.failed_local]
        page.close()
    assert not problems, "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize(
    "name",
    [
        "chapters/01_activations.html",
        "chapters/04_numerical_gradient.html",
        "zh/chapters/01_activations.html",
        "zh/chapters/04_numerical_gradient.html",
    ],
)
def test_chapter_pages_stay_within_the_weight_budget(browser, site_url, name):
    """The HTML and everything it loads, fonts and the figures a reader scrolls past included, uncompressed."""
    for name_ in chapter_pages():
        assert (HTML / name_).is_file()
    page = offline_page(browser)
    load_completely(page, f"{site_url}/{name}")
    total = sum(page.loaded.values())
    biggest = sorted(((size, url.replace(site_url, "")) for url, size in page.loaded.items()), reverse=True)[:5]
    page.close()
    assert total <= PAGE_BUDGET, f"{name}: {total / 1e6:.2f} MB loaded; the largest: {biggest}"


@pytest.mark.browser
def test_every_chapter_page_stays_within_the_weight_budget(browser, site_url):
    weights = {}
    for name in chapter_pages():
        page = offline_page(browser)
        load_completely(page, f"{site_url}/{name}")
        weights[name] = sum(page.loaded.values())
        page.close()
    assert weights
    over = {k: f"{v / 1e6:.2f} MB" for k, v in weights.items() if v > PAGE_BUDGET}
    assert not over, f"over {PAGE_BUDGET / 1e6:.1f} MB: {over}"


#: per edition: (path prefix, chapter 2's title in the contents, a section of chapter 2)
NAVIGATION = {"en": ("", "Softmax", "Temperature"), "zh": ("zh/", "softmax 与数值稳定性", "温度")}


@pytest.mark.browser
@pytest.mark.parametrize("edition", sorted(NAVIGATION))
@pytest.mark.parametrize("width", [390, 800])
def test_phone_and_tablet_readers_can_open_the_contents(browser, site_url, width, edition):
    """pydata-sphinx-theme#2451: below desktop width the theme's sidebar buttons did nothing."""
    prefix, chapter_2, section = NAVIGATION[edition]
    page = offline_page(browser, width=width, height=844, scale=2)
    page.goto(f"{site_url}/{prefix}chapters/01_activations.html", wait_until="load")
    toggle = page.locator(".primary-toggle:visible")
    assert toggle.count() == 1
    toggle.click()
    drawer = page.locator("#pst-primary-sidebar-modal[open]")
    drawer.wait_for(timeout=5_000)
    page.screenshot(path=str(ROOT / "_build" / f"browser-nav-{width}-{edition}.png"))
    drawer.locator("a", has_text=chapter_2).first.click()
    page.wait_for_url(f"**/{prefix}chapters/02_softmax.html")
    # the page's own contents ("On this page") open the same way
    page.locator(".secondary-toggle:visible").click()
    contents = page.locator("#pst-secondary-sidebar-modal[open]")
    contents.wait_for(timeout=5_000)
    link = contents.locator("a", has_text=section).first
    link.click()
    page.wait_for_function("location.hash.length > 1")
    assert page.console_errors == []
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_the_language_switch_leads_to_the_same_page_and_back(browser, site_url, width):
    """English <-> 中文 from the article header, at desktop and at phone width, keeping the page."""
    page = offline_page(browser, width=width, height=844)
    page.goto(f"{site_url}/chapters/05_backprop.html", wait_until="load")
    switch = page.locator("a.dls-language-switch:visible")
    assert switch.count() == 1
    assert switch.inner_text().strip() == "中文"
    switch.click()
    page.wait_for_url("**/zh/chapters/05_backprop.html")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert "误差反向传播" in page.locator("h1").first.inner_text()
    page.screenshot(path=str(ROOT / "_build" / f"browser-zh-05-{width}.png"))
    back = page.locator("a.dls-language-switch:visible")
    assert back.inner_text().strip() == "English"
    back.click()
    page.wait_for_url("**/chapters/05_backprop.html")
    assert "/zh/" not in page.url
    assert page.locator("h1").first.inner_text().strip().endswith("Backpropagation")
    assert page.console_errors == []
    assert page.external_requests == []
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize(("prefix", "query"), [("", "vanishing gradient"), ("zh/", "梯度消失")])
def test_search_finds_a_chapter_offline_in_both_editions(browser, site_url, prefix, query):
    """Sphinx's search page with the edition's own index (the Chinese one segmented with jieba at build time)."""
    page = offline_page(browser)
    page.goto(f"{site_url}/{prefix}search.html?q={query}", wait_until="load")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=20_000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any("01_activations" in href for href in hrefs), hrefs
    assert page.console_errors == []
    assert page.external_requests == []
    page.close()


@pytest.mark.browser
def test_at_desktop_width_the_sidebar_button_collapses_the_sidebar(browser, site_url):
    page = offline_page(browser)
    page.goto(f"{site_url}/chapters/01_activations.html", wait_until="load")
    assert page.locator("#pst-primary-sidebar").is_visible()
    # one search box (the sidebar's), and no empty bar above the article
    assert page.locator(".search-button-field:visible").count() == 1
    assert not page.locator("#pst-header").is_visible()
    page.locator(".primary-toggle:visible").click()
    page.wait_for_function("document.querySelector('#pst-primary-sidebar').classList.contains('pst-sidebar-hidden')")
    assert page.locator("dialog[open]").count() == 0
    page.close()


@pytest.fixture(scope="module")
def browser_without_cjk_fonts(playwright, tmp_path_factory):
    """Chromium on a machine whose only fonts are DejaVu: no CJK font at all (a minimal Linux)."""
    folder = tmp_path_factory.mktemp("fontconfig")
    fonts = [d for d in ("/usr/share/fonts/truetype/dejavu",) if Path(d).is_dir()]
    (folder / "fonts.conf").write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        + "".join(f"<dir>{d}</dir>" for d in fonts)
        + f"<cachedir>{folder / 'cache'}</cachedir></fontconfig>"
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(folder / "fonts.conf")}
    b = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env)
    yield b
    b.close()


@pytest.mark.browser
def test_chinese_renders_with_the_sites_font_on_a_machine_without_cjk_fonts(browser_without_cjk_fonts, site_url):
    page = offline_page(browser_without_cjk_fonts)
    page.goto(f"{site_url}/book/glossary.html", wait_until="networkidle")
    page.evaluate("document.fonts.ready")
    assert any(url.endswith("_static/fonts/dls-cjk.woff2") for url in page.loaded), "the site's CJK font was not loaded"
    # every 中文 glyph of the page differs from the missing-glyph box: draw each once in the page's font and
    # compare it with a character no font of this machine has
    same_as_tofu = page.evaluate(
        r"""() => {
        const text = document.querySelector('main').innerText;
        const chars = [...new Set(text.match(/[\u4e00-\u9fff]/g))];
        const family = getComputedStyle(document.querySelector('main p')).fontFamily;
        const canvas = document.createElement('canvas'); canvas.width = 40; canvas.height = 40;
        const ctx = canvas.getContext('2d', {willReadFrequently: true});
        const draw = (c) => { ctx.clearRect(0, 0, 40, 40); ctx.font = `32px ${family}`; ctx.fillText(c, 2, 34);
                              return ctx.getImageData(0, 0, 40, 40).data.join(','); };
        const tofu = draw('\u{2F800}');  // a CJK compatibility ideograph that the subset does not have
        return {n: chars.length, same: chars.filter(c => draw(c) === tofu)};
    }"""
    )
    assert same_as_tofu["n"] > 50, same_as_tofu
    assert same_as_tofu["same"] == [], f"drawn as empty boxes: {same_as_tofu['same']}"
    page.screenshot(path=str(ROOT / "_build" / "browser-glossary-no-cjk-fonts.png"))
    # the sidebar's 中文 too (it is bold: the browser emboldens the regular face)
    glossary_link = page.locator(".bd-sidenav a", has_text="Glossary")
    assert "中文" in glossary_link.inner_text()
    assert page.console_errors == []
    page.close()


@pytest.mark.browser
def test_a_chinese_chapter_renders_with_its_own_font_cut_on_a_machine_without_cjk_fonts(
    browser_without_cjk_fonts, site_url
):
    """A Chinese page loads the Chinese edition's cut (dls-cjk-zh.woff2) and no other, and no glyph is a box."""
    page = offline_page(browser_without_cjk_fonts, width=390, height=844, scale=2)
    page.goto(f"{site_url}/zh/chapters/11_pooling.html", wait_until="networkidle")
    page.evaluate("document.fonts.ready")
    fonts = sorted(url.rsplit("/", 1)[-1] for url in page.loaded if "/fonts/dls-cjk" in url)
    assert fonts == ["dls-cjk-zh.woff2"], fonts
    result = page.evaluate(
        r"""() => {
        const text = document.querySelector('main').innerText + document.querySelector('.bd-sidebar-primary').innerText;
        const chars = [...new Set(text.match(/[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]/g))];
        const family = getComputedStyle(document.querySelector('main p')).fontFamily;
        const canvas = document.createElement('canvas'); canvas.width = 40; canvas.height = 40;
        const ctx = canvas.getContext('2d', {willReadFrequently: true});
        const draw = (c) => { ctx.clearRect(0, 0, 40, 40); ctx.font = `32px ${family}`; ctx.fillText(c, 2, 34);
                              return ctx.getImageData(0, 0, 40, 40).data.join(','); };
        const tofu = draw('\u{2F800}');
        return {n: chars.length, same: chars.filter(c => draw(c) === tofu)};
    }"""
    )
    assert result["n"] > 400, result["n"]
    assert result["same"] == [], f"drawn as empty boxes: {result['same']}"
    page.screenshot(path=str(ROOT / "_build" / "browser-zh-11-no-cjk-fonts-390.png"))
    assert page.console_errors == []
    page.close()


#: A chapter-style figure, in the default mode (live widget plus static scrubber), as a notebook.
LIVE_NOTEBOOK = nbformat.v4.new_notebook(
    cells=[
        nbformat.v4.new_code_cell(
            "from dlscratch.plots.activations import plot_activation\n"
            "from dlscratch.widgets import Choice, Slider, explore\n\n"
            "explore(\n"
            "    plot_activation,\n"
            '    alt="an activation function and its derivative",\n'
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
            proc.wait(timeout=20)


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
    assert "needs a non-linear" in goals.inner_text()
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


def put_setting(base: str, token: str, plugin: str, raw: str) -> None:
    request = urllib.request.Request(
        f"{base}/lab/api/settings/{plugin}?token={token}",
        data=json.dumps({"raw": raw}).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status in (200, 204)


@pytest.mark.browser
def test_lab_speaks_chinese_when_the_reader_picks_it(browser, lab_server):
    """jupyterlab-language-pack-zh-CN (the lab extra): Settings → Language → 中文 turns Lab's own menus Chinese."""
    base, token = lab_server
    languages = get_json(f"{base}/lab/api/translations?token={token}")["data"]
    assert "zh_CN" in languages, sorted(languages)
    plugin = "@jupyterlab/translation-extension:plugin"
    put_setting(base, token, plugin, '{"locale": "zh_CN"}')  # what the Settings → Language menu stores
    try:
        page = offline_page(browser)
        page.goto(f"{base}/lab/workspaces/zh/tree/01_activations.md?reset&token={token}", wait_until="domcontentloaded")
        menu = page.locator("#jp-MainMenu")
        menu.wait_for(timeout=60_000)
        page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="文件").wait_for(timeout=30_000)
        labels = [label.strip() for label in menu.locator(".lm-MenuBar-itemLabel").all_inner_texts()]
        assert labels[:5] == ["文件", "编辑", "查看", "运行", "内核"], labels
        page.locator(".jp-NotebookPanel:visible .jp-Cell").first.wait_for(timeout=60_000)
        page.screenshot(path=str(ROOT / "_build" / "browser-lab-zh.png"))
        assert page.external_requests == []
        page.close()
    finally:
        put_setting(base, token, plugin, '{"locale": "en"}')
