"""Text critic: measured VAD of words, negation, intensifiers, and the studio's conflict warning."""
import subprocess
import sys
import json

import pytest

from critics.base import CriticError
from critics.text.lexicon import LexiconTextCritic
from conditioning import Emotion
from studio.studio import Studio

critic = LexiconTextCritic()


def v(text):
    return critic.score(text)


def test_known_directions():
    happy, sad = v("What a wonderful, joyful day, I love it!"), v("A sad and lonely night, full of grief.")
    assert happy.valence > 0.5 > -0.3 > sad.valence
    angry, calm = v("Furious rage, screaming in anger."), v("A calm, peaceful evening by the quiet lake.")
    assert angry.arousal > 0.4 > calm.arousal and calm.arousal < 0
    assert angry.dominance > v("helpless, afraid and ashamed").dominance


def test_negation_flips_valence_and_damps_arousal():
    pos, neg = v("I am happy"), v("I am not happy")
    assert pos.valence > 0.3 and neg.valence < 0
    assert abs(v("I'm not angry").arousal) < v("I'm angry").arousal


def test_negation_stays_in_its_clause_and_knows_its_idioms():
    """A negator reached past a full stop or a comma ("No. I am happy." read -0.08, "I cant wait, so excited!" -0.03),
    and onto the word after a verb it negates ("I can't stop smiling!" +0.03; VADER alone reads it +0.76); VADER's
    "never so" was read as a negation ("Never been so happy in my life!" -0.12). "Not so happy" stays negated."""
    for text in ("No. I am happy.", "I cant wait, so excited!", "We won the championship! I can't stop smiling!",
                 "Never been so happy in my life!"):
        assert v(text).valence > 0.3, text
    assert v("I am not so happy.").valence < 0 and v("I am not happy.").valence < 0


def test_asides_exclamations_bare_addresses_and_backtick_apostrophes():
    """From a re-audit: a filler set off by commas ends no clause ("I'm not, like, happy." read +0.19); "can't
    believe" exclaims ("I can't believe how awful it was" read positive); a bare web address is no words
    ("example.com/terrible-disaster-death" read three feelings); a backtick typed as an apostrophe opens no code
    ("can`t believe how awful, I`m devastated" lost its words)."""
    assert v("I'm not, like, happy.").valence < -0.3 and v("I am not, honestly, angry.").valence > 0
    assert v("No, really, I'm happy.").valence > 0.5  # an interjection's comma still ends its clause
    assert v("I can't believe how awful it was.").valence < 0 and v("I can't believe how happy I am!").valence > 0
    assert v("Read more at example.com/terrible-disaster-death today.").details["affect_words"] == []
    assert v("I can`t believe how awful, I`m devastated.").details["affect_words"] == ["awful", "devastated"]
    assert v("Run `rm -rf happy` now, I am sad.").details["affect_words"] == ["sad"]  # code is still no words
    # the next re-audit: "can't believe in" denies a belief (+0.24); an ending that is also a word ("us") makes no
    # address without a path ("terrible.us too" lost "terrible"); apostrophes as phones type them
    assert v("I can't believe in love anymore.").valence < -0.3
    assert v("I felt terrible.us too").details["affect_words"] == ["terrible"]
    assert v("See bit.ly/sad-thing now.").details["affect_words"] == []
    for address in ("Order at funeral-flowers.co.uk", "Visit happy-days.me today"):  # two levels, or a hyphen
        assert v(address).details["affect_words"] == [], address
    for straight in ("Please don't kill us!", "Don't worry about me.", "I can't believe how awful it was.",
                     "I don't feel happy."):  # and as a backtick, an acute accent, a prime ("I don`t feel happy"
        for mark in ("\u2019", "`", "\u00b4", "\u2032"):  # read +0.74, hope: a re-audit)
            typed = straight.replace("'", mark)
            assert v(typed).valence == v(straight).valence and v(typed).details == v(straight).details, typed
    assert v("I don't feel happy.").valence < -0.3
    for text in ("I can't wait!", "I can't wait for the weekend!", "I can't wait for you to see it!",
                 "I can't wait until Friday!"):  # eager: the negator turns on "wait" itself (they read -0.19)
        assert v(text).valence > 0.1, text
    for text in ("I won't wait for you anymore.", "Don't wait for me, I am leaving forever.",
                 "We can't wait any longer, he is dying.", "I can't wait anymore.", "I can't wait here all day.",
                 "I can't wait around forever.", "I can't wait for you."):  # negations still (the re-audits after)
        assert v(text).valence < 0, text


