"""Data sets for the book's training examples: the 8×8 digits, and MNIST files you already have.

* :func:`load_digits_split` splits scikit-learn's bundled 8×8 handwritten
  digits (1797 images, classes 0–9; the file ships inside scikit-learn, so
  nothing is downloaded) into train / validation / test sets. The split is
  stratified (every class is split in the same proportions), deterministic for
  a ``seed``, and keeps identical images together, so that no image is both
  trained on and tested on. Pixels are scaled from 0..16 to [0, 1]; with
  ``standardize=True`` each pixel is also standardised with a mean and standard
  deviation fitted on the training split only.
* :func:`read_idx` reads one file in the IDX format of MNIST (plain or
  gzip-compressed) and :func:`load_mnist` reads the four standard MNIST files
  from a directory. Neither ever downloads anything: they are for readers who
  have the files.

Why fit the standardisation on the training split only: the test set stands
for images the model has never seen. Statistics taken from it would leak
information about those images into training, and the test score would
flatter the model.

References
----------
The digits are the test part of the UCI "Optical Recognition of Handwritten
Digits" data (Alpaydin and Kaynak, 1998), as bundled in scikit-learn
(``sklearn.datasets.load_digits``). The IDX format is the one MNIST is
published in (LeCun, Cortes and Burges).
"""

from __future__ import annotations

import functools
import gzip
import math
import numbers
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Split", "load_digits_split", "load_mnist", "read_idx"]

#: The digits' pixels are counts of "on" pixels in 4×4 blocks: integers 0..16.
DIGITS_MAX_PIXEL = 16.0
DIGITS_SIDE = 8


# ----------------------------------------------------------------------------- the 8×8 digits


# eq=False: the fields are arrays, so the generated ``==`` (and hash) could not work.
@dataclass(frozen=True, eq=False, repr=False)
class Split:
    """A train / validation / test split of an image data set.

    Images are float64, labels int64. With ``flatten=True`` an image is a row
    of ``D = H·W`` pixels, otherwise an ``(H, W)`` array.

    Attributes
    ----------
    X_train : (N_train, D) or (N_train, H, W) ndarray
        Training images, pixels in [0, 1] (or standardised).
    y_train : (N_train,) ndarray of int64
        Training labels, ``0 <= y < C``.
    X_val : (N_val, D) or (N_val, H, W) ndarray
        Validation images; ``N_val == 0`` (an empty array of the same
        trailing shape) when no validation split was asked for.
    y_val : (N_val,) ndarray of int64
    X_test : (N_test, D) or (N_test, H, W) ndarray
    y_test : (N_test,) ndarray of int64
    mean : (D,) or (H, W) ndarray, or None
        The per-pixel mean that was subtracted (fitted on the training split
        only), or ``None`` when the images were not standardised.
    std : (D,) or (H, W) ndarray, or None
        The per-pixel standard deviation the images were divided by (1 where a
        pixel is constant in the training split), or ``None``.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    def __repr__(self) -> str:
        shapes = ", ".join(f"{name} {getattr(self, name).shape}" for name in ("X_train", "X_val", "X_test"))
        return f"Split({shapes}, standardized={self.mean is not None})"


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """The bundled digits as read-only arrays: images ``(1797, 64)`` float64 in 0..16, labels ``(1797,)`` int64."""
    from sklearn.datasets import load_digits  # bundled with scikit-learn; never downloads

    bunch = load_digits()
    images = np.asarray(bunch.data, dtype=np.float64)  # (1797, 64)
    labels = np.asarray(bunch.target, dtype=np.int64)  # (1797,)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def _check_fraction(value, name: str, *, allow_zero: bool) -> float:
    """Return ``value`` as a float in ``(0, 1)`` (or ``[0, 1)``); raise naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a fraction of the data set (a float), got {type(value).__name__} {value!r}")
    fraction = float(value)
    low_ok = fraction >= 0 if allow_zero else fraction > 0
    if not (low_ok and fraction < 1):  # also rejects NaN
        interval = "[0, 1)" if allow_zero else "(0, 1)"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return fraction


