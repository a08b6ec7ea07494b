"""``emostudio dataset SPEC.yaml --out DIR``: labelled synthetic emotion data at scale.

A spec (YAML, `load_spec`: every field checked before any work starts, each error naming the field and what it
accepts) says which modalities, how many items, how emotions are sampled, which texts/prompts/voices/portraits,
and whether to keep only items both judges recognise. `plan` turns it into a fixed list of items (each with its
own seed), so the same spec gives the same items on one machine, on many worker processes or on a Ray cluster.

Resumable and safe by construction:
- every medium is written atomically (temporary file, then rename), then one line is appended to
  ``manifest.jsonl`` and flushed to disk: that journal is the source of truth. An item is done exactly when its
  line is there; a killed job leaves at most a medium without a line (redone, byte-identical, on the next run) or
  a torn last line (dropped on load). Rerunning the same command completes the dataset, with no duplicates;
- at the end the exports are rewritten from the journal: ``manifest.parquet``, one ``metadata.jsonl`` per
  modality folder (the layout Hugging Face's ``audiofolder`` / ``imagefolder`` / ``videofolder`` loaders read,
  with the labels as columns), ``README.md`` (a dataset card: label distribution, fidelity, licences of every
  part) and ``targets_readings.png`` (targets and readings on the valence-arousal plane);
- errors of the disk (unwritable folder, disk full) stop the job with one message; the journal stays intact.

The fidelity filter retries an item with new seeds (seed + k * `RETRY_STRIDE`; an item's first seed is the spec's
base, a hash of its seed (`spec_base`), plus its place in the plan) until both judges recognise it or the
attempts run out; a rejected item is journaled too (``kept: false``, no file), so a rerun does not retry it.
"""
from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from studio.errors import UserError, WorkerDied, checkpoint, ctrl_c_noted
from studio.output import print_json

MODALITIES = ("speech", "music", "image", "face")
SUFFIX = {"speech": ".wav", "music": ".wav", "image": ".png", "face": ".mp4"}
HF_LOADER = {"speech": "audiofolder", "music": "audiofolder", "image": "imagefolder", "face": "videofolder"}
SAMPLING = ("grid", "va", "list")
#: The files a build rewrites in its folder at the end (`export`), from the journal
EXPORTS = ("manifest.parquet", "README.md", "targets_readings.png")
#: Seed step between attempts of one item: beyond the span of every item's seed (planned items take the spec's
#: base (`spec_base`) plus 0 to 1 million, balancing extras plus 50 million to under 500 million), so an attempt
#: never makes another item's request. The step was 7919, and item k's second attempt was item k+7919's first:
#: with one label and no texts or prompts, 2,081 pairs of 10,000 images could come out identical.
RETRY_STRIDE = 1_000_000_007
#: The span of one spec's item seeds above its base: 50 attempts of every planned item and extra
SEED_SPAN = 50 * RETRY_STRIDE


def spec_base(seed: int) -> int:
    """Where a spec's item seeds start: a 63-bit hash (BLAKE2b) of the spec's seed. The base was seed x 1000003, so
    the item seeds of specs whose seeds differ by 50 overlapped (spec 1's balancing extras were spec 51's planned
    items: a train and a test set with seeds of their own shared byte-identical takes). Two specs' ranges
    (`SEED_SPAN`, 5e10 wide, in 9.2e18) now meet about once in 90 million pairs of seeds; every backend reads all
    63 bits of a seed (`generators.base.seed_words`)."""
    import hashlib

    h = int.from_bytes(hashlib.blake2b(f"emostudio-spec-seed:{int(seed)}".encode(), digest_size=8).digest(), "big")
    return h % (2**63 - SEED_SPAN)


# ------------------------------------------------------------------------------------------------ the spec
#: Characters of text a built-in voice reads a second at its slowest, for `Spec.most_seconds` (a bound): five short
#: lines in neutral, sad and angry takes read at 10.4-24.0 (Festival's sad takes slowest, Piper's 12.5 and up)
SPEECH_CHARS_PER_S = 10.0


@dataclass(frozen=True)
class ModalitySpec:
    name: str
    count: int
    backend: str | None = None
    texts: tuple[str, ...] = ()  #: speech and face: what is said
    prompts: tuple[str, ...] = ()  #: music and image
    voices: tuple[str, ...] = ()  #: speech and face
    portraits: tuple[str, ...] = ()  #: face
    styles: tuple[str, ...] = ()  #: image
    duration_s: float | None = None  #: music (and silent face clips)
    size: int | tuple[int, int] | None = None  #: image: a side, or (width, height)


@dataclass(frozen=True)
class Spec:
    name: str
    seed: int
    modalities: tuple[ModalitySpec, ...]
    emotions: tuple[str, ...]  #: the emotion specs items cycle through (balanced: equal shares)
    recognised_by: str = "both"  #: "both" judges, "any" judge, or "none" (keep everything)
    min_fidelity: float = 0.0
    max_attempts: int = 3
    audio_format: str = "wav"
    balance: str = "equal"  #: "equal": top up labels the filter thinned with extra candidates; "none"
    extra_budget: float = 1.0  #: extra candidates per label, as a multiple of its share
    description: str = ""
    source: str = ""

    @property
    def filtered(self) -> bool:
        """Whether the judges can reject an item (else every item is kept: none is retried, no label falls short)."""
        return self.recognised_by != "none" or self.min_fidelity > 0

    @property
    def most_seconds(self) -> float:
        """The most seconds of audio and video a build of this spec can write: each of `most_takes`'s takes as
        long as its modality's item can be (music and silent faces their ``duration_s``, the composer's 30 s when
        none is given; speech and faces their longest text read at `SPEECH_CHARS_PER_S`; pictures none): the
        web's bound on an uploaded spec's time and disk (2,000 music items of 600 s passed the bound on takes and
        would have run 8 hours and written 52 GB)."""
        items = sum(m.count for m in self.modalities)
        seconds = 0.0
        for m in self.modalities:
            if m.name == "image":
                continue
            longest = max((len(t) for t in m.texts), default=0) / SPEECH_CHARS_PER_S
            seconds += m.count * (longest if m.texts else (m.duration_s or 30.0))
        return seconds * self.most_takes / max(items, 1)

    @property
    def most_takes(self) -> int:
        """The most generations a build of this spec can make: its items, with balancing's extra candidates and
        every attempt of each (the web's bound on an uploaded spec's work)."""
        items = sum(m.count for m in self.modalities)
        extra = self.extra_budget if self.balance == "equal" and self.filtered else 0.0
        return int(items * (1 + extra) * (self.max_attempts if self.filtered else 1))


def _err(field_name: str, problem: str, accepted: str) -> UserError:
    return UserError(f"spec field '{field_name}': {problem}; accepted: {accepted}")


def _str_list(value: Any, field_name: str, base: Path, allow_file: bool = True, unique: bool = True
              ) -> tuple[str, ...]:
    """A list of strings, or ``{file: PATH}`` with one per line (relative to the spec's folder; UTF-8, with or
    without the byte-order mark Windows editors write); each given once where ``unique`` (the emotions check their
    own repeats, by what they mean)."""
    accepted = "a list of strings or {file: PATH} (one per line)" if allow_file else "a list of strings"
    if isinstance(value, Mapping) and allow_file and set(value) == {"file"}:
        path = (base / str(value["file"])).expanduser()
        if not path.is_file():
            raise _err(field_name, f"file {path} not found", accepted)
        from conditioning.media import MediaError
        from studio.critique import read_text_file

        try:  # UTF-8, or UTF-8 / UTF-16 with a byte-order mark (Notepad's UTF-16 was a UnicodeDecodeError traceback)
            lines = read_text_file(path).splitlines()  # (its decoders drop the byte-order mark)
        except MediaError:
            raise _err(field_name, f"file {path} is not text in UTF-8 (or UTF-16 with its byte-order mark)",
                       accepted) from None
        numbered = [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]
        items, numbers, where = tuple(x for _, x in numbered), [n for n, _ in numbered], "lines {} and {} of its file"
    elif isinstance(value, str):
        items, numbers, where = (value,), [1], ""
    elif isinstance(value, list):
        for i, x in enumerate(value):  # YAML reads a bare Yes, No, On or 5 as a boolean or a number
            if not isinstance(x, str):
                raise _err(f"{field_name}[{i}]", f"got {x!r} ({type(x).__name__})",
                           "a string (quote it: YAML reads a bare yes, no, on, off or a number as something else)")
            if not x.strip():
                raise _err(f"{field_name}[{i}]", "is empty", "a non-empty string (leave the entry out)")
        items, numbers, where = tuple(x.strip() for x in value), list(range(1, len(value) + 1)), "entries {} and {}"
    else:
        raise _err(field_name, f"got {type(value).__name__}", accepted)
    if not items:
        raise _err(field_name, "is empty", "at least one non-empty string")
    first: dict[str, int] = {}
    for i, x in enumerate(items):  # a repeated voice or text took twice its share of the items, without a word
        if unique and x in first:  # (an audit; a repeated emotion was already refused). Where: the lines of its
            # file (blank lines are skipped, so the entries' count pointed at the wrong line: a re-audit)
            raise _err(field_name, f"{x[:60]!r} is given twice ({where.format(numbers[first[x]], numbers[i])})",
                       "each once: every one gets an equal share")
        first.setdefault(x, i)
    return items


