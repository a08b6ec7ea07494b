"""Speech emotion critics: an embedded feature/ONNX critic and a transformers wrapper."""
from conditioning import label_set

#: The native label order of both speech critics (the RAVDESS label set of the conditioning space)
RAVDESS_LABELS = label_set("ravdess").labels
