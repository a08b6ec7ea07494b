"""The web studio's handlers, called directly (as the Gradio events call them): the picker resolves what the
user clicked or typed, generations and analyses come back with the judges' readings, bad inputs give messages,
and eight users at once never see each other's work."""
from __future__ import annotations

import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

gr = pytest.importorskip("gradio")


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from studio.web import WebStudio

    from conftest import shared_data_dir

    # the tests' own files and the labelled corpora stand for uploads
    return WebStudio(tmp_path_factory.mktemp("web"), uploads=[tmp_path_factory.getbasetemp(), shared_data_dir()])


def test_a_server_path_that_was_not_uploaded_is_refused_without_touching_it(tmp_path):
    """Gradio hands an API client's file argument through as a path: a server path named that way was read (a
    private photo came back in a face video, a .yaml's keys in a spec error, and a missing file's error said it
    was missing). Only Gradio's upload folder and the app's own folder are read, and the refusal is the same
    whether the file exists or not."""
    from conditioning.media import MediaError
    from studio.web import WebStudio, upload_folder

    web = WebStudio(tmp_path / "app")
    secret = tmp_path / "private" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("I am furious about the audit.", encoding="utf-8")
    for path in (secret, tmp_path / "private" / "missing.png", tmp_path / "app" / ".." / "private" / "secret.txt"):
        for call in (lambda: web.analyse(str(path), "text"), lambda: web.keep_portrait(str(path)),
                     lambda: web.start_dataset(str(path)), lambda: web.analyse(str(path), "speech", str(secret))):
            with pytest.raises(MediaError, match=f"^{re.escape(path.name)}: not a file uploaded to this page"):
                call()
    assert not any((tmp_path / "app").iterdir())  # nothing copied into the served folder
    inbox = upload_folder() / "test-uploads"  # a real upload, and a file of the app's own, are read
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "note.txt").write_text("What a wonderful, happy day!", encoding="utf-8")
    assert web.analyse(str(inbox / "note.txt"), "text").json["readings"][0]["valence"] > 0.3
    (tmp_path / "app" / "own.txt").write_text("What a wonderful, happy day!", encoding="utf-8")
    assert web.analyse(str(tmp_path / "app" / "own.txt"), "text").json["readings"][0]["valence"] > 0.3
    shutil.rmtree(inbox)


def test_a_click_on_the_circumplex_sets_valence_and_arousal():
    from studio.web import CIRCLE_PX, circumplex, from_pixel, to_pixel

    assert from_pixel(*to_pixel(0.5, -0.25)) == pytest.approx((0.5, -0.25), abs=1e-3)
    v, a = from_pixel(CIRCLE_PX - 1, 0)  # outside the disc: clipped onto it
    assert v > 0 and a > 0 and np.hypot(v, a) == pytest.approx(1.0, abs=1e-3)
    img = circumplex()
    assert img.shape == (CIRCLE_PX, CIRCLE_PX, 3)


def test_the_picker_resolves_typed_words_mixes_and_clicked_points(web):
    emo, text = web.resolve("joy:0.6+surprise:0.4", 0, 0, 1.0)
    assert emo.mix == pytest.approx({"joy": 0.6, "surprise": 0.4}) and "joy" in text
    emo, _ = web.resolve("", -0.6, 0.7, 1.0)
    assert emo.valence == pytest.approx(-0.6) and emo.arousal == pytest.approx(0.7)
    mixed, _ = web.resolve("", 0.9, 0.9, 1.0, {"joy": 0.3, "sadness": 0.3, "anger": 0.0})  # the sliders win over the point
    assert mixed.mix == pytest.approx({"joy": 0.5, "sadness": 0.5})
    half, _ = web.resolve("anger", 0, 0, 0.5)
    assert half.intensity == pytest.approx(0.5)
    from conditioning.errors import EmotionSpecError

    with pytest.raises(EmotionSpecError, match="closest known"):
        web.resolve("angr", 0, 0, 1.0)


def test_the_picked_emotion_goes_to_a_session_box_as_the_same_emotion(web):
    """'from = the picked emotion' wrote 'v=-0.24,a=0.20' for anger@0.3, which reads as confusion at intensity 0.35
    (an audit): the box now gets a spec that reads back as the picked emotion, its label and intensity kept."""
    from conditioning import Emotion
    from conditioning.metrics import target_label

    for picked in (("anger@0.3", 0, 0, 1.0), ("anger@0.3", 0, 0, 0.5), ("quietly hopeful", 0, 0, 0.6),
                   ("", 0, 0, 0.8, {"joy": 0.6, "surprise": 0.4}), ("", 0.3, -0.2, 1.0), ("v=0.3,a=0.2", 0, 0, 0.5)):
        emo, _ = web.resolve(*picked)
        text = web.spec_of(*picked)
        back = Emotion.parse(text)
        assert max(abs(a - b) for a, b in zip(back.vad, emo.vad)) < 1e-3, (picked, text)
        assert target_label(back) == target_label(emo) and back.intensity == pytest.approx(emo.intensity, abs=2e-3)
    assert web.spec_of("anger@0.3", 0, 0, 0.5) == "anger@0.15"


def test_an_image_comes_back_with_the_judges_readings_on_the_circumplex(web):
    from conditioning import Emotion

    take = web.generate("image", Emotion.parse("calm"), prompt="a lake", seed=2, options={"size": 256})
    assert Path(take.file).is_file() and Path(take.file).parent == web.out
    assert "image/embedded" in take.report and "fidelity" in take.report and "licence" in take.report
    assert take.plot.shape[2] == 3 and take.json["target"]["mix"] == {"calm": 1.0}


def test_the_image_report_marks_each_judge_as_the_filter_votes(web):
    """The image judges read only valence and arousal, so their top label is whichever term lies nearest: a
    picture read at fidelity 0.90 as 'rage' for 'anger' was marked ✗ and the take 'not recognised', while one
    read as 'nostalgia' for 'calm' counted towards 'yes'. Each judge now votes by fidelity, as the dataset filter
    counts it, and the marks say so."""
    import re

    from conditioning import Emotion

    for term in ("anger", "calm"):
        take = web.generate("image", Emotion.parse(term), seed=0, options={"size": 256})
        marks = re.findall(r"fidelity (\d\.\d\d) ([✓✗]) \(by fidelity ([≥<]) 0\.85\)", take.report)
        assert len(marks) == 2, take.report
        for fid, mark, rel in marks:
            assert (mark == "✓") == (rel == "≥") == (float(fid) >= 0.85), take.report
        every = all(mark == "✓" for _, mark, _ in marks)
        assert ("recognised: yes" in take.report) == every and "reads a point near" in take.report
        assert take.json["recognised"] is every  # the JSON report counts the same votes as the page
        assert all(j["agrees"] is None for j in take.json["judges"]), take.json["judges"]
        assert "first take (no loop round)" in take.report