def _number(value: Any, field_name: str, lo: float, hi: float, integer: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (not integer or float(value).is_integer())
    if not ok or not (lo <= value <= hi):
        kind = "an integer" if integer else "a number"
        bound = (lambda x: f"{int(x):,}") if integer else (lambda x: f"{x:g}")  # (2.14748e+09 for 2,147,483,647)
        raise _err(field_name, f"got {value!r}", f"{kind} from {bound(lo)} to {bound(hi)}")
    return int(value) if integer else float(value)


#: The fields each kind of emotion sampling reads
EMOTION_FIELDS = {"grid": {"labels", "intensities"}, "va": {"cells", "range"}, "list": {"list"}}
#: The most emotions a spec may list (a grid's labels x intensities, or a list): each is parsed and checked before any
#: work, about half a millisecond each, and a million (10,000 labels x 100 intensities) held a core for minutes with
#: no word, on the web too; each emotion gets an equal share of the items, so more is no finer a dataset
MAX_EMOTIONS = 10_000


def _emotions(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """The emotion specs: a grid of labels x intensities, stratified valence-arousal cells, or a list (mixes
    such as "joy:0.6+surprise:0.4" are list entries). Each is parsed now, so a bad one fails before any work."""
    from conditioning import Emotion
    from conditioning.errors import EmotionSpecError

    e = spec.get("emotions")
    if not isinstance(e, Mapping):
        raise _err("emotions", "missing or not a mapping", "{sampling: grid|va|list, ...}")
    sampling = e.get("sampling", "grid" if "labels" in e else "list")
    if sampling not in SAMPLING:
        raise _err("emotions.sampling", f"got {sampling!r}", ", ".join(SAMPLING))
    fields = EMOTION_FIELDS[sampling]  # a misspelt 'intensitys' built with the default intensities, silently
    extra = sorted(set(e) - fields - {"sampling"})
    if extra:
        raise _err(f"emotions.{extra[0]}", f"unknown field for sampling {sampling}", ", ".join(sorted(fields | {"sampling"})))
    if sampling == "grid":
        labels = _str_list(e.get("labels", []), "emotions.labels", Path("."), allow_file=False, unique=False)
        raw = e.get("intensities", [1.0])
        if not isinstance(raw, list) or not raw:
            raise _err("emotions.intensities", f"got {raw!r}", "a list of numbers in (0, 1]")
        if len(labels) * len(raw) > MAX_EMOTIONS:
            raise _err("emotions", f"{len(labels):,} labels x {len(raw):,} intensities are {len(labels) * len(raw):,} "
                       "emotions", f"at most {MAX_EMOTIONS:,} emotions (each gets an equal share of the items)")
        ints = [_number(x, "emotions.intensities", 0.01, 1.0) for x in raw]
        for lab in labels:
            if "@" in lab:  # the grid crosses labels with intensities: 'joy@0.5' would become 'joy@0.5@0.6'
                raise _err("emotions.labels", f"{lab!r} carries its own intensity", "labels or mixes without '@'; "
                           "the grid's intensities go in emotions.intensities (or use emotions.list)")
        out = tuple(f"{lab}@{k:g}" for lab in labels for k in ints)
    elif sampling == "va":
        n = _number(e.get("cells", 5), "emotions.cells", 2, 21, integer=True)
        raw = e.get("range", [-0.9, 0.9])
        if not (isinstance(raw, list) and len(raw) == 2):
            raise _err("emotions.range", f"got {raw!r}", "[low, high] with low < high, within [-1, 1]")
        lo, hi = raw
        lo = _number(lo, "emotions.range", -1, 1)
        hi = _number(hi, "emotions.range", -1, 1)
        if hi <= lo:
            raise _err("emotions.range", f"got [{lo}, {hi}]", "[low, high] with low < high, within [-1, 1]")
        step = (hi - lo) / n  # stratified: the centre of each of n x n cells (jitter is the item seed's job)
        centre = lambda k: round(lo + (k + 0.5) * step, 3) + 0.0  # noqa: E731  (+ 0.0: "v=-0.000" was written)
        out = tuple(f"v={centre(i):.3f},a={centre(j):.3f}" for i in range(n) for j in range(n))
    else:
        out = _str_list(e.get("list", []), "emotions.list", Path("."), allow_file=False, unique=False)
        if len(out) > MAX_EMOTIONS:
            raise _err("emotions.list", f"{len(out):,} emotions", f"at most {MAX_EMOTIONS:,} (each gets an equal "
                       "share of the items)")
    seen: dict[str, str] = {}
    for s in out:
        try:
            target = Emotion.parse(s)  # any emotion at intensity 0 is the neutral point ('joy@0', 'sadness@0' and
            # 'neutral' were three emotions of one point and one label: a consumer's audit)
            key = json.dumps(target.to_json(), sort_keys=True) if target.intensity > 0 else "the neutral point"
        except EmotionSpecError as exc:
            if "accepted:" in str(exc):  # the parser already says what it accepts
                raise UserError(f"spec field 'emotions': {exc}") from None
            raise _err("emotions", str(exc), "labels of the vocabulary (emostudio emotion --list), mixes "
                       "'joy:0.6+surprise:0.4', 'anger@0.5' or 'v=0.3,a=-0.2'") from None
        if key in seen:  # two shares of one emotion, whose balancing counted each other's items
            same = "" if seen[key] == s else f" (as {seen[key]!r})"
            raise _err("emotions", f"{s!r} is given twice{same}", "each emotion once: every one gets an equal share"
                       + ("; at intensity 0 every emotion is the neutral point" if key == "the neutral point" else ""))
        seen[key] = s
    return out


MODALITY_FIELDS = {
    "speech": {"count", "backend", "texts", "voices"},
    "music": {"count", "backend", "prompts", "duration_s"},
    "image": {"count", "backend", "prompts", "styles", "size"},
    "face": {"count", "backend", "texts", "voices", "portraits", "duration_s"},
}


#: What a spec read with ``local_files=False`` (an upload to the web studio) says instead of reading a path.
SERVER_FILES = ("names a file on the server, and a spec uploaded to the web studio may not read the server's files; "
                "accepted there: {what}, or run `emostudio dataset SPEC` on your own machine")


def load_spec(path: str | Path, *, local_files: bool = True) -> Spec:
    """Read and check a spec; a `UserError` names the first bad field and what it accepts. With ``local_files``
    False (a spec uploaded to the web studio) a field that names a file (texts or prompts as ``{file: PATH}``,
    portraits, a voice given as a path) is refused: the paths are the server's, and reading them would hand any
    file the server can read to whoever can reach the page (a text file's lines come back in the manifest)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such spec file")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_unique_key_loader(aliases=local_files))
    except yaml.YAMLError as exc:  # where and what, in one line ("line 3, column 1: expected ',' or ']' ...")
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}:" if mark is not None else ":"
        what = "; ".join(x for x in (getattr(exc, "problem", None), getattr(exc, "context", None)) if x)
        raise UserError(f"{path}: not valid YAML{where} {what or str(exc).splitlines()[0]}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a text file in UTF-8; a spec is YAML or JSON text (see examples/)") from None
    if not isinstance(raw, Mapping):
        raise UserError(f"{path}: a spec is a YAML mapping with name, modalities, emotions (see examples/)")
    known = {"name", "description", "seed", "modalities", "emotions", "filter", "formats", "balance"}
    extra = set(raw) - known
    if extra:
        raise _err(sorted(extra)[0], "unknown field", ", ".join(sorted(known)))
    base = path.parent
    name = raw.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise _err("name", f"got {name!r}", "a non-empty string")
    # no seed: one from the name, so that two specs told apart only by name (a train and a test set) make different
    # takes (both took seed 0, and the test set's items were the train set's first ones, byte for byte)
    seed = (_number(raw["seed"], "seed", 0, 2**31 - 1, integer=True) if "seed" in raw
            else name_seed(name))
    mods = raw.get("modalities")
    if not isinstance(mods, Mapping) or not mods:
        raise _err("modalities", "missing or empty", f"a mapping with any of {', '.join(MODALITIES)}")
    out = []
    for m, cfg in mods.items():
        if m not in MODALITIES:
            raise _err(f"modalities.{m}", "unknown modality", ", ".join(MODALITIES))
        if not isinstance(cfg, Mapping):
            raise _err(f"modalities.{m}", "not a mapping", "{count: N, ...}")
        bad = set(cfg) - MODALITY_FIELDS[m]
        if bad:
            raise _err(f"modalities.{m}.{sorted(bad)[0]}", "unknown field", ", ".join(sorted(MODALITY_FIELDS[m])))
        count = _number(cfg.get("count"), f"modalities.{m}.count", 1, 1_000_000, integer=True)
        if not local_files:
            _no_server_files(cfg, f"modalities.{m}")
        lists = {k: _str_list(cfg[k], f"modalities.{m}.{k}", base) for k in ("texts", "prompts", "voices", "portraits", "styles")
                 if k in cfg}
        if m in ("speech",) and "texts" not in lists:
            raise _err(f"modalities.{m}.texts", "missing", "a list of sentences or {file: PATH}")
        for p in lists.get("portraits", ()):
            if not (base / p).expanduser().is_file():
                raise _err(f"modalities.{m}.portraits", f"file {p} not found", "image files (relative to the spec)")
        backend = cfg.get("backend")
        if backend is not None and not isinstance(backend, str):
            raise _err(f"modalities.{m}.backend", f"got {backend!r}", "a backend name, e.g. piper")
        if backend is not None:  # 'image/procedural', as reports and manifests name backends, is 'procedural'
            backend = backend.removeprefix(f"{m}/")
        dur = cfg.get("duration_s")
        if m == "face" and dur is not None and lists.get("texts"):  # (it was dropped: the speech sets the length)
            raise _err(f"modalities.{m}.duration_s", "is for silent face clips; with texts each video lasts as long "
                       "as its speech", "duration_s without texts, or texts without duration_s")
        size = cfg.get("size")
        portraits = tuple(str((base / p).expanduser().resolve()) for p in lists.get("portraits", ()))
        if len(set(portraits)) < len(portraits):  # one file under two spellings (p.png, ./p.png): twice its share
            i = next(i for i, p in enumerate(portraits) if p in portraits[:i])
            raise _err(f"modalities.{m}.portraits", f"{lists['portraits'][i]!r} is {portraits[i]}, given already as "
                       f"{lists['portraits'][portraits.index(portraits[i])]!r}", "each file once: every one gets an "
                       "equal share")
        out.append(ModalitySpec(m, count, backend, lists.get("texts", ()), lists.get("prompts", ()), lists.get("voices", ()),
                                portraits,
                                lists.get("styles", ()),
                                None if dur is None else _number(dur, f"modalities.{m}.duration_s", 1, 600),
                                _size(size, f"modalities.{m}.size")))
        _check_choices(out[-1])
    flt = raw.get("filter", {}) or {}
    if not isinstance(flt, Mapping):
        raise _err("filter", "not a mapping", "{recognised_by: both|any|none, min_fidelity: 0-1, max_attempts: N}")
    bad = set(flt) - {"recognised_by", "min_fidelity", "max_attempts"}
    if bad:
        raise _err(f"filter.{sorted(bad)[0]}", "unknown field", "recognised_by, min_fidelity, max_attempts")
    rec = flt.get("recognised_by", "both")
    if rec not in ("both", "any", "none"):
        raise _err("filter.recognised_by", f"got {rec!r}", "both, any, none")
    fmt = raw.get("formats", {}) or {}
    if not isinstance(fmt, Mapping):
        raise _err("formats", f"got {fmt!r}", "a mapping such as {audio: flac}")
    if set(fmt) - {"audio"}:  # formats: {image: jpg} was accepted and PNGs written
        raise _err(f"formats.{sorted(set(fmt) - {'audio'})[0]}", "unknown field (pictures are PNG, videos MP4)",
                   "audio: wav or flac")
    audio_format = fmt.get("audio", "wav")
    if audio_format not in ("wav", "flac"):
        raise _err("formats.audio", f"got {audio_format!r}", "wav, flac")
    bal = raw.get("balance", {}) or {}
    if not isinstance(bal, Mapping) or set(bal) - {"per_label", "extra_budget"}:
        raise _err("balance", f"got {bal!r}", "{per_label: equal|none, extra_budget: 0-10}")
    per_label = bal.get("per_label", "equal")
    if per_label not in ("equal", "none"):
        raise _err("balance.per_label", f"got {per_label!r}", "equal, none")
    return Spec(name.strip(), seed, tuple(out), _emotions(raw), rec,
                _number(flt.get("min_fidelity", 0.0), "filter.min_fidelity", 0, 1),
                _number(flt.get("max_attempts", 3), "filter.max_attempts", 1, 50, integer=True),
                audio_format, per_label, _number(bal.get("extra_budget", 1.0), "balance.extra_budget", 0, 10),
                _description(raw.get("description", "")), str(path) if local_files else Path(path).name)


def name_seed(name: str) -> int:
    """The seed of a spec that gives none: 1 to 2**31 - 1 from its name (CRC-32). Two names meet about one time in
    two billion (they met one time in 1,600 while item seeds had to stay within 31 bits: 'emotion_calm-train' and
    '-test' did); sets that must differ can still be given seeds of their own."""
    import zlib

    return zlib.crc32(name.strip().encode("utf-8")) % (2**31 - 1) + 1


def _no_server_files(cfg: Mapping, where: str) -> None:
    """Refuse a modality's fields that name files (see `load_spec`'s ``local_files``)."""
    for k in ("texts", "prompts", "voices", "styles"):
        if isinstance(cfg.get(k), Mapping):
            raise _err(f"{where}.{k}", SERVER_FILES.format(what="the lines written in the spec as a list"),
                       "a list of strings")
    if "portraits" in cfg:
        raise _err(f"{where}.portraits", SERVER_FILES.format(what="no portraits (the built-in one is used)"),
                   "leave portraits out")
    voices = cfg.get("voices")
    for v in ([voices] if isinstance(voices, str) else voices if isinstance(voices, list) else []):
        if isinstance(v, str) and ("/" in v or "\\" in v or Path(v).suffix.lower() in (".onnx", ".wav", ".flac")):
            raise _err(f"{where}.voices", f"{v!r} " + SERVER_FILES.format(what="the built-in voices' names"),
                       "voice names (joe, slt) or descriptions")


def _weights_reason(path: str) -> str:
    """Why a folder named for a neural backend's weights cannot serve: what is (or is not) there."""
    folder = Path(path).expanduser()
    if not folder.exists():
        return "does not exist"
    if not folder.is_dir():
        return "is a file, not a folder"
    from conditioning.weights import held_model

    held = held_model(folder)
    if held is None:
        index = [n for n in ("model_index.json", "config.json") if (folder / n).exists()]
        return (f"has a {index[0]} that is not readable JSON" if index
                else "holds no model_index.json or config.json (no weights of a model)")
    return f"holds {held[0] + ' weights' if held[0] else 'weights of no stated model'} ({held[1]}), not this backend's"


def _check_choices(m: "ModalitySpec") -> None:
    """The names a generator resolves only when it runs (backend, voice, style, portrait), checked with the spec:
    a bad one used to stop the job at its first item of that kind, after spec.json was written."""
    from generators.base import GenerationError
    from generators.registry import DEFAULTS, GENERATORS, MODEL_ENVS

    backends = [k.split("/", 1)[1] for k in GENERATORS if k.startswith(m.name + "/")]
    if m.backend is not None and m.backend not in (*backends, "auto"):
        raise _err(f"modalities.{m.name}.backend", f"unknown backend {m.backend!r}", ", ".join([*backends, "auto"]))
    auto = m.backend in (None, "auto")
    backend = DEFAULTS[m.name] if auto else m.backend
    # auto uses the neural backend whose variable is set (`load_generator`; a built-in voice picks its own): checked
    # as that one, where the spec was checked against the embedded default and failed at its first item (an audit)
    chosen = next((k for k, env in MODEL_ENVS.items() if auto and k.startswith(m.name + "/") and os.environ.get(env)
                   and not (m.name == "speech" and _builtin_voices(m) and m.voices)), None)
    chosen_by = MODEL_ENVS[chosen] if chosen else None
    backend = chosen.split("/", 1)[1] if chosen else backend
    key = f"{m.name}/{backend}"
    if key == "speech/coqui":  # it clones a voice from recordings, given per request: a spec has no field for them
        raise _err(f"modalities.{m.name}.backend", "speech/coqui clones a voice from your recordings, which a "
                   "dataset spec cannot give yet (it stopped the job at its first item)",
                   "piper, festival, diffusion (with local weights) or auto; for cloned voices, "
                   "`emostudio generate speech --backend coqui --voice-clip ...`")
    if (chosen_by or not auto) and key in MODEL_ENVS:  # a neural backend: its weights are found by their variable
        from conditioning.registry import BackendUnavailable, load_class
        from generators.registry import EXTRAS

        try:
            runs = load_class(GENERATORS[key], key, EXTRAS.get(key)).can_run()
        except BackendUnavailable as exc:
            raise _err(f"modalities.{m.name}.backend", f"{key} cannot run here: {exc}",
                       f"a backend that runs here, e.g. {DEFAULTS[m.name]}") from None
        env = MODEL_ENVS[key]
        instead = f"{DEFAULTS[m.name]} (embedded), " + (f"or unset ${env}" if chosen_by else "or auto")
        if not runs:  # it failed at its first item, after spec.json was written
            why = (f"${env} is set to {os.environ[env]}, which {_weights_reason(os.environ[env])}"
                   if os.environ.get(env) else f"set ${env} to their folder")  # (it said "set" when it was)
            problem = (f"auto uses {key}, since ${env} is set, and it cannot run: {why}" if chosen_by
                       else f"{key} needs its local weights: {why}")
            raise _err(f"modalities.{m.name}.backend", f"{problem} (and the neural extra installed)", instead)
        from generators.registry import load_generator

        try:  # its folder checked as the backend checks it, without torch: a tokenizer left out of a download, or
            # another kind of pipeline, had passed and failed at the first item, after spec.json (an audit)
            load_generator(m.name, backend)
        except (BackendUnavailable, GenerationError) as exc:
            raise _err(f"modalities.{m.name}.backend", f"{key} cannot use its weights: {exc}", instead) from None
    if m.texts:  # what every speech backend refuses (emoji, empty, too long); the built-in voices read Latin only
        from generators.speech.text import check_text

        from generators.speech.festival import festival_text

        latin = _builtin_voices(m)
        festival = "slt" in m.voices or m.backend in ("festival", "speech/festival")
        for i, text in enumerate(m.texts, 1):
            try:
                checked = check_text(text, latin_only=latin)
                if festival:  # its voice's letters are ASCII: 'Ŋ' would be left out of the take
                    festival_text(checked)
            except GenerationError as exc:  # its message says what is accepted
                hint = ""
                if latin and _readable_elsewhere(text):
                    hint = (f"; the built-in voices (joe, slt) speak English in Latin letters: for this text give a "
                            f"Piper voice of its language in modalities.{m.name}.voices (a path to its .onnx)")
                raise UserError(f"spec field 'modalities.{m.name}.texts': text {i} ({text[:40]!r}): {exc}{hint}") \
                    from None
    if m.voices:
        _check_voices(m, backend if not auto else None)
    if m.styles and backend != "procedural":  # (diffusion refused them at its first item: "unknown option 'style'")
        raise _err(f"modalities.{m.name}.styles", f"styles are the procedural backend's, and this spec uses "
                   f"{key}{f' (auto, since ${chosen_by} is set)' if chosen_by else ''}",
                   "backend: procedural, or no styles (a diffusion model takes a prompt instead)")
    if m.styles and backend == "procedural":
        from generators.image.procedural import STYLES

        for style in m.styles:
            if style not in STYLES:
                raise _err(f"modalities.{m.name}.styles", f"unknown style {style!r}", ", ".join(STYLES))
    for portrait in m.portraits:
        from conditioning.media import READ_IMAGE_SUFFIXES, MediaError, load_image

        try:
            load_image(portrait)  # as the animator will read it (upright, HEIC with its extra)
        except MediaError as exc:  # its reason, without the path (the spec names it) or the list (said below)
            why = str(exc).split("; accepted:")[0].split(": ", 1)[-1]
            raise _err(f"modalities.{m.name}.portraits", f"{Path(portrait).name}: {why}",
                       f"pictures in {', '.join(READ_IMAGE_SUFFIXES)}") from None
    if m.portraits and backend == "animator":  # a picture without a face stopped the job at its first item
        from generators.base import GenerationError
        from generators.face.animator import FaceAnimator

        animator = FaceAnimator()  # (its face finder loads once; fitting a portrait takes ~0.3 s)
        for portrait in m.portraits:
            try:
                animator.portrait(portrait)
            except GenerationError as exc:  # "no face found in the portrait (x.png); give a photo with ..."
                raise UserError(f"spec field 'modalities.{m.name}.portraits': {exc}") from None


def _readable_elsewhere(text: str) -> bool:
    """Whether a voice of another language could read ``text`` (`check_text` without the Latin-only rule)."""
    from generators.base import GenerationError
    from generators.speech.text import check_text

    try:
        check_text(text, latin_only=False)
    except GenerationError:
        return False
    return True


def _builtin_voices(m: "ModalitySpec") -> bool:
    """Whether every item of a modality is spoken by the built-in voices (joe, slt, or none named), which are US
    English and refuse other scripts than Latin; a voice of the user's own reads its own language."""
    from generators.registry import VOICE_BACKENDS

    speaks = m.name == "face" or m.backend in (None, "auto", *VOICE_BACKENDS.values())  # (a face: its voices')
    return speaks and set(m.voices) <= set(VOICE_BACKENDS)


def _check_voices(m: "ModalitySpec", backend: str | None) -> None:
    """Each voice through its speech backend's own resolution (no model loads), as the studio resolves it: with
    the backend on auto (``None``), and for a face's speech, a built-in voice picks its own backend."""
    from generators.registry import DEFAULTS, VOICE_BACKENDS
    from generators.speech import festival, piper  # (both import their engines lazily: no extra needed here)

    for voice in m.voices:
        speaker = VOICE_BACKENDS.get(voice, DEFAULTS["speech"]) if backend is None or m.name == "face" else backend
        resolve = {"piper": piper.resolve_voice, "festival": festival.resolve_voice}.get(speaker)
        try:
            if resolve:  # (the neural voices are descriptions or recordings)
                resolve(voice)
        except piper.VoiceNotFound as exc:
            raise _err(f"modalities.{m.name}.voices", str(exc).replace("add --backend", "set backend:")
                       .replace("with --backend festival", "with backend: festival"),
                       "a voice of the modality's backend") from None


MAX_DESCRIPTION = 10_000  #: characters of a spec's description (it is copied into the dataset card)


def _description(value) -> str:
    """The spec's description: a string of at most `MAX_DESCRIPTION` characters (anything else was turned into
    one with ``str``, so a nest of lists became a string of any size)."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        what = f"{len(value):,} characters" if isinstance(value, str) else f"a {type(value).__name__}"
        raise _err("description", f"got {what}", f"text of at most {MAX_DESCRIPTION:,} characters")
    return value


def _unique_key_loader(aliases: bool = True):
    """yaml's SafeLoader, refusing a key given twice in one mapping (two ``speech:`` entries used to keep the
    last one silently), and without ``aliases`` any alias (``*name``): a spec uploaded to the web made of nested
    aliases is a few hundred bytes that expand to gigabytes once written out ("billion laughs")."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if not aliases and self.check_event(yaml.events.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, "an alias (*name): a spec uploaded to the web studio "
                                                  "gives every value in full", event.start_mark)
            return super().compose_node(parent, index)

        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} is given twice",
                                                            key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep)

    return UniqueKeyLoader


