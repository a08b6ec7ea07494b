"""Image critics: the emotion an image evokes (valence, arousal), from colour, form and composition."""