def test_the_image_loop_goes_on_while_a_judge_votes_no(web):
    """The loop stopped once the judges' mean fidelity reached 0.85 even with one image judge at 0.76, so the
    report showed a ✗ after a loop that had rounds left. Now every round before the last has a judge voting no."""
    from conditioning import Emotion

    threshold = web.studio.threshold
    for term in ("relief", "calm", "anger"):  # relief: round 0 at mean 0.85 with the embedded judge at 0.78
        take = web.generate("image", Emotion.parse(term), loop=2, options={"size": 256})
        rounds = take.json["rounds"]
        for r in rounds[:-1]:
            assert r["fidelity"] < threshold or any(j["fidelity"] < threshold for j in r["judges"]), rounds
        if len(rounds) < 3:  # stopped early: every judge said yes
            assert all(j["fidelity"] >= threshold for j in rounds[-1]["judges"]), rounds


def test_a_music_take_offers_its_score(web):
    pytest.importorskip("pretty_midi")
    from conditioning import Emotion

    take = web.generate("music", Emotion.parse("joy"), duration_s=6.0)
    assert take.score and Path(take.score).read_bytes()[:4] == b"MThd" and Path(take.score).parent == web.out


def test_a_session_is_reported_in_words_as_the_command_says_it(web):
    """The Therapy session tab listed the summary's keys ('- direction_valence: 0.79', '- readable_arousal: ...');
    it now says what the command prints: the clips' fidelity, how far the music moved against the plan and
    against what the judges can read, each judge's agreement."""
    pytest.importorskip("pretty_midi")
    audio, plot, report, clips, files = web.session("sadness", "calm", 1.0, 15)
    assert Path(audio).is_file() and Path(plot).is_file() and clips is None
    # as the command writes them, downloaded under the session's name (every session's had been plan.json ...)
    assert [Path(f).name.split("-")[-1] for f in files] == ["plan.json", "session.mid"]
    assert all(Path(f).name.startswith("session-sadness-to-calm-2") for f in (audio, plot, *files))
    plan = Path(files[0]).read_text()
    assert json.loads(plan)["settings"]["loop"] == 0
    assert len(json.loads(plan)["clips"]) == 4 and str(web.out) not in plan  # names no server folder
    lines = report.splitlines()
    assert lines[0].startswith("- measured 4 clips: mean fidelity ") and "as far as the judges can read" in lines[0]
    assert any(line.startswith("- quadrant agreement per judge: music/embedded") for line in lines)
    assert "direction_" not in report and "readable_" not in report
    import zipfile

    _, _, _, clips, files = web.session("sadness", "calm", 1.0, 15, clip_files=True)  # for a player of clips
    assert web.out in Path(clips).parents  # under the one folder the app serves
    z = zipfile.ZipFile(clips)
    names = z.namelist()  # in order, as a player of clips lists them
    assert names[:3] == ["clip_000.mid", "clip_000.wav", "clip_000.wav.json"] and len(names) == 12
    assert names == sorted(names)
    for name in names:  # the clips' reports named the server's folders
        if name.endswith(".json"):
            assert str(web.out) not in z.read(name).decode() and json.loads(z.read(name))["file"] == name[:-5]
    assert str(web.out) not in Path(files[0]).read_text()
    # the page's closed-loop rounds reach the session, as `session --loop` (the tab had left them out)
    _, _, report, _, files = web.session("sadness", "calm", 0.5, 15, loop=1)
    assert json.loads(Path(files[0]).read_text())["settings"]["loop"] == 1 and "- loop: rounds' mean fidelity" in report


def test_a_cleared_number_box_is_a_message_not_a_type_error(web):
    """Gradio sends None for a cleared number box: int(None) was a TypeError, shown as a bare 'Error' with a
    traceback in the server's log."""
    from conditioning import Emotion
    from studio.errors import UserError

    with pytest.raises(UserError, match="seed box is empty"):
        web.session("sadness", "calm", 1.0, 15, seed=None)
    with pytest.raises(UserError, match="minutes box is empty"):
        web.session("sadness", "calm", None, 15)
    with pytest.raises(UserError, match="seed must be a whole number"):
        web.generate("text", Emotion.parse("joy"), text="a fine day", seed=1.5)
    # the command line's seeds and no others, read exactly (1e30 was recorded as 1000000000000000019884624838656)
    for seed in (10**30, 1e30, -1, 2**63):
        with pytest.raises(UserError, match="seed must be a whole number from 0 to 9223372036854775807"):
            web.generate("text", Emotion.parse("joy"), text="a fine day", seed=seed)
    from studio.web import seed_of

    assert seed_of(2**63 - 1) == 2**63 - 1 and seed_of("9007199254740993") == 9007199254740993 and seed_of(7.0) == 7
    with pytest.raises(UserError, match="not a number"):  # a superscript two, no traceback
        seed_of("\u00b2")
    with pytest.raises(UserError, match="the seed must be a whole number, got 1.5"):  # (the box had rounded it to 2)
        seed_of(1.5)


def test_speech_comes_back_with_both_judges(web):
    pytest.importorskip("piper")
    from conditioning import Emotion

    take = web.generate("speech", Emotion.parse("sadness"), text="I waited all day.", seed=1)
    assert take.file.endswith(".wav") and "speech/embedded" in take.report and "speech/encoder" in take.report


def test_every_voice_on_the_speech_tab_speaks(web):
    """The tab offered 'slt' without its backend, so every slt take failed with advice for the command line
    ("add --backend festival")."""
    pytest.importorskip("piper")
    import shutil

    from conditioning import Emotion
    from studio.web import VOICE_BACKENDS

    for voice, backend in VOICE_BACKENDS.items():
        if backend == "festival" and shutil.which("festival") is None:
            continue
        take = web.generate("speech", Emotion.parse("joy"), text="Hello there.", options={"voice": voice})
        assert take.json["backend"] == f"speech/{backend}", take.json


def test_an_empty_face_text_and_server_paths_in_messages(web):
    from conditioning import Emotion
    from studio.errors import UserError
    from studio.web import public_message

    with pytest.raises(UserError, match="type the words"):
        web.generate("face", Emotion.parse("joy"), text="   ")
    with pytest.raises(UserError, match="^type the words to speak$"):  # not the CLI's and Python's advice
        web.generate("speech", Emotion.parse("joy"), text="")
    message = public_message(f"{web.out}/up/9f3e/my take.wav: the file is empty", [web.out])
    assert message == "my take.wav: the file is empty"
    assert public_message("but got '<stream end>'; while parsing", []) == "but got '&lt;stream end&gt;'; while parsing"


def test_a_face_made_without_a_portrait_says_it_used_the_astronaut(web, tmp_path, shared_data):
    """The portrait box silently refuses a file of another type (a raw camera file, .dng), leaving it empty, and the face
    came back on the default astronaut with nothing saying why. The report now names the default and the types
    the box takes; a portrait that was given is not called the astronaut."""
    from conditioning import Emotion
    from conditioning.media import Image, save_image
    from generators.face.mesh import default_portrait

    words = "Well, hello there, how are you today?"  # (over a second of speech: "Hi." is noted as too short)
    take = web.generate("face", Emotion.parse("joy"), text=words, options={})
    assert Path(take.file).stat().st_size > 0
    assert "default astronaut" in take.report and ".png" in take.report and ".jpg" in take.report
    # the voice's own judges are shown too (a sad face whose voice both hear as joy read "recognised: yes")
    assert "**its voice** (`speech/" in take.report and take.report.count("- speech/") == 2
    assert "every face judge" in take.report or "recognised: no" in take.report
    mine = save_image(tmp_path / "me.png", Image(np.ascontiguousarray(default_portrait()[:, ::-1])))
    take = web.generate("face", Emotion.parse("joy"), text=words, options={"portrait": str(mine)})
    assert "default astronaut" not in take.report and "the user's" in take.report
    # no note on the portrait; the command line's note on the file (the judges read the frames before H.264) is shown
    assert "_Note: the portrait" not in take.report and "before their H.264 coding" in take.report
    assert Path(take.file).name.startswith("face-joy-2")  # a download named by what it is (not by the time alone)
    laugh = str(shared_data / "images" / "oasis" / "images" / "Happy_face_2.jpg")  # the animator's notes are shown
    take = web.generate("face", Emotion.parse("joy"), text=words, options={"portrait": laugh})
    assert "_Note: the portrait's mouth is open" in take.report


