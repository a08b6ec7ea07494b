"""Media I/O: clear errors, atomic writes, any rate and channel count."""
import shutil
from pathlib import Path

import numpy as np
import pytest

from conditioning.media import Audio, Image, MediaError, load_audio, load_image, save_audio


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
    with pytest.raises(MediaError, match=r"contents are not audio that can be read \(damaged, or another kind"):
        load_audio(tmp_path / "junk.wav")
    (tmp_path / "junk.png").write_bytes(b"nope")
    with pytest.raises(MediaError, match="contents are not a picture that can be read"):
        load_image(tmp_path / "junk.png")
    (tmp_path / "drawing.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')  # a kind not read here, not a
    with pytest.raises(MediaError, match=r"\.svg is not a picture this reads; accepted: \.png"):  # damaged picture
        load_image(tmp_path / "drawing.svg")
    with pytest.raises(MediaError, match="use .wav"):
        save_audio(tmp_path / "x.mp4", Audio(np.zeros(10), 8000))
    assert not (tmp_path / "x.mp4").exists()


def test_a_jpeg_without_its_end_marker_is_read_and_one_cut_short_is_not(tmp_path, shared_data):
    """A JPEG whose 2-byte end marker is missing (some cameras and web tools write them so) was refused as
    damaged, while viewers and OpenCV show it whole (an audit); one cut short stays refused."""
    whole = (shared_data / "images" / "oasis" / "images" / "School_2.jpg").read_bytes()
    (tmp_path / "unmarked.jpg").write_bytes(whole[:-2])
    (tmp_path / "whole.jpg").write_bytes(whole)
    assert np.array_equal(load_image(tmp_path / "unmarked.jpg").pixels, load_image(tmp_path / "whole.jpg").pixels)
    for cut in (0.7, 0.95):
        (tmp_path / "cut.jpg").write_bytes(whole[:int(len(whole) * cut)])
        with pytest.raises(MediaError, match="contents are not a picture that can be read"):
            load_image(tmp_path / "cut.jpg")
    from PIL import Image as PILImage  # a progressive JPEG cut short decodes whole, blurred (a re-audit)

    PILImage.open(tmp_path / "whole.jpg").save(tmp_path / "progressive.jpg", progressive=True, quality=90)
    progressive = (tmp_path / "progressive.jpg").read_bytes()
    for cut in (0.3, 0.9):
        (tmp_path / "cut.jpg").write_bytes(progressive[:int(len(progressive) * cut)])
        with pytest.raises(MediaError, match="contents are not a picture that can be read"):
            load_image(tmp_path / "cut.jpg")


def test_a_long_take_is_written_as_ogg_without_crashing(tmp_path):
    """libsndfile 1.2.2's Vorbis coder, given a whole 60-s take at 44.1 kHz, crashed Python (exit 139, its hidden
    temporary file left; a re-audit): `save_audio` hands it blocks. In a child process, where a crash is a code."""
    from conftest import run_python

    code = ("import numpy as np\n"
            "from conditioning.media import Audio, load_audio, save_audio\n"
            "t = np.arange(44100 * 90) / 44100\n"
            f"p = save_audio({str(tmp_path / 'long.ogg')!r}, Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32),"
            " 44100))\n"
            "print('seconds', round(load_audio(p).duration_s, 2))\n")
    r = run_python(code)
    assert r.returncode == 0 and "seconds 90.0" in r.stdout, (r.returncode, r.stderr[-800:])
    assert [f.name for f in tmp_path.iterdir()] == ["long.ogg"]


def test_a_large_picture_is_read_for_the_image_judges_at_most_2048_px_a_side(tmp_path, shared_data):
    """The image judges read at 256 px, but an 8000x8000 JPEG was decoded whole for them (926 MB at the peak: an
    audit); now a still is read at most `READ_STILL_SIDE` a side (a JPEG decoded smaller), and reads the same."""
    from PIL import Image as PILImage

    from conditioning.media import READ_STILL_SIDE, load_still
    from critics.registry import load_critic

    photo = PILImage.open(shared_data / "images" / "oasis" / "images" / "School_2.jpg")
    photo.resize((5000, 4000), PILImage.Resampling.LANCZOS).save(tmp_path / "big.jpg", quality=92)
    photo.resize((5000, 4000), PILImage.Resampling.LANCZOS).save(tmp_path / "big.png")
    for name in ("big.jpg", "big.png"):
        still = load_still(tmp_path / name)
        assert still.pixels.shape[:2] == (READ_STILL_SIDE * 4 // 5, READ_STILL_SIDE), name
    assert load_image(tmp_path / "big.png").pixels.shape[:2] == (4000, 5000)  # (the animator's reading: whole)
    judge = load_critic("image", "colour")
    small, whole = judge.score(load_still(tmp_path / "big.jpg")), judge.score(load_image(tmp_path / "big.jpg"))
    assert abs(small.valence - whole.valence) < 0.02 and abs(small.arousal - whole.arousal) < 0.02


def test_audio_is_written_as_mp3_and_reads_back_aligned(tmp_path):
    """MP3, what creators share: the decoded file has the take's length and timing (no coder delay in front),
    the same pitch and level; a rate MPEG audio cannot hold, and a file with no suffix, are refused by name."""
    t = np.arange(22050) / 22050
    tone = (0.4 * np.sin(2 * np.pi * 220 * t) * np.minimum(1, 4 * t)).astype(np.float32)  # a fade-in marks the start
    back = load_audio(save_audio(tmp_path / "x.mp3", Audio(tone, 22050)))
    import soundfile as sf

    assert sf.info(str(tmp_path / "x.mp3")).format == "MP3"
    assert back.rate == 22050 and len(back.samples) == len(tone)
    assert np.corrcoef(back.samples, tone)[0, 1] > 0.99  # aligned: a shift of 1 ms would halve this at 220 Hz
    assert abs(np.sqrt(np.mean(back.samples ** 2)) / np.sqrt(np.mean(tone ** 2)) - 1) < 0.05
    with pytest.raises(MediaError, match="MP3 holds audio at 8, .* 48 kHz, and this is 96 kHz; write .wav or .flac"):
        save_audio(tmp_path / "y.mp3", Audio(np.zeros(960), 96000))
    with pytest.raises(MediaError, match="cannot write audio without a suffix; use .wav, .flac, .ogg or .mp3"):
        save_audio(tmp_path / "take", Audio(tone, 22050))
    assert not (tmp_path / "y.mp3").exists() and not (tmp_path / "take").exists()


def test_high_bit_depth_greyscale_images_read_as_their_8_bit_picture(tmp_path):
    """Pillow's convert("RGB") clips 16-bit and float greyscale: a 16-bit PNG read as solid white and a float
    TIFF as solid black, so every image judge read a blank picture's mood."""
    from PIL import Image as PILImage

    ramp = (np.linspace(0, 255, 64)[None, :] * np.ones((48, 1))).astype(np.uint8)
    PILImage.fromarray(ramp).save(tmp_path / "g8.png")
    PILImage.fromarray(ramp.astype(np.uint16) * 257).save(tmp_path / "g16.png")
    PILImage.fromarray((ramp / 255).astype(np.float32)).save(tmp_path / "gf.tiff")
    for name in ("g8.png", "g16.png", "gf.tiff"):
        pixels = load_image(tmp_path / name).pixels
        assert pixels.dtype == np.uint8 and pixels.shape == (48, 64, 3), name
        assert np.abs(pixels[:, :, 1].astype(int) - ramp).max() <= 1, name


def test_a_write_that_cannot_happen_names_the_file_asked_for(tmp_path):
    """Errors used to name the hidden temporary file ("cannot write /proc/.x.qg_8y6j_.png") or say only "File
    exists" for a file standing where a folder should be."""
    import errno

    from conditioning.media import atomic_path

    blocker = tmp_path / "afile"
    blocker.write_bytes(b"mine")
    for target in (blocker / "x.png", blocker / "sub" / "x.png"):
        with pytest.raises(NotADirectoryError, match="a file is there, not a folder") as info:
            with atomic_path(target):
                pass
        assert info.value.filename == str(blocker)
    with pytest.raises(OSError) as info:
        with atomic_path("/proc/x.png"):
            pass
    assert info.value.filename == "/proc/x.png" and info.value.errno in (errno.ENOENT, errno.EACCES, errno.EPERM)
    assert blocker.read_bytes() == b"mine" and sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.parametrize("orientation,turn", [(6, 1), (3, 2), (8, 3)])  # np.rot90 k: what the camera stored
def test_a_phone_photo_reads_upright_as_its_exif_orientation_says(tmp_path, orientation, turn):
    """Phones store a photo as the sensor saw it and write how to turn it (EXIF Orientation); read without the tag,
    a portrait taken upright came out sideways, and the talking face made from it was sideways too."""
    from PIL import Image as PILImage
    from skimage.data import astronaut

    upright = astronaut()
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "phone.jpg"
    PILImage.fromarray(np.ascontiguousarray(np.rot90(upright, k=turn))).save(path, quality=95, exif=exif)
    pixels = load_image(path).pixels.astype(float)
    assert pixels.shape == upright.shape
    assert np.abs(pixels - upright).mean() < 4  # JPEG's loss only
    assert np.abs(pixels - np.rot90(upright, k=turn)).mean() > 40  # not the stored, turned picture


def test_a_phone_video_reads_upright_as_its_display_matrix_says(tmp_path):
    """A phone films with the sensor sideways and writes the turn in the stream's display matrix (ffmpeg's
    ``rotate``); OpenCV read the frames as stored, so the face judges measured a sideways face."""
    import shutil
    import subprocess

    from skimage.data import astronaut

    from conditioning.media import Video, load_video, save_video

    if shutil.which("ffmpeg") is None:
        pytest.skip("needs the ffmpeg program (Debian package ffmpeg, installed by make test)")
    upright = astronaut()[::2, ::2]
    stored = save_video(tmp_path / "stored.mp4", Video(np.stack([np.rot90(upright)] * 3), 25.0))
    phone = tmp_path / "phone.mp4"  # rotate=270: turn the stored frames 90 degrees clockwise to show them
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(stored), "-c", "copy", "-metadata:s:v:0",
                    "rotate=270", str(phone)], check=True)
    frames = load_video(phone).frames.astype(float)
    assert frames.shape[1:] == upright.shape
    assert np.abs(frames[0] - upright).mean() < 6  # H.264's loss only
    assert np.abs(load_video(stored).frames[0].astype(float) - np.rot90(upright)).mean() < 6  # no tag: as stored


