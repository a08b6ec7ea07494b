"""Local weight folders, as every neural backend and critic reads them: checked before loading, and a failed
load said in one line.

Why here: generators and critics must not import each other (DESIGN section 1), and both load Hugging Face
folders (diffusers pipelines, transformers models, their tokenizers and processors) the same way: from a local
path only, never the hub. What goes wrong is the same too, and the libraries say it badly: a folder of another
model type is a ``ValueError`` about ``model_type``, a truncated file a ``SafetensorError``, a missing
processor an ``OSError`` that tells an offline user to check their connection to huggingface.co, and a missing
tokenizer may load as an *empty* one that turns every prompt word into ``<unk>`` without an error. So a backend
checks the tokenizer files itself (`has_tokenizer`) and wraps its ``from_pretrained`` calls in `loading`, which
turns any failure into `BackendUnavailable` naming the folder, what it needs and the library's own reason.
"""
from __future__ import annotations

import json
import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from conditioning.registry import BackendUnavailable, offline

#: files of which a Hugging Face tokenizer folder holds at least one (fast, BPE, WordPiece, SentencePiece)
TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "vocab.txt", "spiece.model", "sentencepiece.bpe.model",
                   "tokenizer.model", "merges.txt")
#: the libraries' advice about the hub, which does not apply to a local folder read offline
_HUB_ADVICE = re.compile(r"\s*(If you were trying to load it from|We couldn't connect to|Otherwise, make sure|"
                         r"Make sure that:|Check your internet).*", re.S)


def has_tokenizer(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a tokenizer's vocabulary (not only its config: transformers builds an empty
    tokenizer from a config alone, and every word then becomes ``<unk>``)."""
    folder = Path(folder)
    return folder.is_dir() and any((folder / name).is_file() for name in TOKENIZER_FILES)


def reason(exc: BaseException, limit: int = 300) -> str:
    """The library's message without its advice about the hub, on one line."""
    text = _HUB_ADVICE.sub("", str(exc)).strip() or type(exc).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def asked_folder(model: str | os.PathLike | None, env: str) -> str | None:
    """The weights folder a neural backend was asked for: ``model`` (``--model``, ``model=``), else the variable
    ``env``, with ``~`` expanded (it was taken literally: '~/models/sd' was "not a folder"); None when neither."""
    path = model or os.environ.get(env)
    return os.path.expanduser(str(path)) if path else None


def held_model(folder: str | os.PathLike) -> tuple[str, str] | None:
    """What model a weights folder says it holds, from its index: ``(kind, index file)`` (a diffusers pipeline's
    ``_class_name`` in model_index.json, a save_pretrained model's ``model_type`` in config.json; "" where the index
    names none), or None without a readable one. For the messages that tell a user their folder is another model's
    (a MusicGen folder given for XTTS or as the image model) and the checks that pick a backend by it."""
    for index, key in (("model_index.json", "_class_name"), ("config.json", "model_type")):
        try:
            doc = json.loads((Path(folder) / index).read_text(encoding="utf-8-sig"))  # (a BOM, as some editors save)
        except (OSError, ValueError):
            continue
        return (str(doc.get(key) or "") if isinstance(doc, dict) else ""), index
    return None