def test_analyse_reads_an_upload_with_every_judge_and_refuses_bad_ones(web, tmp_path):
    from conditioning.media import Image, MediaError, save_image
    from critics.base import CriticError
    from generators.face.mesh import default_portrait

    img = save_image(tmp_path / "face.png", Image(default_portrait()))
    take = web.analyse(str(img), "face")
    assert "face/classifier" in take.report and "face/geometric" in take.report
    bad = tmp_path / "notes.exe"
    bad.write_bytes(b"MZ")
    with pytest.raises(MediaError, match="takes .png"):
        web.analyse(str(bad), "face")
    with pytest.raises(MediaError, match="no file"):
        web.analyse(None, "speech")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(MediaError, match="contents are not a picture"):
        web.analyse(str(broken), "image")
    # every format the readers' errors list is one the upload takes (a BMP used to be refused at the door)
    from PIL import Image as PILImage

    bmp = tmp_path / "face.bmp"
    PILImage.fromarray(default_portrait()).save(bmp)
    assert "face/classifier" in web.analyse(str(bmp), "face").report
    # a text the text critic finds no word in reads neutral, and the report says that this is no reading
    german, english = tmp_path / "de.txt", tmp_path / "en.txt"
    german.write_text("Guten Morgen, Anna.", encoding="utf-8")
    english.write_text("I am so sad and alone today.", encoding="utf-8")
    assert "English affect lexicons" in web.analyse(str(german), "text").report
    assert "English affect lexicons" not in web.analyse(str(english), "text").report
    german.write_text("Ich habe ein Gift für dich gekauft, mein Schatz.", encoding="utf-8")  # "Gift": poison
    with pytest.raises(CriticError, match="reads as German.*reads English only"):
        web.analyse(str(german), "text")
    # a black-and-white picture: noted, as critique notes it (the tab had said nothing: an audit)
    grey = save_image(tmp_path / "grey.png", Image(np.repeat(default_portrait().mean(axis=2, keepdims=True), 3, axis=2)
                                                   .astype(np.uint8)))
    assert "no colour (black and white)" in web.analyse(str(grey), "image").report
    assert "no colour" not in web.analyse(str(img), "image").report
    notepad = tmp_path / "notepad.txt"  # Notepad's "Unicode": UTF-16 with its mark (read as Chinese before)
    notepad.write_bytes("I am so happy and grateful for everything today.".encode("utf-16"))
    assert "text/lexicon: a point near **hope** (v +1.00" in web.analyse(str(notepad), "text").report


def test_analyse_says_when_a_video_was_read_thinned(web, tmp_path, monkeypatch):
    """A small upload can decode to gigabytes (a 470 kB 20 s 1080p clip took 7.4 GB to read whole); past the budget
    it is read evenly thinned, and the page says so."""
    import conditioning.media as media
    from generators.face.mesh import default_portrait

    face = default_portrait()[::2, ::2]
    path = media.save_video(tmp_path / "face.mp4", media.Video(np.stack([face] * 16), 25.0))
    assert "every" not in web.analyse(str(path), "face").report
    monkeypatch.setattr(media, "READ_VIDEO_BYTES", 4 * face.nbytes)
    take = web.analyse(str(path), "face")
    assert "every 4th frame was read (6.25 frames per second)" in take.report
    assert len(take.json["readings"][0]["series"]) == 4


def test_analyse_says_when_a_recording_is_clipped(web, shared_data, shout):
    from conftest import ANGRY_TAKE

    assert "clipped" not in web.analyse(str(shared_data / ANGRY_TAKE), "speech").report
    take = web.analyse(str(shout), "speech")
    assert "the recording is clipped (" in take.report and "record at a lower gain" in take.report
    assert all(r["details"]["clipped"] >= 0.05 for r in take.json["readings"])


def test_analyse_says_when_speech_is_narrow_band_or_very_short(web, shared_data, tmp_path):
    """As `critique` notes them: a telephone's 8 kHz and a fragment under a second were read without a word."""
    import librosa
    import numpy as np
    from conftest import ANGRY_TAKE

    from conditioning.media import Audio, load_audio, save_audio

    take = load_audio(shared_data / ANGRY_TAKE)
    phone = save_audio(tmp_path / "phone.wav", Audio(librosa.resample(take.samples, orig_sr=take.rate, target_sr=8000),
                                                     8000))
    loud = int(np.argmax(np.abs(take.samples)))
    piece = save_audio(tmp_path / "piece.wav", Audio(take.samples[max(0, loud - 4000): loud + 4000], take.rate))
    report = web.analyse(str(phone), "speech").report
    assert "recorded at 8 kHz; speech recorded below 16 kHz" in report and "little to read" not in report
    assert "(upload it beside the take)" in report and "--reference" not in report  # the page's words (an audit)
    report = web.analyse(str(shared_data / ANGRY_TAKE), "music").report  # speech given as music: said with the box
    assert "speech goes with the modality box set to speech" in report and "--modality" not in report
    report = web.analyse(str(piece), "speech").report
    assert "under 1 s of speech gives the judges little to read" in report and "below 16 kHz" not in report
    report = web.analyse(str(shared_data / ANGRY_TAKE), "speech").report
    assert "below 16 kHz" not in report and "little to read" not in report
    from scipy.signal import butter, sosfiltfilt

    band = sosfiltfilt(butter(6, [300, 3400], "bandpass", fs=8000, output="sos"),
                       librosa.resample(take.samples, orig_sr=take.rate, target_sr=8000)).astype(np.float32)
    wide = save_audio(tmp_path / "phone16.wav", Audio(librosa.resample(band, orig_sr=8000, target_sr=16000), 16000))
    assert "nothing above about 4 kHz; speech recorded below 16 kHz or through a telephone" in \
        web.analyse(str(wide), "speech").report


