"""dlscratch: the tested reference code behind *Deep Learning, Cell by Cell*.

One module per concept; each chapter of the book imports the module it teaches
(chapter 1 -> :mod:`dlscratch.activations`, ...). The numpy modules never import
torch; the book compares them with PyTorch in its chapters and tests.
"""

__version__ = "0.1.0"
