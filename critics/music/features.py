"""Audio descriptors of perceived musical emotion, computed with numpy and librosa's filter banks.

Why these: listeners judge a piece's valence mostly from mode and harmony and its arousal from tempo,
loudness/dynamics, articulation, register and timbre (Gabrielsson & Lindstroem 2010, "The role of
structure in the musical expression of emotions"; Eerola, Friberg & Bresin 2013, "Emotional expression
in music: contribution, linearity, and additivity of primary musical cues": mode > tempo > register >
dynamics > articulation > timbre). Each group below follows the MIRtoolbox descriptor of the same name
(Lartillot & Toiviainen 2007), which Eerola, Lartillot & Toiviainen 2009 used to predict emotion ratings:

- mode and key clarity: Krumhansl-Kessler (1982) key-profile correlations of the chroma (mirmode =
  best major minus best minor correlation; mirkeyclarity = best correlation), global and per ~4 s window,
  plus a key-invariant pitch-class profile (chroma rotated to the estimated tonic) and triad quality
  (share of frames nearer a major than a minor triad template);
- tempo and pulse clarity: autocorrelation of the onset-strength envelope (mirtempo, mirpulseclarity);
- loudness and dynamics: RMS in dB (mean, spread, variation, low-energy rate);
- brightness: spectral centroid, 85 % roll-off, energy above 1.5 kHz (mirbrightness), flatness, flux;
- onset density and articulation: onsets per second, attack slope (mirattackslope), depth of the energy
  dip between successive onsets (staccato vs legato), inter-onset regularity;
- roughness: Sethares' (1993) parametrisation of Plomp & Levelt (1965) sensory dissonance over the
  strongest spectral peaks (mirroughness);
- register: pitch centroid and bass pitch of the spectrum in MIDI units.

Two stages: `analyse` computes frame-level descriptors once; `summarise` turns any span of frames into
a fixed vector, so a time series of readings costs one analysis. The input is normalised to -16 LUFS
first: recordings arrive at any level, so absolute level must carry no information.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["FEATURE_VERSION", "FeatureConfig", "Frames", "analyse", "summarise", "extract", "feature_names"]

FEATURE_VERSION = 2  # bump when any descriptor changes: invalidates cached training features (2: spectral shape below SPECTRAL_FMAX)

# Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


#: Spectral-shape descriptors (centroid, roll-off, high-frequency ratio, flatness) stop here. Audio at any other
#: rate than `FeatureConfig.rate` goes through the resampler, whose anti-aliasing filter empties the band just
#: below the 11.025 kHz Nyquist, while the training renders are synthesised at 22.05 kHz and keep it: spectral
#: flatness, a geometric mean, is ruled by those empty bins (a 22.05 -> 44.1 -> 22.05 kHz round trip of EMOPIA
#: renders moved its mean by 2 sd before this limit).
SPECTRAL_FMAX = 10000.0


@dataclass(frozen=True)
class FeatureConfig:
    """Analysis settings. 4096-point frames resolve semitones down to ~C3 for the chroma."""

    rate: int = 22050
    n_fft: int = 4096
    n_fft_short: int = 1024  # onsets and energy need ~46 ms frames; the long frames smear attacks
    hop: int = 512
    n_mels: int = 64
    n_peaks: int = 16  # spectral peaks per frame for roughness and bass
    peak_stride: int = 4  # roughness every 4th frame (~93 ms) is plenty
    key_window_s: float = 4.0
    min_duration_s: float = 2.0
    target_lufs: float = -16.0


@dataclass
class Frames:
    """Frame-level descriptors of one signal (all arrays have one value per frame unless noted)."""

    config: FeatureConfig
    rms_db: np.ndarray
    centroid: np.ndarray  # Hz
    rolloff: np.ndarray  # Hz
    hf_ratio: np.ndarray  # energy above 1.5 kHz / energy below SPECTRAL_FMAX
    flatness: np.ndarray
    flux: np.ndarray
    onset_env: np.ndarray
    chroma: np.ndarray  # (12, T), energy
    pitch_centroid: np.ndarray  # MIDI
    roughness: np.ndarray  # one value per `peak_stride` frames
    bass: np.ndarray  # MIDI, one value per `peak_stride` frames

    @property
    def n_frames(self) -> int:
        return int(self.rms_db.size)

    @property
    def frame_rate(self) -> float:
        return self.config.rate / self.config.hop


# --------------------------------------------------------------------------------- filter banks


@lru_cache(maxsize=8)
def _banks(rate: int, n_fft: int, n_fft_short: int, n_mels: int):
    import librosa

    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    mel = librosa.filters.mel(sr=rate, n_fft=n_fft_short, n_mels=n_mels, fmax=min(8000.0, rate / 2))
    chroma = librosa.filters.chroma(sr=rate, n_fft=n_fft, n_chroma=12)  # row 0 = C
    band = (freqs >= 27.5) & (freqs <= 2000.0)  # piano range up to where harmonics dominate
    midi = np.zeros_like(freqs)
    midi[1:] = 69.0 + 12.0 * np.log2(freqs[1:] / 440.0)
    return freqs, mel.astype(np.float32), chroma.astype(np.float32), band, midi


# --------------------------------------------------------------------------------- stage 1


def _loudness_normalise(y: np.ndarray, rate: int, target: float) -> np.ndarray:
    from conditioning.render import level_free_loudness

    lufs = level_free_loudness(y, rate)  # (under the -70 LUFS gate too: a faint recording is read at its level)
    if not np.isfinite(lufs):
        return y
    return y * np.float32(10.0 ** ((target - lufs) / 20.0))


def _sethares(freqs: np.ndarray, amps: np.ndarray) -> np.ndarray:
    """Sensory dissonance of each row of peaks (Sethares 1993, normalised by total amplitude^2)."""
    f1, f2 = freqs[:, :, None], freqs[:, None, :]
    a1, a2 = amps[:, :, None], amps[:, None, :]
    fmin = np.minimum(f1, f2)
    s = 0.24 / (0.0207 * fmin + 18.96)
    df = np.abs(f2 - f1)
    d = np.minimum(a1, a2) * (np.exp(-3.51 * s * df) - np.exp(-5.75 * s * df))
    total = amps.sum(axis=1) ** 2 + 1e-12
    return 0.5 * d.sum(axis=(1, 2)) / total


BLOCK_FRAMES = 2048  #: frames per pass of `analyse` (~48 s at 22.05 kHz; a multiple of `peak_stride`)


def analyse(samples: np.ndarray, rate: int, config: FeatureConfig = FeatureConfig()) -> Frames:
    """Frame-level descriptors of a mono signal (resampled to `config.rate`, loudness-normalised).

    The spectra are taken `BLOCK_FRAMES` frames at a time (the frames of one centred STFT of the whole signal,
    cut into runs) and only the per-frame descriptors kept, so memory does not grow with the length: the whole
    STFT at once took 2.5 GB for a 15-minute session. What needs the whole piece (the mel level's reference,
    the flux across block edges, which peak frames count as silent) is done on the descriptors afterwards."""
    import librosa

    from conditioning.media import MUSIC_DC_LIMIT, downmix, remove_dc

    y = downmix(np.asarray(samples, dtype=np.float32))  # the mean, or one channel where the channels cancel
    y = remove_dc(y, rate, limit=MUSIC_DC_LIMIT)  # an offset is no sound (before resampling: `remove_dc`)
    if rate != config.rate:
        y = librosa.resample(y, orig_sr=rate, target_sr=config.rate, res_type="soxr_hq")
    y = _loudness_normalise(y, config.rate, config.target_lufs)
    n = 1 + len(y) // config.hop  # librosa's centred frame count
    step = max(config.peak_stride, BLOCK_FRAMES // config.peak_stride * config.peak_stride)
    blocks = [_analyse_block(y, t0, min(n, t0 + step), config) for t0 in range(0, n, step)]
    cat = {k: np.concatenate([b[k] for b in blocks], axis=-1) for k in blocks[0]}

    mel = cat["mel"]
    mel_db = librosa.power_to_db(mel, ref=np.max(mel) + 1e-12, top_db=80.0)
    diff = np.maximum(0.0, np.diff(mel_db, axis=1))
    onset_env = np.concatenate([[0.0], diff.mean(axis=0)])  # spectral flux on the mel scale
    flux = onset_env.copy()

    level, roughness, bass = cat["peak_level"], cat["roughness"], cat["bass"]
    silent = level <= max(1e-6, 0.01 * float(level.max(initial=0.0)))  # tails: noise-like, not music
    bass[silent] = np.nan
    roughness[silent] = 0.0

    return Frames(config, cat["rms_db"].astype(np.float32), cat["centroid"], cat["rolloff"], cat["hf_ratio"],
                  cat["flatness"], flux, onset_env.astype(np.float32), cat["chroma"], cat["pitch_centroid"],
                  roughness, bass)


def _stft_frames(y: np.ndarray, t0: int, t1: int, n_fft: int, hop: int) -> np.ndarray:
    """|STFT| frames t0..t1-1 of ``librosa.stft(y, n_fft, hop, center=True)`` (zero padding), taken from a slice."""
    import librosa

    lo, hi = t0 * hop - n_fft // 2, (t1 - 1) * hop + n_fft - n_fft // 2
    seg = y[max(lo, 0): min(hi, len(y))]
    seg = np.pad(seg, (max(0, -lo), max(0, hi - len(y))))
    return np.abs(librosa.stft(seg, n_fft=n_fft, hop_length=hop, center=False))


def _analyse_block(y: np.ndarray, t0: int, t1: int, config: FeatureConfig) -> dict[str, np.ndarray]:
    """The per-frame descriptors of frames t0..t1-1 (t0 a multiple of `peak_stride`)."""
    freqs, mel_fb, chroma_fb, band, midi = _banks(config.rate, config.n_fft, config.n_fft_short,
                                                  config.n_mels)
    spec = _stft_frames(y, t0, t1, config.n_fft, config.hop)  # (F, T)
    power = spec**2
    short = _stft_frames(y, t0, t1, config.n_fft_short, config.hop) ** 2  # (F', T), same frame centres
    rms_db = 10.0 * np.log10(short.sum(axis=0) / config.n_fft_short**2 * 2.667 + 1e-10)  # ~dBFS (Hann)
    # spectral shape below SPECTRAL_FMAX only: above it the resampler, not the music, decides the level
    shape = freqs < SPECTRAL_FMAX
    s_spec, s_freqs, s_power = spec[shape], freqs[shape], power[shape]
    centroid = (s_freqs[:, None] * s_spec).sum(axis=0) / (s_spec.sum(axis=0) + 1e-12)
    cum = np.cumsum(s_power, axis=0)
    rolloff = s_freqs[np.argmax(cum >= 0.85 * cum[-1:], axis=0)]
    hf_ratio = s_power[s_freqs >= 1500.0].sum(axis=0) / (s_power.sum(axis=0) + 1e-12)
    flatness = np.exp(np.log(s_spec + 1e-8).mean(axis=0)) / (s_spec.mean(axis=0) + 1e-8)

    chroma = chroma_fb @ spec  # magnitude, not power: power lets a few loud bass notes dominate
    band_power = power[band]
    pitch_centroid = (midi[band, None] * band_power).sum(axis=0) / (band_power.sum(axis=0) + 1e-12)

    # Roughness and bass from the strongest peaks below 5 kHz, every `peak_stride` frames.
    sub = spec[: np.searchsorted(freqs, 5000.0), :: config.peak_stride]
    is_peak = np.zeros_like(sub, dtype=bool)
    is_peak[1:-1] = (sub[1:-1] > sub[:-2]) & (sub[1:-1] >= sub[2:])
    cand = np.where(is_peak, sub, 0.0).T  # (T', F')
    k = min(config.n_peaks, cand.shape[1])
    idx = np.argpartition(-cand, k - 1, axis=1)[:, :k]
    amps = np.take_along_axis(cand, idx, axis=1)
    pf = freqs[idx]
    strong = amps >= 0.1 * (amps.max(axis=1, keepdims=True) + 1e-12)
    lowest = np.where(strong & (pf > 25.0), pf, np.inf).min(axis=1)
    bass = np.where(np.isfinite(lowest), 69.0 + 12.0 * np.log2(np.maximum(lowest, 1e-3) / 440.0), np.nan)
    return {"rms_db": rms_db, "centroid": centroid, "rolloff": rolloff, "hf_ratio": hf_ratio, "flatness": flatness,
            "mel": mel_fb @ short, "chroma": chroma, "pitch_centroid": pitch_centroid,
            "roughness": _sethares(pf, amps), "bass": bass, "peak_level": amps.sum(axis=1)}


# --------------------------------------------------------------------------------- stage 2


def _key_scores(chroma_vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation of a 12-d chroma with the 12 major and 12 minor KK profiles (tonic = C..B)."""
    c = chroma_vec - chroma_vec.mean()
    cn = np.linalg.norm(c) + 1e-12
    out = []
    for prof in (KK_MAJOR, KK_MINOR):
        rot = np.stack([np.roll(prof, t) for t in range(12)])  # rot[t] has its tonic at pitch class t
        rot = rot - rot.mean(axis=1, keepdims=True)
        out.append(rot @ c / (np.linalg.norm(rot, axis=1) * cn))
    return out[0], out[1]


