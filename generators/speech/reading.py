"""How an English reader says what a text writes in figures and signs, for a voice that reads it through espeak.

Why: Piper's English voices read through espeak-ng, which says the figures and marks of a pasted paragraph as
they are written. An audit heard "$25" as "dollar twenty five" (pocketsphinx's WER on a line with two prices: 0.50,
Festival's 0.06), "5:00" as "five zero zero", "12/03/2025" and "24/7" with their slashes, "1990s" as "nineteen
hundred ninety z", "3-2" as "three dash two", and ran "Wait... what?" together without a pause. `spoken` is for
Piper's English voices (`text.spoken_english` calls it first) and the diffusion TTS, whose phonemizer is espeak's
too. Festival says years, plain times and pauses right itself, and reads two figures side by side digit by digit,
so it is given only the other rules (`spoken(text, festival=True)`, from `festival.festival_text`): it had said
"€15.50" as "fifteen point five zero euros" and "2024-03-15" digit by digit.

Each rule turns figures into figures and words the voice says right ("25 dollars", "5 o'clock", "December 3rd,
2025", "19 90s"), so the numbers themselves are still read by the voice. A rule only changes what the voice is
given: a Piper take's report keeps the written words, each timed over what was said for it (`piper.said_by`).
Where a text does not say which reading it means ("4:00" after no word that leads to a time, "5/6", "737-800"),
it is left as written.
"""
from __future__ import annotations

import re

#: Each currency sign's unit and its hundredth, singular and plural
CURRENCIES = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
              "€": ("euro", "euros", "cent", "cents"), "¥": ("yen", "yen", "sen", "sen")}
#: Scales written after an amount ("$5M", "$2.5 billion", "£40k", "$5 Million")
SCALES = {"k": "thousand", "K": "thousand", "m": "million", "M": "million", "bn": "billion", "B": "billion"}
MONEY_RE = re.compile(r"(?<![\w$£€¥])([$£€¥])\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
                      r"(?:(?:-|\s?[–—]\s?)(\d{1,3}(?:,\d{3})+|\d+(?:\.\d\d)?)(?![\d\-]|[.,]\d))?"  # "$5-10": 5 to 10 dollars
                      r"(?:\s?((?i:thousand|million|billion|trillion))\b|(k|K|m|M|bn|B)\b)?")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
#: A phone number, said digit by digit: (555) 123-4567, +1-555-123-4567, 1-800-555-1234, 03-1234-5678, and
#: 555-0199 after a word that says it is one ("call", "phone", ...: "the era 476-1453" and "ranked 101-1000" are no
#: phone numbers; a re-audit); never two years in a row ("the 2019-2020-2021 seasons")
PHONE_RE = re.compile(r"(?<![\w-])(?!(?:1[5-9]|20)\d\d-(?:1[5-9]|20)\d\d\b)(?:\+?\d{1,3}[-\s])?(?:\(\d{3}\)\s?\d{3}-\d{4}|\d{2,5}-\d{3,4}-\d{4}|(\d{3})-(\d{4}))"
                      r"(?![\w-])")
#: ... and written with spaces or dots, read as those are (an audit: "+1 415 555 0134" and "415.555.0134" had been
#: said as numbers, "four hundred fifteen"): after a country's code, in brackets, or with dots, "(415) 555 0134";
#: with spaces only after a word that says it is one ("call me at 415 555 0134"; three figures in a row may be a list)
PHONE_GROUPED_RE = re.compile(r"(?<![\w.,+\-])(?:(\+\d{1,3}(?:[ .\-]\d{1,5}){2,5})|\(\d{3}\)\s?\d{3}[ .]\d{4}"
                              r"|\d{3}([ .])\d{3}\2\d{4})(?![\w\-]|[.,]\d|[ .]\d)")
PHONE_WORDS = {"call", "calling", "phone", "tel", "telephone", "number", "dial", "text", "fax", "mobile", "cell",
               "ring", "contact", "ph", "reach", "whatsapp"}
ISO_DATE_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
SLASH_DATE_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")
#: A clock time; on the hour only after a word that leads to a time ("at 5:00"; "a song 4:00 long" is a length)
TIME_RE = re.compile(r"(?<![\d:])\b([01]?\d|2[0-4]):([0-5]\d)(?![\d:])(?:\s?([ap])(?:\.m\.|m\b))?", re.I)
AT_A_TIME = {"at", "by", "from", "until", "till", "til", "before", "after", "around", "since", "to", "and", "past",
             "about", "between"}
