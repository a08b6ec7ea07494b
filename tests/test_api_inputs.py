"""The Python API's input contracts (a third new-user pass, as a library user): a wrong kind of argument is a
library error that names what is accepted, never an AttributeError or TypeError from deep inside; arrays in the
usual formats (int16 PCM, librosa's channels-first audio, 16-bit pictures) mean what they mean elsewhere."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from conditioning import Emotion, Trajectory
from conditioning.errors import EmotionSpecError, PlanError
from conditioning.media import Audio, Image, MediaError
from conditioning.registry import UnknownBackend
from generators.base import GenerationError


def test_audio_arrays_in_the_usual_formats():
    pcm = Audio(np.array([16384, -32768, 0], np.int16), 16000)  # scipy.io.wavfile's int16
    assert pcm.samples.tolist() == [0.5, -1.0, 0.0] and pcm.samples.dtype == np.float32
    assert Audio(np.array([0, 128, 255], np.uint8), 8000).samples[1] == 0.0  # 8-bit PCM is offset
    first = Audio(np.zeros((2, 16000), np.float32), 16000)  # librosa's (channels, n)
    assert first.channels == 2 and first.duration_s == pytest.approx(1.0)
    for bad in (np.array([0.1, np.nan]), np.array([0.1, np.inf])):
        with pytest.raises(MediaError, match="NaN or infinite"):
            Audio(bad, 16000)
    with pytest.raises(MediaError, match="positive rate"):
        Audio(np.zeros(100), float("nan"))


def test_image_arrays_in_the_usual_formats():
    assert Image(np.ones((8, 8, 3), np.int64)).pixels.max() == 1  # integers are 0-255 values, not [0, 1] floats
    assert Image(np.full((8, 8, 3), 65535, np.uint16)).pixels.min() == 255  # 16-bit: scaled, not clipped
    assert Image(np.full((8, 8, 3), 32768, np.uint16)).pixels.max() == 128
    assert Image(np.ones((8, 8), bool)).pixels.min() == 255
    assert Image(np.full((8, 8, 3), 0.5)).pixels.max() == 128
    with pytest.raises(MediaError, match="NaN or infinite"):
        Image(np.full((8, 8, 3), np.nan))
    with pytest.raises(MediaError, match="at least one pixel"):
        Image(np.zeros((0, 0, 3), np.uint8))


def test_studio_arguments_of_the_wrong_kind_are_library_errors():
    from studio.studio import Studio

    studio = Studio()
    for kwargs, message in ((dict(prompt=5), "prompt must be a string"), (dict(options="size=256"), "options must be a mapping"),
                            (dict(trajectory="sadness"), "trajectory must be a Trajectory"),
                            (dict(seed=-1), "seed must be a whole number")):
        with pytest.raises(GenerationError, match=message):
            studio.generate("image", "joy", **kwargs)
    for bad in ("0.5", math.nan, -0.1):
        with pytest.raises(GenerationError, match="threshold must be a fidelity from 0 to 1"):
            Studio(threshold=bad)
    # NumPy integers are whole numbers; a judge's name as a string is one name, and a judge named twice scores once
    res = studio.generate("image", "joy", seed=np.int64(3), loop=np.int64(0), judges="colour", critic="colour",
                          options={"size": 256})
    assert res.best.request.seed == 3 and [j.critic for j in res.best.judgements] == ["image/colour"]
    # a judge named as reports and the web page name it, with its modality (it was 'unknown image critic')
    res = studio.generate("image", "joy", loop=0, judges=["image/colour"], options={"size": 256})
    assert [j.critic for j in res.best.judgements] == ["image/colour"]
    # ... and named both ways it is one judge (it scored twice and counted double in the fidelity: an audit)
    res = studio.generate("image", "anger", loop=0, judges="colour,image/colour,embedded", options={"size": 256})
    assert [j.critic for j in res.best.judgements] == ["image/colour", "image/embedded"]
    assert res.best.fidelity == pytest.approx(sum(j.fidelity for j in res.best.judgements) / 2)
    with pytest.raises(UnknownBackend, match="music/embedded"):
        studio.generate("image", "joy", loop=0, judges=["music/embedded"], options={"size": 256})


def test_the_loop_does_not_keep_a_take_no_judge_could_name_over_a_closer_one():
    from studio.studio import Round

    def rank(recognised=False, **kw):
        return Round.rank(SimpleNamespace(recognised=lambda threshold: recognised, **kw), 0.8)

    named_otherwise = rank(agrees=False, fidelity=0.76)  # read as 'rage' for 'anger'
    unnamed = rank(agrees=None, fidelity=0.68)  # read as 'neutral'
    assert named_otherwise > unnamed
    assert rank(agrees=True, fidelity=0.5) > named_otherwise
    # a take every judge accepts outranks one only labelled right (the loop's stop rule comes first)
    assert rank(recognised=True, agrees=None, fidelity=0.86) > rank(agrees=True, fidelity=0.99)


def test_the_loop_keeps_the_take_it_stopped_on_when_judges_read_only_coordinates():
    """Image judges name no label, so every take's ``agrees`` is None; the loop stopped on a take both judges
    accepted (0.86, 0.86) and kept an earlier one the second rejected (0.99, 0.80), reported not recognised."""
    from critics.base import Reading
    from generators.base import GenerationRequest, GenerationResult, Provenance
    from studio.studio import Studio

    class Painter:
        modality, name = "image", "painter"

        def generate(self, request):
            return GenerationResult(Image(np.zeros((8, 8, 3), np.uint8)), {}, Provenance("image/painter", "test", "-",
                                                                                     request.seed))

    class Judge:
        modality = "image"

        def __init__(self, name, fidelities):
            self.name, self.fidelities, self.calls = name, list(fidelities), 0

        def score(self, media):  # a reading at the given fidelity from the target (0.5, 0.5), along valence
            fid = self.fidelities[self.calls]
            self.calls += 1
            return Reading(f"image/{self.name}", 0.5 - (1 - fid) * 2 * math.sqrt(2), 0.5, 0.0, {"neutral": 1.0}, {},
                           1.0, categorical=False)

    studio = Studio()
    res = studio.run_loop(Painter(), [Judge("a", [0.99, 0.86]), Judge("b", [0.80, 0.86])],
                          GenerationRequest(Emotion.parse("v=0.5,a=0.5")), loop=3)
    assert len(res.rounds) == 2 and res.best.index == 1 and res.recognised


def test_emotions_plans_and_trajectories_refuse_what_they_cannot_mean():
    from studio.studio import Studio

    joy = Emotion.parse("joy")
    assert joy.scaled(0.5).intensity == pytest.approx(0.5)
    for bad in (2, -1, math.nan):  # 2 turned joy's direction, -1 made anti-joy labelled joy
        with pytest.raises(EmotionSpecError, match="from 0 to 1"):
            joy.scaled(bad)
    for make in (lambda: Emotion.from_mix({3: 1}), lambda: Emotion.from_mix({"joy": 1}, "0.5"),
                 lambda: Emotion.from_vad("0.5", 0)):  # were AttributeError / TypeError
        with pytest.raises(EmotionSpecError):
            make()
    with pytest.raises(PlanError, match="finite"):
        Trajectory.of([(0, "joy"), (math.nan, "calm")])
    one = Studio.plan("calm", "calm", minutes=0.25, clip_s=30)  # was a TypeError
    assert len(one.clips) == 1 and one.clips[0].end_s == pytest.approx(15)



def test_an_emotion_built_directly_is_checked_and_its_mix_cannot_change_under_its_holders():
    import pickle

    for args in ((5, 5, 5), (math.nan, 0, 0), (0.1, 0.1, 0.1, {"blah": 1.0}), (0.1, 0.1, 0.1, {}),
                 (0.1, 0.1, 0.1, {"joy": -1.0}), (0.1, 0.1, 0.1, {"joy": 1.0}, 2.0)):
        with pytest.raises(EmotionSpecError):  # Emotion(5, 5, 5) used to be a point outside the space
            Emotion(*args)
    joy = Emotion.parse("joy:0.6+surprise:0.4")
    with pytest.raises(TypeError):
        joy.mix["joy"] = 5.0  # a "frozen" emotion's mix used to change for every request holding it
    assert joy.mix == {"joy": 0.6, "surprise": 0.4}
    assert pickle.loads(pickle.dumps(joy)) == joy  # workers and Ray still receive it
def test_speech_judges_name_an_impossible_rate_not_silence():
    from critics.speech.features import FeatureError, prepare

    speech = 0.1 * np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    for rate in (100, 10_000_000):
        with pytest.raises(FeatureError, match="not a speech recording's"):
            prepare(speech, rate)


def test_backend_options_are_checked_not_ignored():
    from generators.base import GenerationRequest
    from generators.registry import load_generator

    with pytest.raises(GenerationError, match="'drums' must be true or false"):  # "no" is a true string
        load_generator("music", "composer").generate(GenerationRequest(joy := Emotion.parse("joy"), duration_s=4,
                                                                       options={"drums": "no"}))
    # a model folder given to a backend that loads none said "unknown option(s) ['model'] ... known: ['size',
    # 'style', 'work_px']", naming neither --model nor the backends that take one (an audit)
    from studio.studio import Studio

    for modality, backend in (("image", "procedural"), ("music", "composer")):
        with pytest.raises(GenerationError, match=f"{modality}/{backend} takes no model "
                                                  r"folder \(--model, model=\); the backends that do: "):
            Studio().generate(modality, "joy", backend=backend, model="/tmp", score=False)
    pytest.importorskip("piper")
    with pytest.raises(GenerationError, match=r"unknown speech option\(s\) \['speed'\]"):
        load_generator("speech", "piper").generate(GenerationRequest(joy, text="Hi.", options={"speed": 2}))


def test_every_critic_refuses_the_wrong_kind_of_media_alike_and_image_judges_read_paths(tmp_path):
    """One contract for all eight shipped judges: what is not media of their kind (a number, a missing file, an
    unreadable one) is a `MediaError` naming what they take; media they cannot judge stays a `CriticError`. The
    music and image judges used to raise CriticError for the first, and the image judges took no file path."""
    from conditioning.media import save_image
    from critics.base import CriticError
    from critics.registry import load_critic

    text = tmp_path / "notes.txt"
    text.write_text("not media")
    judges = {"speech": ("embedded", "encoder"), "music": ("embedded", "symbolic"),
              "face": ("classifier", "geometric"), "image": ("embedded", "colour")}
    for modality, names in judges.items():
        for name in names:
            try:
                critic = load_critic(modality, name)
            except Exception as exc:  # an extra that is not installed
                pytest.skip(f"{modality}/{name}: {exc}")
            for bad in (42, None, tmp_path / "missing.wav", text):
                with pytest.raises(MediaError):
                    critic.score(bad)
    picture = np.full((96, 128, 3), (200, 60, 40), np.uint8)  # a warm red picture, no face in it
    save_image(tmp_path / "red.png", Image(picture))
    colour = load_critic("image", "colour")
    from_path = colour.score(str(tmp_path / "red.png"))
    assert from_path.native == pytest.approx(colour.score(Image(picture)).native)
    assert colour.score(picture).native == pytest.approx(from_path.native)
    with pytest.raises(CriticError, match="too small"):
        colour.score(np.zeros((4, 4, 3), np.uint8))


def test_a_backend_or_judge_is_one_instance_however_it_is_named(monkeypatch):
    """Each name as typed made its own instance (None, 'auto', 'procedural', 'image/procedural': four painters,
    three speech encoders), each loading its models and keeping its own caches."""
    from studio.studio import Studio

    monkeypatch.delenv("EMOSTUDIO_SD_MODEL", raising=False)
    studio = Studio()
    painters = {id(studio.generator("image", name)) for name in (None, "auto", "procedural", "image/procedural")}
    encoders = {id(studio.critic("speech", name)) for name in ("encoder", "speech/encoder")}
    assert len(painters) == 1 and len(encoders) == 1
    assert studio.critic("speech") is studio.critic("speech", "encoder")  # the default, named or not


def test_backend_configs_refuse_values_of_the_wrong_kind_or_range():
    """`configure` checked option names only: beats_per_bar=0 made zero-length bars for ever (memory growing),
    work_px="512" a TypeError deep in the painter, work_px=100000 a 112 GiB MemoryError, and a dict given as
    config a TypeError from dataclasses.replace; the judges without options refused a misspelt one with a
    TypeError."""
    from critics.registry import load_critic
    from generators.registry import load_generator

    for modality, name, kw, says in (("music", "composer", {"beats_per_bar": 0}, "beats_per_bar must be a whole "
                                                                                "number from 1 to 16"),
                                     ("image", "procedural", {"work_px": "512"}, "work_px must be a whole number"),
                                     ("image", "procedural", {"work_px": 100000}, "work_px must be a whole number "
                                                                                  "from 64 to 4096"),
                                     ("image", "procedural", {"config": {"style": "field"}}, "config must be a "
                                                                                           "ProceduralConfig"),
                                     ("music", "composer", {"normalise": "no"}, "normalise must be true or false")):
        with pytest.raises(GenerationError, match=says):
            load_generator(modality, name, **kw)
    from generators.speech.world import RenderConfig

    with pytest.raises(GenerationError, match="f0_method 'crepe' is not a pitch tracker; give 'praat', 'dio' or 'auto'"):
        RenderConfig(f0_method="crepe")
    # a config built directly is checked by kind too (a TypeError from the comparison; 300.5 px was taken)
    from generators.image.procedural import ProceduralConfig
    from generators.music.composer import ComposerConfig

    for build, says in ((lambda: ProceduralConfig(work_px="512"), "work_px must be a whole number from 64 to 4096, "
                                                                  "got '512'"),
                        (lambda: ProceduralConfig(work_px=300.5), "work_px must be a whole number"),
                        (lambda: ComposerConfig(rate="22050"), "rate must be a whole number from 8000 to 96000"),
                        (lambda: ComposerConfig(fade_out_s=float("nan")), "fade_out_s must be a number from 0")):
        with pytest.raises(GenerationError, match=says):
            build()
    # a size N is a square, as the size option takes it ("--config size=512" was refused: an audit); not "512"
    assert ProceduralConfig(size=512).size == (512, 512) and ProceduralConfig(size=[640, 480]).size == (640, 480)
    with pytest.raises(GenerationError, match=r"size: image size must be N or \(width, height\), got '512'"):
        ProceduralConfig(size="512")
    for name in ("colour",):
        with pytest.raises(ValueError, match=r"unknown option\(s\) \['threshold'\] for image/colour"):
            load_critic("image", name, threshold=3)
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['windw'\] for text/lexicon; known: .*window"):
        load_critic("text", "lexicon", windw=3)
    # ordinary values of the right kind stay accepted: NumPy's numbers, a whole float for an int, a Path for a name
    import numpy as np
    from pathlib import Path

    painter = load_generator("image", "procedural", work_px=np.float64(256))
    assert painter.config.work_px == 256 and type(painter.config.work_px) is int
    sized = load_generator("image", "procedural", size=(np.int64(512), np.int64(384)))  # inside a pair too
    assert sized.config.size == (512, 384) and all(type(v) is int for v in sized.config.size)
    assert load_generator("music", "composer", normalise=np.True_).config.normalise is True
    from dataclasses import dataclass

    from conditioning.registry import configure as make

    @dataclass(frozen=True)
    class Voice:
        voice: str = "joe"
        binary: str = "text2wave"

    assert make(Voice, None, {"voice": Path("/voices/me.onnx")}, "toy").voice == Path("/voices/me.onnx")
    with pytest.raises(ValueError, match="toy: option binary must be text, got 3"):
        make(Voice, None, {"binary": 3}, "toy")


def test_overlapping_backends_give_the_caller_its_thread_count_back():
    """Two requests at once each set torch's (process-wide) thread count for their work. Each restored what it saw
    on entry, so the one entering second and leaving last put back the first one's count: an application on 3
    threads was left on 1 after two overlapping takes."""
    torch = pytest.importorskip("torch")
    import threading

    from conditioning.weights import torch_threads

    before = torch.get_num_threads()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with torch_threads(1):
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second():
        first_in.wait(10)
        with torch_threads(2):
            second_in.set()
            first_out.wait(10)
            assert torch.get_num_threads() == 2  # the latest setting holds while both run
    try:
        torch.set_num_threads(3)
        workers = [threading.Thread(target=first), threading.Thread(target=second)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(20)
        assert first_out.is_set() and torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_neural_backend_configs_refuse_values_out_of_range_before_any_model_loads():
    """The neural backends' settings were checked by kind only: guidance_scale=-1 was an IndexError inside
    transformers, max_duration_s=0 a convolution's RuntimeError, and top_k=0 dropped the emotion (the take was
    neutral without a word). Building the config imports no torch."""
    import sys

    from generators.image.diffusion import DiffusionConfig
    from generators.music.audiocraft_backend import AudiocraftConfig
    from generators.music.musicgen import MusicGenConfig
    from generators.speech.coqui import CoquiSpeechConfig
    from generators.speech.diffusion import DiffusionSpeechConfig

    for build, says in ((lambda: MusicGenConfig(guidance_scale=-1), "music/musicgen: guidance_scale must be a number "
                                                                    "from 0 to 50, got -1"),
                        (lambda: MusicGenConfig(temperature=0), "temperature must be a number from 0.01"),
                        (lambda: CoquiSpeechConfig(temperature=-1), "speech/coqui: temperature"),
                        (lambda: DiffusionSpeechConfig(max_duration_s=0), "speech/diffusion: max_duration_s"),
                        (lambda: DiffusionSpeechConfig(top_k=0), "top_k must be a whole number from 1 to 41"),
                        (lambda: DiffusionConfig(top_k=0), "image/diffusion: top_k"),
                        (lambda: DiffusionConfig(threads=-3), "threads must be a whole number from 0"),
                        (lambda: AudiocraftConfig(top_k=2.5), "music/audiocraft: top_k must be a whole number")):
        with pytest.raises(GenerationError, match=says):
            build()
    assert DiffusionConfig().steps is None and MusicGenConfig(window_s=1.0, context_s=0.4).window_s == 1.0
    if "torch" not in sys.modules:  # (when this test runs first: the configs are light)
        assert "transformers" not in sys.modules


def test_the_wrong_kind_of_name_list_or_number_is_a_library_error_and_a_build_writes_nothing(tmp_path):
    """Each was a TypeError or AttributeError from inside (an API audit): a backend named 3, a judge list of
    numbers, a modality given as a list, a voice given as a list, a plan's clip length as text, a build's worker
    count as text (which left a folder holding spec.json); minutes=True was a one-minute plan, workers=0 and a
    text given as a number were passed or misnamed ("the text is empty")."""
    from critics.base import CriticError
    from studio.dataset import build, load_spec
    from studio.errors import UserError
    from studio.studio import Studio

    studio = Studio()
    for kwargs in (dict(backend=3), dict(judges=[3]), dict(judges=3), dict(critic=3)):
        with pytest.raises(UnknownBackend, match="named by"):
            studio.generate("image", "joy", **kwargs)
    with pytest.raises(UnknownBackend, match="unknown modality"):
        studio.generate(["image"], "joy")
    with pytest.raises(GenerationError, match="a voice is a built-in voice's name or a voice file's path"):
        studio.generate("speech", "joy", text="Hello there.", options={"voice": ["joe"]})
    for kwargs in (dict(minutes=1, clip_s="30"), dict(minutes=True, clip_s=30), dict(minutes=1, clip_s=30, max_step="0.3")):
        with pytest.raises(PlanError, match="must be a number"):
            Studio.plan("anxiety", "calm", **kwargs)
    with pytest.raises(CriticError, match="reads text .a str., got int"):
        studio.critique("text", 5)
    spec = load_spec("examples/dataset_images.yaml")
    for workers in ("2", 1.5, 0, -1, True, math.nan):
        out = tmp_path / f"ds-{workers}"
        with pytest.raises(UserError, match="workers must be a whole number"):
            build(spec, out, workers=workers, progress=False)
        assert not out.exists()
    with pytest.raises(UserError, match="build takes a Spec"):
        build({"name": "x"}, tmp_path / "ds-dict", progress=False)
    assert not (tmp_path / "ds-dict").exists()
    # the next API audit: a trajectory of None, a recording as a bare array, phonemes as text, a number as the
    # speech's provenance, True as a General MIDI program (TypeErrors from inside, or program 1)
    with pytest.raises(PlanError, match="a trajectory is built from"):
        Trajectory.of(None)
    for options, says in (({"audio": np.zeros(16000, np.float32)}, "must be a recording's path or Audio"),
                          ({"phonemes": "abc"}, "'phonemes' must be a list of"), ({"speech": 5}, "must be a mapping")):
        with pytest.raises(GenerationError, match=says):
            studio.generate("face", "joy", options=options, score=False)
    with pytest.raises(GenerationError, match="a GM program is a number 0..127 or a name, got True"):
        studio.generate("music", "joy", duration_s=4, options={"program": True}, score=False)


def test_an_emotion_written_as_json_reads_back_and_its_text_forms_are_read_one_way():
    """A report's target and `emostudio emotion --json` were refused by Emotion.parse as "unknown emotion label
    'valence'", and a report's mix alone lost the intensity; 'joy:0.6+surprise' weighed surprise 1 (62 %);
    full-width letters and a combining accent were other words; a mix built directly kept weights that did not
    sum to 1; 'anger@-0' was shown as intensity -0.00."""
    import json

    for spec in ("joy:0.6+surprise:0.4", "anger@0.3", "v=0.7,a=0.5", "quietly hopeful", "v=-0.2,a=0.4,d=0.1"):
        e = Emotion.parse(spec)
        back = Emotion.parse(json.loads(json.dumps(e.to_json())))
        assert back.to_json() == e.to_json(), spec
    assert Emotion.parse({"valence": 0.5, "arousal": -0.2}).va == (0.5, -0.2)
    for bad in ({"valence": 0.5}, {"valence": 0.1, "arousal": 0.1, "mix": {"joy": 1.0}},
                {"valence": 0.1, "arousal": 0.1, "colour": "red"}):
        with pytest.raises(EmotionSpecError, match="an emotion in JSON has valence, arousal"):
            Emotion.parse(bad)
    with pytest.raises(EmotionSpecError, match="weighs some labels and not others"):
        Emotion.parse("joy:0.6+surprise")
    assert Emotion.parse("joy+surprise").mix == {"joy": 0.5, "surprise": 0.5}
    assert Emotion.parse("\uff4a\uff4f\uff59").mix == {"joy": 1.0}  # full-width 'joy'
    with pytest.raises(EmotionSpecError, match="'j\u00f3y'"):  # the accent stays on its letter
        Emotion.parse("jo\u0301y")
    assert Emotion(0.1, 0.1, 0.1, {"joy": 5.0}).mix == {"joy": 1.0}
    with pytest.raises(EmotionSpecError, match="positive weight"):
        Emotion(0.1, 0.1, 0.1, {"joy": 0.0})
    assert "i=0.00" in str(Emotion.parse("anger@-0"))


def test_a_take_that_follows_a_trajectory_is_labelled_where_the_trajectory_starts():
    """'anger' beside a sadness-to-joy trajectory made the sadness-to-joy piece and reported its target as anger;
    a trajectory longer than the take was followed for the take's length without a word."""
    from studio.studio import Studio

    studio = Studio()
    path = Trajectory.of([(0, "sadness"), (12, "joy")])
    with pytest.raises(GenerationError, match="starts where it starts, sadness .* not at anger"):
        studio.generate("music", "anger", trajectory=path, duration_s=12, score=False)
    res = studio.generate("music", None, trajectory=path, duration_s=6, score=False)
    assert res.to_json()["target"]["mix"] == {"sadness": 1.0}
    assert any("follows the trajectory's first 6 s of 12" in n for n in res.notes)
    same = studio.generate("music", "sadness", trajectory=path, duration_s=12, score=False)
    assert not any("trajectory's first" in n for n in same.notes)
    # without a duration, the composer's default take (30 s) of a 60-s path: said too (an audit)
    long = studio.generate("music", None, trajectory=Trajectory.of([(0, "sadness"), (60, "joy")]), score=False)
    assert any("follows the trajectory's first 30 s of 60" in n for n in long.notes)


