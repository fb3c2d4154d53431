"""Signed-distance primitives, object silhouettes and scene layers for :mod:`featcmp.data.scenes`.

Every primitive returns an *inside distance*: positive inside the shape, negative outside, in
the units of the coordinates passed in. The renderer turns it into anti-aliased coverage with
``clip(0.5 + d * pixels_per_unit, 0, 1)``, so shapes are drawn once at the target resolution
instead of supersampled. Boolean algebra on shapes is ``max`` (union), ``min`` (intersection)
and ``min(a, -b)`` (a minus b).

The object functions take design-frame coordinates ``x, y`` of shape (b, H, W) (x to the
object's front, y up) and ``j``, a (b, N_SHAPE) array of uniforms in [0, 1) that jitter the
proportions, and return the layers to paint in order as ``(material, inside_distance)``.
The scene layers (background, clutter, object, occluder) follow the primitives. Only plain
elementwise numpy (``+ - * / sqrt floor``) is used, so results are bit-identical on
every platform.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

PRIMARY, SECONDARY, TERTIARY = 0, 1, 2
N_SHAPE = 6  # shape-jitter uniforms per image
MAX_PETALS = 9

Layer = tuple[int, np.ndarray]
Array = np.ndarray
_FAR = np.float32(-1e3)  # inside distance of an absent part


def _col(j: Array, k: int, lo: float, hi: float) -> Array:
    """Map jitter column ``k`` to [lo, hi), shaped (b, 1, 1) to broadcast over pixels."""
    return (lo + (hi - lo) * j[:, k]).astype(np.float32)[:, None, None]


def box(x: Array, y: Array, x0, x1, y0, y1) -> Array:
    """Axis-aligned rectangle [x0, x1] x [y0, y1]."""
    return np.minimum(np.minimum(x - x0, x1 - x), np.minimum(y - y0, y1 - y))


def rounded_box(x: Array, y: Array, cx, cy, hw, hh, r) -> Array:
    """Rectangle centred at (cx, cy) with half sizes (hw, hh) and corner radius r."""
    qx = np.abs(x - cx) - (hw - r)
    qy = np.abs(y - cy) - (hh - r)
    outside = np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2)
    return r - outside - np.minimum(np.maximum(qx, qy), 0)


def circle(x: Array, y: Array, cx, cy, r) -> Array:
    """Disc of radius r."""
    return r - np.sqrt((x - cx) ** 2 + (y - cy) ** 2)


def ellipse(x: Array, y: Array, cx, cy, rx, ry) -> Array:
    """Axis-aligned ellipse; the distance is approximate, which is enough for anti-aliasing."""
    k = np.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2)
    return (1 - k) * np.minimum(rx, ry)


def trapezoid(x: Array, y: Array, y0, y1, xl0, xr0, xl1, xr1) -> Array:
    """Quad, bottom edge [xl0, xr0] at y0, top edge [xl1, xr1] at y1 (xl1 == xr1: a triangle)."""
    h = y1 - y0
    dl, dr = xl1 - xl0, xr1 - xr0
    left = ((x - xl0) * h - (y - y0) * dl) / np.sqrt(dl * dl + h * h)
    right = ((xr0 - x) * h + (y - y0) * dr) / np.sqrt(dr * dr + h * h)
    return np.minimum(np.minimum(left, right), np.minimum(y - y0, y1 - y))


def arch(x: Array, y: Array, cx, y0, y1, hw) -> Array:
    """Door or window opening: a rectangle from y0 up to y1 topped by a half disc."""
    return np.maximum(box(x, y, cx - hw, cx + hw, y0, y1), circle(x, y, cx, y1, hw))


def car(x: Array, y: Array, j: Array) -> list[Layer]:
    """Low body, a cabin with two side windows, two wheels with hub caps."""
    shift = _col(j, 0, -0.12, 0.12)  # cabin fore/aft
    top = _col(j, 1, 0.12, 0.2)  # body height
    cab_h = _col(j, 2, 0.28, 0.36)
    wheel_r = _col(j, 3, 0.17, 0.22)
    body = np.minimum(box(x, y, -1.0, 1.0, -0.25, top), ellipse(x, y, 0.0, -0.05, 1.08, 0.42))
    c0, c1 = top - 0.02, top + cab_h
    cabin = trapezoid(x, y, c0, c1, shift - 0.62, shift + 0.5, shift - 0.38, shift + 0.25)
    glass = trapezoid(
        x, y, c0 + 0.05, c1 - 0.06, shift - 0.52, shift + 0.4, shift - 0.33, shift + 0.2
    )
    glass = np.minimum(glass, -box(x, y, shift - 0.1, shift - 0.03, c0, c1))  # B-pillar
    wheels = np.maximum(circle(x, y, -0.6, -0.25, wheel_r), circle(x, y, 0.6, -0.25, wheel_r))
    hubs = np.maximum(
        circle(x, y, -0.6, -0.25, 0.4 * wheel_r), circle(x, y, 0.6, -0.25, 0.4 * wheel_r)
    )
    return [
        (PRIMARY, np.maximum(body, cabin)),
        (SECONDARY, glass),
        (TERTIARY, wheels),
        (SECONDARY, hubs),
    ]


def bus(x: Array, y: Array, j: Array) -> list[Layer]:
    """Long tall box, a row of side windows, windscreen, door, two or three wheels."""
    n_win = np.floor(4 + 3 * j[:, 0]).astype(np.float32)[:, None, None]  # 4..6 windows
    three = (j[:, 1] < 0.5)[:, None, None]
    roof = _col(j, 2, 0.68, 0.78)
    wheel_r = _col(j, 3, 0.17, 0.21)
    body = rounded_box(x, y, 0.0, (roof - 0.3) / 2, 1.3, (roof + 0.3) / 2, 0.08)
    # Row of windows: a periodic cell along x, glass in the first 78 % of each cell.
    x0, x1 = -1.15, 0.9
    period = (x1 - x0) / n_win
    width = 0.78 * period
    xm = (x - x0) - period * np.floor((x - x0) / period)
    along = np.where(xm <= width, np.minimum(xm, width - xm), -np.minimum(xm - width, period - xm))
    row = np.minimum(np.minimum(along, box(x, y, x0, x1, 0.3, roof - 0.1)), x1 - x)
    screen = box(x, y, 1.0, 1.22, 0.05, roof - 0.1)
    door = box(x, y, 0.62, 0.86, -0.22, 0.22)
    axles = [circle(x, y, xa, -0.3, wheel_r) for xa in (-0.82, 0.8)]
    wheels = np.maximum(
        np.maximum(*axles), np.where(three, circle(x, y, -0.4, -0.3, wheel_r), _FAR)
    )
    return [
        (PRIMARY, body),
        (SECONDARY, np.maximum(np.maximum(row, screen), door)),
        (TERTIARY, wheels),
    ]


def dome(x: Array, y: Array, j: Array) -> list[Layer]:
    """Domed hall on a base, flanked by two minarets, with an arched door and windows."""
    dome_h = _col(j, 0, 0.42, 0.55)
    tower_h = _col(j, 1, 0.3, 0.55)
    base = box(x, y, -0.85, 0.85, -0.7, -0.05)
    drum = box(x, y, -0.45, 0.45, -0.05, 0.1)
    cupola = np.minimum(ellipse(x, y, 0.0, 0.1, 0.45, dome_h), y - 0.1)
    finial = box(x, y, -0.03, 0.03, 0.05 + dome_h, 0.2 + dome_h)
    towers = np.maximum(
        box(x, y, -1.02, -0.88, -0.7, tower_h), box(x, y, 0.88, 1.02, -0.7, tower_h)
    )
    caps = np.maximum(circle(x, y, -0.95, tower_h, 0.1), circle(x, y, 0.95, tower_h, 0.1))
    main = np.maximum(np.maximum(np.maximum(base, drum), np.maximum(cupola, finial)), towers)
    doors = np.maximum(arch(x, y, 0.0, -0.7, -0.3, 0.15), arch(x, y, -0.5, -0.5, -0.3, 0.1))
    doors = np.maximum(doors, arch(x, y, 0.5, -0.5, -0.3, 0.1))
    plinth = box(x, y, -1.08, 1.08, -0.8, -0.7)
    return [(PRIMARY, main), (TERTIARY, np.maximum(caps, plinth)), (SECONDARY, doors)]


def obelisk(x: Array, y: Array, j: Array) -> list[Layer]:
    """Tapered shaft with a pyramidion on a stepped base."""
    taper = _col(j, 0, 0.08, 0.13)
    half = _col(j, 1, 0.15, 0.2)
    shaft = trapezoid(x, y, -0.82, 0.85, -half, half, -taper, taper)
    tip = trapezoid(x, y, 0.85, 1.05, -taper, taper, 0.0, 0.0)
    steps = np.maximum(box(x, y, -0.45, 0.45, -1.1, -0.95), box(x, y, -0.32, 0.32, -0.95, -0.82))
    plaque = box(x, y, -0.07, 0.07, -0.6, -0.25)
    return [(PRIMARY, np.maximum(shaft, tip)), (TERTIARY, steps), (SECONDARY, plaque)]


def triumphal_arch(x: Array, y: Array, j: Array) -> list[Layer]:
    """Block with a large arched opening (background shows through) and two side niches."""
    gate = _col(j, 0, 0.25, 0.34)
    spring = _col(j, 1, -0.1, 0.05)  # where the arch starts
    block = box(x, y, -0.9, 0.9, -0.7, 0.35)
    attic = box(x, y, -0.78, 0.78, 0.47, 0.75)
    opening = arch(x, y, 0.0, -0.75, spring, gate)
    main = np.minimum(np.maximum(block, attic), -opening)
    cornice = box(x, y, -1.0, 1.0, 0.35, 0.47)
    niches = np.maximum(arch(x, y, -0.62, -0.7, -0.25, 0.1), arch(x, y, 0.62, -0.7, -0.25, 0.1))
    return [(PRIMARY, main), (TERTIARY, cornice), (SECONDARY, niches)]


def flower(x: Array, y: Array, j: Array) -> list[Layer]:
    """Stem with two leaves, a ring of 5 to 9 petals around a round centre."""
    n = np.floor(5 + 5 * j[:, 0]).astype(np.int64)[:, None, None]
    radius = _col(j, 1, 0.42, 0.55)
    bend = _col(j, 2, -0.12, 0.12)
    t = _col(j, 3, -0.45, 0.45)  # petal phase as tan(angle / 2): a rational rotation, no trig
    rc, rs = (1 - t * t) / (1 + t * t), 2 * t / (1 + t * t)
    cx = bend  # the head sits on the bent stem's tip
    dx, dy = x - cx, y - 0.45
    rho = np.sqrt(dx * dx + dy * dy) + np.float32(1e-6)
    # cos(n*phi) via the Chebyshev recurrence T_k(cos phi): no trig per pixel, so no libm drift.
    c = np.clip((rc * dx + rs * dy) / rho, -1, 1)
    t_prev, t_cur, cos_n = np.ones_like(c), c, np.zeros_like(c)
    for k in range(2, MAX_PETALS + 1):
        t_prev, t_cur = t_cur, 2 * c * t_cur - t_prev
        cos_n = np.where(n == k, t_cur, cos_n)
    petal_r = radius * (0.35 + 0.65 * np.sqrt(np.maximum(0.5 + 0.5 * cos_n, 0)))
    head = (petal_r - rho) * 0.6  # the radial gap overstates the true distance near petal tips
    centre = circle(x, y, cx, 0.45, 0.3 * radius)
    yb = y + 1.05  # stem bends quadratically towards the head
    stem_x = bend * (yb / 1.5) ** 2
    stem = np.minimum(0.04 - np.abs(x - stem_x), np.minimum(yb, 0.45 - y))
    # Leaves: ellipses tilted by +-35 degrees (fixed constants, exact on every platform).
    ca, sa = np.float32(0.819152), np.float32(0.573576)
    lx, ly = x - 0.2, y + 0.45
    leaf1 = ellipse(ca * lx + sa * ly, -sa * lx + ca * ly, 0.0, 0.0, 0.22, 0.075)
    lx, ly = x + 0.2, y + 0.65
    leaf2 = ellipse(ca * lx - sa * ly, sa * lx + ca * ly, 0.0, 0.0, 0.22, 0.075)
    green = np.maximum(stem, np.maximum(leaf1, leaf2))
    return [(TERTIARY, green), (PRIMARY, head), (SECONDARY, centre)]


ShapeFn = Callable[[Array, Array, Array], list[Layer]]
# Per class: its drawing variants, each with its nominal bounding box (x0, x1, y0, y1) in design
# units. The renderer rescales every variant to a unit-area box, so the box area is the same
# for every class and only the shape tells them apart.
SHAPES: tuple[tuple[tuple[ShapeFn, tuple[float, float, float, float]], ...], ...] = (
    ((car, (-1.0, 1.0, -0.45, 0.54)),),
    ((bus, (-1.3, 1.3, -0.5, 0.73)),),
    (
        (dome, (-1.08, 1.08, -0.8, 0.65)),
        (obelisk, (-0.45, 0.45, -1.1, 1.05)),
        (triumphal_arch, (-1.0, 1.0, -0.7, 0.75)),
    ),
    ((flower, (-0.6, 0.6, -1.05, 0.95)),),
)


# Scene layers. Each paints in place on img (b, H, W, 3), with gx (1, 1, W) and gy (1, H, 1)
# the pixel-centre coordinates in image fractions (x right, y up, 0 at the centre); p holds
# the chunk's slice of the per-image parameters from scenes.sample_params.


def _smooth_noise(rng: np.random.Generator, b: int, grid: tuple[int, int], size: int) -> np.ndarray:
    """Uniform noise on a coarse grid, bilinearly upsampled to (b, size, size) by gathering."""
    g = rng.random((b, *grid), dtype=np.float32)
    out = g
    for axis, cells in ((1, grid[0]), (2, grid[1])):
        pos = (np.arange(size, dtype=np.float32) + 0.5) * np.float32((cells - 1) / size)
        i0 = np.minimum(np.floor(pos).astype(np.int64), cells - 2)
        w = pos - i0
        shape = [1, 1, 1]
        shape[axis] = size
        w = w.reshape(shape)
        out = np.take(out, i0, axis=axis) * (1 - w) + np.take(out, i0 + 1, axis=axis) * w
    return out


def _over(img: np.ndarray, alpha: np.ndarray, colour: np.ndarray) -> None:
    """Paint ``colour`` (b, 3) over ``img`` (b, H, W, 3) in place with coverage (b, H, W)."""
    img += alpha[..., None] * (colour[:, None, None, :] - img)


def _coverage(d: np.ndarray, pixels_per_unit: np.ndarray | float) -> np.ndarray:
    return np.clip(0.5 + d * pixels_per_unit, 0, 1)


def f32(a: np.ndarray) -> np.ndarray:
    """Per-image values as float32 shaped (b, 1, 1), to broadcast over pixels."""
    return np.asarray(a, dtype=np.float32)[:, None, None]


def draw_background(
    img: Array, p: dict[str, Array], gx: Array, gy: Array, size: int, rng: np.random.Generator
) -> None:
    """Sky with gradient and clouds, then textured ground below a tilted horizon."""
    b = len(img)
    horizon = f32(p["horizon"])
    sky = p["sky_rgb"]
    haze = np.float32(0.55) * sky + np.float32(0.45)  # paler towards the horizon
    t = np.clip((0.5 - gy) / (0.5 - horizon), 0, 1)[..., None]
    img[:] = sky[:, None, None, :] * 0.85 + t * (haze - sky * 0.85)[:, None, None, :]
    clouds = _smooth_noise(rng, b, (9, 4), size)
    threshold = 0.9 - 0.4 * f32(p["cloud_cover"])
    alpha = np.clip((clouds - threshold) * 5, 0, 0.9) * (p["cloud_cover"] > 0)[:, None, None]
    _over(img, alpha, np.full((b, 3), 0.96, dtype=np.float32))
    coarse = _smooth_noise(rng, b, (7, 7), size)
    fine = rng.random((b, size, size), dtype=np.float32)
    depth = np.clip((horizon - gy) / (horizon + 0.5), 0, 1)
    shade = 1.05 - 0.3 * depth + f32(p["texture"]) * (coarse + 0.5 * fine - 0.75)
    ground = p["ground_rgb"][:, None, None, :] * shade[..., None]
    cover = _coverage(horizon + f32(p["tilt"]) * gx - gy, size)[..., None]
    img += cover * (ground - img)


def draw_clutter(img: Array, p: dict[str, Array], gx: Array, gy: Array, size: int) -> None:
    """Small distractor discs, squares and triangles, behind the object."""
    shapes, colours = p["clutter_shapes"], p["clutter_rgb"]
    for k in range(shapes.shape[1]):
        on = np.flatnonzero(p["clutter"] > k)
        if len(on) == 0:
            continue
        kind, cx, cy, r = (f32(shapes[on, k, i]) for i in range(4))
        dx, dy = gx - cx, gy - cy
        tri = 0.5 * r - np.maximum(-dy, np.maximum(0.866 * dx + 0.5 * dy, 0.5 * dy - 0.866 * dx))
        square = 0.8 * r - np.maximum(np.abs(dx), np.abs(dy))
        d = np.where(kind == 0, r - np.sqrt(dx * dx + dy * dy), np.where(kind == 1, square, tri))
        sub = img[on]
        _over(sub, _coverage(d, size), colours[on, k])
        img[on] = sub


def draw_object(img: Array, y: Array, p: dict[str, Array], gx: Array, gy: Array, size: int) -> None:
    """The silhouette of each image's class, transformed to its pose."""
    angle = np.deg2rad(p["rotation"].astype(np.float64))
    # Rounded so that a last-ulp difference between libm implementations cannot change a pixel.
    cos, sin = np.round(np.cos(angle), 6), np.round(np.sin(angle), 6)
    for c, variants in enumerate(SHAPES):
        for v, (draw, (x0, x1, y0, y1)) in enumerate(variants):
            on = np.flatnonzero((y == c) & (p["variant"] == v))
            if len(on) == 0:
                continue
            # Design units -> image fractions: unit bounding-box area times scale squared.
            m = f32(p["scale"][on] / np.sqrt((x1 - x0) * (y1 - y0)))
            dx, dy = gx - f32(p["offset_x"][on]), gy - f32(p["offset_y"][on])
            co, si = f32(cos[on]), f32(sin[on])
            flip = f32(np.where(p["flip"][on], -1.0, 1.0))
            xs = flip * (co * dx + si * dy) / m + np.float32((x0 + x1) / 2)
            ys = (co * dy - si * dx) / m + np.float32((y0 + y1) / 2)
            sub = img[on]
            colours = p["object_rgb"][on]
            for material, d in draw(xs, ys, p["shape"][on]):
                _over(sub, _coverage(d, m * size), colours[:, material])
            img[on] = sub


def draw_occluder(img: Array, p: dict[str, Array], gx: Array, gy: Array, size: int) -> None:
    """A block or bush in front of part of the object, where ``occluded``."""
    on = np.flatnonzero(p["occluded"])
    if len(on) == 0:
        return
    kind, cx, cy, hw, hh = (f32(p["occluder"][on, i]) for i in range(5))
    d = np.where(
        kind == 0, box(gx, gy, cx - hw, cx + hw, cy - hh, cy + hh), ellipse(gx, gy, cx, cy, hw, hh)
    )
    sub = img[on]
    _over(sub, _coverage(d, size), p["occluder_rgb"][on])
    img[on] = sub
