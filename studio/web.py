"""``emostudio serve``: the web studio, one Gradio app for creators.

Layout: one emotion picker shared by every tab (a clickable valence-arousal circumplex with the vocabulary around
it, a mix/word box such as ``joy:0.6+surprise:0.4`` or ``quietly hopeful``, an intensity slider, and a live
readout of the resolved emotion), then tabs: Speech, Face, Music, Image, Therapy session, Dataset, Analyse.

Design rules (DESIGN.md section 5 and issue 17):
- every handler is one call into the `Studio` facade (or the session/dataset builders beside it) through
  `WebStudio`; no model or signal code lives here;
- per-user state only in ``gr.State`` (the user's picked point and results) and, for the dataset job that
  outlives a page, ``gr.BrowserState``; the `WebStudio` object is shared and holds no per-request state but the
  Stops pressed on a page (keyed by the page's random token), so concurrent users cannot see each other's work;
- user errors (a bad emotion, an unreadable upload, a portrait without a face) become `gr.Error` messages, never
  tracebacks; uploads are limited in size and type; outputs go under one folder, the only one the app serves;
- the app binds to 127.0.0.1 unless told otherwise; a queue limits concurrent generations.
"""
from __future__ import annotations

import html
import inspect
import json
import math
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from conditioning.media import AUDIO_SUFFIXES, READ_IMAGE_SUFFIXES, VIDEO_SUFFIXES, atomic_path
from critics.music import MIDI_SUFFIXES
from generators.registry import VOICE_BACKENDS  # the Speech tab's voices (each picks its own backend)

CIRCLE_PX = 420  #: the circumplex image's side
MARGIN = 30  #: pixels between the image edge and valence/arousal +-1
MAX_UPLOAD_MB = 50
#: What one upload may decode to, checked from its header before it is decoded: the 50 MB limit counts compressed
#: bytes, and a 117 kB FLAC of 8-channel silence took 2.3 GB of the server's memory, a 78 kB 16-bit PNG of
#: 40 megapixels 2.2 GB, and a 41-byte MIDI file holding one 30-minute note 53 s of CPU and 1.5 GB to render.
MAX_UPLOAD_SECONDS = 600  #: of sound or video (ten minutes)
MAX_UPLOAD_CHANNELS = 2  #: more are read only from the command line
#: samples of sound (all channels), ten minutes of 48 kHz stereo: a 3.6 MB FLAC of 590 s of near-silence at 384 kHz
#: passed the bounds on seconds and channels and took the server to 8 GB (it is read whole at its own rate)
MAX_UPLOAD_SAMPLES = MAX_UPLOAD_SECONDS * 48_000 * MAX_UPLOAD_CHANNELS
#: notes in a MIDI file: a 6 MB file of a million notes held an Analyse slot for 3 minutes and 1.8 GB (a dense
#: ten-minute piano piece has under 10,000)
MAX_UPLOAD_NOTES = 50_000
#: a MIDI file's size, checked before it is parsed (10 notes among 3 million controller events, 9 MB, took 23 s to
#: count and 146 s and 1.8 GB to render): EMOPIA's clips are under 9 KB, a dense ten-minute piece some 300 KB
MAX_UPLOAD_MIDI_KB = 1024
#: a picture's decoded bytes (an animation's frames together): a 108 MP phone photo (324 MB) is read, the 16-bit
#: 40 MP PNG of 78 kB (240 MB, which its conversion made 2.2 GB before it was done in bands) too, larger is not
MAX_UPLOAD_PICTURE_MB = 400
VISUAL_SUFFIXES = (*READ_IMAGE_SUFFIXES, *VIDEO_SUFFIXES)  #: what `load_visual` reads (and its errors list)
#: speech and music also take a video's sound track (a talking face's voice: its report reads it as the loop did)
UPLOAD_TYPES = {"speech": (*AUDIO_SUFFIXES, *VIDEO_SUFFIXES),
                "music": (*AUDIO_SUFFIXES, *MIDI_SUFFIXES, *VIDEO_SUFFIXES),
                "face": VISUAL_SUFFIXES,
                "image": VISUAL_SUFFIXES, "text": (".txt",), "portrait": READ_IMAGE_SUFFIXES}  # portrait: the Face tab's still
#: the judges' dots, each 3:1 or more against the picture's background (WCAG's contrast for graphics; the first
#: orange was 2.9:1)
JUDGE_COLOURS = ((200, 95, 0), (40, 150, 90), (150, 60, 170), (200, 40, 40))
#: the generation tabs' download of a take's JSON report
REPORT_LABEL = "report (JSON): target, each judge's reading, provenance and licence"
MIX_LABELS = ("joy", "sadness", "anger", "fear", "surprise", "disgust", "calm", "tenderness")  #: the mix sliders


# ---------------------------------------------------------------------------------------------- circumplex
def to_pixel(valence: float, arousal: float) -> tuple[float, float]:
    span = CIRCLE_PX - 2 * MARGIN
    return MARGIN + (valence + 1) / 2 * span, MARGIN + (1 - arousal) / 2 * span


def from_pixel(x: float, y: float) -> tuple[float, float]:
    """A click on the circumplex (image pixels) -> (valence, arousal), clipped to the unit disc."""
    span = CIRCLE_PX - 2 * MARGIN
    v, a = (x - MARGIN) / span * 2 - 1, 1 - (y - MARGIN) / span * 2
    r = float(np.hypot(v, a))
    if r > 1:
        v, a = v / r, a / r
    return round(float(v), 3), round(float(a), 3)


def circumplex(target=None, readings: list | tuple = ()) -> np.ndarray:
    """The valence-arousal plane with the vocabulary's labels, the target (a black ring) and each judge's
    reading (coloured dots joined to the target), as an RGB array."""
    from PIL import Image, ImageDraw

    from conditioning import VOCABULARY

    img = Image.new("RGB", (CIRCLE_PX, CIRCLE_PX), (252, 252, 250))
    d = ImageDraw.Draw(img)
    c0, c1 = to_pixel(-1, 1), to_pixel(1, -1)
    d.ellipse([c0, c1], outline=(130, 130, 130), width=2)  # 3.7:1 on the background (170 was 2.3:1)
    mid = to_pixel(0, 0)
    d.line([to_pixel(-1, 0), to_pixel(1, 0)], fill=(200, 200, 200))
    d.line([to_pixel(0, -1), to_pixel(0, 1)], fill=(200, 200, 200))
    axes = (((CIRCLE_PX - MARGIN - 44, mid[1] + 3), "pleasant"), ((MARGIN, mid[1] + 3), "unpleasant"),
            ((mid[0] + 4, MARGIN - 14), "high arousal"), ((mid[0] + 4, CIRCLE_PX - MARGIN + 2), "low arousal"))
    for xy, text in axes:
        d.text(xy, text, fill=(100, 100, 100))  # 5.8:1 (120 was 4.3:1, under WCAG's 4.5 for text)
    terms = [(term.label, *to_pixel(*term.mean[:2])) for term in VOCABULARY.values()]
    # what a label must not cover: the axis names, every term's dot and, when drawn, the target's ring and the
    # judges' dots
    placed = [d.textbbox(xy, text) for xy, text in axes] + [(x - 3, y - 3, x + 3, y + 3) for _, x, y in terms]
    marks = [] if target is None else [(target.valence, target.arousal, 10)] + [(r.valence, r.arousal, 7) for r in readings]
    placed += [(x - rad, y - rad, x + rad, y + rad) for x, y, rad in ((*to_pixel(v, a), rad) for v, a, rad in marks)]
    for label, x, y in terms:
        d.ellipse([x - 2, y - 2, x + 2, y + 2], fill=(115, 115, 165))  # 4.3:1 (2.8:1 before)
        # the label right of its dot, else left, above or below, wherever it neither leaves the picture nor
        # covers anything placed already (side by side, 'triumph' hid 'amusement', which ran off the edge)
        w = d.textlength(label)
        for ox, oy in ((4, -6), (-4 - w, -6), (-w / 2, -15), (-w / 2, 3), (4, -14), (4, 2), (-4 - w, -14), (-4 - w, 2)):
            box = d.textbbox((x + ox, y + oy), label)
            inside = box[0] >= 0 and box[2] <= CIRCLE_PX and box[1] >= 0 and box[3] <= CIRCLE_PX
            if inside and not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                d.text((x + ox, y + oy), label, fill=(110, 110, 150))
                placed.append(box)
                break  # a label with no free place is left out: its dot still marks the term
    if target is not None:
        tx, ty = to_pixel(target.valence, target.arousal)
        for i, r in enumerate(readings):
            col = JUDGE_COLOURS[i % len(JUDGE_COLOURS)]
            x, y = to_pixel(r.valence, r.arousal)
            d.line([tx, ty, x, y], fill=col, width=2)
            d.ellipse([x - 6, y - 6, x + 6, y + 6], fill=col)
            top = CIRCLE_PX - 16 - 14 * (len(readings) - 1 - i)  # the legend, bottom left, in the report's order
            d.ellipse([6, top, 16, top + 10], fill=col)
            d.text((20, top - 1), r.critic, fill=(60, 60, 60))
        d.ellipse([tx - 9, ty - 9, tx + 9, ty + 9], outline=(0, 0, 0), width=3)
    return np.asarray(img)


# ------------------------------------------------------------------------------------------------ handlers
def _probed(p: Path) -> tuple[float | None, int | None, int | None]:
    """(seconds, channels, sample rate) of a file's longest sound track and the file, as ffprobe reads its header
    (None where it says nothing, or where ffprobe is missing). What soundfile cannot open (M4A, a video's sound
    track) passed the bounds on channels and samples: a 700 KB MKV held 590 s of 384 kHz stereo (4.8 GB read)."""
    import subprocess

    exe = shutil.which("ffprobe")
    if exe is None:
        return None, None, None
    out = subprocess.run([exe, "-v", "error", "-show_entries", "stream=codec_type,sample_rate,channels,duration:"
                          "format=duration", "-of", "json", str(p)], capture_output=True, text=True, timeout=30)
    doc = json.loads(out.stdout or "{}")
    number = lambda x: float(x) if x not in (None, "N/A") else None  # noqa: E731
    whole = number((doc.get("format") or {}).get("duration"))
    sound = [st for st in doc.get("streams", []) if st.get("codec_type") == "audio"]
    if not sound:
        return whole, None, None
    rate = max(int(number(st.get("sample_rate")) or 0) for st in sound) or None
    channels = max(int(st.get("channels") or 0) for st in sound) or None
    longest = max([number(st.get("duration")) or 0.0 for st in sound] + [whole or 0.0]) or None
    return longest, channels, rate