# ------------------------------------------------------------------------------------------------ the plan
@dataclass(frozen=True)
class Item:
    id: str
    modality: str
    emotion: str
    seed: int
    backend: str | None = None
    text: str | None = None
    prompt: str | None = None
    voice: str | None = None
    portrait: str | None = None
    style: str | None = None
    duration_s: float | None = None
    size: int | tuple[int, int] | None = None


#: Version of `plan`'s design, kept in spec.json: a dataset half built under another design is not resumed with
#: this one (its items would mix two designs). 2: every emotion takes the same factor sequence (design 1 offset
#: each emotion's voices by its index, so with intensities listed fastest a voice went with one intensity).
#: 3: item seeds start at a hash of the spec's seed (`spec_base`), and a balancing extra takes the factors of
#: the rejected planned items in turn, whatever became of the extras before it.
PLAN_VERSION = 3


def crossed(q: int, sizes: list[int]) -> list[int]:
    """The q-th combination of factors with these sizes (texts, voices, portraits, styles), in an order where
    every factor changes from one item to the next. With the factors taken largest first, q's mixed-radix digits
    are d_1, d_2, ... (d_1 fastest) and factor i takes (d_1 + ... + d_i) mod its size: the first ``prod(sizes)``
    combinations are all different (d_i is recovered from the indices one by one), and within each aligned run of
    as many items as the largest factor has values, a factor's values come up as often as each other, give or
    take one. A plain mixed-radix count showed one voice until every text had been said, so an emotion with as
    many items as texts heard one voice."""
    out = [0] * len(sizes)
    rest, total = q, 0
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):  # (stable: texts before voices at a tie)
        n = max(1, sizes[i])
        rest, digit = divmod(rest, n)
        total += digit
        out[i] = total % n
    return out


def _factors(m: ModalitySpec) -> list[tuple[str, tuple]]:
    """The factors a modality's items vary over (what is said or shown, who, how): `crossed` takes the largest
    first, this order at a tie."""
    return [("texts", m.texts), ("prompts", m.prompts), ("voices", m.voices), ("portraits", m.portraits),
            ("styles", m.styles)]


def plan(spec: Spec) -> list[Item]:
    """Every item of the dataset, fixed by the spec alone: emotions in equal shares (item k takes emotion
    k mod E, so any prefix is balanced to within one); the q-th item of every emotion takes the q-th combination of
    text or prompt, voice, portrait and style (`crossed`), the same for every emotion, so no factor tells the
    emotions apart (each emotion sees each voice equally often, as near as its count allows); seed = the spec's
    base (`spec_base`) + item number. `spec_notes` says when an emotion has too few items to see every text or voice."""
    items = []
    n_e = len(spec.emotions)
    base = spec_base(spec.seed)
    for m in spec.modalities:
        factors = _factors(m)
        for k in range(m.count):
            e, q = k % n_e, k // n_e
            at = crossed(q, [len(xs) for _, xs in factors])
            text, prompt, voice, portrait, style = (xs[i] if xs else None for (_, xs), i in zip(factors, at))
            items.append(Item(f"{m.name}-{k:06d}", m.name, spec.emotions[e], base + len(items),
                              m.backend, text, prompt, voice, portrait, style, m.duration_s, m.size))
    return items


