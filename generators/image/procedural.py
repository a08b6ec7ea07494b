"""Procedural affective imagery, ``image/procedural``: the embedded default image generator (offline, CPU).

Honest about what it is: abstract pictures - colour fields, horizon-like landscapes and patterns - whose
colour, shape, texture, rhythm, composition and light are set from the emotion, for backgrounds, album covers
and the visuals of therapy sessions. It draws no objects or people (that is the diffusion backend's job).

Emotion -> picture (`controls_for`), each cue from the literature on how images and colours evoke emotion:
- brightness and saturation from Valdez & Mehrabian (1994), inverted: they found pleasure = 0.69 B + 0.22 S and
  arousal = -0.31 B + 0.60 S (standardised brightness B and saturation S), so a target valence-arousal pair
  gives the B and S that evoke it;
- hue from the colour-emotion associations of Jonauskaite et al. (2020, 30 nations) and Ou et al. (2004):
  yellow/orange for joy, red for anger and excitement, blue-violet for sadness, green-cyan for calm, blended
  over the valence-arousal plane;
- shape language: angular, jagged forms for threat (negative valence, high arousal) and round, smooth ones
  otherwise (Bar & Neta 2006; Lu et al. 2012 on shape and emotion in images);
- texture, rhythm and contrast rise with arousal (more elements, finer grain, harder edges, diagonal
  motion; Machajdik & Hanbury 2010 on texture and composition features); calm is smooth, sparse, horizontal;
- light and composition: high key, open sky and a high sun for positive valence; low key, a vignette and
  heavy masses for negative valence; dominance sets the scale of the main element.

Styles (``options["style"]``): ``horizon`` (sky, sun or moon, layered ridges, water), ``field`` (an abstract
colour field of overlapping forms) and ``pattern`` (a rhythmic tiling of motifs). ``sequence`` renders a
`Trajectory` as one frame per time with the same composition, so a session's visuals change smoothly.

Speed: pictures are drawn at ``work_px`` on the longest side and scaled up with a full-resolution grain,
about 0.1-0.2 s for 1024x1024 on one core (bench/image_speed.py). Deterministic: the seed fixes the composition.
"""
from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from conditioning import Emotion
from conditioning.media import Image
from conditioning.registry import check_ranges
from generators.base import GenerationError, GenerationRequest, GenerationResult, Provenance, check_options

KEY = "image/procedural"
STYLES = ("horizon", "field", "pattern")
OPTIONS = {"style": f"one of {', '.join(STYLES)} (default horizon)",
           "size": "output size: N (square) or (width, height), 256 to 2048 px (default 1024)"}
MAX_PROMPT = 500  #: the prompt is recorded, not drawn: an abstract generator has no subject


@dataclass(frozen=True)
class ProceduralConfig:
    size: tuple[int, int] = (1024, 1024)  #: default output (width, height)
    work_px: int = 512  #: drawing resolution (longest side); upscaled to the output size
    style: str = "horizon"

    def __post_init__(self) -> None:
        """Sizes in range, or a `GenerationError` naming the field (work_px=100000 asked for 112 GiB)."""
        check_ranges("image/procedural", self, (("work_px", 64, 4096),), whole=("work_px",), error=GenerationError)
        try:  # the sizes `generate` draws (16 to 8192 px were taken here, and every take of them then refused), in
            # its forms too: N is a square, as the size option takes it ("--config size=512" had been refused)
            object.__setattr__(self, "size", tuple(image_size(self.size)))
        except GenerationError as exc:
            raise GenerationError(f"image/procedural: size: {exc}") from None


@dataclass(frozen=True)
class VisualControls:
    """What the emotion sets; every field in [0, 1] unless said otherwise."""

    brightness: float  #: mean value (HSV V)
    saturation: float
    hue: float  #: degrees
    angularity: float  #: 0 round .. 1 jagged
    energy: float  #: rhythm, texture and contrast (arousal)
    openness: float  #: sky / high key (valence)
    scale: float  #: size of the main element (dominance)

    def to_json(self) -> dict:
        return {k: round(float(v), 4) for k, v in self.__dict__.items()}


