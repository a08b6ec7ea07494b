"""Checking the text a speech backend is asked to read, and estimating word timings where a backend gives none.

Shared by the speech backends (DESIGN.md section 3: shared helpers live in a small module of the modality, not in
a sibling backend): Piper, Festival, coqui XTTS and the diffusion TTS all refuse the same bad texts with the same
messages.
"""
from __future__ import annotations

import html
import re
import unicodedata

import numpy as np

from conditioning.language import WORD_RE, latin, other_language, words_of
from generators.base import GenerationError
from generators.speech.reading import spoken

MAX_CHARS = 1000  #: longest text per request (about a minute of speech); split longer texts
#: ¿ ¡ « » „ ‚: Spanish, French, German quotes; ° ~ • ½ ¼ ¾ ¥ _ § ± × ¢ − ™ ® © < > are said as words or left
#: out (`reading.SIGNS`): one of them in a pasted paragraph had refused it whole (an audit)
ALLOWED_PUNCT = set(".,;:!?'\"-()[]…–—’‘“”&%$€£¥/@#+=*¿¡«»„‚°~•½¼¾_§±×¢−™®©<>")
#: Characters a text carries unseen (a zero-width space, a file's byte-order mark, a soft hyphen): left out, where
#: they had refused the text with a character the user could not find in it
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
VISIBLE_JOINER = {k: v for k, v in INVISIBLE.items() if k != 0x200D}  #: ... but the joiner, which emoji need
#: Full-width forms of ASCII (U+FF01-U+FF5E) and the ideographic space as ASCII: Piper's espeak read "Ｆｕｌｌ" as
#: its character codes (8.4 s for a 1.3-s line)
FULL_WIDTH = {**{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}, 0x3000: ord(" ")}
#: A run of emoji: pictographs (U+1F000-1FAFF, skin tones and flags' letters among them), the older symbols and
#: dingbats (U+2600-27BF: ♥ ☀ ✨ ✅), the stars and clocks of U+2B00-2BFF and U+2300-23FF, with what joins them
#: (variation selectors, a keycap's frame, a flag's tags, the zero-width joiner). No voice says them: Piper's espeak
#: read them as character codes, Festival skipped them, and one in a pasted post had refused the post whole.
EMOJI_RE = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\u2190-\u21FF\u25A0-\u25FF"
                      "\u203C\u2049\u2139\u24C2\u3030\u303D\u3297\u3299\U000E0020-\U000E007F"
                      "\uFE0E\uFE0F\u20E3\u200D]+")
#: ... with the spaces around and between them (two runs apart are one: "I 😍 ❤️ you" had lost its pause), or an
#: English suffix glued to the run, which makes it a word (`_inflected`: "She ❤️s pizza" had been said "loves s")
EMOJI_SPACED_RE = re.compile(r"[ \t]*(?:" + EMOJI_RE.pattern + r")(?:[ \t]+(?:" + EMOJI_RE.pattern + r"))*"
                             r"(?:(?P<suffix>(?i:s|d|ed|ing|['’]s))(?![\w'’])|[ \t]*)")
JOINERS = "\u200d\ufe0e\ufe0f\u20e3"
#: Emoji between two words: where the words around it need a word there, it is one. A heart after one who loves
#: is "love" ("I ❤️ NY"; "loves" after "she"), after "my", "the" ... "heart" ("My ❤️ is full"), after "with", "of"
#: ... "love" ("Made with ❤️ in Berlin"); an arrow is "to" ("Paris → London"), a star after "a", "the" ... "star".
#: An emoji such a slot needs that is none of these is refused, saying so ("I 💔 you": no voice can say it; read
#: without it, "I, you"). Anywhere else an emoji is the pause its writer meant: a full stop before a capital ("Best
#: day ever 😍 Thanks everyone"), a comma otherwise ("pizza 🍕 tonight"); they had refused the post whole (6 of 12
#: real posts: a re-audit), and read without a pause the words ran together.
HEARTS = set("\u2764\u2665\u2661\u2763\U0001F493\U0001F495\U0001F496\U0001F497\U0001F498\U0001F49D\U0001F49E"
             "\U0001F499\U0001F49A\U0001F49B\U0001F49C\U0001F5A4\U0001F90D\U0001F90E\U0001F9E1")
