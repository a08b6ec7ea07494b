"""Music generators: emotion -> music audio (+ MIDI where the backend is symbolic).

- `composer` (``music/composer``): the embedded, offline symbolic composer rendered with FluidSynth.
- `musicgen` (``music/musicgen``): MusicGen / MusicGen-melody through transformers, local weights only
  (the ``neural`` extra); the composer's melody can condition the melody variant.
- `audiocraft_backend`: an optional adapter used only where audiocraft imports (it cannot install beside
  torch 2.13 here).

`theory` holds what the backends share (modes, chords, voice leading, GM tables). Nothing heavy is imported
here.
"""