def decoded_size_check(p: Path, sound: bool = True) -> None:
    """Refuse an upload whose header says it decodes to more than the server reads (`MAX_UPLOAD_SECONDS`,
    `MAX_UPLOAD_CHANNELS`, `MAX_UPLOAD_SAMPLES`, `MAX_UPLOAD_NOTES`, `MAX_UPLOAD_PICTURE_MB`), before it is decoded; a
    header that cannot be read is left to the readers, which say what is wrong with the file. ``sound``: whether
    a video's sound track is read (speech, music); the face and image judges read its frames only, and a film's
    5.1 track had refused it to them."""
    from conditioning.media import MediaError

    suffix, limit = p.suffix.lower(), f"the web studio reads at most {MAX_UPLOAD_SECONDS // 60} minutes"
    if suffix in MIDI_SUFFIXES and p.stat().st_size > MAX_UPLOAD_MIDI_KB * 1024:  # before parsing: 9 MB of
        raise MediaError(f"{p.name} is a MIDI file of {p.stat().st_size / 2**20:.1f} MB; the web studio reads "  # events
                         f"MIDI files of at most {MAX_UPLOAD_MIDI_KB:,} KB (use `emostudio critique`)")  # took 23 s
    seconds = channels = picture_mb = rate = notes = None
    try:
        if suffix in MIDI_SUFFIXES:
            from conditioning.render import read_smf

            midi = read_smf(p.read_bytes())  # as the judges read it (a RIFF-wrapped file unwrapped)
            seconds, notes = midi.get_end_time(), sum(len(i.notes) for i in midi.instruments)
        elif suffix in READ_IMAGE_SUFFIXES:
            from PIL import Image as PILImage

            from conditioning.media import ANIMATED

            with PILImage.open(p) as im:  # read as three channels, of 16-bit, 32-bit or float64 samples in those modes
                sample = {"I;16": 2, "I;16B": 2, "I;16L": 2, "I": 4, "F": 8}.get(im.mode, 1)
                frames = getattr(im, "n_frames", 1) if im.format in ANIMATED else 1  # (a JPEG's preview: no frame)
                picture_mb = im.size[0] * im.size[1] * 3 * sample * frames / 1e6
        elif suffix in AUDIO_SUFFIXES:
            import soundfile as sf

            from conditioning.media import UNSIZED_FRAMES, decode_unsized

            info = None
            try:
                info = sf.info(str(p))
                seconds, channels, rate = info.frames / max(info.samplerate, 1), info.channels, info.samplerate
            except sf.LibsndfileError:  # M4A and the like: FFmpeg's reading of the header
                seconds, channels, rate = _probed(p)
            if info and info.frames == UNSIZED_FRAMES and channels <= MAX_UPLOAD_CHANNELS:  # no length in the
                cap = min(MAX_UPLOAD_SECONDS, MAX_UPLOAD_SAMPLES / (rate * channels))  # header: decoded up to
                seconds = decode_unsized(p, channels, cap + 1).shape[0] / rate  # the bound, and no further
                if seconds > cap:
                    raise MediaError(f"{p.name} gives no length in its header and decodes to more than the web "
                                     "studio reads (ten minutes of 48 kHz stereo); save it with its length, cut "
                                     "it, or use `emostudio critique`")
        elif suffix in VIDEO_SUFFIXES:  # its frames, and its sound track, which speech and music read
            import cv2

            cap = cv2.VideoCapture(str(p))
            frames, fps = cap.get(cv2.CAP_PROP_FRAME_COUNT), cap.get(cv2.CAP_PROP_FPS)
            cap.release()
            if sound:
                seconds, channels, rate = _probed(p)
            if fps > 0 and frames > 0:
                seconds = max(seconds or 0.0, frames / fps)
    except MediaError:
        raise
    except Exception:  # noqa: BLE001 - no readable header: the reader says what the file is
        return
    if seconds is not None and seconds > MAX_UPLOAD_SECONDS:
        raise MediaError(f"{p.name} lasts {seconds / 60:.1f} minutes; {limit} (cut it, or use `emostudio critique`)")
    if channels is not None and channels > MAX_UPLOAD_CHANNELS:
        raise MediaError(f"{p.name} has {channels} channels; the web studio reads mono or stereo (mix it down, or use "
                         "`emostudio critique`)")
    if rate and seconds and channels and seconds * rate * channels > MAX_UPLOAD_SAMPLES:  # (a high rate)
        raise MediaError(f"{p.name} decodes to {seconds * rate * channels / 1e6:,.0f} million samples ({rate / 1000:g} "
                         f"kHz, {channels} channel(s)); the web studio reads at most ten minutes of 48 kHz stereo "
                         "(resample it to 48 kHz, or use `emostudio critique`)")
    if notes is not None and notes > MAX_UPLOAD_NOTES:
        raise MediaError(f"{p.name} holds {notes:,} notes; the web studio reads MIDI files of at most "
                         f"{MAX_UPLOAD_NOTES:,} (use `emostudio critique`)")
    if picture_mb is not None and picture_mb > MAX_UPLOAD_PICTURE_MB:
        raise MediaError(f"{p.name} decodes to {picture_mb:,.0f} MB; the web studio reads pictures of at most "
                         f"{MAX_UPLOAD_PICTURE_MB} MB decoded, e.g. a 108-megapixel photo (scale it down, or use "
                         "`emostudio critique`)")


def upload_folder() -> Path:
    """Where Gradio keeps this server's uploads ($GRADIO_TEMP_DIR, else the system's temporary folder's gradio/)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder())


def slug(text: str) -> str:
    """``text`` as part of a file's name: lower-case letters, digits and single dashes, at most 40 characters
    ('joy+sadness' -> 'joy-sadness')."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40].strip("-")


def number(value, what: str, whole: bool = False) -> float:
    """A number box's value, or a user error naming the box: Gradio sends None for a cleared box, where ``int()``
    and ``float()`` raised a TypeError that the page showed as a bare "Error"."""
    from studio.errors import UserError

    try:
        x = float(value)
    except (TypeError, ValueError):
        raise UserError(f"the {what} box is empty or not a number; type a {'whole ' if whole else ''}number") from None
    if not math.isfinite(x) or (whole and x != int(x)):
        raise UserError(f"the {what} must be a {'whole' if whole else 'finite'} number, got {value!r}")
    return int(x) if whole else x


#: `critique`'s notes name its options; the Analyse tab's user has boxes instead
PAGE_WORDS = (("goes with --modality music", "goes with the modality box set to music"),
              ("goes with --modality speech", "goes with the modality box set to speech"),
              ("(--reference)", "(upload it beside the take)"))


def page_words(text: str) -> str:
    """A note of `critique`'s as the Analyse tab says it: its options as the tab's boxes (the page had told a web
    user "speech goes with --modality speech": an audit)."""
    for cli, page in PAGE_WORDS:
        text = text.replace(cli, page)
    return text


def seed_of(value) -> int:
    """The seed box's value as the command line would take it: a whole number from 0 to
    `generators.base.MAX_SEED`, read exactly
    (1e30 was taken through a float, and the report recorded 1000000000000000019884624838656, a seed no command
    line could make the take again with)."""
    from generators.base import MAX_SEED
    from studio.errors import UserError

    if isinstance(value, int):  # (Gradio's whole-number box sends an int, of any size)
        whole = value
    elif isinstance(value, str) and value.strip().isdecimal():  # a typed number, read exactly ("²" is a digit
        # to isdigit, and int() refused it: a re-audit)
        whole = int(value)
    else:
        whole = number(value, "seed", True)
    if not 0 <= whole <= MAX_SEED:
        raise UserError(f"the seed must be a whole number from 0 to {MAX_SEED}, got {value!r}")
    return whole


@dataclass
class Take:
    """What a generation shows: the file, the picture of target vs readings, and a readout."""

    file: str
    plot: np.ndarray
    report: str
    json: dict
    score: str | None = None  #: the take's MIDI beside it, for the composer's takes
    report_file: str | None = None  #: its JSON report beside it (`studio.generate.write_report`), as the CLI writes
    seconds: float | None = None  #: how long the take's audio or video lasts (a picture: None)