#: Two clock times joined by a dash ("9:00-10:00"): a range, each said as a time
TIME_RANGE_RE = re.compile(r"\b(\d{1,2}:\d\d)\s?[-–—]\s?(\d{1,2}:\d\d)\b")
#: Capitalised words that go on a time's phrase, not open a sentence: "at 3 p.m. Tuesday", "5 p.m. EST" (a re-audit)
AFTER_A_TIME_RE = re.compile(r"\s+(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?|"
                             + "|".join(MONTHS) + r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
                             r"|[A-Z][SD]T|GMT|UTC|CET|EET)(?!\w)")
#: The days of the week, by how each is written short
WEEKDAYS = {"Mon": "Monday", "Tue": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday", "Fri": "Friday",
            "Sat": "Saturday", "Sun": "Sunday"}
SHORT_DAY = r"(?:Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun|MON|TUES?|WED|THU(?:RS?)?|FRI|SAT|SUN)"
DAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|" + SHORT_DAY + ")"
#: A range of days ("Mon-Fri", "Monday–Friday"), said with "to": espeak had said "Mon-Fri" as one word, "mahn-fry"
#: (an audit)
DAY_RANGE_RE = re.compile(r"\b(" + DAY + r")\.?\s?[-–—]\s?(" + DAY + r")\b")
#: ... and a day written short before a time or a date ("Sat 9am", "Fri 3/4", "Thu 5th"), said in full: alone it
#: may be another word ("Sat 3 hours in traffic", "Wed 20 years"), so only there
DAY_BEFORE_A_TIME_RE = re.compile(r"\b(" + SHORT_DAY + r")\b\.?(?=,?\s+(?:\d{1,2}(?::\d\d)?\s?[ap]\.?m\b|"
                                  r"\d{1,2}:\d\d|\d{1,2}/\d{1,2}\b|\d{1,2}(?:st|nd|rd|th)\b))")
#: ... but not after a pronoun subject, whose "Sat", "Wed", "Sun" is the verb ("I Sat 9am in the lobby" had been
#: said "I Saturday 9 am": a re-audit); not "you", mostly an object ("See you Sat 9am")
SUBJECT_BEFORE_RE = re.compile(r"\b(?:I|we|they|he|she)\s+$", re.I)
HOUR_RE = re.compile(r"\b(1[0-2]|0?[1-9])\s?([ap])(?:\.m\.|m\b)", re.I)
#: Decades: "1990s", "'80s", and "the 80s", "her 30s" ("rest 30s" is seconds)
DECADE_RE = re.compile(r"(?<![\d,.$£€])(1[1-9]|20)(\d)0s\b|(?<![\w,.$£€])'(\d)0s\b"
                       r"|\b((?:the|his|her|its|our|my|your|their|early|late|mid)\s+)(\d)0s\b", re.I)
#: ... and a second decade after one ("her 20s and 30s": "thirty z" had followed "twenties"; a re-audit)
NEXT_DECADE_RE = re.compile(r"\b((?:tens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)"
                            r"\s+(?:and|or|to|through|into)\s+)(\d)0s\b")
DECADES = {"0": "hundreds", "1": "tens", "2": "twenties", "3": "thirties", "4": "forties", "5": "fifties",
           "6": "sixties", "7": "seventies", "8": "eighties", "9": "nineties"}
#: A year after a word that leads to one ("in 1875", "the year 1999", "from 1990", "between 1990 and 1995"): said
#: as a year, in two halves, from 1500 and not before a plural ("a population of 1234", "in 1850 patients" are
#: counts); a year after "to"
#: or "and" that follows one too
#: What makes a figure a count, not a year: a unit or a currency's code after it ("from 1750 mg", "in 1750 feet"), a
#: decimal or a per cent; and for a figure alone, a plural after it ("in 1850 patients"). Not the plural for a range
#: of years: "From 1939 to 1945 millions died" (a re-audit)
NOT_A_UNIT = (r"(?![\d,.]\d|\s?%)"
              r"(?!\s+(?:(?-i:[A-Z]{3})\b|(?:mg|g|kg|m|km|cm|mm|ft|mi|ml|l|kcal|cal|lbs?|oz|ms|s|h|hrs?|min|mph|"
              r"kph|feet|foot|inch|yard|meter|metre|mile|acre|ton|tonne|sq|per|hundred|thousand|million|billion|"
              r"percent|people|units)\b))")
