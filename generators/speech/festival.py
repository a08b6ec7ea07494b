"""Festival's HTS voice with emotional prosody: ``speech/festival`` (a second, female, voice).

Festival (Debian ``festival`` + ``festvox-us-slt-hts``: the CMU ARCTIC "slt" speaker, US female, HTS
statistical parametric synthesis) runs as a subprocess per request: it synthesises the neutral take and prints
its segment and word timings with syllable stress, from which the same WORLD renderer as the Piper backend
(`generators.speech.world.render`) applies the emotion. The HTS engine in Festival ignores
``Duration_Stretch``, so the speaking rate is realised entirely by WORLD's time-warp here.

Why a subprocess rather than a Python binding: no maintained binding exists for Python 3.11, and a fresh
process per request keeps requests independent (Festival's Scheme state is global). Cost: about 0.15 s of
start-up per request.

Licences (Debian copyright files): Festival itself is under a BSD/X11-style licence (University of
Edinburgh, CMU); the slt HTS voice is under CMU's EST-2003/EST-2000 licences (free use with attribution)
and BSD-3-Clause for the HTS parts; the ARCTIC recordings are free (CMU, Kominek & Black 2004).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from conditioning.registry import configure
from conditioning.vocoder import resolve_f0_method
from generators.base import GenerationError, GenerationRequest, GenerationResult, Provenance, check_options

from . import prosody as P
from .reading import NUMBERED, spoken
from .take import VoiceNotFound, speech_result, word_controls
from .text import check_text
from .world import RenderConfig, Segment, Utterance, WordSpan, render

VOICES = {"slt": "cmu_us_slt_arctic_hts"}
OPTIONS = {"voice": "slt (the US female HTS voice)"}


def resolve_voice(voice: str) -> tuple[str, str]:
    """(voice name, Festival's voice function) for a name or function in `VOICES`; `VoiceNotFound` otherwise
    (also what a dataset spec's check calls, before any work)."""
    fn = VOICES.get(voice, voice)
    if fn not in VOICES.values():
        raise VoiceNotFound(f"unknown festival voice {voice!r}; known: {', '.join(VOICES)} "
                            f"(Piper voices: backend piper, voice 'joe' or a path to a .onnx voice)")
    return voice, fn
LICENCE = ("Festival (BSD/X11-style, Univ. Edinburgh & CMU); voice cmu_us_slt_arctic_hts: EST-2003/EST-2000 "
           "(CMU, free with attribution) and BSD-3-Clause (HTS); data CMU ARCTIC slt")


@dataclass(frozen=True)
class FestivalSpeechConfig:
    """- `voice`: ``slt`` (or a Festival voice function name such as ``cmu_us_slt_arctic_hts``);
    - `binary`: the ``festival`` executable; `timeout_s`: per request;
    - `take_variation`: each seed its own take (`prosody.take_variation`: F0 level, rate and level drawn as two
      takes of an actor differ); False gives every seed the same audio, as HTS does."""

    voice: str = "slt"
    binary: str = "festival"
    timeout_s: float = 60.0
    render: RenderConfig = field(default_factory=lambda: RenderConfig(f0_method="auto"))  # (f0_method="dio": no
    word_level: bool = True                                                             # GPL code, see RenderConfig)
    take_variation: bool = True

    def __post_init__(self) -> None:
        """A timeout in range, or a `GenerationError` naming it (-1 s was "festival took longer than -1 s")."""
        from conditioning.registry import check_ranges

        check_ranges("speech/festival", self, (("timeout_s", 1, 3600),), error=GenerationError)


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


#: Festival reads bytes, and its English voice knows ASCII: a UTF-8 "è" came back split in its word list and
#: crashed the reading of its output. Letters lose their accents ("Très" is read "Tres", as an English voice
#: would say it), and the typographic marks the text check accepts become their ASCII forms.
_ASCII = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "–": "-", "—": " - ", "€": " euros ",
                        "£": " pounds ", "¥": " yen ", "ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe",
                        "Œ": "OE",
                        "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i"})


def festival_text(text: str) -> str:
    """``text`` (checked by `check_text`) as the ASCII Festival's English voice reads."""
    # money with its cents, dates, "10am", "#1", "8/10", degrees and halves as a reader says them, markdown's
    # emphasis marks left out (`reading.spoken`: Festival had said "€15.50" as "fifteen point five zero euros",
    # "2024-03-15" digit by digit, "#1 fan" as "one pound fan"), and its line breaks as pauses
    text = spoken(text, festival=True)
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.translate(_ASCII)) if not unicodedata.combining(c))
    lost = [c for c in dict.fromkeys(plain) if not c.isascii() and unicodedata.category(c).startswith("L")]
    if lost:  # a letter with no ASCII form would be left out of the take ("Meet Ŋuyen" was said "Meet uyen")
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in lost)
        raise GenerationError(f"Festival's English voice cannot say the letter(s) {shown}: spell the words "
                              "with English letters")
    return " ".join(plain.encode("ascii", "ignore").decode("ascii").split())


