"""Frame-level spectral conversion: each voiced frame's envelope changes as the actors' same sounds change.

Why: the long-term spectrum match (`spectrum.py`) gives an emotional take the actors' *average* change of
spectral shape, but both speech judges hear anger and joy in how the shape of every frame changes, which
depends on the sound being made (`bench/speech_cues.py`, "swap": RAVDESS actors' strong takes resynthesised
with the spectral shape of their own neutral take, frame by frame and DTW-aligned, are heard as angry 1 time
of 32 by `speech/encoder` instead of 32, while adding back the take's own long-term change restores only 15).
One affine map per emotion from the neutral frame to the emotional one did not restore it either (angry 7 of
32, fitted on other actors): the change is phone-dependent, not a global function of the spectrum.

How (a codebook mapping, the oldest form of voice conversion: Abe et al. 1988, "Voice conversion through
vector quantization"): a neutral frame is described by its mel-cepstrum (c1-c23, the voice's mean over voiced
frames removed, so the key is the sound and not the speaker) at the frame and 20 ms either side. The
codebook's ``K`` centroids were clustered from the RAVDESS actors' neutral takes; for each emotion and
intensity, each centroid holds the mean change of the mel-cepstrum from the actors' neutral frame to the DTW-
aligned frame of their emotional take of the same sentence (clusters with few frames shrink to the emotion's
mean change). At render time each voiced frame of the voice's neutral analysis takes its centroid's change;
unvoiced frames and c0 (the frame's level, the energy controls' business) are left alone. Built by
``python -m studio.calibrate_frames --data ../shared/data`` (`_conversion.npz`, RAVDESS actors 01-16).
Mixes and intensity blend the terms' changes as `spectrum.target` blends its targets; a term outside the
table gets the change of its valence-arousal-dominance point from a linear model over the table's terms.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from conditioning import Emotion

from .prosody import blend_by_term, vad_model

TABLE = Path(__file__).with_name("_conversion.npz")
N_CEPS = 24  #: c0..c23 describe the key; c0 is never changed
#: only c1..c10 of a change are applied: the spectral balance and broad shape of each sound. The finer
#: coefficients of the actors' mean change carry what the DTW alignment got wrong (an emotional frame matched
#: to a neighbouring phone's neutral frame pulls every sound towards its neighbours): applying all 23 raised
#: pocketsphinx's word error rate of the full-intensity takes from 8.5 to 16.0 points over neutral (calm 5 ->
#: 24 %), c1..c10 to 14.7 (calm 11 %), while both judges read as many takes (bench/speech_fidelity.py,
#: bench/critics_agreement.py; generators/cards/speech-piper-history.md)
N_CHANGED = 10
MEL_POINTS = 64  #: the log envelope is sampled at this many mel-spaced points up to 8 kHz before the DCT
F_HI = 8000.0
CONTEXT_MS = (-20.0, 0.0, 20.0)  #: the key: the frame and its neighbours at these offsets


def _mel_grid(freqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mel of every bin, the mel grid): the grid spans the bins from the first above 0 Hz to 8 kHz."""
    mel = 2595.0 * np.log10(1.0 + freqs / 700.0)
    top = 2595.0 * np.log10(1.0 + min(F_HI, freqs[-1]) / 700.0)
    return mel, np.linspace(mel[1], top, MEL_POINTS)