NOT_A_PLURAL = r"(?!\s+(?!was\b|is\b|has\b|as\b|its\b|this\b|his\b|us\b)[a-z]+s\b)"
YEAR_RE = re.compile(r"\b(in|since|until|till|from|circa|year|before|after|during|between|early|late|mid|summer|"
                     r"winter|spring|autumn|fall)(\s+)(1[5-9])(\d\d)\b" + NOT_A_UNIT, re.I)
NOT_A_UNIT_RE, NOT_A_PLURAL_RE = re.compile(NOT_A_UNIT, re.I), re.compile(NOT_A_PLURAL, re.I)
NEXT_YEAR_RE = re.compile(r"(\b1[5-9] (?:\d\d|hundred|oh \d)\s+(?:to|and)\s+)(1[5-9])(\d\d)\b" + NOT_A_UNIT, re.I)
#: A range or a score between two figures: an en dash between figures (or after money, "am", "pm", "o'clock");
#: an unspaced hyphen only between two small numbers ("3-2", "18-25"), round ones ("500-1000") or years
#: ("2010-2015", "1914-18"), never in a chain or beside letters ("737-800", "A320-200", "x86-64", "15-03-2024",
#: "123-45-6789" said "dash" as before; a re-audit), nor in a sum ("10-3=7"). A figure may be written with thousands
#: separators: "1,000-2,000" had been read from its "000" (not round against "2": "one thousand dash two thousand";
#: "10,000-20,000" had passed only as "000" to "20"; an audit)
RANGE_RE = re.compile(r"(?<![\w.\-])(?<!\d,)(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(\s?[–—]\s?|-)"
                      r"(?=(\d{1,3}(?:,\d{3})+|\d+)(?![\w\-]|[.,]\d|\s?[=+×*/]))"
                      r"|\b(dollars?|pounds?|euros?|cents|pence|yen|am|pm|o'clock|hundred)(\s?[–—]\s?|-)"
                      r"(?=[$£€¥]?\d)")
#: Fractions said as words: a half, thirds, quarters, eighths, sixteenths (a recipe's); after a whole number,
#: "and" ("1 1/2 cups"); marks out of 5, 10 or 100 ("8/10", "4.5/5"); idioms ("24/7"); other slashes as written
FRACTION_DENOMINATORS = {2: ("half", "halves"), 3: ("third", "thirds"), 4: ("quarter", "quarters"),
                         5: ("fifth", "fifths"), 6: ("sixth", "sixths"), 8: ("eighth", "eighths"),
                         10: ("tenth", "tenths"), 16: ("sixteenth", "sixteenths")}
SLASH_RE = re.compile(r"(?<![\d/.])(?:(\d+) )?(\d+(?:\.\d+)?)/(\d+)(?![\d/])")
#: A fraction is said as one before a measure or "of" ("3/4 cup", "1/3 of us"), or after a whole number ("1 1/2");
#: alone, "on 3/8" is a date and "3/4 on free throws" a score (a re-audit): as written
MEASURES = re.compile(r"\s*(?:of|cups?|c|teaspoons?|tsp|tablespoons?|tbsp|inch(?:es)?|feet|foot|ft|miles?|pounds?|"
                      r"lbs?|ounces?|oz|hours?|hrs?|gallons?|gal|lit(?:er|re)s?|kg|ml|sticks?|pints?|quarts?|acres?)\b",
                      re.I)  # (not "in", "a": "we land 3/8 in Denver" is a date)
#: Words before a mark out of five, ten or a hundred ("I give it 8/10", "rated 4.5/5"): alone, "Sale ends 3/10",
#: "Windows 7/10" and "Unit 5/10" are no marks (a re-audit)
RATING_WORDS = {"rated", "rating", "rate", "score", "scored", "scores", "gave", "give", "gives", "got", "get", "gets",
                "it", "solid", "only", "easy", "strong", "perfect"}