#: Words whose full stop ends no sentence: an initial ("J. Smith", "U.S."), titles and ranks ("Det.", "Pvt.": a
#: re-audit), months, weekdays, and these (the splitter had paused 0.3 s after "et al." and "Gov.";
#: `reading.NUMBERED`'s for "vol. II"). Not names that end sentences ("Max.", "Ann."). Festival's own
#: reader takes any capitalised word of up to three letters for one, and so had no pause at all in "Yes. I will.",
#: "Hi. My name is Ann." or "I met Bob. He left." (a re-audit); these are named instead.
ABBREVIATIONS = ("Dr|Mr|Mrs|Ms|Mx|St|Mt|Jr|Sr|Sen|Rep|Gov|Govt|Gen|Col|Lt|Sgt|Capt|Cmdr|Adm|Maj|Rev|Hon|Fr|Pres|Prof|"
                 "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun|"
                 "Inc|Ltd|Co|Corp|Bros|Ave|Rd|Blvd|Ln|Dept|Univ|Ft|Pt|Ct|Pl|Sq|Op|Ed|Eds|Mme|Mlle|Messrs|Ph|"
                 "Det|Pvt|Cpl|Spc|Dir|Supt|Insp|Cdr|Brig|Ens|Msgr|Atty|Asst|Assoc|Mgr|Hwy|Fwy|Pkwy|Rte|Apt|Ste|Bldg|"
                 "Mtn|Dist|Twp|Jct|Approx|Etc|Vs|Esq|Pg|"
                 "al|approx|etc|cf|vs|e\\.g|i\\.e|ext|apt|eq|ft|min|max|oz|lbs?|incl|aka|a\\.k\\.a|viz|est")
NOT_A_SENTENCE_END = re.compile(r"\b(?:[A-Z]|" + "|".join(k for k in NUMBERED if k not in ("No", "Nos")) + "|"
                                + ABBREVIATIONS + r")\.$")  # ("No." before a capital is the answer "No.")


def sentences(text: str) -> list[str]:
    """``text``'s sentences, as Festival's text2wave would read them: split after ., ! or ? before a capital or an
    opening quote (not before a figure), except after an abbreviation (`NOT_A_SENTENCE_END`)."""
    out: list[str] = []
    cuts = [m.span(1) for m in re.finditer(r"[.!?][\"'”’)]*(\s+)(?=[\"'“‘(]?[A-Z])", text)]
    bounds = [0, *(x for span in cuts for x in span), len(text)]
    for part in (text[a:b] for a, b in zip(bounds[::2], bounds[1::2])):
        if out and NOT_A_SENTENCE_END.search(out[-1].rstrip("\"'”’)")):
            out[-1] += " " + part
        else:
            out.append(part)
    return [p for p in out if p.strip()] or [text]