ARROWS, STARS = set("\u2192\u27A1\u21D2\u27F6"), set("\u2B50\u2605\U0001F31F")
SUBJECTS = {"i", "we", "they"}  #: ... who love (not "you", mostly an object: "I ❤️ you ❤️ so much")
THIRD_PERSON = {"he", "she", "everyone", "everybody", "who", "somebody", "someone"}  #: ... who loves
DETERMINERS = {"a", "an", "the", "my", "your", "his", "her", "our", "their", "its", "this", "that", "one"}
PREPOSITIONS = {"with", "of", "in", "for", "from", "by", "without", "full"}
#: A heart's or a star's word with a suffix glued to it: "❤️s" is "loves" (after "my", "with" ... "hearts"), "❤️d"
#: "loved", "⭐s" "stars"; any other emoji with a suffix is a word none of these says, refused (an audit: "She ❤️s
#: pizza" had been said "She loves s pizza", "We ❤️d it" "We love d it")
INFLECTED = {("heart", "s"): "loves", ("heart", "d"): "loved", ("heart", "ed"): "loved", ("heart", "ing"): "loving",
             ("star", "s"): "stars", ("star", "d"): "starred", ("star", "ed"): "starred", ("star", "ing"): "starring",
             ("heart", "'s"): "heart's", ("star", "'s"): "star's"}  # ("My ❤️'s full" had been "My 's full")
#: ... and "❤️s" is the verb only after one who loves ("She ❤️s pizza", "Mom ❤️s her garden"), a plural after a
#: number or a word of many, a verb's "-ing" or with no word after it that it loves ("Sending ❤️s to you all", "So
#: many ❤️s on my post", "Two ❤️s and a star" had been said "loves": a re-audit)
MANY = {"many", "some", "more", "most", "few", "all", "no", "lots", "those", "these", "several", "two", "three",
        "four", "five", "six", "seven", "eight", "nine", "ten", "hundred", "thousand", "million", "big", "little"}
NO_OBJECT = PREPOSITIONS | {"to", "on", "at", "into", "and", "or", "but", "are", "were", "everywhere", "all",
                            "please", "galore", "here", "there"}
THINGS = {"everything", "something", "nothing", "anything", "thing"}  # (-ing, but no verb's)
#: Words after which a clause needs its complement, an adjective ("I'm 😢 today" had been said "I'm, today"; an
#: audit): the subject and "be" in one word, a personal pronoun and "be" ("I am", "they were", "you'll be", "I've
#: been"), "feel" as the subject's verb ("I felt", "I'm feeling", "Feeling 😊 today" at a clause's start), and "so",
#: "very", "too" after one of these ("I'm so 😂"; "Love you too ❤️ see you" is a pause), or "and", "but", "or" after
#: one of these and its word ("I'm 😊 and 😢 at once"). Only after a personal pronoun: after a thing ("This is 😂",
#: "The movie was 😂 from start to end", "Everything is 😊 now"), a noun's "feeling" ("I have a feeling 😊 that we
#: will win") or in a question ("How are you feeling 😊 today") the emoji is a pause, which a face as its adjective
#: had made wrong words ("was amused", "a feeling happy": a re-audit)
CONTRACTED_BE = {"i'm", "im", "you're", "he's", "she's", "we're", "they're"}
PERSONAL = {"i", "you", "he", "she", "we", "they"}
BE = {"am", "is", "are", "was", "were"}
WILL_BE = {"will", "would", "can", "could", "should", "might", "must", "gonna", "won't", "wouldn't", "can't"}
CONTRACTED_WILL = {"i'll", "you'll", "he'll", "she'll", "we'll", "they'll", "i'd", "you'd", "we'd", "they'd"}
CONTRACTED_HAVE = {"i've", "you've", "we've", "they've", "he's", "she's"}
FEEL = {"feeling", "feel", "felt"}
BEFORE_FEEL = {"do", "did", "don't", "didn't", "still", "really", "just", "also", "always", "never", "kinda", "now"}
INTENSIFIERS = {"so", "very", "too"}
CONJUNCTIONS = {"and", "but", "or"}
#: ... nor at a clause's end ("It is what it is 😂 lol", "how you feel", "here we are", "than you are")
CLAUSE_FINAL = {"what", "how", "where", "who", "here", "there", "let", "as", "than", "way", "whatever", "wherever"}
#: A face whose meaning is plain, as the adjective it shows. Tears of joy are "amused": the one adjective that reads
#: in every such slot ("I'm amused", "so amused at this thread", "feeling amused"), where "laughing" does not follow
#: "so" or "feel"; refused, the commonest emoji of all would refuse a post whole, which the audits had found worst
FACES = {**dict.fromkeys("\U0001F622\U0001F62D\U0001F61E\u2639\U0001F641", "sad"),
         **dict.fromkeys("\U0001F60A\U0001F642\U0001F600\U0001F603\U0001F604\U0001F601", "happy"),
         **dict.fromkeys("\U0001F621\U0001F620", "angry"), **dict.fromkeys("\U0001F628\U0001F631", "scared"),
         **dict.fromkeys("\U0001F602\U0001F923", "amused")}
