"""Recording conditions: a room's reverberation and noise, added to a clean clip at a set signal-to-noise ratio.

Why: the speech corpora are studio recordings, and the judges trained on them only alone read users' recordings
badly. Mixed with 20 dB of white, pink or babble noise, speech/encoder's heads changed their top label on 27 % of
the RAVDESS clips (speaker-grouped, out of fold); trained with one noisy copy of every clip as well, on 9 %,
with the clean figures unchanged (critics/cards/speech-encoder.md, "Noise"). The same mixing serves the training
augmentation (`critics.training.speech_encoder`, ``--noise``) and the robustness bench (bench/speech_noise.py).

The SNR is taken over the speech, not the whole file: the power of the frames within 30 dB of the loudest
(`active_power`), so a clip's leading silence does not make its noise louder. Babble is four other voices'
clips summed at equal active power, the usual stand-in for a room of talkers (e.g. the NOISEX-92 babble);
the caller picks voices that never change sides of a validation split with the clip's own.

Rooms (since 2026-12-05): in a room of RT60 0.6-1.0 s, speech/encoder trained on noise alone changed its top
label on over half the RAVDESS clips (a speech-critique audit), so most speakers' copies are first heard through
a synthetic room (`room_response`: the direct sound and an exponentially decaying, damped noise tail).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

NOISES = ("white", "pink", "babble")
SNR_RANGE_DB = (10.0, 40.0)  #: training draws; at 10 dB and below the judges refuse most clips as voiceless
RT60_RANGE_S = (0.2, 1.0)  #: reverberation times drawn (a dry booth is ~0.1 s, a living room 0.4, a hall 1-2)
DRR_RANGE_DB = (-3.0, 10.0)  #: direct-to-reverberant ratios drawn (a close microphone +10, a distant one 0)
DRY_SHARE = 0.3  #: share of speakers whose copy has no room, only noise
BABBLE_VOICES = 4
FRAME = 320  #: 20 ms at 16 kHz


def active_power(y: np.ndarray) -> float:
    """Mean power of the 20 ms frames within 30 dB of the loudest (the speech, not its pauses)."""
    y = np.asarray(y, dtype=np.float64)
    n = max(1, len(y) // FRAME)
    p = np.mean(np.square(np.resize(y, n * FRAME).reshape(n, -1)), axis=1)
    return float(np.mean(p[p >= p.max() * 1e-3])) if p.max() > 0 else 0.0


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Noise whose power falls 3 dB per octave (1/f), as most room and fan noise roughly does."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    return np.fft.irfft(spectrum / np.sqrt(f), n)


def condition(speaker: str, k: int, seed: int) -> dict:
    """The recording condition of noisy copy k of a speaker's clips (same draw every run): one noise kind and
    SNR for all of them, and one room, as one room and microphone are for a speaker's session: a
    reverberation time (none for `DRY_SHARE` of the speakers) and a direct-to-reverberant ratio. The room is drawn
    after the noise, so the noise of each speaker is what it was before rooms were added."""
    h = int(hashlib.sha1(f"{speaker}~noise{k}~{seed}".encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(h)
    out = {"noise": str(rng.choice(NOISES)), "snr_db": float(rng.uniform(*SNR_RANGE_DB))}
    dry, rt60, drr = rng.uniform(), rng.uniform(*RT60_RANGE_S), rng.uniform(*DRR_RANGE_DB)
    if dry >= DRY_SHARE:
        out.update(rt60_s=float(rt60), drr_db=float(drr))
    return out


def room_response(rt60_s: float, drr_db: float, rng: np.random.Generator, rate: int = 16000) -> np.ndarray:
    """A room's impulse response, the usual synthetic kind for augmentation: the direct sound, then from 2.5 ms
    on Gaussian noise whose energy decays 60 dB in ``rt60_s`` (a diffuse tail; Polack's model), scaled so the
    direct sound's energy is ``drr_db`` over the tail's, and its high frequencies dying faster (one-pole
    low-pass per quarter of the tail, 8 kHz down to 1 kHz), as air and soft surfaces absorb them."""
    from scipy.signal import lfilter

    n = int(rt60_s * rate)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60_s)  # amplitude: 60 dB of power at rt60
    tail[: int(0.0025 * rate)] = 0.0
    for i, cut in enumerate((8000.0, 4000.0, 2000.0, 1000.0)):  # damping: the cutoff falls over four quarters
        a, b = i * n // 4, (i + 1) * n // 4
        alpha = np.exp(-2 * np.pi * min(cut, 0.45 * rate) / rate)
        tail[a:b] = lfilter([1 - alpha], [1, -alpha], tail[a:b])
    tail *= np.sqrt(10 ** (-drr_db / 10) / (np.sum(tail ** 2) + 1e-20))
    tail[0] = 1.0  # the direct sound
    return tail


def reverberate(y: np.ndarray, rt60_s: float, drr_db: float, rng: np.random.Generator,
                rate: int = 16000) -> np.ndarray:
    """``y`` as heard in a room (`room_response`), its tail included, at the same active power as ``y``."""
    from scipy.signal import fftconvolve

    y = np.asarray(y, dtype=np.float64)
    z = fftconvolve(y, room_response(rt60_s, drr_db, rng, rate))
    return z * np.sqrt(active_power(y) / (active_power(z) + 1e-20))


def mix(y: np.ndarray, noise: str, snr_db: float, rng: np.random.Generator,
        babble: list[np.ndarray] = ()) -> np.ndarray:
    """`y` (mono) with `noise` added at `snr_db` over its speech; scaled down only if the sum would clip.
    ``babble`` holds the other voices' clips (at the same rate) for the babble noise."""
    y = np.asarray(y, dtype=np.float64)
    if noise == "none":  # (a room alone, as the bench tests one)
        peak = float(np.max(np.abs(y))) if y.size else 0.0
        return (y / peak * 0.99 if peak > 0.99 else y).astype(np.float32)
    if noise == "white":
        n = rng.standard_normal(len(y))
    elif noise == "pink":
        n = pink(len(y), rng)
    elif noise == "babble":
        if not len(babble):
            raise ValueError("babble noise needs other voices' clips")
        n = np.zeros(len(y))
        for z in babble:
            z = np.asarray(z, dtype=np.float64)
            z = np.roll(np.resize(z, len(y)), int(rng.integers(len(y))))  # looped, each from its own start
            n += z / np.sqrt(active_power(z) + 1e-20)
    else:
        raise ValueError(f"unknown noise {noise!r}; one of {', '.join(NOISES)} (or none)")
    n *= np.sqrt(active_power(y) / (np.mean(np.square(n)) + 1e-20) / 10 ** (snr_db / 10))
    out = y + n
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    return (out / peak * 0.99 if peak > 0.99 else out).astype(np.float32)


# ------------------------------------------------- the pseudo-speakers of the speech judges' training

def noise_jobs(items: list, k: int, seed: int, group: dict[str, int],
               fixed: dict | None = None) -> list[dict]:
    """Noisy copy k of every clip: its speaker's recording condition (`condition`;
    ``fixed``: this noise and SNR for all, as the bench tests them), babble from `BABBLE_VOICES` clips of other
    speakers in the same validation fold (``group``: speaker -> fold), so no held-out voice is ever heard in
    training, not even as noise; pink noise where the fold holds no other voice."""
    in_fold: dict[int, list] = {}
    for it in items:
        in_fold.setdefault(group[it.speaker], []).append(it)
    out = []
    for it in items:
        cond = dict(fixed) if fixed else condition(it.speaker, k, seed)
        h = int(hashlib.sha1(f"{it.path.name}~noise{k}~{seed}".encode()).hexdigest()[:8], 16)
        others = [o.path for o in in_fold[group[it.speaker]] if o.speaker != it.speaker]
        babble = []
        if cond["noise"] == "babble" and others:
            picks = np.random.default_rng(h).choice(len(others), min(BABBLE_VOICES, len(others)), replace=False)
            babble = [str(others[i]) for i in picks]
        elif cond["noise"] == "babble":
            cond["noise"] = "pink"
        out.append({**cond, "babble": babble, "rng": h})
    return out


def noisy(y: np.ndarray, sr: int, p: dict) -> np.ndarray:
    """A clip (as read) with the noise of job `p` (`noise_jobs`) mixed in."""
    import soundfile as sf

    from conditioning.media import downmix

    babble = []
    for q in p["babble"]:
        z, zr = sf.read(q, dtype="float32", always_2d=False)
        if zr != sr:
            raise ValueError(f"babble clip {q} is {zr} Hz, the clip {sr} Hz")
        babble.append(downmix(z))
    rng = np.random.default_rng(p["rng"])
    y = downmix(y)
    if p.get("rt60_s"):  # the room first: the noise reaches the microphone directly
        y = reverberate(y, p["rt60_s"], p["drr_db"], rng, sr)
    return mix(y, p["noise"], p["snr_db"], rng, babble)


def conditions_record() -> dict:
    """The recording conditions the noisy pseudo-speakers are drawn from, as a judge's training record gives them
    (both speech judges' trainers write this one record)."""
    return {"kinds": list(NOISES), "snr_db": list(SNR_RANGE_DB), "babble_voices": BABBLE_VOICES,
            "rt60_s": list(RT60_RANGE_S), "drr_db": list(DRR_RANGE_DB), "dry_share": DRY_SHARE,
            "per": "speaker and copy (critics.training.recording.condition)"}


def noise_key(p: dict | None) -> str:
    """A noisy job's part of its cache key: everything that decides its samples."""
    if p is None or "noise" not in p:
        return ""
    room = f"|room {p['rt60_s']:.6f} {p['drr_db']:.6f}" if p.get("rt60_s") else ""  # (none: the keys before rooms)
    return f"|{p['noise']}|{p['snr_db']:.6f}|{p['rng']}|{','.join(Path(q).name for q in p['babble'])}{room}"
