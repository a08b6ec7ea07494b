"""The shipped VAD table must be exactly what the derivation script computes from NRC-VAD."""
import pytest

from conditioning import _vad_tables, derive_vocabulary


def test_table_matches_the_nrc_vad_lexicon(shared_data):
    path = shared_data / "vad" / "NRC-VAD-Lexicon.txt"
    if not path.is_file():
        pytest.skip(f"NRC-VAD lexicon not found at {path}")
    lexicon = derive_vocabulary.read_lexicon(path)
    terms, words = derive_vocabulary.derive(lexicon)
    assert set(terms) == set(_vad_tables.TERMS)
    for term, (mean, sd, used) in terms.items():
        shipped_mean, shipped_sd, shipped_words = _vad_tables.TERMS[term]
        assert shipped_mean == pytest.approx(mean, abs=6e-4), term
        assert shipped_sd == pytest.approx(sd, abs=6e-4), term
        assert tuple(shipped_words) == used
        assert shipped_words[0] == term  # the headword itself is in its cluster
    for w, vad in words.items():
        assert _vad_tables.WORDS[w] == pytest.approx(vad, abs=6e-4)
    # spot check against raw lexicon rows: joy 0.980/0.824/0.794 -> +0.960/+0.648/+0.588
    assert _vad_tables.WORDS["joy"] == pytest.approx((0.960, 0.648, 0.588), abs=1e-3)


def test_a_therapist_s_words_are_known_or_met_with_their_stem():
    """"depressed" was refused with "stressed" offered in its place, and "energised" with "enraged" first: a
    listener's low state now reads as low valence and arousal, and a misspelt word is offered its stem first."""
    from conditioning import Emotion
    from conditioning.errors import EmotionSpecError

    low = Emotion.parse("depressed")
    assert low.valence < -0.8 and low.arousal < 0.0 and low.top in ("sadness", "despair")
    assert Emotion.parse("sluggish").arousal < -0.5 and Emotion.parse("panicky").arousal > 0.8
    with pytest.raises(EmotionSpecError, match="closest known: energetic, "):
        Emotion.parse("energised")
    with pytest.raises(EmotionSpecError, match="closest known: angry, anger"):
        Emotion.parse("angr")
