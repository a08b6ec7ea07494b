"""Speech emotion critics: an embedded feature/ONNX critic and a transformers wrapper."""
from conditioning import label_set

#: The native label order of both speech critics (the RAVDESS label set of the conditioning space)
RAVDESS_LABELS = label_set("ravdess").labels

#: Speech shorter than this gives the judges little to read: they read utterances of a few seconds (RAVDESS 1.5-2.5
#: s of speech, EmoDB 2 s), and a syllable or two is not one. `critique` says so once; a take's notes say it too.
SHORT_SPEECH_S = 1.0
SHORT_SPEECH = (f"under {SHORT_SPEECH_S:g} s of speech gives the judges little to read (they were trained on utterances "
                "of 1.5-3 s), so its reading is unreliable")