def extra_items(spec: Spec, done: Mapping[str, dict]) -> list[Item]:
    """Balance: for every (modality, emotion) whose kept items fall short of its share of the plan, the next
    extra candidates (ids ``<modality>-e<emotion>-x<j>``, their own seeds; the lowest not yet made first), as
    many as are missing, within ``extra_budget`` x the share. Extra j takes the text, voice, portrait and style of
    the (j mod n)-th of its emotion's n rejected planned items (by id), so that what the judges reject more often
    (one voice, one style) is retried as itself: topping up with the plan's first items gave the kept items of a
    label that one voice rejected mostly the other voice. An extra's factors depend on the plan's outcomes alone,
    never on the extras before it: they depended on which earlier extras were journaled, so a build resumed after
    a kill with two workers, whose later extra had finished first, drew other styles than an unbroken one. Called
    in rounds until nothing is missing, so the result depends only on the spec and the items' outcomes, not on
    how many workers made them or when the build was stopped."""
    if spec.balance != "equal" or not spec.filtered or spec.extra_budget <= 0:  # (unfiltered: none falls short)
        return []
    base = {it.id: it for it in plan(spec)}
    seed0 = spec_base(spec.seed)
    out = []
    n_e = len(spec.emotions)
    for m in spec.modalities:
        for e, emo in enumerate(spec.emotions):
            share = len(range(e, m.count, n_e))
            prefix = f"{m.name}-e{e:02d}-x"
            mine = [r for r in done.values() if r["modality"] == m.name and r["emotion_spec"] == emo
                    and (r["id"] in base or r["id"].startswith(prefix))]
            missing = share - sum(r["kept"] for r in mine)
            budget = math.ceil(spec.extra_budget * share)
            slots = [base[r["id"]] for r in sorted(mine, key=lambda r: r["id"]) if r["id"] in base and not r["kept"]]
            fallback = base.get(f"{m.name}-{e:06d}") or next(iter(base.values()))
            for j in range(budget):
                if missing <= 0:
                    break
                iid = f"{prefix}{j:04d}"
                if iid in done:
                    continue
                src = slots[j % len(slots)] if slots else fallback
                seed = seed0 + 50_000_000 + (MODALITIES.index(m.name) * 1000 + e) * 100_000 + j
                out.append(Item(iid, m.name, emo, seed, m.backend, src.text, src.prompt, src.voice, src.portrait,
                                src.style, m.duration_s, m.size))
                missing -= 1
    return out


# ----------------------------------------------------------------------------------------------- one item
_STUDIO = None  # one Studio per worker process (backends load once); it holds no per-request state
_STUDIO_LOCK = threading.Lock()


def _studio():
    global _STUDIO
    with _STUDIO_LOCK:  # two threads asking at once made two, each loading the models
        if _STUDIO is None:
            from studio.studio import Studio

            _STUDIO = Studio()
        return _STUDIO


def make_item(item: Item, spec: Spec, out: str, studio=None) -> dict:
    """Generate, judge and (if kept) write one item; returns its manifest row. Pure in its inputs: the same
    item and spec give the same row (timings aside) wherever it runs. ``studio``: the caller's (the web server's,
    whose models are loaded already), else one per process."""
    from conditioning.media import atomic_path

    from studio.generate import record_seal, save_media, take_record

    st = studio or _studio()
    options: dict[str, Any] = {}
    if item.voice:
        options["voice"] = item.voice
    if item.portrait:
        options["portrait"] = item.portrait
    if item.style:
        options["style"] = item.style
    if item.size:
        options["size"] = item.size
    t0 = time.perf_counter()
    best = None
    for attempt in range(spec.max_attempts):
        seed = item.seed + attempt * RETRY_STRIDE
        res = st.generate(item.modality, item.emotion, backend=item.backend, seed=seed, text=item.text,
                          prompt=item.prompt, duration_s=item.duration_s, options=options)
        ok = _passes(res, spec, st.threshold)
        if best is None or (ok, res.best.fidelity or 0) > (best[1], best[0].best.fidelity or 0):
            best = (res, ok, seed, attempt + 1)
        if ok:
            break
    res, ok, seed, best_attempt = best
    row = _row(item, spec, res, seed, attempt + 1, ok, time.perf_counter() - t0, st.threshold)
    row["best_attempt"] = best_attempt
    if ok:
        folder = Path(out) / item.modality
        suffix = ".flac" if item.modality in ("speech", "music") and spec.audio_format == "flac" else SUFFIX[item.modality]
        from studio.output import file_metadata

        # a picture's text chunks as `generate image` writes them (emotion, provenance, Software, the prompt)
        path = save_media(folder / f"{item.id}{suffix}", res.media,
                          file_metadata(res.target, res.best.result.provenance,
                                        **({"prompt": item.prompt} if item.prompt else {})))
        row["file"] = str(path.relative_to(out))
        # as a take's report does: so that `critique` reads the item against the neutral take its judges read it
        # against, not alone (where both speech judges hear the Piper voice as one emotion whatever it expresses)
        row.update(take_record(path, res))
        midi = res.best.result.extras.get("midi_bytes")
        if midi:
            with atomic_path(folder / f"{item.id}.mid") as tmp:
                tmp.write_bytes(midi)
            row["midi"] = f"{item.modality}/{item.id}.mid"
            row["midi_sha256"] = hashlib.sha256(midi).hexdigest()  # (`critique` reads it as the item's notes)
        row["record_sha256"] = record_seal(row)
    return row


def _passes(res, spec: Spec, threshold: float) -> bool:
    """The filter over the judges' votes (`Judgement.recognises`: a judge that cannot name the target's label
    votes by its fidelity against ``threshold``, so 'both' is never impossible for a modality; a judge that
    could not read the take votes no)."""
    if spec.recognised_by == "both":
        recognised = res.best.recognised(threshold)
    elif spec.recognised_by == "any":
        recognised = any(res.best.votes(threshold))
    else:
        recognised = True
    return recognised and (res.best.fidelity or 0.0) >= spec.min_fidelity


def _row(item: Item, spec: Spec, res, seed: int, attempts: int, kept: bool, seconds: float,
         threshold: float) -> dict:
    from conditioning.metrics import target_label

    t = res.target  # labelled as judged: 'joy@0' is the neutral point, a neutral take
    prov = res.best.result.provenance
    media = res.media
    duration = getattr(media, "duration_s", None)
    voice = res.speech.best.result.provenance if getattr(res, "speech", None) is not None else None  # a face's
    spoken = {"speaker": (voice or prov).model if item.modality in ("speech", "face") else None}
    if voice is not None:  # a talking face's soundtrack: its judges' readings and its voice's terms, as a take's
        spoken["speech"] = {"backend": voice.backend, "licence": voice.licence,  # report gives them
                            "readings": _readings(res.speech.best.judgements, threshold),
                            "recognised": res.speech.best.recognised(threshold)}
    return {
        "id": item.id, "modality": item.modality, "file": None, "kept": kept, "attempts": attempts,
        "emotion_spec": item.emotion, "target": t.to_json(), "label": target_label(t),
        "target_valence": round(t.valence, 4), "target_arousal": round(t.arousal, 4),
        "target_dominance": round(t.dominance, 4), "intensity": round(t.intensity, 4),
        "readings": _readings(res.best.judgements, threshold),
        "unread": [u.to_json() for u in res.best.unread],
        "fidelity": None if res.best.fidelity is None else round(res.best.fidelity, 4),
        "recognised": res.best.recognised(threshold),  # every judge says yes, as the filter counts it
        "text": item.text, "prompt": item.prompt, "voice": item.voice,
        "portrait": _portrait_id(item.portrait, spec), "style": item.style,
        "seed": seed, "backend": prov.backend, "model": prov.model, "licence": prov.licence,
        "provenance": prov.to_json(),
        "duration_s": None if duration is None else round(float(duration), 3),
        "seconds": round(seconds, 3), **spoken,
        # what the studio noted about the take (its words pulling against its label, a text in another language)
        **({"notes": res.all_notes} if res.all_notes else {}),
    }


def _portrait_id(portrait: str | None, spec: Spec) -> str | None:
    """A portrait as rows name it: its file name, or where two of the spec's portraits share a name, its path
    from their common folder (``a/face.png``, ``b/face.png``: both were ``face.png``, one portrait to the card)."""
    if not portrait:
        return None
    every = sorted({p for m in spec.modalities for p in m.portraits})
    if sum(Path(p).name == Path(portrait).name for p in every) < 2:
        return Path(portrait).name
    return Path(portrait).relative_to(os.path.commonpath(every)).as_posix()


def _readings(judgements, threshold: float) -> list[dict]:
    """Each judge's reading of an item as its row keeps it, with its vote in the filter (``recognises``)."""
    return [{"critic": j.critic, "valence": round(j.reading.valence, 4), "arousal": round(j.reading.arousal, 4),
             "top": j.reading.emotion.top, "fidelity": round(j.fidelity, 4), "agrees": j.agrees,
             "recognises": j.recognises(threshold)} for j in judgements]


# ------------------------------------------------------------------------------------------- the journal
def read_journal(path: Path) -> tuple[dict[str, dict], int]:
    """A dataset's journal (``manifest.jsonl``) as (the items by id, the bytes of its whole lines), leaving the
    file as it is: a line torn by a kill ends it (everything after it is not trusted), and the first line of an
    item wins. `Journal.load` for a build to resume from; ``critique`` reads a dataset's items against their
    rows, perhaps while a build is still appending."""
    rows: dict[str, dict] = {}
    good = 0
    with open(path, "rb") as fh:
        data = fh.read()
    lines = data.splitlines(keepends=True)
    for n, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            row = None
        if row is None or not line.endswith(b"\n"):
            if n == len(lines):  # a torn tail: the kill came while this line was written
                break
            # not torn (lines follow it): cutting the file here, as a torn tail, dropped every later item
            raise UserError(f"{path}: line {n} of {len(lines)} is not a whole JSON line ({line[:60]!r}); the "
                            "lines after it are items that cutting it would lose: mend or delete that line")
        if not (isinstance(row, dict) and isinstance(row.get("id"), str)):
            raise UserError(f"{path} has a line that is not a dataset item of the studio's: {line[:80]!r}")
        rows.setdefault(row["id"], row)  # never two rows for one item
        good += len(line)
    return rows, good


class Journal:
    """``manifest.jsonl``: one line per finished item, appended and fsync'd; read back tolerating a torn tail."""

    def __init__(self, out: Path):
        self.path = out / "manifest.jsonl"

    def load(self) -> dict[str, dict]:
        """The finished items by id, for a build to resume from; a torn tail is cut off the file, so appends
        start on a clean line."""
        if not self.path.is_file():
            return {}
        rows, good = read_journal(self.path)
        if good < self.path.stat().st_size:
            with open(self.path, "r+b") as fh:
                fh.truncate(good)
        return rows

    def append(self, row: Mapping) -> None:
        line = (json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        try:
            with open(self.path, "ab") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:  # a full disk: name the journal ("[Errno 28] No space left on device" named nothing)
            if exc.filename or exc.errno is None:
                raise
            raise type(exc)(exc.errno, exc.strerror, str(self.path)) from None


# ---------------------------------------------------------------------------------------------- the job
def eta_text(seconds: float) -> str:
    """A time left as a reader takes it in: "07:30" (minutes and seconds) under an hour, "5 h 12 min" under two
    days, else days ("300 days": a million-item spec's "ETA 432639:30" read as minutes and seconds; an audit)."""
    if seconds < 3600:
        return f"{int(seconds // 60):02d}:{int(seconds % 60):02d}"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    return f"{seconds / 86400:,.0f} days"


@dataclass
class Progress:
    """A one-line progress bar with rate and ETA on stderr (quiet with ``--json`` unless a terminal). ``stage``
    says why the total grew after the bar was full (a balancing round), which otherwise read as a bar that
    went from 24/24 back to 25/37 unexplained."""

    total: int
    done: int = 0
    start: float = field(default_factory=time.perf_counter)
    enabled: bool = True
    stage: str = ""
    _new: int = 0

    def step(self, n: int = 1) -> None:
        self.done += n
        self._new += n
        if not self.enabled:
            return
        el = time.perf_counter() - self.start
        rate = self._new / el if el > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        width = 28
        filled = int(width * self.done / max(1, self.total))
        eta_s = "--:--" if math.isnan(eta) else eta_text(eta)
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {rate * 60:6.1f} items/min "
              f"ETA {eta_s}{f'  ({self.stage})' if self.stage else ''}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr, flush=True)


def _local_pool(workers: int):
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                               initializer=_die_with_parent, initargs=(os.getpid(),))


