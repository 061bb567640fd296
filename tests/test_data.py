"""Tests for dlscratch.data: the digits split (sizes, strata, seeds, leakage, standardisation) and the IDX reader."""

from __future__ import annotations

import gzip
import re
import socket
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from dlscratch import data
from dlscratch.data import Split, load_digits_split, load_mnist, read_idx

N_DIGITS = 1797
CLASS_SIZES = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
SPLITS = ("train", "val", "test")


def _parts(split: Split) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {
        "train": (split.X_train, split.y_train),
        "val": (split.X_val, split.y_val),
        "test": (split.X_test, split.y_test),
    }


def _row_hashes(X: np.ndarray) -> list[bytes]:
    return [row.tobytes() for row in X.reshape(len(X), int(np.prod(X.shape[1:])))]  # (N, D)


def _raw_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.data, bunch.target


# ----------------------------------------------------------------------------- the data themselves


def test_the_bundled_digits_are_as_documented():
    images, labels = _raw_digits()
    assert images.shape == (N_DIGITS, 64)
    assert np.bincount(labels).tolist() == CLASS_SIZES
    assert images.min() == 0
    assert images.max() == 16
    assert np.array_equal(images, np.round(images))
    # the docstring's count: no exact duplicates
    assert len(images) - len(np.unique(images, axis=0)) == 0
    assert len(set(_row_hashes(images))) == N_DIGITS


def test_loading_never_touches_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("load_digits_split opened a socket")

    data._digits.cache_clear()
    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    split = load_digits_split()
    assert len(split.X_train) + len(split.X_test) == N_DIGITS


# ----------------------------------------------------------------------------- sizes, shapes, types


def test_default_split_sizes_types_and_range():
    split = load_digits_split()
    assert split.X_train.shape == (1438, 64)
    assert split.X_val.shape == (0, 64)
    assert split.y_val.shape == (0,)
    assert split.X_test.shape == (359, 64)
    for X, y in _parts(split).values():
        assert X.dtype == np.float64
        assert y.dtype == np.int64
        assert len(X) == len(y)
        if len(y):
            assert X.min() >= 0
            assert X.max() <= 1
            assert set(np.unique(y)) == set(range(10))
    assert split.mean is None
    assert split.std is None
    assert repr(split) == "Split(X_train (1438, 64), X_val (0, 64), X_test (359, 64), standardized=False)"


def test_validation_split_sizes():
    split = load_digits_split(val_size=0.1)
    assert (len(split.X_train), len(split.X_val), len(split.X_test)) == (1259, 179, 359)


def test_pixels_are_the_raw_counts_divided_by_16():
    images, _ = _raw_digits()
    split = load_digits_split(val_size=0.1)
    for X, _ in _parts(split).values():
        assert np.array_equal(X * 16, np.round(X * 16))  # exactly k/16
    everything = np.concatenate([X for X, _ in _parts(split).values()]) * 16
    assert Counter(_row_hashes(everything)) == Counter(_row_hashes(images))


@pytest.mark.parametrize("standardize", [False, True])
def test_flatten_false_gives_8x8_images_of_the_same_split(standardize):
    flat = load_digits_split(val_size=0.1, seed=3, standardize=standardize)
    square = load_digits_split(val_size=0.1, seed=3, standardize=standardize, flatten=False)
    for (X_flat, y_flat), (X_square, y_square) in zip(_parts(flat).values(), _parts(square).values(), strict=True):
        assert X_square.shape == (len(X_flat), 8, 8)
        assert np.array_equal(X_square.reshape(-1, 64), X_flat)  # (N, 64)
        assert np.array_equal(y_square, y_flat)
    assert load_digits_split(flatten=False).X_val.shape == (0, 8, 8)
    if standardize:
        assert square.mean.shape == square.std.shape == (8, 8)
        assert np.array_equal(square.mean.reshape(64), flat.mean)


def test_image_rows_look_like_digits_in_reading_order():
    """Row i of an (8, 8) image is pixels 8i..8i+7: a zero's centre column is darker than its sides."""
    split = load_digits_split(flatten=False)
    zeros = split.X_train[split.y_train == 0]  # (n, 8, 8)
    mean_zero = zeros.mean(axis=0)
    assert mean_zero[3:5, 3:5].mean() < mean_zero[3:5, [1, 6]].mean()