HEIC = Path(__file__).parent / "data" / "astronaut.heic"  # tests/data/README.md says how it was made


def astronaut_256() -> np.ndarray:
    """The picture `tests/data/astronaut.heic` was encoded from."""
    from PIL import Image as PILImage
    from skimage.data import astronaut

    return np.asarray(PILImage.fromarray(astronaut()[:384, 64:448]).resize((256, 256), PILImage.LANCZOS))


def test_a_phones_heic_photo_reads_as_the_picture_it_holds(tmp_path):
    """iPhones save HEIC; with the heic extra (pi-heif, decode only) it reads like any picture, also when it is
    named .jpg (told by its ftyp brand, not its suffix)."""
    pytest.importorskip("pi_heif", reason="the heic extra (pip install 'emotion-studio[heic]')")
    pixels = load_image(HEIC).pixels.astype(float)
    assert pixels.shape == (256, 256, 3)
    assert np.abs(pixels - astronaut_256()).mean() < 5  # HEVC's loss at quality 60
    renamed = tmp_path / "photo.jpg"
    renamed.write_bytes(HEIC.read_bytes())
    assert np.array_equal(load_image(renamed).pixels, load_image(HEIC).pixels)


def test_an_avif_picture_reads_as_the_one_saved(tmp_path):
    """AVIF (what browsers and Android cameras save) is read by Pillow itself; it is in the accepted lists."""
    from PIL import Image as PILImage

    from conditioning.media import READ_IMAGE_SUFFIXES

    path = tmp_path / "photo.avif"
    PILImage.fromarray(astronaut_256()).save(path, quality=90)
    assert ".avif" in READ_IMAGE_SUFFIXES and np.abs(load_image(path).pixels.astype(float) - astronaut_256()).mean() < 5