def test_a_plea_fears_what_it_names():
    """A negated imperative with the speaker as its object is a plea: "Please don't kill us!" read tender (+0.67;
    VADER alone +0.75). Negations that are not pleas still flip ("I won't hurt you", "Don't worry about me")."""
    for text in ("Please don't hurt me", "Please don't kill us!", "Do not abandon us.", "No, don't hurt me!"):
        r = v(text)
        assert r.valence < -0.3 and r.arousal > 0 and r.details["pleas"] == 1, text
    assert v("Please don't love me.").valence < 0  # a plea fears a harm: a glad word negated is still negated
    for text in ("I won't hurt you.", "Don't worry about me.", "Don't hurt yourself.", "Don't cry."):
        r = v(text)
        assert r.valence > 0.2 and "pleas" not in r.details, text


def test_intensifiers_scale_distance_from_neutral():
    assert v("extremely sad").valence < v("sad").valence < v("slightly sad").valence < 0


def test_no_affect_words_reads_neutral_with_low_confidence():
    r = v("The train leaves the station at nine.")
    assert abs(r.valence) < 0.2 and abs(r.arousal) < 0.2 and r.confidence < 0.5


def test_empty_text_is_a_clear_error():
    with pytest.raises(CriticError, match="empty"):
        v("   ")


def test_a_text_in_another_language_is_refused_not_misread():
    """The English lexicons read a German line's English-looking words ("Angst" as fear, "Gift", poison, as a
    present) and nothing else; the critic says which language it found instead, and the studio's conflict warning
    does not fire on such a misreading (for a German voice's line the user asked to sound joyful)."""
    for text in ("Ich habe ein Gift für dich gekauft, mein Schatz.", "Die Angst war groß, aber wir haben gewonnen.",
                 # without its words with umlauts langid read this as English (0.99), and it was read as neutral
                 "Ich bin heute sehr traurig und wütend über alles was passiert ist.",
                 "I am very happy today. Ich bin heute sehr traurig und wütend über alles was passiert ist."):
        with pytest.raises(CriticError, match=r"reads as German \(langid, probability"):
            v(text)
    with pytest.raises(CriticError, match="reads as Spanish"):
        v("Me alegro mucho de verte otra vez, amigo.")
    assert Studio().text_conflict("Die Angst war groß, aber wir haben gewonnen.", "joy") is None
    assert v("Guten Tag is what Klaus said, smiling warmly.").valence > 0  # English with a German greeting in it
    # a sentence of names or a Latin motto in an English text does not make it foreign (the sentence check did)
    assert v("Our team was thrilled tonight. Giancarlo Bianchi, Lorenzo Esposito, Matteo Russo and Davide Ricci "
             "scored. What a wonderful evening!").valence > 0
    assert v("Our school motto is simple. Per aspera ad astra, semper fidelis, carpe diem. I am so proud of "
             "it.").valence > 0
    # English full of foreign names and dishes is read, not refused (langid alone read these as French, Spanish)
    assert v("My neighbour Françoise brought over a quiche lorraine and some lovely pâté.").valence > 0
    assert v("Chef Ramón López makes the best empanadas in San Antonio.").valence > 0
    # a few words in another script are read around, as names are (langid read these as Latin and Chinese at 1.00),
    # a sentence of another script is left unread and said, and a text in another script is refused by name
    assert v("The restaurant called Москва was terrible and the waiter was rude to us.").valence < 0
    assert v("Happy birthday! 生日快乐！ I hope you have a great day.").valence > 0
    mixed = v("We had a wonderful time at the lake with the whole family this summer. Мы очень устали после долгой "
              "дороги домой вчера. But the kids loved every minute of it and want to go back.")
    assert mixed.details["unread_other_language"]["languages"] == ["Russian"] and mixed.valence > 0
    # a Chinese sentence, written without spaces, counts a word for every two characters (it was one or two words, so
    # it was read around with no word that it was left unread)
    chinese = v("I had such a lovely day at the park with my family. 今天我们在公园里玩得非常开心，天气也特别好。")
    assert chinese.details["unread_other_language"] == {"languages": ["Chinese"], "words": 10, "of_words": 22}
    glued = v("I had such a lovely day at the park with my family.今天我们在公园里玩得非常开心，天气也特别好。")  # no space
    assert glued.details["unread_other_language"] == chinese.details["unread_other_language"]
    first = v("今天我们在公园里玩得非常开心，天气也特别好.I had such a lovely day at the park with my family.")
    assert first.details["unread_other_language"]["languages"] == ["Chinese"]  # the other way round too
    with pytest.raises(CriticError, match="reads as Russian"):  # (was "no words ... English letters expected")
        v("Я очень рад видеть тебя сегодня вечером дома")
    # technical English is read, not refused: langid read this line as French at 1.00
    assert v("Quantum chromodynamics describes gluons mediating interactions between quarks.").valence is not None
    # a German sentence holding under half the words is left unread, and the reading says so: "traurig und wütend"
    # (sad and angry) beside a glad English sentence read +1.0 without a word
    mixed = v("Ich bin heute so unglaublich traurig und wütend. I am really very happy today and it is great fun.")
    assert mixed.details["unread_other_language"] == {"languages": ["German"], "words": 8, "of_words": 19}
    assert mixed.details["affect_words"] == ["happy", "great", "fun"]
    motto = v("Our school motto is simple. Per aspera ad astra, semper fidelis, carpe diem. I am so proud of it.")
    assert motto.details["unread_other_language"]["words"] == 8 and "proud" in motto.details["affect_words"]
    names = v("Our team was thrilled tonight. Giancarlo Bianchi, Lorenzo Esposito, Matteo Russo and Davide Ricci "
              "scored. What a wonderful evening!")
    assert "unread_other_language" not in names.details  # names are no sentence of another language
    from studio.critique import reading_notes

    assert reading_notes(mixed.details) == ["8 of its 19 words are in sentences in German, which the text critic "
                                            "(English) leaves unread; the reading is of the English ones"]


