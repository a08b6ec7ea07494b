"""Optional landmark backend: `face-alignment`'s FAN (Bulat & Tzimiropoulos 2017) refines the portrait's mesh.

Why optional: FAN's 68 points are more accurate than MediaPipe's mesh on the jaw line, lips and eye corners of
large, high-resolution portraits, but the package downloads its weights at run time (from adrianbulat.com),
which this product never does. Users who have the checkpoint on disk (torch hub's ``checkpoints`` folder,
where face-alignment itself caches it, or a path in ``AnimatorConfig.fan_weights``) can turn it on with
``landmarks="face-alignment"``; everyone else keeps the MediaPipe mesh.

How: MediaPipe still fits the 478-point mesh (the rig needs its density); FAN runs on the mesh's face box
(no face detector, so no second download), and the mesh is moved so its 68 corresponding points land on FAN's,
the other points following by thin-plate-spline interpolation of those corrections.

Licences: face-alignment BSD-3-Clause; the 2DFAN-4 weights are trained on 300W-LP (research use: see the
face-alignment README). Needs the ``face`` extra's torch and ``face-alignment``.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from conditioning.registry import BackendUnavailable

CHECKPOINT = "2DFAN4-11f355bf06.pth.tar"  #: face-alignment 1.x's 2D FAN-4 file name

#: MediaPipe mesh index for each of the 68 iBUG-300W points (jaw 0-16, brows 17-26, nose 27-35, eyes 36-47,
#: outer lips 48-59, inner lips 60-67); "right" is the subject's right, on the image's left, in both schemes
IBUG68_TO_MESH = (127, 93, 58, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 288, 323, 356,
                  70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
                  168, 197, 5, 4, 75, 97, 2, 326, 305,
                  33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
                  61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
                  78, 82, 13, 312, 308, 317, 14, 87)


def default_weights() -> Path:
    """Where face-alignment caches 2DFAN-4: torch hub's ``checkpoints`` folder (``$TORCH_HOME/hub``)."""
    home = os.environ.get("TORCH_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "torch")
    return Path(home).expanduser() / "hub" / "checkpoints" / CHECKPOINT


class FanRefiner:
    """Loads FAN from a checkpoint on disk (never downloads) and refines a MediaPipe mesh with it."""

    def __init__(self, weights: str | os.PathLike | None = None, num_modules: int = 4, device: str = "cpu"):
        self.weights = Path(weights) if weights else default_weights()
        if not self.weights.is_file():
            raise BackendUnavailable(
                f"the face-alignment landmark backend needs FAN's weights at {self.weights} (face-alignment would "
                f"download {CHECKPOINT} there; copy it there or pass fan_weights=PATH), and "
                "pip install 'emotion-studio[face]'; or use the default MediaPipe landmarks")
        try:
            import torch
            from face_alignment.models import FAN
        except ModuleNotFoundError as exc:
            raise BackendUnavailable(f"the face-alignment landmark backend needs the Python package {exc.name!r}: "
                                     "pip install 'emotion-studio[face]'") from None

        self.device = device
        self.net = FAN(num_modules)
        state = torch.load(self.weights, map_location=device, weights_only=True)
        self.net.load_state_dict(state)
        self.net.to(device).eval()
        self._lock = threading.Lock()

    def landmarks68(self, pixels: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
        """FAN's 68 points (x, y px) for the face in ``box`` (x0, y0, x1, y1), as face-alignment crops it."""
        import torch
        from face_alignment.utils import CENTER_Y_OFFSET, REFERENCE_SCALE, crop, flip, get_preds_fromhm

        x0, y0, x1, y1 = box
        center = np.array([x1 - (x1 - x0) / 2.0, y1 - (y1 - y0) / 2.0])
        center[1] -= (y1 - y0) * CENTER_Y_OFFSET
        scale = (x1 - x0 + y1 - y0) / REFERENCE_SCALE
        inp = torch.from_numpy(crop(pixels, center, scale).transpose((2, 0, 1)).astype(np.float32) / 255.0)[None]
        with self._lock, torch.no_grad():
            out = self.net(inp.to(self.device))[-1]
            out = out + flip(self.net(flip(inp.to(self.device)))[-1], is_label=True)  # test-time flip, as upstream
        _, pts_img, _ = get_preds_fromhm(out.cpu().numpy(), center, scale)
        return np.asarray(pts_img, dtype=np.float64).reshape(68, 2)

    def refine(self, pixels: np.ndarray, mesh: np.ndarray) -> np.ndarray:
        """The mesh (478, 2 px) moved so its 68 corresponding points sit on FAN's."""
        lo, hi = mesh.min(0), mesh.max(0)
        return snap_mesh(mesh, self.landmarks68(pixels, (lo[0], lo[1], hi[0], hi[1])))


def snap_mesh(mesh: np.ndarray, points68: np.ndarray) -> np.ndarray:
    """Move ``mesh`` so ``mesh[IBUG68_TO_MESH] == points68``; the rest follows a thin-plate spline of the
    corrections (smooth, exact at the 68 points)."""
    from scipy.interpolate import RBFInterpolator

    idx = np.array(IBUG68_TO_MESH)
    anchors = mesh[idx, :2]
    keep = np.unique(anchors.round(3), axis=0, return_index=True)[1]  # a duplicated anchor makes the system singular
    tps = RBFInterpolator(anchors[keep], (points68 - anchors)[keep], kernel="thin_plate_spline")
    out = mesh[:, :2] + tps(mesh[:, :2])
    out[idx] = points68
    return out