# ----------------------------------------------------------------------------- stratification, seeds, leakage


@settings(max_examples=40, deadline=None)
@given(
    test_size=st.floats(0.01, 0.6),
    val_size=st.one_of(st.just(0.0), st.floats(0.01, 0.3)),
    seed=st.integers(0, 2**32),
)
def test_every_split_is_stratified_and_together_they_are_the_data(test_size, val_size, seed):
    split = load_digits_split(test_size=test_size, val_size=val_size, seed=seed)
    parts = _parts(split)
    sizes = np.array(CLASS_SIZES)
    for name, fraction in (("test", test_size), ("val", val_size)):
        counts = np.bincount(parts[name][1], minlength=10)
        assert np.all(np.abs(counts - fraction * sizes) <= 0.5 + 1e-9), (name, counts)
    train_counts = np.bincount(split.y_train, minlength=10)
    assert np.all(np.abs(train_counts - (1 - test_size - val_size) * sizes) <= 1 + 1e-9)
    assert np.all(train_counts >= 1)
    # a partition: every image exactly once, none in two splits
    hashes = {name: _row_hashes(X) for name, (X, _) in parts.items()}
    assert sum(len(h) for h in hashes.values()) == N_DIGITS
    assert len(set().union(*hashes.values())) == N_DIGITS


def test_same_seed_same_arrays():
    a = load_digits_split(val_size=0.1, seed=7, standardize=True)
    b = load_digits_split(val_size=0.1, seed=7, standardize=True)
    for field in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test", "mean", "std"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field


def test_different_seeds_different_splits():
    test_sets = [set(_row_hashes(load_digits_split(seed=seed).X_test)) for seed in range(5)]
    for i in range(5):
        for j in range(i + 1, 5):
            assert test_sets[i] != test_sets[j]
            assert len(test_sets[i] & test_sets[j]) < 0.5 * len(test_sets[i])  # not nearly the same either


def test_splits_are_shuffled_not_sorted_by_class():
    y = load_digits_split().y_train
    assert np.count_nonzero(np.diff(y)) > 0.8 * len(y)  # sorted labels would change only 9 times


def test_no_image_in_two_splits():
    split = load_digits_split(val_size=0.15, seed=11)
    hashes = {name: set(_row_hashes(X)) for name, (X, _) in _parts(split).items()}
    assert not hashes["train"] & hashes["test"]
    assert not hashes["train"] & hashes["val"]
    assert not hashes["val"] & hashes["test"]


def test_returned_arrays_are_fresh_copies():
    split = load_digits_split()
    split.X_train[:] = -1.0
    split.y_train[:] = -1
    again = load_digits_split()
    assert again.X_train.min() == 0.0
    assert again.y_train.min() == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    group_sizes=st.lists(st.integers(1, 4), min_size=30, max_size=80),
    seed=st.integers(0, 1000),
)
def test_identical_images_are_kept_together(group_sizes, seed):
    """The grouping on synthetic data full of duplicates (the digits themselves have none)."""
    rng = np.random.default_rng(seed)
    n_groups = len(group_sizes)
    prototypes = rng.integers(0, 4, size=(n_groups, 6)).astype(np.float64)  # (G, 6), some may coincide
    labels = np.arange(n_groups) % 3  # (G,)
    X = np.repeat(prototypes, group_sizes, axis=0)  # (N, 6)
    y = np.repeat(labels, group_sizes)  # (N,)
    try:
        train, val, test = data._stratified_group_split(X, y, test_size=0.25, val_size=0.15, rng=rng)
    except ValueError as err:  # copies of a few images swallowed a whole class's share: refused, clearly
        refusal = str(err)
    else:
        refusal = None
    if refusal is not None:
        assert "test_size" in refusal
        return
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(len(X)))
    seen = [set(_row_hashes(X[idx])) for idx in (train, val, test)]
    assert not seen[0] & seen[1]
    assert not seen[0] & seen[2]
    assert not seen[1] & seen[2]
    for idx in (train, val, test):
        assert set(y[idx]) == {0, 1, 2}


