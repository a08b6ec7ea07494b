"""Checking the text a speech backend is asked to read, and estimating word timings where a backend gives none.

Shared by the speech backends (DESIGN.md section 3: shared helpers live in a small module of the modality, not in
a sibling backend): Piper, Festival, coqui XTTS and the diffusion TTS all refuse the same bad texts with the same
messages.
"""
from __future__ import annotations

import functools
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
#: More than this share of common English words: English, without asking the language model (which takes 1.6 s to
#: load, once per process). No sentence in another language of `bench/language_note.py` comes near it (the
#: most, German "Was will er denn so spät am Abend noch hier?", has 4 of 10).
SURELY_ENGLISH_SHARE = 1 / 2
#: Language names for the note (ISO 639-1 codes as langid gives them); another code is shown as it is.
LANGUAGES = {"de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese", "nl": "Dutch",
             "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish", "pl": "Polish", "cs": "Czech",
             "sk": "Slovak", "hu": "Hungarian", "ro": "Romanian", "tr": "Turkish", "id": "Indonesian",
             "ms": "Malay", "ca": "Catalan", "gl": "Galician", "eu": "Basque", "la": "Latin", "vi": "Vietnamese"}


@functools.lru_cache(maxsize=1)
def _identifier():
    """langid.py's language identifier (Lui & Baldwin 2012: naive Bayes over byte n-grams, 97 languages, trained
    on five domains; BSD), with probabilities; loaded once per process, never changed afterwards."""
    from langid.langid import LanguageIdentifier, model

    return LanguageIdentifier.from_modelstring(model, norm_probs=True)


def language_note(text: str, language: str) -> str | None:
    """A note when a voice of ``language`` (a code such as ``en_US``) that speaks English is given a text in
    another language: it still reads it, with English sounds, and nothing else would tell the user why the take
    sounds wrong. None for a voice of another language and for texts under six words.

    Another language is what langid.py finds more likely than not (probability 0.5 or more, over its 97
    languages), unless more than half the words are common English words (`SURELY_ENGLISH_SHARE`), which spares
    an English text the model's load. On `python bench/language_note.py` (real sentences: EmoDB's ten German
    ones, the first sentence of the Universal Declaration of Human Rights in 16 Latin-script languages, 20
    Harvard sentences; and 30 English and 30 short foreign lines written for it): every foreign text is noted
    and 3 of the 56 English ones, lines full of foreign names and food ("a little café in Montréal"). The rule
    before, a share of common English words at most one in eight, noted 12 of those 30 English lines (telegraphic
    ones) and missed 14 of the 56 foreign texts (German 'will', 'was', 'so', 'in'; Spanish 'no', 'me'; Czech 'a')."""
    words = words_of(text)
    if not language.lower().startswith("en") or len(words) < MIN_WORDS_FOR_LANGUAGE:
        return None
    common = sum(w.lower().replace("'", "").replace("’", "") in COMMON_ENGLISH for w in words)
    if common > SURELY_ENGLISH_SHARE * len(words):
        return None
    found, p = _identifier().classify(text)
    if found == "en" or p < 0.5:
        return None
    return (f"the text does not look like English (langid reads it as {LANGUAGES.get(found, found)}, "
            f"probability {p:.2f}), and this voice speaks English ({language}), so it reads another language with "
            "English sounds; for another language give a Piper voice of it (--voice /path/to/voice.onnx)")


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