def test_without_the_heic_extra_a_heic_photo_says_how_to_read_it(tmp_path, monkeypatch):
    import conditioning.media as media

    monkeypatch.setattr(media, "_heif_opener", lambda: False)  # as where pi-heif is not installed
    renamed = tmp_path / "photo.jpg"
    renamed.write_bytes(HEIC.read_bytes())
    for path in (HEIC, renamed):
        with pytest.raises(MediaError, match=r"HEIC/HEIF picture .*pip install 'emotion-studio\[heic\]'.*save it as JPEG"):
            load_image(path)


def test_a_video_too_large_to_hold_is_read_evenly_thinned(tmp_path):
    """20 s of 1080p decode to 3.7 GB and reading one whole took 7.4 GB: frames past the memory budget are thinned
    evenly (the stride doubles), the fps is the kept frames' and ``stride`` says so; frames larger than the side
    limit are scaled down."""
    from conditioning.media import Video, load_video, save_video

    frames = np.zeros((40, 64, 96, 3), np.uint8)
    frames[:] = (np.arange(40) * 6)[:, None, None, None]  # frame i is grey level 6 i
    path = save_video(tmp_path / "v.mp4", Video(frames, 25.0))
    whole = load_video(path)
    assert whole.stride == 1 and len(whole.frames) == 40 and whole.fps == 25.0
    thin = load_video(path, max_bytes=10 * frames[0].nbytes)
    assert thin.stride == 4 and len(thin.frames) == 10 and thin.fps == 25.0 / 4
    assert np.allclose(thin.frames.mean(axis=(1, 2, 3)), 6 * np.arange(0, 40, 4), atol=2)  # frames 0, 4, 8, ...
    assert abs(thin.duration_s - whole.duration_s) < 1e-9
    small = load_video(path, max_side=48)
    assert small.frames.shape[1:3] == (32, 48) and np.allclose(small.frames.mean(axis=(1, 2, 3)), 6 * np.arange(40), atol=2)