#: ... and after a thing's "be" and "so", "very", "too", which ask for a word ("It was so 😂" had been said "It was
#: so"; a re-audit), the adjective a thing is: tears of joy "funny", a sad face "sad", a scared one "scary"; a face
#: that shows no plain thing's adjective ("It was so 😊") is the pause or the decoration it was
THING_FACES = {"amused": "funny", "sad": "sad", "scared": "scary"}


def _kind(run: str) -> str | None:
    """What an emoji run shows where it may be a word: "heart", "arrow", "star", or None."""
    signs = {c for c in run if c not in JOINERS and not c.isspace()}
    return "heart" if signs <= HEARTS else "arrow" if signs <= ARROWS else "star" if signs <= STARS else None


def _subjects_be(before: list[str]) -> bool:
    """Whether the words ``before`` (lower case, the last nearest) end with a personal pronoun subject and its "be"
    ("I'm", "she was", "we'll be", "I've been"), not in a question's order ("are you")."""
    last, earlier = (before[-1:] or [""])[0], before[:-1]
    subject = (earlier[-1:] or [""])[0]
    if last in CONTRACTED_BE:
        return True
    if set(earlier[-2:]) & CLAUSE_FINAL:  # ("here we are", "than you are")
        return False
    return bool(last in BE and subject in PERSONAL or
            last == "be" and (subject in CONTRACTED_WILL or subject in WILL_BE and earlier[-2:-1] and
                              earlier[-2] in PERSONAL) or last == "been" and subject in CONTRACTED_HAVE)


def _needs_a_complement(before: list[str]) -> bool:
    """Whether the words ``before`` an emoji (lower case, the last nearest) need an adjective after them, a
    person's (`CONTRACTED_BE`)."""
    last, earlier = (before[-1:] or [""])[0], before[:-1]
    if last in INTENSIFIERS:
        return _needs_a_complement(earlier)
    if last in CONJUNCTIONS:  # (an adjective, or a face said as one, before it: "I'm 😊 and 😢")
        return len(earlier) > 1 and _needs_a_complement(earlier[:-1])
    if last not in FEEL:
        return _subjects_be(before)
    if not earlier:  # ("Feeling 😊 today", a clause's first word: the writer is its subject)
        return True
    if set(earlier[-2:]) & CLAUSE_FINAL:  # ("how you feel")
        return False
    if last == "feeling" and _subjects_be(earlier):  # ("I'm feeling", not "a feeling", "are you feeling")
        return True
    subject = earlier[-1] if earlier[-1] not in BEFORE_FEEL else (earlier[-2:-1] or [""])[0]
    return last != "feeling" and subject in PERSONAL and not (earlier[-1] in PERSONAL and earlier[-2:-1] and
                                                              earlier[-2] in BE | WILL_BE | BEFORE_FEEL)


def _things_intensifier(before: list[str]) -> bool:
    """Whether the words ``before`` an emoji end with a thing's "be" and "so", "very" or "too" (`THING_FACES`)."""
    return len(before) > 1 and before[-1] in INTENSIFIERS and before[-2] in BE and not _needs_a_complement(before)


def _face(run: str, before: list[str]) -> str | None:
    """The adjective an emoji run that is one face shows after the words ``before`` (`FACES`, after a thing's
    "so" `THING_FACES`), "" where that slot needs a person's adjective and the run is none this can say, or None
    where the words need none (or a thing's face none)."""
    faces = {FACES.get(c) for c in run if c not in JOINERS and not c.isspace()}
    face = faces.pop() if len(faces) == 1 and None not in faces else ""
    if _needs_a_complement(before):  # (a face as the adjective it shows: "I'm 😢 today", "sad")
        return face
    return THING_FACES.get(face) if _things_intensifier(before) else None


def _emoji_word(run: str, before: list[str]) -> str | None:
    """The word an emoji run stands for after the words ``before`` (lower case, the last nearest), "" where that
    slot needs a word and the run is none this can say, or None where the run is no word (a pause or
    decoration)."""
    kind = _kind(run)
    if kind == "arrow":
        return "to"
    face = _face(run, before)
    if face is not None:
        return face
    before = (before[-1:] or [""])[0]
    if before in SUBJECTS | THIRD_PERSON:
        return ("loves" if before in THIRD_PERSON else "love") if kind == "heart" else ""
    if before in DETERMINERS:
        return {"heart": "heart", "star": "star"}.get(kind, "")
    if before in PREPOSITIONS:
        return "love" if kind == "heart" else ""
    return None