def test_analyse_warns_of_a_neutral_take_recorded_in_another_room_or_band(web, shared_data, tmp_path):
    """As `critique --reference` warns: the readings are changes from the neutral take, which must be recorded as
    the take was."""
    import librosa
    import numpy as np
    from scipy.signal import butter, sosfiltfilt

    from conditioning.media import Audio, load_audio, save_audio
    from critics.training.recording import reverberate

    folder = shared_data / "speech" / "ravdess" / "Actor_02"
    neutral, angry = folder / "03-01-01-01-01-01-02.flac", folder / "03-01-05-02-01-01-02.flac"
    a = load_audio(neutral)
    room = save_audio(tmp_path / "room.wav", Audio(reverberate(a.samples, 0.7, 0.0, np.random.default_rng(3))
                                                   .astype(np.float32), a.rate))
    band = sosfiltfilt(butter(6, [300, 3400], "bandpass", fs=8000, output="sos"),
                       librosa.resample(a.samples, orig_sr=a.rate, target_sr=8000)).astype(np.float32)
    phone = save_audio(tmp_path / "phone.wav", Audio(librosa.resample(band, orig_sr=8000, target_sr=16000), 16000))
    assert "Warning" not in web.analyse(str(angry), "speech", reference=str(neutral)).report
    report = web.analyse(str(angry), "speech", reference=str(room)).report
    assert "_Warning: The take sounds less reverberant or noisy than the reference" in report
    report = web.analyse(str(angry), "speech", reference=str(phone)).report
    assert "recorded through different bands" in report and "reverberant" not in report


def test_a_tight_face_crop_is_read_by_the_judge_that_reads_crops(web, tmp_path):
    """A crop has no room for the face mesh: the classifier reads it whole, the geometric judge is left out with
    the reason; without the tick the message says what to do without naming a command-line flag."""
    from PIL import Image as PILImage

    from conditioning.media import MediaError
    from critics.base import CriticError
    from generators.face.mesh import default_portrait

    h, w, _ = default_portrait().shape
    crop = tmp_path / "crop.png"
    PILImage.fromarray(default_portrait()[int(h * .30):int(h * .75), int(w * .28):int(w * .72)]).resize((48, 48)).save(crop)
    take = web.analyse(str(crop), "face", aligned=True)
    assert [r["critic"] for r in take.json["readings"]] == ["face/classifier"]
    assert "face/geometric: left out; it needs a whole photo" in take.report
    assert "_Note:" not in take.report
    whole = tmp_path / "whole.png"  # the whole photo ticked as a crop: read, and the page says it is a photo
    PILImage.fromarray(default_portrait()).save(whole)
    assert "_Note: read as an already-cropped face" in web.analyse(str(whole), "face", aligned=True).report
    with pytest.raises(MediaError, match="for the face modality"):
        web.analyse(str(crop), "image", aligned=True)
    noise = tmp_path / "noise.png"
    PILImage.fromarray((np.random.default_rng(0).random((200, 200, 3)) * 255).astype("uint8")).save(noise)
    with pytest.raises(CriticError, match="no face found") as err:
        web.analyse(str(noise), "face")
    assert "--" not in str(err.value)


def test_a_recording_is_judged_by_the_music_judge_that_hears_audio(web, tmp_path):
    """music/symbolic reads notes: for a WAV it is left out with the reason, not an error for the whole upload."""
    import soundfile as sf

    t = np.arange(22050 * 6) / 22050
    notes = 220 * 2 ** (np.array([0, 4, 7, 12])[(t * 4).astype(int) % 4] / 12)
    wav = tmp_path / "arpeggio.wav"
    sf.write(wav, 0.3 * np.sin(2 * np.pi * np.cumsum(notes) / 22050) * (0.6 + 0.4 * np.cos(8 * np.pi * t)), 22050)
    take = web.analyse(str(wav), "music")
    assert [r["critic"] for r in take.json["readings"]] == ["music/embedded"]
    assert "music/symbolic: left out; it reads the notes of a MIDI file" in take.report


def test_a_midi_upload_reaches_both_music_judges(web, tmp_path):
    """The symbolic judge reads the notes and the audio judge renders them (it used to get a render, which the
    symbolic judge refuses, so a MIDI upload failed)."""
    pretty_midi = pytest.importorskip("pretty_midi")
    pm = pretty_midi.PrettyMIDI(initial_tempo=140)
    inst = pretty_midi.Instrument(program=0)
    for k in range(24):  # C major arpeggios, loud and short
        inst.notes.append(pretty_midi.Note(110, (60, 64, 67, 72)[k % 4], k * 0.25, k * 0.25 + 0.12))
    pm.instruments.append(inst)
    path = tmp_path / "bright.mid"
    pm.write(str(path))
    take = web.analyse(str(path), "music")
    assert [r["critic"] for r in take.json["readings"]] == ["music/embedded", "music/symbolic"]
    assert "rendered_with" in take.json["readings"][0]["details"]
    # every suffix the command line reads as MIDI (the web took .mid and .midi alone: "music takes ... files")
    smf = path.read_bytes()
    (tmp_path / "bright.kar").write_bytes(smf)
    (tmp_path / "bright.rmi").write_bytes(b"RIFF" + (len(smf) + 12).to_bytes(4, "little") + b"RMIDdata"
                                          + len(smf).to_bytes(4, "little") + smf)
    for other in ("bright.kar", "bright.rmi"):
        again = web.analyse(str(tmp_path / other), "music")
        assert [r["native"] for r in again.json["readings"]] == [r["native"] for r in take.json["readings"]], other


def test_analysing_speech_against_a_neutral_take_of_the_voice(web, shared_data, tmp_path):
    """With a neutral take of the same actor the judges measure the change from it (strong anger then reads more
    aroused than the same actor's strong sadness, by both judges); without one the report says why it matters;
    a reference for another modality is refused."""
    pytest.importorskip("parselmouth", reason="speech/embedded needs praat-parselmouth (the 'speech' extra)")
    from conditioning.media import MediaError

    actor = shared_data / "speech" / "ravdess" / "Actor_03"
    neutral = str(actor / "03-01-01-01-01-01-03.flac")
    angry = web.analyse(str(actor / "03-01-05-02-01-01-03.flac"), "speech", neutral)
    sad = web.analyse(str(actor / "03-01-04-02-01-01-03.flac"), "speech", neutral)
    assert "change from the neutral take" in angry.report and "Note" not in angry.report
    assert angry.json["reference"] == "03-01-01-01-01-01-03.flac"
    for a, s in zip(angry.json["readings"], sad.json["readings"]):
        assert a["arousal"] > s["arousal"] + 0.3, (a["critic"], a["arousal"], s["arousal"])
    alone = web.analyse(str(actor / "03-01-05-02-01-01-03.flac"), "speech")
    assert "no speaker reference" in alone.report and "upload a neutral take" in alone.report
    assert [r["valence"] for r in alone.json["readings"]] != [r["valence"] for r in angry.json["readings"]]
    with pytest.raises(MediaError, match="a reference is for speech and face takes"):
        web.analyse(neutral.replace(".flac", ".png"), "image", neutral)
    # a bad reference is named as the reference, not as the take (a silent one read as "cannot judge this audio")
    silent = tmp_path / "silent.wav"
    import soundfile
    soundfile.write(str(silent), np.zeros(32000, np.float32), 16000)
    with pytest.raises(MediaError, match=r"^the neutral take \(silent\.wav\): .*silent"):
        web.analyse(str(actor / "03-01-05-02-01-01-03.flac"), "speech", str(silent))
    # an angry take uploaded as the neutral one: every reading moves away from anger, and it is said (an audit)
    assert "Warning" not in sad.report
    against_anger = web.analyse(str(actor / "03-01-04-02-01-01-03.flac"), "speech",
                                str(shared_data / "speech" / "ravdess" / "Actor_01" / "03-01-05-02-02-02-01.flac"))
    assert "_Warning: the neutral take reads as " in against_anger.report and "anger 0." in against_anger.report
    # an actress's neutral take for a male actor's calm take: another, higher voice, said as `critique` says it
    against_actress = web.analyse(str(actor / "03-01-02-01-01-01-03.flac"), "speech",
                                  str(shared_data / "speech" / "ravdess" / "Actor_04" / "03-01-01-01-01-01-04.flac"))
    assert "_Warning: the take is pitched 10 semitones below the neutral take" in against_actress.report
    assert "higher voice" not in sad.report and "higher voice" not in angry.report


