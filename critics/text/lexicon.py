"""Lexicon text critic: valence, arousal and dominance of a prompt, lyric or script.

Three lexicons that ship with their packages, each used for what it is best at:
- VADER (Hutto & Gilbert 2014, MIT; ``vaderSentiment``): valence, with its validated rules for negation,
  boosters ("very", "slightly"), contrast ("but"), capitals and exclamation marks;
- the conditioning vocabulary's word table (NRC-VAD, Mohammad 2018): valence, arousal and dominance of
  ~300 affect words, the only source here with arousal and dominance;
- NRC EmoLex (Mohammad & Turney 2013, through ``nrclex``): which of 8 emotions a word evokes (4,463 of its 6,468 words),
  placed in VAD through the vocabulary, for the words the VAD table lacks.

A text in another language (`conditioning.language.other_language`: six words or more that langid.py reads
as another language, with and without its names and borrowed words) is refused: the English lexicons would read
only its words that look English. An English line full of foreign names or dishes is read (langid alone took 15
of 50 such lines for another language: `python bench/language_note.py`). Sentences in another language that hold
fewer than half a text's words (`conditioning.language.foreign_sentences`) are left unread, and the reading says so
(``details["unread_other_language"]``): the English lexicons would read their few English-looking words.

Negation and intensifiers are applied to the word-level VAD the same way VADER applies them to valence: a
negator in the three words before an affect word flips its valence (scaled by VADER's N_SCALAR = -0.74) and
damps its arousal towards neutral; a booster scales its distance from neutral by +/- VADER's B_INCR (0.293).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from conditioning import Emotion
from conditioning._vad_tables import WORDS
from conditioning.language import foreign_sentences, other_language, word_count
from conditioning.registry import configure
from conditioning.vocabulary import VOCABULARY, resolve
from critics.base import CriticError, Reading

#: NRC EmoLex's eight emotions placed at vocabulary terms (Plutchik's trust ~ gratitude, anticipation ~ interest)
EMOLEX_TERMS = {"anger": "anger", "anticipation": "interest", "disgust": "disgust", "fear": "fear", "joy": "joy",
                "sadness": "sadness", "surprise": "surprise", "trust": "gratitude"}
NEGATORS = {"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without", "hardly", "barely",
            "cannot", "dont", "isnt", "wasnt", "arent", "werent", "doesnt", "didnt", "wont", "wouldnt", "shouldnt",
            "couldnt", "cant", "aint", "nt"}
#: Words after a negator that turn it on themselves, not on the affect word after them: "can't stop smiling",
#: "couldn't help laughing", "can't wait to see you" are glad; after "never", also VADER's "never so" and "never
#: this" ("never been so happy"), which only "never" turns ("not so happy" is less happy)
NEGATION_TURNS = {"stop", "help", "wait"}
NEVER_TURNS = {"so", "this"}
#: After "can't" (and "cannot", "couldn't"), "believe" too: "I can't believe how awful it was" exclaims (+0.11);
#: not before "in", a belief denied ("I can't believe in love anymore" read +0.24)
CANT_TURNS = {"believe"}
CANT = ("cant", "cannot", "couldnt")
#: Affect words that "can't" turns on themselves ("I can't wait for the weekend!" is eager), unless the rest of their
#: clause says the speaker is out of patience: a word of `IMPATIENT` ("I can't wait anymore", "... here all day"; a
#: re-audit), or a person waited for with nothing to do ("I can't wait for you", not "... for you to see it")
EAGER = {"wait"}
IMPATIENT = {"any", "anymore", "longer", "much", "forever", "around", "here", "there", "all", "long", "patiently",
             "alone", "outside", "another"}
PERSONS = {"me", "you", "him", "her", "them", "us"}
#: A plea: a negated imperative ("Please don't hurt me!", "Do not leave us") with the speaker as its object fears
#: what it names; read as the opposite of the harm, "Please don't kill us!" was tender (+0.67, VADER +0.75). Its
#: clause opens with the negator, after these words at most, and one of `PLEA_OBJECTS` is the affect word's object,
#: right after it. "I won't hurt you", "Don't worry about me" and "Don't cry" stay negations.
PLEA_LEADS = {"please", "just", "oh", "now", "so", "and", "but", "do"}
PLEA_NEGATORS = {"dont", "not", "never"}
PLEA_OBJECTS = {"me", "us", "my", "our", "mine", "ours"}
#: Where a clause ends: a negator or booster reaches no word past it
CLAUSE_END_RE = re.compile(r"[.!?;:,\n]|\s[-–—]\s")
#: A filler set off by commas, whose commas end no clause ("I'm not, like, happy." read +0.19; VADER -0.63)
ASIDE_RE = re.compile(r",\s*(?:like|um+|uh+|er|erm|well|you know|i mean|honestly|really|actually|frankly|seriously|"
                      r"basically|literally)\s*,", re.I)
N_SCALAR = -0.74  # VADER's negation scalar
B_INCR = 0.293  # VADER's booster increment
NEGATED_AROUSAL = 0.5  # "not angry" is calmer than "angry" and not the opposite of it
#: VADER reads a text whole, in time that grows with the square of its length (a 172,000-character script took 42 s,
#: 300 kB four minutes on the web), and its compound saturates: a long text of as many glad sentences as sad ones
#: read +1.0. A longer text is read in passages of whole sentences up to this length, their scores averaged by
#: words. Every speech line (987 characters at most) and prompt is read whole, as before.
PASSAGE_CHARS = 1000
MAX_CHARS = 200_000  #: about a feature film's script; longer is refused, with the length, before any reading
#: ANSI escape sequences (terminal colours) and the other control characters but line breaks and tabs
CONTROL_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: HTML: a document's or an element's tag (what marks a text as markup, not prose with a "<" in it), the parts of a
#: page that are no text (scripts, styles, comments), and any tag
MARKUP_RE = re.compile(r"</?(?:!doctype|html|head|body|p|div|span|br|script|style|a|h[1-6]|li|ul|table)\b[^<>]*>",
                       re.I)  # the name right after "<" and a closing ">": "x < a I feel ... b > c" is prose
HIDDEN_RE = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
TAG_RE = re.compile(r"</?[A-Za-z!][^<>]*>")
#: Web addresses, a Markdown link's target, and code (fenced blocks and inline spans): read as words they were
#: (a bare domain with a common ending too: "example.com/terrible-disaster-death" read three feelings); a backtick
#: after a letter is an apostrophe typed so ("can`t believe how awful, I`m devastated" lost two words as code)
_WORDLIKE = r"(?:co|uk|de|fr|info|ai|app|dev|ly|me|tv|us|ca|au)"  # endings that are also words or typos' tails
LINK_RE = re.compile(r"```.*?```|(?<![A-Za-z])`[^`\n]*`|\]\([^)\s]*\)|\b(?:https?://|www\.)\S+"
                     r"|\b(?:[A-Za-z0-9-]+\.)+(?:com|org|net|edu|gov|io)\b(?:/\S*)?"
                     rf"|\b(?:[A-Za-z0-9-]+\.)+{_WORDLIKE}/\S*|\b(?:[A-Za-z0-9-]+\.){{2,}}{_WORDLIKE}\b"
                     rf"|\b[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+\.{_WORDLIKE}\b", re.S)
#: (an ending that is also a word, "us" or "me", makes an address only with a path, two levels or a hyphenated
#: name: "I felt terrible.us too" lost "terrible" as the address "terrible.us"; funeral-flowers.co.uk and
#: happy-days.me are addresses)
#: Apostrophes as phones and word processors type them (’, ʼ, ＇), read as the keyboard's: "Please don’t kill us!"
#: lost its plea and its negation (-0.28 against -0.68)
APOSTROPHES = dict.fromkeys(map(ord, "\u2019\u2018\u02bc\uff07"), "'")
#: ... and the marks typed for one between two letters: a backtick, an acute accent, a prime ("I don`t feel
#: happy" read +0.74, hope, against -0.60)
INNER_APOSTROPHE_RE = re.compile("(?<=[A-Za-z])[`\u00b4\u2032](?=[A-Za-z])")


#: Titles after which a capitalised word is a name, though it follows a full stop ("Dr. Smith")
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lady", "lord", "st", "saint", "capt",
          "captain", "rev", "fr", "sr", "jr", "uncle", "aunt"}


def _eager(after: list[str]) -> bool:
    """Whether "can't wait" followed by ``after`` (the rest of its clause) is eager (`EAGER`)."""
    waited_for = after[:1] == ["for"] and after[1:2] and after[1] in PERSONS and "to" not in after[2:]
    return not waited_for and not IMPATIENT.intersection(after)


def negated(before: list[str], word: str = "", after: list[str] = ()) -> bool:
    """Whether the words before an affect word (``word``, and ``after``, the word after it), in its clause, negate
    it: a negator among them that no word of `NEGATION_TURNS` follows ("never been so happy" is glad, as VADER's
    "never so" rule reads it; "We won! I can't stop smiling!" read +0.03 where VADER alone reads +0.76), nor the
    affect word itself right after "can't" (`EAGER`: "I can't wait!" read -0.19; "can't wait any longer" and "I
    won't wait for you" stay negations, a re-audit). ``after``: the rest of the affect word's clause."""
    last = max((k for k, b in enumerate(before) if b in NEGATORS), default=None)
    if last is None:
        return False
    if word in EAGER and last == len(before) - 1 and before[last] in CANT and _eager(list(after)):
        return False
    turns = NEGATION_TURNS | (NEVER_TURNS if before[last] == "never" else set()) | (
        CANT_TURNS if before[last] in CANT else set())
    after = before[last + 1:]
    return not any(b in turns and not (b in CANT_TURNS and after[j + 1:j + 2] == ["in"]) for j, b in enumerate(after))


def plea(tokens: list[str], clause: list[int], i: int) -> int | None:
    """The index of the negator that makes the affect word ``tokens[i]`` part of a plea (`PLEA_LEADS`), or None."""
    same = lambda j: 0 <= j < len(tokens) and clause[j] == clause[i]  # noqa: E731
    k = i - 1  # the negator (`negated` found one in the few words before)
    while same(k) and tokens[k] not in NEGATORS:
        k -= 1
    if not same(k) or tokens[k] not in PLEA_NEGATORS or not same(i + 1) or tokens[i + 1] not in PLEA_OBJECTS:
        return None
    j = k - 1  # the clause opens with it, after lead words at most
    while same(j):
        if tokens[j] not in PLEA_LEADS:
            return None
        j -= 1
    return k


def _names(text: str, words: list) -> set[int]:
    """Indices of the words that are names: capitalised (not all capitals, VADER's emphasis) and not the first
    word of a sentence or a line, or after a title. Their lexicon entries are not theirs: "Dr. Smith arrived" read
    positive (EmoLex's smith), and a fearful paragraph that named him was noted as reading positive; Joy, Hope,
    Grace and Rose are names more often than feelings when capitalised mid-sentence."""
    out = set()
    line = _index_of(words, [k for k, ch in enumerate(text) if ch == "\n"])
    titled = _title_case_lines(words, line)
    for i, m in enumerate(words):
        w = m.group()
        if len(w) < 2 or not w[0].isupper() or w.isupper():
            continue
        before = text[:m.start()].rstrip(" \t")  # a line break stays: a lyric's lines start with capitals
        after_title = i > 0 and words[i - 1].group().lower() in TITLES and before.endswith(".")
        starts = not before.strip() or before[-1] in ".!?:;\n\r\"'“‘(-—*•·"  # (a list's bullets start one too)
        if after_title or not (starts or line[i] in titled):
            out.add(i)
    return out


def _opens_clause(text: str, at: int, ends: list[tuple[int, int]]) -> bool:
    """Whether what comes before position ``at`` in its clause (``ends``: the clause ends' sorted spans) is one word
    at most: "No, really, I'm happy." opens with an interjection, whose comma still ends its clause (an aside there
    had let "No" negate "happy")."""
    import bisect

    k = bisect.bisect_left(ends, (at, at))
    start = ends[k - 1][1] if k else 0
    return len(re.findall(r"[A-Za-z']+", text[start:at])) <= 1


def _index_of(words: list, marks: list[int]) -> list[int]:
    """For each word (a regex match), how many of the sorted positions ``marks`` come before it: its line, with
    the line breaks' positions, or its clause (a count per word was quadratic: 88 s for 200,000 characters)."""
    import bisect

    return [bisect.bisect_left(marks, m.start()) for m in words]


def _title_case_lines(words: list, line: list[int]) -> set[int]:
    """The lines (by index; ``line``: each word's) written in title case, as headlines are: three words or more, at
    least 70 % of them capitalised, and every word of four letters or more; with only one such word, every word
    (title case leaves short function words alone; "Hi Joy, I am Hope." is a greeting between two people, "Man
    Dies In War" a headline). A capital there marks no name: "Local Man Wins Lottery, Family Overjoyed And
    Thrilled" read neutral, its feelings taken for names. A sentence full of names is no headline: "Yesterday Hope,
    Grace and Joy visited Rose." read +0.88 as one (its "visited")."""
    lines: dict[int, list[str]] = {}
    for m, k in zip(words, line):
        lines.setdefault(k, []).append(m.group())
    return {k for k, ws in lines.items() if len(ws) >= 3 and sum(w[0].isupper() for w in ws) >= 0.7 * len(ws)
            and all(w[0].isupper() for w in ws if len(w) >= 4)
            and (sum(len(w) >= 4 for w in ws) >= 2 or all(w[0].isupper() for w in ws))}


def _pieces(sentence: str) -> list[str]:
    """A sentence in pieces of at most `PASSAGE_CHARS`: whole if it fits, else cut after commas, and a clause still
    longer between its words."""
    if len(sentence) <= PASSAGE_CHARS:
        return [sentence]
    out: list[str] = []
    for clause in re.split(r"(?<=,)\s+", sentence):
        words = clause.split()
        current = ""
        for w in words:
            if current and len(current) + 1 + len(w) > PASSAGE_CHARS:
                out.append(current)
                current = ""
            current = f"{current} {w}" if current else w
        if current:
            out.append(current)
    return out


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the (start, end) spans, in order, cut out: VADER read "We met Hope and Grace" as +0.69."""
    parts, at = [], 0
    for start, end in spans:
        parts.append(text[at:start])
        at = end
    return "".join(parts) + text[at:]


@dataclass(frozen=True)
class TextCriticConfig:
    window: int = 3  #: words before an affect word in which a negator or booster applies
    vader_weight: float = 0.5  #: share of VADER's compound in the final valence when word VAD exists


class LexiconTextCritic:
    modality = "text"
    name = "lexicon"

    def __init__(self, config: TextCriticConfig | None = None, **overrides: Any) -> None:
        self.config = configure(TextCriticConfig, config, overrides, "text/lexicon")

    @cached_property
    def _vader(self):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        return SentimentIntensityAnalyzer()

    @cached_property
    def _boosters(self) -> dict[str, float]:
        from vaderSentiment.vaderSentiment import BOOSTER_DICT

        return dict(BOOSTER_DICT)

    @cached_property
    def _emolex(self) -> dict[str, list[str]]:
        from importlib import resources

        with resources.files("nrclex").joinpath("data/nrc_en.json").open("r", encoding="utf-8") as f:
            return json.load(f)

    def word_vad(self, word: str) -> tuple[float, float, float] | None:
        """VAD of one word: the NRC-VAD table first, then vocabulary aliases, then EmoLex categories."""
        if word in WORDS:
            return WORDS[word]
        term = resolve(word)
        if term is not None:
            return VOCABULARY[term].mean
        cats = [EMOLEX_TERMS[c] for c in self._emolex.get(word, ()) if c in EMOLEX_TERMS]
        if cats:
            return tuple(sum(VOCABULARY[t].mean[i] for t in cats) / len(cats) for i in range(3))  # type: ignore[return-value]
        return None

    def vader_scores(self, text: str) -> dict[str, float]:
        """VADER's scores (compound, pos, neu, neg): of the whole text, or for one longer than `PASSAGE_CHARS` the
        word-weighted mean over passages of whole sentences. A sentence longer than a passage is cut at its commas,
        then between words: a transcript of 200,000 characters without full stops was one passage, and took 126 s."""
        if len(text) <= PASSAGE_CHARS:
            return self._vader.polarity_scores(text)
        passages, current = [], ""
        for sentence in (piece for s in re.split(r"(?<=[.!?;:])\s+|\n+", text) for piece in _pieces(s)):
            if current and len(current) + 1 + len(sentence) > PASSAGE_CHARS:
                passages.append(current)
                current = ""
            current = f"{current} {sentence}" if current else sentence
        passages.append(current)
        weighted = [(len(p.split()), self._vader.polarity_scores(p)) for p in passages if p.strip()]
        total = sum(n for n, _ in weighted) or 1
        return {k: round(sum(n * sc[k] for n, sc in weighted) / total, 4) for k in ("compound", "pos", "neu", "neg")}

    def score(self, text: str) -> Reading:
        if not isinstance(text, str):  # (5 was told "the text is empty")
            raise CriticError(f"the text critic reads text (a str), got {type(text).__name__}")
        if not text.strip():
            raise CriticError("the text is empty; give a prompt, lyric or script with some words")
        if len(text) > MAX_CHARS:
            raise CriticError(f"the text has {len(text):,} characters, and the text critic reads at most "
                              f"{MAX_CHARS:,} (about a feature film's script); give a part of it")
        # a terminal's colour codes and other control characters are no words: '\x1b[0m' made langid read a
        # plainly English line as German, and it was refused
        text = INNER_APOSTROPHE_RE.sub("'", CONTROL_RE.sub(" ", text).translate(APOSTROPHES))
        text = LINK_RE.sub(" ", text)  # an address or a code span is no words ("example.com/terrible-disaster-death"
        # read four feelings)
        markup = bool(MARKUP_RE.search(text))
        if markup:  # a saved web page: its tags, scripts and styles are no words ("var happy=love" read as joy)
            import html

            text = html.unescape(TAG_RE.sub(" ", HIDDEN_RE.sub(" ", text)))
            if not text.strip():
                raise CriticError("the text is markup (HTML) with no words outside its tags; give the page's text")
        foreign = other_language(text)  # first: a text all in another script names its language (it was "no words")
        if foreign is not None:  # its lexicons would read the few words that look English ("Gift", poison)
            raise CriticError(f"the text reads as {foreign}; the text critic reads English only (its lexicons, "
                              "VADER and NRC, are English), so give an English text")
        if not re.search(r"[a-zA-Z]", text):
            raise CriticError("the text has no words the text critic can read (English letters expected)")
        unread = None  # sentences in another language, under half its words: the English is read, they are left out
        others = foreign_sentences(text)  # ("traurig und wütend" beside a glad English sentence read +1.0)
        if others:
            at, spans = 0, []
            for sentence, _ in others:
                start = text.index(sentence, at)
                spans.append((start, start + len(sentence)))
                at = start + len(sentence)
            unread = {"languages": sorted({lang.name for _, lang in others}),
                      "words": round(sum(word_count(s) for s, _ in others)),
                      "of_words": round(word_count(text))}
            text = _without(text, spans)
        words = list(re.finditer(r"[a-zA-Z']+", text))
        tokens = [m.group().lower().replace("'", "") for m in words]
        # each word's clause: a negator or booster reaches the words after it in its own clause only ("No. I am
        # happy." read -0.08, "I cant wait, so excited!" -0.03, where VADER alone reads them +0.57 and +0.53)
        ends = [m.span() for m in CLAUSE_END_RE.finditer(text)]  # (found once: each aside's clause looked its own up)
        asides = {k for m in ASIDE_RE.finditer(text) if not _opens_clause(text, m.start(), ends)
                  for k in (m.start(), m.end() - 1)}
        clause = _index_of(words, [start for start, _ in ends if start not in asides])
        names = _names(text, words)
        points, hits, pleas = [], [], []
        for i, tok in enumerate(tokens):
            vad = None if i in names else self.word_vad(tok)
            if vad is None or tok in self._boosters or tok in NEGATORS:
                continue
            v, a, d = vad
            before = [b for j, b in enumerate(tokens[max(0, i - self.config.window):i], max(0, i - self.config.window))
                      if clause[j] == clause[i]]
            scale = 1.0 + sum(math.copysign(B_INCR, self._boosters[b]) for b in before if b in self._boosters)
            v, a, d = v * scale, a * scale, d * scale
            if negated(before, tok, [b for j, b in enumerate(tokens[i + 1:], i + 1) if clause[j] == clause[i]]):
                k = plea(tokens, clause, i) if v < 0 else None  # (a plea fears a harm: "Please don't love me" is none)
                if k is None:
                    v, a, d = v * N_SCALAR, a * NEGATED_AROUSAL, d * NEGATED_AROUSAL
                else:  # the harm the speaker pleads against, as feared: VADER too reads it without its negator
                    pleas.append(k)
            points.append((v, a, d))
            hits.append(tok)
        unsaid = sorted({*names, *pleas})
        vader = self.vader_scores(_without(text, [words[i].span() for i in unsaid]))  # names unread here too
        if points:
            n = len(points)
            v_words, a, d = (sum(p[k] for p in points) / n for k in range(3))
            w = self.config.vader_weight
            v = w * vader["compound"] + (1 - w) * v_words
        else:  # no word with arousal: VADER's valence only, arousal and dominance neutral
            v, a, d = vader["compound"], 0.0, 0.0
        exclam = min(text.count("!"), 4)
        a += 0.05 * exclam  # VADER's emphasis: each "!" adds intensity (capped at 4)
        clip = lambda x: max(-1.0, min(1.0, x))  # noqa: E731
        emotion = Emotion.from_vad(clip(v), clip(a), clip(d))
        native = {"positive": vader["pos"], "neutral": vader["neu"], "negative": vader["neg"]}
        coverage = len(hits) / len(tokens)
        confidence = min(1.0, 0.3 + abs(vader["compound"]) * 0.4 + min(len(hits), 5) * 0.06)
        return Reading(f"{self.modality}/{self.name}", emotion.valence, emotion.arousal, emotion.dominance,
                       dict(emotion.mix), native, confidence,
                       details={"affect_words": hits[:20], "affect_valence": [round(p[0], 3) for p in points[:20]],
                                "coverage": round(coverage, 3),
                                "vader_compound": vader["compound"],
                                # no affect word and no sentiment: its neutral point is no reading (a German text)
                                "nothing_read": not points and vader["compound"] == 0,
                                **({"pleas": len(pleas)} if pleas else {}),
                                **({"markup_removed": True} if markup else {}),
                                **({"unread_other_language": unread} if unread else {})},
                       categorical=False)