def _inflected(run: str, suffix: str, before: list[str], after: str = "") -> str:
    """The word an emoji run with a suffix glued to it stands for (`INFLECTED`) after the words ``before`` (lower
    case, the last nearest) and before the word ``after`` (lower case, "" where none follows), "" where it is none
    this can say."""
    kind, suffix = _kind(run), suffix.lower().replace("’", "'")
    if (kind, suffix) == ("heart", "s"):
        last = (before[-1:] or [""])[0]
        if last in SUBJECTS:  # (the verb, as its subject says it: "We ❤️s it" is "We love it")
            return "love"
        if last not in THIRD_PERSON and (not last or last in DETERMINERS | PREPOSITIONS | MANY or last.isdigit() or
                                         last.endswith("ing") and last not in THINGS or after in NO_OBJECT | {""}):
            return "hearts"  # ("my ❤️s", "with ❤️s", "Sending ❤️s to you", a clause's first word: a plural)
    return INFLECTED.get((kind, suffix), "")


def _in_place_of(m: re.Match) -> str:
    """What an emoji run (`EMOJI_SPACED_RE`'s match, with its spaces) leaves in the text: nothing at a line's or a
    clause's edge (decoration), a space for a keycap's frame or beside a mark, the word it stands for between two
    words (`_emoji_word`), or with a suffix glued to it (`_inflected`), a `GenerationError` where it stands for one
    this cannot say, else a pause."""
    suffix = m.group("suffix") or ""
    before, after = m.string[m.start() - 1:m.start()] if m.start() else "", m.string[m.end():m.end() + 1]
    run = m.group()[:m.end() - m.start() - len(suffix)].strip()
    head = re.split(r"[.!?,;:()\"“”]", m.string[:m.start()])[-1]  # (the words of its clause before it)
    words = [w.lower().replace("’", "'").strip("'") for w in head.split()[-4:]]
    if suffix:
        word = _inflected(run, suffix, words, (re.match(r"[ \t]*([\w'’]*)", m.string[m.end():]).group(1)).lower())
    elif not (before.strip() and after.strip()) or after in ".,;:!?…)]\"”’":
        # at a clause's end, the adjective a face shows where the words need one ("I'm 😢" had been said "I'm", "It
        # was so 😂" "It was so": a re-audit); any other emoji there is decoration, left out with the note: a
        # writer's last emoji adds to a finished thought more often than it finishes one ("I'm done 🎉"), and one
        # refused there would refuse a post whole for it, which the audits had found worst
        face = _face(run, words) if before.isalnum() or before in "'’" else None
        return f" {face}" if face else ""
    elif not run.strip(JOINERS) or not (before.isalnum() or before in "'’") or not (after.isalnum() or after in "@#"):
        return " "
    else:
        word = _emoji_word(run, words)
    if word == "":
        around = m.string[max(0, m.start() - 20):m.end() + 20].strip()
        instead = ("the adjective it stands for (\"sad\", \"happy\", \"tired\" ...)" if _needs_a_complement(words)
                   and not suffix else "the word it stands for")
        raise GenerationError(f"the emoji {run!r} stands for a word in \"{around}\", and a voice does not say emoji: "
                              f"write {instead} (an emoji between two other words is read as a pause)")
    if suffix:  # (glued to the word after it: its spaces are the text's; "heart’s" with the writer's apostrophe)
        return f"{' ' if before.strip() else ''}{word.replace(chr(39), '’') if suffix.startswith('’') else word}"
    return f" {word} " if word else ". " if after.isupper() else ", "


def without_emoji(text: str) -> str:
    """``text`` with its emoji left out (``"So happy! 😊🎉 See you"`` -> ``"So happy! See you"``), each as
    `_in_place_of` says."""
    return EMOJI_SPACED_RE.sub(_in_place_of, text).strip()


def _as_read(text: str) -> str:
    """A text as the voices are given it, before its emoji are read: full-width letters as ASCII, NFC, and the
    invisible characters left out but the zero-width joiner, which joins emoji ("I ❤️\u200b you" had lost its
    pause)."""
    return unicodedata.normalize("NFC", text.translate(FULL_WIDTH).translate(VISIBLE_JOINER).strip())


