"""Procedural scenes: a car, bus, monument or flower against sky and lawn, where only shape matters.

Each image has a sky (hue around blue, a brightness gradient, optional clouds) over textured
ground (greens or browns) at a random horizon, and one object drawn as a filled silhouette with
internal structure (windows, wheels, doors, petals). All nuisance factors (position, scale,
rotation, flip, colours, background, lighting, clutter, noise, occlusion) are drawn independently
of the class; colours come from the same distribution for every class and every silhouette is
rescaled to the same bounding-box area, so neither colour nor size gives the class away.

Every random number is drawn up front from ``np.random.default_rng(seed)`` as uniforms with a
fixed meaning per column, then mapped through the difficulty's ranges: the same seed gives the
same layout at every difficulty, and overriding one range changes only that factor. Rendering
uses only elementwise numpy and quantises to steps of 1/255, so the arrays are byte-identical
across machines.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from featcmp.data.scene_shapes import (
    N_SHAPE,
    SHAPES,
    draw_background,
    draw_clutter,
    draw_object,
    draw_occluder,
    f32,
)
from featcmp.errors import DataError, did_you_mean

CLASS_NAMES = ("car", "bus", "monument", "flower")
DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class SceneRanges:
    """Ranges of the nuisance factors; :func:`scene_ranges` gives one preset per difficulty.

    Attributes
    ----------
    position : float
        Maximum offset of the object centre from the image centre, as a fraction of image size.
    scale : tuple of float
        Range of the object size: the square root of its bounding-box area over image size.
    rotation : float
        Maximum absolute rotation in degrees.
    flip : bool
        Whether objects face left or right at random.
    object_colour : float
        0..1, how widely the object colours vary (0: every object has the same colours).
    background : float
        0..1, how widely sky and ground colours, horizon height and tilt vary.
    lighting : tuple of float
        Range of the global brightness multiplier.
    clutter : int
        Maximum number of small distractor shapes.
    noise : float
        Maximum standard deviation of the Gaussian pixel noise (drawn per image from [0, noise]).
    occlusion : float
        Probability that a block partially hides the object.
    clouds : bool
        Whether the sky may have clouds.
    """

    position: float
    scale: tuple[float, float]
    rotation: float
    flip: bool
    object_colour: float
    background: float
    lighting: tuple[float, float]
    clutter: int
    noise: float
    occlusion: float
    clouds: bool


_PRESETS = {
    "easy": SceneRanges(0.05, (0.5, 0.6), 0.0, True, 0.25, 0.15, (0.95, 1.05), 0, 0.0, 0.0, False),
    "medium": SceneRanges(
        0.15, (0.38, 0.6), 12.0, True, 0.7, 0.5, (0.75, 1.15), 3, 0.04, 0.2, True
    ),
    "hard": SceneRanges(0.25, (0.28, 0.62), 30.0, True, 1.0, 1.0, (0.5, 1.3), 6, 0.08, 0.4, True),
}
_UNIT = ("object_colour", "background", "occlusion")  # fields that must lie in [0, 1]
_PAIRS = ("scale", "lighting")
_FLAGS = ("flip", "clouds")
MAX_CLUTTER = 32


def _coerce(name: str, value: object) -> object:
    """Check one override and convert it to the field's type; raise DataError if invalid."""
    bad = DataError(f"invalid scene range {name}={value!r}")
    try:
        if name in _FLAGS:
            if not isinstance(value, (bool, np.bool_)):
                raise bad
            return bool(value)
        if name == "clutter":
            if isinstance(value, bool) or int(value) != value or not 0 <= value <= MAX_CLUTTER:
                raise DataError(f"invalid scene range clutter={value!r}; need 0..{MAX_CLUTTER}")
            return int(value)
        if name in _PAIRS:
            lo, hi = (value, value) if np.ndim(value) == 0 else value
            lo, hi = float(lo), float(hi)
            if not 0 < lo <= hi or (name == "scale" and hi > 2):
                raise DataError(f"invalid scene range {name}={value!r}; need 0 < low <= high")
            return (lo, hi)
        v = float(value)
    except (TypeError, ValueError) as err:
        raise bad from err
    if not np.isfinite(v) or v < 0 or (name in _UNIT and v > 1) or (name == "rotation" and v > 180):
        raise bad
    return v


