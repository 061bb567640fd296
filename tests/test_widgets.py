"""dlscratch.widgets.explore in its three modes: live widget, static scrubber, single render."""

from __future__ import annotations

import base64
import json
import re

import pytest

from dlscratch.plots.activations import plot_activation
from dlscratch.widgets import PIXEL_RATIO, Checkbox, Choice, Explorer, Slider, explore

PNG = b"\x89PNG\r\n\x1a\n"


def line_plot(fig, slope=1.0, kind="a", flag=False):
    ax = fig.subplots()
    ax.plot([0, 1], [0, slope], "o-" if flag else "-")
    ax.set_title(f"{kind} {slope:g}")


def make(mode, **kw):
    return explore(
        line_plot,
        alt="a test figure with its controls",
        slope=Slider(0.0, 2.0, step=0.5, value=1.0),
        kind=Choice(["a", "b"]),
        flag=Checkbox(False),
        mode=mode,
        **kw,
    )


def test_single_mode_is_one_png_and_nothing_else():
    bundle = make("single")._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "image/png"}
    assert base64.b64decode(bundle["image/png"]).startswith(PNG)


def test_mode_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DLSCRATCH_EXPLORE", "static")
    assert make(None).mode == "static"
    monkeypatch.setenv("DLSCRATCH_EXPLORE", "bogus")
    with pytest.raises(ValueError, match=r"mode must be one of .*'bogus'"):
        make(None)


def test_live_mode_redraws_when_a_control_moves():
    ex = make("live")
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "text/html" not in bundle
    first = ex.image_png
    assert first.startswith(PNG)
    ex.update(slope=2.0)
    second = ex.image_png
    assert second != first
    assert second == ex.render_png(slope=2.0)  # the widget shows exactly the figure for the new value
    ex.update(kind="b", flag=True)
    assert ex.image_png == ex.render_png(slope=2.0, kind="b", flag=True)
    with pytest.raises(ValueError, match="unknown parameter 'nope'"):
        ex.update(nope=1)


def test_live_widget_controls_match_the_specs():
    import ipywidgets as w

    ex = explore(
        line_plot,
        alt="a test figure with its controls",
        slope=Slider(0, 10, step=2, value=4),
        kind=["a", "b"],
        flag=True,
        mode="live",
    )
    _, _, controls = ex._build_live()
    assert isinstance(controls["slope"], w.IntSlider)
    assert controls["slope"].value == 4
    assert isinstance(controls["kind"], w.Dropdown)
    assert controls["kind"].options == ("a", "b")
    assert isinstance(controls["flag"], w.Checkbox)
    assert controls["flag"].value is True
    # whole labels ("leaky slope α", not "leaky slop..."), and the image at its CSS size
    assert all(c.style.description_width == "initial" for c in controls.values())
    _, image, _ = ex._build_live()
    assert image.layout.width == "640px"


def test_explore_needs_an_alt_text():
    with pytest.raises(ValueError, match=r"explore needs alt='\.\.\.': a sentence saying what the figure shows"):
        explore(line_plot, slope=(0.0, 1.0), mode="single")
    with pytest.raises(ValueError, match="at least four words"):
        explore(line_plot, alt="a plot", slope=(0.0, 1.0), mode="single")


def test_the_layout_fits_the_widest_labels_of_every_state():
    """A frame whose tick labels are wider than the defaults' is laid out with room for them."""

    def wide_when_big(fig, scale=1.0):
        ax = fig.subplots()
        (line,) = ax.plot([0, 1], [0, 1])
        ax.yaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")  # 10,000,000: wide labels

        def update(scale=scale):
            line.set_data([0, 1], [0, scale])
            ax.set_ylim(0, scale)
            ax.set_ylabel("value")

        update(scale)
        return update

    ex = explore(
        wide_when_big, alt="a line whose height the slider sets", scale=Slider(1.0, 1e7, value=1.0), mode="static"
    )
    assert {1.0, 1e7} <= {p["scale"] for p in ex.layout_probes()}
    ex.render_png(scale=1e7)
    renderer = ex._fig.canvas.get_renderer()
    inside = ex._fig.bbox.padded(1)
    assert all(
        inside.contains(*corner)
        for corner in ex._fig.get_tightbbox(renderer).transformed(ex._fig.dpi_scale_trans).corners()
    )
    # only the defaults' layout (as in "single" mode) cuts the wide labels off
    single = explore(
        wide_when_big, alt="a line whose height the slider sets", scale=Slider(1.0, 1e7, value=1.0), mode="single"
    )
    single.render_png(scale=1e7)
    box = single._fig.get_tightbbox(single._fig.canvas.get_renderer()).transformed(single._fig.dpi_scale_trans)
    assert box.x0 < -1, "the test figure's labels should stick out without the fit"


def static_parts(html):
    data = json.loads(re.search(r'class="dls-explore-data">(.*?)</script>', html, re.S).group(1).replace("<\\/", "</"))
    return data


