"""Plotting functions for the book's figures, one module per chapter.

Each function has the signature ``plot(fig, **params)`` expected by
:func:`dlscratch.widgets.explore`: it creates its artists in an empty matplotlib
Figure, draws the figure for ``params``, and returns ``update(**params)``, which
redraws by changing those artists only (``dlscratch.widgets``, "Fast
redraws"). Figures are deterministic for given parameters;
``tests/test_figures.py`` lists every one.
"""