#: hue anchors at the corners of the valence-arousal plane (degrees): joy, anger, sadness, calm
HUES = {(1, 1): 36.0, (-1, 1): 2.0, (-1, -1): 228.0, (1, -1): 150.0}


def controls_for(emotion: Emotion, controls: Mapping[str, Any] | None = None) -> VisualControls:
    """The picture's controls for an emotion (intensity 0 is the plane's centre: mid brightness and saturation,
    the corners' blended hue, a yellow near 54 degrees); the
    loop's ``valence_offset`` / ``arousal_offset`` in ``controls`` move the point the mapping starts from."""
    c = controls or {}
    v, a, d = emotion.valence, emotion.arousal, emotion.dominance  # an Emotion's coordinates include its intensity
    v += float(c.get("valence_offset", 0.0))  # may leave [-1, 1]: each control below is clipped to its range
    a += float(c.get("arousal_offset", 0.0))
    det = 0.69 * 0.60 + 0.22 * 0.31  # Valdez & Mehrabian, inverted for brightness and saturation
    b_z = (0.60 * v - 0.22 * a) / det
    s_z = (0.31 * v + 0.69 * a) / det
    brightness = float(np.clip(0.55 + 0.22 * b_z, 0.12, 0.95))
    saturation = float(np.clip(0.42 + 0.28 * s_z, 0.05, 0.95))
    # hue: circular bilinear blend of the four corner anchors
    wx, wy = float(np.clip((v + 1) / 2, 0, 1)), float(np.clip((a + 1) / 2, 0, 1))
    vec = np.zeros(2)
    for (sv, sa), h in HUES.items():
        w = (wx if sv > 0 else 1 - wx) * (wy if sa > 0 else 1 - wy)
        vec += w * np.array([math.cos(math.radians(h)), math.sin(math.radians(h))])
    hue = math.degrees(math.atan2(vec[1], vec[0])) % 360
    angularity = float(np.clip(0.35 - 0.45 * v + 0.35 * a, 0.0, 1.0))
    energy = float(np.clip(0.5 + 0.5 * a, 0.0, 1.0))
    openness = float(np.clip(0.5 + 0.5 * v, 0.0, 1.0))
    scale = float(np.clip(0.5 + 0.35 * d, 0.1, 1.0))
    return VisualControls(brightness, saturation, hue, angularity, energy, openness, scale)


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    """One colour, HSV (degrees, 0-1, 0-1) -> RGB floats 0-1."""
    import colorsys

    return np.array(colorsys.hsv_to_rgb((h % 360) / 360, float(np.clip(s, 0, 1)), float(np.clip(v, 0, 1))))


def palette(c: VisualControls) -> dict[str, np.ndarray]:
    """Named colours of the picture around the emotion's hue, at its brightness and saturation: the hues spread
    wider the more pleasant the picture (colourfulness and colour variety go with valence; Machajdik & Hanbury
    2010), and pleasant, aroused pictures add a complementary accent."""
    spread = 10 + 70 * c.openness + 15 * c.energy  # pleasant pictures are colourful, unpleasant near-monochrome
    accent_shift = 180 if (c.energy > 0.6 and c.openness > 0.4) else 35
    return {
        "sky_top": _hsv(c.hue + spread * 0.6, c.saturation * 0.75, min(1.0, c.brightness * (0.75 + 0.45 * c.openness))),
        "sky_low": _hsv(c.hue - spread * 0.3, c.saturation * 0.55, min(1.0, c.brightness * 1.15 + 0.05)),
        "main": _hsv(c.hue, c.saturation, c.brightness),
        "dark": _hsv(c.hue + spread, min(1.0, c.saturation * 1.1), c.brightness * 0.45),
        "mid": _hsv(c.hue - spread, c.saturation * 0.9, c.brightness * 0.75),
        "accent": _hsv(c.hue + accent_shift, min(1.0, c.saturation * 1.2 + 0.1), min(1.0, c.brightness * 1.1 + 0.1)),
        # a light source is bright whatever the mood (fire and lightning in a dark scene): its value has a floor
        # that rises with arousal, so the dark, unpleasant pictures' dramatic light is still light
        "light": _hsv(c.hue + 10, c.saturation * 0.35, min(1.0, max(c.brightness * 1.3 + 0.15, 0.5 + 0.2 * c.energy))),
    }