def _triads() -> np.ndarray:
    rows = []
    for intervals in ((0, 4, 7), (0, 3, 7)):  # 12 major then 12 minor triads
        for root in range(12):
            t = np.zeros(12)
            t[[(root + i) % 12 for i in intervals]] = 1.0
            rows.append(t / np.linalg.norm(t))
    return np.stack(rows)


_TRIADS = _triads()


def _stats(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return 0.0, 0.0
    return float(x.mean()), float(x.std())


def _tempo(onset_env: np.ndarray, frame_rate: float) -> tuple[float, float, float]:
    """Tempo (BPM, log2 of BPM/120), pulse clarity and autocorrelation entropy of the onset envelope.

    The autocorrelation is weighted by a log-normal prior around 120 BPM (one octave wide), as in
    librosa.feature.tempo, to pick between metrical levels; pulse clarity is the unweighted normalised
    autocorrelation at that lag (Lartillot et al. 2008).
    """
    env = onset_env - onset_env.mean()
    n = env.size
    if n < 8 or not np.any(env):
        return 0.0, 0.0, 1.0
    spec = np.fft.rfft(env, 2 * n)
    ac = np.fft.irfft(np.abs(spec) ** 2)[:n]
    ac = ac / (ac[0] + 1e-12)
    lags = np.arange(n)
    lo, hi = int(np.floor(frame_rate * 60.0 / 240.0)), int(np.ceil(frame_rate * 60.0 / 30.0))
    hi = min(hi, n - 1)
    if hi <= lo + 1:
        return 0.0, 0.0, 1.0
    bpm = 60.0 * frame_rate / lags[lo:hi]
    prior = np.exp(-0.5 * (np.log2(bpm / 120.0)) ** 2)
    seg = np.maximum(ac[lo:hi], 0.0)
    best = int(np.argmax(seg * prior))
    p = seg / (seg.sum() + 1e-12)
    entropy = float(-(p * np.log(p + 1e-12)).sum() / np.log(p.size))
    return float(np.log2(bpm[best] / 120.0)), float(seg[best]), entropy


def _onsets(env: np.ndarray, frame_rate: float) -> np.ndarray:
    """Onset frames: local maxima of the envelope above a moving threshold (librosa's peak picker)."""
    import librosa

    if env.size < 8 or env.max() <= 0:
        return np.zeros(0, dtype=int)
    e = (env - env.min()) / (env.max() - env.min() + 1e-12)
    w = max(1, int(round(0.03 * frame_rate)))
    a = max(1, int(round(0.10 * frame_rate)))
    return librosa.util.peak_pick(e, pre_max=w, post_max=1, pre_avg=a, post_avg=a + 1, delta=0.07, wait=w)


def _names() -> list[str]:
    names = []
    names += ["mode_global", "key_clarity_global", "mode_local_mean", "mode_local_std",
              "key_clarity_local_mean", "key_clarity_local_std", "major_triad_share", "triad_quality_mean",
              "triad_fit_mean", "chroma_entropy", "chroma_flux"]
    names += [f"pc_profile_{i}" for i in range(12)]
    names += ["tempo_log2", "pulse_clarity", "tempo_entropy", "onset_density", "ioi_cv",
              "attack_slope", "dip_depth_db", "low_energy_rate"]
    names += ["rms_db_std", "rms_db_range", "rms_db_delta"]
    for base in ("centroid_log", "rolloff_log", "hf_ratio", "flatness_log", "flux"):
        names += [f"{base}_mean", f"{base}_std"]
    names += ["roughness_mean", "roughness_std", "roughness_p90"]
    names += ["pitch_centroid_mean", "pitch_centroid_std", "bass_mean", "bass_std", "chroma_spread"]
    return names


_FEATURE_NAMES = _names()


def feature_names() -> list[str]:
    """Names of the vector `summarise` returns, in order."""
    return list(_FEATURE_NAMES)


def summarise(frames: Frames, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Fixed-length descriptor vector (float32) of frames [start, stop)."""
    cfg, fr = frames.config, frames.frame_rate
    stop = frames.n_frames if stop is None else min(stop, frames.n_frames)
    sl = slice(start, stop)
    ps = slice(start // cfg.peak_stride, max(start // cfg.peak_stride + 1, -(-stop // cfg.peak_stride)))
    rms_db = frames.rms_db[sl]
    active = rms_db > (rms_db.max() - 50.0)  # ignore leading/trailing silence and reverb tails
    chroma = frames.chroma[:, sl]
    out: list[float] = []

    # --- mode, key clarity, harmony
    maj, mnr = _key_scores(chroma.sum(axis=1))
    out += [maj.max() - mnr.max(), max(maj.max(), mnr.max())]
    win = max(4, int(round(cfg.key_window_s * fr)))
    local_mode, local_clar = [], []
    for s in range(0, max(1, chroma.shape[1] - win // 2), max(1, win // 2)):
        c = chroma[:, s : s + win].sum(axis=1)
        if c.sum() <= 1e-9:
            continue
        a, b = _key_scores(c)
        local_mode.append(a.max() - b.max())
        local_clar.append(max(a.max(), b.max()))
    out += [*_stats(np.array(local_mode)), *_stats(np.array(local_clar))]
    # triads on ~0.5 s chroma blocks
    blk = max(1, int(round(0.5 * fr)))
    nb = chroma.shape[1] // blk
    if nb >= 1:
        cb = chroma[:, : nb * blk].reshape(12, nb, blk).sum(axis=2).T  # (nb, 12)
        norm = np.linalg.norm(cb, axis=1)
        cb = cb[norm > 1e-9] / norm[norm > 1e-9, None]
    else:
        cb = np.zeros((0, 12))
    if len(cb):
        sims = cb @ _TRIADS.T  # (nb, 24)
        best_major, best_minor = sims[:, :12].max(axis=1), sims[:, 12:].max(axis=1)
        out += [float(np.mean(best_major > best_minor)), float(np.mean(best_major - best_minor)),
                float(np.mean(sims.max(axis=1)))]
        p = cb**2
        out.append(float(np.mean(-(p * np.log(p + 1e-12)).sum(axis=1) / np.log(12))))
        out.append(float(np.mean(1.0 - (cb[1:] * cb[:-1]).sum(axis=1))) if len(cb) > 1 else 0.0)
    else:
        out += [0.5, 0.0, 0.0, 1.0, 0.0]
    # key-invariant pitch-class profile: chroma rotated so the estimated tonic is first
    mean_c = chroma.sum(axis=1)
    tonic = int(np.argmax(maj)) if maj.max() >= mnr.max() else int(np.argmax(mnr))
    prof = np.roll(mean_c, -tonic)
    out += list(prof / (prof.sum() + 1e-12))

    # --- tempo, onsets, articulation
    env = frames.onset_env[sl]
    out += list(_tempo(env, fr))
    dur = max(1e-3, active.sum() / fr)
    on = _onsets(env, fr)
    out.append(on.size / dur)
    ioi = np.diff(on) / fr
    out.append(float(ioi.std() / (ioi.mean() + 1e-9)) if ioi.size > 1 else 0.0)
    slopes, dips = [], []
    for i, o in enumerate(on):
        pre = rms_db[max(0, o - 3)]
        peak_i = o + int(np.argmax(rms_db[o : o + 6]))
        slopes.append((rms_db[peak_i] - pre) / ((peak_i - max(0, o - 3) + 1) / fr))
        if i + 1 < on.size and on[i + 1] > peak_i:
            dips.append(rms_db[peak_i] - rms_db[peak_i : on[i + 1] + 1].min())
    out += [float(np.mean(slopes)) / 100.0 if slopes else 0.0, float(np.mean(dips)) if dips else 0.0]
    lin = 10.0 ** (rms_db[active] / 20.0)
    out.append(float(np.mean(lin < lin.mean())) if lin.size else 0.0)

    # --- dynamics (level itself is normalised away; spread and change remain)
    ra = rms_db[active] if active.any() else rms_db
    out += [float(ra.std()), float(np.percentile(ra, 95) - np.percentile(ra, 5)),
            float(np.mean(np.abs(np.diff(ra)))) * fr / 10.0 if ra.size > 1 else 0.0]

    # --- brightness and spectral shape (over active frames)
    def act(x):
        x = x[sl]
        return x[active] if active.any() else x

    out += [*_stats(np.log2(act(frames.centroid) + 1.0)), *_stats(np.log2(act(frames.rolloff) + 1.0)),
            *_stats(act(frames.hf_ratio)), *_stats(np.log10(act(frames.flatness) + 1e-8)),
            *_stats(act(frames.flux))]

    # --- roughness
    rough = frames.roughness[ps]
    rough = rough[rough > 0] if np.any(rough > 0) else rough
    out += [*_stats(rough), float(np.percentile(rough, 90)) if rough.size else 0.0]

    # --- register
    out += [*_stats(act(frames.pitch_centroid)), *_stats(frames.bass[ps])]
    p = mean_c / (mean_c.sum() + 1e-12)
    out.append(float(-(p * np.log(p + 1e-12)).sum() / np.log(12)))

    vec = np.asarray(out, dtype=np.float32)
    assert vec.size == len(_FEATURE_NAMES), (vec.size, len(_FEATURE_NAMES))
    return np.nan_to_num(vec, nan=0.0, posinf=0.0, neginf=0.0)


def extract(samples: np.ndarray, rate: int, config: FeatureConfig = FeatureConfig()) -> np.ndarray:
    """Descriptor vector of a whole signal: `summarise(analyse(...))`."""
    return summarise(analyse(samples, rate, config))