def test_a_take_offers_its_report_and_analyse_reads_the_take_with_it_as_the_loop_did(web, tmp_path):
    """Every generation tab offers the take's JSON report (provenance, licence, each judge's reading), as the CLI
    writes it; uploaded with the take on the Analyse tab, a speech take's report brings back its neutral take, so
    each judge reads the take as the loop read it. A report that does not describe the upload is refused."""
    pytest.importorskip("piper")
    import json
    import shutil

    from conditioning import Emotion
    from conditioning.media import MediaError

    take = web.generate("speech", Emotion.parse("anger"), text="Nobody told me the house was sold.", seed=2)
    text = Path(take.report_file).read_text()
    report = json.loads(text)
    assert report["file"] == Path(take.file).name and str(web.out.resolve()) not in text  # no server folders
    assert report["neutral_reference"]["backend"] == "speech/piper"
    assert "licence" in report["provenance"] and len(report["judges"]) == 2
    loop = {j["critic"]: j["reading"] for j in report["judges"]}
    upload = shutil.copy(take.file, tmp_path / "my take.wav")  # an upload keeps the bytes, not the name
    seen = web.analyse(str(upload), "speech", take.report_file)
    assert "made again from its report" in seen.report and "Note" not in seen.report
    for r in seen.json["readings"]:
        assert r["native"] == pytest.approx(loop[r["critic"]]["native"], abs=0.01), r["critic"]
    music = web.generate("music", Emotion.parse("calm"), duration_s=5)
    assert json.loads(Path(music.report_file).read_text())["midi"] == Path(music.score).name  # no recipe: not speech
    with pytest.raises(MediaError, match="is not the file"):
        web.analyse(music.file, "speech", take.report_file)
    # an uploaded report's recipe may not name the server's files: whether they opened told which exist
    from studio.critique import NotAStudioReport

    for options, what in (({"voice": "/etc/secret.onnx"}, "voice"), ({"portrait": "/etc/shadow"}, "portrait")):
        forged = dict(report, neutral_reference={**report["neutral_reference"], "options": options})
        (tmp_path / "forged.json").write_text(json.dumps(forged))
        with pytest.raises(NotAStudioReport, match=f"names files on the server for its neutral take .{what}"):
            web.analyse(str(upload), "speech", str(tmp_path / "forged.json"))
    with pytest.raises(ValueError, match="is the studio.s report of a music take, not of a speech take"):
        web.analyse(take.file, "speech", music.report_file)
    # a talking face's report too: face/geometric reads it against the portrait at rest, as the loop did (it
    # read the face alone on this tab, and heard a take the loop heard as neutral as anger)
    face = web.generate("face", Emotion.parse("anger"), text="Nobody told me.", seed=1)
    loop = {j["critic"]: j["reading"] for j in json.loads(Path(face.report_file).read_text())["judges"]}
    seen = web.analyse(face.file, "face", face.report_file)
    assert "portrait at rest" in seen.report
    top = lambda native: max(native, key=native.get)  # noqa: E731
    for r in seen.json["readings"]:  # the loop read the frames before H.264 coding: up to its small changes
        was = loop[r["critic"]]
        assert top(r["native"]) == top(was["native"]), r["critic"]
        assert (r["valence"], r["arousal"]) == pytest.approx((was["valence"], was["arousal"]), abs=0.05), r["critic"]
    alone = {r["critic"]: r for r in web.analyse(face.file, "face").json["readings"]}
    assert alone["face/geometric"]["native"] != seen.json["readings"][[r["critic"] for r in seen.json["readings"]].index(
        "face/geometric")]["native"]
    with pytest.raises(MediaError, match="for a face take, give the report .* not .wav"):
        web.analyse(face.file, "face", take.file)



def test_a_face_take_on_an_uploaded_portrait_is_analysed_with_its_report_and_a_prompt_is_kept_as_typed(
        web, tmp_path, shared_data):
    """The report named the uploaded portrait by its file name alone (the server's folders are left out), so the
    Analyse tab refused the page's own face take ("names files on the server"); the portrait is now kept in the
    app's folder, where the report's name finds it. And leaving the server's folders out of a report cut a
    user's prompt "... film /tmp/roll 12/frame 3" to "... film roll 12/frame 3"."""
    import json
    import shutil

    from conditioning import Emotion

    upload = shutil.copy(shared_data / "images" / "oasis" / "images" / "Neutral_face_5.jpg", tmp_path / "me.jpg")
    face = web.face(str(upload), Emotion.parse("anger"), text="Nobody told me.", seed=1)
    from studio.web import captions  # the player's captions: the spoken words over the whole clip

    vtt = Path(captions(face, "Nobody   told me.")).read_text()
    assert vtt.startswith("WEBVTT") and "00:00:00.000 --> 00:00:0" in vtt and "Nobody told me." in vtt
    odd = Path(captions(face, "x --> y <b>")).read_text()  # a cue arrow or a tag in the words is text
    assert odd.count("-->") == 1 and "&lt;b&gt;" in odd
    from dataclasses import replace

    for seconds, stamp in ((59.9996, "00:01:00.000"), (119.9999, "00:02:00.000"), (3599.9996, "01:00:00.000"),
                           (61.25, "00:01:01.250")):  # rounded before it is split: "00:00:60.000" is no time
        assert f"--> {stamp}\n" in Path(captions(replace(face, seconds=seconds), "Nobody told me.")).read_text()
    report = json.loads(Path(face.report_file).read_text())
    name = report["neutral_reference"]["options"]["portrait"]
    assert name.startswith("portrait-") and name.endswith(".jpg") and "/" not in name
    seen = web.analyse(face.file, "face", face.report_file)
    assert "portrait at rest" in seen.report
    loop = {j["critic"]: j["reading"] for j in report["judges"]}
    for r in seen.json["readings"]:
        was = loop[r["critic"]]
        assert (r["valence"], r["arousal"]) == pytest.approx((was["valence"], was["arousal"]), abs=0.05), r["critic"]
    assert web.keep_portrait(str(upload)).name == name  # one copy per picture, however often it is used
    prompt = "a quiet harbour, shot on film /tmp/roll 12/frame 3"
    image = web.generate("image", Emotion.parse("calm"), prompt=prompt, options={"size": 256, "style": "field"})
    assert json.loads(Path(image.report_file).read_text())["prompt"] == prompt


