"""Image generators: `procedural` (embedded, CPU, the default) and `diffusion` (Stable Diffusion family, weights
from a local path). Nothing heavy is imported at package import."""
