"""Acoustic features of vocal emotion, shared by training (`critics.training.speech`) and inference
(`critics.speech.embedded`), so the two can never drift apart.

Two views of one utterance:

- `functionals(y)`: a fixed-length vector of utterance-level statistics of prosody, voice quality and
  spectrum, modelled on the extended Geneva Minimalistic Acoustic Parameter Set (eGeMAPS; Eyben et al.
  2016, IEEE Trans. Affective Computing 7(2)). The groups and why they are here:
  * F0 level, range, slope and contour dynamics: raised, wider and more variable pitch marks high arousal
    (Scherer 2003; Juslin & Laukka 2003, Psychol. Bull. 129(5), table 7).
  * Energy level and dynamics: vocal effort rises with arousal (same sources).
  * Rate and pauses: voiced segments per second and pause proportion, the eGeMAPS rhythm descriptors;
    fast speech goes with anger/fear/joy, slow with sadness (Juslin & Laukka 2003).
  * Jitter, shimmer, harmonics-to-noise ratio: voice quality (tense/breathy), which separates emotions of
    similar arousal (Gobl & Ni Chasaide 2003).
  * Spectral tilt (alpha ratio, Hammarberg index, slopes 0-500 Hz and 500-1500 Hz): vocal effort flattens
    the spectrum (Hammarberg et al. 1980; Eyben et al. 2016).
  * MFCC statistics: the spectral envelope beyond what eGeMAPS keeps; the extended set carries MFCC 1-4,
    we keep 1-13 with their deltas because the corpora here reward it in speaker-independent validation.
- `log_mel(y)`: a log-mel spectrogram (64 bands, 10 ms hop) for the learned encoder.

Pitch, jitter and shimmer come from Praat (Boersma 1993) through parselmouth: autocorrelation pitch is
about 30x faster than `librosa.pyin` and its candidate strength *r* gives the harmonics-to-noise ratio
directly as 10*log10(r / (1 - r)) (Boersma 1993, eq. 4), which spares a second, slower Praat pass.

Everything runs at `SAMPLE_RATE` on a mono float signal; `prepare` converts and trims leading/trailing
silence, because corpora and generators pad differently and silence must not count as "slow speech".
"""
from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
HOP = 160  #: 10 ms
WIN = 400  #: 25 ms
N_FFT = 512
N_MELS = 64
N_MFCC = 13
F0_FLOOR, F0_CEIL = 60.0, 700.0
SILENCE_DB = 40.0  #: frames this far below the loudest frame are silence / pause
#: Spectral-shape features (centroid, flux, flatness) stop here. A resampler's anti-aliasing filter rolls off
#: just below Nyquist (soxr_hq: -5 dB at 7.5-7.8 kHz, -76 dB and less above 7.8 kHz), and corpora are cut with
#: other filters (RAVDESS here keeps its level up to 8 kHz), so features over the full band read the resampler
#: as much as the voice: a 16 -> 48 -> 16 kHz round trip of RAVDESS clips moved spectral flatness by 0.6
#: within-corpus sd before this limit. Below 7 kHz the round trip changes them by 0.1 % at most.
SPECTRAL_FMAX = 7000.0
MIN_ACTIVE_S = 0.25  #: less active speech than this cannot be judged
#: A silence inside a recording (frames `SILENCE_DB` under its loudest) is shortened to this before the judges read
#: it: the judges learnt from single sentences, whose pauses reach 1.1 s (RAVDESS and EmoDB, 960 clips, 99th
#: percentile 0.87 s), so no training clip is changed; an angry take said twice with 6 s of silence between was
#: read anger 0.62 instead of 0.99 (`speech/encoder`, the silence's windows all "happy") and sadness by
#: `speech/embedded`, and a 20-minute file of takes read "happy" from its gaps (a speech-critique audit)
MAX_PAUSE_S = 1.2
#: What no speech does, checked by `prepare` so a critic never reads a mood into a test tone or a hum. Over the
#: 1,495 RAVDESS and EmoDB clips here, in the sounding 40 ms frames: the share of a frame's energy within +-37.5 Hz
#: of its strongest bin is 0.95 at the most (median frame; a pure tone's is 0.999 and more); at least 4 % of the
#: frames (median 73 %) have a pitch between 60 and 400 Hz (normalised autocorrelation over 0.5; noise, hum,
#: clicks and whispers have none); and the frame level's sd is 5.2 dB at the least (syllables and pauses; chords
#: and other steady sounds under 0.6 dB).
MIN_LEVEL_SD_DB = 2.0
MAX_TONE_SHARE = 0.995
MIN_VOICED_SHARE = 0.02


