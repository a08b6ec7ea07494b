"""MusicGen through transformers, end to end with tiny random models built from configs (no download).

DESIGN.md section 6: tiny T5 / EnCodec / decoder configs, a word-level tokenizer built in code; EnCodec's
upsampling ratios (hop 640 at 32 kHz = 50 frames/s) and bandwidth (1 kbps) give two codebooks. The audio is
noise (random weights): the tests check the plumbing - durations, seeds, windows, melody conditioning,
prompts, provenance and errors - not musical quality.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from conditioning import Emotion, Trajectory  # noqa: E402
from conditioning.registry import BackendUnavailable, WrongModel  # noqa: E402
from generators.base import GenerationError, GenerationRequest  # noqa: E402
from generators.music.musicgen import MusicGenMusic, chroma_one_hot, describe, prompt_text  # noqa: E402

WORDS = ("a slightly happy joyful uplifting energetic tense angry aggressive dark sad melancholic sorrowful somber calm "
         "peaceful gentle serene instrumental piece in major minor key slow fast moderate tempo bpm loud soft and "
         "staccato legato accented with bright piano acoustic guitar handclaps light drums").split()


def tiny_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {w: i for i, w in enumerate(["<pad>", "</s>", "<unk>", *dict.fromkeys(WORDS)])}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")


def tiny_model(melody: bool = False):
    t5 = transformers.T5Config(vocab_size=len(WORDS) + 3, d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=2,
                               decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    enc = transformers.EncodecConfig(sampling_rate=32000, hidden_size=16, num_filters=4, num_residual_layers=1,
                                     upsampling_ratios=[8, 5, 4, 4], codebook_size=64, target_bandwidths=[1.0],
                                     num_lstm_layers=1, codebook_dim=16)
    assert enc.num_quantizers >= 1 and enc.frame_rate == 50
    kw = dict(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, ffn_dim=32,
              num_codebooks=enc.num_quantizers, pad_token_id=64, bos_token_id=64)
    torch.manual_seed(0)
    if melody:
        cfg = transformers.MusicgenMelodyConfig(text_encoder=t5, audio_encoder=enc,
                                                decoder=transformers.MusicgenMelodyDecoderConfig(**kw), chroma_length=64)
        model = transformers.MusicgenMelodyForConditionalGeneration(cfg).eval()
    else:
        cfg = transformers.MusicgenConfig(text_encoder=t5, audio_encoder=enc,
                                          decoder=transformers.MusicgenDecoderConfig(**kw))
        model = transformers.MusicgenForConditionalGeneration(cfg).eval()
    with torch.no_grad():  # EnCodec's codebooks start at zero (trained weights fill them): make codes audible
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
    return model


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny-musicgen")
    tiny_model().save_pretrained(d)
    tiny_tokenizer().save_pretrained(d)
    return d


def test_prompt_follows_the_emotion():
    joy, sad = prompt_text(Emotion.parse("joy")), prompt_text(Emotion.parse("sadness"))
    assert "happy" in joy and "major" in joy and "fast" in joy
    assert "sad" in sad and "minor" in sad and "slow" not in joy
    assert describe(Emotion.parse("anger"))["quadrant"] == "Q2" and describe(Emotion.parse("calm"))["dynamics"] == "soft"
    assert prompt_text(Emotion.parse("calm"), "with rain sounds").endswith("with rain sounds")


def test_a_prompt_near_the_centre_is_neutral_and_moves_smoothly():
    """'v=-0.02,a=0.02' asked for angry distorted guitars and heavy drums, 'v=0.02,a=-0.02' for a peaceful harp (an
    audit: the iso planner's neutral midpoint of anxiety -> calm was prompted as angry metal)."""
    near = [prompt_text(Emotion.parse(s)) for s in ("neutral", "v=-0.02,a=0.02", "v=0.02,a=-0.02", "v=-0.10,a=0.06")]
    for text in near:
        assert "neutral" in text and "angry" not in text and "distorted" not in text and "harp" not in text, text
        assert "piano, soft strings and acoustic guitar" in text
    mild = prompt_text(Emotion.parse("v=-0.2,a=0.2"))
    assert "slightly tense" in mild and "distorted" not in mild and "heavy drums" not in mild
    assert "distorted electric guitars" in prompt_text(Emotion.parse("anger"))  # full strength keeps its own


def test_chroma_one_hot_finds_the_pitch_class():
    sr = 32000
    t = np.arange(sr * 2) / sr
    c = chroma_one_hot(np.sin(2 * np.pi * 440.0 * t), sr)  # A4
    assert c.shape[1] == 12 and np.all(c.sum(axis=1) == 1)
    assert np.bincount(c.argmax(axis=1), minlength=12).argmax() == 9  # C=0 ... A=9


def test_tiny_musicgen_end_to_end_from_a_local_folder(tiny_dir):
    gen = MusicGenMusic(model=str(tiny_dir))
    req = GenerationRequest(Emotion.parse("joy"), seed=3, duration_s=1.5)
    a, b = gen.generate(req), gen.generate(req)
    assert a.media.rate == 32000 and a.media.duration_s == pytest.approx(1.5, abs=1e-3)
    assert np.array_equal(a.media.samples, b.media.samples)  # same seed, same audio
    c = gen.generate(GenerationRequest(Emotion.parse("joy"), seed=4, duration_s=1.5))
    assert not np.array_equal(a.media.samples, c.media.samples)
    assert "CC-BY-NC-4.0" in a.provenance.licence and a.provenance.backend == "music/musicgen"
    import transformers  # the same weights sample differently under another release: the take names the one used

    assert a.provenance.to_json()["version"] == f"transformers {transformers.__version__}"
    from conditioning.weights import fingerprint

    assert a.provenance.to_json()["weights_fingerprint"] == fingerprint(tiny_dir)  # the folder may hold others later
    assert "happy" in a.controls["prompt"] and a.controls["windows"] == 1


def test_two_requests_at_once_give_each_its_seeds_audio(tiny_dir):
    """The web serves two music requests at once on one backend; both draw from torch's process-wide
    generator, so without `conditioning.weights.seeded`'s lock their draws interleaved (6 of 6 tries differed)."""
    import threading

    gen = MusicGenMusic(model=str(tiny_dir), threads=1)
    req = lambda seed: GenerationRequest(Emotion.parse("joy"), seed=seed, duration_s=2.0)  # noqa: E731
    alone = {seed: gen.generate(req(seed)).media.samples for seed in (1, 2)}
    for _ in range(3):
        out = {}
        threads = [threading.Thread(target=lambda s=s: out.__setitem__(s, gen.generate(req(s)).media.samples))
                   for s in (1, 2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert all(np.array_equal(out[s], alone[s]) for s in (1, 2))
    assert not np.array_equal(gen.generate(req(1 + 2**31)).media.samples, alone[1])  # seeds were masked to 31 bits
    torch.manual_seed(123)  # a caller's own random stream is not moved by a take
    gen.generate(req(1))
    after = torch.rand(1)
    torch.manual_seed(123)
    assert torch.equal(torch.rand(1), after)
    torch.manual_seed(123)  # nor by the first one, which loads the model (built randomly initialised, then filled)
    MusicGenMusic(model=str(tiny_dir), threads=1).generate(req(1))
    assert torch.equal(torch.rand(1), after)
    before = torch.get_num_threads()  # nor its thread count: one take left an embedding application on 1 thread
    try:
        torch.set_num_threads(2)
        gen.generate(req(1))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_windowed_continuation_follows_a_trajectory(tiny_dir):
    gen = MusicGenMusic(model=str(tiny_dir), window_s=1.0, context_s=0.4)
    traj = Trajectory.of([(0.0, "sadness"), (2.5, "joy")])
    res = gen.generate(GenerationRequest(Emotion.parse("sadness"), trajectory=traj, seed=0, duration_s=2.5))
    assert res.media.duration_s == pytest.approx(2.5, abs=1e-3)
    prompts = res.extras["prompts"]
    assert len(prompts) >= 3 and "sad" in prompts[0]["prompt"] and "happy" in prompts[-1]["prompt"]
    assert f"{res.controls['tempo_bpm']} bpm" in prompts[0]["prompt"]  # the controls are the first prompt's (at 0 s,
    # they had said 77 BPM beside a prompt of 88: an audit)


def test_melody_model_is_conditioned_on_the_composers_melody():
    from conditioning.render import SoundfontNotFoundError, find_soundfont

    try:
        find_soundfont()
    except SoundfontNotFoundError as exc:
        pytest.skip(f"no soundfont to render the melody ({exc})")
    gen = MusicGenMusic(model=tiny_model(melody=True), tokenizer=tiny_tokenizer(), window_s=1.2, crossfade_s=0.2)
    res = gen.generate(GenerationRequest(Emotion.parse("calm"), seed=1, duration_s=2.0))
    assert res.controls["melody_conditioned"] and res.media.duration_s == pytest.approx(2.0, abs=1e-3)
    assert res.controls["windows"] == 2  # two windows joined by a crossfade
    # the report names the melody (a user's file and the composer's tune had reported alike)
    assert res.controls["melody_from"] == "composer"
    import pretty_midi

    tune = pretty_midi.PrettyMIDI()
    tune.instruments.append(pretty_midi.Instrument(0))
    tune.instruments[0].notes += [pretty_midi.Note(90, 60 + k, k * 0.25, k * 0.25 + 0.2) for k in range(8)]
    own = gen.generate(GenerationRequest(Emotion.parse("calm"), seed=1, duration_s=2.0, options={"melody": tune}))
    assert own.controls["melody_from"] == "PrettyMIDI"


def test_errors_are_clear(tmp_path):
    with pytest.raises(BackendUnavailable, match="local MusicGen weights"):
        MusicGenMusic(model=str(tmp_path / "missing")).generate(GenerationRequest(Emotion.parse("joy"), duration_s=2))
    gen = MusicGenMusic(model=tiny_model(), tokenizer=tiny_tokenizer())
    with pytest.raises(GenerationError, match="out of range"):
        gen.generate(GenerationRequest(Emotion.parse("joy"), duration_s=0.1))
    with pytest.raises(GenerationError, match="unknown music option"):
        gen.generate(GenerationRequest(Emotion.parse("joy"), duration_s=2, options={"tempo": 1}))
    with pytest.raises(GenerationError, match="melody must be 'auto' or 'off', got 'of'"):  # (it acted as auto)
        MusicGenMusic(model=tiny_model(), tokenizer=tiny_tokenizer(), melody="of")


def test_damaged_or_wrong_folders_are_one_line_errors_before_any_work(tiny_dir, tmp_path):
    """A new user's folders: another model's snapshot, a MusicGen copy without its tokenizer, truncated weights.
    They used to be transformers tracebacks ("Unrecognized model", SafetensorError) or, worst, a take made with an
    empty tokenizer that turned every prompt word into <unk> (exit 0, the emotion prompt silently lost)."""
    import shutil

    req = GenerationRequest(Emotion.parse("joy"), duration_s=1)
    other = tmp_path / "clip"
    other.mkdir()
    (other / "config.json").write_text('{"model_type": "clip"}')
    with pytest.raises(WrongModel, match="holds a clip model, not MusicGen"):
        MusicGenMusic(model=str(other))
    (other / "config.json").write_text('{"architectures": []}')  # it read "holds a unknown model"
    with pytest.raises(WrongModel, match="holds a model of no stated type, not MusicGen"):
        MusicGenMusic(model=str(other))
    (other / "config.json").unlink()  # a diffusers pipeline's folder (model_index.json, no config.json) is also the
    (other / "model_index.json").write_text("{}")  # caller's mistake (exit 2), as another model's config is; it was
    with pytest.raises(WrongModel, match="no config.json, so it is not a transformers model folder"):  # exit 1
        MusicGenMusic(model=str(other))
    from studio.cli import main

    assert main(["generate", "image", "--backend", "diffusion", "--model", str(tiny_dir), "--emotion", "joy",
                 "--out", str(tmp_path / "x.png")]) == 2 and not (tmp_path / "x.png").exists()  # MusicGen's folder
    no_tok = tmp_path / "no-tokenizer"
    shutil.copytree(tiny_dir, no_tok)
    for f in no_tok.iterdir():
        if f.name.startswith(("tokenizer", "special_tokens", "spiece")):
            f.unlink()
    with pytest.raises(BackendUnavailable, match="no tokenizer vocabulary.*<unk>"):
        MusicGenMusic(model=str(no_tok))
    broken = tmp_path / "truncated"
    shutil.copytree(tiny_dir, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(BackendUnavailable, match=r"could not load .*truncated.*config\.json, the weights"):
        MusicGenMusic(model=str(broken)).generate(req)
    if not torch.cuda.is_available():
        with pytest.raises(BackendUnavailable, match="no CUDA GPU"):
            MusicGenMusic(model=str(tiny_dir), device="cuda").generate(req)
    take = MusicGenMusic(model=str(tiny_dir), device="cpu", dtype="float32").generate(req)
    assert take.media.duration_s == pytest.approx(1.0, abs=0.01) and take.provenance.model == str(tiny_dir)


def test_the_audiocraft_adapter_refuses_where_audiocraft_cannot_install():
    """`music/audiocraft` is registered, but audiocraft pins torch 2.1 and cannot live beside this torch: asked
    for, it says so and names `music/musicgen` (the same weights), and a bad duration is refused before that."""
    import importlib.util

    from generators.registry import load_generator

    if importlib.util.find_spec("audiocraft") is not None:
        pytest.skip("audiocraft is installed here; this checks the refusal where it is not")
    gen = load_generator("music", "audiocraft", model="facebook/musicgen-small")
    with pytest.raises(GenerationError, match="1 to 120 s"):
        gen.generate(GenerationRequest(Emotion.parse("joy"), duration_s=300))
    with pytest.raises(BackendUnavailable, match="pins torch 2.1.*use music/musicgen"):
        gen.generate(GenerationRequest(Emotion.parse("joy"), duration_s=5))


def test_options_a_model_cannot_use_are_refused_in_one_line(tiny_dir):
    """A melody given to a plain MusicGen was dropped without a word; a number as prompt_extra was a TypeError."""
    gen = MusicGenMusic(model=str(tiny_dir))
    for options, message in (({"melody": "/nonexistent.wav"}, "conditions only a melody model"),
                             ({"prompt_extra": 5}, "prompt_extra 5 must be text")):
        with pytest.raises(GenerationError, match=message):
            gen.generate(GenerationRequest(Emotion.parse("joy"), seed=0, duration_s=1.0, options=options))


def test_the_emotion_reaches_the_models_conditioning(tiny_dir):
    """The tiny random model samples the same codes for joy and sadness (its logits differ by about 2e-4), so the
    audio cannot show that the emotion reached the model; its text conditioning can: the prompts differ, and so
    do the text encoder's states the decoder attends to."""
    gen = MusicGenMusic(model=str(tiny_dir))
    model, tokenizer = gen.load()
    prompts = {e: gen.prompt_for(GenerationRequest(Emotion.parse(e), seed=0, duration_s=1.0), 0.0)
               for e in ("joy", "sadness")}
    assert prompts["joy"] != prompts["sadness"]
    states = {}
    with torch.no_grad():
        for e, text in prompts.items():
            ids = tokenizer([text], return_tensors="pt")
            states[e] = model.text_encoder(**ids).last_hidden_state.mean(dim=1)
    assert not torch.allclose(states["joy"], states["sadness"], atol=1e-4)
