"""Recording conditions for the speech judges' training (`critics.training.recording`) and the noisy
pseudo-speakers of `critics.training.speech_encoder`: the SNR asked for is the SNR made, the babble never borrows
a held-out voice, and a judge trained with noisy copies keeps its reading under noise."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from critics.training import recording as R
from test_critics_speech import NEUTRAL_CLIP

ANGRY_CLIP = "speech/ravdess/Actor_01/03-01-05-02-01-01-01.flac"


def _speech_like(rate=16000, seconds=2.0, seed=0):
    """Bursts of a harmonic tone with pauses between them: speech's on/off shape without a corpus."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    env = (np.sin(2 * np.pi * 2.5 * t) > 0.2).astype(float)
    return (0.3 * env * sum(np.sin(2 * np.pi * 150 * h * t) / h for h in range(1, 6))
            + 1e-5 * rng.standard_normal(len(t))).astype(np.float32)


@pytest.mark.parametrize("noise", ["white", "pink", "babble"])
@pytest.mark.parametrize("snr", [30.0, 10.0])
def test_the_noise_is_mixed_at_the_snr_asked_over_the_speech(noise, snr):
    y = _speech_like()
    babble = [_speech_like(seed=s) for s in (1, 2, 3, 4)]
    z = R.mix(y, noise, snr, np.random.default_rng(0), babble)
    n = z.astype(np.float64) - y
    measured = 10 * np.log10(R.active_power(y) / np.mean(n ** 2))
    assert abs(measured - snr) < 0.01, (noise, snr, measured)
    assert np.max(np.abs(z)) <= 1.0


def test_pink_noise_falls_three_db_per_octave():
    n = R.pink(1 << 16, np.random.default_rng(0))
    p = np.abs(np.fft.rfft(n)) ** 2
    f = np.fft.rfftfreq(len(n))
    band = lambda lo: p[(f >= lo) & (f < 2 * lo)].mean()  # noqa: E731
    assert 10 * np.log10(band(0.01) / band(0.02)) == pytest.approx(3.0, abs=0.5)


def test_a_loud_mix_is_scaled_down_not_clipped():
    y = _speech_like() * 3.0
    z = R.mix(y, "white", 0.0, np.random.default_rng(0))
    assert np.max(np.abs(z)) == pytest.approx(0.99, abs=1e-6)


def test_bad_noise_requests_say_what_is_accepted():
    with pytest.raises(ValueError, match="white, pink, babble"):
        R.mix(_speech_like(), "brown", 20.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="other voices"):
        R.mix(_speech_like(), "babble", 20.0, np.random.default_rng(0))


def test_a_speakers_condition_is_one_fixed_draw():
    a, b = R.condition("ravdess/01", 0, 0), R.condition("ravdess/01", 0, 0)
    assert a == b and a["noise"] in R.NOISES and R.SNR_RANGE_DB[0] <= a["snr_db"] <= R.SNR_RANGE_DB[1]
    assert len({tuple(R.condition(f"ravdess/{i:02d}", 0, 0).items()) for i in range(1, 17)}) == 16


def test_noisy_copies_stay_in_their_voices_fold_and_babble_comes_from_that_fold(shared_data):
    from critics.training.speech import load_items, make_folds

    items = load_items(shared_data, per_speaker=6)
    group = dict(zip((it.speaker for it in items), make_folds(items, 4)))
    jobs = R.noise_jobs(items, 0, 0, group)
    by_path = {str(it.path): it for it in items}
    babbled = 0
    for it, p in zip(items, jobs):
        for q in p["babble"]:
            other = by_path[q]
            assert other.speaker != it.speaker and group[other.speaker] == group[it.speaker]
        babbled += bool(p["babble"])
        assert p == R.noise_jobs([it], 0, 0, group)[0] or p["babble"]  # one draw per clip, whatever the list
    assert babbled > 0
    fixed = R.noise_jobs(items, 0, 7, group, fixed={"noise": "white", "snr_db": 20.0})
    assert {(p["noise"], p["snr_db"]) for p in fixed} == {("white", 20.0)}