def test_every_neural_backend_and_critic_says_in_one_line_that_its_libraries_are_missing(tmp_path):
    """On an install without the neural libraries (`make demo`'s: no torch), every model backend and neural critic
    ends in one of the library's own errors, which the command line says in one line: music/audiocraft and
    image/clip imported torch before their model and gave a ModuleNotFoundError traceback. A subprocess in which
    the libraries cannot be imported stands for that install."""
    from conftest import run_python

    code = (f"""
import sys
for m in ("torch", "transformers", "diffusers", "audiocraft", "TTS", "accelerate", "torchaudio", "safetensors"):
    sys.modules[m] = None
import numpy as np
from conditioning import Emotion
from conditioning.media import Audio, Image
from conditioning.registry import BackendUnavailable
from critics.base import CriticError
from critics.registry import load_critic
from generators.base import GenerationError, GenerationRequest
from generators.registry import MODEL_BACKENDS, load_generator
folder, tried = {str(tmp_path)!r}, 0
request = GenerationRequest(Emotion.parse("joy"), seed=0, text="Hello there, how are you today?")
calls = [(lambda m=m, n=n: load_generator(m, n, model=folder).generate(request), m + "/" + n)
         for m, names in MODEL_BACKENDS.items() for n in names]
media = {{"image": Image(np.zeros((64, 64, 3), np.uint8)), "music": Audio(np.zeros(48000, np.float32), 16000),
          "speech": Audio(np.zeros(48000, np.float32), 16000)}}
calls += [(lambda k=k: load_critic(*k.split("/"), model=folder).score(media[k.split("/")[0]]), k)
          for k in ("image/clip", "music/clap", "speech/transformers")]
for call, key in calls:
    try:
        call()
    except (BackendUnavailable, GenerationError, CriticError) as exc:
        print("one line", key, str(exc).splitlines()[0][:60])
""")
    r = run_python(code)
    assert r.returncode == 0, r.stderr[-1500:]
    assert r.stdout.count("one line") == 8, r.stdout  # five model backends, three neural critics
    assert "music/audiocraft needs the 'audiocraft' package" in r.stdout and "image/clip needs 'torch'" in r.stdout