def test_a_portrait_no_take_was_made_from_is_not_kept_and_its_error_names_the_upload(tmp_path):
    """Every rejected portrait (no face, not a picture) stayed in the served folder for good, and the error named
    the kept copy ("no face found in the portrait (portrait-96d2acac79767f64.png)"), not the user's file."""
    from PIL import Image as PILImage

    from conditioning import Emotion
    from generators.base import GenerationError
    from studio.web import WebStudio

    web = WebStudio(tmp_path / "app", uploads=[tmp_path])
    noise = tmp_path / "holiday noise.png"
    PILImage.fromarray((np.random.default_rng(0).random((300, 300, 3)) * 255).astype("uint8")).save(noise)
    with pytest.raises(GenerationError, match="holiday noise.png") as err:
        web.face(str(noise), Emotion.parse("joy"), text="Hello there.")
    assert "portrait-" not in str(err.value)
    assert not list((tmp_path / "app").glob("portrait-*"))


def test_a_label_at_intensity_zero_is_shown_as_the_neutral_target_it_is(web):
    """The slider at 0 asks for the neutral point: the take is neutral and the judges that hear neutral agree,
    but the page said "target anger ... recognised: yes", as if anger had been heard."""
    emotion, _ = web.resolve("anger", 0.0, 0.0, 0.0)
    take = web.generate("image", emotion, options={"size": 256, "style": "field"})
    assert take.report.startswith("**target** neutral (anger at intensity 0) (v +0.00, a +0.00)")

def test_eight_concurrent_users_never_see_each_others_work(web):
    from conditioning import Emotion

    asks = [("joy", 0), ("sadness", 1), ("anger", 2), ("calm", 3), ("fear", 4), ("awe", 5), ("boredom", 6), ("pride", 7)]

    def user(ask):
        label, seed = ask
        take = web.generate("image", Emotion.parse(label), seed=seed, options={"size": 256, "style": "field"})
        return label, seed, take

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(user, asks))
    files = {t.file for _, _, t in results}
    assert len(files) == 8
    for label, seed, take in results:
        assert take.json["target"]["mix"] == {label: 1.0} and take.json["provenance"]["seed"] == seed


def test_a_dataset_job_runs_in_the_background_and_offers_a_download(web, tmp_path):
    import time

    spec = tmp_path / "spec.yaml"
    spec.write_text("name: web\nmodalities: {image: {count: 2, size: 256}}\nemotions: {list: [joy, sadness]}\n"
                    "filter: {recognised_by: none}\n")
    job = web.start_dataset(str(spec))
    for _ in range(120):
        status, archive = web.dataset_status(job)
        if archive:
            break
        time.sleep(0.5)
    assert status.startswith("done: 2 items") and Path(archive).suffix == ".zip" and "warning" not in status
    strict = tmp_path / "strict.yaml"  # what the command says on stderr, the page says too
    strict.write_text("name: web\nmodalities: {image: {count: 2, size: 256}}\nemotions: {list: [joy, sadness]}\n"
                      "filter: {recognised_by: none, min_fidelity: 1.0, max_attempts: 1}\nbalance: {extra_budget: 0}\n")
    status = status_when_done(web, web.start_dataset(str(strict)), wait_s=120)
    assert "error: image: no item kept" in status and "warning: image: kept 0 of the 2 asked for" in status
    from studio.errors import UserError

    bad = tmp_path / "bad.yaml"
    bad.write_text("modalities: {sound: {count: 1}}\nemotions: {list: [joy]}\n")
    with pytest.raises(UserError, match="modalities.sound"):
        web.start_dataset(str(bad))
    assert not web.running_job(job) and not web.running_job(None) and not web.running_job("nope")


def test_a_spec_uploaded_to_the_web_may_not_read_the_servers_files(web, tmp_path):
    """A spec's `texts: {file: PATH}` read any text file the server could read, and its lines came back in the
    job's manifest (and were spoken): whoever reached the page could read the server's files. On the web a spec
    names no files: texts inline, no portraits, voices by name; the command line still reads them."""
    from studio.dataset import load_spec
    from studio.errors import UserError

    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-TOKEN is the password\n")
    portrait = tmp_path / "me.png"
    from PIL import Image
    Image.new("RGB", (64, 64)).save(portrait)
    before = set(web.out.glob("*dataset-*"))
    for name, modality in {"texts": f"speech: {{count: 1, texts: {{file: {secret}}}}}",
                           "prompts": f"image: {{count: 1, prompts: {{file: {secret}}}}}",
                           "portraits": f"face: {{count: 1, texts: [Hello there.], portraits: [{portrait}]}}",
                           "voices": "speech: {count: 1, texts: [Hello there.], voices: [/srv/voices/x.onnx]}"}.items():
        spec = tmp_path / f"{name}.yaml"
        spec.write_text(f"modalities: {{{modality}}}\nemotions: {{list: [anger]}}\nfilter: {{recognised_by: none}}\n")
        with pytest.raises(UserError, match=rf"'modalities\.\w+\.{name}': .*names a file on the server.*"
                                            r"emostudio dataset SPEC"):
            web.start_dataset(str(spec))
    assert set(web.out.glob("*dataset-*")) == before  # no job was started
    assert load_spec(tmp_path / "texts.yaml").modalities[0].texts == ("SECRET-TOKEN is the password",)  # the CLI's


def test_one_dataset_job_at_a_time_per_server_and_a_bad_job_id_is_no_job(web, tmp_path, monkeypatch):
    """Each browser could run one job, so three clients ran three 4-worker jobs at once on 2 cores; a job id that
    was no string (a tampered browser value) crashed the status endpoint ('unhashable type: dict')."""
    import threading

    import studio.dataset as dataset
    from studio.errors import UserError

    spec = tmp_path / "spec.yaml"
    spec.write_text("name: web\nmodalities: {image: {count: 2, size: 256}}\nemotions: {list: [joy, sadness]}\n"
                    "filter: {recognised_by: none}\n")
    release, seen = threading.Event(), {}

    def build(spec, folder, workers=1, **kw):  # holds the job open until released
        seen["workers"] = workers
        release.wait(10)
        folder.mkdir(parents=True)
        return {"items": 2, "kept": 2, "rejected": 0}
    monkeypatch.setattr(dataset, "build", build)
    first = web.start_dataset(str(spec), workers=64)
    try:
        with pytest.raises(UserError, match="this server is building 1 dataset"):
            web.start_dataset(str(spec))
    finally:
        release.set()
    assert status_when_done(web, first).startswith("done: 2 items") and seen["workers"] <= (os.cpu_count() or 1)
    status_when_done(web, web.start_dataset(str(spec)))  # the next one starts once the first has finished
    for bad in ({"id": 1}, ["x"], 7):
        assert web.dataset_status(bad) == ("no dataset job yet", None) and not web.running_job(bad)