def cepstrum(sp: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Mel-cepstrum c0..c23 of each frame of a WORLD power envelope (frames, bins)."""
    from scipy.fft import dct

    mel, grid = _mel_grid(freqs)
    log_sp = np.log(np.maximum(sp, 1e-16))
    sampled = np.stack([np.interp(grid, mel, row) for row in log_sp])
    return dct(sampled, type=2, norm="ortho", axis=1)[:, :N_CEPS]


def log_gain(delta: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """A change of mel-cepstrum (frames, N_CEPS) as a natural-log gain per envelope bin (frames, bins)."""
    from scipy.fft import idct

    mel, grid = _mel_grid(freqs)
    full = np.zeros((delta.shape[0], MEL_POINTS))
    full[:, :N_CEPS] = delta
    curve = idct(full, type=2, norm="ortho", axis=1)
    return np.stack([np.interp(mel, grid, row) for row in curve])  # held flat beyond 8 kHz


def keys(ceps: np.ndarray, voiced: np.ndarray, frame_period_ms: float) -> np.ndarray:
    """Each frame's key: c1..c23 minus the voiced frames' mean, at the frame and its ``CONTEXT_MS`` neighbours."""
    z = ceps[:, 1:] - (ceps[voiced, 1:].mean(axis=0) if voiced.any() else 0.0)
    idx = np.arange(len(z))
    return np.hstack([z[np.clip(idx + int(round(o / frame_period_ms)), 0, len(z) - 1)] for o in CONTEXT_MS])


def table_from(arrays) -> dict:
    """The lookup form of a table's arrays (the ``.npz``'s, or `studio.calibrate_frames.build`'s): centroids
    (K, 69); strong / normal: {term: (K, 23)}; B: (3, K*23), the VAD model for terms outside the table."""
    centroids = np.asarray(arrays["centroids"], np.float64)
    strong = {k[7:]: np.asarray(arrays[k], np.float64) for k in arrays if k.startswith("strong_")}
    normal = {k[7:]: np.asarray(arrays[k], np.float64) for k in arrays if k.startswith("normal_")}
    return {"centroids": centroids, "strong": strong, "normal": normal, "B": vad_model(strong)}


@lru_cache(maxsize=1)
def _table() -> dict | None:
    """The shipped table (None when it has not been built)."""
    if not TABLE.exists():
        return None
    with np.load(TABLE) as z:
        return table_from({k: z[k] for k in z.files})


def available() -> bool:
    return _table() is not None


def change(emotion: Emotion, table: dict | None = None) -> np.ndarray | None:
    """Per centroid, the mel-cepstral change (K, 23) the actors make for ``emotion`` (`prosody.blend_by_term`);
    None for neutral. ``table``: a `table_from` result (default: the shipped one)."""
    t = table or _table()
    return None if t is None else blend_by_term(emotion, t["strong"], t["normal"], t["B"])


def _changes(emotions: Sequence[Emotion], t: dict | None) -> list | None:
    """Each emotion's blended change (`change`), or None when none of them changes anything (or no table)."""
    changes = [change(e, t) for e in emotions] if t is not None else []
    return None if all(c is None for c in changes) else changes


def envelope(emotions: Sequence[Emotion], table: dict | None = None):
    """What `world.render` takes as ``envelope``: ``(features, word_of_frame) -> sp`` for these emotions (one
    per word, or one for the utterance); None when there is nothing to change (neutral, or no table).
    ``table``: a `table_from` result (default: the shipped one)."""
    t = table or _table()
    changes = _changes(emotions, t)
    if changes is None:
        return None
    return lambda feat, owner: _apply(feat.sp, feat.f0, feat.rate, feat.frame_period, changes,
                                      np.minimum(owner, len(changes) - 1), t["centroids"])


def convert(sp: np.ndarray, f0: np.ndarray, rate: int, frame_period_ms: float,
            emotions: Sequence[Emotion], owner: np.ndarray, table: dict | None = None) -> np.ndarray:
    """The envelope with every voiced frame's shape changed as the actors' same sound changes.

    ``sp``/``f0``: the voice's *neutral* analysis (the key must describe the sound, not an already modified
    one); ``emotions``: one per word (or one for the utterance); ``owner``: per frame, the index into
    ``emotions`` of the emotion that governs it. Each frame keeps its power (level is the energy controls').
    ``table``: a `table_from` result (default: the shipped one; `bench/speech_cues.py` passes held-out ones)."""
    t = table or _table()
    changes = _changes(emotions, t)
    return sp if changes is None else _apply(sp, f0, rate, frame_period_ms, changes, owner, t["centroids"])


def _apply(sp: np.ndarray, f0: np.ndarray, rate: int, frame_period_ms: float, changes: list, owner: np.ndarray,
           c: np.ndarray) -> np.ndarray:
    """`convert` with the emotions' changes already blended (None: that emotion leaves its frames alone) and
    the table's centroids ``c``."""
    voiced = f0 > 0
    if not voiced.any():
        return sp
    freqs = np.linspace(0.0, rate / 2.0, sp.shape[1])
    k = keys(cepstrum(sp, freqs), voiced, frame_period_ms)
    cluster = ((c ** 2).sum(axis=1)[None] - 2.0 * k @ c.T).argmin(axis=1)  # nearest centroid
    delta = np.zeros((len(sp), N_CEPS))
    for j, ch in enumerate(changes):
        m = voiced & (owner == j)
        if ch is not None and m.any():
            delta[m, 1:] = ch[cluster[m]]
    delta[:, N_CHANGED + 1:] = 0.0  # the finer detail: mostly the alignment's phone confusions (see N_CHANGED)
    return reshape(sp, delta, freqs)


def reshape(sp: np.ndarray, delta: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """The envelope ``sp`` (frames, bins) with its mel-cepstrum changed by ``delta`` (frames, N_CEPS), each
    frame keeping its power: a change of shape, never of level."""
    out = sp * np.exp(log_gain(delta, freqs))
    return out * (sp.sum(axis=1, keepdims=True) / np.maximum(out.sum(axis=1, keepdims=True), 1e-16))
