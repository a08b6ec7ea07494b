"""Is a text in another language than English? Shared by the generators and the critics, because both read
text with English-only parts: the studio's voices speak English (Piper's joe, Festival's slt) and the text
critic's lexicons are English (VADER, NRC). Given German, a voice reads it with English sounds and the text
critic reads the few words that look English ("Gift", poison, as a present), and neither would otherwise say so.

`other_language` asks langid.py (Lui & Baldwin 2012, "langid.py: an off-the-shelf language identification
tool": naive Bayes over byte n-grams, 97 languages, trained on Debian, JRC-Acquis, ClueWeb, Wikipedia and Reuters
text; BSD) and reports a language it finds more likely than not (probability 0.5 or more). Texts under
`MIN_WORDS` words are too short to tell (unless written in another script), and a text more than half of whose
words are common English words is English without asking (`SURELY_ENGLISH_SHARE`), which spares most English texts the model's load (0.1 s
once per process from the unpacked copy `_identifier` keeps; 1.2 s the first time). A text langid reads as another language is asked again without its names and borrowed words
(`plain_words`), since a few of them outweigh an English line's words in langid's n-grams, and a plain-ASCII text must
hold one of that language's function words (`FUNCTION_WORDS`), since langid reads English lines of Latinate terms as
French. Measured by `python bench/language_note.py`.
"""
from __future__ import annotations

