"""``explore``: the one way a chapter makes an interactive figure.

A chapter writes a plotting function ``plot(fig, **params)`` that draws into a
matplotlib :class:`~matplotlib.figure.Figure`, and hands it to :func:`explore`
with one control per parameter::

    explore(plot_activation,
            name=Choice(["sigmoid", "tanh", "relu"]),
            slope=Slider(0.0, 0.5, step=0.05, value=0.1),
            static=("name",))

Fast redraws. Building axes, ticks and a constrained layout from scratch takes
150-350 ms on a laptop core, too slow for a slider (budget: 100 ms). So a plot
function may *return an updater*: a function ``update(**params)`` that changes
the artists it made (``line.set_data``, ``ax.set_title``, ...) instead of
drawing new ones. ``explore`` then builds the figure once, at the defaults,
lays it out once (constrained layout), freezes that layout, and afterwards
calls only ``update`` and one Agg draw per change (50-85 ms on a 2-core
machine, ``make bench``). A plot
function that returns ``None`` still works: the figure is cleared and redrawn,
with a fresh layout, on every change. The updater must leave the figure
exactly as a fresh ``plot(fig, **params)`` at the same layout would: the
tests check that a frame does not depend on the frames drawn before it.

Figures as readers see them. Every frame is rendered at ``PIXEL_RATIO`` (2)
device pixels per CSS pixel and shown at its CSS size (``figsize`` times ``dpi``),
so it is sharp on high-DPI screens and phones. The frozen layout is not the one
of the defaults alone: ``explore`` lays the figure out (constrained layout) at
every state a reader can reach on the website (each static frame) and at the
extremes of every other control (each end of a slider, each option), and keeps,
for each axes, the box that leaves room for the labels of all of them, so no
tick label, axis label or title is cut off in any frame (``tests/test_figures.py``
checks that every artist of every frame lies inside the figure). Each figure has
an ``alt`` text that says what it shows; the website's scrubber adds the current
control values to it.

The returned :class:`Explorer` displays itself in one of three ways (DESIGN.md,
"Interactive figures"):

``"live"``
    In a Jupyter kernel: ipywidgets controls above a PNG image; each change
    re-renders the figure (see "Fast redraws").
``"static"``
    For the website: a self-contained HTML scrubber. A handful of frames over
    the ``static`` parameters are rendered ahead of time and embedded as
    ``data:`` PNGs; a dozen lines of inline JavaScript swap them. No kernel and
    no request to any other host.
``"single"``
    Under the test runner: one PNG at the defaults, fast.

The default, ``"auto"``, emits both the live widget and the static scrubber in
one output, so JupyterLab shows the widget and the book (which ignores widget
views, see ``_config.yml``) shows the scrubber. The environment variable
``DLSCRATCH_EXPLORE`` (``auto``, ``live``, ``static``, ``single``) overrides the
default; the test suite sets it to ``single``.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import math
import numbers
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["MODES", "Checkbox", "Choice", "Explorer", "Slider", "explore"]

MODES = ("auto", "live", "static", "single")
ENV_VAR = "DLSCRATCH_EXPLORE"
MAX_STATIC_FRAMES = 60
#: device pixels per CSS pixel of every frame: sharp on high-DPI screens, shown at its CSS size
PIXEL_RATIO = 2

#: Readable, deterministic defaults for every figure in the book (sizes in points at ``dpi`` CSS pixels
#: per inch: 12 pt is 13 CSS px on a desktop, and still legible when a phone shrinks a figure to 390 px).
STYLE = {
    "font.size": 12,
    "axes.titlesize": 12.5,
    "axes.labelsize": 12,
    "legend.fontsize": 11,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "mathtext.fontset": "dejavusans",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 2.0,
    "svg.hashsalt": "dlscratch",
    # Unhinted glyphs look the same at these sizes and draw about 15% faster (text is most of a redraw).
    "text.hinting": "no_hinting",
}


# --------------------------------------------------------------------------- controls


@dataclass(frozen=True)
class Slider:
    """A numeric control from ``min`` to ``max`` in steps of ``step``.

    Integer ``min``, ``max``, ``step`` and ``value`` give an integer slider.
    The static scrubber shows ``frames`` evenly spaced values (snapped to
    ``step``) that always include ``value``.
    """

    min: float
    max: float
    step: float | None = None
    value: float | None = None
    label: str | None = None
    frames: int = 11

    def __post_init__(self):
        for field in ("min", "max"):
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
                raise TypeError(f"Slider {field} must be a finite number, got {v!r}")
        if not self.min < self.max:
            raise ValueError(f"Slider needs min < max, got min={self.min!r}, max={self.max!r}")
        step = self.step if self.step is not None else (self.max - self.min) / 100
        if isinstance(step, bool) or not isinstance(step, numbers.Real) or not step > 0:
            raise ValueError(f"Slider step must be a number > 0, got {self.step!r}")
        object.__setattr__(self, "step", step)
        value = self.value if self.value is not None else self.min
        if not self.min <= value <= self.max:
            raise ValueError(f"Slider value must lie in [{self.min}, {self.max}], got {value!r}")
        object.__setattr__(self, "value", value)
        if isinstance(self.frames, bool) or not isinstance(self.frames, int) or self.frames < 2:
            raise ValueError(f"Slider frames must be an int >= 2, got {self.frames!r}")

    @property
    def is_int(self) -> bool:
        return all(isinstance(v, numbers.Integral) for v in (self.min, self.max, self.step, self.value))

    def static_values(self) -> list:
        """Evenly spaced values for the static scrubber, snapped to ``step``, including ``value``."""
        n_steps = round((self.max - self.min) / self.step)
        picks = {round(i * n_steps / (self.frames - 1)) for i in range(self.frames)}
        values = {self._snap(self.min + k * self.step) for k in picks}
        values.add(self.value)
        return sorted(values)

    def _snap(self, v):
        if self.is_int:
            return round(v)
        decimals = max(0, -math.floor(math.log10(self.step)) + 2)
        return float(round(min(max(v, self.min), self.max), decimals))


@dataclass(frozen=True)
class Choice:
    """A pick among ``options`` (strings or numbers); every option is a static frame."""

    options: Sequence
    value: Any = None
    label: str | None = None

    def __post_init__(self):
        if isinstance(self.options, (str, bytes)) or len(self.options) == 0:
            raise ValueError(f"Choice options must be a non-empty list, got {self.options!r}")
        object.__setattr__(self, "options", tuple(self.options))
        value = self.options[0] if self.value is None else self.value
        if value not in self.options:
            raise ValueError(f"Choice value must be one of {list(self.options)}, got {value!r}")
        object.__setattr__(self, "value", value)

    def static_values(self) -> list:
        return list(self.options)


@dataclass(frozen=True)
class Checkbox:
    """An on/off control."""

    value: bool = False
    label: str | None = None

    def __post_init__(self):
        if not isinstance(self.value, bool):
            raise TypeError(f"Checkbox value must be True or False, got {self.value!r}")

    def static_values(self) -> list:
        return [self.value, not self.value]


Control = Slider | Choice | Checkbox


def _as_control(name: str, spec) -> Control:
    """Accept a control object or a shorthand: ``(min, max[, step[, value]])``, a list, or a bool."""
    if isinstance(spec, (Slider, Choice, Checkbox)):
        return spec
    if isinstance(spec, bool):
        return Checkbox(spec)
    if isinstance(spec, tuple) and 2 <= len(spec) <= 4:
        return Slider(*spec)
    if isinstance(spec, list):
        return Choice(spec)
    raise TypeError(
        f"control {name!r} must be a Slider, Choice, Checkbox, a (min, max[, step[, value]]) tuple, "
        f"a list of options or a bool; got {type(spec).__name__} {spec!r}"
    )


# --------------------------------------------------------------------------- explorer


class Explorer:
    """An interactive figure: a plotting function plus its controls.

    Build one with :func:`explore`. Displaying it (the last expression of a
    cell) shows the live widget, the static scrubber, or a single image,
    depending on :attr:`mode`.
    """

    def __init__(
        self,
        plot: Callable[..., Any],
        controls: Mapping[str, Control],
        *,
        static: Sequence[str],
        figsize: tuple[float, float],
        dpi: int,
        title: str | None,
        alt: str,
        mode: str,
    ):
        self.plot = plot
        self.controls = dict(controls)
        self.static = tuple(static)
        self.figsize = figsize
        self.dpi = dpi
        self.title = title
        self.alt = alt
        self.mode = mode
        #: the size the figure is shown at, in CSS pixels; its PNGs have PIXEL_RATIO times as many
        self.css_size = (round(figsize[0] * dpi), round(figsize[1] * dpi))
        self._fig = Figure(figsize=figsize, dpi=dpi * PIXEL_RATIO)
        FigureCanvasAgg(self._fig)
        self._updater = None  # what plot returned, once the figure is built
        self._live = None  # (box, image, widgets) once built

    # -- rendering -------------------------------------------------------------
    @property
    def defaults(self) -> dict:
        """The parameter values shown first."""
        return {name: c.value for name, c in self.controls.items()}

    def render_png(self, **params) -> bytes:
        """Draw the figure for ``params`` (missing ones take their defaults) and return PNG bytes."""
        unknown = set(params) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)}; the controls are {sorted(self.controls)}")
        values = {**self.defaults, **params}
        fig = self._fig
        with mpl.rc_context(STYLE):
            if self._updater is not None:
                self._updater(**values)
            else:
                self._build(values)
            fig.canvas.draw()
        return _encode_png(fig)

    def _build(self, values: dict) -> None:
        """Draw the figure from scratch and lay it out; keep the updater if ``plot`` returned one."""
        fig = self._fig
        fig.clear()
        fig.set_layout_engine("constrained")
        updater = self.plot(fig, **values)
        if updater is not None and not callable(updater):
            raise TypeError(
                f"plot must return None or an updater update(**params), got {type(updater).__name__} {updater!r}"
            )
        if self.title:
            fig.suptitle(self.title)
        if updater is not None:
            self._updater = updater
            probes = [values] if self.mode == "single" else self.layout_probes()
            self._freeze_layout(probes)
            updater(**values)

    def layout_probes(self) -> list[dict]:
        """The states the layout must fit: the defaults, every static frame, each extreme of every other control."""
        probes = [self.defaults]
        axes = [self.controls[name].static_values() for name in self.static]
        for combo in itertools.product(*axes):
            probes.append({**self.defaults, **dict(zip(self.static, combo, strict=True))})
        for name, control in self.controls.items():
            if name in self.static:
                continue
            values = control.static_values()
            ends = values if isinstance(control, (Choice, Checkbox)) else [values[0], values[-1]]
            probes += [{**self.defaults, name: value} for value in ends]
        unique = []
        for probe in probes:
            if probe not in unique:
                unique.append(probe)
        return unique

    def _freeze_layout(self, probes: list[dict]) -> None:
        """Lay the figure out at each probe; keep for each axes the box that fits all of them; freeze it."""
        fig = self._fig
        axes = list(fig.axes)
        boxes: list[list] = [[] for _ in axes]
        for probe in probes:
            self._updater(**probe)
            fig.draw_without_rendering()  # runs the constrained layout for this state
            if list(fig.axes) != axes:
                raise RuntimeError(f"{self.plot.__name__}'s updater added or removed axes; build them all in plot")
            for box, ax in zip(boxes, axes, strict=True):
                box.append(ax.get_position(original=True).frozen())
        fig.set_layout_engine("none")
        for box, ax in zip(boxes, axes, strict=True):
            x0, y0 = max(b.x0 for b in box), max(b.y0 for b in box)
            x1, y1 = min(b.x1 for b in box), min(b.y1 for b in box)
            if not (x1 > x0 and y1 > y0):
                raise RuntimeError(f"{self.plot.__name__}: the labels of its frames leave no room for the axes")
            ax.set_position([x0, y0, x1 - x0, y1 - y0], which="both")

    def static_frames(self) -> tuple[list[list], dict[str, str]]:
        """Render every combination of the ``static`` parameters.

        Returns the values of each static parameter and a mapping from a frame
        key (the JSON list of indices into those values) to a ``data:`` PNG URI.
        """
        axes = [self.controls[name].static_values() for name in self.static]
        frames = {}
        for index in itertools.product(*(range(len(v)) for v in axes)):
            params = {name: axes[i][k] for i, (name, k) in enumerate(zip(self.static, index, strict=True))}
            png = self.render_png(**params)
            frames[_frame_key(index)] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        return axes, frames

    # -- live widget -----------------------------------------------------------
    def _build_live(self):
        import ipywidgets as w

        widgets = {}
        whole = {"description_width": "initial"}  # the whole label, never "leaky slop..."
        for name, c in self.controls.items():
            desc = c.label or name
            if isinstance(c, Slider):
                cls = w.IntSlider if c.is_int else w.FloatSlider
                kw = {} if c.is_int else {"readout_format": ".3g"}
                widgets[name] = cls(
                    min=c.min, max=c.max, step=c.step, value=c.value, description=desc, style=whole, **kw
                )
            elif isinstance(c, Choice):
                widgets[name] = w.Dropdown(options=list(c.options), value=c.value, description=desc, style=whole)
            else:
                widgets[name] = w.Checkbox(value=c.value, description=desc, style=whole, indent=False)
        width = self.css_size[0]  # shown at its CSS size: PIXEL_RATIO device pixels per CSS pixel
        image = w.Image(
            format="png", value=self.render_png(), layout=w.Layout(width=f"{width}px", max_width="100%", height="auto")
        )
        box = w.VBox([w.HBox(list(widgets.values()), layout=w.Layout(flex_flow="row wrap")), image])
        box.add_class("dls-explore")

        def redraw(_change=None):
            image.value = self.render_png(**{n: wd.value for n, wd in widgets.items()})

        for wd in widgets.values():
            wd.observe(redraw, names="value")
        self._live = (box, image, widgets)
        return self._live

    @property
    def widget(self):
        """The live ipywidgets box (built on first use)."""
        return (self._live or self._build_live())[0]

    def update(self, **params) -> None:
        """Set controls as a reader would by moving them; the image redraws once per change."""
        _, _, widgets = self._live or self._build_live()
        for name, value in params.items():
            if name not in widgets:
                raise ValueError(f"unknown parameter {name!r}; the controls are {sorted(widgets)}")
            widgets[name].value = value

    @property
    def image_png(self) -> bytes:
        """The PNG the live widget shows now."""
        _, image, _ = self._live or self._build_live()
        return bytes(image.value)

    # -- static scrubber -------------------------------------------------------
    def static_html(self) -> str:
        """A self-contained HTML scrubber over the ``static`` parameters."""
        uid = "dls-explore-" + uuid.uuid4().hex[:10]
        axes, frames = self.static_frames()
        first = [axes[i].index(self.controls[n].value) for i, n in enumerate(self.static)]
        names = [html.escape(self.controls[n].label or n) for n in self.static]
        rows = []
        for i, name in enumerate(self.static):
            c = self.controls[name]
            label = names[i]
            if isinstance(c, Slider):
                rows.append(
                    f'<span class="dls-explore-control"><label for="{uid}-{i}">{label}</label>'
                    f'<input id="{uid}-{i}" type="range" data-dim="{i}" min="0" max="{len(axes[i]) - 1}" '
                    f'step="1" value="{first[i]}">'
                    f'<output data-dim="{i}" for="{uid}-{i}">{html.escape(_fmt(axes[i][first[i]]))}</output></span>'
                )
            else:
                opts = "".join(
                    f'<option value="{k}"{" selected" if k == first[i] else ""}>{html.escape(_fmt(v))}</option>'
                    for k, v in enumerate(axes[i])
                )
                rows.append(
                    f'<span class="dls-explore-control"><label for="{uid}-{i}">{label}</label>'
                    f'<select id="{uid}-{i}" data-dim="{i}">{opts}</select></span>'
                )
        fixed = [n for n in self.controls if n not in self.static]
        note = ""
        if fixed:
            shown = ", ".join(
                f"{html.escape(self.controls[n].label or n)} = {html.escape(_fmt(self.controls[n].value))}"
                for n in fixed
            )
            note = f'<div class="dls-explore-note">Static preview ({shown}); run the notebook for every control.</div>'
        labels = [[_fmt(v) for v in vals] for vals in axes]
        data = json.dumps(
            {
                "frames": frames,
                "labels": labels,
                "names": [self.controls[n].label or n for n in self.static],
                "alt": self.alt,
            }
        ).replace("</", "<\\/")
        key = _frame_key(first)
        alt = html.escape(
            _alt_with_values(
                self.alt,
                [self.controls[n].label or n for n in self.static],
                [labels[i][k] for i, k in enumerate(first)],
            )
        )
        width, height = self.css_size
        return (
            f'<div class="dls-explore" id="{uid}" data-frames="{len(frames)}">'
            f'<div class="dls-explore-controls">{"".join(rows)}</div>'
            f'<img class="dls-explore-frame" alt="{alt}" src="{frames[key]}" width="{width}" height="{height}">'
            f"{note}"
            f'<script type="application/json" class="dls-explore-data">{data}</script>'
            f"<script>{_SCRUBBER_JS.replace('UID', uid)}</script></div>"
        )

    # -- display ---------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        mode = self.mode
        bundle: dict[str, Any] = {"text/plain": repr(self)}
        if mode == "single":
            bundle["image/png"] = base64.b64encode(self.render_png()).decode("ascii")
            return bundle
        if mode in ("auto", "static"):
            bundle["text/html"] = self.static_html()
        if mode in ("auto", "live"):
            bundle.update(
                {k: v for k, v in self.widget._repr_mimebundle_().items() if k != "text/plain"},
            )
        return bundle

    def __repr__(self) -> str:
        params = ", ".join(f"{n}={v!r}" for n, v in self.defaults.items())
        return f"<Explorer {getattr(self.plot, '__name__', 'plot')}({params}), mode={self.mode!r}>"


def _encode_png(fig: Figure) -> bytes:
    """The figure's Agg buffer as a PNG with a 256-colour palette.

    The book's figures have a few hundred to two thousand colours, almost all
    of them anti-aliased edges; a fast octree palette keeps them within about
    1/255 per channel on average (invisible), makes frames 2-3 times smaller
    than RGBA PNGs, and takes about 4 ms. The octree averages the background
    with the lightest edges into an off-white, so the entry nearest to white is
    put back to pure white: the figure's background then matches the page.
    """
    from PIL import Image

    width, height = fig.canvas.get_width_height()
    rgb = Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba()).convert("RGB")
    image = rgb.quantize(256, method=Image.Quantize.FASTOCTREE)
    palette = image.getpalette()
    lightest = max(range(len(palette) // 3), key=lambda i: sum(palette[3 * i : 3 * i + 3]))
    if min(palette[3 * lightest : 3 * lightest + 3]) >= 248:
        palette[3 * lightest : 3 * lightest + 3] = [255, 255, 255]
        image.putpalette(palette)
    buf = io.BytesIO()
    image.save(buf, format="png")
    return buf.getvalue()


def _frame_key(index) -> str:
    """The frame key for a list of indices, spelled as the scrubber's ``JSON.stringify`` spells it."""
    return json.dumps([int(i) for i in index], separators=(",", ":"))