def _die_with_parent(parent: int) -> None:
    """Worker start-up: end this worker when the job that started it ends. A job killed with SIGKILL or
    SIGTERM runs no clean-up, and its spawned workers used to live on, each holding a model in memory and
    a core; the journal makes a rerun resume, so nothing in flight is worth keeping. Linux: the kernel sends
    SIGKILL when the parent dies (PR_SET_PDEATHSIG); elsewhere a thread polls the parent's pid."""
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the job's to handle, not each worker's traceback
    try:
        import ctypes

        if ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL) == 0:  # 1: PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before the request took effect
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass

    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _differences(now: dict, before: dict) -> list[str]:
    """The spec fields that differ between two spec.json documents, a modality's by name
    (``modalities.face.portraits``: "modalities differ" did not say that a moved spec's portraits had). The
    source file and the description (the card's text, rewritten on resume) may change."""
    out = []
    for k in sorted((set(now) | set(before)) - {"source", "description"}):
        if k == "modalities" and isinstance(before.get(k), list):
            mods = lambda doc: {m.get("name"): m for m in doc.get(k) or () if isinstance(m, dict)}  # noqa: E731
            a, b = mods(now), mods(before)
            out += [f"modalities.{n}" + (f".{f}" if f else "") for n in sorted(set(a) | set(b))
                    for f in ([None] if n not in a or n not in b else
                              sorted(f for f in set(a[n]) | set(b[n]) if a[n].get(f) != b[n].get(f)))]
        elif now.get(k) != before.get(k):
            out.append(k)
    return out


#: keys every spec.json the studio has written holds (`Spec`'s fields; design 1 wrote no "plan")
STUDIO_SPEC_KEYS = frozenset({"name", "seed", "modalities", "emotions"})


def studio_spec(doc) -> bool:
    """Whether a spec.json document is one the studio wrote: its keys, and no others (`Spec`'s fields, the plan's
    design and the judges' fingerprint), and its modalities the studio's, by name. Why so strict: a folder holding
    another tool's spec.json with the keys name, seed, modalities and emotions among its own was taken for a
    dataset, and its image/ folder of the user's files was deleted."""
    from dataclasses import fields

    known = {f.name for f in fields(Spec)} | {"plan", "judges", "threshold"}
    mods = doc.get("modalities") if isinstance(doc, dict) else None
    return (isinstance(doc, dict) and STUDIO_SPEC_KEYS <= set(doc) <= known and isinstance(mods, list)
            and all(isinstance(m, dict) and m.get("name") in MODALITIES for m in mods)
            and isinstance(doc["emotions"], list) and isinstance(doc["name"], str))


def judges_fingerprint(spec: Spec) -> str:
    """SHA-256 of what the spec's judges are (the shipped judges of its modalities, a face's voice's too: their
    code in ``critics/<modality>/`` and their weights in ``critics/weights/<modality>_*``, and the code that turns
    a reading into a vote), which spec.json records:
    a build resumed after an upgrade that changed a judge mixed two judges' filter decisions and readings, and
    nothing said so (an image dataset's readings moved by up to 0.064, one item's vote flipped)."""
    repo = Path(__file__).resolve().parents[1]
    root = repo / "critics"
    kinds = sorted({m.name for m in spec.modalities} | ({"speech"} if any(m.name == "face" for m in spec.modalities)
                                                          else set()))
    # and how a reading becomes a vote, which every judge shares (a quadrant's vote for each of its terms changed
    # music's filter decisions with no judge's file changed)
    shared = [root / "base.py", root / "registry.py", repo / "conditioning" / "metrics.py",
              repo / "conditioning" / "labelsets.py"]
    h = hashlib.sha256()
    for kind in kinds:
        for p in sorted([*(root / kind).rglob("*.py"), *(root / "weights").glob(f"{kind}_*")]):
            h.update(f"{p.relative_to(repo).as_posix()}\0".encode() + p.read_bytes())
    for p in shared:
        h.update(f"{p.relative_to(repo).as_posix()}\0".encode() + p.read_bytes())
    return h.hexdigest()


def _changed_outside(out: Path, done: Mapping[str, dict]) -> tuple[list[str], list[str]]:
    """The kept items' files (and scores) that are gone, and those whose SHA-256 is not the one their row recorded:
    a file cut short outside the studio was exported again as kept, and nothing said so (a consumer's audit).
    Hashing reads every kept file once per resume (about a second per GB)."""
    from studio.generate import file_sha256

    gone, changed = [], []
    for r in done.values():
        for name, sha in ((r.get("file"), r.get("sha256")), (r.get("midi"), r.get("midi_sha256"))):
            if not r.get("kept") or not isinstance(name, str):
                continue
            if not (out / name).is_file():
                gone.append(name)
            elif sha and file_sha256(out / name) != sha:
                changed.append(name)
    return gone, changed