def scene_ranges(difficulty: str = "medium", **overrides: object) -> SceneRanges:
    """Return the nuisance ranges of a difficulty preset, with some fields overridden.

    Parameters
    ----------
    difficulty : str
        One of :data:`DIFFICULTIES`.
    **overrides
        Any :class:`SceneRanges` field, e.g. ``rotation=0`` or ``scale=(0.4, 0.5)``.

    Returns
    -------
    SceneRanges

    Raises
    ------
    DataError
        On an unknown difficulty, an unknown field name or an invalid value.
    """
    if difficulty not in _PRESETS:
        hint = did_you_mean(str(difficulty), DIFFICULTIES)
        raise DataError(
            f"unknown scene difficulty '{difficulty}'{hint}; choose from: {', '.join(DIFFICULTIES)}"
        )
    fields = [f.name for f in dataclasses.fields(SceneRanges)]
    for name in overrides:
        if name not in fields:
            raise DataError(
                f"unknown scene range '{name}'{did_you_mean(name, fields)}; "
                f"choose from: {', '.join(fields)}"
            )
    checked = {name: _coerce(name, value) for name, value in overrides.items()}
    return dataclasses.replace(_PRESETS[difficulty], **checked)


# Columns of the per-image uniform block. Order is part of the output: append, never reorder.
_COLS = (
    *("offset_x", "offset_y", "scale", "rotation", "flip"),
    *("hue1", "sat1", "val1", "hue2", "sat2", "val2", "hue3", "sat3", "val3"),
    *("sky_hue", "sky_sat", "sky_val", "brown", "ground_hue", "ground_sat", "ground_val"),
    *("texture", "horizon", "tilt", "cloud_cover", "lighting", "noise", "clutter"),
    *("occluded", "occ_x", "occ_y", "occ_w", "occ_h", "occ_kind", "occ_hue", "occ_sat", "occ_val"),
)


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vectorised HSV to RGB for arrays of the same shape; returns shape (..., 3) float32."""
    h = np.mod(h, 1.0) * 6
    s, v = np.clip(s, 0, 1), np.clip(v, 0, 1)
    i = np.floor(h).astype(np.int64) % 6
    f = h - np.floor(h)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    table = np.stack([v, q, p, p, t, v, t, v, v, q, p, p, p, p, t, v, v, q], axis=-1)
    table = table.reshape(*h.shape, 3, 6)  # [channel, sector]
    return np.take_along_axis(table, i[..., None, None], axis=-1)[..., 0].astype(np.float32)


# The one bound of each (config options and Python calls alike): images per class, image side.
N_PER_CLASS, SIZE = (1, 100_000), (8, 512)


def check_sizes(n_per_class: int, seed: int, size: int = 32) -> None:
    """Refuse a class count, image size or seed the generator cannot take (DataError)."""
    for name, value, (lo, hi) in (("n_per_class", n_per_class, N_PER_CLASS), ("size", size, SIZE)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise DataError(f"scene {name} must be an integer, got {value!r}")
        if not lo <= value <= hi:
            raise DataError(f"scene {name} must be in {lo}..{hi}, got {value}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"scene seed must be a non-negative integer, got {seed!r}")


def sample_params(
    n_per_class: int = 250, difficulty: str = "medium", seed: int = 0, **overrides: object
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Draw the labels and every per-image scene parameter, without rendering.

    Parameters
    ----------
    n_per_class, difficulty, seed, **overrides
        As in :func:`generate_scenes`.

    Returns
    -------
    y : np.ndarray
        int64 labels, shape (n,), exactly ``n_per_class`` of each class, shuffled.
    params : dict of str to np.ndarray
        Per-image parameters, first axis n: ``offset_x``, ``offset_y`` (image fractions, y up),
        ``scale``, ``rotation`` (degrees), ``flip`` (bool), ``object_rgb`` (n, 3 materials, 3),
        ``sky_rgb``, ``ground_rgb`` (n, 3), ``horizon``, ``tilt``, ``cloud_cover``,
        ``lighting``, ``noise`` (std), ``clutter`` (count), ``clutter_shapes`` (n, slots, 4:
        kind, x, y, radius), ``clutter_rgb``, ``occluded`` (bool), ``occluder`` (n, 5: kind, cx,
        cy, half width, half height), ``occluder_rgb``, ``texture``, ``variant`` (drawing
        variant of the class) and ``shape`` (n, 6 jitter uniforms).
    """
    check_sizes(n_per_class, seed)
    r = scene_ranges(difficulty, **overrides)
    rng = np.random.default_rng(seed)
    n = 4 * n_per_class
    y = rng.permutation(np.repeat(np.arange(4, dtype=np.int64), n_per_class))
    u = {name: col for name, col in zip(_COLS, rng.random((len(_COLS), n)), strict=True)}
    shape = rng.random((n, N_SHAPE))
    slots = rng.random((n, max(r.clutter, 1), 7))

    def spread(name: str, width: float) -> np.ndarray:  # symmetric spread around 0
        return width * (2 * u[name] - 1)

    oc, bg = r.object_colour, r.background
    val1 = 0.8 + oc * 0.7 * (u["val1"] - 0.5)
    # Materials: body, details (glass, doors, flower centre), dark parts (wheels, stems, plinths).
    object_rgb = np.stack(
        [
            _hsv_to_rgb(spread("hue1", 0.5 * oc), 0.7 + oc * (u["sat1"] - 0.5), val1),
            _hsv_to_rgb(
                0.55 + spread("hue2", 0.5 * oc),
                0.3 + oc * 0.5 * (u["sat2"] - 0.5),
                np.where(val1 > 0.6, 0.25, 0.85) + spread("val2", 0.15 * oc),
            ),
            _hsv_to_rgb(
                0.08 + spread("hue3", 0.5 * oc),
                0.35 + oc * 0.5 * (u["sat3"] - 0.5),
                0.22 + oc * 0.3 * (u["val3"] - 0.5),
            ),
        ],
        axis=1,
    )
    sky_rgb = _hsv_to_rgb(
        0.58 + spread("sky_hue", 0.08 * bg),
        0.55 + bg * 0.8 * (u["sky_sat"] - 0.5),
        0.88 + bg * 0.4 * (u["sky_val"] - 0.5),
    )
    brown = u["brown"] < 0.35 * bg
    ground_rgb = _hsv_to_rgb(
        np.where(brown, 0.08, 0.28) + spread("ground_hue", 0.06 * bg),
        0.6 + bg * 0.4 * (u["ground_sat"] - 0.5),
        0.55 + bg * 0.4 * (u["ground_val"] - 0.5),
    )
    lo, hi = r.scale
    occ_scale = lo + (hi - lo) * u["scale"]
    kinds = np.floor(3 * slots[..., 0])
    clutter_shapes = np.stack(
        [kinds, slots[..., 1] - 0.5, slots[..., 2] - 0.5, 0.03 + 0.06 * slots[..., 3]], axis=-1
    )
    params = {
        "offset_x": spread("offset_x", r.position),
        "offset_y": spread("offset_y", r.position),
        "scale": occ_scale,
        "rotation": spread("rotation", r.rotation),
        "flip": (u["flip"] < 0.5) & r.flip,
        "object_rgb": object_rgb,
        "sky_rgb": sky_rgb,
        "ground_rgb": ground_rgb,
        "horizon": -0.05 + spread("horizon", 0.05 + 0.2 * bg),
        "tilt": spread("tilt", 0.15 * bg),
        "texture": 0.15 + 0.2 * u["texture"],
        "cloud_cover": u["cloud_cover"] * r.clouds,
        "lighting": r.lighting[0] + (r.lighting[1] - r.lighting[0]) * u["lighting"],
        "noise": r.noise * u["noise"],
        "clutter": np.floor(u["clutter"] * (r.clutter + 1)).astype(np.int64),
        "clutter_shapes": clutter_shapes,
        "clutter_rgb": _hsv_to_rgb(
            slots[..., 4], 0.2 + 0.7 * slots[..., 5], 0.2 + 0.75 * slots[..., 6]
        ),
        "occluded": u["occluded"] < r.occlusion,
        "occluder": np.stack(
            [
                np.floor(2 * u["occ_kind"]),
                spread("occ_x", 0.6) * occ_scale,
                spread("occ_y", 0.6) * occ_scale,
                (0.15 + 0.25 * u["occ_w"]) * occ_scale,
                (0.15 + 0.25 * u["occ_h"]) * occ_scale,
            ],
            axis=-1,
        ),
        "occluder_rgb": _hsv_to_rgb(
            u["occ_hue"], 0.1 + 0.6 * u["occ_sat"], 0.15 + 0.6 * u["occ_val"]
        ),
        "shape": shape,
    }
    params["occluder"][:, 1] += params["offset_x"]
    params["occluder"][:, 2] += params["offset_y"]
    n_variants = np.array([len(SHAPES[c]) for c in range(4)])[y]
    params["variant"] = np.minimum(np.floor(shape[:, -1] * n_variants), n_variants - 1).astype(
        np.int64
    )
    return y, params