def test_an_uploaded_spec_may_not_ask_for_more_than_the_server_builds_nor_expand_by_aliases(web, tmp_path):
    """A spec of 508 bytes made of nested YAML aliases expanded to 351 million characters (851 MB of memory, 674 MB
    written); one asking for a million items held the only job slot for about a week."""
    from studio.errors import UserError

    big = tmp_path / "big.yaml"
    big.write_text("name: big\nmodalities: {image: {count: 1000000, size: 256}}\nemotions: {list: [joy]}\n")
    with pytest.raises(UserError, match="asks for 1,000,000 items; this server builds at most 2,000"):
        web.start_dataset(str(big))
    retried = tmp_path / "retried.yaml"  # 2,000 items with 11x balancing and 50 attempts: 1.1 million takes
    retried.write_text("name: r\nmodalities: {image: {count: 2000, size: 256}}\nemotions: {list: [joy]}\n"
                       "filter: {max_attempts: 50}\nbalance: {extra_budget: 10}\n")
    with pytest.raises(UserError, match="may take up to 1,100,000 generations"):
        web.start_dataset(str(retried))
    nest = "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9))
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("x0: &a0 [lol]\n" + nest + "name: b\ndescription: *a8\nmodalities: {image: {count: 2}}\n"
                    "emotions: {list: [joy]}\n")
    with pytest.raises(UserError, match="an alias"):
        web.start_dataset(str(bomb))
    assert not web.running_job("x")



def test_an_uploaded_spec_is_bounded_in_hours_of_media_and_a_running_job_can_be_stopped(web, tmp_path):
    """2,000 music items of 600 s passed both bounds (items, takes), held the only job slot for about 8 hours and
    would have written 52 GB, and nothing but stopping the server stopped it."""
    from studio.errors import UserError

    long = tmp_path / "long.yaml"
    long.write_text("name: l\nmodalities: {music: {count: 20, duration_s: 600}}\nemotions: {list: [joy]}\n"
                    "filter: {recognised_by: none}\n")
    with pytest.raises(UserError, match="items of at most 60 s from the web"):
        web.start_dataset(str(long))
    many = tmp_path / "many.yaml"  # 2,000 items of 60 s, with three attempts and balancing's extra candidates
    many.write_text("name: m\nmodalities: {music: {count: 2000, duration_s: 60}}\nemotions: {list: [joy]}\n")
    with pytest.raises(UserError, match=r"up to 200\.0 hours of audio and video .* at most 20 hours"):
        web.start_dataset(str(many))
    pictures = tmp_path / "pictures.yaml"
    pictures.write_text("name: p\nmodalities: {image: {count: 40, size: 256}}\nemotions: {list: [joy, sadness]}\n"
                        "filter: {recognised_by: none}\n")
    job = web.start_dataset(str(pictures))
    import time

    for _ in range(300):  # the first items made
        journal = web._jobs[job]["folder"] / "manifest.jsonl"
        if journal.exists() and journal.read_text().count("\n") >= 2:
            break
        time.sleep(0.1)
    assert web.stop_dataset(job) == "stopping after the item being made"
    polled = web.dataset_status(job)[0]  # the timer's next poll says so too, not "(running)" (an audit)
    assert "(running)" not in polled and ("(stopping after the item being made)" in polled or "stopped" in polled)
    text = status_when_done(web, job, wait_s=30)
    assert text.startswith("stopped after ") and "of the 40 planned items, as asked; nothing was kept" in text
    assert not (web._jobs[job]["folder"]).exists() and web.dataset_status(job)[1] is None
    assert web.stop_dataset(job) == "no dataset job of this browser is running"

def status_when_done(web, job: str, wait_s: float = 10.0) -> str:
    """The job's status text once it has stopped (a stubbed build stops at once)."""
    import time

    for _ in range(int(wait_s / 0.1)):
        if not web.running_job(job):
            break
        time.sleep(0.1)
    return web.dataset_status(job)[0]


def test_a_failed_dataset_job_says_why_without_the_servers_folders(web, tmp_path, monkeypatch):
    """A job that fails on the disk named the server's folder ("OSError: ... '/tmp/.../dataset-x/image'"), and a
    user error came with its class name ("UserError: ...")."""
    import studio.dataset as dataset
    from studio.errors import UserError

    spec = tmp_path / "spec.yaml"
    spec.write_text("name: web\nmodalities: {image: {count: 2, size: 256}}\nemotions: {list: [joy, sadness]}\n"
                    "filter: {recognised_by: none}\n")

    def status_of(error):
        def build(spec, folder, **kw):
            raise error(folder)
        monkeypatch.setattr(dataset, "build", build)
        return status_when_done(web, web.start_dataset(str(spec)))

    full = status_of(lambda folder: OSError(28, "No space left on device", str(folder / "image" / "a.png")))
    assert full.startswith("failed: OSError: [Errno 28] No space left on device") and str(web.out) not in full
    mine = status_of(lambda folder: UserError("the spec's texts file is gone"))
    assert mine == "failed: the spec's texts file is gone"


def test_a_dataset_job_says_when_its_voices_would_speak_a_text_with_english_sounds(web, tmp_path, monkeypatch):
    import studio.dataset as dataset

    spec = tmp_path / "spec.yaml"
    spec.write_text("name: web\nmodalities: {speech: {count: 1, texts: ['Ich bin heute so traurig und ganz allein.']}}\n"
                    "emotions: {list: [sadness]}\nfilter: {recognised_by: none}\n", encoding="utf-8")

    def build(spec, folder, **kw):  # the job itself is not what this checks
        folder.mkdir(parents=True)
        return {"items": 1, "kept": 1, "rejected": 0}
    monkeypatch.setattr(dataset, "build", build)
    status = status_when_done(web, web.start_dataset(str(spec)))
    assert status.startswith("done: 1 items") and "text 1 ('Ich bin heute so traurig" in status
    assert "does not look like English" in status


def test_the_app_builds_and_binds_to_localhost_by_default():
    import inspect

    from studio.web import build_app, serve

    app = build_app()
    assert isinstance(app, gr.Blocks)
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"