def check_resumable(now: dict, out: Path) -> None:
    """``out`` must be empty, or a dataset folder built from this same spec (``now``: the spec as spec.json holds
    it; then the build resumes): a folder of someone else's files would be overwritten (README.md, manifests), and
    a changed spec would mix the old items with the new plan under the new spec.json."""
    old_spec = out / "spec.json"
    if old_spec.is_file():
        try:
            before = json.loads(old_spec.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            before = None
        if not studio_spec(before):  # another tool's spec.json: a folder of the user's, whose subfolders named
            # like the modalities were deleted below
            raise UserError(f"{old_spec} is not a dataset spec the studio wrote; choose a new --out folder")
        if "judges" not in before:  # built before spec.json recorded its judges: they cannot be compared
            now = {k: v for k, v in now.items() if k != "judges"}
        changed = _differences(now, before)
        if changed == ["seed"] and before.get("seed") == 0 and now.get("seed") == name_seed(str(now.get("name", ""))) \
                and Journal(out).load():  # built before a spec without a seed took one from its name
            raise UserError(f"{out} was built with seed 0, the default for a spec without a seed until 2026-12-05; such "
                            f"a spec now takes its seed from its name ({now.get('seed')}): add 'seed: 0' to the spec to "
                            "resume this dataset, or give a new --out folder")
        if changed and Journal(out).load():  # (items made: the journal is read once)
            if changed == ["judges"]:
                raise UserError(f"{out} was judged by other versions of its judges (their code or weights changed "
                                "since, in an upgrade), and resuming it would mix two judges' filter decisions and "
                                "readings; finish it with that version, or give a new --out folder")
            if changed == ["plan"]:
                raise UserError(f"{out} was planned by an earlier version of the studio (plan design "
                                f"{before.get('plan', 1)}, this one makes design {now.get('plan')}), and resuming it "
                                "would mix the two designs; finish it with that version, or give a new --out folder")
            if changed == ["threshold"]:
                from studio.studio import Studio

                was, now_ = (doc.get("threshold", Studio.THRESHOLD) for doc in (before, now))
                raise UserError(f"{out} was filtered at threshold {was:g} and this build's is {now_:g}: resuming would "
                                f"mix two filters' decisions; resume it with Studio(threshold={was:g}) (the command "
                                f"line uses {Studio.THRESHOLD:g}), or give a new --out folder")
            raise UserError(f"{out} holds a dataset built from another spec ({', '.join(changed)} differ); resume "
                            "it with the same spec, or give a new --out folder for this one")
        if changed:  # a run that stopped before finishing an item (e.g. on a spec error): start afresh
            for m in MODALITIES:
                shutil.rmtree(out / m, ignore_errors=True)  # only files of unfinished items can be there
    elif any(p.name != LOCK_NAME for p in out.iterdir()):  # (this build's lock aside)
        raise UserError(f"{out} is not empty and holds no dataset of the studio's (no spec.json); give an empty or "
                        "new --out folder")


class Stopped(UserError):
    """A build stopped on request (`build`'s ``stop``) after ``items`` items in its journal."""

    def __init__(self, items: int):
        super().__init__(f"stopped on request after {items} items; building the same spec into the same folder "
                         "again goes on from there")
        self.items = items


def build(spec: Spec, out: str | Path, *, workers: int = 1, ray_address: str | None = None,
          progress: bool = True, studio=None, stop=None) -> dict:
    """Make every item not yet in the journal, then rewrite the exports. Returns the summary. ``studio``: the
    Studio that makes the items when they are made in this process (one worker): the web server passes its own,
    which had a second copy of every model loaded beside it. ``stop``: an event (``threading.Event``) that, once
    set, stops the build after the item being journaled (`Stopped`; the web's Stop button: an uploaded spec's
    job could not be stopped but by stopping the server)."""
    from studio.output import writable_folder

    if not isinstance(spec, Spec):  # (a dict was a TypeError from dataclasses.asdict)
        raise UserError(f"build takes a Spec (studio.dataset.load_spec('spec.yaml') or Spec(...)), got "
                        f"{type(spec).__name__}")
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        raise UserError(f"workers must be a whole number of processes >= 1, got {workers!r}")  # before spec.json
    workers = int(workers)
    from studio.studio import Studio

    # a caller's Studio with its own threshold votes otherwise in the filter: recorded in spec.json, so a resume
    # by another Studio is refused (0 of 8 items kept at the default, 8 of 8 at 0.6, with the same spec.json: an
    # audit); worker processes make their own Studio, at the default, so such a build runs in this process
    threshold = None if studio is None or studio.threshold == Studio.THRESHOLD else studio.threshold
    if threshold is not None and (workers > 1 or ray_address):
        raise UserError(f"a Studio with its own threshold ({threshold:g}) makes the items in this process only; "
                        f"build with workers=1, or leave its threshold at {Studio.THRESHOLD:g}")
    out = Path(out)
    ray_started = _connect_ray(ray_address) if ray_address else False  # first: a bad address writes nothing
    lock = None
    try:
        try:
            writable_folder(out)
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot write to {out}: {exc.strerror or exc}") from None
        lock = _lock(out)
        doc = {**json.loads(json.dumps(asdict(spec))), "plan": PLAN_VERSION,  # as spec.json holds it (lists)
               "judges": judges_fingerprint(spec), **({"threshold": threshold} if threshold is not None else {})}
        check_resumable(doc, out)
        (out / "spec.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
        journal = Journal(out)
        done = journal.load()
        gone, changed = _changed_outside(out, done)
        for files, what in ((gone, "is gone"), (changed, "has changed since it was made (its SHA-256 differs)")):
            if files:  # deleted or damaged outside the studio: a rerun had said "8 kept" and exported rows for a
                raise UserError(f"{out}: manifest.jsonl lists {len(files)} kept item(s) whose file {what} ("  # missing
                                f"{', '.join(files[:3])}{' ...' if len(files) > 3 else ''}): the folder was changed "
                                "outside the studio; put the files back, or build into a new folder")  # or cut file
        _remove_partial(out)
        for name in EXPORTS:  # and the exports' beside them (a kill while they were rewritten left one there)
            for tmp in out.glob(f".{Path(name).stem}.*{Path(name).suffix}"):
                tmp.unlink(missing_ok=True)
        # the plan's items not yet made, or, when the plan is done, the balancing round it would have reached (a
        # rerun after a kill during balancing, or just after the last planned item, skipped balancing)
        items = [it for it in plan(spec) if it.id not in done] or extra_items(spec, done)
        bar = Progress(len(done) + len(items), len(done), enabled=progress)
        t0 = time.perf_counter()
        made = 0
        if items and (workers > 1 or ray_address) and {m.name for m in spec.modalities} & {"speech", "music", "face"}:
            _warm(bool(ray_address))
        # one pool for the plan and every balancing round (its workers start at the first item)
        pool = _local_pool(workers) if workers > 1 and not ray_address else None
        with ctrl_c_noted():
            try:
                while items:  # the plan, then balancing rounds until every label has its share or its budget is spent
                    for row in _run(items, spec, str(out), workers, ray_address, studio, pool):
                        journal.append(row)
                        done[row["id"]] = row
                        made += 1
                        bar.step()
                        checkpoint()  # a Ctrl-C that Python swallowed (`ctrl_c_noted`): stop here, not at the end
                        if stop is not None and stop.is_set():
                            raise Stopped(len(done))
                    items = extra_items(spec, done)
                    bar.total += len(items)
                    if items:
                        label = {r["emotion_spec"]: r["label"] for r in done.values()}
                        short = sorted({label.get(it.emotion, it.emotion) for it in items})
                        bar.stage = f"+{len(items)} for labels short of their share: {', '.join(short)}"
            finally:
                bar.close()
                if pool is not None:
                    pool.shutdown()
        rows = sorted(done.values(), key=lambda r: r["id"])
        export(spec, out, rows)
        return summary(spec, out, rows, time.perf_counter() - t0, made)
    finally:
        _unlock(out, lock)
        if ray_started:
            import signal
            import threading

            import ray

            term = signal.getsignal(signal.SIGTERM)
            ray.shutdown()
            if term is not None and threading.current_thread() is threading.main_thread():
                # Ray's shutdown puts its own handler back below Python's table, which still names ours: a SIGTERM
                # then ended the build silently with 143, no "terminated" line (a re-audit); set again, ours holds
                signal.signal(signal.SIGTERM, term)


def _warm(on_ray: bool) -> None:
    """Compile librosa's numba kernels (the speech renderer's and the music judge's; images use none) before the
    workers start, so they never compile them side by side (a numba cache broken so crashes every later run):
    here, and on a Ray cluster on every node, whose environments are their own (`studio.warm.on_every_node`).
    `studio.warm.ensure` repairs a cache that is already broken, where warming in this process died with a bare
    segmentation fault. A node that cannot be warmed stops the build before any item, with what it said."""
    from conditioning.registry import BackendUnavailable
    from studio.warm import ensure, on_every_node

    code = ensure()  # (what went wrong is on stderr)
    if code != 0:
        raise BackendUnavailable(f"librosa's numba kernels could not be compiled here (python -m studio.warm exited "
                                 f"{code}); the workers would crash on them: run it on its own to see why")
    for node, code, said in on_every_node() if on_ray else ():
        if code != 0:
            last = said.strip().splitlines()[-1] if said.strip() else "no output"
            raise BackendUnavailable(f"librosa's numba kernels could not be compiled on Ray node {node} (python -m "
                                     f"studio.warm exited {code}: {last}); run it on that node")


def _run(items: list[Item], spec: Spec, out: str, workers: int, ray_address: str | None,
         studio=None, pool=None) -> Iterable[dict]:
    """Rows as they finish: in this process, on local worker processes (``pool``, `_local_pool`: the build's,
    kept for its balancing rounds, whose workers would otherwise load every model again), or on a Ray cluster."""
    if not items:
        return
    if ray_address:
        yield from _run_ray(items, spec, out, ray_address, workers)
        return
    if pool is None:
        for it in items:
            yield make_item(it, spec, out, studio)
        return
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    try:
        pending = set()
        queue = list(items)
        while queue or pending:
            while queue and len(pending) < 2 * workers:  # a short queue: a kill loses little work in flight
                pending.add(pool.submit(make_item, queue.pop(0), spec, out))
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in finished:
                try:
                    row = f.result()
                except BrokenProcessPool:  # a worker killed (the OOM killer, with N workers each holding its
                    raise WorkerDied(f"a worker process of the {workers} died (killed, perhaps for memory: each "  # models)
                                     "holds its own models); finished items are kept: rerun the same command to "
                                     "resume, with fewer --workers if memory is short") from None
                yield row
    except BaseException:  # Ctrl-C, a failed item: stop the workers now rather than wait for the items in flight
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for proc in procs:  # the executor has no terminate()
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:  # a worker stopped mid-write runs no clean-up: its half-written medium stayed in the
            proc.join(timeout=5)  # folder until the next run (`.music-000002.qyo8ch7m.wav`: an audit)
        _remove_partial(Path(out))
        raise


def _remove_partial(out: Path) -> None:
    """Remove the temporary files of writes that were stopped (`atomic_path` names them ".<stem>.*")."""
    for m in MODALITIES:
        for tmp in (out / m).glob(".*") if (out / m).is_dir() else ():
            tmp.unlink(missing_ok=True)


LOCK_NAME = ".build.lock"  #: held by the one build writing a dataset folder


def _lock(out: Path):
    """An exclusive lock on ``out`` for this build (an advisory `flock`, released if the process dies, even by
    kill -9): two builds into one folder at once wrote each id twice into the journal, with two seeds' files
    under one spec.json. A second build is refused, naming the folder."""
    try:
        import fcntl
    except ModuleNotFoundError:  # (not POSIX: no lock, as before)
        return None
    fh = open(out / LOCK_NAME, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise UserError(f"another build is writing {out} now; wait for it to finish (a rerun then resumes it), "
                        "or give another --out") from None
    return fh


def _unlock(out: Path, fh) -> None:
    if fh is not None:
        (out / LOCK_NAME).unlink(missing_ok=True)  # not left in the dataset (nor in the web's zip of it)
        fh.close()


#: Seconds `_connect_ray` waits for a HOST:PORT address to answer
RAY_CONNECT_S = 10.0


def _connect_ray(address: str) -> bool:
    """Join the Ray cluster at ``address`` ('auto', 'ray://HOST:PORT', or 'local' for Ray on this machine) unless
    this process is in one already; True when it joined (and so leaves it after the build). A cluster that cannot
    be reached is a user error saying what to give: Ray's own message spoke of a '--address' flag emostudio has
    not got, and came after spec.json was written."""
    try:
        import ray
    except ImportError:
        from conditioning.registry import BackendUnavailable  # (an extra not installed: exit 1, as the README says)

        raise BackendUnavailable("--ray needs Ray: pip install 'emotion-studio[scale]'") from None
    if ray.is_initialized():
        return False
    host, colon, port = address.rpartition(":")
    if colon and "://" not in address and port.isdigit():  # HOST:PORT, as `ray start --head` prints it: Ray retried
        import socket  # a port with no cluster for ever, printing a line a second (ray:// gives up after 30 s)

        try:
            socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=RAY_CONNECT_S).close()
        except OSError as exc:
            raise UserError(f"--ray {address}: no Ray cluster reached (nothing answers there: "
                            f"{exc.strerror or type(exc).__name__}); start one (ray start --head), give its address "
                            "(HOST:6379, or ray://HOST:10001), or --ray local to run Ray on this machine alone") \
                from None
    import signal

    term = signal.getsignal(signal.SIGTERM)
    try:
        ray.init(address=None if address == "local" else address, ignore_reinit_error=True,
                 log_to_driver=False, include_dashboard=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"--ray {address}: no Ray cluster reached ({first.split('. Please')[0].rstrip('.')}); "
                        "start one (ray start --head), give its address (ray://HOST:10001), or --ray local to run "
                        "Ray on this machine alone") from None
    finally:  # Ray's own handler exited with 15 and a native stack dump: SIGTERM stops the build as Ctrl-C does
        signal.signal(signal.SIGTERM, term)  # (`studio.errors.ctrl_c_noted`), and Ray's shutdown runs on the way out
    return True


def _run_ray(items: list[Item], spec: Spec, out: str, address: str, workers: int) -> Iterable[dict]:
    """Rows as they finish on the Ray cluster `build` joined (`_connect_ray`)."""
    import ray

    remote = ray.remote(make_item)
    pending = []
    queue = list(items)
    width = max(2, workers) * 2
    while queue or pending:
        while queue and len(pending) < width:
            pending.append(remote.remote(queue.pop(0), spec, out))
        ready, pending = ray.wait(pending, num_returns=1)
        for ref in ready:
            yield ray.get(ref)


# ------------------------------------------------------------------------------------------------ exports
def export(spec: Spec, out: Path, rows: list[dict]) -> None:
    """Parquet manifest, per-modality Hugging Face metadata, the dataset card and its plot (all atomic)."""
    from conditioning.media import atomic_path

    # every row as the journal holds it (keys sorted): rows read back on a resume came sorted and rows made in this
    # run did not, so a resumed build's metadata.jsonl and parquet columns differed byte-wise from an unbroken one's
    rows = [json.loads(json.dumps(r, ensure_ascii=False, sort_keys=True)) for r in rows]
    kept = [r for r in rows if r["kept"]]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        flat = [{k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v) for k, v in r.items()}
                for r in rows]
        # every column any row has (a rejected item has no sha256 or midi): from_pylist takes its columns from the
        # first row alone, and a rejected first item dropped sha256 for every row
        columns = list(dict.fromkeys(k for r in flat for k in r))
        table = (pa.Table.from_pylist([{k: r.get(k) for k in columns} for r in flat]) if flat
                 else pa.table({"id": pa.array([], pa.string())}))
        with atomic_path(out / "manifest.parquet") as tmp:
            pq.write_table(table, tmp)
    except ModuleNotFoundError:  # an earlier build's copy would disagree with this build's journal
        (out / "manifest.parquet").unlink(missing_ok=True)
        print("note: manifest.parquet not written (pip install 'emotion-studio[scale]' for pyarrow)", file=sys.stderr)
    for m in MODALITIES:
        mine = [r for r in kept if r["modality"] == m]
        if not mine:
            continue
        with atomic_path(out / m / "metadata.jsonl") as tmp:
            with open(tmp, "w", encoding="utf-8") as fh:
                for r in mine:
                    fh.write(json.dumps(_hf_row(r), ensure_ascii=False) + "\n")
    _plot(out, rows)
    with atomic_path(out / "README.md") as tmp:
        tmp.write_text(card(spec, rows, parquet=(out / "manifest.parquet").is_file()), encoding="utf-8")


def _hf_row(r: dict) -> dict:
    """One row of a modality folder's metadata.jsonl: ``file_name`` relative to that folder, flat labels."""
    return {"file_name": Path(r["file"]).name, "id": r["id"], "label": r["label"], "emotion_spec": r["emotion_spec"],
            "valence": r["target_valence"], "arousal": r["target_arousal"], "dominance": r["target_dominance"],
            "intensity": r["intensity"], "fidelity": r["fidelity"], "recognised": r["recognised"],
            "readings": json.dumps(r["readings"]), "unread": json.dumps(r.get("unread", [])), "text": r["text"],
            "prompt": r["prompt"], "voice": r["voice"], "style": r.get("style"), "portrait": r.get("portrait"),
            "seed": r["seed"], "backend": r["backend"], "licence": r["licence"], "speaker": r.get("speaker"),
            **({"speech_readings": json.dumps(r["speech"]["readings"]), "speech_licence": r["speech"]["licence"]}
               if r.get("speech") else {})}


def _plot(out: Path, rows: list[dict]) -> None:
    from matplotlib.figure import Figure  # (not pyplot: it would set the process's backend)

    from conditioning.media import atomic_path

    fig = Figure(figsize=(6, 6), dpi=100)
    ax = fig.subplots()
    ax.axhline(0, color="#bbb", lw=0.8)
    ax.axvline(0, color="#bbb", lw=0.8)
    for r in rows:
        tv, ta = r["target_valence"], r["target_arousal"]
        ax.scatter([tv], [ta], c="#225599", s=18, zorder=3)
        for j in r["readings"]:
            ax.plot([tv, j["valence"]], [ta, j["arousal"]], color="#cc6633" if r["kept"] else "#bbbbbb", lw=0.5, alpha=0.6)
            ax.scatter([j["valence"]], [j["arousal"]], c="#cc6633" if r["kept"] else "#bbbbbb", s=6, zorder=2)
    ax.set(xlim=(-1.05, 1.05), ylim=(-1.05, 1.05), xlabel="valence", ylabel="arousal",
           title="targets (blue) and each judge's reading (orange; grey: rejected)")
    fig.tight_layout()
    with atomic_path(out / "targets_readings.png") as tmp:
        fig.savefig(tmp, format="png")


def card(spec: Spec, rows: list[dict], parquet: bool = True) -> str:
    """The dataset card (README.md): what is in it, how it was made, how well it was recognised, licences."""
    from collections import Counter

    kept = [r for r in rows if r["kept"]]
    by_mod = Counter(r["modality"] for r in kept)
    asked = spec_labels(spec)
    labels = Counter({(r["modality"], r["label"]): 0 for r in rows})  # a label all of whose items were rejected: 0,
    labels.update({(m.name, lab): 0 for m in spec.modalities for lab in set(asked.values())})  # and one never made
    labels.update((r["modality"], r["label"]) for r in kept)
    lines = [f"# {spec.name}", "", spec.description or "A synthetic, labelled emotional dataset made by Emotion Studio.", "",
             "Every item was generated from a target emotion and then measured by the modality's two judges "
             "(critics with different features and model families); the targets are the labels, the judges' "
             "readings are given beside them. A judge a generator was tuned against is not an independent check "
             "of it (speech: `speech/embedded`, in whose features the studio's prosody is fitted; Emotion Studio's "
             "critics/cards/ and generators/cards/ say which).", "",
             "## Contents", "", "| modality | items | folder | load with |", "|---|---|---|---|"]
    for m in MODALITIES:
        if by_mod.get(m):
            lines.append(f"| {m} | {by_mod[m]} | `{m}/` | `datasets.load_dataset(\"{HF_LOADER[m]}\", data_dir=\"{m}\")` |")
    rejected = len(rows) - len(kept)
    rule = [{"both": "recognised by both judges", "any": "recognised by either judge"}.get(spec.recognised_by),
            f"fidelity >= {spec.min_fidelity:g}" if spec.min_fidelity > 0 else None]
    rule = ", ".join(r for r in rule if r)
    attempts = f"up to {spec.max_attempts} attempt{'s' if spec.max_attempts != 1 else ''} with new seeds"
    lines += ["", f"{len(kept)} items kept, {rejected} rejected by the fidelity filter ({rule}, {attempts})." if rule
              else f"{len(kept)} items, unfiltered (every item made is kept).",
              "", "## Label distribution", "", "| modality | label | items |", "|---|---|---|"]
    lines += [f"| {m} | {lab} | {n} |" for (m, lab), n in sorted(labels.items())]
    lines += _emotion_table(spec, rows, asked)
    short = shortfalls(spec, rows)
    if short:  # (stderr said it once; the card is what travels with the data)
        lines += ["", "**Short of the spec:** " + " ".join(f"{line.split('; relax')[0]}." for line in short)]
    lines += _factor_tables(kept)
    lines += _loading(rows, asked)
    lines += ["", "## Fidelity", "", "Each judge on the kept items (the dataset) and on every item made, rejected ones "
              "too. The filter's judges chose the kept items, so their figures on those items are not an independent "
              "check; the figures over all made items are the studio's own rate.", "",
              "| modality | judge | mean fidelity, kept | recognised, kept | recognised, all made | could not read, "
              "all made |", "|---|---|---|---|---|---|"]
    for m in MODALITIES:
        made = [r for r in rows if r["modality"] == m]
        mine = [r for r in made if r["kept"]]
        unread = Counter(u["critic"] for r in made for u in r.get("unread", []))
        for c in sorted({j["critic"] for r in made for j in r["readings"]} | set(unread)):
            lines.append(_judge_row(m, c, mine, made, f"{unread[c]} of {len(made)}"))
        voices, voiced = ([{"readings": r["speech"]["readings"]} for r in rs if r.get("speech")] for rs in (mine, made))
        for c in sorted({j["critic"] for r in voiced for j in r["readings"]}):  # a talking face's voice: judged,
            lines.append(_judge_row(f"{m} (its voice, not filtered)", c, voices, voiced, ""))  # never filtered
    if any(r.get("speech") for r in rows):
        lines += ["", "A talking face's voice is judged by the speech judges but does not filter the items: the rows "
                  "\"its voice\" say how often it carries the label. The studio's voices are recognised far less "
                  "often than its faces (critics/cards/speech-encoder.md), so for audio-visual training filter "
                  "or weight the items by `speech.readings` in the manifest."]
    lines += ["", "![targets and readings](targets_readings.png)", "", "## Licences", "",
              "Each item's licence is in the manifest (`licence`; a talking face's voice: `speech.licence`); the "
              "parts used here:", ""]
    lines += [f"- {lic}" for lic in sorted({r["licence"] for r in kept} | {r["speech"]["licence"] for r in kept
                                                                           if r.get("speech")})]
    lines += ["", "The labels are the targets, not the judges' readings. Their valence, arousal and dominance "
              "columns are coordinates from the NRC-VAD lexicon (Mohammad 2018): free for research; commercial use "
              "needs a licence from its authors.",
              "", "The judges that filtered and scored the items, and what they were made from (each weight file's "
              "record and Emotion Studio's critics/cards/ give the terms: check them before commercial use of a "
              "dataset they filtered):", ""]
    from critics.registry import TERMS

    judges = sorted({j["critic"] for r in rows for j in r["readings"]} | {u["critic"] for r in rows
                                                                          for u in r.get("unread", [])})
    lines += [f"- `{c}`: {TERMS.get(c, 'see its card in critics/cards/')}" for c in judges] or ["- none"]
    lines += ["", "## Files", "",
              "- `manifest.jsonl` (the journal: one line per item, kept or rejected; a kept item's row holds its "
              "file's SHA-256 and, for speech and faces, how to make the neutral take its judges read it against, so "
              "`emostudio critique` reads it as the build did; the recipe names the portraits and model folders it "
              "used by their full paths on the machine that built it: rewrite them before publishing if those are "
              "private)" + (" and `manifest.parquet`" if parquet else " (no `manifest.parquet`: pyarrow was not "
                                                                       "installed)"),
              "- `<modality>/metadata.jsonl`: Hugging Face folder-loader metadata (kept items)",
              f"- `spec.json`: the spec this was built from ({Path(spec.source).name})", ""]
    return "\n".join(lines)


def _judge_row(what: str, critic: str, kept: list[dict], made: list[dict], unread: str) -> str:
    """The card's fidelity table row of one judge over rows holding its ``readings``: its mean fidelity on the
    kept ones, and how often it voted yes on them and on all made."""
    js = [j for r in kept for j in r["readings"] if j["critic"] == critic]
    fid = f"{sum(j['fidelity'] for j in js) / len(js):.3f}" if js else "n/a"
    return f"| {what} | {critic} | {fid} | {_recognised(kept, critic)} | {_recognised(made, critic)} | {unread} |"


def _recognised(rows: list[dict], critic: str) -> str:
    """How often ``critic`` voted yes in the filter over ``rows`` (its label, or its fidelity for a judge that
    reads coordinates), as the card's fidelity table gives it."""
    votes = [j.get("recognises", j["agrees"]) for r in rows for j in r["readings"] if j["critic"] == critic]
    votes = [v for v in votes if v is not None]
    return f"{100 * sum(votes) / len(votes):.1f} % of {len(votes)}" if votes else "n/a"


def spec_labels(spec: Spec) -> dict[str, str]:
    """Each emotion of the spec, as it gives it, and the label its items take (`conditioning.metrics.target_label`)."""
    from conditioning import Emotion
    from conditioning.metrics import target_label

    return {e: target_label(Emotion.parse(e)) for e in spec.emotions}


def _emotion_table(spec: Spec, rows: list[dict], asked: Mapping[str, str]) -> list[str]:
    """Kept and made items per emotion as the spec gives it, where a label stands for several of them (its
    intensities, or mixes with one main term): the label table alone said "sadness 2" when every 'sadness@1'
    item had been rejected (an audit)."""
    if len(set(asked.values())) == len(asked):
        return []
    kept, made = _per_emotion(rows)
    lines = ["", "Per emotion, as the spec gives it:", "", "| modality | emotion | label | kept | made |",
             "|---|---|---|---|---|"]
    return lines + [f"| {m.name} | {e} | {lab} | {kept[m.name, e]} | {made[m.name, e]} |"
                    for m in spec.modalities for e, lab in asked.items()]


def _per_emotion(rows: list[dict]) -> tuple[Mapping[tuple, int], Mapping[tuple, int]]:
    """Kept and made items per (modality, emotion as the spec gives it): the card's table and the shortfall line."""
    from collections import Counter

    made = Counter((r["modality"], r.get("emotion_spec")) for r in rows)
    kept = Counter((r["modality"], r.get("emotion_spec")) for r in rows if r["kept"])
    return kept, made


def _loading(rows: list[dict], asked: Mapping[str, str] | None = None) -> list[str]:
    """The card's loading code: each modality folder through its Hugging Face folder loader, its ``label`` column
    cast to a ``ClassLabel`` over every label the spec asked for (``asked``: `spec_labels`; a stratified split, a
    confusion matrix and a classifier's head need the class list; the folder loader reads the labels as strings,
    and a label whose items were all rejected, or that no item was made for, would be missing from what it
    infers: two specs of the same emotions gave the same label different ids)."""
    lines = ["", "## Loading", "", "```python", "from datasets import ClassLabel, load_dataset", ""]
    names = sorted({r["label"] for r in rows} | set((asked or {}).values()))  # one id for a label in every folder
    for m in MODALITIES:
        if any(r["modality"] == m and r["kept"] for r in rows):
            lines += [f"{m} = load_dataset(\"{HF_LOADER[m]}\", data_dir=\"{m}\", split=\"train\")",
                      f"{m} = {m}.cast_column(\"label\", ClassLabel(names={json.dumps(names, ensure_ascii=False)}))"]
    return lines + ["```", "", "Run it in this folder (or give `data_dir` as a path to it). Every kept item is in "
                    "`train`; to hold out voices, texts or portraits, split on the `speaker`, `text` or `portrait` "
                    "column: the plan gave every emotion the same ones.", "", VARIETY]


#: What the card says about variety within a label (a consumer's audit measured it): a classifier trained on
#: these items can learn the generators' cues, which are the emotion's by design, and little else
VARIETY = ("**Variety within a label.** An item's seed varies what the generators make around the emotion's cues, "
           "not the cues themselves: a music item's melody, harmony, key, form, instruments, its tempo (standard "
           "deviation 8 %, at most 0.85 to 1.17 times the emotion's) and register (standard deviation 1.5 semitones, "
           "at most 3); a picture's composition (its light, ridges, forms), but not its palette, which "
           "its emotion and style set (an audit measured same-emotion pictures of one style correlating 0.94 pixel "
           "for pixel); a speech item's voice and sentence as the spec gives them, and small seeded differences of "
           "timing. Items of one label are therefore alike, and a random split puts near neighbours on both sides: "
           "vary the prompts, styles, texts and voices, hold some of them out (the columns above), and measure a "
           "model trained here on human-labelled data.")


def _factor_tables(kept: list[dict]) -> list[str]:
    """The card's check that no voice, portrait or style tells the emotions apart: kept items per emotion (label
    and intensity, as the spec gives it: by label alone a voice kept for one intensity only did not show) and
    value, for each of those factors that has more than one value (the plan gives every emotion the same sequence,
    but the filter may reject one voice more than another)."""
    from collections import Counter

    lines = []
    for m in MODALITIES:
        mine = [r for r in kept if r["modality"] == m]
        for factor in ("voice", "portrait", "style"):
            values = sorted({r[factor] for r in mine if r.get(factor)})
            if len(values) < 2:
                continue
            n = Counter((r["emotion_spec"], r[factor]) for r in mine)
            if not lines:
                lines = ["", "## Voices, portraits and styles per emotion", "",
                         "Kept items per emotion and value: a column that differs much from emotion to emotion lets a "
                         "model learn the label or its intensity from the voice or the picture's style instead of "
                         "the emotion."]
            lines += ["", f"| {m}: emotion | " + " | ".join(f"{factor} {v}" for v in values) + " |",
                      "|---|" + "---|" * len(values)]
            lines += [f"| {e} | " + " | ".join(str(n[e, v]) for v in values) + " |"
                      for e in sorted({r["emotion_spec"] for r in mine})]
    return lines


def _words_against_labels(m, items: list[Item]) -> list[str]:
    """A note for each of a modality's texts whose words pull against some of the labels it is spoken with among
    ``items`` (the plan's; `Studio.text_conflicts`, each text read once): the label is the voice's emotion, not the
    words', and a dataset of such items teaches a mixed message; the takes noted it, but a dataset kept no word."""
    if not m.texts:
        return []
    from studio.studio import Studio

    spoken: dict[str, list[str]] = {}  # each text and the emotions it is spoken with, in the plan's order
    for item in items:
        if item.modality == m.name and item.text and item.emotion not in spoken.setdefault(item.text, []):
            spoken[item.text].append(item.emotion)
    studio = Studio()
    against = {text: list(studio.text_conflicts(text, emotions)) for text, emotions in spoken.items()}
    # three emotions named and the rest counted: a 21 x 21 grid's note had listed 200 points, called labels
    shown = lambda es: ", ".join(es[:3]) + (f" and {len(es) - 3} more" if len(es) > 3 else "")  # noqa: E731
    return [f"modalities.{m.name}.texts: text {m.texts.index(text) + 1} ({text[:40]!r}) reads against the items of "
            f"{shown(emotions)}: its words carry the opposite feeling, so listeners may hear a mixed message (each "
            "item's notes say so too); pair each emotion with texts of its own feeling if that matters"
            for text, emotions in against.items() if emotions]


def spec_notes(spec: Spec) -> list[str]:
    """What the user should know about a spec before its items are made, without refusing it: a text that does not
    look English, given to the studio's English voices (joe, slt, or none named), which would speak every item of
    it with English sounds (`conditioning.language.other_language`, as the voices' own note). A voice of the
    user's own is not checked."""
    from conditioning.language import other_language

    lines = _missing_emotions(spec) + _shared_labels(spec) + _unseen_factors(spec)
    items = plan(spec)  # (once for every modality's texts)
    for m in spec.modalities:  # the built-in voices (VOICE_BACKENDS) are all US English
        english = _builtin_voices(m)
        for i, text in enumerate(m.texts if english else (), 1):
            found = other_language(text)
            if found:
                lines.append(f"modalities.{m.name}.texts: text {i} ({text[:40]!r}) does not look like English: it "
                             f"reads as {found}, and the voices here speak English, so its items will be spoken "
                             f"with English sounds; give a Piper voice of its language in modalities.{m.name}.voices "
                             "(a path to its .onnx)")
        lines += _words_against_labels(m, items)
        if m.name == "image" and spec.recognised_by == "both":
            lines.append("modalities.image: filter.recognised_by both keeps a picture only when both image judges give "
                         "it fidelity 0.85 or more (they read valence and arousal, not labels), and image/embedded, "
                         "which reads toward the centre of the plane, seldom does: expect most pictures rejected and "
                         "the labels short; to filter pictures use filter.min_fidelity with recognised_by: none, as "
                         "examples/dataset_images.yaml does (0.75)")
        embedded = _abstract(m) if m.prompts else None
        if embedded:
            what = "draws abstract pictures" if m.name == "image" else "composes"
            lines.append(f"modalities.{m.name}.prompts: {m.name}/{embedded} {what} from the emotion alone, not "
                         "from a prompt; the prompts go into the manifest's prompt column as given, so that column is "
                         "no caption of the items; backend: "
                         f"{'diffusion' if m.name == 'image' else 'musicgen'} with local weights follows them")
    return lines


def _size(size, field: str):
    """A picture's size in a spec: a side (``512``) or ``[width, height]``, each 256 to 2048 px, as ``--option
    size=[W,H]`` takes it (a spec's ``[384, 256]`` was refused as "an integer")."""
    if isinstance(size, (list, tuple)):
        if len(size) != 2:
            raise _err(field, f"got {size!r}", "a side in px (256 to 2,048) or [width, height]")
        return tuple(_number(x, field, 256, 2048, integer=True) for x in size)
    return None if size is None else _number(size, field, 256, 2048, integer=True)


def _shared_labels(spec: Spec) -> list[str]:
    """A note when emotions of the spec (other than one label's intensities) take one ``label``: an item's label is
    its target's main term, so 'joy:0.6+surprise:0.4' items are labelled joy beside the 'joy' ones (a tie such as
    'bittersweet' is labelled by its tied terms, 'joy+sadness'), and 25 valence-arousal
    cells take 19 labels; balance is per emotion, so that label's column holds more items than the others."""
    from conditioning import Emotion
    from conditioning.metrics import target_label

    emotions: dict[str, list[str]] = {}
    for e in spec.emotions:
        t = Emotion.parse(e)
        emotions.setdefault(target_label(t), []).append(e)
    shared = {lab: es for lab, es in emotions.items() if len({e.rsplit("@", 1)[0] for e in es}) > 1}
    if not shared:
        return []
    some = "; ".join(f"{lab}: {', '.join(es[:3])}{' ...' if len(es) > 3 else ''}" for lab, es in list(shared.items())[:3])
    return [f"emotions: the {len(spec.emotions)} emotions take {len(emotions)} labels (an item's label is its target's "
            f"main term), and {len(shared)} label(s) stand for several ({some}{' ...' if len(shared) > 3 else ''}), "
            "so the label column is not balanced: balance is per emotion (the manifest's emotion_spec column); train "
            "on emotion_spec or target_valence/target_arousal, or list emotions with labels of their own"]


def _missing_emotions(spec: Spec) -> list[str]:
    """A note per modality whose count is under the number of emotions: the last ones get no item at all."""
    lines = []
    for m in spec.modalities:
        left = spec.emotions[m.count:]
        if left:
            names = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
            lines.append(f"modalities.{m.name}.count: {m.count} items for {len(spec.emotions)} emotions, so "
                         f"{len(left)} get none ({names}); count {len(spec.emotions)} or more gives each one")
    return lines


def _coverage(sizes: list[int], pick, every: int, fewest: int) -> tuple[int, int]:
    """Of the ``every`` values ``pick`` makes of an item's `crossed` indices (a voice, a voice-portrait pair):
    how many the first ``fewest`` items of an emotion see, and how many items it takes to see them all (at most
    ``prod(sizes)``: `crossed` walks every combination)."""
    seen, q = set(), 0
    while len(seen) < every:
        seen.add(pick(crossed(q, sizes)))
        q += 1
    return len({pick(crossed(j, sizes)) for j in range(fewest)}), q


def _unseen_factors(spec: Spec) -> list[str]:
    """A note per factor (texts, voices, ...) some of whose values an emotion with the fewest items never gets:
    every emotion takes the same sequence (`plan`), so those values are missing from some emotions or from all,
    and a count that gives every emotion all of them is named."""
    lines = []
    n_e = len(spec.emotions)
    for m in spec.modalities:
        factors = _factors(m)
        sizes = [len(xs) for _, xs in factors]
        fewest = m.count // n_e
        for i, (name, xs) in enumerate(factors):
            if len(xs) < 2 or not fewest:  # (no item at all: `_missing_emotions` says so)
                continue
            seen, q = _coverage(sizes, lambda at, i=i: at[i], len(xs), fewest)
            if seen < len(xs):
                missing = len(xs) - seen
                lines.append(f"modalities.{m.name}.{name}: {m.count} items over {n_e} emotions give an emotion "
                             f"{fewest} item{'s' if fewest != 1 else ''}, too few for all {len(xs)} {name}: "
                             f"{missing} of them {'is' if missing == 1 else 'are'} not used for it (every emotion "
                             f"takes the {name} in the same order, so that they do not tell the emotions apart); "
                             f"count {q * n_e} or more gives every emotion every one")
        xs = dict(factors)
        for a, b, why in PAIRED_FACTORS:
            if len(xs.get(a, ())) < 2 or len(xs.get(b, ())) < 2 or not fewest:
                continue
            every = len(xs[a]) * len(xs[b])
            i, j = (next(k for k, (name, _) in enumerate(factors) if name == f) for f in (a, b))
            seen, q = _coverage(sizes, lambda at: (at[i], at[j]), every, fewest)
            if seen < every:
                lines.append(f"modalities.{m.name}.{a} x {b}: {fewest} item{'s' if fewest != 1 else ''} per emotion "
                             f"cross {seen} of the {every} pairs, so {why}; count {q * n_e} or more crosses every pair")
    return lines


#: Factor pairs a split or a model may confuse when not crossed, and what that does (`_unseen_factors`)
PAIRED_FACTORS = (
    ("voices", "portraits", "some voices only ever speak over some faces (a model may learn the voice from the face)"),
    ("texts", "voices", "some texts are only ever spoken by some voices (a split held out by speaker is then held "
                        "out by text too: 2 texts and 2 voices over 12 items had each voice say one text)"),
)


def _abstract(m: "ModalitySpec") -> str | None:
    """The embedded backend a modality's items will come from when it ignores prompts (image/procedural,
    music/composer), else None."""
    from conditioning.registry import BackendUnavailable
    from generators.registry import load_generator

    if m.name not in ("image", "music"):
        return None
    try:
        name = load_generator(m.name, m.backend).name  # auto: the first that can run here (no weights load)
    except BackendUnavailable:
        return None
    return name if name in ("procedural", "composer") else None


def shortfalls(spec: Spec, rows: list[dict]) -> list[str]:
    """One line per modality that kept fewer items than the spec asked for, with each emotion's kept and made
    items (as the spec gives it, label and intensity: by label alone 'sadness 2 kept of 8' hid that every
    'sadness@1' item was rejected): the filter rejected them and the balancing budget ran out."""
    lines = []
    for m in spec.modalities:
        mine = [r for r in rows if r["modality"] == m.name]
        kept = sum(r["kept"] for r in mine)
        if kept >= m.count:
            continue
        kept_of, made_of = _per_emotion(mine)
        short = ", ".join(f"{e} {kept_of[m.name, e]} kept of {made_of[m.name, e]} made"
                          for e in dict.fromkeys(r["emotion_spec"] for r in mine))  # (in the plan's order)
        lines.append(f"{m.name}: kept {kept} of the {m.count} asked for ({short}); relax the filter "
                     "(recognised_by, min_fidelity) or raise filter.max_attempts or balance.extra_budget, and build "
                     "into a new --out folder (a changed spec does not resume this one)")
    return lines


def summary(spec: Spec, out: Path, rows: list[dict], seconds: float, made: int) -> dict:
    kept = sum(r["kept"] for r in rows)
    parquet = out / "manifest.parquet"  # written only where pyarrow is (the scale extra)
    return {"out": str(out), "manifest": str(parquet) if parquet.is_file() else None, "jsonl": str(out / "manifest.jsonl"),
            "card": str(out / "README.md"), "items": len(rows), "kept": kept, "rejected": len(rows) - kept,
            "asked": sum(m.count for m in spec.modalities), "short": shortfalls(spec, rows),
            "empty": [m.name for m in spec.modalities if not any(r["kept"] for r in rows if r["modality"] == m.name)],
            "made_now": made, "seconds": round(seconds, 2),
            "items_per_min": round(60 * made / seconds, 1) if seconds > 0 and made else None}


def run_dataset_cli(args) -> int:
    spec = load_spec(args.spec)
    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    for line in spec_notes(spec):
        print(f"emostudio dataset: note: {line}", file=sys.stderr)
    result = build(spec, args.out, workers=args.workers, ray_address=args.ray,
                   progress=not args.json or sys.stderr.isatty())
    if args.json:
        print_json(result)
    else:
        rate = f", {result['items_per_min']} items/min" if result["items_per_min"] else ""
        print(f"{result['items']} items ({result['kept']} kept, {result['rejected']} rejected; {result['made_now']} made "
              f"now in {result['seconds']} s{rate}) -> {result['out']} "
              f"({'manifest.parquet, ' if result['manifest'] else ''}manifest.jsonl, README.md)")
    for line in result["short"]:
        print(f"emostudio dataset: warning: {line}", file=sys.stderr)
    if result["empty"]:  # a pipeline that checks the status went on with an empty dataset
        print(f"error: {', '.join(result['empty'])}: no item kept, so the dataset has none (exit 1)", file=sys.stderr)
        return 1
    return 0