def generate_scenes(
    n_per_class: int = 250,
    size: int = 32,
    rgb: bool = True,
    difficulty: str = "medium",
    seed: int = 0,
    return_params: bool = False,
    **overrides: object,
):
    """Render a balanced, shuffled set of scenes.

    Parameters
    ----------
    n_per_class : int
        Images per class, >= 1.
    size : int
        Image side in pixels, 8..512.
    rgb : bool
        Colour images (n, size, size, 3) if true, else luminance (n, size, size).
    difficulty : str
        One of :data:`DIFFICULTIES`; sets the nuisance ranges.
    seed : int
        Same seed, same bytes.
    return_params : bool
        Also return the per-image parameters of :func:`sample_params`.
    **overrides
        Any :class:`SceneRanges` field, overriding the preset.

    Returns
    -------
    X : np.ndarray
        float32 in [0, 1], multiples of 1/255.
    y : np.ndarray
        int64 labels in 0..3.
    class_names : list of str
    params : dict, only with ``return_params``
    """
    check_sizes(n_per_class, seed, size)
    y, params = sample_params(n_per_class, difficulty, seed, **overrides)
    X = _render(y, params, size, rgb, seed)
    if return_params:
        return X, y, list(CLASS_NAMES), params
    return X, y, list(CLASS_NAMES)