LEVEL_DBFS = -30.0  #: the level the single-file heads read every clip at (`set_level`)

#: A clipped recording (a shout into a phone, a mic's gain set too high) flattens the loud peaks, and the judges
#: read the distortion as emotion. `clipped_share` counts the samples piled up within 10 % of the signal's
#: ceiling, when that ceiling is near full scale (>= -6 dBFS), where converters clip. The ceiling is the
#: 99.5th-percentile level, not the peak, so that the ringing AAC and Opus add to flat tops does not hide them,
#: and at most full scale: an MP3's or Ogg Vorbis' decoder returns clipped stretches ringing beyond it (their
#: 99.5th percentile 1.1-1.3), which hid them before (a float file mixed past full scale is flagged too: it
#: clips when converted). Measured (`python bench/speech_clipping.py`): 2.4 % at most over the 1,495 clean
#: RAVDESS and EmoDB clips, as recorded or normalised to a 0.95 peak, 1.1 % at most on the studio's loudest takes.
#: RAVDESS takes (actors 1-3, 8 classes, single file) driven into clipping were read about as well as unclipped
#: ones (speech/encoder 0.89, speech/embedded 0.84) below 5 % (0.85-0.92 and 0.73-0.89 by bin); at 5 % and more,
#: 0.80 and 0.44 (at 10 % and more, 0.79 and 0.39). Of the takes driven 15 dB past their peak, 89 % are flagged
#: as WAV, 82 % as AAC, 89 % as Opus, 87 % as Ogg Vorbis, 80 % as MP3 (0 % when the ceiling could exceed full
#: scale); none of them unclipped, as any of these (2026-12-06).
CLIPPED_SHARE = 0.05
FLOAT_BEYOND = 2.0  #: samples this far past full scale are a float file's own scale, not a decoder's overshoot
CEILING_DBFS = -6.0


def clipped_share(y: np.ndarray) -> float:
    """The share of ``y``'s samples at its ceiling when that ceiling is near full scale, else 0 (`CLIPPED_SHARE`)."""
    a = np.abs(np.asarray(y, dtype=np.float32))
    # over full scale: a lossy decoder's overshoot of a signal pinned there puts 0.5 % of the samples beyond what a
    # converter records (an MP3's or Vorbis' ringing around flat tops, to about 1.2), so full scale is the ceiling;
    # far beyond it (`FLOAT_BEYOND`) the file is floating point at a scale of its own, and its own top is the
    # ceiling (a take scaled x1000 in float read as 93 % clipped, and its readings were the original's)
    top = float(np.percentile(a, 99.5)) if a.size else 0.0
    ceiling = top if top > FLOAT_BEYOND else min(top, 1.0)
    if ceiling < 10 ** (CEILING_DBFS / 20):
        return 0.0
    return float(np.mean(a >= 0.9 * ceiling))


def driven_into_clipping(y: np.ndarray, gain_db: float) -> np.ndarray:
    """``y`` scaled to a 0.9 peak, then ``gain_db`` louder and hard-clipped at full scale: a shout into a phone,
    the recordings the `CLIPPED_SHARE` figures were measured on (`bench/speech_clipping.py`; the tests' and
    the screenshots' clipped take is 20 dB)."""
    y = np.asarray(y, dtype=np.float32)
    return np.clip(y / np.max(np.abs(y)) * 0.9 * 10 ** (gain_db / 20), -1.0, 1.0).astype(np.float32)


def set_level(y: np.ndarray, level: str = "recorded", target_dbfs: float = LEVEL_DBFS) -> np.ndarray:
    """``y`` at a level the heads expect: "fixed" scales any signal to ``target_dbfs`` RMS (a file's gain is
    an accident of the file when nothing else of the voice is known), "raise" only raises quieter ones (the
    speaker encoder's own rule), "recorded" leaves it as it is."""
    if level == "recorded":
        return y
    if level not in ("fixed", "raise"):
        raise ValueError(f"level must be 'fixed', 'raise' or 'recorded', got {level!r}")
    rms = float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))) + 1e-12
    gain = 10 ** ((target_dbfs - 20 * np.log10(rms)) / 20)
    return (y * gain).astype(np.float32) if gain > 1 or level == "fixed" else y