def read_json(path: str | os.PathLike, key: str) -> dict:
    """A folder's JSON index (``model_index.json``, ``config.json``), or `BackendUnavailable` if unreadable."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))  # (a BOM, as `held_model` reads it: a re-audit)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackendUnavailable(f"{key}: {path} is not readable JSON ({reason(exc)}); the snapshot is damaged: "
                                 "download it again") from None
    if not isinstance(doc, dict):
        raise BackendUnavailable(f"{key}: {path} is not a JSON object; the snapshot is damaged: download it again")
    return doc


DTYPES = ("float16", "fp16", "bfloat16", "bf16", "float32", "fp32")

#: How much of each file `fingerprint` reads from its start and from its end
FINGERPRINT_SPAN = 1 << 20
#: Files of a snapshot that hold no weights, which `fingerprint` leaves out: a README added to the folder made
#: critique say its weights had changed
NOT_WEIGHTS = (".md", ".rst", ".html", ".png", ".jpg", ".jpeg", ".gif", ".pdf", ".lock", ".gitattributes")
#: ... and a document by its name ("LICENSE", "README.txt", "LICENSE-MIT", "CITATION.cff" changed a folder's
#: fingerprint), the whole name: "license_plate_detector.onnx" and "notice_model.safetensors" are weights
DOCUMENT_NAME = re.compile(r"(readme|licen[cs]e|notice|copying|changelog|authors|citation)(-[\w.-]*)?"
                           r"(\.(txt|cff|md|rst|html))?", re.I)


def _weights_file(name: str) -> bool:
    """Whether a file named ``name`` in a model folder counts in its `fingerprint`: not hidden, not a document."""
    low = name.lower()
    return not (name.startswith(".") or low.endswith(NOT_WEIGHTS) or DOCUMENT_NAME.fullmatch(name))


def fingerprint(folder: str | os.PathLike) -> str:
    """A SHA-256 that names the weights in ``folder`` (a snapshot's files, in all its subfolders, linked ones too;
    hidden ones, as the hub cache's ``.cache``, and documents, `NOT_WEIGHTS` and `DOCUMENT_NAME`, left out; a
    broken link counts as missing): over each file's relative path, size, and first and last MiB, in path order.
    Every weight file counts, used or not: an fp16 copy added beside the fp32 weights changes it. Why: a take's
    report named its model by path only, and a folder re-downloaded or fine-tuned in place made the same report
    describe other weights. Not a hash of every byte, which costs seconds per GB on
    every load: a fine-tune or a torn download changes the sizes or the bytes at the files' ends (safetensors
    starts with its tensors' table, a torch pickle ends with its index), which this reads in milliseconds."""
    import hashlib

    root = Path(folder)
    h = hashlib.sha256()
    files = []
    for here, dirs, names in os.walk(root, followlinks=True):  # (a component folder linked in: rglob passed it by)
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        files += [Path(here) / n for n in names if _weights_file(n)]
    files.sort(key=lambda p: p.relative_to(root).as_posix())
    for p in files:
        if not p.exists():  # a link to a blob that is gone (a torn hub cache): named as missing, not a traceback
            h.update(f"{p.relative_to(root).as_posix()}\0missing\0".encode())
            continue
        size = p.stat().st_size
        h.update(f"{p.relative_to(root).as_posix()}\0{size}\0".encode())
        with open(p, "rb") as f:
            h.update(f.read(FINGERPRINT_SPAN))
            if size > FINGERPRINT_SPAN:
                f.seek(max(FINGERPRINT_SPAN, size - FINGERPRINT_SPAN))
                h.update(f.read())
    return h.hexdigest()



def torch_device(key: str, device: str = "auto", dtype: str = "auto", offload: bool = False,
                 error: type[Exception] = ValueError):
    """(torch, device, dtype) for a neural backend: "auto" is CUDA when a GPU is visible, else the CPU, and fp16
    on CUDA, fp32 elsewhere. A GPU asked for but absent is `BackendUnavailable` (torch's own AssertionError
    says "Torch not compiled with CUDA enabled"); an unknown device or dtype is ``error``; offload or fp16
    where they do not help are run as asked with a warning."""
    import warnings

    offline()
    import torch

    device = str(device)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    kind = device.split(":")[0]
    if kind not in ("cuda", "cpu", "mps"):
        raise error(f"unknown device {device!r} for {key}; known: auto, cpu, cuda, cuda:N, mps")
    if kind == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailable(f"{key}: device {device!r} was asked for, but this torch ({torch.__version__}) "
                                 "sees no CUDA GPU; use device 'auto' or 'cpu'")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise BackendUnavailable(f"{key}: device {device!r} was asked for, but Apple's MPS is not available here; "
                                 "use device 'auto' or 'cpu'")
    if kind == "cpu" and device != "cpu":  # ('cpu:1' was taken and recorded as it was written)
        raise error(f"device {device!r} for {key}: the CPU takes no index; give 'cpu'")
    names = {"float16": torch.float16, "fp16": torch.float16, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
             "float32": torch.float32, "fp32": torch.float32}
    if dtype == "auto":
        torch_dtype = torch.float16 if kind == "cuda" else torch.float32
    elif dtype in names:
        torch_dtype = names[dtype]
    else:
        raise error(f"unknown dtype {dtype!r} for {key}; known: auto, {', '.join(DTYPES)}")
    if offload and kind != "cuda":
        warnings.warn(f"{key}: offload applies to a CUDA GPU only; on {device} it runs without it", stacklevel=3)
    if kind == "cpu" and torch_dtype == torch.float16:
        warnings.warn(f"{key}: float16 on the CPU is slow and less exact than float32 (fp16 is for CUDA); "
                      "running as asked", stacklevel=3)
    return torch, device, torch_dtype