def test_static_mode_is_self_contained_and_has_every_frame():
    ex = make("static", static=("slope", "kind"))
    html = ex._repr_mimebundle_()["text/html"]
    data = static_parts(html)
    assert len(data["frames"]) == 5 * 2  # slope 0, .5, 1, 1.5, 2 x kind a, b
    assert data["labels"] == [["0", "0.5", "1", "1.5", "2"], ["a", "b"]]
    assert all(src.startswith("data:image/png;base64,") for src in data["frames"].values())
    assert len(set(data["frames"].values())) == 10  # every frame differs
    # the frame for (slope=2.0, kind=b) is exactly what the plot draws for those values
    key = "[4,1]"  # JSON.stringify([4, 1]) in the browser
    assert base64.b64decode(data["frames"][key].split(",", 1)[1]) == ex.render_png(slope=2.0, kind="b")
    # the first frame shown is the defaults, at its CSS size (each PNG has PIXEL_RATIO times the pixels)
    assert f'src="{data["frames"]["[2,0]"]}" width="640" height="272"' in html
    assert ex._fig.canvas.get_width_height() == (640 * PIXEL_RATIO, 272 * PIXEL_RATIO)
    # the alt text says what the figure shows and the values it is drawn for
    assert 'alt="a test figure with its controls (slope = 1, kind = a)"' in html
    assert data["alt"] == "a test figure with its controls"
    assert data["names"] == ["slope", "kind"]
    # each control sits with its label and its value
    assert html.count('class="dls-explore-control"') == 2
    assert re.search(r'<label for="(dls-explore-\w+-0)">slope</label><input id="\1" type="range".*?<output', html)
    assert 'type="range"' in html
    assert "<select" in html
    # no request to any host: no http(s) URL anywhere, no external script
    assert not re.search(r"https?://", html)
    assert "Static preview (flag = False)" in html


def test_auto_mode_carries_both_views():
    bundle = make("auto")._repr_mimebundle_()
    assert {"text/plain", "text/html", "application/vnd.jupyter.widget-view+json"} <= set(bundle)


def test_slider_static_values_include_the_default_and_snap_to_step():
    s = Slider(0.0, 1.0, step=0.1, value=0.35, frames=3)
    assert s.static_values() == [0.0, 0.35, 0.5, 1.0]
    assert Slider(5, 40, step=5, value=20, frames=8).static_values() == [5, 10, 15, 20, 25, 30, 35, 40]


@pytest.mark.parametrize(
    ("make_kwargs", "error", "match"),
    [
        (lambda: {"slope": Slider(1.0, 0.0)}, ValueError, "min < max"),
        (lambda: {"slope": Slider(0.0, 1.0, value=2.0)}, ValueError, r"value must lie in \[0.0, 1.0\], got 2.0"),
        (lambda: {"slope": Slider(0.0, 1.0, step=-1)}, ValueError, "step must be a number > 0"),
        (lambda: {"slope": Slider(0.0, float("inf"))}, TypeError, "max must be a finite number"),
        (lambda: {"kind": Choice(["a"], value="z")}, ValueError, r"one of \['a'\], got 'z'"),
        (lambda: {"flag": Checkbox(1)}, TypeError, "True or False"),
        (lambda: {"slope": "steep"}, TypeError, "control 'slope' must be a Slider"),
        (lambda: {"slope": (0.0, 1.0), "static": "nope"}, ValueError, "static names 'nope', which is not a control"),
        (
            lambda: {"slope": Slider(0.0, 1.0, frames=40), "kind": Choice(list("abc")), "static": ("slope", "kind")},
            ValueError,
            "would embed 120 frames",
        ),
        (lambda: {}, ValueError, "at least one control"),
    ],
)
def test_bad_specs_are_clear_errors(make_kwargs, error, match):
    with pytest.raises(error, match=match):
        explore(line_plot, alt="a test figure with its controls", mode="single", **make_kwargs())


def test_plot_errors_surface_at_the_call():
    def broken(fig, a=1):
        raise RuntimeError("cannot draw")

    with pytest.raises(RuntimeError, match="cannot draw"):
        explore(broken, alt="a test figure with its controls", a=(0, 2), mode="single")
    with pytest.raises(TypeError, match="plot must be a callable"):
        explore("not a function", alt="a test figure with its controls", a=(0, 1))


def test_rendering_is_deterministic():
    ex = explore(
        plot_activation,
        alt="a test figure with its controls",
        name=["sigmoid", "relu"],
        x_max=Slider(2.0, 8.0, step=2.0, value=4.0),
        mode="single",
    )
    assert ex.render_png(name="relu") == ex.render_png(name="relu")
    assert ex.render_png(name="relu") != ex.render_png(name="sigmoid")
    assert isinstance(ex, Explorer)
    assert "plot_activation" in repr(ex)


def test_frames_are_palette_pngs_on_a_pure_white_background():
    import io

    import numpy as np
    from PIL import Image

    ex = explore(
        plot_activation, alt="a test figure with its controls", name=Choice(["sigmoid", "step"]), mode="single"
    )
    png = ex.render_png(name="step")
    image = Image.open(io.BytesIO(png))
    assert image.mode == "P"  # a 256-colour palette: small pages, small widget messages
    shown = np.asarray(image.convert("RGB")).astype(int)
    width, height = ex._fig.canvas.get_width_height()
    drawn = np.asarray(Image.frombuffer("RGBA", (width, height), ex._fig.canvas.buffer_rgba()).convert("RGB"))
    assert (shown[0, 0] == 255).all()  # the background matches the page, not an off-white
    assert (shown[drawn.sum(-1) == 765] == 255).all()  # every white pixel stays white
    assert np.abs(shown - drawn).mean() < 1.0  # on average within 1/255 per channel
