"""The second speech judge (`speech/encoder`): known answers on real and resynthesised speech, speaker
references, independence from the first judge, input errors, and its training code on a slice."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conditioning.media import Audio, save_audio
from critics.base import CriticError
from critics.speech.encoder import SpeechEncoderCritic, mel_partials
from test_critics_speech import NEUTRAL_CLIP, _resynth, _synth_voice, _valid

ANGRY_CLIP = "speech/ravdess/Actor_01/03-01-05-02-01-01-01.flac"  # the same actor and sentence, strong anger
SAD_CLIP = "speech/ravdess/Actor_01/03-01-04-02-01-01-01.flac"


@pytest.fixture(scope="module")
def critic() -> SpeechEncoderCritic:
    return SpeechEncoderCritic()


def test_real_anger_reads_more_aroused_than_sadness_and_neutral(critic, shared_data):
    """An unseen-by-the-test actor's strong anger reads higher in arousal than their sadness and neutral
    takes, with and without the neutral take as reference (a judge that hears nothing fails this)."""
    neutral, angry, sad = (shared_data / p for p in (NEUTRAL_CLIP, ANGRY_CLIP, SAD_CLIP))
    single = {k: critic.score(p) for k, p in (("neutral", neutral), ("angry", angry), ("sad", sad))}
    for r in single.values():
        _valid(r)
    assert single["angry"].arousal > max(single["sad"].arousal, single["neutral"].arousal) + 0.2
    assert single["angry"].details["p_high_arousal"] > 0.5 > single["neutral"].details["p_high_arousal"]
    ref = critic.score(angry, speaker_reference=[neutral])
    assert ref.details["heads"] == "speaker"
    assert ref.arousal > critic.score(sad, speaker_reference=[neutral]).arousal + 0.2


def test_aroused_resynthesis_of_a_real_voice_reads_more_aroused(critic, shared_data):
    from conditioning.media import load_audio

    src = load_audio(shared_data / NEUTRAL_CLIP)
    high = _resynth(src, f0_scale=1.4, range_scale=1.6, gain_db=+8, speed=1.25)
    low = _resynth(src, f0_scale=1.0, range_scale=0.3, gain_db=-8, speed=0.8)
    assert critic.score(high).arousal > critic.score(low).arousal + 0.1


def test_partials_follow_the_encoders_slicing_and_levels():
    y = 0.01 * np.sin(2 * np.pi * 150 * np.arange(32000) / 16000).astype(np.float32)  # 2 s at -43 dBFS
    parts = mel_partials(y)
    assert parts.shape[1:] == (160, 40) and len(parts) == 2  # 1.6 s partials at PARTIALS_PER_S (2) per second
    assert np.allclose(mel_partials(y), mel_partials(3 * y), rtol=1e-3, atol=1e-9)  # -43 and -33 dBFS: both to -30
    loud = 0.5 * y / 0.01
    assert mel_partials(loud).mean() > 10 * parts.mean()  # "raise": louder than -30 dBFS is left alone
    assert np.allclose(mel_partials(loud, "fixed"), parts, rtol=1e-3, atol=1e-9)  # "fixed": every level to -30


def test_a_files_gain_does_not_change_its_single_file_reading(critic, shared_data):
    """The single-file heads read every clip at -30 dBFS: the same angry take once read anger 0.79 as
    recorded, 0.59 3 dB quieter and joy 12 dB quieter. With a neutral reference the take's loudness relative
    to it still counts: the neutral take itself, 6 dB louder than its reference, reads more aroused."""
    from conditioning.media import load_audio

    angry, neutral = load_audio(shared_data / ANGRY_CLIP), load_audio(shared_data / NEUTRAL_CLIP)
    gain = lambda a, db: Audio((a.samples * 10 ** (db / 20)).astype(np.float32), a.rate)  # noqa: E731
    base = critic.score(angry)
    assert max(base.native, key=base.native.get) == "angry"
    for db in (-3, -12, -24):
        r = critic.score(gain(angry, db))
        assert max(abs(r.native[k] - base.native[k]) for k in base.native) < 0.01, db
    rms_db = 20 * np.log10(np.sqrt(np.mean(np.square(neutral.samples))))
    reference = gain(neutral, -24 - rms_db)  # above -30 dBFS, where the referenced heads keep the level
    same = critic.score(reference, speaker_reference=[reference])
    louder = critic.score(gain(reference, 6), speaker_reference=[reference])
    assert louder.arousal > same.arousal + 0.05


@pytest.mark.parametrize("judge", ["encoder", "embedded"])
def test_a_voice_out_of_phase_delayed_or_offset_reads_as_the_voice(critic, shared_data, judge):
    """Both speech judges averaged the channels and kept any DC offset: a stereo take whose right channel was the
    left inverted was 'silent', a right channel 0.5 ms late (spaced microphones) notched the spectrum and an angry
    take read happy, and an offset of 1 % of full scale turned it fearful. One channel of a voice, and the voice
    without its offset, are read now (`conditioning.media.downmix`, `critics.speech.features.prepare`)."""
    from conditioning.media import load_audio
    from critics.registry import load_critic

    judge = critic if judge == "encoder" else load_critic("speech", judge)
    voice = load_audio(shared_data / ANGRY_CLIP).resample(44100)
    x = voice.samples
    late = np.concatenate([np.zeros(22, np.float32), 0.9 * x[:-22]])  # 0.5 ms at 44.1 kHz
    variants = {"inverted": np.stack([x, -x], axis=1), "late": np.stack([x, late], axis=1),
                "offset": x + np.float32(0.01), "large offset": x + np.float32(0.05)}
    base = judge.score(voice)
    for name, y in variants.items():
        r = judge.score(Audio(y.astype(np.float32), voice.rate))
        assert max(abs(r.native[k] - base.native[k]) for k in base.native) < 0.02, (name, r.native)
    # the offset is removed before resampling: after it, the resampler's edges were steps the blocker read as sound,
    # and 5 % changed 8 of 15 strong takes' labels at 44.1 kHz; pure DC there was read as neutral speech
    from critics.base import CriticError

    with pytest.raises(CriticError, match="silent"):
        judge.score(Audio(np.full(44100 * 3, 0.5, np.float32), 44100))


def test_speaker_references_and_errors(critic, tmp_path):
    voice = _synth_voice(seconds=2.4)
    r = critic.score(voice, speaker_reference=[_synth_voice(seconds=2.0, seed=1)])
    _valid(r)
    assert r.details["heads"] == "speaker"
    batch = [_synth_voice(seconds=2.0, seed=s) for s in range(8)]
    assert critic.score(voice, speaker_reference=batch, reference_kind="mixed").details["heads"] == "speaker_z"
    with pytest.raises(CriticError, match="at least 8"):
        critic.score(voice, speaker_reference=batch[:3], reference_kind="mixed")
    with pytest.raises(ValueError, match="reference_kind"):
        critic.score(voice, speaker_reference=batch, reference_kind="loud")
    silent = save_audio(tmp_path / "silent.wav", Audio(np.zeros(16000, np.float32), 16000))
    with pytest.raises(CriticError, match="silent"):
        critic.score(silent)
    assert critic.score(voice).to_json() == critic.score(voice).to_json()  # deterministic
    # a reference measured once reads the same as the recordings themselves, and only for the critic that made it
    stats = critic.reference(batch, "mixed")
    assert critic.score(voice, speaker_reference=stats).to_json() == \
        critic.score(voice, speaker_reference=batch, reference_kind="mixed").to_json()
    from critics.speech.embedded import EmbeddedSpeechCritic

    with pytest.raises(ValueError, match="made by speech/encoder"):
        EmbeddedSpeechCritic().score(voice, speaker_reference=stats)


def test_heads_trained_on_vectors_sliced_otherwise_are_refused(tmp_path):
    from conditioning.registry import BackendUnavailable
    from critics.speech.heads import WEIGHTS_DIR

    meta = json.loads((WEIGHTS_DIR / "speech_encoder.json").read_text())
    (tmp_path / "speech_encoder.json").write_text(json.dumps({**meta, "partials_per_s": 1.3}))  # the former rate
    (tmp_path / "speech_encoder.onnx").write_bytes((WEIGHTS_DIR / "speech_encoder.onnx").read_bytes())
    with pytest.raises(BackendUnavailable, match="partials_per_s=1.3"):
        SpeechEncoderCritic(weights=tmp_path / "speech_encoder.onnx").score(_synth_voice(seconds=2.0))


def test_long_speech_gets_a_series(critic):
    long = Audio(np.concatenate([_synth_voice(seconds=2.4, seed=s).samples for s in range(4)]), 16000)
    r = critic.score(long)
    assert len(r.series) >= 5 and all(s.top for s in r.series)


def test_long_audio_is_read_in_batches_that_change_nothing(critic, monkeypatch):
    """Long files are read a batch of partials (the encoder) and a chunk of frames (the silence trim and the
    non-speech checks) at a time, so memory stays flat (`bench/critics_long_audio.py`); the reading must be the
    one the whole file in one pass gives."""
    import critics.speech.encoder as encoder
    import critics.speech.features as features

    y = np.concatenate([_synth_voice(seconds=2.4, seed=s).samples for s in range(16)])  # 38 s: 76 partials
    parts = critic.encode(y)
    whole = critic._encoder.run(["features"], {"mel": mel_partials(y, encoder.LEVELS["population"])})[0]
    assert len(parts) > encoder.BATCH and np.allclose(parts, whole, atol=1e-5)
    a = critic.score(Audio(y, 16000))
    monkeypatch.setattr(encoder, "BATCH", 7)
    monkeypatch.setattr(features, "CHUNK_FRAMES", 33)
    b = critic.score(Audio(y, 16000))
    assert a.native == pytest.approx(b.native, abs=1e-5) and len(a.series) == len(b.series) > 60
    noise = Audio(np.random.default_rng(0).standard_normal(16000 * 3).astype(np.float32) * 0.1, 16000)
    with pytest.raises(CriticError, match="nothing in it has a voice's pitch"):
        critic.score(noise)  # the checks still refuse, chunk by chunk


def test_the_second_judge_shares_nothing_with_the_first():
    """Independent judges: scoring with speech/encoder never imports Praat or the acoustic functionals of
    speech/embedded (a fresh interpreter, so other tests' imports do not count)."""
    code = ("import sys, numpy as np; from critics.speech.encoder import SpeechEncoderCritic; "
            "from conditioning.media import Audio; t = np.arange(32000) / 16000; "
            "y = (0.05 * sum(np.sin(2 * np.pi * 140 * h * t) / h for h in range(1, 12)) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32); "
            "SpeechEncoderCritic().score(Audio(y, 16000)); "
            "print(json.dumps(sorted(m for m in sys.modules if 'parselmouth' in m or m.endswith('speech.embedded'))))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_default_speech_critic_is_the_judge_that_reads_unseen_voices_best():
    """`critique --modality speech` without --critic gets the judge with the better speaker-independent figures
    on human speech, single file (what a user's file gets), as the shipped training runs recorded them:
    the encoder's nested 8-fold UAR against the first judge's 4-fold one, which was even selected on its own
    folds (optimistic). A retrain that reverses the order must move the default too."""
    from critics.registry import DEFAULTS, JUDGES

    weights = Path(__file__).resolve().parents[1] / "critics" / "weights"
    encoder = json.loads((weights / "speech_encoder.json").read_text())["figures"]["population"]["nested"]
    embedded = json.loads((weights / "speech_embedded.json").read_text())["figures"]["population"]
    best = "encoder" if encoder["ravdess_uar"] > embedded["ravdess_uar"] else "embedded"
    assert encoder["ravdess_arousal_binary_accuracy"] > embedded["ravdess_arousal_binary_accuracy"]
    assert DEFAULTS["speech"] == best and best in JUDGES["speech"]


def test_training_on_a_slice_writes_loadable_heads(shared_data, tmp_path):
    pytest.importorskip("sklearn", reason="training needs scikit-learn (the 'train' extra)")
    pytest.importorskip("onnx", reason="training needs onnx (the 'train' extra)")
    from critics.training import speech_encoder as T

    out = tmp_path / "w"
    meta = T.main(["--data", str(shared_data), "--out", str(out), "--cache", str(tmp_path / "cache"),
                   "--per-speaker", "10", "--folds", "2", "--C", "0.02"])
    assert set(meta["figures"]) == {"population", "speaker", "speaker_z"}
    f = meta["figures"]["population"]["nested"]
    assert 0 <= f["ravdess_uar"] <= 1 and len(meta["figures"]["speaker"]["confusion_ravdess"]) == 8
    r = SpeechEncoderCritic(weights=out / "speech_encoder.onnx").score(shared_data / NEUTRAL_CLIP)
    _valid(r)


def test_no_single_label_dominates_single_file_readings_over_every_shipped_voice():
    """#12 deliverable 4 as it is defined: over each shipped voice (Piper joe, Festival slt) x 8 RAVDESS emotions
    (here 2 sentences: 32 takes), no label takes more than 35 % of either speech judge's single-file readings
    (speech/embedded 10 of 32 disgust and 10 angry, speech/encoder 9 disgust and 9 angry, since both were
    retrained after the 50 Hz high-pass; Piper alone, the xfail below, still collapses)."""
    pytest.importorskip("piper", reason="speech/piper needs the 'speech' extra")
    import shutil
    from collections import Counter

    if shutil.which("festival") is None:
        pytest.skip("Debian festival + festvox-us-slt-hts not installed")
    from conditioning import Emotion
    from critics.speech.embedded import EmbeddedSpeechCritic
    from generators.base import GenerationRequest
    from generators.registry import load_generator

    terms = ("neutral", "calm", "joy", "sadness", "anger", "fear", "disgust", "surprise")
    texts = ("Please put the books back on the shelf when you are done.", "Nobody told me that the house had been sold.")
    takes = [load_generator("speech", b).generate(GenerationRequest(Emotion.parse(t), text=x, seed=i)).media
             for b in ("piper", "festival") for i, x in enumerate(texts) for t in terms]
    for judge in (EmbeddedSpeechCritic(), SpeechEncoderCritic()):
        tops = Counter(max((r := judge.score(a)).native, key=r.native.get) for a in takes)
        label, n = tops.most_common(1)[0]
        assert n / len(takes) <= 0.35, (judge.name, label, n, len(takes))


def test_the_benchs_collapse_verdict_counts_takes_not_rounded_points():
    """`bench/critics_agreement.py` printed the largest single-file share rounded to whole points, so
    `speech/embedded`'s 34 disgust readings of 96 (35.4 %) read "35 % (limit 35 %)" and were reported as meeting
    #12's limit of 35 %. The line now gives the count, the share to a tenth and the verdict from the count."""
    from bench.critics_agreement import collapse_line

    single = {"n": 96, "embedded_largest_label_share": ["disgust", 0.354], "embedded_largest_label_count": 34,
              "encoder_largest_label_share": ["disgust", 0.302], "encoder_largest_label_count": 29}
    line = collapse_line(single, ["embedded", "encoder"])
    assert "embedded disgust 34 of 96 (35.4 %)" in line and line.endswith("missed by embedded)")
    single["embedded_largest_label_count"] = 33  # 34.4 %: within the limit
    assert collapse_line(single, ["embedded", "encoder"]).endswith("(limit 35 %: met)")
    single["embedded_largest_label_count"] = 34
    single["n"] = 100  # exactly 35 of 100 is not more than 35 %
    single["encoder_largest_label_count"] = 35
    assert collapse_line(single, ["embedded", "encoder"]).endswith("met)")


def test_the_bench_gives_each_set_of_takes_its_own_figures():
    """`--speech-seeds`: one set of 96 takes put `speech/embedded`'s collapse one take over the limit, where other
    sets of the same sentences put it two to four over; each set's own figures give that spread."""
    from bench.critics_agreement import per_take_seed

    rows = []
    for first, heard in ((0, ["disgust"] * 2 + ["sad"] * 2), (100, ["disgust"] * 4)):
        for i, (term, target) in enumerate((("neutral", "neutral"), ("sadness", "sad"), ("joy", "happy"),
                                            ("disgust", "disgust"))):
            rows.append({"take_seed": first, "term": term, "target": target, "embedded_single": heard[i],
                         "encoder_single": target, "embedded_ref": target,
                         "encoder_ref": target if first == 0 else "angry",
                         **({"embedded_loop": target, "encoder_loop": target} if term != "neutral" else {})})
    sets = per_take_seed(rows, ["embedded", "encoder"], [0, 100])
    assert sets[0]["both_agree_ref"] == 1.0 and sets[100]["both_agree_ref"] == 0.0 and sets[0]["n_ref"] == 3
    assert sets[100]["both_agree_loop"] == 1.0  # the loop's own figure per set, where it ran
    assert "both_agree_loop" not in per_take_seed([dict(r, embedded_loop=None) for r in rows],
                                                  ["embedded", "encoder"], [0])[0]
    assert sets[0]["embedded_largest_single"] in (("disgust", 2), ("sad", 2))
    assert sets[100]["embedded_largest_single"] == ("disgust", 4) and sets[100]["n_single"] == 4
    assert sets[100]["encoder_largest_single"][1] == 1  # four labels, one each


@pytest.mark.xfail(strict=True, reason="known gap (issue 12, deliverable 4): without a reference both speech judges "
                   "collapse on the Piper voice (on this set speech/embedded reads 9 of 16 takes as angry, "
                   "speech/encoder 8 as angry; critics/cards/speech-encoder.md); strict, so a fix shows up here")
def test_no_single_label_dominates_single_file_readings_of_the_studios_takes():
    """Over a balanced small set of the studio's own takes (Piper joe x 8 RAVDESS emotions x 2 sentences), no
    label may take more than 35 % of either speech judge's single-file readings."""
    pytest.importorskip("piper", reason="speech/piper needs the 'speech' extra")
    from collections import Counter

    from conditioning import Emotion
    from critics.speech.embedded import EmbeddedSpeechCritic
    from generators.base import GenerationRequest
    from generators.registry import load_generator

    gen = load_generator("speech", "piper")
    terms = ("neutral", "calm", "joy", "sadness", "anger", "fear", "disgust", "surprise")
    texts = ("Please put the books back on the shelf when you are done.", "Nobody told me that the house had been sold.")
    takes = [gen.generate(GenerationRequest(Emotion.parse(t), text=x, seed=i)).media
             for i, x in enumerate(texts) for t in terms]
    for judge in (EmbeddedSpeechCritic(), SpeechEncoderCritic()):
        tops = Counter(max((r := judge.score(a)).native, key=r.native.get) for a in takes)
        label, n = tops.most_common(1)[0]
        assert n / len(takes) <= 0.35, (judge.name, label, n, len(takes))


def test_a_long_silence_inside_a_recording_is_not_read_as_speech(critic, shared_data):
    """An angry take said twice with 6 s of silence between was read anger 0.62 instead of 0.99 by this judge (the
    silence's windows all "happy", speech_s 11.3 s) and sadness by `speech/embedded` (a speech-critique audit).
    A pause is now shortened to `MAX_PAUSE_S` before either judge reads it, longer than any pause the judges
    learnt from, so a sentence's own pauses are read as they were."""
    from conditioning.media import load_audio
    from critics.speech.embedded import EmbeddedSpeechCritic
    from critics.speech.features import MAX_PAUSE_S, SAMPLE_RATE, prepare

    take = load_audio(shared_data / ANGRY_CLIP)
    y = take.samples if take.samples.ndim == 1 else take.samples.mean(1)
    twice = Audio(np.concatenate([y, np.zeros(6 * take.rate, np.float32), y]), take.rate)
    once_len, twice_len = (len(prepare(a.samples, a.rate)) / SAMPLE_RATE for a in (take, twice))
    assert twice_len < 2 * once_len + MAX_PAUSE_S + 0.2  # the 6 s cut to at most 1.2 s (plus the take's own ends)
    short = Audio(np.concatenate([y, np.zeros(take.rate, np.float32), y]), take.rate)  # a 1-s pause is kept whole
    assert len(prepare(short.samples, short.rate)) / SAMPLE_RATE > 2 * once_len + 0.9
    together = Audio(np.concatenate([y, y]), take.rate)  # the two takes without a pause: what the gap should not move
    for judge in (critic, EmbeddedSpeechCritic()):
        alone, joined, apart = judge.score(take), judge.score(together), judge.score(twice)
        label = lambda r: max(r.native, key=r.native.get)  # noqa: E731
        assert label(alone) == label(joined) == label(apart) == "angry", judge.name
        assert abs(joined.valence - apart.valence) < 0.05 and abs(joined.arousal - apart.arousal) < 0.05, judge.name
        assert apart.details["speech_s"] < twice_len + 0.01


def test_a_reading_over_time_keeps_the_recordings_times_across_cut_pauses(critic, shared_data):
    """Shortening long pauses had moved each judge's time series earlier: a 330-s file of takes ended its series at
    176 s, and anger said at 48.5 s was placed at 5.3-7.8 s, in silence (a re-audit); the encoder's series also
    left out the silence trimmed at the start. Each point is now placed at its moment in the recording."""
    from conditioning.media import load_audio
    from critics.speech.embedded import EmbeddedSpeechCritic

    takes = []
    for code in ("03", "04", "05"):  # happy, sad, angry
        a = load_audio(shared_data / "speech" / "ravdess" / "Actor_03" / f"03-01-{code}-02-01-01-03.flac")
        takes.append(a.samples if a.samples.ndim == 1 else a.samples.mean(1))
    rate, gap = a.rate, np.zeros(20 * a.rate, np.float32)
    starts = np.cumsum([3 * rate, len(takes[0]) + len(gap), len(takes[1]) + len(gap)]) / rate  # 3.0, ~27.3, ~51.1
    x = Audio(np.concatenate([np.zeros(3 * rate, np.float32), takes[0], gap, takes[1], gap, takes[2]]), rate)
    for judge in (critic, EmbeddedSpeechCritic()):
        series = judge.score(x).series
        assert series and series[0].time_s > starts[0] and series[-1].time_s > starts[2], judge.name
        # no point in the silences: each lies within a take (or the 0.6 s of pause kept beside it)
        assert all(any(s - 0.7 <= t.time_s <= s + len(y) / rate + 0.7 for s, y in zip(starts, takes))
                   for t in series), (judge.name, [t.time_s for t in series])