@contextmanager
def loading(key: str, folder: str | os.PathLike, needs: str) -> Iterator[None]:
    """Around ``from_pretrained`` calls: any failure becomes `BackendUnavailable` saying which folder, what it
    needs and why it failed. `BackendUnavailable` itself passes through. The load draws from torch's process-wide
    generator (modules are built randomly initialised, then filled), so it holds that generator as `seeded` does
    and gives the caller's CPU stream back: a caller's seeded torch code drew other numbers after the studio's
    first MusicGen, XTTS or AudioLDM 2 take."""
    import torch

    offline()
    try:
        with _GLOBAL_RNG, torch.random.fork_rng(devices=[]):
            yield
    except BackendUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - the libraries raise ValueError, OSError, RuntimeError, SafetensorError...
        torn = type(exc).__name__ == "SafetensorError" or "deserializ" in str(exc).lower()  # a file cut short
        advice = "; a weights file there is damaged or cut off: download the snapshot again" if torn else ""
        raise BackendUnavailable(f"{key} could not load {folder}: {reason(exc)} ({needs}){advice}") from None


#: held while a backend samples from torch's process-wide random generator (`seeded`) or loads (`loading`);
#: re-entrant, as a backend may load its weights inside its first seeded take
_GLOBAL_RNG = threading.RLock()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Sampling from torch's process-wide generator, seeded with ``seed``, one backend at a time.

    Why: MusicGen's ``generate`` (transformers), XTTS's ``inference`` (coqui-tts) and audiocraft's ``generate``
    draw from the global generator and take no ``torch.Generator`` of their own. The web serves two requests at
    once, so two takes seeded alike interleaved their draws and came out different on 6 of 6 tries with the tiny
    MusicGen. One lock for the process, not one per backend, because the generator is the process's; the CPU
    generator's previous state is restored afterwards (``fork_rng``), so a caller's own CPU random stream is not
    moved (on a GPU, the CUDA generators keep the take's seed: ``manual_seed`` seeds them too)."""
    import torch

    with _GLOBAL_RNG, torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed) % 2**64)  # every seed the studio accepts (31 bits made 3 and 3 + 2**31 one take)
        yield


class _Threads:
    """The caller's torch thread count while backends hold their own (`torch_threads`): saved by the first block
    to enter, given back by the last to leave. Why a count: the setting is the process's, and two overlapping
    blocks that each restored what they saw on entry left the process on the first block's count (the second
    saw it, and left last)."""

    lock = threading.Lock()
    held = 0
    caller = 0


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """torch's intra-op threads set to ``threads`` for the block (None or 0: left as they are), and the caller's
    count restored when the last such block ends. Why: the setting is the process's, and a backend that set it for
    its own work left an application that embeds the studio on one thread after one take (its own torch code
    slowed), and one `Studio`'s setting overrode another's. While blocks overlap (the web serves two requests at
    once) the latest setting holds for both: torch has one count."""
    import torch

    if not threads:
        yield
        return
    with _Threads.lock:
        if _Threads.held == 0:
            _Threads.caller = torch.get_num_threads()
        _Threads.held += 1
        torch.set_num_threads(max(1, int(threads)))
    try:
        yield
    finally:
        with _Threads.lock:
            _Threads.held -= 1
            if _Threads.held == 0:
                torch.set_num_threads(_Threads.caller)


__all__ = ["DTYPES", "TOKENIZER_FILES", "asked_folder", "has_tokenizer", "loading", "read_json", "reason", "seeded",
           "torch_device", "torch_threads"]