def test_audio_errors_say_what_the_file_is(tmp_path):
    """A video's sound track is read (a talking face's voice); a silent video and a picture were both called 'not
    readable as audio (NoBackendError)'."""
    from conditioning.media import Image, Video, save_image, save_video

    frames = np.zeros((5, 32, 32, 3), np.uint8)
    silent = save_video(tmp_path / "silent.mp4", Video(frames, 25.0))
    with pytest.raises(MediaError, match="a video with no sound track that can be read"):
        load_audio(silent)
    t = np.arange(16000) / 16000
    voiced = save_video(tmp_path / "voiced.mp4", Video(frames, 25.0, Audio(0.3 * np.sin(2 * np.pi * 220 * t), 16000)))
    assert abs(load_audio(voiced, rate=16000).duration_s - 1.0) < 0.2  # the sound track, padded to the frames
    picture = save_image(tmp_path / "face.png", Image(frames[0]))
    with pytest.raises(MediaError, match="a picture, not audio; accepted: .wav.*or a video's sound track"):
        load_audio(picture)


def test_video_errors_say_what_the_file_is(tmp_path, capfd):
    """An .mp4 holding only sound (a voice memo, an exported sound track) was "not readable as video, or no
    frames", and a damaged one printed FFmpeg's own "moov atom not found" above the error."""
    import shutil
    import subprocess

    from conditioning.media import load_video

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg (Debian) makes the sound-only .mp4")
    t = np.arange(16000) / 16000
    wav = save_audio(tmp_path / "memo.wav", Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000))
    memo = tmp_path / "memo.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(wav), "-c:a", "aac", str(memo)], check=True)
    with pytest.raises(MediaError, match="a sound track with no pictures, so there is no picture or face to read; it can be "
                                         "read as speech or music audio"):
        load_video(memo)
    damaged = tmp_path / "clip.mp4"
    damaged.write_bytes(memo.read_bytes()[:200])
    capfd.readouterr()
    with pytest.raises(MediaError, match="not readable as video, or no frames; accepted: .mp4"):
        load_video(damaged)
    assert capfd.readouterr().err == ""


def test_a_picture_too_large_to_read_says_so_not_that_it_is_damaged(tmp_path):
    """Past twice Pillow's 89-megapixel limit a picture was called damaged ('its contents are not a picture')."""
    from PIL import Image as PILImage

    path = tmp_path / "poster.png"
    PILImage.new("1", (20000, 10000)).save(path)  # 200 megapixels in a 1-bit, small file
    with pytest.raises(MediaError, match="more than 179 megapixels, more than is read here; scale it down"):
        load_image(path)