#: Words before a date ("on 5/10" is May 10th, not a mark out of ten)
DATE_WORDS = {"on", "by", "since", "until", "till", "from", "before", "after", "due", "dated", "mon", "tue", "wed",
              "thu", "fri", "sat", "sun", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
SLASH_IDIOMS = {"24/7": "24 7", "50/50": "50 50", "9/11": "9 11"}
HYPHEN_IDIOMS = {"24-7": "24 7", "50-50": "50 50"}  #: (not ranges: "open 24-7" had been "24 to 7")
#: Abbreviations before a figure ("No. 5", "p. 4"), said as words (not a lower-case "no.": "I said no. 2 days later")
NUMBERED = {"No": "number", "Nos": "numbers", "p": "page", "pp": "pages", "Vol": "volume", "vol": "volume",
            "Ch": "chapter", "ch": "chapter", "Fig": "figure", "fig": "figure"}
HASH_RE = re.compile(r"#\s?(?=\d+(?![\dA-Za-z]))")  #: "#1 fan": number 1 (Festival had said "one pound"); a hashtag
#: ("#100DaysOfCode") as written (a re-audit)
NUMBERED_RE = re.compile(r"\b(" + "|".join(NUMBERED) + r")\.\s?(?=\d)")
MONTH_ABBR_RE = re.compile(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.\s?(?=\d)")


#: Signs a pasted text carries, as words (for Festival too: `festival.festival_text`): degrees, "about", a bullet,
#: halves and quarters; an underscore inside a word (john_doe@example.com) is said; sections, plus or minus, times,
#: cents, the minus sign, "less than" and "greater than" beside a figure ("p < 0.05", "<5%"), copyright; trade
#: marks are left out (each of these had refused a pasted text whole: an audit). Not comparisons (a re-audit): the
#: angle brackets around an address ("John <john@example.com>"), a menu's path ("Settings > Privacy", a pause), a
#: heart ("love you <3" at a clause's end, left out like an emoji)
COMPASS = {"N": "North", "S": "South", "E": "East", "W": "West"}
SIGNS = ((re.compile(r"\s?°\s?C\b"), " degrees Celsius"), (re.compile(r"\s?°\s?F\b"), " degrees Fahrenheit"),
         (re.compile(r"\s?°\s?([NSEW])\b"), lambda m: f" degrees {COMPASS[m.group(1)]}"),
         (re.compile(r"\s?°"), " degrees"), (re.compile(r"(?:\babout\s+)?~\s?(?=[$£€¥]?\d)", re.I), "about "),
         (re.compile(r"\s*•\s*"), ", "), (re.compile(r"(?<=\d)\s?½"), " and a half"),
         (re.compile(r"½"), "one half"),
         (re.compile(r"¼"), "one quarter"), (re.compile(r"¾"), "three quarters"),
         (re.compile(r"(?<=\w)_(?=\w)"), " underscore "), (re.compile(r"§§\s?"), "sections "),
         (re.compile(r"§\s?"), "section "), (re.compile(r"\s?±\s?"), " plus or minus "),
         (re.compile(r"(?<=\d)\s?×\s?(?=\d)"), " times "), (re.compile(r"(?<=\d)\s?×"), " times"),
         (re.compile(r"\s?×\s?"), " by "),  # ("2× faster": two times; "A × B": by)
         (re.compile(r"(?<=\d)\s?¢"), " cents"), (re.compile(r"−(?=\d)"), "minus "),
         (re.compile(r"\s?−\s?"), " minus "),
         (re.compile(r"\s?[™®]"), ""), (re.compile(r"©\s?"), "copyright "),
         (re.compile(r"<((?:mailto:)?[^<>\s@]+@[^<>\s]+|https?://[^<>\s]+)>"), r"\1"),
         (re.compile(r"\s*(?<!\S)</?3+(?=\s*(?:$|[.!?,;)\n]))"), ""),
         (re.compile(r"(?<=[A-Za-z]{2})\s+>\s+(?=[A-Za-z]{2})"), ", "),
         (re.compile(r"\s?<\s?(?=[-−]?[$£€¥]?\d)|(?<=[\w)])\s?<\s?(?=[\w(])"), " less than "),
         (re.compile(r"\s?>\s?(?=[-−]?[$£€¥]?\d)|(?<=[\w)])\s?>\s?(?=[\w(])"), " greater than "))
#: Markdown's and chat's emphasis around words ("**really**", "*sigh*", "__now__"): the words, without the marks
#: (both voices had read "asterisk asterisk really asterisk asterisk")
EMPHASIS_RE = re.compile(r"(?<![\w*_])(\*{1,3}|_{1,3})(?=[^\s*_])(.+?)(?<=[^\s*_])\1(?![\w*_])")


def signs(text: str) -> str:
    """``text`` without markdown's emphasis marks and with the signs of `SIGNS` as words."""
    text = EMPHASIS_RE.sub(r"\2", text)
    text = re.sub(r"(?m)^[ \t]*[-*•][ \t]+", "", text)  # a list's bullets at its lines' starts
    for pattern, words in SIGNS:
        text = pattern.sub(words, text)
    return text


def spoken(text: str, festival: bool = False) -> str:
    """``text`` with money, phone numbers, dates, times, decades, years, ranges, fractions and numbered
    abbreviations written as an English reader says them, and the pauses of ellipses, unspaced dashes and line
    breaks as punctuation espeak pauses at (see the module's docstring). ``festival``: only the rules Festival
    needs (it says years, plain times and sentence pauses itself, and reads two figures side by side, "18 75",
    digit by digit: "one eight seventy five")."""
    text = MONEY_RE.sub(_money, signs(text))
    text = PHONE_GROUPED_RE.sub(_grouped_phone, text)
    text = PHONE_RE.sub(_phone, text)
    text = DAY_RANGE_RE.sub(lambda m: f"{_day(m.group(1))} to {_day(m.group(2))}", text)
    text = DAY_BEFORE_A_TIME_RE.sub(_short_day, text)
    text = TIME_RANGE_RE.sub(lambda m: _time_range(m, festival), text)
    text = ISO_DATE_RE.sub(lambda m: _date(int(m.group(2)), int(m.group(3)), m.group(1), festival) or m.group(), text)
    text = SLASH_DATE_RE.sub(lambda m: _slash_date(m, festival), text)
    if not festival:
        text = TIME_RE.sub(_time, text)
    text = HOUR_RE.sub(lambda m: f"{int(m.group(1))} {m.group(2).lower()}m{_full_stop(m)}", text)
    text = DECADE_RE.sub(_decade, text)
    text = NEXT_DECADE_RE.sub(lambda m: m.group(1) + DECADES[m.group(2)], text)
    text = RANGE_RE.sub(lambda m: _range(m, festival), text)
    if not festival:
        text = YEAR_RE.sub(_year_after, text)
        text = NEXT_YEAR_RE.sub(lambda m: m.group(1) + _year(m.group(2), m.group(3)), text)
    text = SLASH_RE.sub(lambda m: _slash(m, festival), text)
    text = HASH_RE.sub("number ", text)
    text = NUMBERED_RE.sub(_numbered, text)
    text = MONTH_ABBR_RE.sub(lambda m: next(n for n in MONTHS if n.startswith(m.group(1)[:3])) + " ", text)
    return line_breaks(text) if festival else _pauses(text)


def _word_before(m: re.Match) -> str:
    """The word before a match, in lower case ("" at the text's start): the context some rules read."""
    return (m.string[:m.start()].split()[-1:] or [""])[0].lower()


def _short_day(m: re.Match) -> str:
    """A day written short before a time or a date (`DAY_BEFORE_A_TIME_RE`) in full, but a verb after its subject
    (`SUBJECT_BEFORE_RE`: "I Sat 9am in the lobby")."""
    verb = m.group(1).lower() in ("sat", "wed", "sun") and SUBJECT_BEFORE_RE.search(m.string[max(0, m.start() - 6):m.start()])
    return m.group() if verb else _day(m.group(1))


def _day(written: str) -> str:
    """A day of the week as said, from how it is written ("Mon", "THURS", "Friday")."""
    return WEEKDAYS[written[:3].title()]


def _numbered(m: re.Match) -> str:
    """ "No. 5" as "number 5" within a sentence ("call No. 10"); at a sentence's start "No." may answer a question
    ("Is it ready? No. 5 more minutes.": a re-audit), so it is left as written there."""
    if m.group(1) in ("No", "Nos") and re.search(r"(?:^|[.!?:])$", m.string[:m.start()].rstrip()):
        return m.group()
    return NUMBERED[m.group(1)] + " "


def _phone(m: re.Match) -> str:
    if m.group(1) and not m.group().startswith(("+", "(")):  # 555-0199: a phone number only where a word says so
        a, b = m.group(1), m.group(2)
        counts = int(a) % 10 == 0 and int(b) % 10 == 0 and int(a) < int(b)  # ("contact us for 100-1000 units",
        if not _said_to_be_a_phone(m) or counts \
                or not NOT_A_UNIT_RE.match(m.string, m.end()):  # round counts, or before a unit: a re-audit)
            return m.group()
    return _digit_by_digit(m.group())


def _said_to_be_a_phone(m: re.Match) -> bool:
    """Whether a word before a figure says it is a phone number ("call me 555-0199", "call me at 555-0199"), or
    another number comes just before it ("call 555-0199 or 555-0200": the second too)."""
    before = [w.strip(":,#.") for w in m.string[:m.start()].lower().split()[-3:]]
    said = before[-2:] if before[-2:-1] != ["me"] and before[-2:-1] != ["us"] else before
    after_one = re.search(r"\d{3}[-. ]\d{4}\s*,?\s*(?:or|and)?\s*$", m.string[:m.start()])
    return any(w in PHONE_WORDS for w in said) or bool(after_one)


def _grouped_phone(m: re.Match) -> str:
    """A phone number written with spaces or dots (`PHONE_GROUPED_RE`), read as one with dashes is: each group
    digit by digit, a pause between groups."""
    if m.group(1) and sum(len(g) for g in re.findall(r"\d+", m.group())[1:]) < 7:
        return m.group()  # (after a "+", seven digits or more: "+5 10 20" is no phone number)
    if m.group(2) == " ":  # (spaces alone: only where the words say so)
        at = re.search(r"\b(?:at|on)\s+$", m.string[:m.start()], re.I)  # ("reach me at 415 555 0134": ten figures
        # in these groups after "at" are a number to call; "at 500-1000 people" is a count)
        if not (_said_to_be_a_phone(m) or at) or not NOT_A_UNIT_RE.match(m.string, m.end()):
            return m.group()
    return _digit_by_digit(m.group())


def _digit_by_digit(number: str) -> str:
    """A phone number as said: each group's digits apart, the groups apart by a comma ("5 5 5, 0 1 9 9")."""
    return ", ".join(" ".join(g) for g in re.findall(r"\d+", number))


def _range(m: re.Match, festival: bool = False) -> str:
    """" to " for a range's dash (" and " after "between": "between 45 dollars and 50 dollars"), or the text as
    written where an unspaced hyphen joins figures that are no range (`RANGE_RE`)."""
    between = re.search(r"\bbetween\s+(?:\S+\s*){0,2}$", m.string[:m.start()], re.I)
    word = " and " if between else " to "
    if m.group(4):  # after money, "am", "pm", ...
        return m.group(4) + word
    a, dash, b = m.group(1), m.group(2), m.group(3)
    years = "." not in a and len(a) == 4 and (len(b) == 4 and 1000 <= int(a) < int(b) <= 2099  # ("Case 2019-45"
                                              or len(b) == 2 and 0 < int(b) - int(a[2:]) <= 9)  # is a number)
    if festival and years and not between:  # Festival says "2020-2022" as years itself; given "2020 to 2022", it
        return a + "-"  # said "two thousand and twenty to twenty twenty two" (a re-audit)
    if dash != "-":
        return a + word
    if f"{a}-{b}" in HYPHEN_IDIOMS:
        return a + " "
    small = len(a) <= 2 and len(b) <= 2
    x, y = (int(n.replace(",", "")) if "." not in n else None for n in (a, b))  # ("1,000": 1000)
    rounded = x is not None and x % 10 == 0 and y % 10 == 0 and x < y
    grouped = "," in a + b and x is not None and x < y  # ("1,250-1,499": counts; no model's number has commas)
    return a + word if "." not in a and (small or rounded or years or grouped) else a + dash


def _money(m: re.Match) -> str:
    one, many = CURRENCIES[m.group(1)][:2]
    whole, part, last, scale = m.group(2), m.group(3), m.group(4), m.group(5) or SCALES.get(m.group(6) or "", "")
    if scale or (last and part is None and "." not in last):  # "$2.5 billion": "2.5 billion dollars"; "$5-10":
        to = f" to {last}" if last else ""  # "5 to 10 dollars"
        return f"{whole}{'.' + part if part else ''}{to}{' ' + scale.lower() if scale else ''} {many}"
    if last:  # "$10.50-12.75": each amount as money ("ten point five zero" had been said: a re-audit)
        return f"{_amount(m.group(1), whole, part)} to {_amount(m.group(1), *(last.split('.') + [None])[:2])}"
    return _amount(m.group(1), whole, part)


def _amount(sign: str, whole: str, part: str | None) -> str:
    """An amount of money as said: "1,299 dollars and 99 cents", "99 cents", "1 dollar", "2.5 dollars"."""
    one, many, cent, cents = CURRENCIES[sign]
    if part is not None and len(part) == 2:  # "$1,299.99": "1,299 dollars and 99 cents"
        unit = one if whole == "1" else many
        if int(part) == 0:
            return f"{whole} {unit}"
        small = cent if int(part) == 1 else cents
        return f"{int(part)} {small}" if whole == "0" else f"{whole} {unit} and {int(part)} {small}"
    if part is not None:
        return f"{whole}.{part} {many}"
    return f"{whole} {one if whole == '1' else many}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _year_after(m: re.Match) -> str:
    """A figure after a word that leads to a year (`YEAR_RE`) as a year, unless a plural follows it ("in 1850
    patients") or it opens a range of counts: a unit after the range ("from 1750 to 1800 feet"), or a plural that
    is what is counted, ending the clause or before "a", "per", "of" ... ("between 1800 and 1900 calories a day");
    a plural that goes on with its verb is the range's subject: "From 1939 to 1945 millions died" is years (re-audits)."""
    rest = m.string[m.end():]
    to = re.match(r"\s*(?:to|and|[-–])\s*\d+", rest)
    if to:
        counted = re.match(r"\s+[a-z]+s\b(?=\s*(?:$|[.,;:!?)]|(?:a|an|per|of|each|in|on|at|for|and|or|to)\b))",
                           rest[to.end():], re.I)
        if not NOT_A_UNIT_RE.match(rest, to.end()) or counted:
            return m.group()
    elif not NOT_A_PLURAL_RE.match(rest):
        return m.group()
    return m.group(1) + m.group(2) + _year(m.group(3), m.group(4))


def _year(century: str, rest: str) -> str:
    """A year from 1100 to 1999 in two halves: "18 75", "19 hundred", "19 oh 5"."""
    if rest == "00":
        return f"{century} hundred"
    return f"{century} oh {int(rest)}" if rest.startswith("0") else f"{century} {rest}"


def _year_words(year: str) -> str:
    """A date's year: 1100 to 1999 in two halves, others (2025, a two-digit '25) as written."""
    return _year(year[:2], year[2:]) if len(year) == 4 and 1100 <= int(year) <= 1999 else year


def _date(month: int, day: int, year: str, festival: bool = False) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{MONTHS[month - 1]} {_ordinal(day)}, {year if festival else _year_words(year)}"


def _slash_date(m: re.Match, festival: bool = False) -> str:
    """A date with slashes, month first as in the US (where the first figure cannot be a month, day first)."""
    a, b, year = int(m.group(1)), int(m.group(2)), m.group(3)
    said = _date(a, b, year, festival) if a <= 12 else _date(b, a, year, festival)
    return said or m.group()


def _time(m: re.Match) -> str:
    hour, minute, half = int(m.group(1)), m.group(2), m.group(3)
    if minute == "00" and not half and _word_before(m) not in AT_A_TIME:
        return m.group()  # a length ("a song 4:00 long"), or a time whose context does not say: as written
    return _clock(hour, minute, f" {half.lower()}m{_full_stop(m)}" if half else "")


def _time_range(m: re.Match, festival: bool) -> str:
    """Two clock times joined by a dash, each said as a time: a range says it holds times ("8:00-17:00" had kept
    "eight zero zero" for want of a word before it; a re-audit)."""
    if festival or any(int(t[:-3]) > 24 for t in m.group(1, 2)):
        return f"{m.group(1)} to {m.group(2)}"
    (h1, m1), second = m.group(1).split(":"), m.group(2)
    if re.match(r"\s?[ap](?:\.m\.|m\b)", m.string[m.end():], re.I):  # "9:00-10:30 am": "9 to 10 30 am"
        return _clock(int(h1), m1).removesuffix(" o'clock") + f" to {second}"
    return f"{_clock(int(h1), m1)} to {_clock(int(second[:-3]), second[-2:])}"


def _clock(hour: int, minute: str, after: str = "") -> str:
    """A clock time as said: "5 o'clock", "17 hundred", "9 oh 5", "9 30"; ``after``: its " am" or " pm"."""
    half = bool(after)
    if minute == "00":
        if half or hour == 0 or hour > 12:
            return f"{hour}{after}" if half else f"{hour} hundred"
        return f"{hour} o'clock"
    return f"{hour} oh {int(minute)}{after}" if minute.startswith("0") else f"{hour} {minute}{after}"


def _full_stop(m: re.Match) -> str:
    """The full stop of a written "p.m." that also ends its sentence ("at 5 p.m. Then" and "at 5 p.m." at the end):
    "pm" takes the abbreviation's stops, so the sentence keeps its own."""
    rest = m.string[m.end():]  # (not before a word that goes on its phrase: "at 3 p.m. Tuesday", a re-audit)
    return "." if m.group().endswith(".") and (not rest.strip() or re.match(r"\s+[A-Z]", rest)) \
        and not AFTER_A_TIME_RE.match(rest) else ""


def _decade(m: re.Match) -> str:
    if m.group(3):  # "'80s"
        return DECADES[m.group(3)]
    if m.group(5):  # "the 80s", "her 30s"
        return m.group(4) + DECADES[m.group(5)]
    century, tens = m.group(1), m.group(2)
    if tens == "0" and _word_before(m) not in ("the", "early", "late", "mid"):
        return m.group()  # a century only after "the" ("the 1800s"): "Timeout after 1200s" is seconds (a re-audit)
    if century == "20":
        return "two thousands" if tens == "0" else f"20 {DECADES[tens]}"
    return f"{century} {DECADES[tens]}"


def _slash(m: re.Match, festival: bool = False) -> str:
    whole, a, b = m.group(1), m.group(2), m.group(3)
    written = m.group()
    before = _word_before(m)
    dated = before.strip(",") in DATE_WORDS
    if f"{a}/{b}" in SLASH_IDIOMS and not whole:
        return written if festival else SLASH_IDIOMS[f"{a}/{b}"]  # (Festival reads "24 7" digit by digit)
    measured = whole or MEASURES.match(m.string, m.end())
    if "." not in a and int(b) in FRACTION_DENOMINATORS and 0 < int(a) < int(b) and measured and not dated:
        one, many = FRACTION_DENOMINATORS[int(b)]
        if whole:  # "1 1/2 cups": one and a half
            return f"{whole} and a {one}" if a == "1" else f"{whole} and {a} {many}"
        return f"{a} {one if a == '1' else many}"
    rated = "." in a or before in RATING_WORDS or re.match(r"\s*stars?\b", m.string[m.end():])
    if b in ("5", "10", "100") and not whole and rated and float(a) <= int(b):  # a mark out of five, ten, 100
        return f"{a} out of {b}"
    return written


def _pauses(text: str) -> str:
    """The pauses a pasted text marks otherwise than espeak reads them: an ellipsis (a full stop before a
    capital, else a comma), a dash between two words without spaces (a comma), a line without an end mark (a
    comma after it)."""
    text = re.sub(r"(?:\.{3,}|…)(?=\s+[A-Z])", ".", text)
    text = re.sub(r"\s*(?:\.{3,}|…)\s*(?=\S)", ", ", text)
    text = re.sub(r"(?:\.{3,}|…)", ".", text)
    text = re.sub(r"(?<=\w)—(?=\w)", ", ", text)
    return line_breaks(text)


def line_breaks(text: str) -> str:
    """A line without an end mark ends with a comma, a paragraph (a blank line after it) with a full stop: the
    voices read a line break as a space ("Shopping list\\nmilk\\neggs" ran together; Festival too)."""
    text = re.sub(r"(?<=[\w)\"'’”])[ \t]*\n[ \t]*\n\s*", ". ", text)  # a paragraph ends its last sentence
    # a line break within a sentence of wrapped prose (a long line, the next one going on in lower case) is a space
    text = re.sub(r"(?m)^(.{25,}[a-z,;])[ \t]*\n(?=[ \t]*[a-z])", r"\1 ", text)
    text = re.sub(r"(?<=[\w)\"'’”])[ \t]*\n+", ", ", text)
    return text