class WebStudio:
    """The app's one shared object: a `Studio` and the output folder. Holds no per-user state."""

    def __init__(self, out: str | Path | None = None, uploads: Sequence[str | Path] | None = None):
        from studio.studio import Studio

        self.out = Path(out or tempfile.mkdtemp(prefix="emostudio_web_")).resolve()
        self.out.mkdir(parents=True, exist_ok=True)
        self.studio = Studio()
        #: the folders a file given to the page may come from: None = Gradio's upload folder and this app's folder.
        #: Gradio passes an API client's file argument through as a path, so a path on the server, named through
        #: the API, was read (a private photo came back in a face video, and a missing file's error told whether
        #: it existed)
        self.uploads = None if uploads is None else tuple(Path(u).resolve() for u in uploads)
        self._jobs: dict[str, dict] = {}  # dataset jobs by id (their state lives in the job's folder)
        self._lock = threading.Lock()
        #: per tab, the work stopped from the page whose thread has not reached its next step yet (a render or a
        #: loop round under way ends first): the tab's next request waits for it (`build_app`'s ``followed``), so
        #: the session tab's one at a time holds and presses of Generate and Stop do not pile up threads
        self.stopping: dict[str, list[threading.Thread]] = {tab: [] for tab in STOPPABLE}
        #: (page, tab) pairs whose Stop was pressed since the tab's last Generate (`ask_stop`): the running handler
        #: sees it within half a second, ends its work and says so
        self.stop_asked: set[tuple[str, str]] = set()
        #: dataset jobs running at once on this server, whoever started them: the browser's own limit let three
        #: clients start three 4-worker jobs (12 processes on 2 cores)
        self.max_dataset_jobs = 1
        #: items one uploaded spec may ask for (each modality's count allows a million: one upload held the only
        #: job slot for about a week, with no way to stop it); larger datasets are built with `emostudio dataset`
        self.max_dataset_items = 2000
        #: takes one uploaded spec may make at most, retries and balancing included (items x (1 + balance's
        #: extra budget) x the filter's attempts): 2,000 items could still ask for over a million takes
        self.max_dataset_takes = 12000
        #: seconds of audio and video one uploaded spec may make at most (`studio.dataset.Spec.most_seconds`: 2,000
        #: music items of 600 s passed the bound on takes, for 8 hours and 52 GB), and the longest item, as the Music
        #: tab's slider allows
        self.max_dataset_seconds = 20 * 3600.0
        self.max_dataset_item_seconds = 60.0

    # ---- the emotion picker --------------------------------------------------------------------------
    @staticmethod
    def resolve(spec: str, valence: float, arousal: float, intensity: float, mix: dict | None = None):
        """The emotion the picker means: the text box (a mix, a word or phrase, or coordinates) when filled,
        else the mix sliders when any is up, else the clicked point; intensity scales it. Returns (Emotion,
        readout markdown)."""
        from conditioning import Emotion
        from conditioning.metrics import target_label

        text = (spec or "").strip()
        weights = {k: float(w) for k, w in (mix or {}).items() if w and float(w) > 0}
        if text:
            emo = Emotion.parse(text)
        elif weights:
            emo = Emotion.from_mix(weights)
        else:
            emo = Emotion.from_vad(float(valence), float(arousal))
        emo = emo.scaled(emo.intensity * number(intensity, "intensity"))  # the slider scales what was picked or typed
        mix = ", ".join(f"{k} {w:.2f}" for k, w in list(emo.mix.items())[:4])
        return emo, (f"**{target_label(emo)}** — valence {emo.valence:+.2f}, arousal {emo.arousal:+.2f}, dominance "
                     f"{emo.dominance:+.2f}, intensity {emo.intensity:.2f}  \nmix: {mix}")

    def spec_of(self, spec: str, valence: float, arousal: float, intensity: float, mix: dict | None = None) -> str:
        """The picked emotion (`resolve`) as an emotion spec a session's from and to boxes take: what was typed,
        with the intensity slider's scaling as '@' (or the sliders' mix, or the clicked point), checked to read back
        as the same point (else coordinates with dominance). Why not always coordinates: 'anger@0.3' given as
        'v=-0.24,a=0.20' was read as confusion at intensity 0.35 (an audit)."""
        from conditioning import Emotion

        emo, _ = self.resolve(spec, valence, arousal, intensity, mix)
        k = number(intensity, "intensity")
        text = (spec or "").strip()
        weights = {n: float(w) for n, w in (mix or {}).items() if w and float(w) > 0}
        if text:
            body, at, own = text.rpartition("@") if "@" in text else (text, "", "")
            candidate = f"{body}@{k * float(own):g}" if at else (f"{text}@{k:g}" if k < 1 else text)
        elif weights:
            candidate = "+".join(f"{n}:{w:g}" for n, w in weights.items()) + (f"@{k:g}" if k < 1 else "")
        else:  # the clicked point, as `resolve` reads it (with dominance written out, its mix was another)
            candidate = f"v={float(valence):.4g},a={float(arousal):.4g}" + (f"@{k:g}" if k < 1 else "")
        try:
            if max(abs(a - b) for a, b in zip(Emotion.parse(candidate).vad, emo.vad)) < 1e-3:
                return candidate
        except ValueError:  # (EmotionSpecError among them)
            pass
        return f"v={emo.valence:.3f},a={emo.arousal:.3f},d={emo.dominance:.3f}".replace("-0.000", "0.000")

    def _take(self, result, media_path: Path, file_notes: Sequence[str] = ()) -> Take:
        best = result.best
        readings = [j.reading for j in best.judgements]
        from conditioning.metrics import target_label

        t = result.target  # at intensity 0 a label is the neutral point, rendered and judged as neutral
        term = target_label(t)
        named = f"{term} ({t.top} at intensity 0)" if t.mix and t.intensity == 0 and term != t.top else term
        lines = [f"**target** {named} (v {round(t.valence, 2) + 0.0:+.2f}, a {round(t.arousal, 2) + 0.0:+.2f})"]
        threshold = result.threshold

        def judged(take) -> list[str]:  # each judge's vote as the dataset filter counts it (`Judgement.recognises`)
            out = []
            for j in take.best.judgements:
                vote = j.recognises(threshold)
                why = "" if j.agrees is not None else f" (by fidelity {'≥' if vote else '<'} {threshold:.2f})"
                hears = "hears" if j.reading.categorical else "reads a point near"  # a coordinates-only judge
                out.append(f"- {j.critic}: {hears} **{j.reading.emotion.top}** (v {j.reading.valence:+.2f}, "
                           f"a {j.reading.arousal:+.2f}), fidelity {j.fidelity:.2f} {'✓' if vote else '✗'}{why}")
            return out + [f"- {u.critic}: could not judge this take ({u.error})" for u in take.best.unread]

        lines += judged(result)
        fid = "n/a" if best.fidelity is None else f"{best.fidelity:.2f}"
        rec = "yes (every judge)" if result.recognised else "no"
        voice = getattr(result, "speech", None)
        if voice is not None and voice.best.judgements:  # a talking face's voice, judged on its own: a sad face
            # whose voice both speech judges hear as joy was shown as "recognised: yes" with no word of the voice
            rec = "yes (every face judge)" if result.recognised else "no"
            lines += [f"\n**its voice** (`{voice.best.result.provenance.backend}`), recognised: "
                      f"{'yes' if voice.recognised else 'no'}"] + judged(voice)
        extra = len(result.rounds) - 1
        lines.append(f"\n**fidelity {fid}**, recognised: {rec}, "
                     + (f"best of {len(result.rounds)} takes ({extra} loop round{'s' * (extra != 1)})" if extra
                        else "first take (no loop round)") + "  ")
        prov = best.result.provenance
        lines.append(f"made by `{prov.backend}` ({prov.model}); licence: {prov.licence}")
        extras = best.result.extras
        lines += [f"\n_Note: {note}._" for note in (*result.all_notes, *file_notes)]
        if (extras.get("portrait") or {}).get("default"):  # the portrait box refuses other types silently
            lines.append("\nportrait: none uploaded, so the default astronaut; the portrait box takes "
                         + ", ".join(UPLOAD_TYPES["portrait"]))
        return Take(str(media_path), circumplex(result.target, readings), "\n".join(lines), result.to_json())

    @property
    def private_folders(self) -> tuple[Path, str]:
        """The server's folders, which the page's messages and the reports it offers never name (`without_folders`):
        the output folder and the temporary one (Gradio's uploads)."""
        return self.out, tempfile.gettempdir()

    def _path(self, suffix: str, *names: str) -> Path:
        """A new file or folder under the app's folder, named by ``names`` (what it is: 'speech', 'joy') before the
        time and a random part: downloads had been named by the time alone (an audit)."""
        stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        return self.out / ("-".join([*filter(None, map(slug, names)), stamp]) + suffix)

    def ask_stop(self, page: str | None, tab: str) -> None:
        """The Stop of ``tab`` on the page ``page`` (its `build_app` token) was pressed."""
        if page:
            self.stop_asked.add((page, tab))

    def generate(self, modality: str, emotion, *, text: str | None = None, prompt: str | None = None,
                 loop: int = 0, seed: int = 0, options: dict | None = None, duration_s: float | None = None,
                 backend: str | None = None, progress=None, stop: threading.Event | None = None) -> Take:
        """One generation through the Studio facade, saved under the app's folder; ``progress`` as
        `Studio.generate` tells it (`rounds_told` makes one of a Gradio bar). A ``stop`` set while the take was
        made (the tab's Stop) keeps it from being written: `Stopped`."""
        from studio.errors import UserError
        from studio.generate import save_take

        if modality == "face" and not (text or "").strip():  # an empty box used to make a silent clip
            raise UserError("type the words the face should say")
        if modality == "speech" and not (text or "").strip():  # (the facade's message names Python's and the CLI's)
            raise UserError("type the words to speak")

        result = self.studio.generate(modality, emotion, text=text, prompt=prompt, loop=number(loop, "loop rounds", True),
                                      seed=seed_of(seed),
                                      options=options, duration_s=duration_s, backend=backend, progress=progress)
        if stop is not None and stop.is_set():
            raise Stopped
        suffix = {"speech": ".wav", "music": ".wav", "face": ".mp4", "image": ".png"}[modality]
        # written as the CLI writes a take: the media, the composer's score (which a creator takes on into a DAW)
        # and the JSON report (provenance and licence, each judge's reading and, for speech, how to remake the
        # neutral take it was read against: the Analyse tab reads the take with it, as the loop did)
        from conditioning.metrics import target_label

        path, report = save_take(self._path(suffix, modality, target_label(result.target)), result, prompt=prompt,
                                 hide=lambda text: without_folders(text, self.private_folders))
        # and the notes on the file that `save_take` adds (the face judges read the frames before H.264 coding)
        take = self._take(result, path, [n for n in report.get("notes", ()) if n not in result.all_notes])
        take.score, take.report_file = report.get("midi"), str(path) + ".json"
        take.seconds = getattr(result.media, "duration_s", None)
        return take

    def image_options(self, style: str) -> dict:
        """The Image tab's options for the backend ``auto`` runs: the style for the embedded painter, at the command
        line's size (the tab drew 768 px, so the same request on the command line drew another picture, read
        otherwise: an audit); none for Stable Diffusion (set up through $EMOSTUDIO_SD_MODEL), which draws the prompt at its
        model's own size and has no styles (the tab used to send them, and every take failed)."""
        if self.studio.generator("image").name == "procedural":
            return {"style": style}
        return {}

    #: the Speech tab's choice that speaks with the diffusion TTS weights the server's variable names
    NEURAL_VOICE = "neural voice ($EMOSTUDIO_TTS_MODEL)"

    def speech_voices(self) -> list[str]:
        """The Speech tab's voices: the built-in ones, and the neural voice when the server's
        ``$EMOSTUDIO_TTS_MODEL`` names its weights (the tab offered joe and slt alone, so weights set up for
        ``auto`` were never used from the page)."""
        from generators.registry import GENERATORS, MODEL_ENVS
        from conditioning.registry import BackendUnavailable, load_class

        voices = list(VOICE_BACKENDS)
        key = "speech/diffusion"
        if os.environ.get(MODEL_ENVS[key]):
            try:
                if load_class(GENERATORS[key], key).can_run():
                    voices.append(self.NEURAL_VOICE)
            except BackendUnavailable:
                pass
        return voices

    def speech_request(self, voice: str) -> tuple[str | None, dict]:
        """(backend, options) for a Speech-tab voice: a built-in voice picks its own backend."""
        return ("diffusion", {}) if voice == self.NEURAL_VOICE else (None, {"voice": voice})

    def keep_portrait(self, path: str | None) -> Path:
        """An uploaded portrait, checked (`check_upload`) and copied into the app's folder by its content
        (``portrait-<sha256>.<ext>``), so that the take's report names a file the Analyse tab can follow back to
        the portrait at rest: the report named the upload, which Gradio's cache deletes and whose folder the report
        leaves out, and Analyse refused the page's own face takes."""
        return self._kept_portrait(path)[0]

    def _kept_portrait(self, path: str | None) -> tuple[Path, bool]:
        """`keep_portrait`, and whether this call copied it (a portrait no take was made from is removed again)."""
        from studio.generate import file_sha256

        src = self.check_upload(path, "portrait")
        kept = self.out / f"portrait-{file_sha256(src)[:16]}{src.suffix.lower()}"
        if kept.exists():
            return kept, False
        with atomic_path(kept) as tmp:
            shutil.copyfile(src, tmp)
        return kept, True

    def uploaded(self, path: str | os.PathLike) -> Path:
        """``path`` if it lies in a folder uploads come from (`uploads`), else a `MediaError` that names only the
        file (checked before the file is touched, so the answer does not tell whether a server path exists)."""
        from conditioning.media import MediaError

        p = Path(path)
        roots = self.uploads if self.uploads is not None else (upload_folder().resolve(), self.out)
        if not any(p.resolve().is_relative_to(root) for root in roots):
            raise MediaError(f"{p.name}: not a file uploaded to this page; upload it")
        return p

    def face(self, portrait: str | None, emotion, **kw) -> Take:
        """A face take (`generate`) on an uploaded portrait, kept in the app's folder (`keep_portrait`), or on the
        default one. A portrait no take was made from is not kept: rejected uploads (no face, not a picture) stayed
        in the served folder for good, and the error named the kept copy, not the file the user uploaded."""
        if not portrait:
            return self.generate("face", emotion, **kw)
        kept, new = self._kept_portrait(portrait)
        try:
            return self.generate("face", emotion, options={**kw.pop("options", {}), "portrait": str(kept)}, **kw)
        except BaseException as exc:  # (a Ctrl-C too: no take, so the copy goes)
            if new:
                kept.unlink(missing_ok=True)
            if isinstance(exc, ValueError) and kept.name in str(exc):  # the generator's messages name its portrait
                raise type(exc)(str(exc).replace(kept.name, Path(portrait).name)) from None
            raise

    def check_upload(self, path: str | None, modality: str) -> Path:
        """An uploaded file the judges may read: uploaded (`uploaded`), present, within the size limit, of an
        accepted type."""
        from conditioning.media import MediaError

        if not path:
            raise MediaError("no file uploaded")
        p = self.uploaded(path)
        if p.suffix.lower() not in UPLOAD_TYPES[modality]:
            raise MediaError(f"{p.name}: {modality} takes {', '.join(UPLOAD_TYPES[modality])} files")
        if p.stat().st_size > MAX_UPLOAD_MB * 2**20:
            raise MediaError(f"{p.name} is larger than {MAX_UPLOAD_MB} MB")
        decoded_size_check(p, sound=modality in ("speech", "music"))
        return p

    def analyse(self, path: str | None, modality: str, reference: str | None = None, aligned: bool = False) -> Take:
        """Every judge of the modality reads an uploaded file; speech as a change from ``reference``, a neutral
        take of the same voice, when one is given (what the loop does; without it the report says why it
        matters, as `critique` does). ``aligned``: the upload is a tight face crop, read whole by the judges that
        can (`critique --aligned`); a judge that needs a full photo is left out with the reason."""
        from conditioning.media import MediaError
        from critics.base import CriticError
        from studio.critique import (MUSIC_LOW_RATE, NO_AFFECT_WORDS, NO_REFERENCE, item_record, load_media, lossy,
                                     music_low_rate, read_report, reference_source)

        if reference and modality not in ("speech", "face"):
            raise MediaError("a reference is for speech and face takes; leave it empty for " + modality)
        if aligned and modality != "face":
            raise MediaError("'already cropped (aligned)' is for the face modality; untick it for " + modality)
        p = self.check_upload(path, modality)
        media = load_media(modality, p)  # text as the command line reads it (UTF-8, or UTF-16 with its BOM)
        kw, how, record, neutral = {}, "", None, None
        kind = Path(reference).suffix.lower() if reference else ""
        if kind in (".json", ".jsonl"):  # the studio's record of the take: its report, or its dataset's journal
            source = self.uploaded(reference)
            if source.stat().st_size > MAX_UPLOAD_MB * 2**20:
                raise MediaError(f"{source.name} is larger than {MAX_UPLOAD_MB} MB")
            record = item_record(source, p) if kind == ".jsonl" else (read_report(source), source.name)
            at_rest = "voice's neutral take" if modality == "speech" else "portrait at rest"
            how = (f"\n\nMeasured as a change from the take's {at_rest}, made again from its report (what the loop "
                   "measured)." if kind == ".json" else f"\n\nMeasured as a change from the item's {at_rest}, made "
                   "again from its row in the dataset's manifest (what the build measured).")
            if modality == "face":  # (an audit read -0.49 / -0.39 where the loop read -0.46 / -0.41)
                how += (" The classifier reads the frames alone, as in the loop. The video's frames are its H.264 "
                        "coding of the loop's, so the readings move by a few hundredths, and a close label can change "
                        "(its vote with it).")
        elif reference and modality == "face":
            raise MediaError(f"for a face take, give the report (.json) the studio wrote with it, or the "
                             f"manifest.jsonl of the dataset it is an item of, not {Path(reference).suffix or 'a file'} "
                             "(a face is read against its portrait at rest, which the report names)")
        elif reference:
            name = Path(reference).name
            try:
                neutral = load_media("speech", self.check_upload(reference, "speech"))
            except MediaError as exc:  # say it is the reference that is wrong, not the take
                raise MediaError(f"the neutral take ({name}): {exc}") from None
            how = "\n\nMeasured as a change from the neutral take of the same voice."
        elif modality == "speech":
            how = f"\n\n_Note: {NO_REFERENCE}; upload a neutral take of the same voice to measure the change from it._"
        judges, skipped = self.studio.judges(modality, required=True), []
        if modality == "music" and not isinstance(media, Path):  # a recording, not MIDI (which every judge reads)
            skipped = [(j, "reads the notes of a MIDI file, not a recording; upload the .mid for its reading")
                       for j in judges if getattr(j, "reads", "media") == "midi"]
        if aligned:
            kw = {"aligned": True}
            skipped = [(j, "needs a whole photo to fit its face mesh, not a crop") for j in judges
                       if not getattr(j, "reads_crops", False)]
        judges = [j for j in judges if all(j is not out for out, _ in skipped)]
        if not judges:
            raise MediaError(f"no {modality} judge here reads this upload: "
                             + "; ".join(f"{j.modality}/{j.name} {why}" for j, why in skipped))
        if record is not None:  # each judge's reference from the take's neutral take, as the loop made it
            generator, request = reference_source(self.studio, p, *record, modality,
                                                  server_folders=(self.out, upload_folder()))
            readings = [j.score(media, speaker_reference=self.studio.reference_for(generator, j, request,
                                                                                   coded_as=lossy(p)))
                        if hasattr(j, "reference") else j.score(media, **kw) for j in judges]
        elif neutral is not None:
            readings = []
            for j in judges:
                try:  # as `critique --reference`: the reference is read first, so its faults are named as its
                    ref = j.reference([neutral], "neutral")
                except (MediaError, CriticError) as exc:
                    raise MediaError(f"the neutral take ({Path(reference).name}): {exc}") from None
                readings.append(j.score(media, speaker_reference=ref))
        else:
            readings = [j.score(media, **kw) for j in judges]
        from studio.studio import consensus

        mean = consensus(readings)
        lines = [f"- {r.critic}: {'' if r.categorical else 'a point near '}**{r.emotion.top}** (v {r.valence:+.2f}, "
                 f"a {r.arousal:+.2f}, confidence {r.confidence:.2f})" for r in readings]
        lines += [f"- {j.modality}/{j.name}: left out; it {why}" for j, why in skipped]
        if all(r.details.get("nothing_read") for r in readings):  # the text critic found no word it knows
            how += f"\n\n_Note: the text has {NO_AFFECT_WORDS}._"
        clipped = max((r.details.get("clipped", 0) for r in readings), default=0)
        if clipped:  # a speech judge found the recording clipped (`critics.speech.features.CLIPPED_SHARE`)
            from studio.critique import CLIPPED

            how += f"\n\n_Note: the recording is clipped ({100 * clipped:.0f} % of its samples at the ceiling); {CLIPPED}._"
        from studio.critique import OTHER_KIND, other_kind

        found = other_kind(modality, media)  # each kind of judge reads its own kind of sound, as `critique` notes
        kind = found.key
        if kind:
            how += f"\n\n_Note: the recording {OTHER_KIND[kind]}._"
        if modality == "speech":  # inputs the judges are not validated on, as `critique` notes them
            from studio.critique import (EIGHT_BIT, NARROW_BAND, SHORT_SPEECH, SHORT_SPEECH_S,
                                         low_band_recording, narrow_recording)

            rate = getattr(media, "rate", None)
            narrow = any(narrow_recording(rate, r.details) for r in readings)
            if narrow:
                what = f"recorded at {rate / 1000:g} kHz" if rate and rate < 16000 else "nothing above about 4 kHz"
                how += f"\n\n_Note: {what}; {NARROW_BAND}._"
            if any(low_band_recording(rate, r.details) for r in readings):
                from studio.critique import LOW_BAND

                how += f"\n\n_Note: the recording has nothing above about 6 kHz: {LOW_BAND}._"
            speech_s = min((r.details.get("speech_s", SHORT_SPEECH_S) for r in readings), default=SHORT_SPEECH_S)
            if speech_s < SHORT_SPEECH_S:
                how += f"\n\n_Note: the recording holds {speech_s:.2f} s of speech: {SHORT_SPEECH}._"
            from studio.critique import QUIET, sample_notes

            stored = sample_notes(p, media)
            if "quiet" in stored:
                how += f"\n\n_Note: the recording has {QUIET}._"
            if "eight_bit" in stored:
                how += f"\n\n_Note: the recording has 8-bit samples: {EIGHT_BIT}._"
            if neutral is not None:  # the neutral take uploaded beside it, compared as `critique --reference` does
                from studio.critique import media_decay, recording_channel, room_mismatch

                neutral_narrow, neutral_decay = recording_channel(neutral)
                if neutral_narrow != narrow:
                    how += ("\n\n_Warning: the take and the neutral take were recorded through different bands (one "
                            "has nothing above about 4 kHz); each reading is a change from the neutral take, so give "
                            "one recorded as the take was._")
                elif room := room_mismatch(neutral_decay, [media_decay(media)]):
                    how += f"\n\n_Warning: {room[0].upper()}{room[1:]}._"
                from studio.critique import emotional_reference, higher_voice

                ref_pitch = other_kind("speech", neutral).pitch_hz
                higher = (higher_voice([12 * math.log2(found.pitch_hz / ref_pitch)], "the neutral take", ref_pitch)
                          if found.pitch_hz and ref_pitch else None)  # another, higher voice's, as `critique` warns
                if higher:
                    how += f"\n\n_Warning: {higher}._"

                aroused = next(filter(None, (emotional_reference(j, neutral) for j in judges)), None)
                if aroused:  # an angry take as the "neutral" one moves every reading away from anger
                    how += (f"\n\n_Warning: the neutral take {aroused}; each reading is a change from it, so every "
                            "reading moves away from that emotion: give a neutral take of the same voice._")
        if modality in ("face", "text"):  # a second face, frames without one, a whole photo marked aligned, a text's
            from studio.critique import reading_notes  # sentences in another language: as critique says them

            for line in dict.fromkeys(line for r in readings for line in reading_notes(r.details)):
                how += f"\n\n_Note: {line}._"
        if modality == "image":  # a black-and-white picture reads unpleasant: as critique notes it
            from studio.critique import NO_COLOUR, no_colour

            if no_colour(media):
                how += f"\n\n_Note: {NO_COLOUR}._"
        if modality == "music" and music_low_rate(media):  # as critique notes it
            how += f"\n\n_Note: saved at {media.rate / 1000:g} kHz; {MUSIC_LOW_RATE}._"
        if getattr(media, "stride", 1) > 1:  # a video too large to hold decoded (`load_video`)
            from studio.output import ordinal

            how += (f"\n\n_Note: the video is too large to hold whole, so every {ordinal(media.stride)} frame was read "
                    f"({media.fps:.3g} frames per second)._")
        return Take(str(p), circumplex(mean.emotion, readings), "\n".join(lines) + page_words(how),
                    {"file": p.name, "reference": Path(reference).name if reference else None,
                     "readings": [r.to_json() for r in readings]})

    def session(self, current, target, minutes: float, clip_s: float, seed: int = 0, clip_files: bool = False,
                progress=None, loop: int = 0):
        """A music-therapy session (iso principle) under the app's folder: (audio, plot, report, and with
        ``clip_files`` a zip of the clips as their own files, `studio.session.write_clip_files`, else None).
        ``loop``: the page's closed-loop rounds, as `session --loop` (the tab had left them out without a word).
        ``progress(fraction, step)``: `build_session`'s, which an exception from it stops."""
        from studio.session import MAX_STEP_ADVICE, build_session, summary_lines, summary_warnings

        from conditioning import Emotion
        from conditioning.errors import EmotionSpecError

        from conditioning.metrics import target_label

        labels = []
        for box, spec in (("from", current), ("to", target)):  # the message names the box (both are emotions)
            try:
                labels.append(target_label(Emotion.parse(spec or "")))
            except EmotionSpecError as exc:
                raise EmotionSpecError(f"the {box} box: {exc}") from None
        folder = self._path("", "session", labels[0], "to", labels[1])
        res = build_session(current, target, folder, minutes=number(minutes, "minutes"),
                            clip_s=number(clip_s, "clip seconds"), seed=seed_of(seed), loop=number(loop, "loop rounds", True),
                            studio=self.studio, clip_files=bool(clip_files), progress=progress)
        warned = set(summary_warnings(res.summary))  # in bold, as the CLI's warnings stand out on their own lines
        lines = [(line.replace(MAX_STEP_ADVICE, ""), line in warned) for line in summary_lines(res.summary)]  # (no
        report = "\n".join(f"- **{line}**" if bold else f"- {line}" for line, bold in lines)  # such box on the page)
        clips = zip_in_order(folder / "clips", folder / "clips.zip") if clip_files else None
        # what the command writes beside the audio: the plan with every clip's target and readings, provenance and
        # licence (naming no server folder), and the score for a DAW
        res.plan.write_text(without_folders(res.plan.read_text(encoding="utf-8"), self.private_folders),
                            encoding="utf-8")

        def named(path):  # downloaded under the folder's name ('session-anxiety-to-calm-...-plan.json'): every
            # session's had been session.wav, plan.json ..., a second download clashing with the first (an audit)
            if path is None:
                return None
            link = Path(path).with_name(f"{folder.name}-{Path(path).name}")
            try:
                os.link(path, link)  # the same file under a second name, no copy
            except OSError:  # (a file system without hard links)
                shutil.copy2(path, link)
            return str(link)

        return (named(res.audio), named(res.plot), report, named(clips), [named(res.plan), named(res.midi)])

    def start_dataset(self, spec_path: str | None, workers: int = 1) -> str:
        """Start a dataset job in the background; returns its id (the user's browser keeps it: `build_app`)."""
        from studio.dataset import build, load_spec
        from studio.errors import UserError

        if not spec_path:
            raise ValueError("upload a spec file (YAML, see examples/dataset_speech.yaml)")
        spec = load_spec(self.uploaded(spec_path), local_files=False)  # a bad spec fails here, before the job starts; no server paths
        asked = sum(m.count for m in spec.modalities)
        if asked > self.max_dataset_items:  # (before `plan`, which held the request 10 s for two million items)
            raise UserError(f"the spec asks for {asked:,} items; this server builds at most {self.max_dataset_items:,} "
                            "per dataset from the web; build larger ones with `emostudio dataset SPEC` on your machine")
        if spec.most_takes > self.max_dataset_takes:
            raise UserError(f"the spec may take up to {spec.most_takes:,} generations ({asked:,} items, balancing's "
                            f"extra candidates and the filter's attempts); this server makes at most "
                            f"{self.max_dataset_takes:,} per dataset from the web: lower filter.max_attempts or "
                            "balance.extra_budget, or build it with `emostudio dataset SPEC` on your machine")
        long_items = [m.name for m in spec.modalities if (m.duration_s or 0) > self.max_dataset_item_seconds]
        if long_items:
            raise UserError(f"modalities.{long_items[0]}.duration_s: this server makes items of at most "
                            f"{self.max_dataset_item_seconds:g} s from the web, as the Music tab does; build longer "
                            "ones with `emostudio dataset SPEC` on your machine")
        if spec.most_seconds > self.max_dataset_seconds:
            raise UserError(f"the spec may make up to {spec.most_seconds / 3600:,.1f} hours of audio and video "
                            f"({asked:,} items, with the filter's attempts and balancing's extra candidates); this "
                            f"server makes at most {self.max_dataset_seconds / 3600:g} hours per dataset from the web: "
                            "ask for fewer or shorter items, or build it with `emostudio dataset SPEC` on your machine")
        cores = os.cpu_count() or 1  # no more processes than the server has cores
        workers = max(1, min(number(workers, "worker processes", True), cores))
        job = uuid.uuid4().hex[:10]
        folder = self.out / "-".join(filter(None, (slug(spec.name), "dataset", job)))  # (its zip downloads under
        # the spec's name)
        from studio.dataset import plan, spec_notes

        state = {"folder": folder, "spec": spec, "total": len(plan(spec)), "done": False, "error": None,
                 "summary": None, "archive": None, "notes": spec_notes(spec), "stop": threading.Event(),
                 "stopped": None}

        def run():
            from studio.dataset import Stopped

            try:
                state["summary"] = build(spec, folder, workers=int(workers), progress=False, studio=self.studio,
                                         stop=state["stop"])
                state["archive"] = shutil.make_archive(str(folder), "zip", folder)  # once, for every later poll
            except Stopped as stopped:  # the user's Stop: a half-made dataset no one resumes from the web is not kept
                state["stopped"] = f"stopped after {stopped.items} of the {state['total']} planned items, as asked"
                shutil.rmtree(folder, ignore_errors=True)
            except Exception as exc:  # reported in the UI by `dataset_status` (a user error by its message alone)
                state["error"] = str(exc) if isinstance(exc, user_error_types()) else f"{type(exc).__name__}: {exc}"
                if not (folder / "manifest.jsonl").exists():  # nothing finished: leave no folder of a spec.json
                    shutil.rmtree(folder, ignore_errors=True)
            finally:
                state["done"] = True

        with self._lock:  # the count and the new job under one lock: two clicks at once cannot both pass
            if sum(not st["done"] for st in self._jobs.values()) >= self.max_dataset_jobs:
                raise UserError(f"this server is building {self.max_dataset_jobs} dataset(s) already, as many as it "
                                "builds at once; start yours when that finishes (or run `emostudio dataset` on your "
                                "own machine)")
            self._jobs[job] = state
        threading.Thread(target=run, daemon=True).start()
        return job

    def stop_dataset(self, job: str | None) -> str:
        """Ask the dataset job ``job`` to stop after the item it is making (its folder is then removed)."""
        if not self.running_job(job):
            return "no dataset job of this browser is running"
        self._jobs[job]["stop"].set()
        return "stopping after the item being made"

    def running_job(self, job: str | None) -> bool:
        """Whether the dataset job ``job`` is still making items."""
        return isinstance(job, str) and job in self._jobs and not self._jobs[job]["done"]

    def dataset_status(self, job: str | None) -> tuple[str, str | None]:
        """(progress text, path of the zipped dataset once finished); cheap enough for a timer to poll. Anything
        but a job id of this server (a stale or tampered browser value) is no job."""
        if not isinstance(job, str) or job not in self._jobs:
            return "no dataset job yet", None
        st = self._jobs[job]
        if st["stopped"]:
            return f"{st['stopped']}; nothing was kept", None
        if st["error"]:  # without the server's folders ("No space left on device: '/tmp/...'" named them)
            return f"failed: {public_message(st['error'], self.private_folders)}", None
        notes = "".join(f"\n\nnote: {line}" for line in st["notes"])  # the spec's (`studio.dataset.spec_notes`)
        if not st["done"]:
            journal = st["folder"] / "manifest.jsonl"
            n = sum(1 for _ in open(journal, encoding="utf-8")) if journal.exists() else 0
            extra = " and extra items for the labels the filter thinned" if n > st["total"] else ""
            # (a stop asked for is said until the job ends: the 2-s poll had turned it back into "running" while a
            # slow item was still being made: an audit)
            doing = "stopping after the item being made" if st["stop"].is_set() else "running"
            return f"{n} item{'s' * (n != 1)} made of the {st['total']} planned{extra} ({doing}){notes}", None
        s = st["summary"]
        short = "".join(f"\n\nwarning: {line}" for line in s.get("short", ()))  # as `emostudio dataset` on stderr
        empty = f"\n\nerror: {', '.join(s['empty'])}: no item kept, so the dataset has none" if s.get("empty") else ""
        return (f"done: {s['items']} items, {s['kept']} kept, {s['rejected']} rejected{empty}{short}{notes}",
                st["archive"])


