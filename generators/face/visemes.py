"""Mouth shapes from speech: visemes from phoneme timings, or from the audio itself.

With phoneme timings (Piper and Festival give them): each phoneme has a viseme target (jaw opening, lip spread,
rounding, lip press for /p b m/, lower-lip tuck for /f v/; grouped as in the MPEG-4 viseme set), and the frame's
mouth is the dominance-weighted blend of the neighbouring targets (Cohen & Massaro 1993 coarticulation: each
segment's influence decays exponentially from its centre, with a time constant that grows with its length;
bilabials dominate the lip press so the lips really close). Pauses pull the mouth to rest.

With both (the studio's own speech), the phonemes give the shape and the loudness scales the jaw
(`with_loudness`). With only audio (a user's recording): the jaw follows the loudness (frame RMS in dB over the utterance's
range), spread and rounding follow the spectral balance (high-frequency energy: /i e s/, low: /o u/), both
smoothed. Less precise than phonemes, but in step with the voice.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

PARAMS = ("jaw", "spread", "round", "press", "tuck")

#: IPA symbol -> viseme target (jaw in units of the rig's full jaw drop, 0.35 IOD: an open /a/ is ~1 cm)
_GROUPS: list[tuple[str, dict[str, float]]] = [
    ("pbm", {"press": 1.0}),
    ("fv", {"jaw": 0.05, "tuck": 1.0}),
    ("uʊw", {"jaw": 0.14, "round": 0.9}),
    ("oɔɒ", {"jaw": 0.34, "round": 0.7}),
    ("aɑæʌɐ", {"jaw": 0.55, "spread": 0.15}),
    ("eɛəɜɚɝ", {"jaw": 0.32, "spread": 0.3}),
    ("ɪɨ", {"jaw": 0.19, "spread": 0.45}),
    ("iyj", {"jaw": 0.11, "spread": 0.7}),
    ("ʃʒʧʤ", {"jaw": 0.09, "round": 0.55}),
    ("tdnlszθðɾɹr", {"jaw": 0.1, "spread": 0.2}),
    ("kgŋhxɡʔ", {"jaw": 0.18}),
]
TARGETS: dict[str, dict[str, float]] = {ch: t for chars, t in _GROUPS for ch in chars}
REST: dict[str, float] = {}
#: how strongly a segment holds its target against its neighbours (Cohen & Massaro's alpha), per parameter
DOMINANCE = {"press": 4.0, "tuck": 2.5}


PAUSES = {"sp", "sil", "pau", "spn", "_", "#", "h#"}  #: aligners' silence labels


def viseme(phoneme: str) -> dict[str, float] | None:
    """The target of one phoneme symbol (stress and length marks ignored); the rest shape for a pause label;
    None for marks and unknowns."""
    if phoneme.strip().lower() in PAUSES or not phoneme.strip():
        return REST
    for ch in phoneme:
        if ch in TARGETS:
            return TARGETS[ch]
    return None


def from_phonemes(phonemes: Sequence[Mapping], n_frames: int, fps: float) -> dict[str, np.ndarray]:
    """Per-frame viseme parameters from ``[{"phoneme", "start_s", "end_s"}, ...]`` (coarticulated)."""
    segs = []  # (centre, half-length, target, is_rest)
    last_end = 0.0
    for ph in phonemes:
        s, e = float(ph["start_s"]), float(ph["end_s"])
        if s - last_end > 0.06:  # a pause: the mouth rests
            segs.append(((last_end + s) / 2, (s - last_end) / 2, REST))
        t = viseme(str(ph["phoneme"]))
        if t is not None and e > s:  # (a pause label gives REST: the mouth closes)
            segs.append(((s + e) / 2, (e - s) / 2, t))
        last_end = max(last_end, e)
    segs.append((last_end + 0.25, 0.25, REST))
    segs.insert(0, (-0.25, 0.25, REST))
    times = np.arange(n_frames) / fps
    out = {}
    for name in PARAMS:
        num = np.zeros(n_frames)
        den = np.full(n_frames, 1e-9)
        for c, half, target in segs:
            theta = 1.0 / (0.6 * half + 0.02)  # longer segments hold their shape longer
            alpha = DOMINANCE.get(name, 1.0) if target.get(name) else 1.0
            d = alpha * np.exp(-theta * np.abs(times - c))
            num += d * target.get(name, 0.0)
            den += d
        out[name] = num / den
    # a pressed lip closes the jaw that carries it
    out["jaw"] = out["jaw"] * (1 - out["press"])
    return out


#: Frames quieter than this (dBFS, RMS) are silence whatever the recording's level: 16-bit's own noise lies near
#: -100, and a soft take (RAVDESS's calm and sad ones, trimmed, loudest frames at -44) still lies 20 dB above
#: it, where at -60 its floor was lifted to -60 and the mouth never opened
SILENT_DB = -80.0
MIN_SPAN_DB = 10.0  #: loud frames must stand this far above the floor to be speech (syllables: 20-40 dB)
#: The percentile of a recording's frame levels taken as its floor. Speech trimmed to its words (an edited
#: voice-over) has no pauses, and its 10th percentile lay only 11-19 dB under its loud syllables (median, 80
#: RAVDESS sentences), so the mouth never opened on 25 of them; their 2nd percentile lies 20-31 dB under. A
#: steady tone or noise spans under 1 dB either way, and the room noise after a line is still its floor
FLOOR_PERCENTILE = 2.0
#: How far under the loud syllables (dB) the jaw starts to open
JAW_RANGE_DB = 24.0
#: The jaw opens this far over the recording's floor (dB), or less where the span is tight (`TIGHT_MARGIN`)
FLOOR_MARGIN_DB = 6.0
#: Whether the margin gives way to a tight span: a word cut tight has no room noise, its floor is its own quiet
#: end (15 dB under its peak), and the full margin left 9 dB, under `MIN_SPAN_DB`, so a spoken word kept the
#: mouth shut and was noted as silence (from an audit, 2026-12-06). A steady tone or noise still spans under 1 dB.
TIGHT_MARGIN = True


def from_audio(samples: np.ndarray, rate: int, n_frames: int, fps: float) -> dict[str, np.ndarray]:
    """Per-frame viseme parameters estimated from a mono signal (loudness -> jaw, spectral balance -> lips)."""
    from scipy.ndimage import uniform_filter1d

    hop = rate / fps
    win = int(round(2 * hop))
    x = np.asarray(samples, dtype=np.float64)
    x = np.pad(x, (win // 2, win))
    rms_db = np.empty(n_frames)
    tilt = np.empty(n_frames)
    freqs = np.fft.rfftfreq(win, 1 / rate)
    hi, lo = (freqs >= 2000) & (freqs < 5000), (freqs >= 250) & (freqs < 1000)
    window = np.hanning(win)
    for k in range(n_frames):
        seg = x[int(k * hop): int(k * hop) + win]
        seg = np.pad(seg, (0, win - len(seg)))
        rms_db[k] = 10 * np.log10(np.mean(seg**2) + 1e-10)
        spec = np.abs(np.fft.rfft(seg * window)) ** 2
        tilt[k] = 10 * np.log10((spec[hi].sum() + 1e-10) / (spec[lo].sum() + 1e-10))
    top = np.percentile(rms_db, 95)
    # where the jaw starts to open: 30 dB under the loud syllables, but never inside the recording's own floor
    # (room noise, a hum) nor below SILENT_DB. Measured against the loud part alone, a recording of silence or a
    # steady tone opened the mouth wide on every frame, and a line followed by room noise held it parted.
    floor = max(float(np.percentile(rms_db, FLOOR_PERCENTILE)), SILENT_DB)
    margin = float(np.clip(top - floor - MIN_SPAN_DB, 0, FLOOR_MARGIN_DB)) if TIGHT_MARGIN else FLOOR_MARGIN_DB
    lo = max(top - JAW_RANGE_DB, floor + margin)
    if top < SILENT_DB or top - lo < MIN_SPAN_DB:  # no syllables standing out of the floor: nothing to say
        jaw = np.zeros(n_frames)
    else:
        jaw = np.clip((rms_db - lo) / (top - lo), 0, 1) ** 1.3 * 0.47
    voiced = jaw > 0.05
    med = np.median(tilt[voiced]) if voiced.any() else 0.0
    bal = np.clip((tilt - med) / 12, -1, 1) * voiced
    out = {"jaw": jaw, "spread": np.clip(bal, 0, 1) * 0.6, "round": np.clip(-bal, 0, 1) * 0.6,
           "press": np.zeros(n_frames), "tuck": np.zeros(n_frames)}
    return {k: uniform_filter1d(v, 3, mode="nearest") for k, v in out.items()}


def with_loudness(mouth: dict[str, np.ndarray], samples: np.ndarray, rate: int, fps: float) -> dict[str, np.ndarray]:
    """Scale the phonemes' jaw by the voice's loudness at each frame: the viseme says the shape, the voice
    says how wide (jaw opening grows with vocal effort; Schulman 1989). Where the audio is silent the mouth
    closes even if the timings are a frame off."""
    n = len(mouth["jaw"])
    loud = from_audio(samples, rate, n, fps)["jaw"]
    loud = loud / max(float(loud.max()), 1e-9)
    out = dict(mouth)
    shaped = mouth["jaw"] * (0.25 + 1.1 * loud)
    out["jaw"] = (0.5 * shaped + 0.5 * 0.45 * loud) * (1 - mouth["press"])
    return out