def image_size(size: Any) -> tuple[int, int]:
    """(width, height) from N or (width, height), inside the sizes this backend draws (`GenerationError` if
    not); public so a session can check its pictures' size before minutes of music."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, (bool, np.bool_)):
        size = (int(size), int(size))
    try:
        if isinstance(size, (str, bytes, bool, np.bool_)) or not all(
                isinstance(x, (numbers.Integral, np.integer)) and not isinstance(x, (bool, np.bool_)) for x in size):
            raise TypeError  # (size=true was read as 1 px: "1x1 is out of range"; [300.7, 400.2] drew 300x400)
        w, h = (int(x) for x in size)
    except (TypeError, ValueError):
        raise GenerationError(f"image size must be N or (width, height), got {size!r}") from None
    if not (256 <= w <= 2048 and 256 <= h <= 2048):
        raise GenerationError(f"image size {w}x{h} is out of range: {KEY} draws 256 to 2048 px per side")
    return w, h


class ProceduralImage:
    modality = "image"
    name = "procedural"

    def __init__(self, config: ProceduralConfig | None = None, **overrides: Any):
        from conditioning.registry import configure

        self.config = configure(ProceduralConfig, config, overrides, KEY, GenerationError)

    # ------------------------------------------------------------------------------------------ requests
    def _size(self, opts: Mapping[str, Any]) -> tuple[int, int]:
        return image_size(opts.get("size", self.config.size))

    def _style(self, opts: Mapping[str, Any]) -> str:
        style = opts.get("style", self.config.style)
        if style not in STYLES:
            raise GenerationError(f"unknown image style {style!r}; known: {', '.join(STYLES)}")
        return style

    def generate(self, request: GenerationRequest) -> GenerationResult:
        t0 = time.perf_counter()
        opts = check_options(request, OPTIONS, KEY, self.config)
        if request.prompt is not None and len(request.prompt) > MAX_PROMPT:
            raise GenerationError(f"the prompt has {len(request.prompt)} characters; at most {MAX_PROMPT}")
        size, style = self._size(opts), self._style(opts)
        emotion = request.emotion if request.trajectory is None else request.trajectory.at(0.0)
        c = controls_for(emotion, request.controls)
        pixels = self.render(c, style, size, request.seed)
        prov = Provenance(KEY, f"procedural ({style})", "procedural: no rights reserved (yours)", request.seed)
        extras = {"style": style, "prompt": request.prompt or "", "abstract": True, "size": list(size)}
        if request.prompt and request.prompt.strip():  # "a cathedral of trees" came back abstract without a word
            extras["notes"] = [f"{KEY} draws abstract pictures, not scenes: the prompt is kept in the report but not "
                               "drawn (the diffusion backend draws it, with local weights: emostudio generate image "
                               "--backend diffusion --model DIR)"]
        return GenerationResult(Image(pixels), {**c.to_json(), "style": style}, prov,
                                {"total_s": time.perf_counter() - t0}, extras)

    def sequence(self, request: GenerationRequest, times: Sequence[float]) -> list[GenerationResult]:
        """One picture per time of the request's trajectory (or its constant emotion), with one composition
        (the same seed), so the pictures of a session change smoothly from clip to clip."""
        from dataclasses import replace

        out = []
        for t in times:
            out.append(self.generate(replace(request, emotion=request.emotion_at(float(t)), trajectory=None)))
        return out

    def correct(self, request: GenerationRequest, target: Emotion, reading) -> GenerationRequest:
        """Move the picture's emotion against the judges' error (proportional, gain 0.8), keeping the seed: the
        composition stays the one the user saw, and the loop keeps the best round (unlike the composer, whose later
        corrections draw new seeds, a picture's second and third rounds differ in colour and light only)."""
        c = dict(request.controls)
        dv = c.get("valence_offset", 0.0) + 0.8 * (target.valence - reading.valence)
        da = c.get("arousal_offset", 0.0) + 0.8 * (target.arousal - reading.arousal)
        new = request.with_controls(valence_offset=float(np.clip(dv, -1, 1)), arousal_offset=float(np.clip(da, -1, 1)))
        return new

    # ----------------------------------------------------------------------------------------- drawing
    def render(self, c: VisualControls, style: str, size: tuple[int, int], seed: int) -> np.ndarray:
        """Draw at the working resolution, scale up, add the grain: uint8 (H, W, 3)."""
        import cv2

        w, h = size
        # always drawn at the working resolution and scaled to the output: strokes, texture and light are drawn in
        # working pixels, so a 256 px picture drawn at 256 px was another picture (half its detail's scale), and
        # image/embedded read anger there at arousal +0.03 against +0.25 at 512 px
        s = self.config.work_px / max(w, h)
        ww, wh = max(64, round(w * s)), max(64, round(h * s))
        rng = np.random.default_rng([seed, 7])  # the composition: the same draws whatever the emotion
        detail = np.random.default_rng([seed, 13])  # texture and weather, whose amount follows the emotion
        pal = palette(c)
        canvas = {"horizon": _horizon, "field": _field, "pattern": _pattern}[style](c, pal, ww, wh, rng, detail)
        light = np.random.default_rng([seed, 17])  # where the light breaks through: the same for every emotion
        canvas = _finish(_light(_texture(canvas, c, pal, detail), c, pal, light), c, rng)
        shrink = ww > w  # (INTER_AREA averages when scaling down; cubic when scaling up)
        img = (cv2.resize(canvas.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
               if (ww, wh) != (w, h) else canvas)
        grain_rng = np.random.default_rng([seed, 11])
        grain = grain_rng.standard_normal((h, w, 1), dtype=np.float32) * (0.008 + 0.03 * c.energy)
        return np.clip((img + grain) * 255.0, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------- helpers
def _value_noise(w: int, h: int, cells: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth noise in [-1, 1] with about ``cells`` features across the width (bicubic-upsampled grid)."""
    import cv2

    gw = max(2, cells)
    gh = max(2, round(cells * h / w))
    # from a generator of its own, seeded by one draw: the grid's size follows the emotion, and drawing it from
    # ``rng`` itself shifted every later draw of the composition (the sun and the hills moved when a session's
    # arousal crossed a step of the cell count)
    grid = np.random.default_rng(int(rng.integers(0, 2**63))).uniform(-1, 1, (gh + 1, gw + 1)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def _gradient(top: np.ndarray, bottom: np.ndarray, w: int, h: int, gamma: float = 1.0) -> np.ndarray:
    t = (np.linspace(0, 1, h, dtype=np.float32) ** gamma)[:, None, None]
    return np.broadcast_to(top * (1 - t) + bottom * t, (h, w, 3)).astype(np.float32).copy()


def _ridge(w: int, base: float, amp: float, angularity: float, rng: np.random.Generator) -> np.ndarray:
    """A skyline (y per column, fraction of height): smooth sine hills when round, fractal midpoint
    displacement with sharp peaks when angular."""
    x = np.linspace(0, 1, w)
    smooth = sum(rng.uniform(0.3, 1) / (k + 1) * np.sin(2 * np.pi * (k + 1) * (x * rng.uniform(0.6, 1.4)) + rng.uniform(0, 6.3))
                 for k in range(3))
    n = 2 ** int(np.ceil(np.log2(w))) + 1
    pts = np.zeros(n)
    pts[0], pts[-1] = rng.uniform(-1, 1, 2)
    step, scale = n - 1, 1.0
    while step > 1:
        half = step // 2
        mids = (pts[0:n - 1:step] + pts[step::step]) / 2 + rng.uniform(-1, 1, len(range(half, n, step))) * scale
        pts[half::step] = mids
        step, scale = half, scale * (0.45 + 0.25 * angularity)
    jag = np.interp(x, np.linspace(0, 1, n), pts)
    jag = np.abs(jag) * 2 - 0.6 if angularity > 0.6 else jag  # ridged peaks for the most angular pictures
    prof = (1 - angularity) * smooth / 1.5 + angularity * jag
    return base - amp * prof


def _fill_below(canvas: np.ndarray, ridge_y: np.ndarray, colour: np.ndarray, top_colour: np.ndarray | None = None) -> None:
    """Paint everything below a skyline (anti-aliased edge), optionally with a vertical gradient."""
    h, w = canvas.shape[:2]
    yy = np.arange(h, dtype=np.float32)[:, None] / h
    cover = np.clip((yy - ridge_y[None, :]) * h + 0.5, 0, 1)[..., None]
    if top_colour is None:
        paint = colour[None, None, :]
    else:
        t = np.clip((yy - ridge_y.min()) / max(1e-3, 1 - ridge_y.min()), 0, 1)[..., None]
        paint = top_colour * (1 - t) + colour * t
    canvas[:] = canvas * (1 - cover) + paint * cover


def _horizon(c: VisualControls, pal: dict, w: int, h: int, rng: np.random.Generator,
             detail: np.random.Generator) -> np.ndarray:
    import cv2

    horizon = 0.62 - 0.22 * (c.openness - 0.5)  # more sky when positive
    canvas = _gradient(pal["sky_top"], pal["sky_low"], w, h, gamma=0.8)
    # clouds: soft for calm, streaked and dark for storms
    clouds = _value_noise(w, h, int(4 + 10 * c.energy), rng)
    cloud_col = pal["light"] if c.openness > 0.5 else pal["dark"]
    amount = (0.12 + 0.35 * (1 - c.openness) * (0.5 + c.energy)) * np.clip(clouds, 0, 1)[..., None]
    sky = np.linspace(1, 0, h, dtype=np.float32)[:, None, None] ** 0.7
    canvas = canvas * (1 - amount * sky) + cloud_col * amount * sky
    # the light: a high, warm sun for positive pictures, a low dim disc for negative, size with dominance
    cx = rng.uniform(0.25, 0.75) * w
    cy = (horizon - 0.12 - 0.35 * c.openness) * h
    r = (0.05 + 0.07 * c.scale) * min(w, h)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
    glow = np.exp(-(dist / (r * (3 + 4 * c.openness))) ** 2)[..., None] * (0.25 + 0.5 * c.openness)
    disc = np.clip(r - dist + 0.5, 0, 1)[..., None]
    sun = _hsv(c.hue + 8, 0.25 + 0.4 * c.saturation, 0.6 + 0.4 * c.openness)
    canvas = canvas * (1 - glow) + sun * glow
    canvas = canvas * (1 - disc * (0.4 + 0.6 * c.openness)) + sun * disc * (0.4 + 0.6 * c.openness)
    # ridges: three layers, farther ones hazier (atmospheric perspective)
    layers = 3
    for i in range(layers):
        depth = i / (layers - 1)
        base = horizon + 0.1 * depth
        amp = (0.08 + 0.18 * c.energy) * (1.2 - 0.5 * depth) * (0.6 + 0.6 * c.scale)
        ridge = _ridge(w, base, amp, c.angularity, rng)
        haze = 0.6 * (1 - depth)
        col = pal["mid"] * (1 - depth) + pal["dark"] * depth
        col = col * (1 - haze) + pal["sky_low"] * haze
        _fill_below(canvas, ridge, col, top_colour=col * 1.08)
    # calm water for low-arousal pictures: a reflection band with ripples
    if c.energy < 0.5:
        water_y = int(h * (horizon + 0.2))
        if water_y < h - 4:
            band = canvas[max(0, 2 * water_y - h):water_y][::-1].copy()
            band = band[: h - water_y]
            ripple = 1 + 0.04 * np.sin(np.linspace(0, 60, band.shape[0]))[:, None, None]
            mix = 0.55
            canvas[water_y:water_y + band.shape[0]] = (band * ripple * mix + pal["dark"] * (1 - mix)).astype(np.float32)
    # rain for negative, aroused pictures: slanted streaks
    if c.openness < 0.45 and c.energy > 0.55:
        streaks = np.zeros((h, w), np.float32)
        for _ in range(int(150 * c.energy * w * h / max(w, h) ** 2)):  # per area, as the texture's strokes
            x0, y0 = detail.uniform(0, w), detail.uniform(0, h)
            ln = detail.uniform(0.03, 0.08) * h
            cv2.line(streaks, (int(x0), int(y0)), (int(x0 - 0.35 * ln), int(y0 + ln)), 1.0, 1, cv2.LINE_AA)
        canvas = canvas * (1 - 0.35 * streaks[..., None]) + pal["light"] * 0.35 * streaks[..., None]
    return canvas


def _shape(img: np.ndarray, centre: tuple[float, float], radius: float, angularity: float, angle: float,
           colour: np.ndarray, alpha: float, rng: np.random.Generator) -> None:
    """One form: a smooth blob (round) or a star-like polygon with sharp vertices (angular), blended."""
    import cv2

    h, w = img.shape[:2]
    # the same draws for either branch, so a shape's neighbours do not change when the emotion tips it over
    branch, k = rng.random(), int(rng.integers(3, 7))
    jitter, phases = rng.uniform(0.8, 1.2, 12), rng.uniform(0, 6.3, 2)
    if branch < angularity:
        spikes = angularity > 0.6
        n = 2 * k if spikes else k
        t = angle + np.linspace(0, 2 * np.pi, n, endpoint=False)
        rad = np.where(np.arange(n) % 2 == 0, radius, radius * (0.45 if spikes else 1.0))
        rad = rad * jitter[:n]
        stretch = 1 + 1.2 * angularity
        pts = np.stack([np.cos(t) * rad * stretch, np.sin(t) * rad], 1)
    else:
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        wob = 1 + 0.15 * np.sin(3 * t + phases[0]) + 0.08 * np.sin(5 * t + phases[1])
        pts = np.stack([np.cos(t) * radius * wob * 1.3, np.sin(t) * radius * wob], 1)
    ca, sa = math.cos(angle), math.sin(angle)
    pts = pts @ np.array([[ca, sa], [-sa, ca]]) + np.array(centre)
    blur = 1.5 + 6 * (0.4 - angularity) if angularity < 0.4 else 0.0
    pad = int(3 * blur) + 2  # draw in the shape's own box: a full-canvas mask per shape is 10x slower
    x0, y0 = np.floor(pts.min(0)).astype(int) - pad
    x1, y1 = np.ceil(pts.max(0)).astype(int) + pad
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.fillPoly(mask, [np.round((pts - (x0, y0)) * 4).astype(np.int32)], 1.0, lineType=cv2.LINE_AA, shift=2)
    if blur:
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
    m = mask[..., None] * alpha
    region = img[y0:y1, x0:x1]
    img[y0:y1, x0:x1] = region * (1 - m) + colour * m


def _field(c: VisualControls, pal: dict, w: int, h: int, rng: np.random.Generator,
           detail: np.random.Generator) -> np.ndarray:
    canvas = _gradient(pal["sky_top"], pal["mid"], w, h, gamma=1.2 - 0.6 * c.openness)
    noise = _value_noise(w, h, int(3 + 8 * c.energy), rng)[..., None]
    canvas = canvas * (1 + 0.12 * noise * (0.5 + c.energy))
    n = int(6 + 34 * c.energy)
    flow = math.radians(-35 * c.energy + rng.uniform(-8, 8))  # diagonal motion when aroused, level when calm
    colours = [pal["main"], pal["accent"], pal["dark"], pal["light"], pal["mid"]]
    for i in range(40):  # always 40 draws: the first n forms are drawn, so a calmer picture is a subset
        r = (0.04 + 0.22 * c.scale * rng.uniform(0.4, 1.0) * (1.4 - 0.8 * c.energy)) * min(w, h)
        x = rng.uniform(-0.1, 1.1) * w
        y = rng.uniform(0.0, 1.0) * h * (1.1 - 0.3 * c.openness) + 0.15 * h * (1 - c.openness)
        pick = int(rng.integers(0, len(colours)))
        turn, alpha = rng.uniform(-0.3, 0.3), rng.uniform(0.5, 1.0)
        form = np.random.default_rng(rng.integers(0, 2**31))
        if i >= n:
            continue
        col = colours[pick] if c.energy > 0.5 else colours[i % 3 * 2 % 5]
        _shape(canvas, (x, y), r, c.angularity, flow + turn * c.energy, col, 0.35 + 0.45 * c.energy * alpha, form)
    return canvas


def _pattern(c: VisualControls, pal: dict, w: int, h: int, rng: np.random.Generator,
             detail: np.random.Generator) -> np.ndarray:
    canvas = _gradient(pal["sky_low"], pal["mid"], w, h, gamma=1.0)
    cells = int(4 + 10 * c.energy)
    step = max(w, h) / cells  # motifs sized by the long side, as the texture's strokes are (from the width, a tall
    # picture's motifs were half a square's, and a 1:8 strip's a few pixels: no pattern left)
    cols = cells if w >= h else int(np.ceil(w / step))
    colours = [pal["main"], pal["accent"], pal["light"], pal["dark"]]
    rows = int(h / step) + 3
    # the seed's own pattern, as regular as the emotion asks: where the lattice starts, whether its rows are offset,
    # which of its colours falls where, and the motifs' common turn (a calm pattern had been one grid whatever the
    # seed: 4 of 255 levels apart, against 29 for anger; an audit)
    x0, y0 = -rng.uniform(0.0, step), -rng.uniform(0.0, step)
    shift, turn = 0.5 * int(rng.integers(0, 2)), rng.uniform(0, 2 * math.pi)
    a, b = [(1, 1), (1, 0), (0, 1), (1, 2)][int(rng.integers(0, 4))]  # checks, columns, rows, diagonals
    for j in range(rows):
        for i in range(cols + 2):
            jitter = 0.35 * c.energy * step
            x = x0 + (i + shift * (j % 2)) * step + rng.uniform(-jitter, jitter)
            y = y0 + j * step * 0.9 + rng.uniform(-jitter, jitter)
            col = colours[(a * i + b * j) % (2 + int(2 * c.energy))]
            _shape(canvas, (x, y), step * (0.22 + 0.2 * c.scale), c.angularity,
                   turn + rng.uniform(0, 6.3) * c.energy, col, 0.85, rng)
    return canvas


def _texture(canvas: np.ndarray, c: VisualControls, pal: dict, rng: np.random.Generator) -> np.ndarray:
    """Visual complexity with arousal (Berlyne 1971: complex, busy, high-contrast scenes arouse): many short
    strokes at every orientation when aroused; a calm picture is softened instead."""
    import cv2

    h, w = canvas.shape[:2]
    if c.energy < 0.45:
        return cv2.GaussianBlur(canvas, (0, 0), 0.5 + 5 * (0.45 - c.energy))
    # as many strokes per area as a square's: a fixed count made a 16:9 picture's texture 1.8 times as dense, read as
    # more aroused, and a 1:8 strip's 8 times (a muddy field)
    n = int(6000 * (c.energy - 0.45) ** 1.5 * w * h / max(w, h) ** 2)
    strokes = np.zeros((h, w), np.float32)
    lit = np.zeros((h, w), np.float32)
    xs, ys = rng.uniform(0, w, n), rng.uniform(0, h, n)
    ang = rng.uniform(0, np.pi, n) if c.angularity > 0.4 else rng.normal(0.0, 0.5, n)
    ln = rng.uniform(2, 4 + 10 * c.energy, n)
    dark = rng.random(n) < 0.6
    for x, y, a, l_, dk in zip(xs, ys, ang, ln, dark):
        p0 = (int(x), int(y))
        p1 = (int(x + l_ * math.cos(a)), int(y + l_ * math.sin(a)))
        cv2.line(strokes if dk else lit, p0, p1, 1.0, 1, cv2.LINE_AA)
    k = 0.25 + 0.35 * c.energy
    canvas = canvas * (1 - k * strokes[..., None]) + pal["dark"] * k * strokes[..., None]
    return canvas * (1 - k * lit[..., None]) + pal["light"] * k * lit[..., None]


def _light(canvas: np.ndarray, c: VisualControls, pal: dict, rng: np.random.Generator, bursts: int = 4) -> np.ndarray:
    """Dramatic light with arousal: the picture falls towards low key and bursts of radiant light break through.
    Why: high-contrast, low-key light with a few intense sources is the light of storms, fire, fireworks and
    explosions, among the most arousing photographs in OASIS (Kurdi et al. 2017) and IAPS; calm pictures keep
    their even light. The bursts fade in one after another as arousal rises (weights, not a count), so a
    session's pictures change smoothly. Drawn at half size: the light is smooth."""
    import cv2

    e = float(np.clip((c.energy - 0.45) / 0.55, 0.0, 1.0))
    slots = rng.permutation(bursts)  # one burst per vertical band of the picture, so they read as separate lights
    places = [((slots[k] + rng.uniform(0.15, 0.85)) / bursts, rng.uniform(0.12, 0.6), int(rng.integers(8, 20)),
               rng.uniform(0, 6.3)) for k in range(bursts)]  # drawn whatever the emotion: the composition stays
    if e <= 0:
        return canvas
    h, w = canvas.shape[:2]
    sh, sw = max(2, h // 2), max(2, w // 2)
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    light = np.zeros((sh, sw), np.float32)
    for k, (fx, fy, spokes, phase) in enumerate(places):
        weight = 1.0 if k == 0 else float(np.clip((bursts - 1) * e - (k - 1), 0.0, 1.0))
        if weight <= 0:
            continue
        d = np.hypot(xx - fx * sw, yy - fy * sh) / min(sw, sh)
        rays = 0.5 + 0.5 * np.cos(np.arctan2(yy - fy * sh, xx - fx * sw) * spokes + phase) ** 8
        light += weight * (np.exp(-(d / (0.08 + 0.1 * e)) ** 2) + 0.6 * rays * np.exp(-d / (0.15 + 0.1 * e)))
    light = cv2.resize(np.clip(light, 0.0, 1.5), (w, h), interpolation=cv2.INTER_LINEAR)[..., None] * e
    canvas = canvas * (1 - 0.55 * e)  # low key
    return canvas * (1 - np.clip(light, 0.0, 1.0)) + pal["light"] * light


def _finish(canvas: np.ndarray, c: VisualControls, rng: np.random.Generator) -> np.ndarray:
    """Light and contrast: contrast rises with arousal, a vignette deepens with negative valence."""
    h, w = canvas.shape[:2]
    mean = canvas.mean(axis=(0, 1), keepdims=True)
    canvas = mean + (canvas - mean) * (0.8 + 0.6 * c.energy)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt(((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2)
    vignette = 1 - (0.1 + 0.45 * (1 - c.openness)) * np.clip(r - 0.45, 0, None) ** 1.5
    return np.clip(canvas * vignette[..., None], 0, 1)