import functools
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: A word: letters or digits, joined by apostrophes or hyphens; a number with its separators is one word
#: ("8,100,000,000", "3.5"), as a voice speaks it (word timings gave "8", "100", "000" and lost the fourth group)
WORD_RE = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['’\-][^\W_]+)*")
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
MIN_WORDS = 6  #: shorter texts (names, greetings, titles) are too few words to tell
#: More than this share of common English words: English, without the model. No text in another language of
#: `bench/language_note.py` comes near it (the most, German "Was will er denn so spät am Abend noch hier?", 4 of 10).
SURELY_ENGLISH_SHARE = 1 / 2
#: A plain line with no English ending is English by `_latinate_english` when this share of its words are common
#: English ones ("Nobody can help me feel happy." was Dutch: 3 of 6): the accentless lines of other languages that
#: the ending keeps out hold about none
LATINATE_COMMON_SHARE = 1 / 3
MIN_PROBABILITY = 0.5  #: another language is reported when langid finds it more likely than not
#: A text langid read as another language is English once its names are out only if at least this share of what is
#: left is common English words (`_english_without_names`; English lines full of names keep 0.5 and more)
NAMELESS_ENGLISH_SHARE = 1 / 4
#: The commonest function words (articles, pronouns, prepositions, conjunctions, negation, the copula) of the
#: Latin-script languages langid gives for English texts it misreads. Six words of such a language as a rule hold
#: one of them; English technical lines hold none ("Radiology: bilateral infiltrates, pleural effusion,
#: cardiomegaly noted." read as French at 0.77): `_latinate_english`. Written from the languages' grammars
#: on 2026-12-06, the first 21 before `bench/language_note.py`'s held-out sets were read, the others (from "et")
#: after a held-out technical line was read as Estonian, and German's "in", "seit" and possessives after "Meine
#: Schwester wohnt seit Jahren in Hamburg." was missed.
FUNCTION_WORDS = {code: frozenset(words.split()) for code, words in {
    "de": "der die das den dem des ein eine einen einem einer und oder aber nicht kein keine ist sind war ich du er "
          "sie es wir ihr mit auf in im zu zum zur von vom für an am bei aus nach über unter seit bis um durch ohne "
          "wie was wo dass sich auch noch sehr nur schon mein meine dein deine sein seine ihre unser unsere",
    "fr": "le la les l un une des du de d et ou mais ne pas est sont était je j tu il elle nous vous ils elles on ce "
          "cette ces qui que qu à au aux en dans sur pour par avec sans son sa ses mon ma mes très",
    "es": "el la los las un una unos unas y o pero no es son está era yo tú él ella que de del a al en con por para "
          "sin su sus mi muy se lo le me te",
    "it": "il lo la i gli le un una uno e o ma non è sono era io tu lui lei noi che di del della dei a al alla in nel "
          "con per su da mi ti si molto",
    "pt": "o a os as um uma e ou mas não é são era eu tu ele ela nós que de do da dos das em no na com por para sem "
          "se me muito",
    "nl": "de het een en of maar niet is zijn was ik jij je hij zij ze wij we dat die van op met voor naar aan bij "
          "uit om te er ook nog heel",
    "sv": "och eller men inte är var jag du han hon vi ni de det den en ett att som på i med för till av om från "
          "har ska kan",
    "da": "og eller men ikke er var jeg du han hun vi de det den en et at som på i med for til af om fra har skal kan",
    "no": "og eller men ikke er var jeg du han hun vi de det den en et at som på i med for til av om fra har skal kan",
    "fi": "ja tai mutta ei on oli olen minä sinä hän me te he se ne että kun jos mitä mikä nyt niin myös",
    "pl": "i a ale nie jest są był była ja ty on ona my wy oni to że w we z ze na do od po dla o się co jak tak",
    "cs": "a i ale ne je jsou byl byla já ty on ona my vy oni to že v ve z ze na do od po pro o se co jak tak",
    "sk": "a i ale nie je sú bol bola ja ty on ona my vy oni to že v vo z zo na do od po pre o sa čo ako tak",
    "hu": "a az egy és vagy de nem van volt én te ő mi ti ők hogy is meg már csak ez ha mint",
    "ro": "și sau dar nu este sunt era eu tu el ea noi voi ei că de din la în pe cu pentru un o se ce",
    "tr": "ve veya ama değil bir bu şu o ben sen biz siz onlar ile için gibi da de ki mi mı çok",
    "id": "dan atau tetapi tidak bukan adalah itu ini saya aku kamu dia kami kita mereka yang di ke dari untuk dengan "
          "pada akan sudah",
    "ms": "dan atau tetapi tidak bukan adalah itu ini saya aku kamu dia kami kita mereka yang di ke dari untuk dengan "
          "pada akan sudah",
    "ca": "el la els les un una i o però no és són era jo tu ell ella que de del a al en amb per sense es em",
    "gl": "o a os as un unha e ou pero non é son era eu ti el ela que de do da en con por para sen se",
    "la": "et in est sunt non cum ad ex de sed ut qui quae quod per a ab",
    "et": "ja ning või aga ei on oli olen ma mina sa sina ta tema me meie te teie nad see need et kui mis kes ka veel "
          "väga",
    "lv": "un vai bet ne nav ir bija es tu viņš viņa mēs jūs viņi tas tā ka ar uz no par pie kas ko arī ļoti",
    "lt": "ir ar bet ne nėra yra buvo aš tu jis ji mes jūs jie tai kad su į iš apie prie kas ką taip labai",
    "sl": "in ali ampak ne je so bil bila jaz ti on ona mi vi oni to da z s na v do od po za o se kaj kot",
    "hr": "i ili ali ne nije je su bio bila ja ti on ona mi vi oni to da s sa na u do od po za o se što kako",
    "bs": "i ili ali ne nije je su bio bila ja ti on ona mi vi oni to da s sa na u do od po za o se šta kako",
    "sq": "dhe ose por nuk është janë ishte unë ti ai ajo ne ju ata një në me për nga që se të",
    "af": "die n en of maar nie is was ek jy hy sy ons julle hulle dit dat van in op met vir na aan by uit om te ook "
          "nog baie",
    "sw": "na au lakini si ni ya wa la za kwa katika mimi wewe yeye sisi ninyi wao hii huyo kama sana pia",
    "tl": "ang ng sa mga at o pero hindi ay si ni ako ikaw siya kami tayo kayo sila ito iyon na ba po",
    "cy": "y yr a ac neu ond nid dim mae yw oedd fi ti ef hi ni chi nhw yn i o ar gyda am",
    "ga": "an na agus nó ach ní níl tá is bhí mé tú sé sí muid sibh siad ar le do de i ag ó seo sin",
    "is": "og eða en ekki er eru var ég þú hann hún við þið þeir það að sem á í með fyrir til af um frá",
    "eo": "la kaj aŭ sed ne estas estis mi vi li ŝi ni ili ĝi ke kiu de al en por kun sur el tre",
    "mt": "il l u jew imma mhux huwa hija huma jien int aħna intom li ta fi ma għal minn dan din kien",
    "nb": "og eller men ikke er var jeg du han hun vi de det den en et at som på i med for til av om fra har skal kan",
    "nn": "og eller men ikkje er var eg du han ho vi dei det den ein eit at som på i med for til av om frå har skal kan",
    "lb": "de den d an oder awer net ass sinn war ech du hien si mir dir et datt vun op mat fir no un bei aus",
    "az": "və ya amma deyil bir bu o mən sən biz siz onlar ilə üçün kimi da də ki çox",
}.items()}
#: Words of the tables that English technical prose uses as its own ("dose adjusted per renal function" was French;
#: "need" is Estonian's "these")
ENGLISH_TOO = frozenset("per need pro pre ex via con bio net met till son sin pie bet ale mat co um".split())
#: Any table's words but common English ones ("a", "in", "on", "me"; "die" is kept) (`_latinate_english`); a
#: single letter counts in lower case only (Portuguese "e"; not the initial in "vitamin E" or "J. Smith")
ANY_FUNCTION_WORD = frozenset().union(*FUNCTION_WORDS.values()) - COMMON_ENGLISH - ENGLISH_TOO
#: Latin abbreviations English writes ("e.g.", "et al."): their letters are no words of Latin, Italian or French
ABBREVIATIONS = re.compile(r"\b(?:e\.\s?g|i\.\s?e|et\s+al|etc|cf|viz|vs)\.", re.I)
#: Endings English words have and the other Latin-script languages' rarely do (`_latinate_english`)
ENGLISH_ENDING = re.compile(r"(?:ing|ed|ly|ness|ful|less|ies|[^s]s|ise[sd]?|ize[sd]?|ship|hood)$", re.I)
#: Names for the messages (ISO 639-1 codes as langid gives them); another code is shown as it is.
NAMES = {"de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese", "nl": "Dutch",
         "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish", "pl": "Polish", "cs": "Czech",
         "sk": "Slovak", "hu": "Hungarian", "ro": "Romanian", "tr": "Turkish", "id": "Indonesian", "ms": "Malay",
         "ca": "Catalan", "gl": "Galician", "eu": "Basque", "la": "Latin", "vi": "Vietnamese", "ru": "Russian",
         "uk": "Ukrainian", "bg": "Bulgarian", "el": "Greek", "ar": "Arabic", "hi": "Hindi", "zh": "Chinese",
         "ja": "Japanese", "ko": "Korean", "he": "Hebrew", "et": "Estonian", "lv": "Latvian", "lt": "Lithuanian",
         "sl": "Slovenian", "hr": "Croatian", "bs": "Bosnian", "sr": "Serbian", "sq": "Albanian", "af": "Afrikaans",
         "sw": "Swahili", "tl": "Tagalog", "cy": "Welsh", "ga": "Irish", "is": "Icelandic", "eo": "Esperanto",
         "mt": "Maltese", "nb": "Norwegian", "nn": "Norwegian", "lb": "Luxembourgish", "az": "Azerbaijani",
         "ky": "Kyrgyz", "kk": "Kazakh", "mn": "Mongolian", "mk": "Macedonian", "be": "Belarusian", "fa": "Persian",
         "ur": "Urdu", "bn": "Bengali", "ta": "Tamil", "te": "Telugu", "th": "Thai", "ka": "Georgian",
         "hy": "Armenian", "am": "Amharic", "ne": "Nepali", "mr": "Marathi", "gu": "Gujarati", "pa": "Punjabi",
         "kn": "Kannada", "ml": "Malayalam", "si": "Sinhala", "km": "Khmer", "lo": "Lao", "ps": "Pashto",
         "ug": "Uyghur", "jv": "Javanese", "fo": "Faroese", "br": "Breton", "oc": "Occitan", "ht": "Haitian Creole"}
#: A text whose words in another script than the Latin are under this share of its words is read without them
#: (`_whole`), as a text whose sentences in another language hold under half its words is English
#: (`other_language`): a name, a greeting or a sentence of another script in an English text (48 English words and
#: "Москва" was refused as Latin, "Happy birthday! 生日快乐！ I hope you have a great day." as Chinese). Chinese and
#: Japanese, written without spaces, count a word for every two characters.
MINOR_SCRIPT_SHARE = 0.5


@dataclass(frozen=True)
class Language:
    code: str  #: ISO 639-1, as langid gives it
    probability: float

    @property
    def name(self) -> str:
        return NAMES.get(self.code, self.code)

    def __str__(self) -> str:
        return f"{self.name} (langid, probability {self.probability:.2f})"


def words_of(text: str) -> list[str]:
    return WORD_RE.findall(text)


def common_english_share(words: list[str]) -> float:
    """The share of ``words`` that are common English words (`COMMON_ENGLISH`); 0 for none."""
    common = sum(w.lower().replace("'", "").replace("’", "") in COMMON_ENGLISH for w in words)
    return common / len(words) if words else 0.0


#: Where the unpacked langid model is kept between processes (plain arrays and JSON, no pickle)
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "emostudio" / "langid"


@functools.lru_cache(maxsize=1)
def _identifier():
    """langid.py's identifier with probabilities: loaded once per process, never changed afterwards. langid ships
    its model as a bz2-compressed pickle in a base64 string, which takes 1.2 s to unpack (bz2 0.8 s, unpickling
    0.4 s): every one-shot `emostudio generate` of a line that is not plainly English paid it. The unpacked
    arrays are kept under `CACHE`, keyed by the model's hash, and load in about 20 ms; without a writable cache
    the model is unpacked as before."""
    import hashlib
    import zipfile

    from langid.langid import LanguageIdentifier, model

    path = CACHE / f"model-{hashlib.sha256(model if isinstance(model, bytes) else model.encode()).hexdigest()[:16]}.npz"
    try:
        parts = _load_cached(path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # a damaged copy: unpacked again
        parts = None
    if parts is None:
        import base64
        import bz2
        import pickle

        parts = pickle.loads(bz2.decompress(base64.b64decode(model)))  # langid's own packing, as it loads it
        _save_cached(path, parts)
    nb_ptc, nb_pc, nb_classes, tk_nextmove, tk_output = parts
    n_classes = len(nb_pc)
    return LanguageIdentifier(np.asarray(nb_ptc).reshape(len(nb_ptc) // n_classes, n_classes), np.asarray(nb_pc),
                              len(nb_ptc) // n_classes, nb_classes, tk_nextmove, tk_output, norm_probs=True)


def _load_cached(path: Path):
    """The model's five parts from `_save_cached`'s file, or None when there is none."""
    import array

    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as z:
        tables = json.loads(str(z["tables"]))
        nextmove = array.array(str(z["nextmove_type"]))  # langid walks it byte by byte: a plain array is fastest
        nextmove.frombytes(z["nextmove"].tobytes())
        return (z["nb_ptc"], z["nb_pc"], list(tables["classes"]), nextmove,
                {int(k): tuple(v) for k, v in tables["output"].items()})


def _save_cached(path: Path, parts) -> None:
    """Keep the unpacked model for the next process; an unwritable cache is no error (the next one unpacks it)."""
    import tempfile

    nb_ptc, nb_pc, nb_classes, tk_nextmove, tk_output = parts
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, nb_ptc=np.frombuffer(nb_ptc, dtype=f"={nb_ptc.typecode}"),
                     nb_pc=np.frombuffer(nb_pc, dtype=f"={nb_pc.typecode}"),
                     nextmove=np.frombuffer(tk_nextmove, dtype=f"={tk_nextmove.typecode}"),
                     nextmove_type=np.array(tk_nextmove.typecode),
                     tables=np.array(json.dumps({"classes": list(nb_classes),
                                                 "output": {str(k): list(v) for k, v in tk_output.items()}})))
        os.replace(tmp, path)
    except OSError:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)


def latin(ch: str) -> bool:
    """Whether a character is of the Latin script (letters with their accents, Latin punctuation names aside)."""
    return "LATIN" in unicodedata.name(ch, "")


def other_script(text: str) -> bool:
    """Whether the text has letters outside the Latin script (Cyrillic, Arabic, Devanagari, Hangul, kana, ...)."""
    return any(ch.isalpha() and not latin(ch) for ch in text)


@functools.lru_cache(maxsize=256)
def other_language(text: str) -> Language | None:
    """The language other than English a text is in, or None: English, too short to tell, or unsure. A text in
    another script is asked whatever its length: a script says much about a language, and Chinese or Japanese
    are written without spaces between words. A text read as English is asked again sentence by sentence: it is
    another language's when such sentences (`foreign_sentences`) hold more than half its words. Cached: one take's
    text is asked by its voice on every loop round and by the text critic for the words-against-emotion note."""
    found = _whole(text)
    if found is None:  # sentences of another language in an English text: half English and half German read as
        # English, the German unread. They must hold more than half the words: a Latin motto does not make a text
        # foreign
        foreign = foreign_sentences(text)
        if foreign and 2 * sum(word_count(s) for s, _ in foreign) > word_count(text):
            found = max(foreign, key=lambda f: word_count(f[0]))[1]
    return found


@functools.lru_cache(maxsize=256)
def foreign_sentences(text: str) -> tuple[tuple[str, Language], ...]:
    """The sentences of a text, as it writes them, that are in another language, each with its language. Each must
    keep `MIN_WORDS` words once names are out: an English text's odd sentence (a citation, a line of code: 3 of
    DESIGN.md's 88) or its list of Italian players' names is not another language's; a Latin motto is (langid
    calls it Italian). A text of one sentence has none (`other_language` asks it whole). Why: the text critic
    leaves such sentences unread, and says so, when they are too few to make the whole text another language's (a
    German sentence in an English post read as its few English-looking words)."""
    sentences = [s for s in SENTENCE_END.split(text.strip()) if s.strip()]
    if len(sentences) < 2:
        return ()
    # (a sentence of another script counts its words: `plain_words` keeps ASCII words alone, so a Russian sentence
    # in an English text was never one; a Chinese one, without spaces, was one or two words, and never one either)
    return tuple((s, lang) for s in sentences
                 if (word_count(s) if other_script(s) else len(plain_words(s))) >= MIN_WORDS and (lang := _whole(s)))


#: Where a sentence ends: after . ! ? and a space, or after the full stops of Chinese and Japanese, which no space
#: follows; and after . ! ? between such a character (or Korean) and a Latin letter, either way ("good friends.我今天..."
#: was one sentence, its Chinese left unread without a word)
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"  # kana, CJK ideographs, Hangul syllables
SENTENCE_END = re.compile(rf"(?<=[.!?])\s+|(?<=[。！？])\s*|(?<=[.!?])(?=[{_CJK}])|(?<=[{_CJK}][.!?])(?=[A-Za-z])")


def word_count(text: str) -> float:
    """How many words ``text`` holds, a word of Chinese or Japanese (written without spaces) counting one for every
    two characters, as `_whole` counts them."""
    return sum(max(1.0, len(w) / 2) if _unspaced(w) else 1.0 for w in words_of(text))


def _whole(text: str) -> Language | None:
    """`other_language` of the text taken whole. Letters of another script that are a minority of its letters
    (`MINOR_SCRIPT_SHARE`) are left out first, as names and borrowed words are (`plain_words`): langid read an
    English review naming "Москва" as Latin at 1.00, and the text critic refused it."""
    text = ABBREVIATIONS.sub(" ", text)
    words = words_of(text)
    others = [w for w in words if other_script(w)]
    if others:  # a word of Chinese or Japanese, written without spaces, counts one for every two characters
        other = word_count(" ".join(others))
        if other < MINOR_SCRIPT_SHARE * (other + len(words) - len(others)):
            text = "".join(" " if ch.isalpha() and not latin(ch) else ch for ch in text)
            words = words_of(text)
    latin_only = not other_script(text)
    if latin_only and (len(words) < MIN_WORDS or common_english_share(words) > SURELY_ENGLISH_SHARE):
        return None
    code, p = _identifier().classify(text)
    if code == "en" or p < MIN_PROBABILITY or (latin_only and (_latinate_english(words)
                                                              or _english_without_names(text, words))):
        return None
    return Language(code, float(p))


def _unspaced(word: str) -> bool:
    """Whether a word is of a script written without spaces (Chinese, Japanese), so one "word" is a phrase."""
    return any(unicodedata.name(ch, "").startswith(("CJK", "HIRAGANA", "KATAKANA")) for ch in word)


def _latinate_english(words: list[str]) -> bool:
    """Whether a text langid read as another language looks like English written in Latinate terms instead: plain
    ASCII, none of the function words of any language in `FUNCTION_WORDS` (but common English ones and
    `ENGLISH_TOO`), and a word with an English ending (`ENGLISH_ENDING`: -ing, -ed, -ly, a plural...) or a third of
    common English words (`LATINATE_COMMON_SHARE`). langid weighs byte n-grams, and such a
    line shares most of its n-grams with French ("Quantum chromodynamics describes gluons mediating interactions
    between quarks." read as French at 1.00). Accented letters keep langid's word: most sentences of these
    languages have them. Why every table, and the ending: with langid's language's table alone, a line it had
    named wrongly passed as English ("Gallia est omnis divisa..." read as Italian; Basque and Swahili without a
    table): 38 of 50 accentless lines in an audit were noted, 47 with this rule, as before the check."""
    return (all(w.isascii() for w in words) and not any((w.lower() if len(w) > 1 else w) in ANY_FUNCTION_WORD
                                                                    for w in words)
            and (any(len(w) > 3 and ENGLISH_ENDING.search(w) for w in words)
                 or common_english_share(words) >= LATINATE_COMMON_SHARE))


def plain_words(text: str) -> list[str]:
    """The words of ``text`` that are neither names nor borrowed: a word capitalised inside its sentence (a name,
    "Gustav", "Montréal"; "I" is kept) and a word with letters outside ASCII ("café", "Müller") are left out."""
    words = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        words += [w for i, w in enumerate(words_of(sentence)) if w.isascii()
                  and not (i and w[0].isupper() and common_english_share([w]) == 0)]
    return words


def _english_without_names(text: str, words: list[str]) -> bool:
    """Whether a text langid.py reads as another language is English once its names and borrowed words are left
    out (`plain_words`). langid reads byte n-grams, so a line's few foreign names and dishes outweigh its English:
    "Björn and Sigríður are flying in from Reykjavík on Thursday." read as Icelandic, "He quoted Camus, Sartre and
    Simone de Beauvoir all evening." as French, and the text critic refused them. What is left must keep at least
    half the words and three of them (a text mostly of such words is the other language's, as Czech with its
    accents is) and then be English: more than half common English words, or langid's English. ``words``: the
    text's (`words_of`)."""
    rest = plain_words(text)
    if len(rest) < 3 or 2 * len(rest) < len(words):
        return False
    if common_english_share(rest) > SURELY_ENGLISH_SHARE:
        return True
    code, p = _identifier().classify(" ".join(rest))  # langid alone is not enough: it read "Ich bin heute sehr
    # traurig und alles was passiert ist" (German without "wütend über") as English at 0.99
    return code == "en" and p >= MIN_PROBABILITY and common_english_share(rest) >= NAMELESS_ENGLISH_SHARE
