"""Procedural well-lit street scenes with person, bicycle and car instances.

A scene is drawn with OpenCV (anti-aliased, sub-pixel coordinates) in a
simple pinhole world: a horizon line, a camera height in metres, and every
object standing on the ground plane, so its size in pixels follows from its
real size and its distance (objects near the horizon are small, objects at
the bottom of the frame large). Objects and distractors are drawn far to
near, so nearer ones occlude farther ones as in a photograph.

One scene::

    render_scene(rng, SceneConfig()) -> Scene
        image      (H, W, 3) uint8 sRGB, RGB order, well lit
        emission   (H, W) float32 in [0, 1]: fraction of each pixel's
                   radiance that comes from light sources (street lamps,
                   lit windows, car lights) and so does not dim at night
        instances  list of Instance: COCO category id, visible-extent box

Annotation rule (as COCO in practice): a box is the extent of the visible
pixels of its object (pixels where the object's coverage is >= 0.5 and no
nearer object or distractor covers it). An object is dropped (left in the
image, not annotated) when less than ``SceneConfig.min_visible`` of its
pixels are visible, whether hidden by occluders or outside the frame.

The three classes differ in shape (limbs and a head; two spoked wheels and
a frame triangle; a closed body with windows and solid wheels); their
colours come from one shared distribution (:func:`_random_color`), so
colour alone does not tell them apart.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

CATEGORIES = ({'id': 1, 'name': 'person'}, {'id': 2, 'name': 'bicycle'},
              {'id': 3, 'name': 'car'})
PERSON, BICYCLE, CAR = 1, 2, 3

Point = Tuple[float, float]
Color = Tuple[int, int, int]

_SHIFT = 4  # cv2 fractional bits: coordinates are drawn to 1/16 pixel
_ONE = 1 << _SHIFT


@dataclass
class SceneConfig:
    """Knobs of the procedural scenes.

    Attributes:
        width, height: full-resolution image size in pixels (even: the image
            becomes a Bayer mosaic of the same size).
        min_instances, max_instances: number of annotated-class objects
            placed (riders add one person per ridden bicycle; occluded ones
            may be dropped afterwards).
        min_distractors, max_distractors: non-class objects placed.
        min_object_px: smallest object height in pixels.
        max_object_frac: largest object height as a fraction of ``height``.
        min_visible: drop an instance whose visible fraction is lower.
        min_box_px: drop an instance whose visible box's longer side is
            shorter (a sliver of an occluded or truncated object).
        class_weights: relative frequency of person, bicycle, car.
    """
    width: int = 640
    height: int = 480
    min_instances: int = 1
    max_instances: int = 8
    min_distractors: int = 2
    max_distractors: int = 12
    min_object_px: float = 12.0
    max_object_frac: float = 0.5
    min_visible: float = 0.3
    min_box_px: float = 8.0
    class_weights: Tuple[float, float, float] = (0.45, 0.25, 0.30)

    def __post_init__(self):
        if self.width % 2 or self.height % 2 or min(self.width,
                                                    self.height) < 32:
            raise ValueError('scene width and height must be even and >= 32, '
                             f'got {self.width}x{self.height}')
        if not 1 <= self.min_instances <= self.max_instances:
            raise ValueError('need 1 <= min_instances <= max_instances')


@dataclass
class Instance:
    """One annotated object.

    Attributes:
        category_id: 1 person, 2 bicycle, 3 car (COCO ids).
        bbox: ``(x, y, w, h)`` of the visible pixels, full-resolution pixel
            edges (a single pixel at column 3 has x = 3, w = 1).
        area: number of visible pixels.
        visible: visible fraction of the object's pixels (in [min_visible, 1]).
    """
    category_id: int
    bbox: Tuple[float, float, float, float]
    area: float
    visible: float


@dataclass
class Scene:
    """A rendered scene; see the module docstring for the arrays."""
    image: np.ndarray
    emission: np.ndarray
    instances: List[Instance] = field(default_factory=list)


# --------------------------------------------------------------------------
# Colours and textures


def _hsv_to_rgb(h: float, s: float, v: float) -> Color:
    """h in [0, 1), s and v in [0, 1] -> 8-bit RGB."""
    i = int(h * 6) % 6
    f = h * 6 - math.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v),
               (v, p, q)][i]
    return int(r * 255 + 0.5), int(g * 255 + 0.5), int(b * 255 + 0.5)


def _random_color(rng: np.random.Generator) -> Color:
    """The one colour distribution shared by clothes, frames, car bodies
    and distractors: 40% greys from near black to near white (common for
    cars and clothes), 60% any hue."""
    if rng.random() < 0.4:
        return _hsv_to_rgb(0.0, rng.uniform(0, 0.08), rng.uniform(0.08, 0.95))
    return _hsv_to_rgb(rng.random(), rng.uniform(0.25, 1.0),
                       rng.uniform(0.15, 0.95))


def _shade(c: Color, f: float) -> Color:
    return tuple(int(min(255, max(0, round(v * f)))) for v in c)


def _jitter(rng: np.random.Generator, c: Sequence[float], amount: float
            ) -> Color:
    return tuple(
        int(min(255.0, max(0.0, v + rng.uniform(-amount, amount))))
        for v in c)


_SKIN = ((255, 219, 172), (241, 194, 125), (224, 172, 105), (198, 134, 66),
         (141, 85, 36), (92, 56, 30))
_HAIR = ((20, 15, 10), (60, 40, 25), (110, 75, 40), (200, 170, 110),
         (150, 150, 150), (170, 60, 30))
_LAMP_COLOR = (255, 236, 190)
_WINDOW_LIT = (255, 224, 150)


class _Noise:
    """Per-scene noise fields that textures crop from, so that a scene costs
    two full-size random draws whatever its number of textured regions.

    ``fine``: (H, W) float32 N(0, 1) per pixel. ``coarse``: (H, W) float32,
    smooth, zero mean, std about 1, correlation length about 24 px.
    """

    def __init__(self, rng: np.random.Generator, height: int, width: int):
        self.fine = rng.standard_normal((height, width), dtype=np.float32)
        small = rng.standard_normal((height // 24 + 3, width // 24 + 3),
                                    dtype=np.float32)
        big = cv2.resize(small, (width + 72, height + 72),
                         interpolation=cv2.INTER_CUBIC)
        self.coarse = big[36:36 + height, 36:36 + width]


# --------------------------------------------------------------------------
# Drawing an object on its own layer


class _Layer:
    """One object's own RGBA canvas, in image coordinates.

    Drawn with colour ``(r, g, b, 255)`` and LINE_AA, OpenCV blends every
    channel by coverage, which is exactly the 'over' operator on
    premultiplied RGBA: the layer holds premultiplied colour and alpha, so
    it composites without dark fringes and its alpha says which pixels
    belong to the object (for occlusion and boxes).
    """

    def __init__(self, box: Tuple[float, float, float, float]):
        x0, y0, x1, y1 = box
        self.x0, self.y0 = int(math.floor(x0)) - 2, int(math.floor(y0)) - 2
        w = int(math.ceil(x1)) + 2 - self.x0
        h = int(math.ceil(y1)) + 2 - self.y0
        self.rgba = np.zeros((max(h, 1), max(w, 1), 4), np.uint8)
        self.emit: Optional[np.ndarray] = None  # (h, w) uint8, lazily

    def _p(self, p: Point) -> Tuple[int, int]:
        return (int(round((p[0] - self.x0) * _ONE)),
                int(round((p[1] - self.y0) * _ONE)))

    def _emit_layer(self) -> np.ndarray:
        if self.emit is None:
            self.emit = np.zeros(self.rgba.shape[:2], np.uint8)
        return self.emit

    def line(self, p: Point, q: Point, color: Color, width: float,
             emit: float = 0.0) -> None:
        t = max(1, int(round(width)))
        cv2.line(self.rgba, self._p(p), self._p(q), (*color, 255), t,
                 cv2.LINE_AA, _SHIFT)
        if emit:
            cv2.line(self._emit_layer(), self._p(p), self._p(q),
                     int(255 * emit), t, cv2.LINE_AA, _SHIFT)

    def circle(self, c: Point, r: float, color: Color, width: float = -1,
               emit: float = 0.0) -> None:
        t = -1 if width < 0 else max(1, int(round(width)))
        rr = max(1, int(round(r * _ONE)))
        cv2.circle(self.rgba, self._p(c), rr, (*color, 255), t, cv2.LINE_AA,
                   _SHIFT)
        if emit:
            cv2.circle(self._emit_layer(), self._p(c), rr, int(255 * emit), t,
                       cv2.LINE_AA, _SHIFT)

    def ellipse(self, c: Point, axes: Tuple[float, float], angle: float,
                color: Color, start: float = 0, end: float = 360,
                width: float = -1) -> None:
        t = -1 if width < 0 else max(1, int(round(width)))
        ax = (max(1, int(round(axes[0] * _ONE))),
              max(1, int(round(axes[1] * _ONE))))
        cv2.ellipse(self.rgba, self._p(c), ax, angle, start, end,
                    (*color, 255), t, cv2.LINE_AA, _SHIFT)

    def poly(self, pts: Sequence[Point], color: Color,
             emit: float = 0.0) -> None:
        arr = np.array([self._p(p) for p in pts], np.int32)
        cv2.fillPoly(self.rgba, [arr], (*color, 255), cv2.LINE_AA, _SHIFT)
        if emit:
            cv2.fillPoly(self._emit_layer(), [arr], int(255 * emit),
                         cv2.LINE_AA, _SHIFT)


class _Canvas:
    """The scene being drawn: image, emission, and which object owns each
    pixel (0: background or distractor)."""

    def __init__(self, image: np.ndarray):
        h, w = image.shape[:2]
        self.image = image  # (H, W, 3) uint8
        self.emission = np.zeros((h, w), np.float32)
        self.owner = np.zeros((h, w), np.int16)
        self.objects: List[Tuple[int, int, Tuple[int, int, int, int],
                                 float]] = []  # (id, class, region, pixels)

    def composite(self, layer: _Layer, category_id: int = 0,
                  shade: float = 1.0) -> None:
        """Put a layer over the image; ``category_id`` > 0 registers it as
        an annotated object, 0 as an occluder. ``shade`` darkens the lower
        part of the object (light from above)."""
        h, w = self.image.shape[:2]
        lh, lw = layer.rgba.shape[:2]
        x0, y0 = max(layer.x0, 0), max(layer.y0, 0)
        x1, y1 = min(layer.x0 + lw, w), min(layer.y0 + lh, h)
        solid = layer.rgba[..., 3] >= 128
        if category_id:
            obj_id = len(self.objects) + 1
            self.objects.append((obj_id, category_id, (x0, y0, x1, y1),
                                 float(np.count_nonzero(solid))))
        if x1 <= x0 or y1 <= y0:
            return
        ly, lx = slice(y0 - layer.y0, y1 - layer.y0), slice(x0 - layer.x0,
                                                            x1 - layer.x0)
        src = layer.rgba[ly, lx].astype(np.float32)
        a = src[..., 3:] * (1 / 255)
        rgb = src[..., :3]
        if shade != 1.0:
            ramp = np.linspace(1.0, shade, lh, dtype=np.float32)[ly]
            rgb = rgb * ramp[:, None, None]
        dst = self.image[y0:y1, x0:x1]
        dst[...] = np.clip(rgb + dst * (1 - a) + 0.5, 0, 255).astype(np.uint8)
        em = self.emission[y0:y1, x0:x1]
        em *= 1 - a[..., 0]
        if layer.emit is not None:
            em += layer.emit[ly, lx] * (1 / 255)
        own = self.owner[y0:y1, x0:x1]
        own[solid[ly, lx]] = len(self.objects) if category_id else 0

    def instances(self, min_visible: float,
                  min_box_px: float) -> List[Instance]:
        out = []
        for obj_id, cat, (x0, y0, x1, y1), total in self.objects:
            if total <= 0 or x1 <= x0 or y1 <= y0:
                continue
            mine = self.owner[y0:y1, x0:x1] == obj_id
            visible = int(np.count_nonzero(mine))
            if visible < 4 or visible < min_visible * total:
                continue
            rows = np.flatnonzero(mine.any(1))
            cols = np.flatnonzero(mine.any(0))
            bx, by = x0 + int(cols[0]), y0 + int(rows[0])
            bw, bh = int(cols[-1]) - int(cols[0]) + 1, int(rows[-1]) - int(
                rows[0]) + 1
            if max(bw, bh) < min_box_px or min(bw, bh) < 2:
                continue
            out.append(
                Instance(cat, (float(bx), float(by), float(bw), float(bh)),
                         float(visible), round(min(1.0, visible / total), 4)))
        return out


# --------------------------------------------------------------------------
# Geometry helpers


class _Frame:
    """Maps object coordinates in metres (x forward/right, y up, origin on
    the ground under the object's centre) to image pixels."""

    def __init__(self, xg: float, yg: float, scale: float, facing: int):
        self.xg, self.yg, self.s, self.f = xg, yg, scale, facing

    def __call__(self, x: float, y: float) -> Point:
        return (self.xg + self.f * x * self.s, self.yg - y * self.s)

    def pts(self, seq: Sequence[Point]) -> List[Point]:
        return [self(x, y) for x, y in seq]

    def box(self, x0: float, x1: float, y0: float, y1: float
            ) -> Tuple[float, float, float, float]:
        """Image box (x0, y0, x1, y1) of an object-space box, with margin."""
        xs = sorted((self(x0, 0)[0], self(x1, 0)[0]))
        return (xs[0] - 2, self.yg - y1 * self.s - 2, xs[1] + 2,
                self.yg - y0 * self.s + 2)


def _two_link(a: Point, b: Point, l1: float, l2: float, bend: float
              ) -> Point:
    """Middle joint of a two-segment limb from ``a`` to ``b`` (knee or
    elbow), bending to the side of sign ``bend`` (2-D inverse kinematics)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = max(1e-6, min(math.hypot(dx, dy), l1 + l2 - 1e-6))
    along = (l1 * l1 - l2 * l2 + d * d) / (2 * d)
    off = math.sqrt(max(0.0, l1 * l1 - along * along))
    ux, uy = dx / d, dy / d
    return (a[0] + ux * along - bend * uy * off,
            a[1] + uy * along + bend * ux * off)


def _limb(origin: Point, angle: float, length: float) -> Point:
    """End of a segment hanging from ``origin`` at ``angle`` (radians from
    straight down, positive forward), in object coordinates (y up)."""
    return (origin[0] + length * math.sin(angle),
            origin[1] - length * math.cos(angle))


# --------------------------------------------------------------------------
# Person


@dataclass
class _Outfit:
    shirt: Color
    trousers: Color
    skin: Color
    hair: Color
    shoes: Color
    long_sleeves: bool
    dress: bool
    bag: Optional[Color]


def _outfit(rng: np.random.Generator) -> _Outfit:
    return _Outfit(
        shirt=_random_color(rng),
        trousers=_random_color(rng),
        skin=_jitter(rng, _SKIN[rng.integers(len(_SKIN))], 12),
        hair=_HAIR[rng.integers(len(_HAIR))],
        shoes=_shade(_random_color(rng), 0.5),
        long_sleeves=bool(rng.random() < 0.6),
        dress=bool(rng.random() < 0.12),
        bag=_random_color(rng) if rng.random() < 0.25 else None)


def _person_side_pose(rng: np.random.Generator) -> Dict[str, Point]:
    """Joints of a standing or walking person seen from the side, in units
    of body height (feet on y = 0, facing +x)."""
    walk = rng.uniform(0.15, 0.5) if rng.random() < 0.65 else rng.uniform(
        0, 0.08)
    lean = rng.uniform(-0.01, 0.03)
    hip = (0.0, 0.52)
    j = {'hip': hip, 'shoulder': (lean, 0.81), 'head': (lean + 0.012, 0.925)}
    for side, sign in (('near', 1), ('far', -1)):
        thigh = sign * walk * rng.uniform(0.8, 1.0)
        bend = rng.uniform(0.0, 0.15) if sign > 0 else rng.uniform(0.05, 0.6)
        knee = _limb(hip, thigh, 0.245)
        j[f'knee_{side}'] = knee
        j[f'ankle_{side}'] = _limb(knee, thigh - bend, 0.245)
    # Arms swing against the legs; sometimes one arm is raised (waving,
    # phone) to widen the pose distribution.
    swing = walk * rng.uniform(0.6, 1.2)
    for side, sign in (('near', -1), ('far', 1)):
        upper = sign * swing + rng.uniform(-0.1, 0.1)
        if side == 'near' and rng.random() < 0.15:
            upper = rng.uniform(1.2, 2.8)
        elbow = _limb(j['shoulder'], upper, 0.17)
        j[f'elbow_{side}'] = elbow
        j[f'hand_{side}'] = _limb(elbow, upper + rng.uniform(0.0, 1.2), 0.16)
    # Stand on the lower foot.
    drop = min(j['ankle_near'][1], j['ankle_far'][1]) - 0.03
    return {k: (x, y - drop) for k, (x, y) in j.items()}


def _draw_person_side(layer: _Layer, fr: _Frame, j: Dict[str, Point],
                      o: _Outfit, h: float) -> None:
    """Draw a side-view person whose joints ``j`` are in body heights;
    ``fr`` maps metres, so joints are scaled by ``h`` metres here."""
    P = lambda k: fr(j[k][0] * h, j[k][1] * h)  # noqa: E731
    px = fr.s * h  # body height in pixels
    leg_w, arm_w = 0.07 * px, 0.05 * px
    sleeve = o.shirt if o.long_sleeves else o.skin
    for side, dark in (('far', 0.75), ('near', 1.0)):
        if side == 'near':
            _draw_torso_side(layer, fr, j, o, h, px)
        knee, ankle = P(f'knee_{side}'), P(f'ankle_{side}')
        trousers = _shade(o.trousers, dark)
        layer.line(P('hip'), knee, trousers, leg_w)
        layer.line(knee, ankle, trousers, leg_w * 0.9)
        toe = (ankle[0] + fr.f * 0.07 * px, ankle[1])
        layer.line(ankle, toe, _shade(o.shoes, dark), leg_w * 0.7)
        elbow, hand = P(f'elbow_{side}'), P(f'hand_{side}')
        layer.line(P('shoulder'), elbow, _shade(o.shirt, dark), arm_w)
        layer.line(elbow, hand, _shade(sleeve, dark), arm_w * 0.9)
        layer.circle(hand, arm_w * 0.55, _shade(o.skin, dark))
    head = P('head')
    layer.circle(head, 0.065 * px, o.skin)
    layer.ellipse((head[0] - fr.f * 0.01 * px, head[1] - 0.012 * px),
                  (0.066 * px, 0.058 * px), 0, o.hair, 180, 360)


def _draw_torso_side(layer: _Layer, fr: _Frame, j: Dict[str, Point],
                     o: _Outfit, h: float, px: float) -> None:
    sx, sy = j['shoulder']
    hx, hy = j['hip']
    d = 0.075  # half body depth, body heights
    torso = [(sx - d, sy + 0.02), (sx + d, sy + 0.02), (hx + d, hy),
             (hx - d, hy)]
    layer.poly(fr.pts([(x * h, y * h) for x, y in torso]), o.shirt)
    if o.dress:
        skirt = [(hx - d, hy + 0.02), (hx + d, hy + 0.02), (hx + 0.14, 0.3),
                 (hx - 0.14, 0.3)]
        layer.poly(fr.pts([(x * h, y * h) for x, y in skirt]), o.shirt)
    if o.bag is not None:
        bag = [(hx - d - 0.09, hy + 0.12), (hx - d + 0.01, hy + 0.12),
               (hx - d + 0.01, hy - 0.02), (hx - d - 0.09, hy - 0.02)]
        layer.poly(fr.pts([(x * h, y * h) for x, y in bag]), o.bag)
    neck = fr(sx * h, (sy + 0.02) * h)
    layer.line(neck, fr((sx + 0.01) * h, (sy + 0.07) * h), o.skin,
               0.045 * px)


def _draw_person_front(layer: _Layer, fr: _Frame, rng: np.random.Generator,
                       o: _Outfit, h: float) -> None:
    """A person seen from the front or back: symmetric, legs side by side."""
    px = fr.s * h
    T = lambda x, y: fr(x * h, y * h)  # noqa: E731
    spread = rng.uniform(0.0, 0.12)
    for sign in (-1, 1):
        hip = (sign * 0.055, 0.5)
        knee = _limb(hip, sign * spread, 0.245)
        ankle = _limb(knee, sign * spread * 0.5, 0.245)
        layer.line(T(*hip), T(*knee), o.trousers, 0.075 * px)
        layer.line(T(*knee), T(*ankle), o.trousers, 0.065 * px)
        layer.line(T(ankle[0], 0.02), T(ankle[0] + sign * 0.02, 0.02),
                   o.shoes, 0.05 * px)
    torso = [(-0.13, 0.83), (0.13, 0.83), (0.1, 0.5), (-0.1, 0.5)]
    layer.poly([T(x, y) for x, y in torso], o.shirt)
    if o.dress:
        layer.poly([T(x, y) for x, y in ((-0.1, 0.52), (0.1, 0.52),
                                         (0.17, 0.3), (-0.17, 0.3))], o.shirt)
    sleeve = o.shirt if o.long_sleeves else o.skin
    for sign in (-1, 1):
        shoulder = (sign * 0.13, 0.81)
        raise_arm = sign > 0 and rng.random() < 0.15
        upper = sign * (rng.uniform(2.0, 2.8) if raise_arm else rng.uniform(
            0.05, 0.4))
        elbow = _limb(shoulder, upper, 0.17)
        hand = _limb(elbow, upper - sign * rng.uniform(0, 0.5), 0.16)
        layer.line(T(*shoulder), T(*elbow), o.shirt, 0.05 * px)
        layer.line(T(*elbow), T(*hand), sleeve, 0.045 * px)
        layer.circle(T(*hand), 0.028 * px, o.skin)
    layer.line(T(0, 0.83), T(0, 0.87), o.skin, 0.05 * px)
    head = T(0, 0.925)
    layer.circle(head, 0.066 * px, o.skin)
    if rng.random() < 0.5:  # seen from the back: hair covers the head
        layer.circle(head, 0.067 * px, o.hair)
    else:
        layer.ellipse((head[0], head[1] - 0.015 * px),
                      (0.068 * px, 0.058 * px), 0, o.hair, 180, 360)


def _person(rng: np.random.Generator, fr: _Frame, h: float) -> _Layer:
    """A standing or walking person ``h`` metres tall at ``fr``'s origin."""
    layer = _Layer(fr.box(-0.45 * h, 0.45 * h, 0, 1.0 * h))
    o = _outfit(rng)
    if rng.random() < 0.3:
        _draw_person_front(layer, fr, rng, o, h)
    else:
        _draw_person_side(layer, fr, _person_side_pose(rng), o, h)
    return layer


# --------------------------------------------------------------------------
# Bicycle (and rider)


def _bicycle(rng: np.random.Generator, fr: _Frame
             ) -> Tuple[_Layer, Optional[Dict[str, Point]]]:
    """A bicycle (wheelbase about 1.05 m) at ``fr``'s origin.

    Returns the layer and, for side views, the saddle, handlebar and pedal
    points in metres (object coordinates) for a rider.
    """
    frame_c = _random_color(rng)
    tyre = _shade(_random_color(rng), 0.25)
    s = fr.s
    r = rng.uniform(0.31, 0.35)  # wheel radius, m
    tube = max(1.0, 0.035 * s)
    if rng.random() < 0.2:  # seen from the front or back
        layer = _Layer(fr.box(-0.36, 0.36, 0, 1.1))
        layer.line(fr(0, 0.02), fr(0, 2 * r - 0.02), tyre, 0.05 * s)
        layer.line(fr(0, r), fr(0, 0.78), frame_c, tube)
        layer.line(fr(-0.3, 1.0), fr(0.3, 1.0), _shade(frame_c, 0.7), tube)
        layer.line(fr(0, 0.78), fr(0, 1.0), frame_c, tube)
        layer.line(fr(-0.09, 0.93), fr(0.09, 0.93), (25, 25, 25), 0.06 * s)
        layer.line(fr(0.14, 0.28), fr(0.14, 0.35), (60, 60, 60), 0.05 * s)
        return layer, None
    layer = _Layer(fr.box(-0.9, 0.9, 0, 1.1))
    rear, front = (-0.52, r), (0.52, r)
    bb = (-0.04, r - 0.06)
    seat = (-0.21, 0.82)
    head_top, head_bot = (0.37, 0.84), (0.41, 0.68)
    saddle = (-0.25, 0.93)
    bar = (0.34, 1.0)
    for hub in (rear, front):
        c = fr(*hub)
        layer.circle(c, r * s, tyre, max(1.0, 0.045 * s))
        n = int(rng.choice((8, 12, 16)))
        phase = rng.uniform(0, math.pi)
        spoke = (170, 170, 170)
        # Small wheels get a few spokes only: dozens of 1 px lines would
        # fill the wheel into a disc.
        for k in range(n if s > 40 else 4):
            a = phase + k * math.pi / n * 2
            end = (hub[0] + 0.95 * r * math.cos(a),
                   hub[1] + 0.95 * r * math.sin(a))
            layer.line(c, fr(*end), spoke, max(1.0, 0.008 * s))
        layer.circle(c, 0.04 * s, (120, 120, 120))
    for a, b in ((rear, bb), (rear, seat), (bb, seat), (seat, head_top),
                 (bb, head_bot), (head_bot, front), (head_top, head_bot)):
        layer.line(fr(*a), fr(*b), frame_c, tube)
    layer.line(fr(*head_top), fr(bar[0] + 0.03, bar[1]), frame_c, tube)
    layer.line(fr(bar[0] - 0.06, bar[1] + 0.02), fr(bar[0] + 0.06, bar[1]),
               (35, 35, 35), tube)
    layer.line(fr(*seat), fr(*saddle), (140, 140, 140), tube * 0.8)
    layer.line(fr(saddle[0] - 0.1, saddle[1]), fr(saddle[0] + 0.07,
                                                  saddle[1]), (25, 25, 25),
               0.045 * s)
    crank = rng.uniform(0, 2 * math.pi)
    pedals = [(bb[0] + 0.17 * math.cos(crank + k * math.pi),
               bb[1] + 0.17 * math.sin(crank + k * math.pi)) for k in (0, 1)]
    for p in pedals:
        layer.line(fr(*bb), fr(*p), (90, 90, 90), tube * 0.8)
        layer.line(fr(p[0] - 0.05, p[1]), fr(p[0] + 0.05, p[1]), (30, 30, 30),
                   tube)
    return layer, {'saddle': saddle, 'bar': bar, 'pedals': pedals}


def _rider(rng: np.random.Generator, fr: _Frame, bike: Dict[str, Point]
           ) -> _Layer:
    """A person riding the side-view bicycle whose points are ``bike``."""
    h = rng.uniform(1.55, 1.9)
    o = _outfit(rng)
    hip = (bike['saddle'][0] - 0.02, bike['saddle'][1] + 0.05)
    lean = rng.uniform(0.35, 0.8)  # torso angle from vertical, forward
    torso = 0.31 * h
    shoulder = (hip[0] + torso * math.sin(lean),
                hip[1] + torso * math.cos(lean))
    layer = _Layer(fr.box(-0.9, 0.9, 0, hip[1] + 0.4 * h))
    px = fr.s * h
    thigh, shin = 0.245 * h, 0.245 * h
    for k, (dark, side) in enumerate(((0.75, 1), (1.0, 0))):
        foot = bike['pedals'][side]
        knee = _two_link(hip, foot, thigh, shin, -1.0)
        c = _shade(o.trousers, dark)
        layer.line(fr(*hip), fr(*knee), c, 0.07 * px)
        layer.line(fr(*knee), fr(*foot), c, 0.063 * px)
        layer.line(fr(*foot), fr(foot[0] + 0.08, foot[1]),
                   _shade(o.shoes, dark), 0.05 * px)
        if k == 0:  # the torso goes between the far and the near leg
            continue
        d = 0.07 * h
        body = [(hip[0] - d * math.cos(lean), hip[1] + d * math.sin(lean)),
                (hip[0] + d * math.cos(lean), hip[1] - d * math.sin(lean)),
                (shoulder[0] + d * math.cos(lean),
                 shoulder[1] - d * math.sin(lean)),
                (shoulder[0] - d * math.cos(lean),
                 shoulder[1] + d * math.sin(lean))]
        layer.poly(fr.pts(body), o.shirt)
    hand = (bike['bar'][0] - 0.02, bike['bar'][1] + 0.02)
    elbow = _two_link(shoulder, hand, 0.17 * h, 0.16 * h, 1.0)
    layer.line(fr(*shoulder), fr(*elbow), o.shirt, 0.05 * px)
    layer.line(fr(*elbow), fr(*hand), o.shirt if o.long_sleeves else o.skin,
               0.045 * px)
    head = fr(shoulder[0] + 0.06 * h * math.sin(lean) + 0.02 * h,
              shoulder[1] + 0.11 * h)
    layer.circle(head, 0.065 * px, o.skin)
    if rng.random() < 0.4:  # helmet
        layer.ellipse(head, (0.075 * px, 0.07 * px), 0, _random_color(rng),
                      180, 360)
    else:
        layer.ellipse((head[0], head[1] - 0.012 * px),
                      (0.066 * px, 0.058 * px), 0, o.hair, 180, 360)
    return layer


# --------------------------------------------------------------------------
# Car (and truck, a distractor)


def _wheel(layer: _Layer, c: Point, r: float, rim: Color) -> None:
    layer.circle(c, r, (22, 22, 22))
    layer.circle(c, 0.6 * r, rim)
    layer.circle(c, 0.18 * r, _shade(rim, 0.6))


def _car(rng: np.random.Generator, fr: _Frame) -> Tuple[_Layer, float]:
    """A car (hatchback, sedan or SUV) seen from the side, front or back.

    Returns the layer and the car's half length along the image x axis in
    metres (for its shadow)."""
    body = _random_color(rng)
    glass = _jitter(rng, (45, 55, 70), 20)
    rim = _jitter(rng, (150, 150, 155), 40)
    kind = rng.integers(3)
    roof = (1.45, 1.42, 1.7)[kind] + rng.uniform(-0.05, 0.08)
    lights_on = rng.random() < 0.6
    s = fr.s
    if rng.random() < 0.35:
        w = rng.uniform(1.7, 1.95) / 2
        layer = _Layer(fr.box(-w - 0.15, w + 0.15, 0, roof + 0.05))
        front = rng.random() < 0.5
        for sx in (-1, 1):  # tyres under the body
            layer.poly(fr.pts([(sx * (w - 0.1), 0), (sx * (w - 0.35), 0),
                               (sx * (w - 0.35), 0.4),
                               (sx * (w - 0.1), 0.4)]), (22, 22, 22))
        layer.poly(fr.pts([(-w, 0.25), (w, 0.25), (w, 0.85), (w - 0.12, 0.95),
                           (-w + 0.12, 0.95), (-w, 0.85)]), body)
        layer.poly(fr.pts([(-w + 0.1, 0.93), (w - 0.1, 0.93),
                           (w - 0.3, roof), (-w + 0.3, roof)]), body)
        layer.poly(fr.pts([(-w + 0.17, 0.97), (w - 0.17, 0.97),
                           (w - 0.34, roof - 0.07), (-w + 0.34, roof - 0.07)
                           ]), glass)
        layer.poly(fr.pts([(-w + 0.05, 0.25), (w - 0.05, 0.25),
                           (w - 0.05, 0.38), (-w + 0.05, 0.38)]),
                   _shade(body, 0.55))
        lamp = (250, 250, 235) if front else (220, 20, 20)
        emit = 1.0 if lights_on else 0.0
        for sx in (-1, 1):
            layer.poly(fr.pts([(sx * (w - 0.05), 0.66), (sx * (w - 0.35),
                                                          0.66),
                               (sx * (w - 0.35), 0.77),
                               (sx * (w - 0.05), 0.77)]),
                       lamp if lights_on else _shade(lamp, 0.6), emit)
            layer.poly(fr.pts([(sx * (w + 0.12), 0.95), (sx * w, 0.95),
                               (sx * w, 1.02), (sx * (w + 0.12), 1.02)]),
                       body)
        if front:
            layer.poly(fr.pts([(-0.4, 0.45), (0.4, 0.45), (0.4, 0.62),
                               (-0.4, 0.62)]), (30, 30, 32))
        layer.poly(fr.pts([(-0.26, 0.4), (0.26, 0.4), (0.26, 0.52),
                           (-0.26, 0.52)]), (235, 235, 225))
        return layer, w + 0.1
    length = rng.uniform(3.8, 4.9)
    half = length / 2
    r = rng.uniform(0.3, 0.36)
    layer = _Layer(fr.box(-half - 0.05, half + 0.05, 0, roof + 0.05))
    hood = half - rng.uniform(1.1, 1.5)
    back = -half + (0.35 if kind != 1 else rng.uniform(0.8, 1.0))
    layer.poly(fr.pts([(-half, 0.3), (-half, 0.88), (-half + 0.2, 0.95),
                       (half - 0.45, 0.93), (half, 0.76), (half, 0.35),
                       (half - 0.1, 0.26), (-half + 0.1, 0.26)]), body)
    cabin = [(back - 0.05, 0.93), (back + 0.3, roof), (hood - 0.6, roof),
             (hood + 0.05, 0.93)]
    layer.poly(fr.pts(cabin), body)
    pillar = back + 0.3 + (hood - 0.6 - back - 0.3) * rng.uniform(0.45, 0.6)
    # Side windows: from the belt line (0.97 m) to 6 cm under the roof; the
    # front window's top corner follows the windscreen's slope.
    slope_in = 0.06 * (1 - (0.97 - 0.93) / (roof - 0.93))
    for x0, x1 in ((back + 0.08, pillar - 0.05), (pillar + 0.05,
                                                  hood - 0.12)):
        layer.poly(fr.pts([(x0, 0.97), (x1, 0.97),
                           (min(x1, hood - 0.6 + slope_in), roof - 0.06),
                           (max(x0, back + 0.32), roof - 0.06)]), glass)
    for hx in (-half + 0.85, half - 0.85):
        layer.circle(fr(hx, r), 1.12 * r * s, _shade(body, 0.35))
        _wheel(layer, fr(hx, r), r * s, rim)
    layer.line(fr(pillar, 0.35), fr(pillar, 0.9), _shade(body, 0.7),
               max(1.0, 0.02 * s))
    layer.line(fr(-half, 0.35), fr(half, 0.37), _shade(body, 0.6),
               max(1.0, 0.06 * s))
    emit = 1.0 if lights_on else 0.0
    layer.poly(fr.pts([(half - 0.02, 0.72), (half - 0.3, 0.78),
                       (half - 0.3, 0.86), (half - 0.04, 0.8)]),
               (250, 250, 235) if lights_on else (200, 200, 190), emit)
    layer.poly(fr.pts([(-half, 0.72), (-half + 0.12, 0.72),
                       (-half + 0.12, 0.84), (-half, 0.84)]),
               (230, 25, 25) if lights_on else (150, 30, 30), emit)
    return layer, half + 0.1


def _truck(rng: np.random.Generator, fr: _Frame) -> _Layer:
    """A box truck (not a car in COCO): a distractor that shares wheels and
    windows with cars but not their shape."""
    length = rng.uniform(6.0, 9.0)
    height = rng.uniform(2.8, 3.6)
    layer = _Layer(fr.box(-length / 2, length / 2, 0, height))
    half = length / 2
    cab = half - 1.8
    layer.poly(fr.pts([(-half, 0.5), (cab - 0.1, 0.5), (cab - 0.1, height),
                       (-half, height)]), _random_color(rng))
    c = _random_color(rng)
    layer.poly(fr.pts([(cab, 0.45), (half, 0.45), (half, 1.4),
                       (half - 0.4, 2.5), (cab, 2.5)]), c)
    layer.poly(fr.pts([(cab + 0.4, 1.5), (half - 0.15, 1.5),
                       (half - 0.45, 2.3), (cab + 0.4, 2.3)]), (50, 60, 70))
    for x in (-half + 1.0, -half + 2.2, half - 1.0):
        _wheel(layer, fr(x, 0.5), 0.5 * fr.s, (120, 120, 120))
    return layer


# --------------------------------------------------------------------------
# Distractors


def _lamp(rng, fr: _Frame) -> Tuple[_Layer, float]:
    """A street lamp; returns the layer and its height in metres (for the
    pool of light it casts)."""
    h = rng.uniform(4.0, 7.0)
    arm = rng.uniform(0.6, 1.5)
    layer = _Layer(fr.box(-0.3, arm + 0.4, 0, h + 0.3))
    c = _shade(_random_color(rng), 0.6)
    layer.line(fr(0, 0), fr(0, h), c, max(1.0, 0.15 * fr.s))
    layer.line(fr(0, h), fr(arm, h + 0.15), c, max(1.0, 0.1 * fr.s))
    layer.poly(fr.pts([(arm - 0.3, h + 0.1), (arm + 0.35, h + 0.15),
                       (arm + 0.3, h - 0.05), (arm - 0.25, h - 0.05)]),
               _LAMP_COLOR, 1.0)
    return layer, h


def _sign(rng, fr: _Frame) -> _Layer:
    h = rng.uniform(2.0, 3.0)
    size = rng.uniform(0.5, 0.9)
    layer = _Layer(fr.box(-size, size, 0, h + size))
    layer.line(fr(0, 0), fr(0, h), (130, 130, 135), max(1.0, 0.07 * fr.s))
    c, c2 = _random_color(rng), _random_color(rng)
    shape = rng.integers(4)
    top = h + size / 2
    if shape == 0:
        layer.circle(fr(0, top), size / 2 * fr.s, c)
        layer.circle(fr(0, top), size / 3 * fr.s, c2)
    elif shape == 1:
        layer.poly(fr.pts([(-size / 2, h), (size / 2, h), (0, h + size)]), c)
    else:
        n = 4 if shape == 2 else 8
        pts = [(size / 2 * math.cos(math.pi / n + 2 * math.pi * k / n),
                top + size / 2 * math.sin(math.pi / n + 2 * math.pi * k / n))
               for k in range(n)]
        layer.poly(fr.pts(pts), c)
        layer.line(fr(-size / 4, top), fr(size / 4, top), c2,
                   max(1.0, 0.08 * fr.s))
    return layer


def _tree(rng, fr: _Frame) -> _Layer:
    h = rng.uniform(3.0, 8.0)
    crown = h * rng.uniform(0.25, 0.4)
    layer = _Layer(fr.box(-crown * 1.3, crown * 1.3, 0, h + crown * 0.5))
    layer.line(fr(0, 0), fr(0, h * 0.7), _jitter(rng, (85, 60, 40), 20),
               max(1.0, 0.25 * fr.s))
    base = _jitter(rng, (60, 110, 50), 30)
    for _ in range(int(rng.integers(5, 10))):
        cx = rng.uniform(-0.8, 0.8) * crown
        cy = h * 0.75 + rng.uniform(-0.6, 0.6) * crown
        layer.circle(fr(cx, cy), rng.uniform(0.45, 0.8) * crown * fr.s,
                     _shade(base, rng.uniform(0.6, 1.2)))
    return layer


def _block(rng, fr: _Frame) -> _Layer:
    """A box, crate, bin or pillar, sometimes striped."""
    w = rng.uniform(0.3, 2.0)
    h = rng.uniform(0.4, 2.2)
    layer = _Layer(fr.box(-w / 2, w / 2, 0, h))
    c = _random_color(rng)
    layer.poly(fr.pts([(-w / 2, 0), (w / 2, 0), (w / 2, h), (-w / 2, h)]), c)
    if rng.random() < 0.4:
        c2 = _random_color(rng)
        n = int(rng.integers(2, 6))
        for k in range(n):
            y = h * (k + 0.5) / n
            layer.line(fr(-w / 2, y), fr(w / 2, y), c2,
                       max(1.0, 0.3 * h / n * fr.s))
    return layer


def _round(rng, fr: _Frame) -> _Layer:
    """A ball, a round sign on the ground or a lone ring (a tyre): circles
    that are not bicycle wheels."""
    r = rng.uniform(0.15, 0.6)
    layer = _Layer(fr.box(-r, r, 0, 2 * r))
    c = _random_color(rng)
    if rng.random() < 0.5:
        layer.circle(fr(0, r), r * fr.s, c, max(1.0, 0.15 * r * fr.s))
    else:
        layer.circle(fr(0, r), r * fr.s, c)
    return layer


def _blob(rng, fr: _Frame) -> _Layer:
    """A random polygon (bush, rock, rubbish, poster)."""
    r = rng.uniform(0.2, 1.5)
    layer = _Layer(fr.box(-r, r, 0, 2 * r))
    n = int(rng.integers(3, 9))
    ang = np.sort(rng.uniform(0, 2 * math.pi, n))
    rad = r * rng.uniform(0.4, 1.0, n)
    layer.poly(fr.pts([(float(a * math.cos(t)), float(r + a * math.sin(t)))
                       for t, a in zip(ang, rad)]), _random_color(rng))
    return layer


def _bollard(rng, fr: _Frame) -> _Layer:
    h = rng.uniform(0.6, 1.1)
    w = rng.uniform(0.15, 0.35)
    layer = _Layer(fr.box(-w, w, 0, h + w))
    c = _random_color(rng)
    layer.poly(fr.pts([(-w / 2, 0), (w / 2, 0), (w / 2, h), (-w / 2, h)]), c)
    layer.circle(fr(0, h), w / 2 * fr.s, _shade(c, 0.8))
    return layer


def _fence(rng, fr: _Frame) -> _Layer:
    length = rng.uniform(2.0, 6.0)
    h = rng.uniform(0.8, 1.4)
    layer = _Layer(fr.box(-length / 2, length / 2, 0, h + 0.1))
    c = _random_color(rng)
    t = max(1.0, 0.05 * fr.s)
    for y in (h, h * 0.55):
        layer.line(fr(-length / 2, y), fr(length / 2, y), c, t)
    for x in np.arange(-length / 2, length / 2 + 1e-6, rng.uniform(0.2, 0.6)):
        layer.line(fr(float(x), 0), fr(float(x), h + 0.05), c, t)
    return layer


# name, relative frequency, real height used to size it (m), builder
_DISTRACTORS: Tuple[Tuple[str, float, float, Callable], ...] = (
    ('lamp', 0.14, 5.5, _lamp),
    ('sign', 0.14, 2.8, _sign),
    ('tree', 0.14, 6.0, _tree),
    ('block', 0.16, 1.2, _block),
    ('round', 0.10, 0.8, _round),
    ('blob', 0.12, 1.0, _blob),
    ('bollard', 0.08, 0.9, _bollard),
    ('fence', 0.07, 1.1, _fence),
    ('truck', 0.05, 3.2, _truck),
)


# --------------------------------------------------------------------------
# Background


def _sky(rng, noise: _Noise, h: int, w: int, horizon: int) -> np.ndarray:
    kind = rng.integers(3)
    top, low = [((70, 120, 200), (175, 205, 235)),
                ((140, 145, 155), (205, 205, 210)),
                ((60, 70, 130), (240, 170, 120))][kind]
    top = np.array(_jitter(rng, top, 25), np.float32)
    low = np.array(_jitter(rng, low, 20), np.float32)
    t = np.linspace(0, 1, max(horizon, 1), dtype=np.float32)[:, None, None]
    sky = np.broadcast_to(top + (low - top) * t, (max(horizon, 1), w, 3))
    # Clouds: the coarse field magnified 3x, so they are larger and
    # smoother than ground texture.
    zoom = cv2.resize(noise.coarse[:max(horizon, 3) // 3 + 1, :w // 3 + 1],
                      (w, max(horizon, 1)), interpolation=cv2.INTER_LINEAR)
    clouds = np.clip(zoom - 0.5, 0, None)
    return sky + clouds[..., None] * rng.uniform(0, 40)


def _ground(rng, img: np.ndarray, noise: _Noise, horizon: int) -> None:
    """Road (with lane marks and sometimes a crossing) flanked by pavement
    or grass, in perspective towards a vanishing point on the horizon."""
    h, w = img.shape[:2]
    side = _jitter(rng, ((150, 145, 135), (80, 125, 60))[rng.integers(2)],
                   25)
    img[horizon:] = side
    vx = rng.uniform(0.1, 0.9) * w
    half_bottom = rng.uniform(0.5, 1.5) * w
    off = rng.uniform(-0.6, 0.6) * w
    road = _jitter(rng, (85, 85, 90), 20)
    pts = np.array([[vx - 2, horizon], [vx + 2, horizon],
                    [vx + off + half_bottom, h], [vx + off - half_bottom, h]],
                   np.float32)
    cv2.fillPoly(img, [np.round(pts * _ONE).astype(np.int32)], road,
                 cv2.LINE_AA, _SHIFT)
    mark = _jitter(rng, (235, 235, 225), 15)
    # Dashes along the centre line, evenly spaced in depth.
    depth = h - horizon
    for k in range(1, 12):
        t0, t1 = (k / 12)**2, ((k + 0.45) / 12)**2
        if t1 > 1:
            break
        y0, y1 = horizon + t0 * depth, horizon + t1 * depth
        x0, x1 = vx + off * t0, vx + off * t1
        hw0, hw1 = 0.012 * w * t0, 0.012 * w * t1
        quad = np.array([[x0 - hw0, y0], [x0 + hw0, y0], [x1 + hw1, y1],
                         [x1 - hw1, y1]], np.float32)
        cv2.fillPoly(img, [np.round(quad * _ONE).astype(np.int32)], mark,
                     cv2.LINE_AA, _SHIFT)
    if rng.random() < 0.3:  # pedestrian crossing
        t0 = rng.uniform(0.3, 0.6)
        t1 = t0 + 0.12
        for k in range(-6, 7, 2):
            xs = [vx + (off + k * half_bottom / 7) * t for t in (t0, t1)]
            ws = [half_bottom / 14 * t for t in (t0, t1)]
            quad = np.array([[xs[0] - ws[0], horizon + t0 * depth],
                             [xs[0] + ws[0], horizon + t0 * depth],
                             [xs[1] + ws[1], horizon + t1 * depth],
                             [xs[1] - ws[1], horizon + t1 * depth]],
                            np.float32)
            cv2.fillPoly(img, [np.round(quad * _ONE).astype(np.int32)], mark,
                         cv2.LINE_AA, _SHIFT)
    g = img[horizon:].astype(np.float32)
    g += (noise.fine[horizon:] * rng.uniform(4, 12) +
          noise.coarse[horizon:] * rng.uniform(2, 5))[..., None]
    img[horizon:] = np.clip(g, 0, 255).astype(np.uint8)


def _buildings(rng, img: np.ndarray, emission: np.ndarray, noise: _Noise,
               base: int) -> None:
    """A row of facades standing on ``base`` with windows (some lit: they
    are light sources at night), some with a brick texture."""
    h, w = img.shape[:2]
    x = int(-rng.uniform(0, 0.1) * w)
    while x < w:
        bw = int(rng.uniform(0.12, 0.4) * w)
        top = int(base - rng.uniform(0.25, 1.0) * base)
        if rng.random() < 0.15:  # a gap between buildings
            x += bw // 2
            continue
        x0, x1 = max(x, 0), min(x + bw, w)
        facade = np.array(_jitter(rng, _random_color(rng), 0), np.float32)
        facade = facade * 0.6 + 60  # facades are muted
        region = img[top:base, x0:x1].astype(np.float32)
        region[...] = facade
        region += (noise.coarse[top:base, x0:x1] * rng.uniform(2, 10) +
                   noise.fine[top:base, x0:x1] * rng.uniform(2, 8))[..., None]
        img[top:base, x0:x1] = np.clip(region, 0, 255).astype(np.uint8)
        if rng.random() < 0.35:  # brick courses
            step = int(rng.integers(4, 9))
            mortar = tuple(int(v) for v in facade * 0.75)
            for y in range(top, base, step):
                cv2.line(img, (x0, y), (x1, y), mortar, 1)
        win = _jitter(rng, (60, 75, 95), 25)
        ww, wh = int(rng.integers(6, 20)), int(rng.integers(8, 24))
        gx, gy = ww + int(rng.integers(4, 16)), wh + int(rng.integers(6, 18))
        lit_p = rng.uniform(0.0, 0.5)
        for wy in range(top + gy // 2, base - wh - 6, gy):
            for wx in range(x + gx // 2, x + bw - ww, gx):
                lit = rng.random() < lit_p
                cv2.rectangle(img, (wx, wy), (wx + ww, wy + wh),
                              _WINDOW_LIT if lit else win, -1)
                if lit:
                    cv2.rectangle(emission, (wx, wy), (wx + ww, wy + wh),
                                  1.0, -1)
        door = int(min(0.25 * bw, 30))
        dx = x + int(rng.uniform(0.2, 0.7) * bw)
        cv2.rectangle(img, (dx, base - int(1.8 * door)), (dx + door, base),
                      _shade(win, 0.6), -1)
        x += bw


# --------------------------------------------------------------------------
# The scene


def _place(rng, cfg: SceneConfig, horizon: float, cam_h: float,
           real_h: float, min_px: float, max_px: float) -> Tuple[float, float]:
    """Ground line and scale (pixels per metre) of an object ``real_h``
    metres tall whose image height is log-uniform in [min_px, max_px]
    (clamped so that it stands no lower than just below the frame)."""
    hmax = min(max_px, real_h * (cfg.height * 1.08 - horizon) / cam_h)
    hmin = min(min_px, hmax)
    px = math.exp(rng.uniform(math.log(hmin), math.log(hmax)))
    scale = px / real_h
    return horizon + scale * cam_h, scale


def _shadow(img: np.ndarray, fr: _Frame, half: float) -> None:
    """Contact shadow of an object ``half`` metres wide each side, drawn on
    the ground (not on the object's layer: it is not part of the object)."""
    r = half * fr.s
    cv2.ellipse(img, (int(round(fr.xg * _ONE)), int(round(fr.yg * _ONE))),
                (max(1, int(r * _ONE)), max(1, int((0.12 * r + 1) * _ONE))),
                0, 0, 360, (35, 35, 35), -1, cv2.LINE_AA, _SHIFT)


def render_scene(rng: np.random.Generator,
                 cfg: Optional[SceneConfig] = None) -> Scene:
    """Draw one well-lit street scene and annotate its visible objects.

    Args:
        rng: the scene's own generator; the scene is a pure function of it.
        cfg: size and content knobs.

    Returns:
        A :class:`Scene` (image ``(H, W, 3)`` uint8 RGB, emission
        ``(H, W)`` float32 [0, 1], instances).
    """
    cfg = cfg or SceneConfig()
    h, w = cfg.height, cfg.width
    noise = _Noise(rng, h, w)
    horizon = int(rng.uniform(0.3, 0.6) * h)
    cam_h = rng.uniform(1.2, 2.5)  # camera height above the ground, m
    img = np.empty((h, w, 3), np.uint8)
    img[:horizon] = np.clip(_sky(rng, noise, h, w, horizon), 0,
                            255).astype(np.uint8)
    _ground(rng, img, noise, horizon)
    canvas = _Canvas(img)
    if rng.random() < 0.8:
        base = min(h - 1, horizon + int(rng.uniform(0.0, 0.05) * h))
        _buildings(rng, img, canvas.emission, noise, base)

    min_px, max_px = cfg.min_object_px, cfg.max_object_frac * h
    items = []  # (ground y, tie-break, kind, payload)
    n_obj = int(rng.integers(cfg.min_instances, cfg.max_instances + 1))
    weights = np.asarray(cfg.class_weights, np.float64)
    classes = rng.choice(3, size=n_obj, p=weights / weights.sum()) + 1
    for cat in classes:
        real_h = {PERSON: 1.75, BICYCLE: 1.05, CAR: 1.5}[int(cat)]
        yg, scale = _place(rng, cfg, horizon, cam_h, real_h, min_px, max_px)
        items.append((yg, len(items), int(cat), scale))
    n_dis = int(rng.integers(cfg.min_distractors, cfg.max_distractors + 1))
    probs = np.array([d[1] for d in _DISTRACTORS])
    for k in rng.choice(len(_DISTRACTORS), size=n_dis, p=probs / probs.sum()):
        name, _, real_h, _ = _DISTRACTORS[k]
        yg, scale = _place(rng, cfg, horizon, cam_h, real_h, min_px * 0.5,
                           max_px * 1.6)
        items.append((yg, len(items), -int(k) - 1, scale))
    items.sort(key=lambda it: (it[0], it[1]))

    pools = []  # (x, y, radius px) of light cast on the ground by lamps
    for yg, _, kind, scale in items:
        fr = _Frame(rng.uniform(-0.1, 1.1) * w, yg, scale,
                    1 if rng.random() < 0.5 else -1)
        if kind < 0:
            name, _, _, build = _DISTRACTORS[-kind - 1]
            out = build(rng, fr)
            if name == 'lamp':
                out, lamp_h = out
                pools.append((fr(1.0, 0), lamp_h * 0.8 * scale))
            canvas.composite(out)
            continue
        if kind == PERSON:
            _shadow(img, fr, 0.35)
            canvas.composite(_person(rng, fr, rng.uniform(1.55, 1.95)),
                             PERSON, rng.uniform(0.8, 1.0))
        elif kind == CAR:
            car, half = _car(rng, fr)
            _shadow(img, fr, half)
            canvas.composite(car, CAR, rng.uniform(0.75, 1.0))
        else:
            bike, points = _bicycle(rng, fr)
            canvas.composite(bike, BICYCLE)
            if points is not None and rng.random() < 0.5:
                canvas.composite(_rider(rng, fr, points), PERSON,
                                 rng.uniform(0.8, 1.0))

    # Light sources glow onto their surroundings; lamps light a soft pool
    # of ground (and whatever stands in it) that stays lit at night.
    em = canvas.emission
    em += 0.8 * cv2.GaussianBlur(em, (0, 0), 6)
    if pools:
        lit = np.zeros_like(em)
        for (px_, py_), r in pools:
            cv2.ellipse(lit, (int(px_), int(py_)),
                        (max(1, int(r)), max(1, int(0.35 * r))), 0, 0, 360,
                        float(rng.uniform(0.3, 0.6)), -1)
        np.maximum(em, cv2.GaussianBlur(lit, (0, 0), 8), out=em)
    np.clip(em, 0, 1, out=em)

    # A lens is never perfectly sharp and surfaces are never flat colour.
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 0.8))
    grain = noise.fine[::-1] * rng.uniform(1.0, 3.0)
    img = np.clip(img + grain[..., None] + 0.5, 0, 255).astype(np.uint8)
    return Scene(img, np.ascontiguousarray(em, np.float32),
                 canvas.instances(cfg.min_visible, cfg.min_box_px))