def test_a_face_refuses_blank_text_and_a_voice_it_would_not_use(tmp_path):
    """In Python, text="   " made a 3-s silent clip (the command line refuses it), and a voice beside a recording, or
    beside no text at all, was dropped without a word (`refuse_ignored_options` did not see it)."""
    from conditioning.media import Audio, save_audio
    from studio.studio import Studio

    studio = Studio()
    with pytest.raises(GenerationError, match="the face's text is empty"):
        studio.generate("face", "joy", text="   ", score=False)
    rec = save_audio(tmp_path / "rec.wav", Audio(np.zeros(16000, np.float32), 16000))
    with pytest.raises(GenerationError, match="with a recording \\(audio\\) the recording speaks"):
        studio.generate("face", "joy", options={"audio": str(rec), "voice": "slt"}, score=False)
    with pytest.raises(GenerationError, match="without text the clip is silent"):
        studio.generate("face", "joy", duration_s=1, options={"voice": "slt"}, score=False)


def test_settings_the_command_lines_config_reaches_are_checked_by_kind_and_range():
    """`--config` and `settings=` reach every config field. The face animator had no range checks (fps=0 a
    ZeroDivisionError traceback, head_motion=1e6 a video with the face off the frame, exit 0); a speech backend's
    `render` given as a mapping was an AttributeError traceback; variant=5 a diffusers error called a weights
    problem; Festival's timeout_s=-1 "took longer than -1 s"; Piper's threads=-3 was taken; and NumPy's integers
    in settings= were refused as not plain."""
    import numpy as np

    from generators.registry import load_generator
    from studio.studio import Studio

    for modality, name, kw, says in (
            ("face", "animator", {"fps": 0}, "fps must be a number from 1 to 120, got 0"),
            ("face", "animator", {"head_motion": float("nan")}, "head_motion must be a number from 0 to 3"),
            ("face", "animator", {"head_motion": 1e6}, "head_motion must be a number from 0 to 3"),
            ("face", "animator", {"max_side": 10}, "max_side must be a whole number from 128"),
            ("speech", "festival", {"render": 5}, "option render must be a mapping of RenderConfig's fields"),
            ("speech", "festival", {"render": {"nope": 1}}, r"unknown option\(s\) \['nope'\] for speech/festival render"),
            ("speech", "festival", {"timeout_s": -1}, "timeout_s must be a number from 1 to 3600"),
            ("speech", "piper", {"threads": -3}, "threads must be a whole number from 0 to 256"),
            # the renderer's numbers (an audit: a frame period of 0 divided by zero, one of 1e6 ms wrote one sample)
            ("speech", "piper", {"render": {"frame_period": 0}}, "render: frame_period must be a number from 1 to 50"),
            ("speech", "piper", {"render": {"frame_period": 1e6}}, "render: frame_period must be a number from 1 to 50"),
            ("speech", "festival", {"render": {"smooth_ms": float("inf")}}, "render: smooth_ms must be a number"),
            ("speech", "piper", {"render": {"analysis_rate": 100}}, "render: analysis_rate must be a whole number"),
            ("speech", "piper", {"render": {"bin_step": 0}}, "render: bin_step must be one of 1, 2, 4, got 0"),
            ("speech", "piper", {"render": {"bin_step": 2.5}}, "option bin_step must be a whole number, got 2.5"),
            # 3 left a number of bins pyworld's synthesis cannot take: it corrupted the heap (a re-audit)
            ("speech", "piper", {"render": {"bin_step": 3}}, "render: bin_step must be one of 1, 2, 4, got 3"),
            ("speech", "piper", {"render": {"level_dbfs": float("nan")}}, "render: level_dbfs must be a number")):
        with pytest.raises(GenerationError, match=says):
            load_generator(modality, name, **kw)
    from conditioning.registry import configure
    from generators.image.diffusion import DiffusionConfig

    with pytest.raises(GenerationError, match="option variant must be text, got 5"):
        configure(DiffusionConfig, None, {"variant": 5}, "image/diffusion", GenerationError)
    festival = load_generator("speech", "festival", render={"f0_method": "dio"})
    assert festival.config.render.f0_method == "dio"  # built on Festival's own render default, the field changed
    take = Studio().generate("image", "joy", settings={"work_px": np.int64(256)}, score=False)
    assert take.settings == {"work_px": 256} and type(take.settings["work_px"]) is int