def test_copies_of_one_image_stay_together_and_shift_a_split_by_fewer_than_the_copies():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(300, 5)), np.ones((10, 5))])  # (310, 5): 10 copies of one image
    y = np.concatenate([np.arange(300) % 2, np.zeros(10, dtype=np.int64)])  # class 0: 160 images, class 1: 150
    copies = np.arange(300, 310)
    homes = set()
    for seed in range(30):
        train, val, test = data._stratified_group_split(
            X, y, test_size=0.2, val_size=0.1, rng=np.random.default_rng(seed)
        )
        where = [int(np.isin(copies, idx).sum()) for idx in (train, val, test)]
        assert sorted(where) == [0, 0, 10]
        homes.add(where.index(10))
        # class 0 (160 images): 32 test, 16 val, 112 train, give or take the 9 copies after the first
        counts = [int(np.sum(y[idx] == 0)) for idx in (train, val, test)]
        assert np.abs(np.array(counts) - [112, 16, 32]).max() <= 9
        assert [int(np.sum(y[idx] == 1)) for idx in (train, val, test)] == [105, 15, 30]  # exact
    assert homes == {0, 1, 2}  # the copies are not always sent to the same split


# ----------------------------------------------------------------------------- standardisation


def test_standardisation_is_fitted_on_the_training_split_only():
    raw = load_digits_split(val_size=0.1, seed=5)
    std = load_digits_split(val_size=0.1, seed=5, standardize=True)
    assert std.mean.shape == std.std.shape == (64,)
    assert repr(std).endswith("standardized=True)")
    np.testing.assert_allclose(std.mean, raw.X_train.mean(axis=0), rtol=0, atol=1e-15)
    constant = raw.X_train.min(axis=0) == raw.X_train.max(axis=0)
    assert 0 < constant.sum() < 64
    assert np.all(std.std[constant] == 1.0)  # std 0 replaced by 1
    np.testing.assert_allclose(std.std[~constant], raw.X_train.std(axis=0)[~constant], rtol=1e-14)
    # train: mean 0 and std 1 for every pixel that varies
    np.testing.assert_allclose(std.X_train.mean(axis=0), 0, atol=1e-13)
    np.testing.assert_allclose(std.X_train.std(axis=0)[~constant], 1, rtol=1e-12)
    # val and test: the training statistics applied, not their own
    for X_raw, X_std in ((raw.X_val, std.X_val), (raw.X_test, std.X_test)):
        np.testing.assert_allclose(X_std, (X_raw - std.mean) / std.std, rtol=0, atol=1e-15)
        assert np.abs(X_std.mean(axis=0)[~constant]).max() > 0.01
    assert np.all(np.isfinite(std.X_test))
    for split in (raw, std):
        assert np.array_equal(split.y_test, raw.y_test)


# ----------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"test_size": 1.5}, "test_size must be in (0, 1), got 1.5"),
        ({"test_size": 0}, "test_size must be in (0, 1), got 0"),
        ({"test_size": 1.0}, "test_size must be in (0, 1), got 1.0"),
        ({"test_size": -0.2}, "test_size must be in (0, 1), got -0.2"),
        ({"test_size": float("nan")}, "test_size must be in (0, 1), got nan"),
        ({"val_size": -0.1}, "val_size must be in [0, 1), got -0.1"),
        ({"val_size": 1}, "val_size must be in [0, 1), got 1"),
        ({"test_size": 0.6, "val_size": 0.5}, "test_size + val_size must be < 1 to leave images for training, got 0.6"),
        ({"test_size": 0.5, "val_size": 0.5}, "test_size + val_size must be < 1"),
        ({"test_size": 0.002}, "test_size must be at least 0.5/174 ≈ 0.002874 so that every class gets an image"),
        ({"val_size": 0.001}, "val_size must be at least 0.5/174"),
        ({"test_size": 0.5, "val_size": 0.497}, "test_size + val_size must leave every class a training image"),
        ({"seed": -1}, "seed must be a non-negative int, got -1"),
    ],
)
def test_bad_sizes_raise_value_errors_that_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        load_digits_split(**kwargs)


def test_the_smallest_allowed_sizes_work():
    split = load_digits_split(test_size=0.002874, val_size=0.002874)
    assert np.bincount(split.y_test).tolist() == [1] * 10
    assert np.bincount(split.y_val).tolist() == [1] * 10


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"test_size": "0.2"}, "test_size"),
        ({"test_size": True}, "test_size"),
        ({"val_size": None}, "val_size"),
        ({"seed": 1.5}, "seed"),
        ({"seed": True}, "seed"),
        ({"standardize": 1}, "standardize"),
        ({"flatten": "yes"}, "flatten"),
    ],
)
def test_wrong_types_raise_type_errors(kwargs, name):
    with pytest.raises(TypeError, match=f"^{name} must be"):
        load_digits_split(**kwargs)