class FeatureError(ValueError):
    """The signal cannot yield features (empty, silent, too short); says what was found and what is needed."""


MIN_RATE, MAX_RATE = 4000, 384000  #: telephone speech is 8 kHz; studio recorders stop at 384 kHz


#: `high_pass`'s cutoff: under the lowest pitch of a voice (a deep male voice goes down to about 65 Hz, where the
#: filter takes 0.9 dB off the fundamental), over wind, handling and stand rumble
HIGH_PASS_HZ = 50.0


def high_pass(y: np.ndarray) -> np.ndarray:
    """``y`` (16 kHz) without what lies below `HIGH_PASS_HZ` (4th-order Butterworth, forward and back, so no phase
    shift). Why: a rumble under 15 Hz that no one hears, 10 dB under the speech (wind, handling, a microphone
    without its own high-pass), turned 35 of 40 of `speech/embedded`'s readings and 8 of 40 of
    `speech/encoder`'s, most to sad (a speech-critique audit): it fills the pauses and the lowest bands."""
    from scipy.signal import butter, sosfiltfilt

    sos = butter(4, HIGH_PASS_HZ, "highpass", fs=SAMPLE_RATE, output="sos")
    if len(y) <= 3 * (2 * len(sos) + 1):  # too short to filter forward and back (refused later as too short)
        return np.asarray(y, dtype=np.float32)
    return sosfiltfilt(sos, y).astype(np.float32)


def prepare(samples: np.ndarray, rate: int, return_times: bool = False):
    """Any-rate mono or multi-channel samples -> mono float32 at `SAMPLE_RATE`, silence trimmed at the ends and
    long pauses shortened (`MAX_PAUSE_S`); with ``return_times`` also a function from a time in the result (s) to
    the same moment in the recording (a reading's time series had run earlier after each shortened pause: 150 s
    early by the end of a 330-s file of takes: an audit).

    Channels are averaged (shape (n,) or (n, channels)), or the loudest taken where the mean loses more than a
    tenth of their energy (`conditioning.media.downmix`: channels out of phase or delayed); an offset beyond
    `conditioning.media.DC_LIMIT` is filtered out. Raises `FeatureError` for empty, silent or too
    short input, since an emotion read from nothing would be noise dressed as a measurement.
    """
    from conditioning.media import downmix, remove_dc

    y = np.asarray(samples, dtype=np.float32)
    if y.size == 0:
        raise FeatureError("audio is empty (0 samples); need at least 0.25 s of speech")
    if y.ndim == 2:
        y = downmix(y if y.shape[1] <= y.shape[0] else y.T, coherent=0.9)  # channels: the shorter axis
    elif y.ndim != 1:
        raise FeatureError(f"audio must have shape (n,) or (n, channels), got {y.shape}")
    if y.size == 0:
        raise FeatureError("audio is empty (0 samples); need at least 0.25 s of speech")
    if not np.all(np.isfinite(y)):
        raise FeatureError("audio contains NaN or infinite samples")
    if not (MIN_RATE <= rate <= MAX_RATE):  # 10 MHz or 100 Hz "speech" was called silent after resampling
        raise FeatureError(f"sample rate {rate:g} Hz is not a speech recording's; the speech judges read "
                           f"{MIN_RATE:g} Hz to {MAX_RATE:g} Hz audio")
    y = remove_dc(y, int(rate))  # an offset is no sound (removed before resampling: `remove_dc`)
    if rate != SAMPLE_RATE:
        import librosa

        y = librosa.resample(y, orig_sr=int(rate), target_sr=SAMPLE_RATE, res_type="soxr_hq").astype(np.float32)
    y = high_pass(y)  # nor is what lies below a voice's lowest pitch
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak < 1e-4:  # -80 dBFS
        raise FeatureError(f"audio is silent (peak {20 * np.log10(peak + 1e-12):.0f} dBFS); need audible speech")
    db = _frame_db(y)
    active = np.flatnonzero(db > db.max() - SILENCE_DB)
    start = int(active[0] * HOP)
    y = y[start: min(len(y), (active[-1] + 1) * HOP + WIN)]
    kept_db = db[active[0]: active[-1] + 1]  # the kept span's frame levels, measured above
    y, kept_db, cuts = _shorten_pauses(y, kept_db, kept_db >= db.max() - SILENCE_DB)
    if len(y) < MIN_ACTIVE_S * SAMPLE_RATE:
        raise FeatureError(f"only {len(y) / SAMPLE_RATE:.2f} s of sound above silence; need at least "
                           f"{MIN_ACTIVE_S} s of speech")
    _refuse_non_speech(y, kept_db)
    if not return_times:
        return y
    at = np.array([c[0] for c in cuts], dtype=np.float64) / SAMPLE_RATE  # where each cut lies in the result
    removed = np.cumsum([c[1] for c in cuts], dtype=np.float64) / SAMPLE_RATE  # time cut up to and with it
    return y, lambda t: start / SAMPLE_RATE + t + (removed[np.searchsorted(at, t, "right") - 1]
                                                    if at.size and t >= at[0] else 0.0)


