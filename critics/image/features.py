"""Hand-made features of affective images, shared by training and inference.

Each group is tied to a finding on how images evoke emotion:
- colour: Valdez & Mehrabian (1994) pleasure/arousal/dominance of brightness and saturation
  (P = 0.69B + 0.22S, A = -0.31B + 0.60S, D = -0.76B + 0.32S); hue distribution and warmth; colourfulness
  (Hasler & Suesstrunk 2003); CIELAB statistics; Machajdik & Hanbury (2010) for the affective-image set-up;
- light: brightness, contrast, dark/bright pixel shares (low key vs high key);
- form: edge density, orientation entropy and straightness, corners per edge length as angularity vs
  roundness (Bar & Neta 2006: angular objects read as threatening);
- texture: grey-level co-occurrence statistics (Haralick 1973);
- composition: centre-surround contrast, left-right symmetry, rule-of-thirds energy;
- scene layout: a GIST-like spatial envelope (Oliva & Torralba 2001: log-Gabor energy at 3 scales x 4
  orientations on a 2x2 grid), which separates natural from built, open from closed scenes; local binary
  pattern texture histogram (Ojala et al. 2002);
- content cues that survive without a learned model: skin-tone share (people) and saturated-red share (blood,
  fire, danger).
Images are scored at a fixed working size (longest side ``WORK_PX``) so the features are size-independent.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

WORK_PX = 256
VERSION = 4  #: bump when a feature's definition changes (invalidates training caches)
HUE_BINS = 12


def _resize(rgb: np.ndarray, longest: int = WORK_PX) -> np.ndarray:
    from PIL import Image as PILImage

    h, w = rgb.shape[:2]
    s = longest / max(h, w)
    if s >= 1:
        return rgb
    return np.asarray(PILImage.fromarray(rgb).resize((max(1, round(w * s)), max(1, round(h * s))), PILImage.BILINEAR))


def _hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mx, mn = rgb.max(axis=2), rgb.min(axis=2)
    delta = mx - mn
    v = mx
    s = np.where(mx > 0, delta / np.maximum(mx, 1e-9), 0.0)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    safe = np.maximum(delta, 1e-9)
    h = np.where(mx == r, ((g - b) / safe) % 6, np.where(mx == g, (b - r) / safe + 2, (r - g) / safe + 4)) / 6.0
    return np.where(delta > 0, h, 0.0), s, v


def _lab(rgb: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2lab

    return rgb2lab(rgb)


@lru_cache(maxsize=4)
def _gist_bank(size: int, scales: tuple[float, ...] = (0.25, 0.125, 0.0625), orientations: int = 4) -> np.ndarray:
    """Log-Gabor transfer functions (scales x orientations, size, size), built once per size."""
    fy, fx = np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij")
    radius = np.maximum(np.hypot(fx, fy), 1e-6)
    theta = np.arctan2(fy, fx)
    bank = []
    for f0 in scales:
        radial = np.exp(-(np.log(radius / f0) ** 2) / (2 * np.log(0.55) ** 2))
        for oi in range(orientations):
            d = np.abs(np.angle(np.exp(1j * (theta - oi * np.pi / orientations))))
            d = np.minimum(d, np.pi - d)  # orientation, not direction
            bank.append(radial * np.exp(-(d**2) / (2 * (np.pi / orientations / 1.5) ** 2)))
    return np.stack(bank)


def _gist(lum: np.ndarray, size: int = 64) -> dict[str, float]:
    """Log-Gabor energies (3 scales x 4 orientations) pooled on a 2x2 grid, normalised by total energy."""
    from PIL import Image as PILImage

    g = np.asarray(PILImage.fromarray((lum * 255).astype(np.uint8)).resize((size, size), PILImage.BILINEAR), float)
    g = (g - g.mean()) / (g.std() + 1e-6)
    bank = _gist_bank(size)
    resp = np.abs(np.fft.ifft2(np.fft.fft2(g)[None] * bank))  # (12, size, size)
    h = size // 2
    quads = resp.reshape(len(bank), 2, h, 2, h).mean(axis=(2, 4)).reshape(len(bank), 4)  # (12, 4) grid means
    quads = quads / max(quads.sum(), 1e-9) * quads.size
    return {f"gist_s{i // 4}_o{i % 4}_q{q}": float(quads[i, q]) for i in range(len(bank)) for q in range(4)}


def mirror_gist(feats: dict[str, float]) -> dict[str, float]:
    """``feats`` with the GIST envelope's cells as the left-right mirror image of the picture gives them: the
    grid's left and right cells (q0 with q1, q2 with q3) and the diagonal orientations (45 with 135 degrees, o1
    with o3) change places; the filters are symmetric, so this is the mirror image's GIST to float precision
    (largest difference 1.6e-4 of the feature's range on OASIS) without computing it."""
    quadrant, orientation = {"0": "1", "1": "0", "2": "3", "3": "2"}, {"0": "0", "1": "3", "2": "2", "3": "1"}
    out = dict(feats)
    for name, value in feats.items():
        if name.startswith("gist_"):
            s, o, q = name[5:].split("_")  # "s0", "o1", "q2"
            out[f"gist_{s}_o{orientation[o[1]]}_q{quadrant[q[1]]}"] = value
    return out


def feature_names() -> list[str]:
    return list(extract(np.full((64, 64, 3), 128, np.uint8)).keys())


def extract(pixels: np.ndarray) -> dict[str, float]:
    """Features of one RGB uint8 image (H, W, 3)."""
    from scipy import ndimage
    from skimage.feature import corner_harris, corner_peaks, graycomatrix, graycoprops

    rgb8 = _resize(pixels)
    rgb = rgb8.astype(np.float64) / 255.0
    h, s, v = _hsv(rgb)
    f: dict[str, float] = {}
    B, S = float(v.mean()), float(s.mean())
    f.update(brightness=B, brightness_sd=float(v.std()), saturation=S, saturation_sd=float(s.std()),
             vm_pleasure=0.69 * B + 0.22 * S, vm_arousal=-0.31 * B + 0.60 * S, vm_dominance=-0.76 * B + 0.32 * S)
    weight = s * v
    hist = np.bincount(np.minimum((h * HUE_BINS).astype(int), HUE_BINS - 1).ravel(), weights=weight.ravel(),
                       minlength=HUE_BINS)
    hist = hist / max(hist.sum(), 1e-9)
    for i, x in enumerate(hist):
        f[f"hue_{i * 360 // HUE_BINS:03d}"] = float(x)
    warm = ((h < 1 / 6) | (h > 11 / 12))
    f["warmth"] = float((weight * warm).sum() / max(weight.sum(), 1e-9))
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    f["colourfulness"] = float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
    lab = _lab(rgb[::2, ::2])  # colour statistics need no full resolution
    for i, name in enumerate("Lab"):
        f[f"lab_{name}_mean"] = float(lab[..., i].mean()) / 100
        f[f"lab_{name}_sd"] = float(lab[..., i].std()) / 100
    lum = 0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]
    p5, p95 = np.percentile(lum, [5, 95])
    f.update(contrast_rms=float(lum.std()), contrast_range=float(p95 - p5), dark_share=float((v < 0.2).mean()),
             bright_share=float((v > 0.85).mean()))
    # form
    gx, gy = ndimage.sobel(lum, axis=1), ndimage.sobel(lum, axis=0)
    mag = np.hypot(gx, gy)
    strong = mag > max(0.25, np.percentile(mag, 90))
    f["edge_density"] = float(strong.mean())
    ang = (np.arctan2(gy[strong], gx[strong]) % np.pi) if strong.any() else np.zeros(1)
    ohist = np.bincount(np.minimum((ang / np.pi * 16).astype(int), 15), minlength=16).astype(float)
    ohist /= max(ohist.sum(), 1)
    f["orientation_entropy"] = float(-(ohist[ohist > 0] * np.log2(ohist[ohist > 0])).sum() / 4)
    f["straightness"] = float(ohist[[0, 15, 7, 8]].sum())  # near-horizontal and near-vertical gradients
    half = lum[::2, ::2]  # corners at half size: the count per edge length is what matters, and it is 4x cheaper
    corners = corner_peaks(corner_harris(half, sigma=1.0), min_distance=2, threshold_rel=0.02)
    f["angularity"] = float(len(corners) / max(strong[::2, ::2].sum(), 1) * 10)
    # texture
    q = np.minimum((lum * 32).astype(np.uint8), 31)
    glcm = graycomatrix(q, [1, 3], [0, np.pi / 4, np.pi / 2, 3 * np.pi / 4], levels=32, symmetric=True, normed=True)
    for prop in ("contrast", "homogeneity", "energy", "correlation"):
        val = float(graycoprops(glcm, prop).mean())
        f[f"glcm_{prop}"] = val / 100 if prop == "contrast" else val
    f.update(_gist(lum))
    from skimage.feature import local_binary_pattern

    lbp = local_binary_pattern((lum[::2, ::2] * 255).astype(np.uint8), 8, 1, method="uniform")
    for i, x in enumerate(np.bincount(lbp.astype(int).ravel(), minlength=10)[:10] / lbp.size):
        f[f"lbp_{i}"] = float(x)
    # composition
    H, W = lum.shape
    centre = (slice(H // 4, 3 * H // 4), slice(W // 4, 3 * W // 4))
    mask = np.ones_like(lum, bool)
    mask[centre] = False
    f["centre_brightness"] = float(v[centre].mean() - v[mask].mean())
    f["centre_saturation"] = float(s[centre].mean() - s[mask].mean())
    f["symmetry"] = float(1 - np.abs(lum - lum[:, ::-1]).mean() * 2)
    thirds = [(H // 3, W // 3), (H // 3, 2 * W // 3), (2 * H // 3, W // 3), (2 * H // 3, 2 * W // 3)]
    ry, rx = max(1, H // 12), max(1, W // 12)
    f["thirds_energy"] = float(np.mean([mag[max(0, y - ry):y + ry, max(0, x - rx):x + rx].mean() for y, x in thirds])
                               / max(mag.mean(), 1e-9))
    # content cues
    r8, g8, b8 = (rgb8[..., i].astype(float) for i in range(3))
    cb = 128 - 0.168736 * r8 - 0.331264 * g8 + 0.5 * b8
    cr = 128 + 0.5 * r8 - 0.418688 * g8 - 0.081312 * b8
    f["skin_share"] = float(((cb > 77) & (cb < 127) & (cr > 133) & (cr < 173) & (v > 0.2)).mean())  # Chai & Ngan 1999
    f["red_share"] = float((((h < 0.03) | (h > 0.95)) & (s > 0.5) & (v > 0.25)).mean())
    return f
