"""Generators: emotion-conditioned speech, talking faces, music and images, one backend per file.

Nothing heavy is imported here; see `generators.registry` for the lazy registry.
"""
from .base import GenerationError, GenerationRequest, GenerationResult, Generator, Provenance

__all__ = ["GenerationError", "GenerationRequest", "GenerationResult", "Generator", "Provenance"]
