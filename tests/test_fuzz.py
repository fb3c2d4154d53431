"""Property-based fuzzing: the config loader, the IDX and npz readers raise FeatcmpError or work.

Nothing else may escape: no TypeError from a value of the wrong shape, no numpy error from a
header that lies, no pickle load. Example counts are modest so the suite stays quick.
"""

from __future__ import annotations

import contextlib
import io
import string
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from featcmp.data.idx import IDX_DTYPES, parse_idx, write_idx
from featcmp.data.npz import read_npz_arrays
from featcmp.errors import DataError, FeatcmpError
from featcmp.run.jobs import load_config, parse_config

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Keys a config really has, so random structures reach deep validation, not just the top.
KEYS = [
    "name", "seed", "seeds", "train_sizes", "dataset", "pipelines", "source", "path",
    "test_size", "max_train", "max_test", "params", "label", "svm", "hog", "raw", "edges",
    "C", "kernel", "gamma", "epochs", "channels", "hidden", "lr", "batch_size", "shift",
    "padding", "pixels_per_cell", "cells_per_block", "orientations", "image_size", "color",
    "n_per_class", "size", "difficulty", "images", "labels", "class_names", "pool",
]  # fmt: skip
NAMES = [
    "digits", "faces", "scenes", "folder", "npz", "idx", "raw_svm", "hog_svm", "cnn", "mlp",
    "edges_svm", "rbf", "linear", "sobel", "gray", "rgb", "../x", "/abs", "a/b",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(NAMES),
    st.text(max_size=12),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=8), st.integers(-3, 3), st.booleans())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)
configs = st.fixed_dictionaries(
    {},
    optional={
        "name": values,
        "seed": values,
        "dataset": st.one_of(
            st.fixed_dictionaries(
                {"source": st.sampled_from(NAMES)},
                optional={k: values for k in ("max_train", "test_size", "size", "path")},
            ),
            values,
        ),
        "pipelines": st.one_of(
            st.lists(
                st.one_of(
                    st.sampled_from(NAMES),
                    st.fixed_dictionaries(
                        {"name": st.sampled_from(NAMES)}, optional={"params": values}
                    ),
                ),
                max_size=3,
            ),
            values,
        ),
        "seeds": values,
        "train_sizes": values,
    },
)


@FUZZ
@given(configs)
@example({"pipelines": [{"name": "cnn", "params": {"shift": [[1]]}}]})
@example({"pipelines": [{"name": "cnn", "params": {"channels": [10**30]}}]})
@example({"dataset": {"source": "scenes", "size": 10**30}, "pipelines": ["raw_svm"]})
def test_config_structures(raw):
    with contextlib.suppress(FeatcmpError):
        parse_config(raw)


@FUZZ
@given(st.text(alphabet=string.printable + "ä→\x00", max_size=300))
@example("a: &x [*x]")  # a recursive alias
@example("!!python/object/apply:os.system ['true']")
@example("pipelines: [raw_svm]\n" + "dataset: {source: digits, test_size: .nan}")
def test_config_text(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8")
        with contextlib.suppress(FeatcmpError):
            load_config(path, [])


@FUZZ
@given(
    configs.map(lambda c: yaml.safe_dump(c, allow_unicode=True)),
    st.lists(st.text(max_size=20), max_size=3),
)
def test_config_files_with_overrides(text, overrides):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8")
        with contextlib.suppress(FeatcmpError):
            load_config(path, overrides)


# -- IDX ----------------------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        write_idx(Path(tmp) / "a.idx", array)
        buf.write((Path(tmp) / "a.idx").read_bytes())
    return buf.getvalue()


@FUZZ
@given(st.binary(max_size=400))
def test_idx_random_bytes(data):
    with contextlib.suppress(FeatcmpError):
        parse_idx(data)


@st.composite
def mutated_idx(draw):
    """A valid header (any type code, 0..5 dims of random sizes) with random payload length."""
    code = draw(st.sampled_from([*IDX_DTYPES, 0, 1, 0xFF]))
    dims = draw(st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 6), max_size=5))
    header = bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    payload = draw(st.binary(max_size=300))
    cut = draw(st.integers(0, len(header) + len(payload)))
    return (header + payload)[: cut if draw(st.booleans()) else None]


@FUZZ
@given(mutated_idx())
def test_idx_mutated_headers(data):
    try:
        array = parse_idx(data)
    except FeatcmpError:
        return
    assert array.size * array.itemsize == len(data) - 4 - 4 * data[3]


@FUZZ
@given(
    hnp.arrays(
        st.sampled_from(["u1", "i1", ">i2", ">i4", ">f4", ">f8"]),
        hnp.array_shapes(max_dims=4, max_side=5),
    ),
    st.data(),
)
def test_idx_round_trip_and_bit_flips(array, data):
    raw = idx_bytes(array)
    np.testing.assert_array_equal(parse_idx(raw), array)
    flipped = bytearray(raw)
    i = data.draw(st.integers(0, len(raw) - 1))
    flipped[i] ^= 1 << data.draw(st.integers(0, 7))
    with contextlib.suppress(FeatcmpError):
        parse_idx(bytes(flipped))


# -- npz ----------------------------------------------------------------------------------

dtypes = st.one_of(
    hnp.scalar_dtypes(),
    st.just(np.dtype(object)),
    hnp.byte_string_dtypes(max_len=4),
    hnp.unicode_string_dtypes(max_len=4),
)


def any_array(draw) -> np.ndarray:
    dtype = draw(dtypes)
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    if dtype == np.dtype(object):
        return np.array([object()] * int(np.prod(shape)), dtype=object).reshape(shape)
    return draw(hnp.arrays(dtype, shape))


@st.composite
def npz_archives(draw) -> bytes:
    names = draw(st.lists(st.sampled_from(["X", "y", "class_names", "extra"]), unique=True))
    arrays = {name: any_array(draw) for name in names}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def read_npz_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.npz"
        path.write_bytes(data)
        try:
            X, y, names = read_npz_arrays(path)
        except FeatcmpError:
            return
        assert X.dtype != object and y.dtype != object
        assert len(X) == len(y)
        assert names is None or all(isinstance(n, str) for n in names)


@FUZZ
@given(st.binary(max_size=400))
@example(b"\x80\x04\x95")  # a pickle's opening bytes
@example(b"PK\x03\x04")
def test_npz_random_bytes(data):
    read_npz_bytes(data)


@FUZZ
@given(npz_archives())
def test_npz_random_arrays(data):
    read_npz_bytes(data)


@FUZZ
@given(npz_archives(), st.data())
def test_npz_corrupted_archives(data, draw):
    cut = draw.draw(st.integers(0, len(data)))
    corrupt = bytearray(data[:cut])
    if corrupt:
        i = draw.draw(st.integers(0, len(corrupt) - 1))
        corrupt[i] ^= 0xFF
    read_npz_bytes(bytes(corrupt))


def test_npz_member_that_lies_about_its_size_is_refused(tmp_path, monkeypatch):
    """A zip whose member inflates past the memory limit is refused before it is read."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("X.npy", b"\x00" * (64 * 1024**2))  # 64 MiB of zeros: 65 kB on disk
        z.writestr("y.npy", b"")
    path = tmp_path / "bomb.npz"
    path.write_bytes(buf.getvalue())
    monkeypatch.setenv("FEATCMP_MEMORY_LIMIT_GB", "0.01")
    with pytest.raises(DataError, match=r"its arrays would take 64 MiB, over the 10\.2 MiB limit"):
        read_npz_arrays(path)
