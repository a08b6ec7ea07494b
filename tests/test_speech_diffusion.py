"""AudioLDM 2 text-to-speech through diffusers, end to end with tiny random components built from configs.

As diffusers' own AudioLDM 2 tests do (`get_dummy_components`), but in the text-to-speech layout of the
published GigaSpeech/LJSpeech checkpoints: a CLAP model (text and audio branches) with a RobertaTokenizer written
here from a character-level byte vocabulary, a `VitsModel` as second text encoder with a character
`VitsTokenizer` (vocab_size 200 > 182, the end token the pipeline writes; ``model_max_length`` set), a projection
model with the learned VITS position embedding, a bare `GPT2Model` as language model (as published: the backend
must load it as `GPT2LMHeadModel`), an AudioLDM 2 UNet whose blocks attend to both the GPT-2 and the VITS states,
a one-channel VAE and a SpeechT5 HiFi-GAN vocoder (its output layer scaled up so the noise it makes is audible).
The audio is noise (random weights): the tests check the plumbing - seeds, the EmoMix combination, intensity,
parity with the pipeline's own sampling, errors, provenance and the judges' hooks.
"""
from __future__ import annotations

import json
import string

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
transformers = pytest.importorskip("transformers")

import diffusers  # noqa: E402

from conditioning import Emotion  # noqa: E402
from conditioning.registry import WrongModel  # noqa: E402
from generators.base import GenerationError, GenerationRequest  # noqa: E402
from generators.speech.diffusion import (MODEL_ENV, Condition, DiffusionSpeech, combine_noise, describe,  # noqa: E402
                                         licence_for)

TEXT = "Hello there, how are you?"
TRANSCRIPT_CHARS = string.ascii_lowercase + " ',.!?-"