def test_serve_on_a_port_in_use_is_one_line_and_leaves_no_folder(capsys, tmp_path, monkeypatch):
    """Gradio's own error named launch()'s parameters and the CLI said 'cannot write'; an empty temporary
    output folder was left behind by every run."""
    import socket
    import tempfile

    from studio.cli import main

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the app's temporary output folder goes here
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["serve", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot serve on 127.0.0.1:{port}: the port is in use" in err
    assert "launch()" not in err and "Traceback" not in err
    assert list(tmp_path.glob("emostudio_web_*")) == []  # (Gradio's own cache folder may stay)
    # an address that does not exist: one line, without uvicorn's own "ERROR: [Errno -2]" above it
    code = main(["serve", "--host", "no-such-host.invalid"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("emostudio serve: error: cannot serve on no-such-host.invalid: no such address")
    assert err.count("\n") == 1 and list(tmp_path.glob("emostudio_web_*")) == []


def test_an_upload_that_decodes_to_more_than_the_server_reads_is_refused_from_its_header(web, tmp_path):
    """The 50 MB limit counts compressed bytes: 117 kB of FLAC (8 channels of silence) took 2.3 GB of the server's
    memory, 78 kB of PNG (40 megapixels, 16-bit) 2.2 GB, and a 41-byte MIDI file with one 30-minute note 53 s of
    CPU and 1.5 GB; 3.6 MB of FLAC at 384 kHz 8 GB, and a MIDI file of a million notes 3 minutes. Each is refused
    before it is decoded."""
    import pretty_midi
    import soundfile as sf
    from PIL import Image as PILImage

    from conditioning.media import MediaError
    from studio.web import decoded_size_check

    sf.write(tmp_path / "wide.flac", np.zeros((8000, 8), np.float32), 8000)
    sf.write(tmp_path / "long.flac", np.zeros(601 * 8000, np.float32), 8000)
    PILImage.new("I;16", (12000, 9000)).save(tmp_path / "huge.png")  # 108 MP of 16-bit grey: 648 MB decoded
    PILImage.new("RGB", (12000, 9000)).save(tmp_path / "phone.jpg")  # a 108 MP phone photo: read
    assert decoded_size_check(tmp_path / "phone.jpg") is None
    pm = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(0)
    piano.notes.append(pretty_midi.Note(80, 60, 0.0, 1800.0))
    pm.instruments.append(piano)
    pm.write(str(tmp_path / "note.mid"))
    sf.write(tmp_path / "hirate.flac", np.zeros((384_000 * 100, 2), np.float32), 384_000)  # 100 s at 384 kHz
    sf.write(tmp_path / "hires.flac", np.zeros((96_000 * 290, 2), np.float32), 96_000)  # under 10 min of 48k stereo
    assert decoded_size_check(tmp_path / "hires.flac") is None
    pm = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(0)
    piano.notes += [pretty_midi.Note(80, 60 + i % 12, i / 200, i / 200 + 0.1) for i in range(50_001)]  # 250 s
    pm.instruments.append(piano)
    pm.write(str(tmp_path / "dense.mid"))
    import shutil
    import subprocess

    extra = []
    if shutil.which("ffmpeg") and shutil.which("ffprobe"):  # containers soundfile cannot open: read by ffprobe
        def make(name, *args):
            subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(tmp_path / name)], check=True)
        make("hirate.mkv", "-f", "lavfi", "-i", "anullsrc=r=384000:cl=stereo", "-t", "100", "-c:a", "flac")
        make("wide.m4a", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=7.1", "-t", "2", "-c:a", "aac")
        make("talk.mp4", "-f", "lavfi", "-i", "color=c=gray:s=64x64:r=5:d=1", "-f", "lavfi", "-i",
             "anullsrc=r=48000:cl=mono", "-t", "1", "-c:v", "libx264", "-c:a", "aac")
        assert decoded_size_check(tmp_path / "talk.mp4") is None
        make("film.mp4", "-f", "lavfi", "-i", "color=c=gray:s=64x64:r=5:d=1", "-f", "lavfi", "-i",
             "anullsrc=r=48000:cl=5.1", "-t", "1", "-c:v", "libx264", "-c:a", "aac")
        for modality in ("face", "image"):  # the judges of frames: a film's 5.1 sound track had refused it to them
            assert web.check_upload(str(tmp_path / "film.mp4"), modality) == tmp_path / "film.mp4"
        extra = [("hirate.mkv", "speech", "77 million samples .384 kHz"), ("wide.m4a", "music", "has 8 channels"),
                 ("film.mp4", "speech", "has 6 channels")]
    (tmp_path / "events.mid").write_bytes(b"MThd" + bytes(1100 * 1024))  # refused by its size, before it is parsed
    extra.append(("events.mid", "music", "MIDI files of at most 1,024 KB"))
    for name, modality, why in (*extra, ("wide.flac", "speech", "8 channels"), ("long.flac", "music", "lasts 10.0 minutes"),
                                ("huge.png", "image", "decodes to 648 MB"), ("note.mid", "music", "lasts 30.0 minutes"),
                                ("hirate.flac", "speech", "77 million samples .384 kHz"),
                                ("dense.mid", "music", "holds 50,001 notes")):
        with pytest.raises(MediaError, match=why):
            web.analyse(str(tmp_path / name), modality)


def test_ctrl_c_stops_the_server_with_the_studios_one_line(tmp_path):
    """Gradio's ``launch`` caught Ctrl-C itself, printed "Keyboard interruption in main thread... closing server."
    and returned, so `emostudio serve` never said "stopped" as the README promises. Run as a user runs it: the
    command in its own process, Ctrl-C (SIGINT) once the page answers."""
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "studio.cli", "serve", "--port", str(port), "--out",
                             str(tmp_path / "out")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1][-2000:]
                time.sleep(0.5)
        else:
            raise AssertionError("the server did not answer in 2 minutes")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert err.strip().splitlines()[-1] == "emostudio serve: stopped", err[-2000:]
    assert "Keyboard interruption" not in out + err and "Traceback" not in err


def test_a_sessions_emotion_error_names_its_box_and_an_emptied_slider_its_own(web):
    """The Therapy tab's two boxes are both emotions, and its message named neither ("unknown emotion word
    'angr'"); an emptied slider's number box reaches the handlers as None, which is named, not a bare "Error"."""
    from conditioning.errors import EmotionSpecError
    from studio.errors import UserError
    from studio.web import public_message

    with pytest.raises(EmotionSpecError, match="^the from box: unknown emotion word 'angr'"):
        web.session("angr", "calm", 3, 20)
    with pytest.raises(EmotionSpecError, match="^the to box: empty emotion spec"):
        web.session("anxiety", "  ", 3, 20)
    assert "'emostudio emotion --list'" in public_message("see `emostudio emotion --list`", ())
    with pytest.raises(UserError, match="the intensity box is empty"):
        web.resolve("joy", 0.0, 0.0, None)
    report = web.session("anxiety", "calm", 1, 20)[2]  # a jump: said without the command line's --max-step
    assert "jumps to the goal" in report and "--max-step" not in report


def test_a_take_stopped_from_its_tab_writes_nothing(tmp_path):
    """The Speech, Face, Music and Image tabs had no Stop: a take of five loop rounds ran to its end whatever the
    user did (an audit). Their Stop sets the handler's ``stop``: the loop's next round raises `Stopped` through the
    bar (`build_app`'s ``followed``), and a take finished after the stop is not written either."""
    import threading

    from studio.studio import Studio
    from studio.web import Stopped, WebStudio, rounds_told

    web = WebStudio(tmp_path / "app")
    web.studio = Studio(threshold=2.0)  # a loop that never stops early, whatever the composer's first take reads
    stop, rounds = threading.Event(), []

    def bar(fraction, desc=""):
        rounds.append(desc)
        if len(rounds) == 2:  # Stop pressed while the first round ran: the second one is not started
            stop.set()
        if stop.is_set():
            raise Stopped

    with pytest.raises(Stopped):
        # (the test had asked for an emotion whose 4-s take the loop happened not to accept in its first round; a
        # composer change made calm's accepted, and Stop then came after the take)
        web.generate("music", "calm", loop=3, duration_s=4.0, progress=rounds_told(bar, "composing"), stop=stop)
    assert len(rounds) == 2 and "take 2 of at most 4" in rounds[1]
    done = threading.Event()
    done.set()  # pressed as the one round ended
    with pytest.raises(Stopped):
        web.generate("music", "joy", duration_s=4.0, stop=done)
    assert not [p for p in (tmp_path / "app").rglob("*") if p.is_file()]
    assert web.generate("music", "joy", duration_s=4.0).file.endswith(".wav")  # and the next take is made