def test_a_cut_off_video_is_said_to_be_damaged_not_a_sound_track(tmp_path, capfd):
    """A download cut off before its first frame read as 'a sound track with no pictures' (it has a picture
    stream), after three lines of FFmpeg's own complaints."""
    from conditioning.media import MediaError, Video, load_video, save_video

    noise = np.random.default_rng(0).integers(0, 256, (10, 64, 96, 3), np.uint8)  # a large first frame
    whole = save_video(tmp_path / "v.mp4", Video(noise, 25.0)).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) // 20])
    capfd.readouterr()
    with pytest.raises(MediaError, match="a video whose pictures cannot be decoded \\(damaged or cut off\\)"):
        load_video(cut)
    assert capfd.readouterr().err == ""


def test_a_cut_off_mp3_is_read_without_its_decoders_own_lines(tmp_path, capfd):
    """libmpg123 printed 'Warning: Xing stream size off by more than 1%, fuzzy seeking ...' for a cut-off MP3,
    which is read all the same (what is there)."""
    from conditioning.media import Audio, load_audio, save_audio

    t = np.arange(16000 * 3) / 16000
    whole = save_audio(tmp_path / "a.mp3", Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000))
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    capfd.readouterr()
    audio = load_audio(cut)
    assert 1.0 < audio.duration_s < 2.0 and capfd.readouterr().err == ""


def test_downmix_keeps_music_mixed_and_takes_one_channel_where_channels_cancel():
    """Channels that carry one sound out of phase cancel in their mean (a miswired stereo take read as silence);
    music's independent channels are mixed as a listener hears them."""
    from conditioning.media import Audio, downmix

    rng = np.random.default_rng(0)
    left, right = rng.standard_normal((2, 16000)).astype(np.float32)
    np.testing.assert_allclose(downmix(np.stack([left, right], 1)), (left + right) / 2, rtol=1e-6)
    np.testing.assert_array_equal(downmix(np.stack([left, -0.8 * left], 1)), left)  # the louder of the two
    late = np.concatenate([np.zeros(3, np.float32), left[:-3]])  # a voice's channels should add up:
    assert downmix(np.stack([left, late], 1)).std() < left.std()  # noise 3 samples late is mixed by default
    np.testing.assert_array_equal(downmix(np.stack([left, late], 1), coherent=0.9), left)  # not for speech
    assert Audio(np.stack([left, -left], 1), 16000).mono().samples.std() > 0.9


def test_transparent_pixels_are_laid_over_white_as_a_viewer_shows_them(tmp_path):
    """The alpha channel was dropped, so the colour under clear pixels was read: two PNGs that look alike read
    apart (arousal -0.05 and -0.45), and a fully clear one was read as the face it hid."""
    from PIL import Image as PILImage

    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    alpha = np.zeros((40, 60, 1), np.uint8)
    alpha[10:30, 15:45] = 255  # an opaque square in a clear frame
    paths = []
    for name, under in (("black", 0), ("white", 255)):
        px = rgb.copy()
        px[alpha[:, :, 0] == 0] = under
        PILImage.fromarray(np.concatenate([px, alpha], axis=2), "RGBA").save(tmp_path / f"{name}.png")
        paths.append(tmp_path / f"{name}.png")
    a, b = (load_image(p).pixels for p in paths)
    np.testing.assert_array_equal(a, b)
    assert (a[0, 0] == 255).all() and np.array_equal(a[20, 30], rgb[20, 30])
    PILImage.fromarray(np.concatenate([rgb, np.zeros_like(alpha)], axis=2), "RGBA").save(tmp_path / "clear.png")
    assert (load_image(tmp_path / "clear.png").pixels == 255).all()
    half = Image(np.concatenate([np.zeros((2, 2, 3), np.uint8), np.full((2, 2, 1), 128, np.uint8)], axis=2))
    assert (half.pixels == 127).all()  # an array with alpha too: black at half opacity over white


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg to write a variable-frame-rate video")
def test_a_variable_frame_rate_video_is_read_in_time(tmp_path):
    """Phones film at a variable frame rate; read at the stream's average rate, 2 s of frames at 25 fps and then
    3.2 s of frames at 2.5 fps put the change at 4.4 s, and the first part outweighed the second by frames."""
    import subprocess

    from PIL import Image as PILImage

    from conditioning.media import load_video

    for name, grey in (("bright", 220), ("dark", 30)):
        PILImage.fromarray(np.full((64, 64, 3), grey, np.uint8)).save(tmp_path / f"{name}.png")
    lines = ["file 'bright.png'\nduration 0.04"] * 50 + ["file 'dark.png'\nduration 0.4"] * 8 + ["file 'dark.png'"]
    (tmp_path / "list.txt").write_text("\n".join(lines) + "\n")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "concat", "-safe", "0", "-i", "list.txt", "-fps_mode", "vfr",
                    "-pix_fmt", "yuv420p", "vfr.mp4"], cwd=tmp_path, check=True)
    v = load_video(tmp_path / "vfr.mp4")
    dark = v.frames.reshape(len(v.frames), -1).mean(axis=1) < 125
    assert np.argmax(dark) / v.fps == pytest.approx(2.0, abs=0.15)  # when the change is seen
    assert dark.mean() == pytest.approx(3.2 / 5.2, abs=0.06) and v.duration_s == pytest.approx(5.2, abs=0.45)


