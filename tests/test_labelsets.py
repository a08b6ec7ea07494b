"""Adapters to other systems' label sets: every foreign label lands where its meaning says."""
import pytest

from conditioning import LABEL_SETS, Emotion, EmotionSpecError, label_set

# expected valence sign of each foreign label (0: neutral at the origin)
SIGNS = {
    "fer2013": {"angry": -1, "disgust": -1, "fear": -1, "happy": 1, "neutral": 0, "sad": -1, "surprise": 1},
    "ravdess": {"neutral": 0, "calm": 1, "happy": 1, "sad": -1, "angry": -1, "fearful": -1, "disgust": -1,
                "surprised": 1},
    "emodb": {"anger": -1, "boredom": -1, "disgust": -1, "fear": -1, "happiness": 1, "sadness": -1, "neutral": 0},
    "emopia": {"Q1": 1, "Q2": -1, "Q3": -1, "Q4": 1},
    "mikels": {"amusement": 1, "awe": 1, "contentment": 1, "excitement": 1, "anger": -1, "disgust": -1,
               "fear": -1, "sadness": -1},
    "mead": {"angry": -1, "disgusted": -1, "contempt": -1, "fear": -1, "happy": 1, "neutral": 0, "sad": -1,
             "surprised": 1},
}


def sign(x, tol=1e-9):
    return 0 if abs(x) < tol else (1 if x > 0 else -1)


@pytest.mark.parametrize("name", sorted(SIGNS))
def test_every_label_maps_to_the_valence_sign_of_its_meaning(name):
    ls = label_set(name)
    assert set(ls.labels) == set(SIGNS[name])
    for label, expected in SIGNS[name].items():
        assert sign(ls.point(label)[0]) == expected, (name, label, ls.point(label))


def test_emopia_quadrants_have_their_arousal_signs():
    ls = label_set("emopia")
    assert [sign(ls.point(q)[1]) for q in ("Q1", "Q2", "Q3", "Q4")] == [1, 1, -1, -1]


def test_projection_round_trip_keeps_the_label():
    for ls in LABEL_SETS.values():
        for label in ls.labels:
            dist = ls.project(ls.to_emotion(label))
            assert max(dist, key=dist.get) == label, (ls.name, label)


def test_distribution_to_emotion_dilutes_with_neutral():
    ls = label_set("RAVDESS-8")
    strong, diluted = ls.to_emotion({"angry": 1.0}), ls.to_emotion({"angry": 0.5, "neutral": 0.5})
    assert diluted.arousal == pytest.approx(strong.arousal / 2)
    assert isinstance(diluted, Emotion)


def test_unknown_set_and_label():
    with pytest.raises(EmotionSpecError, match="known: fer2013"):
        label_set("affectnet")
    with pytest.raises(EmotionSpecError, match="not a ravdess label"):
        label_set("ravdess").point("happiness")
