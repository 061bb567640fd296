"""Interactive figures on the website: each scrubber frame becomes an image file, loaded when shown.

``explore``'s static scrubber is self-contained, so that a notebook output works
anywhere: every frame is a ``data:`` PNG inside the output's HTML. On the website
that would make a chapter page carry every frame of every figure (several MB at
high-DPI resolution) before the reader moved a single slider. This post-transform
writes each frame once into ``_images/explore/<hash>.png`` and puts its relative
address where the ``data:`` URI was; the page then loads the frame a figure shows
first (lazily, as it scrolls into view) and each other frame when the reader
moves a control to it. Nothing is fetched from another host; the files sit next
to the page.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

DATA_URI = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")
FOLDER = "_images/explore"


class ExploreFrames(SphinxPostTransform):
    """Move the ``data:`` frames of every ``dls-explore`` scrubber into files."""

    default_priority = 400
    formats = ("html",)

    def run(self, **kwargs) -> None:
        outdir = Path(self.app.outdir)
        page_dir = posixpath.dirname(self.app.builder.get_target_uri(self.env.docname))
        written: dict[str, str] = {}

        def to_file(match: re.Match) -> str:
            payload = match.group(1)
            if payload not in written:
                data = base64.b64decode(payload)
                name = f"{hashlib.sha256(data).hexdigest()[:20]}.png"
                target = outdir / FOLDER / name
                if not target.is_file():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                written[payload] = posixpath.relpath(f"{FOLDER}/{name}", page_dir or ".")
            return written[payload]

        for raw in list(self.document.findall(nodes.raw)):
            if "html" not in raw.get("format", "").split() or "dls-explore-data" not in raw.astext():
                continue
            text = DATA_URI.sub(to_file, raw.astext())
            text = text.replace('<img class="dls-explore-frame" ', '<img class="dls-explore-frame" loading="lazy" ')
            new = nodes.raw(text, text, format=raw["format"])
            new.source, new.line = raw.source, raw.line
            raw.replace_self(new)


def setup(app: Sphinx) -> dict:
    app.add_post_transform(ExploreFrames)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
