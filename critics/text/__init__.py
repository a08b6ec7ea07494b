"""Text critics: the emotion that the words of a prompt, lyric or script carry."""