def emoji_note(text: str | None) -> str | None:
    """The report's note of ``text``'s emoji: left out, or said as the words they stand for; None without any (the
    take is then its text word for word)."""
    # (as `check_text` reads it: the note had named a heart it said, for "Ｉ ❤️ ＮＹ", and a face it said after
    # "I&#39;m")
    text = without_markup(_as_read(text or ""))
    try:
        runs = [(m.group().strip(), _in_place_of(m).strip()) for m in EMOJI_SPACED_RE.finditer(text)
                if m.group().strip().strip(JOINERS)]
    except GenerationError:
        return None  # (the text is refused)
    runs = [(run, said, said.replace("'", "").replace("’", "").isalpha()) for run, said in runs]  # ("heart's")
    left = [run for run, said, word in runs if not word]
    said = dict.fromkeys((run, said) for run, said, word in runs if word)
    parts = ([f"left out the emoji {' '.join(left)}: a voice does not say them"] if left else []) + \
        [f"said {run} as \"{word}\"" for run, word in said]
    return "; ".join(parts) or None


#: SSML's and HTML's tags, which a voice here does not read (the emotion sets the prosody): pasted SSML had been
#: spelt out letter by letter by Festival ("< s p e a k >") and read as words by Piper ("speak prosody rate slow"),
#: and noted as Italian (an audit). Only these names, with attributes written name="value", name='value' or
#: name=value (`<break time=500ms/>`), so "a <b and c> d" is no tag; and comments, an XML declaration and a
#: doctype, whose words are no text's (a re-audit: `<a href="...">` had been spelt out URL and all by Festival,
#: `<h1>`, `<li>`, `<?xml ...?>` and `<!-- ... -->` read aloud).
#: A block's tag ends a sentence where its words do not ("<li>one</li><li>two</li>": "one. two"; after a comma only
#: a space: "Dear John,<br>thanks" had been "Dear John,. thanks"); a `<break>` is the pause it asks for (a comma);
#: an inline tag is nothing, as a browser shows it ("<b>un</b>believable" had been "un believable"); SSML's other
#: tags, a comment, a declaration a space.
BLOCK_TAGS = {"p", "s", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "br", "tr", "td", "th", "table",
              "thead", "tbody", "blockquote", "pre", "hr", "title", "section", "article", "header", "footer", "html",
              "head", "body", "dl", "dt", "dd"}
INLINE_TAGS = {"a", "b", "i", "u", "em", "strong", "span", "font", "sub", "sup", "mark", "small", "big", "code",
               "abbr", "cite", "q", "del", "ins", "strike", "tt", "label", "img"}
SSML_TAGS = r"speak|prosody|break|emphasis|say-as|phoneme|voice|audio|lang|w|amazon:[\w-]+|mstts:[\w-]+"
VALUE = r"""(?:"[^"]*"|'[^']*'|[^\s"'<>=`]+)"""
MARKUP_RE = re.compile(r"(?P<comment><!--.*?-->)|<\?(?P<pi>[\w:.-]+)(?:\s[^<>]*?)?\?>|(?P<doctype><!doctype\s[^<>]*>)|"
                       r"</?(?P<name>" + SSML_TAGS + "|" + "|".join(sorted(BLOCK_TAGS | INLINE_TAGS)) +
                       r")(?P<attributes>(?:\s+[\w:.-]+\s*=\s*" + VALUE + r")*)\s*/?>", re.I | re.S)
ALIAS_RE = re.compile(r"""\balias\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>=`]+))""", re.I)
SUB_END_RE = re.compile(r"</sub\s*>", re.I)
#: HTML's and SSML's entities, as the characters they write (valid SSML writes "&" as "&amp;": it had been said
#: "amp"; a re-audit), only written whole, with their ";" ("AT&T", "R&D" stay)
ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});", re.I)
PAUSES = ["", " ", ", ", ". "]  #: what tags between two words leave there, the weakest first


def _tag(m: re.Match) -> str:
    """A tag (`MARKUP_RE`'s match) as the report's note names it: "<p>", "<!-- -->", "<?xml?>", "<!DOCTYPE>"."""
    return ("<!-- -->" if m.group("comment") else f"<?{m.group('pi').lower()}?>" if m.group("pi") else
            "<!DOCTYPE>" if m.group("doctype") else f"<{m.group('name').lower()}>")


