"""Plotting functions for the book's figures, one module per chapter.

Each function has the signature ``plot(fig, **params)`` expected by
:func:`dlscratch.widgets.explore`: it draws into an empty matplotlib Figure and
is deterministic for given parameters.
"""
