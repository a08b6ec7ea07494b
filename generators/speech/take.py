"""What the WORLD-rendered speech backends (piper, festival) share: the voice error, the controls per word, and
the result they return with its timings and notes.

Why a module of its own: DESIGN section 3 keeps shared helpers out of sibling backends; Festival took these from
Piper's file (two of them private), so it could not run or change without it.
"""
from __future__ import annotations

from typing import Any

from conditioning.media import Audio
from generators.base import GenerationError, GenerationRequest, GenerationResult

from . import prosody as P
from .text import language_note, text_note
from .world import Utterance


class VoiceNotFound(GenerationError):
    """An unknown voice name or a path that is not a voice of the backend."""


def word_controls(request: GenerationRequest, utt: Utterance, utt_c: P.ProsodyControls,
                  word_level: bool = True) -> list[P.ProsodyControls]:
    """One control set per word: the trajectory sampled at the word onsets, or the utterance's for all."""
    n = max(1, len(utt.words))
    if request.trajectory is None or not word_level or not utt.words:
        return [utt_c] * n
    emotions = request.trajectory.at_times([w.start_s for w in utt.words])
    return [P.emotion_controls(e, request.controls) for e in emotions]


def speech_result(y, rate, phonemes, words, utt_c, word_c, request, provenance, timings, backend_controls, *,
                  language: str) -> GenerationResult:
    """The take with its applied controls (per word along a trajectory), phoneme and word timings, voice, text and
    the language note an English voice gives a text in another language."""
    audio = Audio(y, rate)
    controls: dict[str, Any] = {**utt_c.to_json(), **backend_controls}
    if request.trajectory is not None:
        controls["per_word"] = [c.to_json() for c in word_c]
    extras = {
        "phonemes": [{"phoneme": s.phoneme, "start_s": round(s.start_s, 4), "end_s": round(s.end_s, 4)} for s in phonemes],
        "words": [{"word": w.word, "start_s": round(w.start_s, 4), "end_s": round(w.end_s, 4)} for w in words],
        "voice": provenance.model,
        "text": request.text,
    }
    notes = [n for n in (text_note(request.text), language_note(request.text, language)) if n]
    if notes:
        extras["notes"] = notes
    return GenerationResult(audio, controls, provenance, timings, extras)


__all__ = ["VoiceNotFound", "speech_result", "word_controls"]