def without_markup(text: str) -> str:
    """``text`` with its SSML or HTML tags left out (`MARKUP_RE`), each as the pause it stands for (`PAUSES`), an
    SSML ``<sub alias="...">`` as its alias, and its entities as the characters they write (`ENTITY_RE`)."""
    pieces, last, at, pause = [], "", 0, 0  # (last: the last character said so far, but spaces)

    def said(words: str) -> None:  # the words between two tags, after the pause of the tags before them
        nonlocal last, pause
        if words.strip():
            pieces.append(" " if pause == 3 and last in ".!?…,;:" or pause == 2 and last in ".!?…" else PAUSES[pause])
            pause, last = 0, words.rstrip()[-1]
        pieces.append(words)

    for m in MARKUP_RE.finditer(text):
        if m.start() < at:
            continue  # (within a <sub alias="...">, said as its alias)
        said(text[at:m.start()])
        at, name = m.end(), (m.group("name") or "").lower()
        alias = ALIAS_RE.search(m.group("attributes") or "") if name == "sub" and m.group()[1] != "/" else None
        end = SUB_END_RE.search(text, m.end()) if alias else None
        if end:  # (SSML's substitute: "<sub alias="World Wide Web">WWW</sub>" is said "World Wide Web")
            said(next(v for v in alias.groups() if v is not None))
            at = end.end()
            continue
        pause = max(pause, 3 if name in BLOCK_TAGS else 2 if name == "break" else 0 if name in INLINE_TAGS else 1)
    if at:
        said(text[at:])
        text = "".join(pieces)
        text = re.sub(r"\s+([,.!?;:])", r"\1", re.sub(r"(?:,\s*){2,}", ", ", re.sub(r"[ \t]+", " ", text))).strip()
    return re.sub(" ?\xa0 ?", " ", ENTITY_RE.sub(lambda e: html.unescape(e.group()), text))  # (&nbsp;: a space)


def text_note(text: str | None) -> str | None:
    """The report's note of what a take does not say as written: its emoji (`emoji_note`) and its markup tags."""
    tags = sorted({_tag(m) for m in MARKUP_RE.finditer(text or "")})
    markup = (f"left out the markup tags {', '.join(tags)}: the voices do not read SSML or HTML, the emotion "
              "sets the prosody" if tags else None)
    return "; ".join(n for n in (emoji_note(text), markup) if n) or None


def check_text(text: str | None, *, latin_only: bool = True, max_chars: int = MAX_CHARS) -> str:
    """The text a speech backend can read, or a `GenerationError` saying what is wrong and what is accepted."""
    if text is None or not text.strip():
        raise GenerationError(f"speech needs text: the words to say, 1 to {max_chars} characters (text=... in "
                              f"Python, --text \"...\" on the command line)")
    text = without_markup(_as_read(text))
    if not text.translate(INVISIBLE).strip():
        raise GenerationError("the text holds only invisible characters (zero-width spaces, a byte-order mark)")
    text = without_emoji(text).translate(INVISIBLE)  # (after the emoji, whose joiner is one of them)
    if not text.strip():
        raise GenerationError("the text holds only emoji, and a voice does not say them: give the words to say")
    if len(text) > max_chars:
        raise GenerationError(f"text is {len(text)} characters; the limit is {max_chars} per request "
                              "(about a minute of speech): split it into several requests")
    bad = []
    if latin_only:  # another script's digits as ASCII ones: espeak's and Festival's English voices skipped
        # them without a word ("call me at ٣٤٥ tomorrow" was said "call me at tomorrow")
        text = "".join(str(unicodedata.decimal(ch)) if ch.isdigit() and not ch.isascii()
                       and unicodedata.decimal(ch, None) is not None else ch for ch in text)
    for ch in text:
        cat = unicodedata.category(ch)
        if ch.isspace() or ch in ALLOWED_PUNCT or (ch.isdigit() and unicodedata.decimal(ch, None) is not None):
            continue  # (digits, not '²' or '①', which the voices dropped or misread)
        if cat.startswith("L") and (not latin_only or latin(ch)):
            continue
        if cat.startswith("M"):  # combining accents on Latin letters
            continue
        if cat.startswith("P") and not latin_only:  # other scripts' punctuation: 。 ， ، ؟ ।
            continue
        bad.append(ch)
    if bad:
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in dict.fromkeys(bad))
        raise GenerationError(f"unsupported character(s) {shown}; accepted: letters of the voice's language, "
                              f"digits, spaces and ordinary punctuation ({''.join(sorted(ALLOWED_PUNCT))})")
    if not WORD_RE.search(text):
        raise GenerationError("the text has no words to speak (only punctuation or symbols)")
    return text

#: Titles espeak takes for a sentence's end ("Dr. Smith" was said "Doctor." and a pause, then "Smith"), and Latin
#: abbreviations it spells, as an English reader says them (`spoken_english`)
SPOKEN_TITLES = {"Dr": "Doctor", "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Prof": "Professor", "St": "Saint",
                 "Mt": "Mount", "Capt": "Captain", "Sgt": "Sergeant", "Lt": "Lieutenant", "Rev": "Reverend"}
