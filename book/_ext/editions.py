"""The book in two languages: a switch on every page to the same page in the other edition.

English is the site root, the Chinese edition (Sphinx ``language = "zh_CN"``,
built by ``tools/build_book.py`` from the message catalogs in ``book/locales``)
lives under ``zh/``. Every page exists in both, so the switch leads from
``chapters/05_backprop.html`` to ``zh/chapters/05_backprop.html`` and back,
with relative links (the site works from a file:// folder as well as from a
server). The page also names its other-language twin for search engines
(``<link rel="alternate" hreflang>``) and gets the edition's own title.
"""

from __future__ import annotations

from pathlib import Path

from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain

#: Sphinx language -> (path of the edition under the site root, HTML lang, the switch's label, title)
EDITIONS = {
    "en": ("", "en", "English", "Deep Learning, Cell by Cell"),
    "zh_CN": ("zh/", "zh-CN", "中文", "一格一格学深度学习"),
}
#: What _config.yml says in English outside the pages (author, footer), in the other editions
CONFIG_TEXT = {
    "zh_CN": {
        "author": "《一格一格学深度学习》编写组",
        "extra_footer": "本书中的每个数字都在单元格中计算，并由 assert 检验。",
    }
}


def _edition(config: Config) -> str:
    language = config.language or "en"
    if language not in EDITIONS:
        raise ConfigError(f"language: expected one of {sorted(EDITIONS)}, got {language!r}")
    return language


def _set_title(app: Sphinx, config: Config) -> None:
    language = _edition(config)
    if language != "en":
        config.html_title = EDITIONS[language][3]
        config.project = EDITIONS[language][3]
        config.author = CONFIG_TEXT[language]["author"]
        config.html_theme_options = {
            **(config.html_theme_options or {}),
            "extra_footer": CONFIG_TEXT[language]["extra_footer"],
        }


def _add_switch(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    here = _edition(app.config)
    up = "../" * pagename.count("/")
    root = up + ("../" * EDITIONS[here][0].count("/"))  # from this page to the site root
    others = []
    for language, (prefix, lang, label, _title) in EDITIONS.items():
        if language == here:
            continue
        others.append({"href": f"{root}{prefix}{pagename}.html", "lang": lang, "label": label})
    context["dls_editions"] = others
    links = "".join(f'<link rel="alternate" hreflang="{other["lang"]}" href="{other["href"]}" />\n' for other in others)
    context["metatags"] = context.get("metatags", "") + links


#: Each edition's CJK @font-face: one per page, so that a page never downloads both cuts (tools/cjk_font.py)
FONT_CSS = {"en": "dlscratch-cjk.css", "zh_CN": "dlscratch-zh.css"}


def _add_css(app: Sphinx) -> None:
    app.add_css_file(FONT_CSS[_edition(app.config)])


class TranslateTocCaptions(SphinxTransform):
    """The part captions of the contents ("Training a network") in the page's language.

    sphinx-external-toc inserts the toctrees (priority 100) after Sphinx's own translation
    transform (20) has run, so their captions stay English although the gettext builder
    extracts them (into the root page's catalog). This looks them up in the same catalog."""

    default_priority = 110  # after InsertToctrees, before the toctree collector (880)

    def apply(self, **kwargs) -> None:
        if _edition(self.config) == "en":
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        dirs = [str(Path(self.env.srcdir, folder)) for folder in self.config.locale_dirs]
        catalog, found = init_locale(dirs, self.config.language, domain)
        if not found:
            return
        for toctree in self.document.findall(addnodes.toctree):
            caption = toctree.get("caption")
            if caption:
                toctree["caption"] = toctree["rawcaption"] = catalog.gettext(caption)


def setup(app: Sphinx) -> dict:
    app.add_transform(TranslateTocCaptions)
    app.connect("config-inited", _set_title)
    app.connect("builder-inited", _add_css)
    app.connect("html-page-context", _add_switch)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
