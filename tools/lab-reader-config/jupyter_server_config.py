"""JupyterLab for readers of the book (``make lab`` puts this folder on JUPYTER_CONFIG_PATH).

* nbgrader's instructor UI is switched off (``jupyter_server_config.json`` and
  ``labconfig/page_config.json``); instructors use ``make formgrader``.
* A chapter opened and closed without a change asks nothing about saving. When a
  kernel starts, JupyterLab writes the kernel's ``language_info`` into the
  notebook's metadata, and jupytext does not store it in a chapter's ``.md``, so
  every chapter would open "modified". The contents manager below hands
  JupyterLab each text notebook with the ``language_info`` of this environment's
  own Python kernel already in place, so nothing changes; jupytext still leaves
  it out of the ``.md`` when the reader saves.
"""

from ipykernel.ipkernel import IPythonKernel
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from jupytext import build_async_jupytext_contents_manager_class

_JupytextContentsManager = build_async_jupytext_contents_manager_class(AsyncLargeFileManager)


class BookContentsManager(_JupytextContentsManager):
    """Jupytext's contents manager; text notebooks arrive with this kernel's ``language_info``."""

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if content and model.get("type") == "notebook" and not path.endswith(".ipynb"):
            model["content"]["metadata"].setdefault("language_info", dict(IPythonKernel.language_info))
        return model


c = get_config()  # noqa: F821 (provided by the config loader)
c.ServerApp.contents_manager_class = BookContentsManager