def _share(n_images: int, fraction: float) -> int:
    """How many of a class's ``n_images`` go to a split of this ``fraction``: the nearest integer (halves up)."""
    return math.floor(fraction * n_images + 0.5)


def _stratified_group_split(
    X: np.ndarray, y: np.ndarray, *, test_size: float, val_size: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``(train, val, test)`` of a stratified split that keeps identical rows of ``X`` together.

    Identical rows form a group, labelled with its most frequent label. Within
    each class the groups are shuffled and laid end to end; a group goes to the
    test split if its first image falls among the class's first
    ``round(test_size · n_c)`` images, to validation if among the next
    ``round(val_size · n_c)``, else to training. Without identical rows the
    counts are exact; a group of ``k`` copies that straddles the boundary between
    two splits moves up to ``k - 1`` images from one of them to the other. Each
    split comes back in a random order.

    Parameters
    ----------
    X : (N, D) ndarray
    y : (N,) ndarray of int
    test_size, val_size : float
        Already checked: ``0 < test_size``, ``0 <= val_size``, sum ``< 1``.
    rng : numpy.random.Generator

    Raises
    ------
    ValueError
        If a split would get no image of some class (the message names the
        argument and the bound).
    """
    classes, y_index = np.unique(y, return_inverse=True)  # y_index: (N,) in 0..C-1
    n_classes = len(classes)
    _, group = np.unique(X, axis=0, return_inverse=True)
    group = group.reshape(-1)  # (N,)
    n_groups = int(group.max()) + 1
    sizes = np.bincount(group, minlength=n_groups)  # (G,)
    votes = np.zeros((n_groups, n_classes), dtype=np.int64)  # (G, C)
    np.add.at(votes, (group, y_index), 1)
    group_class = votes.argmax(axis=1)  # (G,) most frequent label; ties: the smallest
    class_sizes = np.bincount(group_class, weights=sizes, minlength=n_classes).astype(np.int64)  # (C,)

    smallest = int(class_sizes.argmin())
    n_small = int(class_sizes[smallest])
    for fraction, name in ((test_size, "test_size"), (val_size, "val_size")):
        if (fraction > 0 or name == "test_size") and _share(n_small, fraction) < 1:
            raise ValueError(
                f"{name} must be at least 0.5/{n_small} ≈ {0.5 / n_small:.4g} so that every class gets an image "
                f"in that split (class {classes[smallest]} has {n_small} images), got {fraction!r}"
            )
    for c, n_c in enumerate(class_sizes):
        n_test, n_val = _share(int(n_c), test_size), _share(int(n_c), val_size)
        if n_c - n_test - n_val < 1:
            raise ValueError(
                f"test_size + val_size must leave every class a training image, got {test_size!r} + {val_size!r}: "
                f"class {classes[c]} ({n_c} images) would get {n_test} test and {n_val} validation images"
            )

    split_of_group = np.empty(n_groups, dtype=np.int64)  # 0 train, 1 val, 2 test
    for c, n_c in enumerate(class_sizes):
        members = rng.permutation(np.flatnonzero(group_class == c))  # this class's groups, shuffled
        starts = np.cumsum(sizes[members]) - sizes[members]  # position of each group's first image
        n_test, n_val = _share(int(n_c), test_size), _share(int(n_c), val_size)
        split_of_group[members] = np.where(starts < n_test, 2, np.where(starts < n_test + n_val, 1, 0))

    split_of_image = split_of_group[group]  # (N,)
    indices = tuple(rng.permutation(np.flatnonzero(split_of_image == s)) for s in (0, 1, 2))
    for s, name in ((0, "training"), (1, "validation"), (2, "test")):
        if s == 1 and val_size == 0:
            continue
        missing = np.setdiff1d(classes, y[indices[s]])
        if missing.size:  # only possible when copies of one image fill a whole split
            raise ValueError(
                f"the {name} split has no image of class {missing[0]} (identical images are kept together); "
                f"change test_size or val_size, got test_size={test_size!r}, val_size={val_size!r}"
            )
    return indices


def load_digits_split(
    *, test_size: float = 0.2, val_size: float = 0.0, seed: int = 0, standardize: bool = False, flatten: bool = True
) -> Split:
    """Split scikit-learn's 8×8 handwritten digits into train, validation and test sets.

    The 1797 images (classes 0–9, 174 to 183 per class) ship with scikit-learn,
    so this never downloads anything. Each class is split in the same
    proportions: ``round(test_size · n_c)`` of class ``c``'s ``n_c`` images go
    to the test split, ``round(val_size · n_c)`` to validation and the rest to
    training: a class's test and validation counts are within ½ image of
    the exact proportions (its training count, the rest, within 1). Which images go where is drawn with
    ``np.random.default_rng(seed)``: the same ``seed`` gives the same arrays,
    another ``seed`` another split. Each split is in a random order, so
    consecutive slices are mini-batches with mixed classes.

    No image is in two splits. Identical images are grouped and every copy goes
    to the same split; the bundled digits have no exact duplicates (0 of the
    1797, see the example below), so the grouping moves nothing here, but the
    promise does not depend on that.

    Parameters
    ----------
    test_size : float, optional
        Fraction of each class that goes to the test split, in ``(0, 1)``;
        default 0.2. Every class must get at least one test image
        (``test_size >= 0.5/174``).
    val_size : float, optional
        Fraction of each class that goes to the validation split, in
        ``[0, 1)``; default 0 (no validation split: ``X_val`` has shape
        ``(0, 64)``). ``test_size + val_size`` must be below 1 and leave every
        class at least one training image.
    seed : int, optional
        Seed of the random split, a non-negative integer; default 0.
    standardize : bool, optional
        If True, subtract each pixel's mean and divide by its standard
        deviation, both computed on the training split only and applied to all
        three splits. A pixel that is constant in the training split (some
        border pixels are 0 in every training image) has standard deviation 0;
        it is divided by 1 instead, so it stays finite. Default False: pixels
        are the raw 0..16 divided by 16, in [0, 1].
    flatten : bool, optional
        If True (default), an image is a row of 64 pixels; if False, an
        ``(8, 8)`` array.

    Returns
    -------
    Split
        ``X_*`` of shape ``(N_*, 64)`` (or ``(N_*, 8, 8)``) float64, ``y_*`` of
        shape ``(N_*,)`` int64 in 0..9, and ``mean``/``std`` of shape ``(64,)``
        (or ``(8, 8)``) when standardised, else None.

    Raises
    ------
    TypeError
        If a size is not a real number, ``seed`` is not an int, or
        ``standardize``/``flatten`` is not a bool.
    ValueError
        If ``test_size`` is not in (0, 1), ``val_size`` not in [0, 1),
        ``test_size + val_size >= 1``, ``seed < 0``, or a split would get no
        image of some class; the message names the argument, the allowed
        range and the value given.

    Examples
    --------
    >>> split = load_digits_split()
    >>> split
    Split(X_train (1438, 64), X_val (0, 64), X_test (359, 64), standardized=False)
    >>> float(split.X_train.min()), float(split.X_train.max())
    (0.0, 1.0)
    >>> np.bincount(split.y_test)  # 20 % of every class
    array([36, 36, 35, 37, 36, 36, 36, 36, 35, 36])

    A validation split, standardised, as 8×8 images:

    >>> split = load_digits_split(val_size=0.1, standardize=True, flatten=False)
    >>> split.X_train.shape, split.X_val.shape, split.X_test.shape
    ((1259, 8, 8), (179, 8, 8), (359, 8, 8))
    >>> bool(np.allclose(split.X_train.mean(axis=0), 0))
    True
    >>> int((split.std == 1).sum())  # pixels constant in the training split
    3

    The digits contain no two identical images:

    >>> from sklearn.datasets import load_digits
    >>> images = load_digits().data  # (1797, 64)
    >>> len(images) - len(np.unique(images, axis=0))
    0
    """
    test_size = _check_fraction(test_size, "test_size", allow_zero=False)
    val_size = _check_fraction(val_size, "val_size", allow_zero=True)
    if not test_size + val_size < 1:
        raise ValueError(
            f"test_size + val_size must be < 1 to leave images for training, "
            f"got {test_size!r} + {val_size!r} = {test_size + val_size!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative int, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}")
    for flag, name in ((standardize, "standardize"), (flatten, "flatten")):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {type(flag).__name__} {flag!r}")

    images, labels = _digits()  # (1797, 64) in 0..16, (1797,)
    rng = np.random.default_rng(int(seed))
    train, val, test = _stratified_group_split(images, labels, test_size=test_size, val_size=val_size, rng=rng)
    X = [images[idx] / DIGITS_MAX_PIXEL for idx in (train, val, test)]  # each (N_*, 64) in [0, 1]
    mean = std = None
    if standardize:
        X_train = X[0]
        mean = X_train.mean(axis=0)  # (64,)
        constant = X_train.max(axis=0) == X_train.min(axis=0)  # (64,) std 0: divide by 1 instead
        std = np.where(constant, 1.0, X_train.std(axis=0))
        X = [(x - mean) / std for x in X]
    if not flatten:
        X = [x.reshape(-1, DIGITS_SIDE, DIGITS_SIDE) for x in X]  # (N_*, 8, 8)
        if standardize:
            mean, std = mean.reshape(DIGITS_SIDE, DIGITS_SIDE), std.reshape(DIGITS_SIDE, DIGITS_SIDE)  # (8, 8)
    return Split(
        X_train=X[0],
        y_train=labels[train],
        X_val=X[1],
        y_val=labels[val],
        X_test=X[2],
        y_test=labels[test],
        mean=mean,
        std=std,
    )


# ----------------------------------------------------------------------------- IDX files (MNIST)

#: IDX type byte -> element type (big-endian on disk).
_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_TYPE_NAMES = ", ".join(f"0x{code:02x} ({dtype.newbyteorder('=').name})" for code, dtype in _IDX_TYPES.items())
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the format MNIST is published in), plain or gzip-compressed.

    An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then
    ``ndim`` big-endian uint32 sizes, then the elements in C order, big-endian.
    The type byte is 0x08 uint8 (MNIST's images and labels), 0x09 int8, 0x0b
    int16, 0x0c int32, 0x0d float32 or 0x0e float64. A gzip-compressed file
    (MNIST's ``*.gz``) is recognised by its content, whatever its name.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    data : ndarray
        Shape as the header says (``(N, 28, 28)`` for MNIST images, ``(N,)``
        for labels), in the file's element type, native byte order, writable.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is not a valid IDX file: too short for its header or its
        data (truncated), a magic number that does not start with two zero
        bytes, an unknown type byte, zero dimensions, bytes left over after the
        data, or a broken gzip stream. The message names the file and says what
        is wrong.

    Examples
    --------
    >>> import tempfile
    >>> header = bytes([0, 0, 0x08, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "tiny-idx2-ubyte"
    ...     _ = path.write_bytes(header + bytes(range(6)))
    ...     read_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    name = os.fspath(path)
    with open(path, "rb") as file:
        raw = file.read()
    if raw[:2] == _GZIP_MAGIC:  # an IDX file starts with 0x00, so this is unambiguous
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"{name}: broken gzip file ({err})") from None
    return _parse_idx(raw, name)


def _parse_idx(raw: bytes, name: str) -> np.ndarray:
    """Parse the bytes of an IDX file; ``name`` is the file's name for error messages."""
    if len(raw) < 4:
        raise ValueError(f"{name}: truncated IDX file: {len(raw)} bytes, fewer than the 4-byte magic number")
    magic = f"0x{raw[:4].hex()}"
    if raw[:2] != b"\x00\x00":
        raise ValueError(
            f"{name}: wrong magic number {magic}: an IDX file starts with two zero bytes, a type byte and the "
            f"number of dimensions (MNIST: 0x00000803 for images, 0x00000801 for labels)"
        )
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_TYPES:
        raise ValueError(
            f"{name}: unknown type byte 0x{type_code:02x} in magic number {magic}; expected {_IDX_TYPE_NAMES}"
        )
    if ndim == 0:
        raise ValueError(f"{name}: magic number {magic} gives 0 dimensions; an IDX file has at least one")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"{name}: truncated IDX file: {len(raw)} bytes, fewer than the {header}-byte header of {ndim} dimensions"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _IDX_TYPES[type_code]
    expected = header + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        problem = "truncated IDX file" if len(raw) < expected else f"{len(raw) - expected} bytes after the data"
        raise ValueError(
            f"{name}: {problem}: shape {shape} of {dtype.newbyteorder('=').name} needs {expected} bytes "
            f"with the header, the file has {len(raw)}"
        )
    data = np.frombuffer(raw, dtype=dtype, count=math.prod(shape), offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def _find_mnist_file(directory: Path, stem: str) -> Path:
    """The MNIST file ``stem`` in ``directory``: plain or ``.gz``, ``-idx`` or ``.idx`` spelling."""
    spellings = [stem, stem.replace("-idx", ".idx")]  # train-images-idx3-ubyte, train-images.idx3-ubyte
    candidates = [directory / f"{s}{ext}" for s in spellings for ext in ("", ".gz")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"no {stem} or {stem}.gz in {directory}; load_mnist reads MNIST files you already have and never downloads"
    )


def load_mnist(directory: str | os.PathLike, kind: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Read MNIST's images and labels from the standard IDX files in ``directory``.

    The files are ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte``
    (``kind="train"``, 60 000 images) or ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte`` (``kind="test"``, 10 000 images), each also
    accepted gzip-compressed (``.gz``) or spelt ``...-images.idx3-ubyte``.
    Nothing is downloaded. Fashion-MNIST, which uses the same files, reads the
    same way.

    Parameters
    ----------
    directory : str or os.PathLike
        The directory that holds the files.
    kind : {"train", "test"}, optional
        Which half of the data set; default ``"train"``.

    Returns
    -------
    images : (N, H, W) ndarray of float64
        Pixels divided by 255, in [0, 1]; ``(N, 28, 28)`` for MNIST. The
        60 000 training images take 376 MB as float64.
    labels : (N,) ndarray of int64

    Raises
    ------
    FileNotFoundError
        If ``directory`` lacks one of the two files.
    ValueError
        If ``kind`` is not "train" or "test"; if a file is not a valid IDX file
        (see :func:`read_idx`); if the images are not uint8 with 3 dimensions
        or the labels not uint8 with 1 dimension (wrong type byte or number of
        dimensions: the files may be swapped); or if the two files hold
        different numbers of images and labels. The message names the file.

    Examples
    --------
    >>> import tempfile
    >>> def idx(shape, data):  # uint8 IDX bytes
    ...     dims = b"".join(n.to_bytes(4, "big") for n in shape)
    ...     return bytes([0, 0, 0x08, len(shape)]) + dims + bytes(data)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "t10k-images-idx3-ubyte").write_bytes(idx((2, 2, 2), [0, 255] * 4))
    ...     _ = (Path(tmp) / "t10k-labels-idx1-ubyte").write_bytes(idx((2,), [7, 2]))
    ...     images, labels = load_mnist(tmp, kind="test")
    >>> images.shape, float(images.max()), labels
    ((2, 2, 2), 1.0, array([7, 2]))
    """
    if not isinstance(kind, str) or kind not in ("train", "test"):
        raise ValueError(f"kind must be 'train' or 'test', got {kind!r}")
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a directory with the MNIST files")
    prefix = "train" if kind == "train" else "t10k"
    images_path = _find_mnist_file(directory, f"{prefix}-images-idx3-ubyte")
    labels_path = _find_mnist_file(directory, f"{prefix}-labels-idx1-ubyte")
    images, labels = read_idx(images_path), read_idx(labels_path)
    expected = ((images_path, images, "images", (3, "(N, H, W)")), (labels_path, labels, "labels", (1, "(N,)")))
    for path, data, what, (ndim, shape) in expected:
        if data.dtype != np.uint8:
            raise ValueError(f"{path}: MNIST {what} are uint8 (type byte 0x08), this file holds {data.dtype.name}")
        if data.ndim != ndim:
            raise ValueError(
                f"{path}: MNIST {what} have {ndim} dimension{'s' if ndim > 1 else ''} {shape}, "
                f"this file has {data.ndim}: shape {data.shape}"
            )
    if len(images) != len(labels):
        raise ValueError(f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels")
    return images / 255.0, labels.astype(np.int64)