def test_a_cut_off_wav_or_flac_is_refused_not_read_as_if_whole(tmp_path):
    """libsndfile read a WAV cut off by an interrupted copy without a word (its first third of an angry take read
    sad), and a FLAC it could not decode went to another decoder that read its first part as if whole."""
    import soundfile as sf

    y = (0.3 * np.sin(np.arange(48000) / 5.0)).astype(np.float32)
    for suffix in (".wav", ".flac"):
        whole = tmp_path / f"whole{suffix}"
        sf.write(whole, y, 16000)
        cut = tmp_path / f"cut{suffix}"
        cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
        assert load_audio(whole).samples.shape[0] == 48000
        with pytest.raises(MediaError, match="cut off"):
            load_audio(cut)


def test_an_animated_picture_is_read_as_the_video_it_is(tmp_path):
    """An animated GIF was read as its first frame alone, with no word (one opening on a blank frame had 'no
    face'); its frames are now a video, each shown for its own duration."""
    from PIL import Image as PILImage

    from conditioning.media import Video, load_visual

    greys = (0, 100, 250)
    frames = [PILImage.fromarray(np.full((32, 32, 3), g, np.uint8)) for g in greys]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=[100, 100, 800], loop=0)
    v = load_visual(tmp_path / "a.gif")
    assert isinstance(v, Video) and v.duration_s == pytest.approx(1.0, abs=0.05)
    shown = v.frames.reshape(len(v.frames), -1).mean(axis=1)
    assert np.mean(shown > 200) == pytest.approx(0.8, abs=0.2)  # the last frame is on screen 80 % of the time
    frames[0].save(tmp_path / "still.gif")
    assert not isinstance(load_visual(tmp_path / "still.gif"), Video)


def test_stills_with_extra_images_placeholder_wav_sizes_and_two_frame_animations(tmp_path):
    """From a review of the animation and cut-off readers: a TIFF with a thumbnail page (as a phone's JPEG with a
    preview) is a still picture, not a broken animation; a WAV written to a pipe keeps a placeholder size
    (arecord's 0x80000000) and is read, not called cut off; a two-frame GIF keeps its frames' durations."""
    import soundfile as sf
    from PIL import Image as PILImage

    from conditioning.media import Video, load_visual

    big, small = PILImage.new("RGB", (64, 64), (200, 10, 10)), PILImage.new("RGB", (16, 12))
    big.save(tmp_path / "pages.tif", save_all=True, append_images=[small])
    still = load_visual(tmp_path / "pages.tif")
    assert not isinstance(still, Video) and still.pixels.shape == (64, 64, 3)
    sf.write(tmp_path / "w.wav", np.zeros(16000, np.float32), 16000, subtype="PCM_16")
    raw = bytearray((tmp_path / "w.wav").read_bytes())
    at = raw.index(b"data") + 4
    raw[at:at + 4] = (0x80000000).to_bytes(4, "little")
    (tmp_path / "piped.wav").write_bytes(bytes(raw))
    assert load_audio(tmp_path / "piped.wav").samples.shape[0] == 16000
    frames = [PILImage.new("RGB", (8, 8), (0, 0, 0)), PILImage.new("RGB", (8, 8), (255, 255, 255))]
    frames[0].save(tmp_path / "hold.gif", save_all=True, append_images=frames[1:], duration=[100, 900], loop=0)
    v = load_visual(tmp_path / "hold.gif")
    white = v.frames.reshape(len(v.frames), -1).mean(axis=1) > 200
    assert v.duration_s == pytest.approx(1.0, abs=0.05) and white.mean() == pytest.approx(0.9, abs=0.05)