def test_the_shipped_encoder_keeps_its_reading_of_anger_in_noise(shared_data):
    """The shipped speech/encoder heads were trained with noisy copies (`--noise 1`): strong anger mixed with
    pink noise at 20 dB still reads angry, and more aroused than the same actor's neutral take in the same noise.
    Without the noisy copies the same anger read as fearful in pink noise (bench/speech_noise.py)."""
    import json
    from pathlib import Path

    from critics.speech.encoder import SpeechEncoderCritic

    meta = json.loads((Path(__file__).resolve().parents[1] / "critics/weights/speech_encoder.json").read_text())
    assert meta["noise"] >= 1
    critic = SpeechEncoderCritic()
    readings = {}
    for name, clip in (("angry", ANGRY_CLIP), ("neutral", NEUTRAL_CLIP)):
        y, sr = sf.read(str(shared_data / clip), dtype="float32")
        z = R.mix(y, "pink", 20.0, np.random.default_rng(0))
        readings[name] = critic.score((z, sr))
    assert max(readings["angry"].native, key=readings["angry"].native.get) == "angry"
    assert readings["angry"].arousal > readings["neutral"].arousal + 0.3


@pytest.mark.parametrize("rt60", [0.3, 0.6, 1.0])
def test_a_room_reverberates_as_long_as_asked_with_the_direct_sound_it_was_given(rt60):
    h = R.room_response(rt60, 3.0, np.random.default_rng(0))
    decay = 10 * np.log10(np.cumsum(h[::-1] ** 2)[::-1] / np.sum(h ** 2))  # Schroeder's energy decay curve
    t = np.arange(len(h)) / 16000
    t20 = 3 * (t[np.argmax(decay < -25)] - t[np.argmax(decay < -5)])  # RT60 from the -5..-25 dB slope (T20)
    assert t20 == pytest.approx(rt60, rel=0.12)
    assert 10 * np.log10(h[0] ** 2 / np.sum(h[1:] ** 2)) == pytest.approx(3.0, abs=1e-6)
    y = _speech_like()
    z = R.reverberate(y, rt60, 3.0, np.random.default_rng(0))
    assert len(z) == len(y) + len(h) - 1 and R.active_power(z) == pytest.approx(R.active_power(y), rel=1e-6)


def test_rooms_came_after_the_noise_draws_so_each_speakers_noise_is_unchanged():
    import hashlib

    rooms = [R.condition(f"ravdess/{i:02d}", 0, 0) for i in range(1, 17)]
    for i, c in enumerate(rooms, 1):  # the draw as it was before rooms
        rng = np.random.default_rng(int(hashlib.sha1(f"ravdess/{i:02d}~noise0~0".encode()).hexdigest()[:8], 16))
        assert (c["noise"], c["snr_db"]) == (str(rng.choice(R.NOISES)), float(rng.uniform(*R.SNR_RANGE_DB)))
    with_room = [c for c in rooms if "rt60_s" in c]
    assert 0 < len(with_room) < len(rooms)  # most in a room, some dry
    assert all(R.RT60_RANGE_S[0] <= c["rt60_s"] <= R.RT60_RANGE_S[1] for c in with_room)


def test_speech_embedded_validates_on_real_voices_and_trains_on_their_noisy_copies_only(monkeypatch):
    """`critics.training.speech --noise`: a fold's held-out voice, and its noisy pseudo-speaker, are never in the
    heads that read it, and only the real clips are read (the pseudo-speakers' rows only train)."""
    from pathlib import Path

    from critics.training import speech as T

    voices = ["ravdess/01", "ravdess/02", "ravdess/03", "ravdess/04"]
    labels = ["neutral", "happy", "sad", "angry"]
    real = [T.Item(Path(f"{v}-{i}.wav"), "ravdess", v, labels[i % 4], "m") for v in voices for i in range(8)]
    items = real + [T.Item(it.path, it.corpus, f"{it.speaker}~n1", it.label, it.sex) for it in real]
    fold = np.array([voices.index(it.speaker.split("~")[0]) % 2 for it in items])
    trained_on = []
    fit = T.fit_heads
    monkeypatch.setattr(T, "fit_heads", lambda X, its, *a: trained_on.append({i.speaker for i in its}) or fit(X, its, *a))
    X = np.random.default_rng(0).standard_normal((len(items), 6)).astype(np.float32)
    out = T.cross_validate(X, items, fold, 0.1, 0.0, 0, np.arange(len(items)) < len(real))
    assert out["ravdess"].shape == (len(real), 8)  # the real clips' outputs only
    for k, speakers in enumerate(trained_on):
        held_out = {it.speaker for it, f in zip(items, fold) if f == k}
        assert held_out & speakers == set() and any("~n1" in s for s in speakers)