def test_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        load_digits_split(0.2)  # type: ignore[misc]


# ----------------------------------------------------------------------------- IDX files

IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``, written independently of the reader."""
    array = np.asarray(array)
    code = IDX_CODES[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path: Path, content: bytes, *, compress: bool = False) -> Path:
    path.write_bytes(gzip.compress(content) if compress else content)
    return path


def _value_error_naming(path: Path, what: str = ""):
    return pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + re.escape(what))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    array=st.sampled_from(list(IDX_CODES)).flatmap(
        lambda dtype: arrays(dtype, array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    ),
    compress=st.booleans(),
)
def test_idx_round_trip_every_type(tmp_path, array, compress):
    path = write(tmp_path / "a.idx", idx_bytes(array), compress=compress)
    back = read_idx(path)
    assert back.shape == array.shape
    assert back.dtype == array.dtype
    assert back.dtype.isnative
    np.testing.assert_array_equal(back, array)  # NaNs compare equal here
    assert back.flags.writeable


def test_idx_reads_big_endian_values(tmp_path):
    header = bytes([0, 0, 0x0B, 1]) + (2).to_bytes(4, "big")
    path = write(tmp_path / "shorts.idx", header + bytes([0x01, 0x02, 0xFF, 0xFE]))
    assert read_idx(path).tolist() == [0x0102, -2]


def test_idx_gzip_is_recognised_by_content_and_accepts_str_paths(tmp_path):
    images = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    plain = write(tmp_path / "x-idx3-ubyte", idx_bytes(images))
    packed = write(tmp_path / "x-idx3-ubyte.gz", idx_bytes(images), compress=True)
    misnamed = write(tmp_path / "y-idx3-ubyte", idx_bytes(images), compress=True)
    for path in (plain, packed, misnamed, str(packed)):
        np.testing.assert_array_equal(read_idx(path), images)


def test_every_truncation_of_an_idx_file_is_rejected_naming_the_file(tmp_path):
    content = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))  # 16-byte header + 24 bytes
    for cut in range(len(content)):
        path = write(tmp_path / f"cut{cut}-idx3-ubyte", content[:cut])
        with _value_error_naming(path, "truncated"):
            read_idx(path)


def test_truncated_or_corrupt_gzip_is_rejected_naming_the_file(tmp_path):
    packed = gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))
    cut = write(tmp_path / "cut.gz", packed[: len(packed) // 2])
    with _value_error_naming(cut, "gzip"):
        read_idx(cut)
    corrupt = write(tmp_path / "corrupt.gz", packed[:10] + bytes(len(packed) - 10))
    with _value_error_naming(corrupt, "gzip"):
        read_idx(corrupt)


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"\x01\x00\x08\x01", "wrong magic number 0x01000801"),
        (b"\x00\x01\x08\x01", "wrong magic number 0x00010801"),
        (b"PK\x03\x04", "wrong magic number 0x504b0304"),  # a zip file
        (b"\x00\x00\x07\x01", "unknown type byte 0x07"),
        (b"\x00\x00\x0a\x01", "unknown type byte 0x0a"),
        (b"\x00\x00\xff\x01", "unknown type byte 0xff"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
    ],
)
def test_wrong_magic_numbers_are_rejected_naming_the_file(tmp_path, head, what):
    path = write(tmp_path / "bad-idx1-ubyte", head + (3).to_bytes(4, "big") + bytes(3))
    with _value_error_naming(path, what):
        read_idx(path)


def test_a_wrong_dimension_count_in_the_header_is_rejected(tmp_path):
    """A header that says 3 dimensions in front of a 1-D file's bytes: the sizes cannot fit."""
    content = idx_bytes(np.arange(5, dtype=np.uint8))
    path = write(tmp_path / "dims-idx1-ubyte", content[:3] + bytes([3]) + content[4:])
    with _value_error_naming(path):
        read_idx(path)