def _alt_with_values(alt: str, names: list[str], values: list[str]) -> str:
    """The alt text of a frame: what the figure shows, then the values it is drawn for."""
    return f"{alt} ({', '.join(f'{n} = {v}' for n, v in zip(names, values, strict=True))})"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


_SCRUBBER_JS = """(function(){var root=document.getElementById("UID");if(!root)return;
var data=JSON.parse(root.querySelector(".dls-explore-data").textContent);
var img=root.querySelector(".dls-explore-frame");
var inputs=root.querySelectorAll("input[data-dim],select[data-dim]");
function show(){var key=[];inputs.forEach(function(el){key[+el.dataset.dim]=+el.value;});
var src=data.frames[JSON.stringify(key)];if(src){img.src=src;}
img.alt=data.alt+" ("+data.names.map(function(n,d){return n+" = "+data.labels[d][key[d]];}).join(", ")+")";
root.querySelectorAll("output[data-dim]").forEach(function(o){
var d=+o.dataset.dim;o.textContent=data.labels[d][key[d]];});}
inputs.forEach(function(el){el.addEventListener("input",show);el.addEventListener("change",show);});})();"""


def explore(
    plot: Callable[..., Any],
    /,
    *,
    alt: str | None = None,
    static: Sequence[str] | str | None = None,
    figsize: tuple[float, float] = (8.0, 3.4),
    dpi: int = 80,
    title: str | None = None,
    mode: str | None = None,
    **controls,
) -> Explorer:
    """Make an interactive figure from ``plot(fig, **params)`` and one control per parameter.

    Parameters
    ----------
    plot : callable
        ``plot(fig, **params)`` draws into the empty :class:`~matplotlib.figure.Figure`
        ``fig`` (``fig.subplots(...)``); it must not call ``plt.show``. For fast
        redraws it returns an updater ``update(**params)`` that changes the
        artists it drew (module docstring, "Fast redraws").
    alt : str
        What the figure shows, in a sentence, for readers who cannot see it
        ("Left: the activation f(x); right: its derivative, with the saturated
        region shaded"). Required. The website adds the current control values.
    static : str or sequence of str, optional
        The parameter(s) that the website's scrubber sweeps (at most two, and
        at most 60 frames in all). Default: the first control.
    figsize, dpi : figure size in inches and CSS pixels per inch; each frame has
        ``PIXEL_RATIO`` times as many pixels in each direction.
    title : str, optional
        A title above the figure.
    mode : {"auto", "live", "static", "single"}, optional
        How to display (see the module docstring). Default: ``$DLSCRATCH_EXPLORE``
        or ``"auto"``.
    **controls
        ``name=Slider(...)``, ``Choice([...])``, ``Checkbox(...)`` or the
        shorthands ``(min, max[, step[, value]])``, ``[options]``, ``True/False``.

    Returns
    -------
    Explorer
        Display it (last expression of a cell) to show the figure.
    """
    if not callable(plot):
        raise TypeError(f"plot must be a callable plot(fig, **params), got {type(plot).__name__}")
    if not isinstance(alt, str) or len(alt.split()) < 4:
        raise ValueError(
            "explore needs alt='...': a sentence saying what the figure shows (at least four words), "
            f"for readers who cannot see it; got {alt!r}"
        )
    if not controls:
        raise ValueError("explore needs at least one control, e.g. slope=Slider(0, 1, value=0.1)")
    parsed = {name: _as_control(name, spec) for name, spec in controls.items()}
    if static is None:
        static = (next(iter(parsed)),)
    elif isinstance(static, str):
        static = (static,)
    static = tuple(static)
    if not 1 <= len(static) <= 2 or len(set(static)) != len(static):
        raise ValueError(f"static must name one or two different controls, got {static!r}")
    for name in static:
        if name not in parsed:
            raise ValueError(f"static names {name!r}, which is not a control; the controls are {sorted(parsed)}")
    n_frames = math.prod(len(parsed[n].static_values()) for n in static)
    if n_frames > MAX_STATIC_FRAMES:
        raise ValueError(
            f"static={static!r} would embed {n_frames} frames; at most {MAX_STATIC_FRAMES} keep a page small "
            "(lower Slider(frames=...) or sweep fewer parameters)"
        )
    mode = mode if mode is not None else os.environ.get(ENV_VAR, "auto")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES} (argument or ${ENV_VAR}), got {mode!r}")
    explorer = Explorer(plot, parsed, static=static, figsize=figsize, dpi=dpi, title=title, alt=alt, mode=mode)
    explorer.render_png()  # fail here, at the call, if plot cannot draw its defaults
    return explorer
