"""How well does the text critic (`text/lexicon`) place words it was not given? Word-level figures against the
NRC-VAD lexicon's human ratings, on the words its own table does not hold.

    OMP_NUM_THREADS=1 .venv/bin/python bench/text_lexicon_words.py [--data ../shared/data] [--json [PATH]]

The critic's word table (`conditioning._vad_tables.WORDS`, 354 words) and the vocabulary's terms come from
NRC-VAD, so those words are left out: what remains (about 19,600 words) is read only through VADER's valence
lexicon and NRC EmoLex's categories placed at vocabulary terms, and the lexicon's ratings of these words were never
used. Each word is read alone, as a one-word text. Reported: how many words the critic reads at all (an affect
word or a VADER score), and Pearson r of its valence and arousal with the lexicon's (rescaled to -1..1) over those
words; VADER's compound alone, in the same run, is the baseline for valence. A word-level check only: sentences
(negation, boosters, contrast) are the known-answer tests' (`tests/test_critics_text.py`); no human-rated English
sentence corpus is in ../shared/data.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import data_bench  # noqa: E402

import numpy as np  # noqa: E402


def held_out(data: Path) -> list[tuple[str, float, float]]:
    """(word, valence, arousal) of the NRC-VAD words the critic's table and vocabulary do not hold (-1..1)."""
    from conditioning._vad_tables import WORDS
    from conditioning.vocabulary import resolve

    rows = []
    for line in (data / "vad" / "NRC-VAD-Lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) != 4 or not parts[0].isalpha() or not parts[0].islower():
            continue  # (multi-word entries and the header)
        word = parts[0]
        if word in WORDS or resolve(word) is not None:
            continue
        rows.append((word, 2 * float(parts[1]) - 1, 2 * float(parts[2]) - 1))
    return rows


def run(data: Path) -> dict:
    from critics.text.lexicon import LexiconTextCritic

    words = held_out(data)
    judge = LexiconTextCritic()
    read, human, vader, kinds = [], [], [], {"emolex": 0, "vader_only": 0, "none": 0}
    for word, v, a in words:
        r = judge.score(word)
        if r.details["nothing_read"]:
            kinds["none"] += 1
            continue
        kinds["emolex" if r.details["affect_words"] else "vader_only"] += 1
        read.append((r.valence, r.arousal, bool(r.details["affect_words"])))
        human.append((v, a))
        vader.append(r.details["vader_compound"])
    read, human, vader = np.array(read), np.array(human), np.array(vader)
    corr = lambda x, y: round(float(np.corrcoef(x, y)[0, 1]), 3)  # noqa: E731
    emolex = read[:, 2] > 0
    return {"held_out_words": len(words), "read": kinds,
            "valence_r": corr(read[:, 0], human[:, 0]), "vader_alone_valence_r": corr(vader, human[:, 0]),
            "arousal_r_emolex_words": corr(read[emolex, 1], human[emolex, 1]),
            "valence_r_emolex_words": corr(read[emolex, 0], human[emolex, 0])}


def show(res: dict) -> None:
    k = res["read"]
    print(f"text/lexicon on {res['held_out_words']:,} NRC-VAD words its table and vocabulary do not hold")
    print(f"  read: {k['emolex']:,} through EmoLex (+VADER), {k['vader_only']:,} through VADER alone, "
          f"{k['none']:,} not at all (neutral, 'nothing_read')")
    print(f"  valence r {res['valence_r']:+.3f} over the words read (VADER's compound alone: "
          f"{res['vader_alone_valence_r']:+.3f})")
    print(f"  EmoLex words: valence r {res['valence_r_emolex_words']:+.3f}, arousal r "
          f"{res['arousal_r_emolex_words']:+.3f} (VADER has no arousal: only EmoLex's words have one)")


def main() -> int:
    return data_bench(__doc__, run, show)


if __name__ == "__main__":
    sys.exit(main())
