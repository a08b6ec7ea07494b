"""Checking the text a speech backend is asked to read, and estimating word timings where a backend gives none.

Shared by the speech backends (DESIGN.md section 3: shared helpers live in a small module of the modality, not in
a sibling backend): Piper, Festival, coqui XTTS and the diffusion TTS all refuse the same bad texts with the same
messages.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np

from generators.base import GenerationError

MAX_CHARS = 1000  #: longest text per request (about a minute of speech); split longer texts
ALLOWED_PUNCT = set(".,;:!?'\"-()[]…–—’‘“”&%$€£/@#+=*¿¡«»„‚")  #: ¿ ¡ « » „ ‚: Spanish, French, German quotes
WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def check_text(text: str | None, *, latin_only: bool = True, max_chars: int = MAX_CHARS) -> str:
    """The text a speech backend can read, or a `GenerationError` saying what is wrong and what is accepted."""
    if text is None or not text.strip():
        raise GenerationError(f"speech needs text: the words to say, 1 to {max_chars} characters (text=... in "
                              f"Python, --text \"...\" on the command line)")
    text = unicodedata.normalize("NFC", text.strip())
    if len(text) > max_chars:
        raise GenerationError(f"text is {len(text)} characters; the limit is {max_chars} per request "
                              "(about a minute of speech): split it into several requests")
    bad = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch.isspace() or ch.isdigit() or ch in ALLOWED_PUNCT:
            continue
        if cat.startswith("L") and (not latin_only or "LATIN" in unicodedata.name(ch, "")):
            continue
        if cat.startswith("M"):  # combining accents on Latin letters
            continue
        bad.append(ch)
    if bad:
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in dict.fromkeys(bad))
        raise GenerationError(f"unsupported character(s) {shown}; accepted: letters of the voice's language, "
                              "digits, spaces and ordinary punctuation (.,;:!?'\"-()…)")
    if not WORD_RE.search(text):
        raise GenerationError("the text has no words to speak (only punctuation or symbols)")
    return text

#: Common English words (function words and the commonest verbs, pronouns and adverbs; contractions without their
#: apostrophe). Half the words of an English sentence are among them, as a rule, and few of another language's.
COMMON_ENGLISH = frozenset("""
a about after again all also always am an and any are as at back be because been but by can cant come could day
did didnt do does dont down even ever every feel first for from get give go going good got had has have he her here
him his how i if im in into is isnt it its just know let lets like look love make me more most much my never new no
not nothing now of off oh on one only or our out over people please really right said say see she so some something
still take tell than thank thanks that the their them then there these they think this those time to too two up us
very want was way we well were what when where which who why will with wont work would year yes you your
""".split())
MIN_WORDS_FOR_LANGUAGE = 6  #: shorter texts (names, greetings, titles) are too few words to judge
MAX_ENGLISH_SHARE = 1 / 8  #: at most this share of common English words: the text does not look like English


def language_note(text: str, language: str) -> str | None:
    """A note when a voice of ``language`` (a code such as ``en_US``) that speaks English is given a text that does
    not look English: it still reads it, with English sounds, and nothing else would tell the user why the take
    sounds wrong. None for a voice of another language and for texts under six words.

    The rule is a share of common English words (`COMMON_ENGLISH`), at most one word in eight. Chosen on a small
    set written for it (`tests/test_speech_generator.py` keeps part of it): it flagged 37 of 44 sentences in German,
    French, Spanish, Italian, Dutch and Portuguese and 2 of 27 English ones, both telegraphic lines written to have
    no common word ("Meeting postponed until further notice, sorry everyone."); no Harvard, RAVDESS or benchmark
    sentence. Languages share short words (German 'so', 'was', 'will'; Spanish 'no', 'me'), hence a share, not
    the mere presence of one."""
    words = [w.lower().replace("'", "").replace("’", "") for w in words_of(text)]
    if not language.lower().startswith("en") or len(words) < MIN_WORDS_FOR_LANGUAGE:
        return None
    if sum(w in COMMON_ENGLISH for w in words) > MAX_ENGLISH_SHARE * len(words):
        return None
    return (f"the text does not look like English (few of its {len(words)} words are common English words), and "
            f"this voice speaks English ({language}), so it reads another language with English sounds; for another "
            "language give a Piper voice of it (--voice /path/to/voice.onnx)")


def words_of(text: str) -> list[str]:
    return WORD_RE.findall(text)


def estimate_word_timings(text: str, samples: np.ndarray, rate: int) -> list[dict]:
    """Word timings from character counts over the span between the first and last loud sample."""
    words = words_of(text)
    x = np.abs(samples)
    loud = np.flatnonzero(x > 0.05 * (x.max() or 1.0))
    if not words or loud.size == 0:
        return []
    t0, t1 = loud[0] / rate, loud[-1] / rate
    weights = np.array([len(w) + 1 for w in words], dtype=float)
    edges = t0 + (t1 - t0) * np.concatenate([[0], np.cumsum(weights)]) / weights.sum()
    return [{"word": w, "start_s": round(float(a), 4), "end_s": round(float(b), 4)} for w, a, b in zip(words, edges, edges[1:])]