def build_tiny_tts(root, name: str = "tiny-tts", vocoder_gain: float = 3000.0):
    """Save a tiny AudioLDM 2 text-to-speech pipeline under ``root / name`` and return that folder."""
    root.mkdir(parents=True, exist_ok=True)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": 4}
    for c in (chr(i) for i in range(32, 127)):  # GPT-2's byte alphabet for printable ASCII: space is "Ġ"
        vocab.setdefault("Ġ" if c == " " else c, len(vocab))
    (root / "vocab.json").write_text(json.dumps(vocab))
    (root / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = transformers.RobertaTokenizer(str(root / "vocab.json"), str(root / "merges.txt"), model_max_length=77)
    chars = {"<pad>": 0, "<unk>": 1, **{c: i + 2 for i, c in enumerate(TRANSCRIPT_CHARS)}}
    (root / "vits_vocab.json").write_text(json.dumps(chars))
    tokenizer_2 = transformers.VitsTokenizer(str(root / "vits_vocab.json"), add_blank=False, phonemize=False,
                                             model_max_length=48)
    torch.manual_seed(0)
    clap = transformers.ClapModel(transformers.ClapConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=8, intermediate_size=16, num_attention_heads=1,
                         num_hidden_layers=1, max_position_embeddings=80, projection_dim=8),
        audio_config=dict(spec_size=8, window_size=4, num_mel_bins=8, intermediate_size=16, depths=[1, 1],
                          num_attention_heads=[1, 1], num_hidden_layers=1, hidden_size=16, projection_dim=8,
                          patch_size=2, patch_stride=2, patch_embed_input_channels=4),
        projection_dim=16))
    vits = transformers.VitsModel(transformers.VitsConfig(
        vocab_size=200, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, ffn_dim=16, flow_size=8,
        spectrogram_bins=9, upsample_initial_channel=8, upsample_rates=[2, 2], upsample_kernel_sizes=[4, 4],
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1]], duration_predictor_filter_channels=8,
        duration_predictor_num_flows=1, prior_encoder_num_flows=1, prior_encoder_num_wavenet_layers=1,
        posterior_encoder_num_wavenet_layers=1, depth_separable_num_layers=1))
    lm = transformers.GPT2Model(transformers.GPT2Config(n_embd=16, n_head=2, n_layer=1, vocab_size=8, n_ctx=128,
                                                        n_positions=128, bos_token_id=0, eos_token_id=0))
    projection = diffusers.AudioLDM2ProjectionModel(text_encoder_dim=16, text_encoder_1_dim=16, langauge_model_dim=16,
                                                    use_learned_position_embedding=True, max_seq_length=48)
    unet = diffusers.AudioLDM2UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, norm_num_groups=8, sample_size=32, in_channels=4,
        out_channels=4, attention_head_dim=(2, 2), down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=([None, 16, 16], [None, 16, 16]))  # self-attention, GPT-2 states, VITS states
    vae = diffusers.AutoencoderKL(block_out_channels=[8, 16], in_channels=1, out_channels=1, norm_num_groups=8,
                                  latent_channels=4, down_block_types=["DownEncoderBlock2D"] * 2,
                                  up_block_types=["UpDecoderBlock2D"] * 2)
    vocoder = transformers.SpeechT5HifiGan(transformers.SpeechT5HifiGanConfig(
        model_in_dim=8, sampling_rate=16000, upsample_initial_channel=16, upsample_rates=[8, 8],
        upsample_kernel_sizes=[16, 16], resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]],
        normalize_before=False))
    with torch.no_grad():
        vocoder.conv_post.weight.mul_(vocoder_gain)
    scheduler = diffusers.DDIMScheduler(beta_start=0.0015, beta_end=0.0195, beta_schedule="scaled_linear",
                                        clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    pipe = diffusers.AudioLDM2Pipeline(
        vae=vae, text_encoder=clap, text_encoder_2=vits, projection_model=projection, language_model=lm,
        tokenizer=tokenizer, tokenizer_2=tokenizer_2,
        feature_extractor=transformers.ClapFeatureExtractor(feature_size=8, hop_length=7900, sampling_rate=16000),
        unet=unet, scheduler=scheduler, vocoder=vocoder)
    folder = root / name
    pipe.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tts_dir(tmp_path_factory):
    return build_tiny_tts(tmp_path_factory.mktemp("tiny-tts"))


@pytest.fixture(scope="module")
def gen(tts_dir):
    return DiffusionSpeech(model=str(tts_dir), steps=2, max_new_tokens=4)


def _req(spec, seed=0, text=TEXT, **kw):
    return GenerationRequest(Emotion.parse(spec), text=text, seed=seed, **kw)


# ------------------------------------------------------------------------------------------------ seeds, mixes


def test_same_seed_same_audio_other_seed_differs(gen, tts_dir):
    a, b = gen.generate(_req("fear", seed=3)), gen.generate(_req("fear", seed=3))
    assert a.media.rate == 16000 and a.media.samples.dtype == np.float32 and a.media.samples.ndim == 1
    assert a.media.duration_s == pytest.approx(a.extras["duration_s"], abs=1e-3) and np.abs(a.media.samples).max() > 0
    assert np.array_equal(a.media.samples, b.media.samples)
    assert not np.array_equal(a.media.samples, gen.generate(_req("fear", seed=4)).media.samples)
    # what the judges and the loop read: provenance, estimated word timings, no phonemes
    assert a.provenance.backend == "speech/diffusion" and a.provenance.model == str(tts_dir.resolve()) and a.provenance.seed == 3
    assert "model card" in a.provenance.licence and str(tts_dir) in a.provenance.licence
    assert a.extras["phonemes"] == [] and a.extras["timings_estimated"] is True
    assert [w["word"] for w in a.extras["words"]] == ["Hello", "there", "how", "are", "you"]
    assert all(w["start_s"] < w["end_s"] <= a.media.duration_s + 1e-3 for w in a.extras["words"])
    assert a.controls["descriptions"] == ["A man speaking in a trembling, fearful voice"]
    assert a.controls["mix"] == {"fear": 1.0} and a.extras["steps"] == 2 and a.extras["max_new_tokens"] == 4
    woman = gen.generate(_req("fear", seed=3, options={"voice": "A woman"}))
    assert woman.controls["descriptions"] == ["A woman speaking in a trembling, fearful voice"]
    assert not np.array_equal(woman.media.samples, a.media.samples)


def test_the_loop_is_the_pipelines_own_sampling_for_one_condition(gen):
    """One condition of weight 1: the same audio as AudioLDM2Pipeline.__call__ with that description."""
    res = gen.generate(_req("anger", seed=7))
    pipe = gen.load()
    with torch.no_grad():
        own = pipe(res.controls["descriptions"][0], transcription=TEXT, num_inference_steps=2, guidance_scale=3.5,
                   audio_length_in_s=res.extras["duration_s"], generator=torch.Generator().manual_seed(7),
                   max_new_tokens=4).audios[0]
    assert own.shape == res.media.samples.shape
    assert np.allclose(own, res.media.samples, atol=1e-6)


def test_a_one_to_zero_mix_is_the_single_emotion(gen):
    single = gen.generate(_req("joy", seed=5))
    mixed = gen.generate(_req("joy:1.0+sadness:0.0", seed=5))
    assert np.array_equal(single.media.samples, mixed.media.samples)
    weights = gen.mix_weights({"joy": 1.0, "sadness": 0.0})  # the zero weight given explicitly
    assert weights == {"joy": 1.0}
    audio, info = gen.render(gen.conditions(weights), TEXT, seed=5, steps=2, max_new_tokens=4)
    assert np.array_equal(audio.samples, single.media.samples) and info["mix_weights"] == {"joy": 1.0}


def test_intensity_zero_is_the_neutral_description_alone(gen):
    req = _req("anger@0", seed=2)
    assert req.emotion.intensity == 0 and gen.mix_weights(req.emotion) == {"neutral": 1.0}
    zero = gen.generate(req)
    assert zero.controls["descriptions"] == ["A man speaking in a steady, neutral voice"]
    neutral = gen.render([Condition("neutral", describe("neutral"), 1.0, 0.0, 0.0)], TEXT, seed=2, steps=2,
                         max_new_tokens=4)[0]
    assert np.array_equal(zero.media.samples, neutral.samples)
    assert np.array_equal(gen.neutral_reference(_req("anger", seed=2)).samples, neutral.samples)
    # intensity blends with neutral: the weights, and the audio moves with them
    half = gen.generate(_req("anger@0.5", seed=2))
    assert half.controls["mix"] == pytest.approx({"anger": 0.5, "neutral": 0.5})
    assert not np.array_equal(half.media.samples, zero.media.samples)


def test_combine_noise_on_hand_made_tensors():
    g = torch.Generator().manual_seed(0)
    eu, e1, e2 = (torch.randn(1, 4, 8, 4, generator=g) for _ in range(3))
    assert torch.allclose(combine_noise(eu, [e1, e2], (0.5, 0.5), 3.5), eu + 3.5 * ((e1 + e2) / 2 - eu), atol=1e-6)
    assert torch.equal(combine_noise(eu, e1[None], [1.0], 3.5), eu + 3.5 * (e1 - eu))  # plain guidance, exactly
    assert torch.equal(combine_noise(eu, [e1, e2], (1.0, 0.0), 3.0), combine_noise(eu, [e1], (1.0,), 3.0))
    out = combine_noise(eu, [e1, e2], (1.5, -0.5), 2.0)  # extrapolation away from the second condition
    assert torch.allclose(out, eu + 2.0 * (1.5 * (e1 - eu) - 0.5 * (e2 - eu)), atol=1e-6)
    assert torch.allclose(combine_noise(None, [e1, e2], (0.25, 0.75), 0.0), 0.25 * e1 + 0.75 * e2, atol=1e-6)
    with pytest.raises(ValueError):
        combine_noise(eu, [e1, e2], (1.0,), 3.0)


def test_first_step_of_a_half_half_mix_is_the_mean_of_the_single_predictions(gen):
    conds = gen.conditions(gen.mix_weights(Emotion.parse("joy:0.5+sadness:0.5")))
    assert [c.label for c in conds] == ["joy", "sadness"] and [c.weight for c in conds] == [0.5, 0.5]
    pipe = gen.load()
    enc = gen.encode([c.description for c in conds], TEXT, max_new_tokens=4)
    assert enc.generated.shape == (2, 4, 16) and enc.hidden.shape == (2, 48, 16) and enc.negative_hidden.shape == (1, 48, 16)
    assert torch.count_nonzero(enc.negative_hidden) == 0  # the unconditional transcription: zeros, as the pipeline
    scheduler = gen.fresh_scheduler()
    scheduler.set_timesteps(2)
    t = scheduler.timesteps[0]
    latents = gen.prepare_latents(torch.Generator().manual_seed(0), gen.frames(1.0)[0], scheduler)
    with torch.no_grad():
        mixed = gen.predict_noise(latents, t, enc, [0.5, 0.5], 3.5, scheduler)
        guided = []
        for i in range(2):  # the UNet on [uncond, cond_i], then plain guidance: each emotion alone
            eps = pipe.unet(torch.cat([latents, latents]), t,
                            encoder_hidden_states=torch.cat([enc.negative_generated, enc.generated[i:i + 1]]),
                            encoder_hidden_states_1=torch.cat([enc.negative_hidden, enc.hidden[i:i + 1]]),
                            encoder_attention_mask_1=torch.cat([enc.negative_mask, enc.mask[i:i + 1]])).sample
            guided.append(eps[:1] + 3.5 * (eps[1:] - eps[:1]))
    assert mixed.shape == latents.shape
    assert torch.allclose(mixed, (guided[0] + guided[1]) / 2, atol=1e-5)
    assert not torch.allclose(guided[0], guided[1], atol=1e-5)  # the two conditions do differ


def test_descriptions_follow_the_terms_and_their_va_cells(gen):
    assert describe("fear") == "A man speaking in a trembling, fearful voice"
    assert describe("anger", "A woman") == "A woman speaking in a loud, angry voice"
    assert describe("serenity") == "A man speaking in a gentle, serene voice"  # low arousal, positive valence
    assert describe("frustration") == "A man speaking in a harsh, frustrated voice"  # high arousal, negative
    assert describe("tension") == "A man speaking in a harsh, tense voice"
    w = gen.mix_weights(Emotion.parse("joy:0.6+surprise:0.3+anger:0.05+fear:0.05@0.5"))
    assert list(w) == ["joy", "surprise", "anger", "neutral"] and w["neutral"] == pytest.approx(0.5)
    assert sum(w.values()) == pytest.approx(1.0) and w["joy"] / w["surprise"] == pytest.approx(2.0)
    pushed = gen.mix_weights(Emotion.parse("joy"), scale=1.5)
    assert pushed == pytest.approx({"joy": 1.5, "neutral": -0.5})


def test_reduced_precision_runs(tts_dir):
    """bf16 on the CPU: the dtype plumbing of the fp16 GPU path (every component in the reduced dtype, the
    language model loaded as GPT2LMHeadModel in it, float32 audio out). CUDA, offload and xformers are untested
    here (no GPU)."""
    half = DiffusionSpeech(model=str(tts_dir), steps=1, max_new_tokens=4, dtype="bfloat16")
    res = half.generate(_req("joy:0.5+fear:0.5@0.8", seed=1))
    pipe = half.load()
    assert pipe.unet.dtype == pipe.language_model.dtype == torch.bfloat16
    assert type(pipe.language_model).__name__ == "GPT2LMHeadModel"
    assert res.media.samples.dtype == np.float32 and np.isfinite(res.media.samples).all()
    assert len(res.controls["mix"]) == 3  # joy, fear and the neutral blend


# ------------------------------------------------------------------------------------------------ loop, studio


class _Judge:
    """A stand-in speech judge with the speaker-normalisation hook the studio uses."""

    def __init__(self):
        self.references = []

    def reference(self, refs):
        self.references.append(refs)
        return "voice-stats"

    def score(self, media, speaker_reference=None):
        from critics.base import Reading

        assert speaker_reference == "voice-stats"
        return Reading("speech/stub", 0.0, 0.0, 0.0, {"neutral": 1.0}, {"neutral": 1.0}, 1.0)


def test_studio_loop_measures_against_the_neutral_take_and_corrects(gen):
    from studio.studio import Studio

    judge = _Judge()
    out = Studio().run_loop(gen, [judge], _req("anger", seed=1), loop=1)
    assert len(judge.references) == 1 and len(judge.references[0]) == 1
    assert judge.references[0][0].duration_s == pytest.approx(out.rounds[0].result.media.duration_s)
    assert len(out.rounds) == 2  # heard neutral: corrected once
    nxt = out.rounds[1].request
    assert nxt.controls["emotion_scale"] > 1.0 and nxt.seed == 1
    assert out.rounds[1].result.controls["mix"]["neutral"] < 0  # pushed away from neutral
    again = gen.correct(nxt, nxt.emotion, out.rounds[1].reading)
    assert again.seed == 2 and again.controls["emotion_scale"] <= 2.5


def test_a_round_of_a_new_seed_is_read_against_that_seeds_neutral_take(gen):
    """The third round takes the next seed (another voice in a diffusion model), and was read against round 0's
    neutral take: the loop kept takes by readings against another voice."""
    import numpy as np

    from critics.base import Reading
    from studio.studio import Studio

    class Judge:
        def __init__(self):
            self.references, self.used = [], []

        def reference(self, refs):
            self.references.append(refs[0])
            return len(self.references) - 1

        def score(self, media, speaker_reference=None):
            self.used.append(speaker_reference)
            return Reading("speech/stub", 0.0, 0.0, 0.0, {"neutral": 1.0}, {"neutral": 1.0}, 1.0)

    judge = Judge()
    out = Studio().run_loop(gen, [judge], _req("anger", seed=1), loop=2)
    assert [r.request.seed for r in out.rounds] == [1, 1, 2]
    assert judge.used == [0, 0, 1] and len(judge.references) == 2
    own = gen.neutral_reference(out.rounds[2].request)
    assert np.array_equal(judge.references[1].samples, own.samples)
    assert not np.array_equal(judge.references[0].samples, own.samples)


def test_a_takes_report_names_the_weights_its_variable_chose(gen, tts_dir, monkeypatch):
    """The neutral take's recipe named a model only when it came from --model; from $EMOSTUDIO_TTS_MODEL it named
    none, so a later critique made the neutral take with whatever model the variable named then (another model's
    neutral take read the take as calm)."""
    from studio.generate import neutral_reference_recipe
    from studio.studio import Studio

    monkeypatch.setenv("EMOSTUDIO_TTS_MODEL", str(tts_dir))
    out = Studio().run_loop(gen, [_Judge()], _req("anger", seed=1), loop=0)
    assert neutral_reference_recipe(out, None)["model"] == str(tts_dir.resolve())


# ------------------------------------------------------------------------------------------------ errors, setup


def test_bad_requests_are_refused(gen):
    with pytest.raises(GenerationError, match="unknown speech option"):
        gen.generate(_req("joy", options={"pitch": 2}))
    with pytest.raises(GenerationError, match="text"):
        gen.generate(_req("joy", text=" "))
    with pytest.raises(GenerationError, match="split it"):
        gen.generate(_req("joy", text="a long sentence that will not fit " * 2))
    with pytest.raises(GenerationError, match="voice"):
        gen.generate(_req("joy", options={"voice": "<script>"}))
    with pytest.raises(GenerationError, match="'joe' is the piper backend's built-in voice"):  # it was "joe speaking"
        gen.generate(_req("joy", options={"voice": "joe"}))
    with pytest.raises(GenerationError, match="at most 76"):
        gen.generate(_req("joy", options={"max_new_tokens": 512}))  # the tiny GPT-2 has 128 positions
    with pytest.raises(GenerationError, match="duration"):
        gen.generate(_req("joy", duration_s=120.0))
    for bad in ("abc", [1], True):  # 'abc' was a ValueError traceback; True turned guidance off
        with pytest.raises(GenerationError, match="guidance_scale .* must be a number from 0 to 50"):
            gen.generate(_req("joy", options={"guidance_scale": bad}))


def test_missing_weights_and_can_run(tmp_path, monkeypatch, tts_dir):
    missing = tmp_path / "none"  # missing and empty folders: tests/test_diffusers_common.py
    music = tmp_path / "audioldm2-music"  # a sound/music checkpoint: T5 as second encoder
    music.mkdir()
    (music / "model_index.json").write_text(json.dumps({"_class_name": "AudioLDM2Pipeline",
                                                        "text_encoder_2": ["transformers", "T5EncoderModel"]}))
    assert DiffusionSpeech.can_run(str(music)) is False
    with pytest.raises(WrongModel, match="VitsModel"):  # another model's folder: the caller's mix-up (exit 2)
        DiffusionSpeech(model=str(music)).load()
    monkeypatch.setenv(MODEL_ENV, str(tts_dir))
    assert DiffusionSpeech.can_run() is True and DiffusionSpeech.can_run(str(missing)) is False
    from generators.registry import load_generator

    assert isinstance(load_generator("speech", "auto", steps=1), DiffusionSpeech)
    assert isinstance(load_generator("speech", "diffusion", model=str(tts_dir)), DiffusionSpeech)
    # a wrong kind of pipeline chosen by the variable is named by it (it was named by its path alone)
    image = tmp_path / "sd"
    image.mkdir()
    (image / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    monkeypatch.setenv(MODEL_ENV, str(image))
    with pytest.raises(WrongModel, match=rf"\${MODEL_ENV}='.*sd' holds a StableDiffusionPipeline pipeline"):
        DiffusionSpeech().load()


def test_licences_of_known_checkpoints(tts_dir):
    assert "non-commercial" in licence_for("/m/audioldm2") and "CC BY-NC-SA 4.0" in licence_for("/m/audioldm2-large")
    giga = licence_for("/m/audioldm2_gigaspeech")
    assert "OpenRAIL-M" in giga and "non-commercial" in giga and "GigaSpeech" in giga
    assert "LJ Speech" in licence_for("/snap", {"_name_or_path": "anhnct/audioldm2_ljspeech"})
    assert "model card at /m/my-voice" in licence_for("/m/my-voice")
    assert DiffusionSpeech(model=str(tts_dir), licence="mine").licence == "mine"


def test_a_text_in_another_language_is_noted_and_english_is_not(gen):
    # the published checkpoints read English phonemes: a German line comes out with English sounds, so say so
    german = gen.generate(_req("joy", text="Der Hund ist heute sehr müde."))
    (note,) = german.extras["notes"]
    assert "German" in note and "--backend coqui" in note and "Piper" not in note
    assert "notes" not in gen.generate(_req("joy", text="The dog is very tired today.")).extras


def test_the_web_speech_tab_offers_the_neural_voice_its_variable_names(tts_dir, tmp_path, monkeypatch):
    """The tab offered joe and slt alone, which pick Piper and Festival, so weights set up for auto through
    $EMOSTUDIO_TTS_MODEL were never spoken with from the page."""
    pytest.importorskip("gradio")
    from conditioning import Emotion
    from studio.web import WebStudio

    monkeypatch.delenv("EMOSTUDIO_TTS_MODEL", raising=False)
    assert WebStudio(out=tmp_path / "plain").speech_voices() == ["joe", "slt"]
    monkeypatch.setenv("EMOSTUDIO_TTS_MODEL", str(tts_dir))
    web = WebStudio(out=tmp_path / "web")
    assert web.speech_voices()[-1] == web.NEURAL_VOICE
    backend, options = web.speech_request(web.NEURAL_VOICE)
    take = web.generate("speech", Emotion.parse("joy"), text="hello there", backend=backend,
                        options={**options, "steps": 2, "max_new_tokens": 4})
    assert take.json["backend"] == "speech/diffusion"
    # and the Analyse tab reads it with its report: the model there is the one the server's variable names
    seen = web.analyse(take.file, "speech", take.report_file)
    assert "made again from its report" in seen.report


def test_the_studio_and_the_command_line_pass_a_duration_to_the_backend_that_reads_it(tts_dir):
    """Studio.generate and `generate` refused speech's duration_s for every backend, but speech/diffusion samples to
    it (its `extra_reads`); the WORLD voices still refuse it."""
    import argparse

    from studio.errors import UserError
    from studio.generate import refuse_ignored_options
    from studio.studio import Studio

    take = Studio().generate("speech", "joy", backend="diffusion", model=str(tts_dir), text="Hello there.",
                             duration_s=1.5, score=False, options={"steps": 2, "max_new_tokens": 4})
    assert take.best.result.media.duration_s == pytest.approx(1.5, abs=0.05)
    with pytest.raises(GenerationError, match="speech takes no duration_s"):
        Studio().generate("speech", "joy", backend="festival", text="Hello there.", duration_s=1.5, score=False)
    args = lambda backend: argparse.Namespace(modality="speech", backend=backend, text="Hi.", duration=1.5)  # noqa: E731
    assert refuse_ignored_options(args("diffusion")) is None
    with pytest.raises(UserError, match="--duration is not an option of 'generate speech'"):
        refuse_ignored_options(args("piper"))


def test_a_take_names_its_weights_and_critique_says_when_the_folder_holds_others(tts_dir, tmp_path, capsys):
    """A take's report named its model by path alone, and a folder re-downloaded or fine-tuned in place made the same
    report describe other weights; critique then made the neutral take with them (another voice) and read the take
    against it "as the loop did". The provenance now holds the weights' fingerprint, the neutral take's recipe
    too (under the record's seal), and critique reads the take alone when the folder's weights have changed."""
    import json
    import shutil

    from conditioning.weights import fingerprint
    from studio.cli import main

    folder = tmp_path / "voice"
    shutil.copytree(tts_dir, folder)
    take = tmp_path / "angry.wav"
    capsys.readouterr()
    code = main(["generate", "speech", "--backend", "diffusion", "--model", str(folder), "--emotion", "anger",
                 "--text", "Hello there.", "--option", "steps=2", "--option", "max_new_tokens=4", "--loop", "0",
                 "--out", str(take), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["provenance"]["weights_fingerprint"] == fingerprint(folder)
    assert report["neutral_reference"]["model_fingerprint"] == fingerprint(folder)

    def critique() -> tuple[dict, str]:
        capsys.readouterr()
        assert main(["critique", "--modality", "speech", "--critic", "encoder", "--json", str(take)]) == 0
        out, err = capsys.readouterr()
        return json.loads(out), err

    row, err = critique()
    assert row["normalisation"] == "studio-reference" and "holds other weights" not in err
    unet = next((folder / "unet").glob("*.safetensors"))
    data = bytearray(unet.read_bytes())
    data[-4:] = bytes(b ^ 0xFF for b in data[-4:])  # the last weight's bytes changed: the same size, other weights
    unet.write_bytes(bytes(data))
    row, err = critique()
    assert row["normalisation"] != "studio-reference"
    assert "its model folder (voice, named in angry.wav.json) holds other weights than when the take was made" in err