class FestivalSpeech(P.ProsodyLoop):
    """Emotional speech from Festival's HTS voice + WORLD prosody."""

    modality = "speech"
    name = "festival"

    def __init__(self, config: FestivalSpeechConfig | None = None, **overrides: Any) -> None:
        self.config = configure(FestivalSpeechConfig, config, overrides, "speech/festival", GenerationError)

    def _voice_fn(self, voice: str | None) -> tuple[str, str]:
        v, fn = resolve_voice(voice or self.config.voice)
        if shutil.which(self.config.binary) is None:
            from conditioning.registry import BackendUnavailable

            raise BackendUnavailable("speech/festival needs the Debian packages festival and festvox-us-slt-hts: "
                                     "apt-get install festival festvox-us-slt-hts")
        return v, fn

    def synthesize(self, text: str, voice_fn: str) -> Utterance:
        """The neutral take with segment and word timings, from one Festival process: each sentence its own
        utterance, as Festival's text2wave reads a text, so that a sentence ends with its pause (one utterance of
        the whole text had run "Well. I don't know." together: 1.10 s, and 0.11 s at every sentence's end in a
        paragraph, where text2wave pauses 0.32-0.46 s; an audit)."""
        said = sentences(text)
        with tempfile.TemporaryDirectory(prefix="emostudio-festival-") as tmp:
            waves = [Path(tmp) / f"out{k}.wav" for k in range(len(said))]
            script = Path(tmp) / "run.scm"
            lines = [f"(voice_{voice_fn})"]
            for k, (part, wav) in enumerate(zip(said, waves)):
                lines += [f"(set! utt1 (Utterance Text {_scheme_string(part)}))", "(utt.synth utt1)",
                          f"(utt.save.wave utt1 {_scheme_string(str(wav))} 'riff)", f"(format t \"UTT\\t{k}\\n\")",
                          "(mapcar (lambda (s) (format t \"SEG\\t%s\\t%f\\t%f\\t%s\\t%s\\n\" (item.name s) "
                          "(item.feat s \"segment_start\") (item.feat s \"end\") "
                          "(item.feat s \"R:SylStructure.parent.stress\") (item.feat s \"ph_vc\"))) "
                          "(utt.relation.items utt1 'Segment))",
                          "(mapcar (lambda (w) (format t \"WORD\\t%s\\t%f\\t%f\\n\" (item.name w) "
                          "(item.feat w \"word_start\") (item.feat w \"word_end\"))) (utt.relation.items utt1 'Word))"]
            script.write_text("\n".join(lines) + "\n", encoding="utf-8")
            try:
                proc = subprocess.run([self.config.binary, "--batch", str(script)], capture_output=True, text=True,
                                      encoding="utf-8", errors="replace",
                                      timeout=self.config.timeout_s, env={**os.environ, "LC_ALL": "C.UTF-8"})
            except subprocess.TimeoutExpired:
                raise GenerationError(f"festival took longer than {self.config.timeout_s:g} s; shorten the text") from None
            said = f"{proc.stdout}\n{proc.stderr}"
            if f"unbound variable : voice_{voice_fn}" in said:  # festival without the voice's package: exit 0, no
                from conditioning.registry import BackendUnavailable  # take (the demo stopped at "festival failed")

                raise BackendUnavailable(f"Festival's voice {voice_fn} is not installed: apt-get install "
                                         "festvox-us-slt-hts")
            if proc.returncode != 0 or not all(w.is_file() for w in waves):
                raise GenerationError(f"festival failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
            import soundfile as sf

            read = [sf.read(str(w), dtype="float32") for w in waves]
        rate = read[0][1]
        pieces = [x.mean(axis=1) if x.ndim > 1 else x for x, _ in read]
        offsets = np.concatenate([[0.0], np.cumsum([x.shape[0] / rate for x in pieces])])
        segs, words, sentence_ends, phrase_ends, at, first = [], [], [], [], 0.0, True
        for line in proc.stdout.splitlines():
            fields = line.split("\t")
            if fields[0] == "UTT" and len(fields) == 2:
                if phrase_ends and int(fields[1]) > 0:  # the sentence before ended at its last pause
                    sentence_ends.append(phrase_ends.pop())
                at = float(offsets[int(fields[1])])
                first = True  # (a sentence's opening pause ends nothing)
            elif fields[0] == "SEG" and len(fields) == 6:
                name, a, b, stress, vc = fields[1], float(fields[2]) + at, float(fields[3]) + at, fields[4], fields[5]
                pause = name in ("pau", "h#", "brth")
                if pause and not first:
                    phrase_ends.append(a)
                first = False
                segs.append(Segment("_" if pause else name, a, b, stressed=(stress == "1" and vc == "+"), pause=pause))
            elif fields[0] == "WORD" and len(fields) == 4:  # (a token Festival gives no time of its own, the "'s"
                last = words[-1].end_s if words else 0.0  # of "Morgan's", follows the word before: it had taken
                start = max(float(fields[2]) + at, last)  # its sentence's start, and the times went back; a re-audit)
                words.append(WordSpan(fields[1], start, max(start, float(fields[3]) + at)))
        if phrase_ends:  # the last pause closes the text
            sentence_ends.append(phrase_ends.pop())
        return Utterance(np.concatenate(pieces).astype(np.float32), int(rate), tuple(segs), tuple(words),
                         tuple(sentence_ends), tuple(phrase_ends))

    def generate(self, request: GenerationRequest) -> GenerationResult:
        t0 = time.perf_counter()
        vid, fn = self._voice_fn(check_options(request, OPTIONS, "speech/festival").get("voice"))
        text = check_text(request.text)
        utt_c = P.emotion_controls(request.emotion, request.controls)
        t1 = time.perf_counter()
        utt = self.synthesize(festival_text(text), fn)
        t2 = time.perf_counter()
        word_c = word_controls(request, utt, utt_c, self.config.word_level)
        take = P.take_variation(request.seed) if self.config.take_variation else P.ProsodyControls()
        settings = replace(self.config.render, f0_method=resolve_f0_method(self.config.render.f0_method))
        y, rate, phonemes, words = render(utt, [c + take for c in word_c], applied_rate=0.0, seed=request.seed,
                                          config=settings, envelope=self.frame_envelope(request, utt))
        y = self.match_spectrum(request, utt, y, rate)
        t3 = time.perf_counter()
        licence = f"{LICENCE}; {self.tables_licence()}"
        return speech_result(y, rate, phonemes, words, utt_c, word_c, request,
                             Provenance("speech/festival", f"festival:{fn}", licence, request.seed,
                                        f"festival 2.5, F0 {settings.f0_method}"),
                             {"setup_s": t1 - t0, "synthesis_s": t2 - t1, "prosody_s": t3 - t2, "total_s": t3 - t0},
                             {"take_variation": {k: getattr(take, k) for k in P.TAKE_SPREAD}}, language="en_US")
