"""Media I/O: clear errors, atomic writes, any rate and channel count."""
import numpy as np
import pytest

from conditioning.media import Audio, MediaError, load_audio, load_image, save_audio


def test_round_trip_stereo_and_resample(tmp_path):
    t = np.arange(44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 440 * t)], axis=1) * 0.5
    path = save_audio(tmp_path / "x.flac", Audio(stereo, 44100))
    a = load_audio(path, rate=16000)
    assert a.rate == 16000 and a.samples.ndim == 1 and abs(a.duration_s - 1.0) < 1e-3
    spec = np.abs(np.fft.rfft(a.samples))
    assert abs(np.argmax(spec) * 16000 / len(a.samples) - 440) < 2


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(MediaError, match="no such file"):
        load_audio(tmp_path / "missing.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        load_audio(tmp_path / "empty.wav")
    (tmp_path / "junk.wav").write_bytes(b"not audio at all" * 10)
    with pytest.raises(MediaError, match="not readable as audio"):
        load_audio(tmp_path / "junk.wav")
    (tmp_path / "junk.png").write_bytes(b"nope")
    with pytest.raises(MediaError, match="not readable as an image"):
        load_image(tmp_path / "junk.png")
    with pytest.raises(MediaError, match="use .wav"):
        save_audio(tmp_path / "x.mp4", Audio(np.zeros(10), 8000))
    assert not (tmp_path / "x.mp4").exists()
