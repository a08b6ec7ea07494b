"""Where `critics.speech.channel.NARROW_BAND_DB` sits: the 4.5-7.5 kHz band against 0.1-3.4 kHz for clean corpus
clips, the studio's own takes and telephone-band copies saved at wideband rates (the baseline the note must not
flag, and what it must).

    python bench/speech_channel.py
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

DATA = Path(os.environ.get("EMOSTUDIO_DATA", ROOT.parent / "shared" / "data"))


def main() -> dict:
    import librosa
    import soundfile as sf
    from scipy.signal import butter, sosfiltfilt

    from conditioning import Emotion
    from critics.speech.channel import NARROW_BAND_DB, upper_band_db
    from critics.speech.features import prepare
    from generators.base import GenerationRequest
    from generators.registry import load_generator

    speech = DATA / "speech"
    files = sorted(speech.glob("ravdess/Actor_*/*.flac"))[::3] + sorted(speech.glob("emodb/**/*.wav"))[::2]
    clean = np.array([upper_band_db(prepare(*sf.read(str(f), dtype="float32"))) for f in files])
    phone_band = butter(6, [300, 3400], "bandpass", fs=8000, output="sos")
    phone = []
    for f in files[::5]:
        y, rate = sf.read(str(f), dtype="float32")
        y8 = sosfiltfilt(phone_band, librosa.resample(y, orig_sr=rate, target_sr=8000)).astype(np.float32)
        phone += [upper_band_db(prepare(librosa.resample(y8, orig_sr=8000, target_sr=r), r)) for r in (16000, 44100)]
    studio = []
    for backend in ("piper", "festival"):
        gen = load_generator("speech", backend)
        for term in ("neutral", "calm", "joy", "sadness", "anger", "fear", "disgust", "surprise"):
            media = gen.generate(GenerationRequest(Emotion.parse(term), text="Kids are talking by the door.")).media
            studio.append(upper_band_db(prepare(media.samples, media.rate)))
    print(f"upper band (4.5-7.5 kHz against 0.1-3.4 kHz), dB; narrow below {NARROW_BAND_DB:g}")
    print(f"  corpus clips ({len(clean)}): lowest {clean.min():.1f}, median {np.median(clean):.1f}; flagged "
          f"{int((clean < NARROW_BAND_DB).sum())}")
    print(f"  studio takes ({len(studio)}): {min(studio):.1f} to {max(studio):.1f}; flagged "
          f"{sum(v < NARROW_BAND_DB for v in studio)}")
    print(f"  telephone band saved at 16 / 44.1 kHz ({len(phone)}): highest {max(phone):.1f}; flagged "
          f"{sum(v < NARROW_BAND_DB for v in phone)}")
    return {"corpus": clean.tolist(), "studio": studio, "phone": phone}


if __name__ == "__main__":
    main()
