"""Emotional speech generators: text + `Emotion` (or `Trajectory`) -> speech with phoneme and word timings.

Backends (one per file, imported lazily through `generators.registry`):
- ``speech/piper`` (`piper.PiperSpeech`, default): Piper VITS voices + WORLD prosody (extra ``speech``);
- ``speech/festival`` (`festival.FestivalSpeech`): Festival's HTS voice ``cmu_us_slt_arctic_hts`` (Debian);
- ``speech/coqui`` (`coqui.CoquiSpeech`): XTTS-v2 conditioned on emotional reference clips (extra ``coqui``).

Shared pieces: `prosody` (the cited Emotion -> prosody-controls mapping) and `world` (WORLD resynthesis).
"""
