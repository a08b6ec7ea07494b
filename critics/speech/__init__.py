"""Speech emotion critics: an embedded feature/ONNX critic and a transformers wrapper."""