def test_studio_warns_when_words_fight_the_emotion():
    studio = Studio()
    warning = studio.text_conflict("I am so happy, what a wonderful day!", "sadness")
    assert warning and "positive" in warning and "sadness" in warning
    assert studio.text_conflict("I am so happy, what a wonderful day!", "joy") is None
    assert studio.text_conflict("The train leaves at nine.", "sadness") is None
    # a word's associations are no tone: EmoLex's garden (joy) and teacher and bank (trust) read a factual line as
    # positive, and takes of it were noted as mixed messages; VADER's sentence score must bear the words out
    assert studio.text_conflict("The garden is behind the house.", "sadness") is None
    assert studio.text_conflict("The teacher left the bank.", "anger") is None


def test_a_take_whose_words_pull_against_the_emotion_says_so(tmp_path):
    """The warning above was written but never shown: `generate` printed nothing when a cheerful line was asked
    to sound sad. Now the take's report carries it (``notes``), the command line prints it and the web page shows
    it, for speech and for a talking face; a line that agrees with the emotion gets no note."""
    pytest.importorskip("piper", reason="speech/piper needs the 'speech' extra")
    from studio.web import WebStudio

    line = "I am so happy, what a wonderful day!"
    out = subprocess.run([sys.executable, "-m", "studio.cli", "generate", "speech", "--emotion", "sadness", "--text",
                          line, "--out", str(tmp_path / "sad.wav"), "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    note = "the words read as positive (valence +0.99, from: happy, wonderful) but the requested emotion sadness"
    assert note in out.stderr and note in json.loads(out.stdout)["notes"][0]
    agree = Studio().generate("speech", "joy", text=line, score=False)
    assert agree.notes == () and "notes" not in agree.to_json()
    take = WebStudio(tmp_path / "web").generate("face", Emotion.parse("sadness"), text=line)
    assert f"_Note: its voice: {note}" in take.report  # (said as its voice's: the words are spoken)


def test_cli_text_critique(tmp_path):
    f = tmp_path / "lyric.txt"
    f.write_text("Tears fall, I miss you, the night is cold and empty.")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    out = subprocess.run([sys.executable, "-m", "studio.cli", "critique", "--modality", "text", "--json", str(f),
                          str(empty)], capture_output=True, text=True)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 1 and len(rows) == 2
    assert rows[0]["valence"] < 0 and rows[0]["critic"] == "text/lexicon" and "native" in rows[0]
    assert "empty" in rows[1]["error"]


def test_a_long_text_is_read_in_passages_and_an_overlong_one_refused():
    """VADER read a text whole, in time growing with the square of its length (a 300 kB upload held the web's
    Analyse for four minutes), and its compound saturated: a script half glad and half sad read -1.0. A text over
    `PASSAGE_CHARS` is read in passages of whole sentences; a line of speech is read whole, as VADER reads it."""
    from critics.text.lexicon import MAX_CHARS, PASSAGE_CHARS

    critic = LexiconTextCritic()
    line = "I am so happy today, but the rain was cold and I miss you."
    assert critic.score(line).details["vader_compound"] == critic._vader.polarity_scores(line)["compound"]
    script = "I am so happy today. " * 100 + "I am so sad and miserable. " * 100
    assert len(script) > 4 * PASSAGE_CHARS and critic._vader.polarity_scores(script)["compound"] < -0.99
    assert abs(critic.score(script).details["vader_compound"]) < 0.3  # half and half: neither extreme
    glad = critic.score("What a wonderful, joyful morning with my friends. " * 100)
    assert glad.details["vader_compound"] > 0.8 and glad.valence > 0.5
    with pytest.raises(CriticError, match=r"text has 200,001 characters.*at most 200,000"):
        critic.score("a" * (MAX_CHARS + 1))
    # a transcript without full stops was one passage (126 s for 200,000 characters): it is cut at commas and words
    read = []
    own = critic._vader.polarity_scores
    critic._vader.polarity_scores = lambda text: read.append(len(text)) or own(text)
    critic.score("we went to the park and it was a lovely day, the kids were happy and " * 300)
    assert read and max(read) <= PASSAGE_CHARS


def test_the_language_model_is_unpacked_once_and_read_back_the_same(tmp_path, monkeypatch):
    """langid's packed model took 1.2 s to unpack in every process (every one-shot generate of a line that is not
    plainly English); the unpacked arrays are kept in the cache and read back (no pickle), giving the same
    readings as langid's own loading."""
    import bz2

    import conditioning.language as language
    from langid.langid import LanguageIdentifier, model

    monkeypatch.setattr(language, "CACHE", tmp_path / "langid")
    language._identifier.cache_clear()
    try:
        first = language._identifier()
        (kept,) = (tmp_path / "langid").glob("model-*.npz")
        language._identifier.cache_clear()
        monkeypatch.setattr(bz2, "decompress", lambda *a: pytest.fail("unpacked again"))
        again = language._identifier()
        monkeypatch.undo()
        own = LanguageIdentifier.from_modelstring(model, norm_probs=True)
        for text in ("Ich habe keine Zeit für so etwas.", "We had croissants at a little café in Montréal.",
                     "Привет, как у тебя дела сегодня?", "The birch canoe slid on the smooth planks."):
            assert first.classify(text) == again.classify(text) == own.classify(text)
        monkeypatch.setattr(language, "CACHE", tmp_path / "langid")
        whole = kept.read_bytes()
        for damaged in (b"damaged", whole[: len(whole) // 2]):  # a damaged copy is unpacked again, not an error
            kept.write_bytes(damaged)
            language._identifier.cache_clear()
            assert language._identifier().classify("Das ist wirklich eine schöne Überraschung!")[0] == "de"
    finally:
        language._identifier.cache_clear()


def test_terminal_colour_codes_and_control_characters_are_no_words():
    """'\\x1b[0m' (a terminal's colour reset) made langid read a plainly English line as German, and it was
    refused; control characters are read as spaces."""
    from critics.text.lexicon import LexiconTextCritic

    critic = LexiconTextCritic()
    plain = critic.score("I am so happy today, my friend")
    coded = critic.score("I am so happy\x1b[0m today,\x07 my friend")
    assert coded.valence == pytest.approx(plain.valence) and coded.valence > 0.5


def test_names_are_not_read_as_feelings():
    """"Dr. Smith arrived." read positive (EmoLex's smith), and a fearful paragraph that named him got a note that
    its words read positive; capitalised mid-sentence, Hope and Grace are people. A sentence's first word, a
    feeling in capitals and the same words in lower case are still read."""
    from critics.text.lexicon import LexiconTextCritic

    c = LexiconTextCritic()
    for text in ("Dr. Smith arrived.", "We met Hope and Grace at the station."):
        r = c.score(text)
        assert r.details["affect_words"] == [] and abs(r.valence) < 0.05, text
    assert c.score("The hall was empty and Mr. Smith was late.").details["affect_words"] == ["empty", "late"]
    assert c.score("Joy filled the room.").valence > 0.5  # the first word of a sentence
    assert c.score("The rain has gone away\nHappy days are here again").details["affect_words"] == ["happy"]  # a line
    assert c.score("We met hope and grace at the station.").valence > 0.3
    assert c.score("I am SO ANGRY at this.").valence < -0.5
    # a headline in title case and a list's bullets: capitals there mark no names (both read nothing)
    headline = c.score("Local Man Wins Lottery, Family Overjoyed And Thrilled")
    assert "overjoyed" in headline.details["affect_words"] and headline.valence > 0.5
    assert c.score("* Happy\n* Joyful moments with friends").details["affect_words"] == ["happy", "joyful"]
    # a sentence full of names is no headline (it read hope and joy once the headline rule came in: title case
    # capitalises every word of four letters or more, "visited" too); a sentence in title case is read
    assert c.score("Yesterday Hope, Grace and Joy visited Rose.").details["affect_words"] == []
    assert c.score("Hi Joy, I am Hope.").details["affect_words"] == []  # one long word, a name: no headline
    assert c.score("Man Dies In War").valence < -0.5  # ... but a headline with one long word, all capitalised, is
    assert c.score("I Love You So Much.").valence > 0.5 and c.score("Sad News Today.").valence < -0.3
    assert c.score("Tell Mom I love her. Happy Birthday Joy!").details["affect_words"][:1] == ["love"]


def test_a_web_page_is_read_without_its_markup():
    """A saved page was read tags and scripts included: "<script>var happy=love;</script>" around a furious
    sentence read +0.04; the words outside the tags read as the sentence alone does."""
    plain = "I hate this, I am absolutely furious about what they did."
    page = (f"<html><head><style>.happy {{color: red}}</style><script>var happy = love;</script></head>"
            f"<body><p>{plain.replace(',', '&#44;')}</p><!-- happy love --></body></html>")
    got, want = critic.score(page), critic.score(plain)
    assert got.details["markup_removed"] is True and "markup_removed" not in want.details
    assert got.valence == pytest.approx(want.valence, abs=0.02) and got.valence < -0.4
    assert "happy" not in got.details["affect_words"] and "love" not in got.details["affect_words"]
    assert v("I think 3 < 5 and that makes me happy.").valence > 0  # a "<" in prose is no markup
    prose = "Whenever x < a I feel happy, joyful and wonderful; otherwise b > c and everything is terrible."
    assert "markup_removed" not in v(prose).details and "happy" in v(prose).details["affect_words"]


def test_addresses_code_and_oversized_files_are_not_read_as_words(tmp_path):
    """A web address's words, a Markdown link's target and code were read as feelings ("example.com/terrible-
    disaster-death-killer?joy=love": five); a 300 MB file was read whole (654 MB at its peak) to be refused for its
    length, and an unreadable file's message named its full path (on the web, the server's folders)."""
    from conditioning.media import MediaError
    from studio.critique import read_text_file

    assert v("Check https://example.com/terrible-disaster-death-killer?joy=love for more info.").details[
        "affect_words"] == []
    assert v("Run this:\n```\ndef kill(): hate = 1\n```\nand tell me.").details["affect_words"] == []
    assert "happy" not in v("See [the notes](http://x.org/happy-joy) for the plan.").details["affect_words"]
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(2 * 2**20)  # 2 MB of zero bytes, never read
    with pytest.raises(MediaError, match=r"^big.txt: 2.0 MB of text, more than the text critic reads"):
        read_text_file(big)
    (tmp_path / "bin.txt").write_bytes(b"\x80\x81\x00\x01binary" * 10)
    with pytest.raises(MediaError, match=r"^bin.txt: not a text file"):
        read_text_file(tmp_path / "bin.txt")


def test_a_mixed_message_names_the_words_that_pull_the_way_the_text_reads():
    """A positive text spoken sadly was noted "the words read as positive (valence +0.49, from: storm, time, gently,
    long)": the first four affect words, whatever their sign (a speech audit)."""
    from studio import Studio

    text = ("The storm passed in the night. It was a long time coming, but the morning was gently bright and "
            "wonderful, and we laughed with joy.")
    note = Studio().text_conflict(text, "sadness@0.6")
    named = note.split("from: ")[1].split(")")[0].split(", ")
    assert note.startswith("the words read as positive") and "storm" not in named
    assert named[:2] == ["joy", "wonderful"]  # the strongest first
