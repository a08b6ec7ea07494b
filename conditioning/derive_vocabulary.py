"""Derive the conditioning vocabulary's VAD Gaussians from the NRC-VAD lexicon.

Run ``python -m conditioning.derive_vocabulary --lexicon ../shared/data/vad/NRC-VAD-Lexicon.txt`` to
regenerate ``conditioning/_vad_tables.py``. The lexicon itself is never shipped (NRC-VAD is free for research,
commercial use needs a licence from its authors); only the small table of figures below is, with citation:

    Mohammad, S. M. (2018). Obtaining Reliable Human Ratings of Valence, Arousal, and Dominance for
    20,000 English Words. ACL 2018. (NRC-VAD lexicon v1, scores in [0, 1].)

Why clusters: a single headword's rating is noisy (NRC rates "contentment" as fairly aroused, A=0.61), so each
term's mean is the mean over a small cluster of near-synonyms, and its spread is their standard deviation,
shrunk towards a common prior (a conjugate-normal posterior with ``PRIOR_N`` pseudo-words of spread
``PRIOR_SD``) so that a 4-word cluster never yields a degenerate Gaussian. Scores map to [-1, 1] by 2x - 1.
Neutral is not a lexicon word here: it is the origin by definition (the anchor that intensity is measured from).
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

PRIOR_SD = 0.18
PRIOR_N = 3.0

#: term -> near-synonym cluster (the term itself first). Chosen to cover Ekman's six, the label sets of the
#: systems we adapt to, and the states music therapy and creators ask for.
CLUSTERS: dict[str, tuple[str, ...]] = {
    "joy": ("joy", "happiness", "joyful", "happy", "glad", "cheerful"),
    "sadness": ("sadness", "sad", "sorrow", "unhappy", "unhappiness", "sorrowful"),
    "anger": ("anger", "angry", "mad", "outrage", "wrath", "angered"),
    "fear": ("fear", "afraid", "scared", "fright", "frightened", "fearful"),
    "disgust": ("disgust", "disgusted", "revulsion", "repulsion", "loathing", "nausea"),
    "surprise": ("surprise", "surprised", "astonishment", "amazement", "astonished", "startled"),
    "contempt": ("contempt", "scorn", "disdain", "sneer", "derision", "contemptuous"),
    "calm": ("calm", "calmness", "tranquil", "relaxed", "placid", "unruffled"),
    "contentment": ("contentment", "content", "contented", "satisfied", "fulfilled", "comfortable"),
    "tenderness": ("tenderness", "tender", "affection", "warmth", "fondness", "caring"),
    "excitement": ("excitement", "excited", "thrill", "exhilaration", "thrilled", "exciting"),
    "boredom": ("boredom", "bored", "dull", "tedium", "monotony", "weariness"),
    "anxiety": ("anxiety", "anxious", "nervous", "worry", "worried", "uneasy"),
    "nostalgia": ("nostalgia", "nostalgic", "wistful", "reminiscence", "yearning", "remembrance"),
    "awe": ("awe", "wonder", "reverence", "awestruck", "majestic", "sublime"),
    "serenity": ("serenity", "serene", "peace", "peaceful", "peacefulness", "tranquility"),
    "love": ("love", "loving", "adoration", "devotion", "beloved", "passion"),
    "pride": ("pride", "proud", "dignity", "selfesteem", "accomplishment", "confident"),
    "shame": ("shame", "ashamed", "humiliation", "humiliated", "disgrace", "mortified"),
    "guilt": ("guilt", "guilty", "remorse", "regret", "culpability", "penitence"),
    "frustration": ("frustration", "frustrated", "exasperation", "exasperated", "thwarted", "annoyance"),
    "hope": ("hope", "hopeful", "optimism", "optimistic", "expectation", "aspiration"),
    "amusement": ("amusement", "amused", "fun", "funny", "playful", "laughter"),
    "melancholy": ("melancholy", "melancholic", "gloom", "gloomy", "somber", "blue"),
    "grief": ("grief", "grieving", "mourning", "bereavement", "heartbroken", "anguish"),
    "rage": ("rage", "fury", "furious", "enraged", "livid", "infuriated"),
    "terror": ("terror", "horror", "panic", "terrified", "horrified", "dread"),
    "triumph": ("triumph", "triumphant", "victory", "victorious", "glory", "conquest"),
    "relief": ("relief", "relieved", "reassurance", "reassured", "respite", "easing"),
    "loneliness": ("loneliness", "lonely", "lonesome", "isolation", "isolated", "forsaken"),
    "tension": ("tension", "tense", "strain", "stress", "stressed", "suspense"),
    "enthusiasm": ("enthusiasm", "enthusiastic", "eagerness", "eager", "zeal", "zest"),
    "despair": ("despair", "hopeless", "hopelessness", "desperation", "despondent", "misery"),
    "elation": ("elation", "elated", "euphoria", "euphoric", "ecstasy", "jubilant"),
    "irritation": ("irritation", "irritated", "annoyed", "irked", "grumpy", "cranky"),
    "gratitude": ("gratitude", "grateful", "thankful", "thankfulness", "appreciation", "appreciative"),
    "longing": ("longing", "yearn", "pining", "craving", "desire", "homesick"),
    "confusion": ("confusion", "confused", "bewildered", "perplexed", "puzzled", "bafflement"),
    "interest": ("interest", "interested", "curiosity", "curious", "intrigued", "fascination"),
    "fatigue": ("fatigue", "tired", "sleepy", "drowsy", "lethargy", "exhausted"),
}

#: Extra free words (modifiers and affect words) whose own NRC-VAD scores the phrase parser may use.
EXTRA_WORDS: tuple[str, ...] = (
    "bittersweet", "quietly", "quiet", "softly", "soft", "gently", "gentle", "slowly", "slow", "fast",
    "loud", "loudly", "wild", "wildly", "dark", "bright", "warm", "cold", "heavy", "light", "hopeful",
    "wistful", "dreamy", "mysterious", "eerie", "ominous", "playful", "energetic", "lively", "upbeat",
    "mellow", "soothing", "relaxing", "uplifting", "triumphant", "epic", "dramatic", "romantic", "sweet",
    "bitter", "angst", "moody", "sombre", "somber", "tragic", "heroic", "fierce", "aggressive", "violent",
    "restless", "agitated", "hectic", "frantic", "sleepy", "dreamlike", "ethereal", "sentimental",
    "tearful", "crying", "smiling", "laughing", "grim", "bleak", "cheery", "jolly", "merry", "festive",
    "solemn", "sacred", "spooky", "creepy", "nervous", "confident", "determined", "defiant", "bold",
    "shy", "timid", "lonely", "empty", "numb", "hurt", "pain", "painful", "loving", "passionate",
    "sensual", "intimate", "nostalgic", "reflective", "pensive", "thoughtful", "serious", "silly",
    "quirky", "whimsical", "stressful", "chill", "cozy", "vibrant", "majestic", "powerful", "weak",
    "fragile", "delicate", "tense", "peaceful", "happy", "sad", "angry", "calm", "excited",
    # states a music therapist names a listener's starting point with (the words were refused, "depressed" with
    # "stressed" offered in its place)
    "depressed", "depression", "dejected", "downcast", "overwhelmed", "panicky", "irritable", "sluggish",
    "burnout", "energetic",
    # everyday feeling words a user types (from an audit: "upset", "delighted", "jealous", "hate" were refused, with
    # suggestions of the opposite feeling: "delighted" -> "delicate, dejected, disgusted")
    "upset", "delighted", "pleased", "jealous", "envious", "hate", "hateful", "miserable", "embarrassed",
    "ashamed", "guilty", "proud", "good", "bad", "great", "awful", "terrible", "wonderful", "sorry", "furious",
    "annoyed", "frustrated", "terrified", "elated", "ecstatic", "grateful", "relieved", "heartbroken",
    "devastated", "blissful", "serene", "gloomy", "melancholic", "hopeless", "desperate", "lonesome", "bitterly",
    "enraged", "irritated", "disappointed", "insecure", "safe", "loved", "lovely", "cheerless", "jubilant",
)

MEAN_DIGITS = 3


def read_lexicon(path: Path) -> dict[str, tuple[float, float, float]]:
    """Read NRC-VAD v1 (word<TAB>valence<TAB>arousal<TAB>dominance, scores in [0, 1])."""
    table: dict[str, tuple[float, float, float]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) != 4:
            continue
        try:
            table[parts[0].lower()] = (float(parts[1]), float(parts[2]), float(parts[3]))
        except ValueError:  # a header line
            continue
    return table


def to_signed(x: float) -> float:
    return 2.0 * x - 1.0


def derive(lexicon: dict[str, tuple[float, float, float]]):
    """Return ({term: (mean_vad, sd_vad, words_used)}, {word: vad}) from the lexicon."""
    terms = {}
    for term, words in CLUSTERS.items():
        found = [tuple(to_signed(x) for x in lexicon[w]) for w in words if w in lexicon]
        if term not in lexicon or len(found) < 3:
            raise SystemExit(f"cluster {term!r}: headword missing or fewer than 3 words in the lexicon")
        n = len(found)
        mean = tuple(sum(p[i] for p in found) / n for i in range(3))
        sd = tuple(
            math.sqrt((sum((p[i] - mean[i]) ** 2 for p in found) + PRIOR_N * PRIOR_SD**2) / (n - 1 + PRIOR_N))
            for i in range(3)
        )
        terms[term] = (mean, sd, tuple(w for w in words if w in lexicon))
    words = {}
    for w in sorted({*EXTRA_WORDS, *(w for ws in CLUSTERS.values() for w in ws)}):
        if w in lexicon:
            words[w] = tuple(to_signed(x) for x in lexicon[w])
    return terms, words


def render(terms, words) -> str:
    r = lambda xs: "(" + ", ".join(f"{x:+.{MEAN_DIGITS}f}" for x in xs) + ")"  # noqa: E731
    out = [
        '"""Generated by ``python -m conditioning.derive_vocabulary``: do not edit by hand.',
        "",
        "Figures derived from the NRC-VAD lexicon v1 (Mohammad 2018, ACL), rescaled from [0, 1] to [-1, 1].",
        "NRC-VAD: free for research; commercial use needs a licence from its authors (see README, Licences).",
        '"""',
        "",
        "#: term -> ((valence, arousal, dominance) mean, (v, a, d) standard deviation, cluster words)",
        "TERMS = {",
    ]
    for term, (mean, sd, used) in terms.items():
        out.append(f"    {term!r}: ({r(mean)}, {r(sd)}, {used!r}),")
    out += ["}", "", "#: word -> (valence, arousal, dominance): single-word scores for the free-phrase parser", "WORDS = {"]
    for w, vad in words.items():
        out.append(f"    {w!r}: {r(vad)},")
    out += ["}", ""]
    return "\n".join(out)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lexicon", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared/data/vad/NRC-VAD-Lexicon.txt")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("_vad_tables.py"))
    args = ap.parse_args(argv)
    terms, words = derive(read_lexicon(args.lexicon))
    args.out.write_text(render(terms, words), encoding="utf-8")
    print(f"wrote {len(terms)} terms and {len(words)} words to {args.out}")


if __name__ == "__main__":
    main()