TITLE_RE = re.compile(r"((?:(?<=[a-z0-9] )|(?<=\d[A-Z] ))[A-Z][a-z]+\s+)?\b(" + "|".join(SPOKEN_TITLES)
                      + r")\.(?=\s+[A-Za-z0-9]|\s*$)")
#: ... but after a name inside a sentence (or a house number: "10 Downing St.") they are its street or drive, and
#: the full stop may end the sentence: "We live on Elm St. Then we moved." had become "Elm Saint Then". "Dr." before
#: another name stays a doctor ("I told Anna Dr. Lee was coming"), unless the name follows a word that leads to a
#: place ("down Mulholland Dr. What a view!", "at 5 Elm Dr. Bring snacks") or the text ends: then it is the drive.
STREETS = {"St": "Street", "Dr": "Drive", "Mt": "Mount"}
#: Words before a street's name: "on", "down", "at" ... (and a house number)
TO_A_PLACE = {"on", "at", "down", "up", "along", "off", "from", "to", "onto", "near", "via", "past", "toward",
              "towards", "across", "around", "round", "reach", "reached"}  # (not "in": "in London Dr. Patel")
PLACE_LEAD_RE = re.compile(r"(?:^|\s)([a-z]+|\d+[a-z]*)\s+(?:[A-Z][a-z]+\s+)*$")
#: Words that open sentences, not names: after "Rodeo Dr." the drive's full stop ends a sentence, after "Anna Dr."
#: a doctor's name follows
SENTENCE_OPENERS = {"The", "Then", "It", "We", "I", "He", "She", "They", "There", "This", "That", "But", "And", "So",
                    "A", "An", "My", "Our", "You", "Your", "His", "Her", "Their", "Its", "In", "On", "At", "After",
                    "Before", "When", "Now", "Later", "Next", "Turn", "Go", "Take", "Please"}
#: A mark that ends a sentence
SENTENCE_END_RE = re.compile(r"[.!?…]")
#: Sentence ends (and the quotes or brackets that may open the next sentence) before a word
SENTENCE_HEAD_RE = re.compile(r"(?:^|[.!?…]\s)[\s\"'“‘(\[¡¿«„‚-]*$")
SPOKEN_LATIN = {"e.g.": "for example", "i.e.": "that is", "vs.": "versus"}
LATIN_RE = re.compile(r"\b(?:e\.g\.|i\.e\.|vs\.)", re.I)