#: What the Therapy session tab says when its Stop is pressed
SESSION_STOPPED = ("**Stopped.** The session ends at its next step and nothing of it is written (a render under way "
                   "finishes first, and the next session waits for it).")
#: The tabs with a Stop (`WebStudio.ask_stop`)
STOPPABLE = ("speech", "face", "music", "image", "session")
#: What the Speech, Face, Music and Image tabs say when their Stop is pressed
TAKE_STOPPED = ("**Stopped.** The take ends at its next round and nothing of it is written (a round under way "
                "finishes first, and the tab's next take waits for it).")


class Stopped(Exception):
    """Raised inside work a tab's Stop (or a closed tab) stopped, at its next step: nothing is written."""


@contextmanager
def running(out: str | Path, port: int | None = None) -> Iterator[str]:
    """``emostudio serve`` in a child process on a free local port, for browser tests and screenshots: yields
    its URL once it answers, stops it afterwards. Gradio's upload cache goes under ``out``."""
    import socket
    import subprocess
    import sys
    import urllib.request

    out = Path(out)
    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(out / "gradio")}
    proc = subprocess.Popen([sys.executable, "-m", "studio.cli", "serve", "--port", str(port), "--out", str(out / "out")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=Path(__file__).resolve().parents[1])
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("the web studio did not start within a minute")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def zip_in_order(folder: Path, dest: Path) -> str:
    """``folder``'s files in a zip by name (clip_000.mid, clip_000.wav, clip_000.wav.json, clip_001...), as a
    player of clips lists them; `shutil.make_archive` wrote them in the file system's order."""
    import zipfile

    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            if f.is_file():
                z.write(f, f.name)
    return str(dest)


def without_folders(text: str, folders) -> str:
    """``text`` with every path under one of the server's ``folders`` cut to its file name: what the page shows
    and the reports it offers name files, never the server's folders."""
    for folder in folders:
        root = re.escape(str(Path(folder).resolve()).rstrip("/"))
        text = re.sub(root + r"/(?:[^\s'\"/]+/)*", "", text)
    return text


def user_error_types() -> tuple[type, ...]:
    """The errors that are the user's to mend (a bad emotion, an unreadable upload, a bad spec): shown as their
    message alone, never as a traceback or an exception's class name."""
    from conditioning.errors import EmotionStudioError

    return (EmotionStudioError, ValueError)


def public_message(message: str, folders) -> str:
    """``message`` as the page shows it: without the server's ``folders`` (an upload's error used to show the
    server's temporary folders, "/tmp/gradio/<hash>/zero.wav: the file is empty"), and HTML-escaped, since the
    toast renders HTML (yaml's "but got '<stream end>'" cut the message); a command in backticks is quoted."""
    # (the toast shows Markdown's backticks as they are: "(see `emostudio emotion --list`)")
    return html.escape(without_folders(message, folders), quote=False).replace("`", "'")


def rounds_told(bar, what: str):
    """A `Studio.generate` ``progress`` that moves a Gradio bar: "take 2 of at most 5" as each round of the loop
    starts (a four-round take had stood at 10 % for two minutes: an audit)."""
    def told(i: int, rounds: int) -> None:
        bar(0.05 + 0.9 * i / rounds, desc=what + (f": take {i + 1} of at most {rounds}" if rounds > 1 else ""))
    return told


def captions(take: Take, text: str) -> str | None:
    """A WebVTT file beside a face take's video holding its spoken ``text`` as one cue over the whole clip, for the
    player's captions (the face's words were in the text box only, and a deaf viewer of the video had none)."""
    if not (text or "").strip() or not take.seconds:
        return None
    end = take.seconds
    ms = round(end * 1000)  # whole milliseconds first: 59.9996 s had made "00:00:60.000", which players drop
    stamp = f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"
    out = Path(take.file + ".vtt")
    words = html.escape(" ".join(text.split()), quote=False).replace("-->", "→")  # cue text: no tags, no cue arrow
    out.write_text(f"WEBVTT\n\n00:00:00.000 --> {stamp}\n{words}\n", encoding="utf-8")
    return str(out)


# ------------------------------------------------------------------------------------------------- the app
def build_app(web: WebStudio | None = None):
    import gradio as gr

    from studio.errors import UserError

    web = web or WebStudio()
    user_errors = user_error_types()

    def slider(*args, **kwargs):
        """A `gr.Slider` whose number box, emptied, reaches the handler as None, which `number` names ("the
        intensity box is empty..."): Gradio's own preprocessing failed on it before any handler ran, and the page
        showed a bare "Error" while the readout kept the old intensity. Set on the instance: a subclass is a
        custom component to Gradio, whose page then never loaded. Without the reset button, whose one name
        ("Reset to default value") every slider's shared, so a screen reader's list of buttons could not tell
        them apart."""
        s = gr.Slider(*args, buttons=[], **kwargs)
        own, lo, hi = s.preprocess, s.minimum, s.maximum
        # a number typed past the slider's ends is taken at the end the box then shows: Gradio refused it before
        # any handler (a 10-s toast, its traceback in the log) and the readout kept the old intensity, 0.30, while
        # the box showed 1 and the next take was made at 1 (an audit)
        s.preprocess = lambda payload: None if payload is None else own(min(hi, max(lo, payload)))
        return s

    def on_click(button, fn, inputs, outputs, tab: str | None = None, **kw):
        """``button`` runs ``fn`` once ``outputs`` are cleared: a failed request had left the previous take's report
        readable under its error badge, where it read as the answer to the new request. For a ``tab`` with a Stop,
        ``fn`` takes the page's token first, and a Stop pressed before this click is forgotten. Returns ``fn``'s
        event."""
        if tab is None:
            return button.click(lambda: (None,) * len(outputs), None, outputs, queue=False,
                                show_progress="hidden").then(fn, inputs, outputs, **kw)

        def cleared(token):
            web.stop_asked.discard((token, tab))
            return (None,) * len(outputs)

        return button.click(cleared, [page], outputs, queue=False,
                            show_progress="hidden").then(fn, [page, *inputs], outputs, **kw)

    def said(exc: Exception) -> gr.Error:
        # the user's mistake, shown to the user: no traceback in the server's log for it either; shown until
        # dismissed (Gradio's 10 s toast was gone before a screen reader or a slow reader got to it)
        return gr.Error(public_message(str(exc), web.private_folders), duration=None, print_exception=False)

    def guarded(fn):
        """Turn a user error into a message in the UI (no traceback), naming files without the server's folders;
        for a function or a generator (the session tab's, which follows its session)."""
        if inspect.isgeneratorfunction(fn):
            def run(*args, **kwargs):
                try:
                    yield from fn(*args, **kwargs)
                except user_errors as exc:
                    raise said(exc) from None
        else:
            def run(*args, **kwargs):
                try:
                    return fn(*args, **kwargs)
                except user_errors as exc:
                    raise said(exc) from None
        run.__name__ = fn.__name__
        return run

    def followed(tab: str, token: str, work, progress, what: str, stopped: tuple):
        """Run ``work(told, stop)`` in a thread of its own and follow it from the handler (a generator): Gradio lets a
        running function finish when its event is cancelled, so a 30-minute session had gone on for minutes after
        its tab was closed, holding the tab's one slot with its bar at 5 % (an audit), and a take of five loop
        rounds could not be stopped at all. The handler looks every half second for the tab's Stop on this page
        (``token``: `WebStudio.ask_stop`) and yields, where a closed tab reaches it; then it sets ``stop``, and
        ``told(fraction, desc)``, the bar ``work`` moves, raises `Stopped` at the work's next step, so nothing is
        written (a step under way, a render or a loop round, ends first). A Stop ends the handler with the
        ``stopped`` outputs. (Not Gradio's ``cancels``: its page showed "Error" on every output of a cancelled
        take or session in about a third of the tries.) The tab's next request waits for a stopped one still running
        (`WebStudio.stopping`)."""
        box: dict = {"at": (0.05, what)}
        stop = threading.Event()
        stopping, key = web.stopping[tab], (token, tab)
        outputs = len(stopped)
        for earlier in list(stopping):
            while earlier.is_alive():
                if key in web.stop_asked:
                    web.stop_asked.discard(key)
                    yield stopped
                    return
                progress(0.0, desc=f"waiting for the stopped {'session' if tab == 'session' else 'take'} to end")
                earlier.join(0.5)
                yield (gr.skip(),) * outputs
            if earlier in stopping:  # (another request of the tab may have waited for it too)
                stopping.remove(earlier)

        def told(fraction: float, desc: str = what) -> None:
            if stop.is_set():
                raise Stopped
            box["at"] = (fraction, desc)

        def run() -> None:
            try:
                box["result"] = work(told, stop)
            except BaseException as exc:  # handed to the handler's thread, which says it
                box["error"] = exc

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        started = time.monotonic()
        try:
            while worker.is_alive() and key not in web.stop_asked:  # (the time said here: each yield below restarts
                # Gradio's own timer, which had read 0.0-0.4 s through a 48-s session: an audit)
                progress(box["at"][0], desc=f"{box['at'][1]} ({time.monotonic() - started:.0f} s)")
                worker.join(0.5)
                yield (gr.skip(),) * outputs  # where a closed tab can reach the handler
        finally:
            stop.set()  # (not joined here: Gradio closes the handler of a closed tab on its event loop)
            if worker.is_alive():
                stopping.append(worker)
        if key in web.stop_asked:
            web.stop_asked.discard(key)
            if "result" not in box:  # (a take that was made before the Stop was seen is shown, not hidden)
                yield stopped
                return
        if "error" in box:
            raise box["error"]
        yield box["result"]

    def stop_button(tab: str):
        """The tab's Stop: it marks this page's ``tab`` for its running handler (``followed``) to see."""
        button = gr.Button("Stop", elem_id=f"{tab}-stop")
        button.click(lambda token: web.ask_stop(token, tab), [page], None, queue=False, show_progress="hidden")
        return button

    # Gradio keeps a copy of every upload and every file it serves; without this they piled up for the server's
    # whole life (any file type, 50 MB a request). Every hour, what is older than a day goes.
    with gr.Blocks(title="Emotion Studio", delete_cache=(3600, 86400)) as app:
        gr.Markdown("# Emotion Studio\nPick an emotion on the circle (or type one), then generate or analyse.")
        point = gr.State({"valence": 0.6, "arousal": 0.4})
        page = gr.State(None)  #: this page's token, for its tabs' Stop (`WebStudio.ask_stop`)
        app.load(lambda: uuid.uuid4().hex, None, page, queue=False)
        with gr.Row():
            with gr.Column(scale=1):
                wheel = gr.Image(value=circumplex(), label="click to set valence and arousal", interactive=False,
                                 elem_id="circumplex", height=CIRCLE_PX, width=CIRCLE_PX, buttons=[],
                                 alt_text="valence-arousal circle: click a point to set the emotion (left unpleasant, "
                                          "right pleasant, top aroused, bottom calm), or type one in the box")
            with gr.Column(scale=1):
                spec = gr.Textbox(label="emotion (a word, a mix 'joy:0.6+surprise:0.4', or leave empty to use the circle)",
                                  elem_id="emotion-spec")
                intensity = slider(0.0, 1.0, value=1.0, step=0.05, label="intensity")
                with gr.Accordion("mix sliders (used when the box is empty)", open=False):
                    sliders = [slider(0.0, 1.0, value=0.0, step=0.05, label=lab) for lab in MIX_LABELS]
                readout = gr.Markdown(elem_id="emotion-readout")
                seed = gr.Number(value=0, label="seed")  # no precision: Gradio rounded 1.5 to 2 before `seed_of`
                # could refuse it, as the command line does (an audit)
                loop = slider(0, 4, value=0, step=1, label="closed-loop rounds")

        def show(spec_text, pt, k, *weights):
            try:
                emo, text = web.resolve(spec_text, pt["valence"], pt["arousal"], k, dict(zip(MIX_LABELS, weights)))
            except user_errors as exc:
                return circumplex(), f"⚠ {exc}"
            return circumplex(emo), text

        def clicked(spec_text, k, w0, w1, w2, w3, w4, w5, w6, w7, evt: gr.SelectData):  # one weight per MIX_LABELS
            v, a = from_pixel(*evt.index)  # the click's image pixel
            pt = {"valence": v, "arousal": a}
            return (pt, "") + show("", pt, k) + (0.0,) * len(MIX_LABELS)  # a click replaces the mix

        # this module postpones annotations and imports `gr` here, so Gradio cannot resolve the string
        # "gr.SelectData" it looks for: give it the class, or the click would arrive without its coordinates
        clicked.__annotations__["evt"] = gr.SelectData
        state_in = [spec, point, intensity, *sliders]
        wheel.select(clicked, [spec, intensity, *sliders], [point, spec, wheel, readout, *sliders])
        for comp in (spec, intensity, *sliders):
            comp.change(show, state_in, [wheel, readout])
        app.load(show, state_in, [wheel, readout])

        def emotion_of(spec_text, pt, k, *weights):
            return web.resolve(spec_text, pt["valence"], pt["arousal"], k, dict(zip(MIX_LABELS, weights)))[0]

        picker = [seed, loop, spec, point, intensity, *sliders]
        with gr.Tabs():
            with gr.Tab("Speech"):
                s_text = gr.Textbox(label="text", value="I never thought this day would come.")
                s_voice = gr.Dropdown(web.speech_voices(), value="joe", label="voice")
                with gr.Row():
                    s_go = gr.Button("Generate speech", variant="primary", elem_id="speech-go")
                    stop_button("speech")
                s_audio = gr.Audio(label="speech", type="filepath", elem_id="speech-audio")
                s_plot = gr.Image(label="target (ring) and each judge's reading", interactive=False, **PLOT)
                s_report = gr.Markdown(elem_id="speech-report")
                s_json = gr.File(label=REPORT_LABEL, elem_id="speech-json")

                @guarded
                def speech(token, text, voice, sd, lp, *pick, progress=gr.Progress()):
                    backend, options = web.speech_request(voice)  # a built-in voice picks its own backend
                    emotion = emotion_of(*pick)

                    def work(told, stop):
                        t = web.generate("speech", emotion, text=text, loop=lp, seed=sd, backend=backend, options=options,
                                         progress=rounds_told(told, "speaking and judging"), stop=stop)
                        return t.file, t.plot, t.report, t.report_file

                    yield from followed("speech", token, work, progress, "speaking and judging",
                                        (None, None, TAKE_STOPPED, None))

                on_click(s_go, speech, [s_text, s_voice, *picker], [s_audio, s_plot, s_report, s_json], "speech",
                         concurrency_limit=2)
            with gr.Tab("Face"):
                # a file box, not gr.Image: Gradio decodes an Image upload before the handler runs, so a broken
                # picture failed there with a bare "Error" instead of the studio's message
                f_portrait = gr.File(label="portrait (optional; default: the astronaut)", type="filepath",
                                     file_types=list(UPLOAD_TYPES["portrait"]), elem_id="face-portrait")
                f_text = gr.Textbox(label="text", value="I can't believe you did that.")
                with gr.Row():
                    f_go = gr.Button("Generate talking face", variant="primary")
                    stop_button("face")
                f_video = gr.Video(label="video", height=480)
                f_plot = gr.Image(label="target and readings", interactive=False, **PLOT)
                f_report = gr.Markdown(elem_id="face-report")
                f_json = gr.File(label=REPORT_LABEL)

                @guarded
                def face(token, portrait, text, sd, lp, *pick, progress=gr.Progress()):
                    emotion = emotion_of(*pick)

                    def work(told, stop):
                        t = web.face(portrait, emotion, text=text, loop=lp, seed=sd,
                                     progress=rounds_told(told, "animating and judging"), stop=stop)
                        # (Gradio 6 takes the captions as the component's property: a (video, subtitles) value failed)
                        return gr.update(value=t.file, subtitles=captions(t, text)), t.plot, t.report, t.report_file

                    yield from followed("face", token, work, progress, "speaking, animating, judging",
                                        (None, None, TAKE_STOPPED, None))

                on_click(f_go, face, [f_portrait, f_text, *picker], [f_video, f_plot, f_report, f_json], "face",
                         concurrency_limit=1)
            with gr.Tab("Music"):
                m_dur = slider(5, 60, value=15, step=5, label="seconds")
                with gr.Row():
                    m_go = gr.Button("Compose", variant="primary")
                    stop_button("music")
                m_audio = gr.Audio(label="music", type="filepath")
                m_midi = gr.File(label="score (MIDI)", elem_id="music-midi")
                m_plot = gr.Image(label="target and readings", interactive=False, **PLOT)
                m_report = gr.Markdown(elem_id="music-report")
                m_json = gr.File(label=REPORT_LABEL)

                @guarded
                def music(token, dur, sd, lp, *pick, progress=gr.Progress()):
                    emotion, seconds = emotion_of(*pick), number(dur, "seconds")

                    def work(told, stop):
                        t = web.generate("music", emotion, loop=lp, seed=sd, duration_s=seconds, stop=stop,
                                         progress=rounds_told(told, "composing, rendering, judging"))
                        return t.file, t.score, t.plot, t.report, t.report_file

                    yield from followed("music", token, work, progress, "composing, rendering, judging",
                                        (None, None, None, TAKE_STOPPED, None))

                on_click(m_go, music, [m_dur, *picker], [m_audio, m_midi, m_plot, m_report, m_json], "music",
                         concurrency_limit=2)
            with gr.Tab("Image"):
                i_prompt = gr.Textbox(label="prompt (recorded; the embedded backend draws abstract pictures)")
                i_style = gr.Dropdown(["horizon", "field", "pattern"], value="horizon",
                                      label="style (the embedded painter's; Stable Diffusion draws the prompt)")
                with gr.Row():
                    i_go = gr.Button("Draw", variant="primary")
                    stop_button("image")
                i_img = gr.Image(label="picture", type="filepath", buttons=["download", "fullscreen"],
                                 alt_text="the picture drawn for the emotion; the report below gives what each judge "
                                          "reads in it")
                i_plot = gr.Image(label="target and readings", interactive=False, **PLOT)
                i_report = gr.Markdown(elem_id="image-report")
                i_json = gr.File(label=REPORT_LABEL)

                @guarded
                def image(token, prompt, style, sd, lp, *pick, progress=gr.Progress()):
                    emotion, options = emotion_of(*pick), web.image_options(style)

                    def work(told, stop):
                        t = web.generate("image", emotion, prompt=prompt or None, loop=lp, seed=sd, options=options,
                                         progress=rounds_told(told, "drawing and judging"), stop=stop)
                        return t.file, t.plot, t.report, t.report_file

                    yield from followed("image", token, work, progress, "drawing and judging",
                                        (None, None, TAKE_STOPPED, None))

                on_click(i_go, image, [i_prompt, i_style, *picker], [i_img, i_plot, i_report, i_json], "image",
                         concurrency_limit=2)
            with gr.Tab("Therapy session"):
                t_from = gr.Textbox(label="from (the listener now)", value="anxiety")
                t_to = gr.Textbox(label="to (the goal)", value="calm")
                t_min = slider(1, 30, value=3, step=1, label="minutes")  # 3 min of 20-s clips: steps of 0.34 at most
                t_clip = slider(10, 60, value=20, step=5, label="clip seconds")
                with gr.Row():
                    set_from = gr.Button("from = the picked emotion")
                    set_to = gr.Button("to = the picked emotion")
                t_split = gr.Checkbox(label="also as clip files (a zip: each clip's audio, notes and report)")
                with gr.Row():
                    t_go = gr.Button("Build session", variant="primary")
                    stop_button("session")

                def picked(spec_text, pt, k, *weights):
                    return web.spec_of(spec_text, pt["valence"], pt["arousal"], k, dict(zip(MIX_LABELS, weights)))

                set_from.click(guarded(picked), state_in, [t_from])
                set_to.click(guarded(picked), state_in, [t_to])
                t_audio = gr.Audio(label="session", type="filepath")
                t_plot = gr.Image(label="planned vs measured path", type="filepath", buttons=["download"],
                                  alt_text="the session's planned path through valence and arousal beside the path the "
                                           "music judges measured; the report below gives the figures")
                t_report = gr.Markdown(elem_id="session-report")
                t_zip = gr.File(label="clip files")
                t_files = gr.File(label="plan (each clip's target and readings, provenance, licence) and score (MIDI)",
                                  file_count="multiple", interactive=False)

                @guarded
                def session(token, a, b, minutes, clip, sd, split, lp, progress=gr.Progress()):
                    """Followed from here (``followed``): a 30-minute session had gone on for minutes after its tab
                    was closed. Stop, or a closed tab, ends it at its next step and nothing is written (a render under
                    way ends first, about a minute for 30 minutes of music, and the next session waits for it)."""
                    def work(told, stop):
                        return web.session(a, b, minutes, clip, sd, clip_files=split, progress=told, loop=lp)

                    yield from followed("session", token, work, progress, "planning",
                                        (None, None, SESSION_STOPPED, None, None))

                on_click(t_go, session, [t_from, t_to, t_min, t_clip, seed, t_split, loop],
                         [t_audio, t_plot, t_report, t_zip, t_files], "session", concurrency_limit=1)
            with gr.Tab("Dataset"):
                d_spec = gr.File(label="spec (YAML)", file_types=[".yaml", ".yml"], type="filepath",
                                 elem_id="dataset-spec")
                d_workers = slider(1, 4, value=1, step=1, label="worker processes")
                d_go = gr.Button("Start", variant="primary", elem_id="dataset-go")
                d_stop = gr.Button("Stop", elem_id="dataset-stop")
                d_refresh = gr.Button("Refresh progress")
                d_status = gr.Markdown(elem_id="dataset-status")
                d_zip = gr.File(label="download", elem_id="dataset-download")
                # the job's id lives in the browser (localStorage, encrypted with a key made at each server
                # start): a job runs for minutes, and with a page's gr.State a reload lost its progress and its
                # download while it went on making items; after a server restart the id no longer decrypts
                job = gr.BrowserState(None, storage_key="emostudio-dataset-job")

                @guarded
                def start(path, workers, current):
                    if current and web.running_job(current):  # a second click used to start a second job
                        raise UserError("this browser's dataset job is still running (its progress is shown "
                                        "here); wait for it to finish before starting another")
                    j = web.start_dataset(path, workers)
                    return j, "started"

                d_go.click(start, [d_spec, d_workers, job], [job, d_status], trigger_mode="once",
                           concurrency_limit=1)
                d_refresh.click(lambda j: web.dataset_status(j), [job], [d_status, d_zip])
                d_stop.click(lambda j: web.stop_dataset(j), [job], [d_status], queue=False)
                ticker = gr.Timer(2.0)  # follows the user's own job (its id is in this browser's storage)
                ticker.tick(lambda j: web.dataset_status(j) if j else (gr.skip(), gr.skip()), [job], [d_status, d_zip],
                            queue=False, show_progress="hidden")
            with gr.Tab("Analyse"):
                a_mod = gr.Dropdown(["speech", "music", "face", "image", "text"], value="speech", label="modality")
                a_file = gr.File(label=f"a file (at most {MAX_UPLOAD_MB} MB)", type="filepath", elem_id="analyse-file")
                a_ref = gr.File(label="speech and face, optional: the report (.json) the studio wrote with the take, or "
                                      "the manifest.jsonl of the dataset it is an item of; for speech also a neutral "
                                      "take of the same voice (the judges then measure the change from the voice or "
                                      "face at rest, as the loop does)", type="filepath", elem_id="analyse-reference")
                a_crop = gr.Checkbox(False, label="face only: already cropped (aligned): the picture is a tight "
                                         "face crop, read whole; the geometric judge, which needs a photo, is left out")
                a_go = gr.Button("Analyse", variant="primary", elem_id="analyse-go")
                a_plot = gr.Image(label="every judge's reading (ring: their mean)", interactive=False, **PLOT)
                a_report = gr.Markdown(elem_id="analyse-report")

                @guarded
                def analyse(path, modality, reference, crop):
                    t = web.analyse(path, modality, reference, aligned=bool(crop))
                    return t.plot, t.report

                on_click(a_go, analyse, [a_file, a_mod, a_ref, a_crop], [a_plot, a_report], concurrency_limit=2)
    app.queue(default_concurrency_limit=2, max_size=64)
    app.web = web
    return app


#: Gradio's footer links, the "- or -" of its upload boxes, its sliders' end values and its audio players' times
#: are grey on white at 1.9-3.5:1; WCAG AA asks 4.5:1 for text (axe-core's colour-contrast rule); #4b5563 gives
#: 7.6:1. Focus is drawn dark and thick: the primary buttons' ring took their white text's colour (1.6:1 on the
#: page), and Gradio's sliders showed no focus at all.
CSS = ("footer .show-api, footer .built-with, footer .settings, footer .run-history, .upload-container .or, "
       ".min_value, .max_value, #time, #duration, .playback > span, [data-testid^='waveform'] time "
       "{ color: #4b5563 !important; opacity: 1 !important; } "
       "button:focus-visible, input:focus-visible, [role='tab']:focus-visible, a:focus-visible "
       "{ outline: 3px solid #1f2937 !important; outline-offset: 2px !important; }")

#: The plots of target and readings: described in words, and without their download and share buttons (each image
#: added five Tab stops before the report, which gives the same readings as text)
PLOT = {"buttons": [], "alt_text": "the valence-arousal circle with the target (a black ring) and each judge's reading "
                                   "(a coloured dot); the report below gives the same readings in words"}

#: The areas where results and the emotion readout arrive, made polite live regions once the page has loaded, so
#: a screen reader reads a take's readings, a dataset's progress and a mistyped emotion when they appear (focus
#: stays on the button; nothing was announced)
LIVE = ("emotion-readout", "speech-report", "face-report", "music-report", "image-report", "session-report",
        "dataset-status", "analyse-report")
#: Run once on the page: the live regions (`LIVE`), and number boxes that give back their last value when left
#: empty. Why the boxes: Gradio sets an emptied slider's box to the slider's minimum when it loses focus, which a
#: click on a button does, so an emptied intensity made a neutral take and emptied minutes a 1-minute session,
#: with no word (the readout had said "the intensity box is empty" just before)
JS = ("() => { for (const id of %s) { const el = document.getElementById(id); "
      "if (el) { el.setAttribute('role', 'status'); el.setAttribute('aria-live', 'polite'); } } "
      "const box = (t) => t && t.matches && t.matches('input[type=number]'); "
      "document.addEventListener('focusin', (e) => { if (box(e.target) && e.target.value !== '') "
      "e.target.dataset.last = e.target.value; }, true); "
      "document.addEventListener('input', (e) => { if (box(e.target) && e.target.value !== '') "
      "e.target.dataset.last = e.target.value; }, true); "
      "document.addEventListener('blur', (e) => { const t = e.target; "
      "if (box(t) && t.value === '' && t.dataset.last !== undefined) { t.value = t.dataset.last; "
      "t.dispatchEvent(new Event('input', {bubbles: true})); } }, true); }" % json.dumps(LIVE))


def theme():
    """Gradio's default theme with primary buttons dark enough for white text to pass WCAG AA (4.5:1): its
    orange-500 gives 2.8:1, orange-700 5.2:1 (found by axe-core; `tests/test_web_browser.py` runs it)."""
    import gradio as gr

    return gr.themes.Default().set(button_primary_background_fill="*primary_700",
                                   button_primary_background_fill_hover="*primary_800",
                                   button_primary_text_color="white", button_primary_text_color_hover="white")


def serve(host: str = "127.0.0.1", port: int = 7860, out: str | None = None, **launch: Any) -> None:
    """Launch the app; only the app's output folder is served beyond Gradio's own upload cache. The server is
    waited on here rather than in Gradio's ``launch``, which catches Ctrl-C itself, prints its own line and
    returns: the command line's "stopped" never came. Here Ctrl-C closes the server and goes on up to the caller.
    ``prevent_thread_lock=True`` returns at once with the server running, as in Gradio."""
    import time

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    block = not launch.pop("prevent_thread_lock", False)
    app = build_app(WebStudio(out))
    try:
        app.launch(server_name=host, server_port=int(port), allowed_paths=[str(app.web.out)],
                   max_file_size=f"{MAX_UPLOAD_MB}mb", show_error=False, theme=theme(), css=CSS, js=JS,
                   prevent_thread_lock=True, **launch)
        if block:
            try:
                while app.is_running:
                    time.sleep(0.1)
            finally:
                app.close(verbose=False)
    finally:
        if out is None and block:  # this run's temporary folder, if left empty
            with suppress(OSError):
                app.web.out.rmdir()