def test_everything_the_studio_refuses_is_one_class_to_catch(tmp_path):
    """A Python caller catches `EmotionStudioError` for every refusal (it had seven classes from five modules and no
    common base: a typo'd modality or judge slipped past ``except ValueError``; an audit), and each kind keeps its
    older base, so code that caught ValueError or RuntimeError still does."""
    from conditioning.registry import BackendUnavailable
    from studio import EmotionStudioError, Studio

    studio = Studio()
    refusals = {
        "a modality's name": lambda: studio.generate("Speech", "joy", text="Hi there."),
        "a judge's name": lambda: studio.generate("speech", "joy", judges=["nope"], text="Hi there."),
        "an emotion": lambda: studio.generate("speech", "jo", text="Hi there."),
        "a file": lambda: studio.critique("speech", tmp_path / "missing.wav"),
        "an option": lambda: studio.generate("music", "joy", options={"tempoo": 90}),
        "a threshold": lambda: Studio(threshold=-1),
        "a plan": lambda: studio.plan("sadness", "joy", minutes=0, clip_s=30),
    }
    for what, call in refusals.items():
        with pytest.raises(EmotionStudioError) as caught:
            call()
        assert "\n" not in str(caught.value), what  # one line
        assert isinstance(caught.value, BackendUnavailable if what.endswith("name") else ValueError), what
    assert issubclass(BackendUnavailable, RuntimeError)