def _render(
    y: np.ndarray, params: dict[str, np.ndarray], size: int, rgb: bool, seed: int
) -> np.ndarray:
    """Render all images in chunks of about 2**19 pixels to bound memory."""
    n = len(y)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])  # textures and noise
    centres = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    gx, gy = centres[None, None, :], -centres[None, :, None]  # x right, y up
    X = np.empty((n, size, size, 3) if rgb else (n, size, size), dtype=np.float32)
    chunk = max(1, 2**19 // (size * size))
    for start in range(0, n, chunk):
        part = slice(start, min(start + chunk, n))
        p = {k: v[part] for k, v in params.items()}
        b = part.stop - part.start
        img = np.empty((b, size, size, 3), dtype=np.float32)
        draw_background(img, p, gx, gy, size, rng)
        draw_clutter(img, p, gx, gy, size)
        draw_object(img, y[part], p, gx, gy, size)
        draw_occluder(img, p, gx, gy, size)
        img *= f32(p["lighting"])[..., None]
        np.clip(img, 0, 1, out=img)  # saturate per channel, like a sensor, before taking grey
        if not rgb:
            img = 0.299 * img[..., 0] + 0.587 * img[..., 1] + 0.114 * img[..., 2]
        noise = rng.standard_normal(img.shape, dtype=np.float32)
        img += noise * f32(p["noise"]).reshape((b,) + (1,) * (img.ndim - 1))
        X[part] = np.clip(np.rint(img * 255), 0, 255) / np.float32(255)
    return X