#: `utterances`: a pause this long between two stretches of speech ends an utterance, and an utterance is at least
#: this long (a shorter stretch joins its neighbour). Longer than nine in ten of the training sentences' own pauses
#: (RAVDESS and EmoDB, 960 clips: 90th percentile 0.34 s, 41 clips over 0.6 s)
UTTERANCE_PAUSE_S, MIN_UTTERANCE_S = 0.6, 1.0


def utterances(y: np.ndarray) -> list[tuple[int, int]]:
    """The (start, end) sample spans of the utterances in prepared speech ``y`` (`prepare`), split at pauses of
    `UTTERANCE_PAUSE_S` or more (frames `SILENCE_DB` under the loudest); one span for a single utterance. Why: the
    judges learnt from one sentence per clip, and a functional over two sentences and the pause between them reads
    neither (two RAVDESS sentences joined by a 0.8-s pause: `speech/embedded` named 24 of 56 pairs, against 45 of
    56 single takes: an audit), so a judge may read each utterance and pool the readings."""
    db = _frame_db(y)
    quiet = db <= db.max() - SILENCE_DB
    shortest = MIN_UTTERANCE_S * SAMPLE_RATE
    bounds = [0]  # a cut at each long pause's middle, unless it leaves an utterance too short (it joins the next)
    for a, b in _segments(quiet):
        if b - a >= UTTERANCE_PAUSE_S * SAMPLE_RATE / HOP and (a + b) // 2 * HOP - bounds[-1] >= shortest:
            bounds.append((a + b) // 2 * HOP)
    if len(bounds) > 1 and len(y) - bounds[-1] < shortest:  # (the last joins the one before it)
        bounds.pop()
    if len(bounds) == 1:
        return [(0, len(y))]
    spans = []  # each trimmed to its sounding frames, as `prepare` trims a clip (up to 0.6 s of the pause at each
    # edge had been read with it: an audit)
    for s, e in zip(bounds, [*bounds[1:], len(y)]):
        sounding = np.flatnonzero(~quiet[s // HOP: -(-e // HOP)]) + s // HOP
        spans.append((int(sounding[0] * HOP), min(e, int(sounding[-1] * HOP + WIN))) if sounding.size else (s, e))
    return spans


def _shorten_pauses(y: np.ndarray, frame_db: np.ndarray, sounding: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """``y`` with every run of silent frames (not ``sounding``) longer than `MAX_PAUSE_S` cut to that length from
    its middle, ``frame_db`` likewise, and the cuts ((where in the result, samples removed), in order); unchanged
    where none is longer."""
    keep = int(MAX_PAUSE_S * SAMPLE_RATE / HOP)  # frames a pause keeps, half at each end
    cuts = [(a + keep // 2, b - keep // 2) for a, b in _segments(~sounding) if b - a > keep]
    if not cuts:
        return y, frame_db, []
    samples, frames, at, made = [], [], 0, []
    for a, b in cuts:  # whole hops of silence: the join is at least SILENCE_DB under the loudest frame
        samples.append(y[at * HOP: a * HOP])
        frames.append(frame_db[at:a])
        made.append((sum(map(len, samples)), (b - a) * HOP))
        at = b
    samples.append(y[at * HOP:])
    frames.append(frame_db[at:])
    return np.concatenate(samples), np.concatenate(frames), made


def _refuse_non_speech(y: np.ndarray, frame_db: np.ndarray) -> None:
    """A `FeatureError` for sound that is plainly not speech: a single pure tone, nothing with a voice's pitch
    (noise, a mains hum, clicks, a whisper, speech buried in noise) or a level that barely moves (a chord)
    (`MAX_TONE_SHARE`, `MIN_VOICED_SHARE`, `MIN_LEVEL_SD_DB`; checked in that order, so the reason given is the
    most specific one). ``frame_db``: the frame levels `prepare` measured for trimming. Deliberately coarse: it
    only refuses what no clean recording of a voice does, and leaves judging everything else to the critics."""
    share_per_frame, peak, periodic = _sounding_frames(y)
    share = float(np.median(share_per_frame))
    if share > MAX_TONE_SHARE:
        hz = float(np.median(peak)) * SAMPLE_RATE / (2 * VOICING_WIN)
        raise FeatureError(f"this does not sound like speech: it is one pure tone ({100 * share:.1f} % of the "
                           f"energy around {hz:.0f} Hz, where a voice spreads it over harmonics and formants); "
                           "a tone has no vocal emotion to read")
    voiced = float(np.mean(periodic))
    if voiced < MIN_VOICED_SHARE:
        raise FeatureError(f"this does not sound like speech: nothing in it has a voice's pitch ({100 * voiced:.0f} % "
                           "of its sounding frames are periodic between 60 and 400 Hz; clean speech has 4 % and "
                           "more): noise, a mains hum, clicks, a whisper or speech buried in noise, which the judges "
                           "(trained on clean voiced speech) cannot read")
    level_sd = float(np.std(frame_db[frame_db > frame_db.max() - SILENCE_DB]))
    if level_sd < MIN_LEVEL_SD_DB:
        raise FeatureError(f"this does not sound like speech: its level barely moves (sd {level_sd:.1f} dB over "
                           f"{len(y) / SAMPLE_RATE:.1f} s, where the syllables and pauses of clean speech move it by "
                           "5 dB and more): a hum, a chord or other steady sound, or speech buried in noise, which "
                           "the judges (trained on clean recordings) cannot read")


VOICING_WIN = 640  #: 40 ms frames (hop 20 ms) for the non-speech checks: two periods of a 50 Hz voice


CHUNK_FRAMES = 2048  #: frames per pass of the frame analyses (tens of MB), so memory does not grow with the audio


def _framewise(y: np.ndarray, starts: np.ndarray, win: int, measure) -> np.ndarray:
    """``measure`` (float64 frames, one per row -> one row of results per frame) of the ``win``-sample frames of
    ``y`` beginning at ``starts``, `CHUNK_FRAMES` frames at a time: all at once, the frame analyses took 2 GB for
    20 minutes of audio."""
    return np.concatenate([measure(y[np.arange(win)[None, :] + starts[i:i + CHUNK_FRAMES, None]].astype(np.float64))
                           for i in range(0, len(starts), CHUNK_FRAMES)])


def _tone_and_voicing(frames: np.ndarray) -> np.ndarray:
    """Per Hann-windowed 40 ms frame: the share of its power within +-3 bins of its peak, the peak's bin, and
    whether it is periodic between 60 and 400 Hz (normalised autocorrelation above 0.5; the spectrum is
    zero-padded to twice the frame, so its inverse transform is a linear, not circular, autocorrelation:
    Wiener-Khinchin)."""
    power = np.abs(np.fft.rfft(frames, 2 * VOICING_WIN, axis=1)) ** 2
    top = power.argmax(axis=1)
    cum = np.concatenate([np.zeros((len(power), 1)), np.cumsum(power, axis=1)], axis=1)
    rows = np.arange(len(power))
    near = cum[rows, np.minimum(top + 4, power.shape[1])] - cum[rows, np.maximum(top - 3, 0)]  # peak +- 3 bins
    ac = np.fft.irfft(power, axis=1)[:, :VOICING_WIN]
    ac /= ac[:, :1] + 1e-20
    periodic = ac[:, SAMPLE_RATE // 400: SAMPLE_RATE // 60].max(axis=1) > 0.5
    return np.column_stack([near / (cum[:, -1] + 1e-20), top, periodic])


def _sounding_frames(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_tone_and_voicing` of each sounding 40 ms Hann frame (hop 20 ms, within 30 dB of the loudest), as (share,
    peak bin, periodic): one analysis for both the pure-tone and the voicing check (``y`` holds at least
    `MIN_ACTIVE_S`: several frames)."""
    hop = VOICING_WIN // 2
    starts = hop * np.arange(1 + (len(y) - VOICING_WIN) // hop)
    window = np.hanning(VOICING_WIN)
    energy = _framewise(y, starts, VOICING_WIN, lambda f: 10 * np.log10(np.mean((f * window) ** 2, axis=1) + 1e-20))
    m = _framewise(y, starts[energy > energy.max() - 30], VOICING_WIN, lambda f: _tone_and_voicing(f * window))
    return m[:, 0], m[:, 1].astype(int), m[:, 2] > 0.5


def _frame_db(y: np.ndarray) -> np.ndarray:
    """Frame RMS level in dBFS, 25 ms frames every 10 ms."""
    if len(y) < WIN:
        y = np.pad(y, (0, WIN - len(y)))
    rms = _framewise(y, HOP * np.arange(1 + (len(y) - WIN) // HOP), WIN, lambda f: np.sqrt(np.mean(f ** 2, axis=1)))
    return 20 * np.log10(rms + 1e-10)


def _power_spec(y: np.ndarray) -> np.ndarray:
    """|STFT|^2, shape (N_FFT // 2 + 1, frames), centred frames every 10 ms."""
    import librosa

    return np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, win_length=WIN, center=True)) ** 2


_MEL_CACHE: dict = {}


def _mel_basis() -> np.ndarray:
    if "mel" not in _MEL_CACHE:
        import librosa

        _MEL_CACHE["mel"] = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=50, fmax=7600)
    return _MEL_CACHE["mel"]


def log_mel(y: np.ndarray, power: np.ndarray | None = None) -> np.ndarray:
    """Log-mel spectrogram of a prepared signal, shape (N_MELS, frames), natural log of power (+1e-6)."""
    p = _power_spec(y) if power is None else power
    return np.log(_mel_basis() @ p + 1e-6).astype(np.float32)


def _stats(x: np.ndarray, prefix: str, out: dict, pct: bool = True) -> None:
    """mean, std (and 10/50/90th percentiles and the 10-90 range) of a frame series; zeros if empty."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    ok = x.size > 0
    out[f"{prefix}_mean"] = float(x.mean()) if ok else 0.0
    out[f"{prefix}_std"] = float(x.std()) if ok else 0.0
    if pct:
        p10, p50, p90 = np.percentile(x, [10, 50, 90]) if ok else (0.0, 0.0, 0.0)
        out[f"{prefix}_p10"], out[f"{prefix}_p50"], out[f"{prefix}_p90"] = float(p10), float(p50), float(p90)
        out[f"{prefix}_range"] = float(p90 - p10)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lengths (frames) of the True runs and of the interior False runs of a boolean mask."""
    m = np.concatenate([[False], mask.astype(bool), [False]])
    d = np.diff(m.astype(np.int8))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    on = ends - starts
    off = starts[1:] - ends[:-1] if len(starts) > 1 else np.zeros(0, dtype=int)
    return on, off


def _slopes(seg_values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Frame-to-frame deltas inside contiguous segments, split into rising and falling parts (per second)."""
    d = np.concatenate([np.diff(s) for s in seg_values if len(s) > 1] or [np.zeros(0)]) * (SAMPLE_RATE / HOP)
    return d[d > 0], d[d < 0]


def _pitch(y: np.ndarray):
    """Praat autocorrelation pitch at the 10 ms hop: (f0 Hz with 0 = unvoiced, strength r, praat objects)."""
    import parselmouth

    snd = parselmouth.Sound(y.astype(np.float64), SAMPLE_RATE)
    pitch = snd.to_pitch_ac(time_step=HOP / SAMPLE_RATE, pitch_floor=F0_FLOOR, pitch_ceiling=F0_CEIL)
    sel = pitch.selected_array
    return sel["frequency"], sel["strength"], pitch.xs(), snd, pitch


def _jitter_shimmer(snd, pitch) -> tuple[float, float]:
    """Praat local jitter and shimmer (%) from a cross-correlation point process (standard Praat settings)."""
    from parselmouth.praat import call

    try:
        pp = call([snd, pitch], "To PointProcess (cc)")
        jit = call(pp, "Get jitter (local)", 0, 0, 0.0001, 0.02, 1.3)
        shim = call([snd, pp], "Get shimmer (local)", 0, 0, 0.0001, 0.02, 1.3, 1.6)
    except Exception:  # too few periods: Praat raises; the utterance simply has no measurable value
        return 0.0, 0.0
    jit = 0.0 if not np.isfinite(jit) else float(jit) * 100
    shim = 0.0 if not np.isfinite(shim) else float(shim) * 100
    return jit, shim


def _band_slope(spec_db: np.ndarray, freqs: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Least-squares slope (dB/kHz) of the dB spectrum between lo and hi Hz, per frame."""
    sel = (freqs >= lo) & (freqs <= hi)
    f = freqs[sel] / 1000.0
    f = f - f.mean()
    return (f @ spec_db[sel]) / (f @ f)


def functionals_dict(y: np.ndarray) -> dict[str, float]:
    """The named utterance-level features of a prepared (16 kHz, trimmed) signal."""
    import librosa

    out: dict[str, float] = {}
    power = _power_spec(y)  # (257, T)
    n = power.shape[1]
    frame_db = 10 * np.log10(power.sum(axis=0) / (N_FFT * WIN / 2) + 1e-10)  # ~ RMS level, dBFS
    active = frame_db > frame_db.max() - SILENCE_DB

    # --- pitch and voice quality (Praat) ---
    f0, strength, times, snd, pitch = _pitch(y)
    voiced_pitch = f0 > 0
    st = np.where(voiced_pitch, 12 * np.log2(np.maximum(f0, 1.0) / 27.5), np.nan)  # semitones re 27.5 Hz
    vst = st[voiced_pitch]
    _stats(vst, "f0", out)
    if vst.size > 2:
        t = times[voiced_pitch]
        out["f0_slope"] = float(np.polyfit(t - t.mean(), vst, 1)[0])  # st/s over the utterance
    else:
        out["f0_slope"] = 0.0
    on, off = _runs(voiced_pitch)
    bounds = np.cumsum(np.concatenate([[0], on]))
    segs = np.split(vst, bounds[1:-1]) if on.size else []
    rise, fall = _slopes(segs)
    out["f0_rise_mean"] = float(rise.mean()) if rise.size else 0.0
    out["f0_fall_mean"] = float(-fall.mean()) if fall.size else 0.0
    deltas = [np.diff(s) for s in segs if len(s) > 1]
    out["f0_delta_abs"] = float(np.mean(np.abs(np.concatenate(deltas)))) if deltas else 0.0
    r = np.clip(strength[voiced_pitch], 1e-4, 1 - 1e-4)
    _stats(10 * np.log10(r / (1 - r)), "hnr", out, pct=False)
    out["jitter"], out["shimmer"] = _jitter_shimmer(snd, pitch)

    # --- energy and its dynamics ---
    _stats(frame_db[active], "energy", out)
    segs_e = [frame_db[a:b] for a, b in _segments(active)]
    rise, fall = _slopes(segs_e)
    out["energy_rise_mean"] = float(rise.mean()) if rise.size else 0.0
    out["energy_fall_mean"] = float(-fall.mean()) if fall.size else 0.0
    # align pitch frames (Praat, first frame centred at ~WIN/2) with STFT frames (centred at k*HOP)
    vmask = np.zeros(n, dtype=bool)
    idx = np.clip(np.round(times * SAMPLE_RATE / HOP).astype(int), 0, n - 1)
    vmask[idx[voiced_pitch]] = True
    vmask &= active
    out["energy_voiced_mean"] = float(frame_db[vmask].mean()) if vmask.any() else out["energy_mean"]

    # --- rate and pauses (eGeMAPS temporal descriptors) ---
    # (on, off): the voiced and unvoiced run lengths measured for the F0 slopes above
    dur = n * HOP / SAMPLE_RATE
    out["voiced_ratio"] = float(voiced_pitch.mean()) if voiced_pitch.size else 0.0
    out["voiced_segments_per_s"] = float(on.size / dur)
    out["voiced_len_mean"] = float(on.mean() * HOP / SAMPLE_RATE) if on.size else 0.0
    out["voiced_len_std"] = float(on.std() * HOP / SAMPLE_RATE) if on.size else 0.0
    out["unvoiced_len_mean"] = float(off.mean() * HOP / SAMPLE_RATE) if off.size else 0.0
    out["unvoiced_len_std"] = float(off.std() * HOP / SAMPLE_RATE) if off.size else 0.0
    out["pause_ratio"] = float(1.0 - active.mean())
    on_a, _ = _runs(active)
    out["active_segments_per_s"] = float(on_a.size / dur)

    # --- spectral tilt and shape ---
    freqs = np.linspace(0, SAMPLE_RATE / 2, power.shape[0])
    lo, hi = (freqs >= 50) & (freqs < 1000), (freqs >= 1000) & (freqs < 5000)
    alpha = 10 * np.log10(power[lo].sum(0) + 1e-10) - 10 * np.log10(power[hi].sum(0) + 1e-10)
    hamm = 10 * np.log10(power[freqs < 2000].max(0) + 1e-10) - \
        10 * np.log10(power[(freqs >= 2000) & (freqs < 5000)].max(0) + 1e-10)
    spec_db = 10 * np.log10(power + 1e-10)
    slope_lo = _band_slope(spec_db, freqs, 0, 500)
    slope_hi = _band_slope(spec_db, freqs, 500, 1500)
    band = freqs < SPECTRAL_FMAX
    pb, fb = power[band], freqs[band]
    centroid = (fb @ pb) / (pb.sum(0) + 1e-10)
    flux = np.concatenate([[0.0], np.sqrt(np.mean(np.diff(np.log(pb + 1e-10), axis=1) ** 2, axis=0))])
    flat = np.exp(np.mean(np.log(pb + 1e-10), axis=0)) / (np.mean(pb, axis=0) + 1e-10)
    uv = active & ~vmask
    for name, x in (("alpha", alpha), ("hammarberg", hamm), ("slope0_500", slope_lo),
                    ("slope500_1500", slope_hi), ("centroid", centroid / 1000), ("flux", flux),
                    ("flatness", flat)):
        _stats(x[vmask] if vmask.any() else x[active], f"{name}_v", out, pct=False)
        out[f"{name}_uv_mean"] = float(x[uv].mean()) if uv.any() else float(x[active].mean())

    # --- MFCC 1-13 and deltas over active frames ---
    mel = log_mel(y, power)
    mfcc = librosa.feature.mfcc(S=mel * (10 / np.log(10)), n_mfcc=N_MFCC + 1)[1:]  # drop c0 (level)
    m = mfcc[:, active]
    dm = np.diff(m, axis=1) if m.shape[1] > 1 else np.zeros((N_MFCC, 1))
    for i in range(N_MFCC):
        out[f"mfcc{i + 1}_mean"] = float(m[i].mean())
        out[f"mfcc{i + 1}_std"] = float(m[i].std())
        out[f"mfcc{i + 1}_dstd"] = float(dm[i].std())
    return out


def _segments(mask: np.ndarray) -> list[tuple[int, int]]:
    m = np.concatenate([[False], mask.astype(bool), [False]])
    d = np.diff(m.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def feature_names() -> list[str]:
    """The order of `functionals` (computed once on a synthetic vowel, so it cannot drift from the code)."""
    if "names" not in _MEL_CACHE:
        t = np.arange(int(0.6 * SAMPLE_RATE)) / SAMPLE_RATE
        y = (0.3 * np.sign(np.sin(2 * np.pi * 140 * t)) * np.hanning(t.size)).astype(np.float32)
        _MEL_CACHE["names"] = list(functionals_dict(y))
    return list(_MEL_CACHE["names"])


def functionals(y: np.ndarray) -> np.ndarray:
    """`functionals_dict` as a float32 vector in `feature_names()` order."""
    d = functionals_dict(y)
    return np.nan_to_num(np.array([d[k] for k in feature_names()], dtype=np.float32), posinf=0.0, neginf=0.0)