def test_bytes_after_the_data_are_rejected(tmp_path):
    path = write(tmp_path / "long-idx1-ubyte", idx_bytes(np.arange(5, dtype=np.uint8)) + b"\x00\x00")
    with _value_error_naming(path, "2 bytes after the data"):
        read_idx(path)


def test_read_idx_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope-idx1-ubyte")


# ----------------------------------------------------------------------------- load_mnist


def _mnist_dir(tmp_path: Path, prefix: str, n: int, *, compress=False, dot=False, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    sep = "." if dot else "-"
    suffix = ".gz" if compress else ""
    write(tmp_path / f"{prefix}-images{sep}idx3-ubyte{suffix}", idx_bytes(images), compress=compress)
    write(tmp_path / f"{prefix}-labels{sep}idx1-ubyte{suffix}", idx_bytes(labels), compress=compress)
    return images, labels


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dot", [False, True])
@pytest.mark.parametrize(("kind", "prefix"), [("train", "train"), ("test", "t10k")])
def test_load_mnist_round_trip(tmp_path, kind, prefix, compress, dot):
    images, labels = _mnist_dir(tmp_path, prefix, 7, compress=compress, dot=dot)
    X, y = load_mnist(tmp_path, kind=kind)
    assert X.shape == (7, 28, 28)
    assert X.dtype == np.float64
    assert y.shape == (7,)
    assert y.dtype == np.int64
    assert X.min() == 0.0
    assert X.max() == 1.0
    np.testing.assert_array_equal(X * 255, images)
    np.testing.assert_array_equal(y, labels)


def test_load_mnist_default_kind_is_train_and_str_directory_works(tmp_path):
    _mnist_dir(tmp_path, "train", 3, seed=1)
    test_images, _ = _mnist_dir(tmp_path, "t10k", 2, seed=2)
    assert len(load_mnist(str(tmp_path))[0]) == 3
    np.testing.assert_array_equal(load_mnist(tmp_path, "test")[0] * 255, test_images)


def test_load_mnist_rejects_mismatched_counts_naming_both_files(tmp_path):
    _mnist_dir(tmp_path, "train", 5)
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.zeros(4, dtype=np.uint8)))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte has 5 images but .*train-labels-idx1-ubyte has 4"):
        load_mnist(tmp_path)


def test_load_mnist_rejects_a_wrong_number_of_dimensions(tmp_path):
    _mnist_dir(tmp_path, "train", 5)
    flat = write(tmp_path / "train-images-idx3-ubyte", idx_bytes(np.zeros((5, 784), dtype=np.uint8)))
    with _value_error_naming(flat, "MNIST images have 3 dimensions (N, H, W), this file has 2"):
        load_mnist(tmp_path)
    _mnist_dir(tmp_path, "train", 5)
    labels = write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.zeros((5, 1), dtype=np.uint8)))
    with _value_error_naming(labels, "MNIST labels have 1 dimension (N,), this file has 2"):
        load_mnist(tmp_path)


def test_load_mnist_rejects_swapped_files(tmp_path):
    _, labels = _mnist_dir(tmp_path, "train", 4)
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(labels))
    with _value_error_naming(tmp_path / "train-images-idx3-ubyte", "this file has 1"):
        load_mnist(tmp_path)


def test_load_mnist_rejects_a_wrong_type_byte(tmp_path):
    _mnist_dir(tmp_path, "train", 4)
    path = write(tmp_path / "train-images-idx3-ubyte", idx_bytes(np.zeros((4, 28, 28), dtype=np.float32)))
    with _value_error_naming(path, "MNIST images are uint8 (type byte 0x08), this file holds float32"):
        load_mnist(tmp_path)


def test_load_mnist_passes_on_read_errors_naming_the_file(tmp_path):
    _mnist_dir(tmp_path, "t10k", 4, compress=True)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-12])
    with _value_error_naming(labels, "gzip"):
        load_mnist(tmp_path, kind="test")


def test_load_mnist_missing_files_and_bad_kind(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloads"):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a directory"):
        load_mnist(tmp_path / "missing")
    _mnist_dir(tmp_path, "train", 2)
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        load_mnist(tmp_path, kind="test")
    for kind in ("val", "TRAIN", None):
        with pytest.raises(ValueError, match=re.escape(f"kind must be 'train' or 'test', got {kind!r}")):
            load_mnist(tmp_path, kind=kind)
