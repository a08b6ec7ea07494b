"""speech/coqui (XTTS-v2 via coqui-tts): the latent-mixing math and the adapter around a stand-in model.

The real XTTS-v2 weights are not on this machine (and are never downloaded), so the adapter is driven through
a stand-in exposing XTTS's three methods with the real shapes: gpt_cond_latent (1, 32, 1024), speaker
embedding (1, 512, 1), inference(...)["wav"] at 24 kHz.
"""
from __future__ import annotations

import numpy as np
import pytest

from conditioning import Emotion
from conditioning.media import Audio, save_audio
from generators.base import GenerationError, GenerationRequest
from generators.speech.coqui import CoquiSpeech, estimate_word_timings, mix_latents, mix_weights


def test_weights_blend_with_neutral_by_intensity():
    w = mix_weights(Emotion.parse("anger@0.4"), ["neutral", "anger", "joy"])
    assert w == pytest.approx({"neutral": 0.6, "anger": 0.4})
    w = mix_weights(Emotion.parse("joy:0.5+anger:0.5"), ["neutral", "anger", "joy"])
    assert w["joy"] == pytest.approx(0.5) and w["anger"] == pytest.approx(0.5) and w.get("neutral", 0) == pytest.approx(0)
    assert mix_weights(Emotion.neutral(), ["neutral", "anger"]) == {"neutral": 1.0}


def test_labels_without_clips_go_to_the_nearest_label():
    w = mix_weights(Emotion.parse("rage"), ["neutral", "anger", "sadness"])
    assert set(w) == {"anger"} or (set(w) <= {"anger", "neutral"} and w["anger"] > 0.9)
    with pytest.raises(GenerationError, match="'neutral'"):
        mix_weights(Emotion.parse("joy"), ["joy"])


def test_latent_mix_is_convex_and_keeps_speaker_scale():
    rng = np.random.default_rng(0)
    a = (rng.normal(size=(1, 32, 1024)), rng.normal(size=(1, 512, 1)))
    b = (rng.normal(size=(1, 32, 1024)), rng.normal(size=(1, 512, 1)))
    a = (a[0], a[1] / np.linalg.norm(a[1]))
    b = (b[0], b[1] / np.linalg.norm(b[1]))
    g, s = mix_latents({"a": a, "b": b}, {"a": 0.25, "b": 0.75})
    assert np.allclose(g, 0.25 * a[0] + 0.75 * b[0])
    assert np.linalg.norm(s) == pytest.approx(1.0)
    g1, s1 = mix_latents({"a": a, "b": b}, {"a": 1.0})
    assert np.allclose(g1, a[0]) and np.allclose(s1, a[1])


torch = pytest.importorskip("torch")


class FakeXtts:
    """Stand-in with XTTS-v2's method signatures and tensor shapes; its 'voice' is a tone whose pitch follows
    the GPT latent's mean, so mixing is audible in the output."""

    def __init__(self):
        self.calls = []

    def get_gpt_cond_latents(self, audio, sr, length=30, chunk_length=6):
        assert isinstance(audio, torch.Tensor) and audio.ndim == 2 and sr == 22050
        self.calls.append(("gpt", sr))
        level = float(audio.abs().mean())
        return torch.full((1, 32, 1024), level)

    def get_speaker_embedding(self, audio, sr):
        assert isinstance(audio, torch.Tensor) and sr == 16000
        self.calls.append(("spk", sr))
        v = torch.ones(1, 512, 1)
        return v / v.norm()

    def inference(self, text, language, gpt_cond_latent, speaker_embedding, temperature=0.75, speed=1.0,
                  enable_text_splitting=False, **kw):
        self.calls.append(("inference", language, float(gpt_cond_latent.mean()), speed))
        n = int(24000 * 0.08 * len(text.split()) / speed)
        t = np.arange(n) / 24000
        f = 100 + 1000 * float(gpt_cond_latent.mean())
        noise = torch.randn(n).numpy() * 0.01
        return {"wav": torch.from_numpy((0.3 * np.sin(2 * np.pi * f * t) + noise).astype(np.float32))}


@pytest.fixture()
def clips(tmp_path):
    out = {}
    for label, amp in (("neutral", 0.05), ("anger", 0.4), ("sadness", 0.02)):
        t = np.arange(22050) / 22050
        p = tmp_path / f"{label}.wav"
        save_audio(p, Audio((amp * np.sin(2 * np.pi * 150 * t)).astype(np.float32), 22050))
        out[label] = [str(p)]
    return out


def test_adapter_mixes_reference_latents_and_is_seeded(clips):
    fake = FakeXtts()
    g = CoquiSpeech(model=fake, references=clips)
    r = g.generate(GenerationRequest(Emotion.parse("anger@0.5"), text="I told you twice.", seed=1))
    assert r.controls["weights"] == pytest.approx({"neutral": 0.5, "anger": 0.5})
    assert r.media.rate == 24000 and r.extras["timings_estimated"] and len(r.extras["words"]) == 4
    means = [c[2] for c in fake.calls if c[0] == "inference"]
    full = g.generate(GenerationRequest(Emotion.parse("anger"), text="I told you twice.", seed=1))
    means.append([c[2] for c in fake.calls if c[0] == "inference"][-1])
    assert means[1] > means[0]  # more anger -> the anger clip's latent weighs more
    again = g.generate(GenerationRequest(Emotion.parse("anger"), text="I told you twice.", seed=1))
    assert np.array_equal(full.media.samples, again.media.samples)
    # each clip's latents are computed once
    assert sum(1 for c in fake.calls if c[0] == "gpt") == 2
    # sadness is slower (speed from the prosody mapping's rate)
    sad = g.generate(GenerationRequest(Emotion.parse("sadness"), text="I told you twice.", seed=1))
    assert sad.controls["speed"] < full.controls["speed"]


def test_adapter_errors(clips, tmp_path):
    g = CoquiSpeech(model=FakeXtts())
    with pytest.raises(GenerationError, match="reference clips"):
        g.generate(GenerationRequest(Emotion.parse("joy"), text="Hello."))
    with pytest.raises(GenerationError, match="unknown reference label"):
        g.generate(GenerationRequest(Emotion.parse("joy"), text="Hello.", options={"references": {"happyish": ["x.wav"]}}))
    with pytest.raises(GenerationError, match="reference clip"):
        g.generate(GenerationRequest(Emotion.parse("joy"), text="Hello.",
                                     options={"references": {"neutral": [str(tmp_path / "missing.wav")]}}))
    with pytest.raises(GenerationError, match="needs text"):
        CoquiSpeech(model=FakeXtts(), references=clips).generate(GenerationRequest(Emotion.parse("joy"), text=""))


def test_missing_weights_or_package_name_the_fix(tmp_path):
    from conditioning.registry import BackendUnavailable

    with pytest.raises(BackendUnavailable, match="model_dir"):
        CoquiSpeech().model
    with pytest.raises(BackendUnavailable, match="coqui|XTTS-v2 weights not found"):
        CoquiSpeech(model_dir=str(tmp_path)).model


def test_word_timing_estimate_spans_the_voiced_audio():
    x = np.zeros(24000, dtype=np.float32)
    x[2400:21600] = 0.5
    w = estimate_word_timings("one two three", x, 24000)
    assert w[0]["start_s"] == pytest.approx(0.1) and w[-1]["end_s"] == pytest.approx(0.9, abs=1e-3)
