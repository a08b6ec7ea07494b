"""The shared emotion-conditioning space: emotions, vocabulary, label sets, trajectories, metrics, media.

Imports nothing from the rest of the studio and nothing heavy (numpy at most), so every layer can use it.
"""
from .emotion import FORMS, Emotion, parse_emotion
from .errors import EmotionSpecError, EmotionStudioError, PlanError
from .labelsets import LABEL_SETS, LabelSet, label_set
from .trajectory import Keyframe, Trajectory, plan_iso
from .vocabulary import NEUTRAL, VOCABULARY, Term, mix_to_vad, vad_to_mix

__all__ = [
    "Emotion", "EmotionSpecError", "EmotionStudioError", "FORMS", "Keyframe", "LABEL_SETS", "LabelSet", "NEUTRAL", "PlanError",
    "Term", "Trajectory", "VOCABULARY", "label_set", "mix_to_vad", "parse_emotion", "plan_iso", "vad_to_mix",
]