def spoken_english(text: str) -> str:
    """``text`` as an English espeak voice should be given it: titles and Latin abbreviations written out
    (`SPOKEN_TITLES`), and a shouted run of two or more words in capitals in lower case ("STOP IT NOW, I MEAN IT."
    was said "stop I.T. now, I mean I.T.", "TELL US WHO" "tell U.S. who"); a lone word in capitals (NASA, FBI) is
    left as it is, as are two ("the US EPA", "BBC TV": lowered, they were said "us eppa"; so "He said NO WAY and
    left" is still said "no W.A.Y.") and runs a sentence's end breaks ("OMG. LOL. WTF."; a comma does not: "STOP
    IT, STOP IT!" is shouted): shouting is three words or more, or a whole sentence or clause. A lowered word that
    starts a sentence keeps its capital, which is how espeak finds the sentence's end ("I can't believe it. are
    you serious?" lost its pause and fall). "Dr." after a name is a drive when a word that leads to a place comes
    before the name ("down Mulholland Dr.", "at 5 Elm Dr.") or the next word opens a sentence ("Rodeo Dr. Then"),
    else a doctor ("I told Anna Dr. Lee"). Figures, signs and pauses come first (`reading.spoken`). A title keeps
    the word count; "e.g." becomes two words, as it was written; the written words are timed over what was said
    for them (`piper.said_by`). Festival reads titles and shouting right itself (`festival.festival_text`)."""
    def title(m: re.Match) -> str:
        name, abbr, last = m.group(1) or "", m.group(2), not m.string[m.end():].strip()
        after = m.string[m.end():].lstrip()[:1]
        if after and not after.isupper() and not (name and abbr in STREETS):  # ("Oak Dr. near the park": a drive)
            and_ = m.string[m.end():].split(None, 1)[:1] == ["and"]  # a title is followed by a name, or by "and"
            return f"{name}{SPOKEN_TITLES[abbr]}" if and_ else m.group()  # ("Mr. and Mrs. Smith")
        opens = m.string[m.end():].split(None, 1)[:1] in ([w] for w in SENTENCE_OPENERS)  # "Rodeo Dr. Then"
        lead = PLACE_LEAD_RE.search(m.string[:m.start()] + " ")  # the word before the name(s): "down Mulholland"
        placed = bool(lead) and (lead.group(1) in TO_A_PLACE or lead.group(1)[0].isdigit())
        if name and abbr in STREETS and (abbr != "Dr" or last or opens or placed or not after.isupper()):
            return f"{name}{STREETS[abbr]}" + ("" if after.islower() else ".")  # "Elm St. Then": a street, whose
            # full stop may end the sentence
        return f"{name}{SPOKEN_TITLES[abbr]}" + ("." if last or opens else "")  # (the text's last full stop kept,
        # and one before a sentence's first word: "I need to see a Dr. My back hurts")

    text = TITLE_RE.sub(title, spoken(text))  # (money, times, dates, ranges, pauses first: `reading.spoken`)
    text = LATIN_RE.sub(lambda m: SPOKEN_LATIN[m.group().lower()], text)
    words = list(WORD_RE.finditer(text))
    capitals = [w.group().isupper() for w in words]  # ("I" and "A" join a run; they are no shouting alone)
    def gap(k):  # what lies between word k - 1 and word k
        return text[words[k - 1].end():words[k].start()]

    pieces = []  # capitalised words with only spaces between, as [first, end) indices into words
    for k in range(len(words)):
        if capitals[k] and k and capitals[k - 1] and not gap(k).strip():
            pieces[-1][1] = k + 1
        elif capitals[k]:
            pieces.append([k, k + 1])
    def wordy(first, end):  # a piece that holds a word, not acronyms alone ("US GDP, EU CPI" is two lists of them)
        return end - first >= 2 and any(len(w.group()) >= 4 for w in words[first:end])

    runs = []  # pieces of two words or more joined across a comma ("STOP IT, STOP IT!"), never across a sentence's
    for first, end in pieces:  # end ("OMG. LOL. WTF." is three) nor a list's single words ("FBI, CIA, NSA")
        last = runs[-1] if runs else None  # [first, end, whether the last piece is wordy]
        if last and last[1] == first and last[2] and wordy(first, end) and not SENTENCE_END_RE.search(gap(first)):
            last[1] = end
        else:
            runs.append([first, end, wordy(first, end)])
    shouted = []
    for first, end, _ in runs:
        run = words[first:end]
        whole = _whole_sentence(text, run[0].start(), run[-1].end()) or (  # a clause only with a word in it ("US
            wordy(first, end) and _whole_sentence(text, run[0].start(), run[-1].end(), clause=True))  # GDP, EU CPI")
        if sum(len(w.group()) > 1 for w in run) >= 2 and (len(run) >= 3 or whole):
            shouted += [w for w in run if len(w.group()) > 1]
    out, at = [], 0
    for w in shouted:
        word = w.group().lower()
        out += [text[at:w.start()], word.capitalize() if SENTENCE_HEAD_RE.search(text[:w.start()]) else word]
        at = w.end()
    return "".join(out) + text[at:]


def _whole_sentence(text: str, start: int, end: int, clause: bool = False) -> bool:
    """Whether ``text[start:end]`` is a whole sentence (or with ``clause``, a whole clause, which commas, colons or
    dashes mark): only punctuation and spaces between it and the ends ("NO WAY!" and "Give it back, GIVE IT!" are
    shouted; "Call me ASAP, OK?" is not)."""
    before, after = text[:start], text[end:]
    head = re.split(r"[.!?,;:—–]\s|—" if clause else r"[.!?]\s", before)[-1]
    tail = re.split(r"[.!?,;:—–]" if clause else r"[.!?]", after)[0]
    return not re.search(r"[A-Za-z0-9]", head) and not re.search(r"[A-Za-z0-9]", tail)


#: What a user of an English voice can do about a text in another language (the Piper and Festival voices).
PIPER_ADVICE = ("for another language give a Piper voice of it (on the command line: emostudio generate speech "
                "--voice /path/to/voice.onnx)")


def language_note(text: str, language: str, advice: str = PIPER_ADVICE) -> str | None:
    """A note when a voice of ``language`` (a code such as ``en_US``) that speaks English is given a text in
    another language (`conditioning.language.other_language`: six words or more that langid.py reads as another
    language): it still reads it, with English sounds, and nothing else would tell the user why the take sounds
    wrong. ``advice`` says what the backend's user can do instead. None for a voice of another language."""
    if not language.lower().startswith("en"):
        return None
    found = other_language(text)
    if found is None:
        return None
    return (f"the text does not look like English: it reads as {found}, and this voice speaks English "
            f"({language}), so it reads another language with English sounds; {advice}")


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
