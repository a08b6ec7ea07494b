"""Does a recording hold steady notes, as music does, or glide, as speech does? Shared by the speech and music
sides of `critique`, since each judge reads only its own kind of sound: a piano piece given to the speech judges
was read as calm at up to 0.95, and a RAVDESS actor's speech given to the music judges as Q2 at 0.87, with no word.

The measure: pYIN's pitch (Mauch & Dixon 2014; librosa) at 8 kHz in 20 ms frames and quarter-semitone steps, and
the share of its pitched frames that lie in a note held for `MIN_HELD_S` or longer (consecutive pitches within
`HELD_CENTS` of the note's first). A voice's pitch moves all the time, so speech holds few such notes; a played
note holds its pitch until the next. Measured by `python bench/held_notes.py` (60 RAVDESS and EmoDB recordings
and the studio's 16 Piper and Festival takes against 16 EMOPIA pieces rendered through FluidR3 and 6 of the
composer's takes): the speech at most 0.54, the music at least 0.88 (2026-12-06); the notes' thresholds were set
between the two on those same recordings. Only `critique` asks (0.07 s per
4 s of audio): the judges' loop does not. It says what it found; it refuses nothing, since music with few held
notes (drums, noise, rap) and speech with many (singing, a chant) are real.
"""
from __future__ import annotations

import numpy as np

MIN_HELD_S = 0.16  #: a held note: this long or longer
HELD_CENTS = 40.0  #: within this many cents of the note's first pitch
MAX_SECONDS = 30.0  #: the middle this many seconds of a longer recording are read
RATE, FRAME, HOP = 8000, 512, 160  #: pYIN's rate and frames (20 ms); fmin 60 Hz, fmax 1 kHz
#: `critique`'s notes: speech whose pitched frames lie this much or more in held notes sounds like music (speech
#: at most 0.54), music this much or less like speech, drums or noise (music at least 0.88)
SPEECH_HELD_LIMIT = 0.7
MUSIC_HELD_FLOOR = 0.3


def held_notes(samples: np.ndarray, rate: int) -> float:
    """Of a recording's pitched frames, the share in held notes (0 when none is pitched); the middle `MAX_SECONDS`
    of a longer one, its channels mixed."""
    return pitch_profile(samples, rate)[0]


def pitch_profile(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """(`held_notes`' share, the median pitch of the pitched frames in Hz, 0 when none is pitched), from one pYIN
    run: `critique` compares a speech take's median pitch with its reference's (another voice), at no extra cost."""
    import librosa

    y = np.asarray(samples, dtype=np.float32)
    if y.ndim > 1:
        y = y.mean(axis=1)
    if len(y) > MAX_SECONDS * rate:
        start = (len(y) - int(MAX_SECONDS * rate)) // 2
        y = y[start: start + int(MAX_SECONDS * rate)]
    y = librosa.resample(y, orig_sr=rate, target_sr=RATE) if rate != RATE else y
    if len(y) < FRAME:
        return 0.0, 0.0
    f0, voiced, _ = librosa.pyin(y, fmin=60, fmax=1000, sr=RATE, frame_length=FRAME, hop_length=HOP,
                                 resolution=0.25)
    cents = 1200.0 * np.log2(np.where(voiced, f0, 440.0) / 440.0)
    run, held, first = 0, 0, 0.0
    need = int(round(MIN_HELD_S * RATE / HOP))
    for k in range(len(cents) + 1):  # runs of pitched frames within HELD_CENTS of their first
        if k < len(cents) and voiced[k] and run and abs(cents[k] - first) < HELD_CENTS:
            run += 1
            continue
        held += run if run >= need else 0
        run, first = (1, cents[k]) if k < len(cents) and voiced[k] else (0, 0.0)
    pitched = int(np.sum(voiced))
    return (held / pitched, float(np.median(f0[voiced]))) if pitched else (0.0, 0.0)