def test_an_atomic_write_keeps_the_umask_and_never_clears_it(tmp_path, monkeypatch):
    """Every write read the umask by setting it to 0 and back: a file another thread (the web server's) created
    in between got mode 0666. The file still gets the usual permissions under the caller's umask."""
    import os
    import stat

    from conditioning.media import atomic_path

    before = os.umask(0o027)
    try:
        calls = []
        monkeypatch.setattr(os, "umask", lambda m: calls.append(m) or 0o027)
        with atomic_path(tmp_path / "out.txt") as tmp:
            tmp.write_text("x")
        assert calls == [] and stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o640
    finally:
        monkeypatch.undo()
        os.umask(before)


def test_a_flac_written_to_a_pipe_is_read_whole(tmp_path):
    """A FLAC written to a pipe (``arecord | flac -``, ``ffmpeg ... -f flac -``) has no length in its header:
    libsndfile reported 2**63 - 1 frames, numpy refused the array, and the file was called "not audio". It is
    decoded by ffmpeg, whole; the web's upload check decodes one up to its bound and no further."""
    import shutil
    import subprocess

    if not shutil.which("ffmpeg"):
        pytest.skip("the ffmpeg program is not installed")
    from conditioning.media import load_audio
    from studio.web import decoded_size_check

    def piped(name, seconds, rate):
        flac = subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=f=300:r={rate}:d={seconds}",
                               "-f", "flac", "-"], capture_output=True, check=True).stdout
        (tmp_path / name).write_bytes(flac)
        return tmp_path / name

    a = load_audio(piped("take.flac", 3, 16000))
    assert a.rate == 16000 and a.samples.shape == (48000,)
    assert abs(float(np.sqrt(np.mean(a.samples ** 2))) - 0.125 / np.sqrt(2)) < 0.01  # lavfi's sine: amplitude 1/8
    assert decoded_size_check(tmp_path / "take.flac") is None
    with pytest.raises(MediaError, match="gives no length in its header and decodes to more than the web studio"):
        decoded_size_check(piped("long.flac", 700, 8000))


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg to write an M4A")
def test_reading_from_threads_leaves_the_warning_filters_as_they_were(tmp_path):
    """Reads from several threads (a web server's users) leave the process's warning filters exactly as they were,
    and the media libraries' warnings about themselves stay quiet. Each read had swapped the filter list in and out
    (``warnings.catch_warnings``, not thread-safe): four threads reading pictures left Pillow's filter behind for
    good, and an M4A read beside them could leave "ignore every warning". A subprocess, since pytest swaps the
    filters around each test itself."""
    import subprocess

    from conftest import run_python

    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=440:d=0.5", str(tmp_path / "a.m4a")],
                   check=True)
    code = (
        "import threading, warnings\n"
        "warnings.simplefilter('default')\n"
        "import numpy as np\n"
        "from PIL import Image\n"
        "from conditioning.media import load_audio, load_image\n"
        f"png, m4a = {str(tmp_path / 'x.png')!r}, {str(tmp_path / 'a.m4a')!r}\n"
        "Image.fromarray(np.full((32, 32, 3), 90, np.uint8)).save(png)\n"
        "load_image(png); load_audio(m4a)  # the libraries' own imports add filters of theirs\n"
        "before = list(warnings.filters)\n"
        "def pictures():\n"
        "    for _ in range(1500):\n"
        "        load_image(png)\n"
        "def sounds():\n"
        "    for _ in range(20):\n"
        "        load_audio(m4a)\n"
        "threads = [threading.Thread(target=pictures) for _ in range(3)] + [threading.Thread(target=sounds)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print('same filters', warnings.filters == before)\n"
        "warnings.warn('a warning of the caller')\n")
    r = run_python(code)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "same filters True" in r.stdout
    assert "a warning of the caller" in r.stderr
    for noise in ("PySoundFile", "audioread", "exceeds limit", "pkg_resources"):
        assert noise not in r.stderr, r.stderr


def test_a_loud_take_written_lossy_decodes_under_full_scale(tmp_path, shared_data):
    """An anger take peaking at -0.26 dBFS decoded from Ogg Vorbis at +0.25 dBFS (the coder overshoots); a lossy
    file is written with 1 dB of headroom, a lossless one as it is. Here a RAVDESS actor's strong anger at the
    same peak."""
    import soundfile as sf

    from conditioning.media import LOSSY_PEAK

    angry = load_audio(shared_data / "speech" / "ravdess" / "Actor_03" / "03-01-05-02-01-01-03.flac").mono()
    y = (angry.samples * (0.97 / np.max(np.abs(angry.samples)))).astype(np.float32)
    for suffix in (".ogg", ".mp3"):
        back, _ = sf.read(str(save_audio(tmp_path / f"loud{suffix}", Audio(y, angry.rate))), dtype="float32")
        assert np.max(np.abs(back)) < 0.93, suffix  # (0.95 from Ogg before: the coder overshoots by up to 0.5 dB)
    back, _ = sf.read(str(save_audio(tmp_path / "loud.wav", Audio(y, angry.rate))), dtype="float32")
    assert np.max(np.abs(back)) == pytest.approx(0.97, abs=1e-4) and LOSSY_PEAK < 0.9
    # the true peak, not the samples' (a re-audit): a square wave turned down to a -1 dBFS sample peak decoded at
    # +1.97 dBFS from Ogg, +1.39 from MP3
    t = np.arange(32000) / 16000
    square = np.sign(np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for suffix in (".ogg", ".mp3"):
        back, _ = sf.read(str(save_audio(tmp_path / f"square{suffix}", Audio(square, 16000))), dtype="float32")
        assert np.max(np.abs(back)) <= LOSSY_PEAK, suffix
    # ... and the coder's ringing on clipped audio (an audit: a 1 kHz square at 44.1 kHz decoded from MP3 at +0.14
    # dBFS, a clipped take at +1.19): the decoded file is read and written again, turned down
    t = np.arange(88200) / 44100
    for x in (np.sign(np.sin(2 * np.pi * 1000 * t)), np.clip(3 * np.sin(2 * np.pi * 220 * t), -1, 1)):
        for suffix in (".ogg", ".mp3"):
            back, _ = sf.read(str(save_audio(tmp_path / f"c{suffix}", Audio(x.astype(np.float32), 44100))),
                              dtype="float32")
            assert 0.8 < np.max(np.abs(back)) <= LOSSY_PEAK, suffix  # (turned down no more than it needs)


def test_a_video_is_streamed_to_ffmpeg_at_its_exact_frame_rate(tmp_path):
    """29.97 fps was written as 2997/100, not NTSC's 30000/1001; the frames go to ffmpeg a few at a time (one bytes
    copy of them all doubled the peak memory: 2.09 GB against 1.21 for a 46-s talking face at 512 px)."""
    import json
    import subprocess

    from conditioning.media import Video, save_video

    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        pytest.skip("needs the ffmpeg and ffprobe programs")
    frames = np.zeros((40, 64, 64, 3), np.uint8)
    frames[:, :, :, 0] = np.arange(40)[:, None, None] * 6  # each frame its own red
    out = save_video(tmp_path / "ntsc.mp4", Video(frames, 29.97))
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(out)],
                                      capture_output=True, text=True).stdout)["streams"][0]
    assert probe["r_frame_rate"] == "30000/1001" and int(probe["nb_frames"]) == 40


def test_random_bytes_named_as_audio_give_one_line_without_the_decoders_noise(tmp_path):
    """libsndfile tries an unknown file as MPEG, and libmpg123 printed nine lines ("Illegal Audio-MPEG-Header ...
    Trying to resync") before the one-line error (an audit)."""
    import subprocess
    import sys

    for name in ("garbage.wav", "garbage.mp3", "garbage.flac"):  # (.mp3: six "resync" lines still; a re-audit)
        junk = tmp_path / name
        junk.write_bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
        out = subprocess.run([sys.executable, "-m", "studio.cli", "critique", "--modality", "speech", str(junk)],
                             capture_output=True, text=True)
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert "its contents are not audio that can be read" in out.stderr, out.stderr
