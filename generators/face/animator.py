"""The embedded talking-face animator, ``face/animator``: one portrait + speech + emotion -> a speaking video.

Pipeline, per request:
1. the portrait (``options["portrait"]``: a path, an `Image` or an array; default ``skimage.data.astronaut()``,
   public domain) and its 478-point mesh (`mesh.MeshFitter`; the largest face if there are several);
2. the mouth from the speech: visemes from the phoneme timings the studio hands over (``options["phonemes"]``
   with ``options["audio"]``), or estimated from the audio alone (`visemes.from_audio`); without speech, a
   silent clip of ``duration_s``. A face backend never calls a speech backend: `studio.Studio` makes the speech
   with the same emotion and passes it in;
3. per frame at 25 fps: the emotion at that time (a `Trajectory` can move a face from sadness to joy within a
   sentence, in step with the voice) -> action-unit intensities (`actions.expression`, EMFACS prototypes,
   scaled by intensity, plus the loop's corrections ``controls["au_*"]``); blinks at a natural rate (about 17
   per minute at rest, more when aroused; Bentivoglio et al. 1997), gaze shifts and a small head motion whose
   amplitude grows with arousal; sadness lowers the gaze;
4. the displacement fields summed (`actions.Rig`) and the portrait warped (`warp.Warper`, one remap a frame),
   its skin first shaded by the expression ratio images learned from labelled faces (`texture`), with the
   same per-frame weights as the action units.

The closed loop (`correct`) compares the action units the target calls for with those of the emotion the face
judges read, and moves each AU against the difference: a smile heard as surprise loses jaw and brow, keeps
its lip corners. Deterministic: the seed fixes the blinks, gaze and head motion.
"""
from __future__ import annotations

import math
import numbers
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from conditioning import Emotion
from conditioning.media import Audio, Image, MediaError, Video, content_key, load_image
from generators.base import GenerationError, GenerationRequest, GenerationResult, Provenance, check_options

from . import actions as A
from . import mesh as M
from . import visemes as V
from .texture import APEX, EMOTIONS
from .warp import Warper

SHADED = tuple(EMOTIONS.values())  #: the emotions whose shading was learned from labelled faces (`texture`)

KEY = "face/animator"
#: How far towards the warp's fixed ring the chin may drop (`jaw_limit`): surprise holds the jaw at 0.9 and speech
#: added to it without a bound, to 1.37, where the chin passed the ring (0.55 eye distances down against a ring
#: 0.45-0.54 below it) and folded over the neck with a torn seam (an audit)
JAW_REACH = 0.85


def jaw_limit(rig) -> float:
    """The jaw opening at which the chin has dropped `JAW_REACH` of its way to the fixed ring below it."""
    p = rig.points
    chin = p[M.CHIN]
    ring = M.oval_ring(p)
    below = ring[ring[:, 1] > chin[1]]
    gap = float(below[np.argmin(np.abs(below[:, 0] - chin[0])), 1] - chin[1])
    return JAW_REACH * gap / max(float(rig.fields["jaw"][M.CHIN, 1]), 1e-6)


def turned_away(rig) -> float:
    """Where the nose tip sits between the face oval's left (-1) and right (+1) edges, 0 in the middle: a 2-D
    measure of how far the head is turned from the camera (the mesh's depth is not kept)."""
    p = rig.points
    nose, xs = p[M.NOSE_TIP, 0], p[list(M.FACE_OVAL), 0]
    left, right = nose - xs.min(), xs.max() - nose
    return float((right - left) / max(right + left, 1e-9))


def soft_cap(x: np.ndarray, limit: float, knee: float = 0.8) -> np.ndarray:
    """``x`` as it is up to ``knee`` of ``limit``, then bending smoothly towards ``limit`` and never past it (a hard
    clip would hold the jaw still on every loud syllable)."""
    k = knee * limit
    span = limit - k
    return np.where(x <= k, x, k + span * np.tanh((x - k) / span))


def _check_speech_options(opts: dict) -> None:
    """A `GenerationError` for ``phonemes`` that are not timed phonemes, or ``speech`` that is not a mapping (a
    string of phonemes and a number had been TypeErrors deep in the viseme and report code: an audit)."""
    phonemes = opts.get("phonemes")
    if phonemes is not None:
        ok = isinstance(phonemes, (list, tuple)) and all(
            isinstance(p, dict) and {"phoneme", "start_s", "end_s"} <= set(p)
            and all(isinstance(p[k], numbers.Real) and not isinstance(p[k], bool) and math.isfinite(p[k])
                    for k in ("start_s", "end_s")) for p in phonemes)
        if not ok:
            raise GenerationError("face option 'phonemes' must be a list of {phoneme, start_s, end_s} timings (the "
                                  f"studio passes them from the speech it made), got {phonemes!r:.80}")
    speech = opts.get("speech")
    if speech is not None and not isinstance(speech, dict):
        raise GenerationError(f"face option 'speech' must be a mapping (the speech's provenance), got {speech!r:.80}")


OPTIONS = {"portrait": "a portrait image path, Image or array (default: the astronaut)",
           "audio": "the speech as Audio (the studio passes it)",
           "phonemes": "the speech's phoneme timings [{phoneme, start_s, end_s}] (the studio passes them)",
           "speech": "the speech's provenance (recorded in the result)"}


MIN_DURATION_S = 0.1  #: shortest video: a couple of frames (a shorter recording is a click, not speech)
#: Parted lips (inner-lip gap, in eye distances) beyond which the portrait gets a note: the rest face closes them
#: (`Rig.relax`), and a 2-D warp cannot close a wide-open or laughing mouth cleanly. Of the eight OASIS face
#: photos with gaps above 0.2, three broad laughs with teeth showing came out smeared at rest (0.22, 0.33, 0.51)
#: and the others clean or nearly so (0.22-0.42), so the note says "can"; the astronaut (0.16) is clean. FER2013's
#: neutral faces: 0.012 (median).
OPEN_MOUTH = 0.2
#: A face whose eye line is turned more than this from level (degrees) is noted: the photo stands on its side
SIDEWAYS_DEG = 45.0
#: How far towards one edge of the face its nose may sit before the portrait is noted as turned away
#: (`turned_away`): 0.78 for OASIS's Excited_face_4 (about 56 degrees), 0.72 and 0.54 for the most turned of the
#: nine evaluation portraits, 0.01 for the astronaut (measured 2026-12-06)
TURNED_AWAY = 0.75


@dataclass(frozen=True)
class AnimatorConfig:
    fps: float = 25.0
    max_side: int = 1024  #: larger portraits are scaled down to this (frames per second matter more)
    max_duration_s: float = 60.0  #: longest video (about 1500 frames)
    silent_duration_s: float = 3.0  #: a clip without speech lasts this long unless duration_s says otherwise
    head_motion: float = 1.0  #: scale of the head's sway (0: still)
    blink_rate_per_min: float = 17.0  #: at neutral arousal (Bentivoglio et al. 1997: 17 +- 8 at rest)
    expressiveness: float = 1.0  #: scales every expression action unit (1: posed apex displacements at intensity 1)
    relax: bool = True  #: bring the portrait's own smile / open mouth to rest before adding the emotion
    shading: float = 1.0  #: strength of the learned expression shading (`texture`; 0: geometry only)
    eyeballs: bool = True  #: eyeballs drawn behind the lids (`eyes`): wide eyes show white, not a stretched iris
    landmarks: str = "mediapipe"  #: or "face-alignment": FAN refines the mesh (weights on disk only; `fan`)
    fan_weights: str | None = None  #: 2DFAN-4 checkpoint path (default: torch hub's checkpoints folder)
    fan_modules: int = 4  #: FAN's stacked hourglasses (4 in the published 2DFAN-4)

    def __post_init__(self) -> None:
        """Values in range, or a `GenerationError` naming the field: `--config` reaches them, and fps=0 was a
        ZeroDivisionError traceback, head_motion=NaN a broadcasting error, head_motion=1e6 a video with the face
        off the frame (exit 0), and max_side=10 blamed the photo for being small."""
        from conditioning.registry import check_ranges

        check_ranges(KEY, self, (("fps", 1, 120), ("max_side", 128, 8192), ("max_duration_s", MIN_DURATION_S, 3600),
                                 ("silent_duration_s", MIN_DURATION_S, 3600), ("head_motion", 0, 3),
                                 ("blink_rate_per_min", 0, 120), ("expressiveness", 0, 3), ("shading", 0, 2),
                                 ("fan_modules", 1, 8)), whole=("max_side", "fan_modules"), error=GenerationError)


class FaceAnimator:
    modality = "face"
    name = "animator"

    def __init__(self, config: AnimatorConfig | None = None, **overrides: Any):
        from conditioning.registry import configure

        self.config = configure(AnimatorConfig, config, overrides, KEY, GenerationError)
        if self.config.landmarks not in ("mediapipe", "face-alignment"):
            raise GenerationError(f"unknown landmarks backend {self.config.landmarks!r}; known: mediapipe, face-alignment")
        self._fitter = M.MeshFitter()
        self._fan = None
        if self.config.landmarks == "face-alignment":  # fails here, with the path, when the weights are absent
            from .fan import FanRefiner

            self._fan = FanRefiner(self.config.fan_weights, self.config.fan_modules)
        self._lock = threading.Lock()
        self._cache: dict[Any, tuple[M.Portrait, A.Rig, Warper]] = {}

    # ------------------------------------------------------------------------------------------ portrait
    def portrait(self, source: Any = None) -> tuple[M.Portrait, A.Rig, Warper]:
        """The portrait, its action rig and its warper (cached per portrait: fitting costs ~0.3 s)."""
        if source is None:
            pixels, name, key = M.default_portrait(), "astronaut (skimage.data, public domain)", "astronaut"
        elif isinstance(source, (str, Path)):
            p = Path(source)
            try:
                pixels = load_image(p).pixels
            except MediaError as exc:
                raise GenerationError(f"portrait: {exc}") from None
            name, key = p.name, ("file", str(p.resolve()), p.stat().st_mtime_ns)
        else:
            try:
                pixels = source.pixels if isinstance(source, Image) else Image(np.asarray(source)).pixels
            except (MediaError, ValueError) as exc:
                raise GenerationError(f"portrait: {exc}") from None
            name, key = "image", ("array", content_key(pixels))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        portrait = self._fit(pixels, f"the portrait ({name})", name)
        if self._fan is not None:
            lm = self._fan.refine(portrait.pixels, portrait.landmarks)
            portrait = replace(portrait, landmarks=lm, frame=M.FaceFrame.of(lm))
        rig = A.Rig(portrait.face_points)
        rest = rig.relax() if self.config.relax else np.zeros_like(rig.points)
        shading = None
        if self.config.shading > 0:
            from .texture import load

            smile = load().degree(portrait.face_points, "joy") if self.config.relax else 0.0
            shading = {"joy": -float(np.clip(smile, 0.0, APEX))} if smile > 0 else {}
        warper = Warper(portrait, portrait.frame.vectors_to_image(rest), shading=shading, eyeballs=self.config.eyeballs)
        rig.fields["rest"] = rest
        with self._lock:
            if len(self._cache) > 8:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = (portrait, rig, warper)
        return portrait, rig, warper

    def _fit(self, pixels: np.ndarray, what: str, name: str) -> M.Portrait:
        """The mesh of the photo scaled to `_fit_size`; where that leaves the face too small to animate, of a
        crop of the photo around the face at its own resolution, `AnimatorConfig.max_side` at most (a face 98 px
        between the eyes in a 6000x4000 photo was refused as 18 px, with the advice to give a larger image)."""
        h, w = pixels.shape[:2]
        scaled = self._fit_size(pixels)
        if scaled.shape[:2] == (h, w) or min(scaled.shape[:2]) < 128:  # not scaled down: the fit says what is wrong
            return self._fitter.fit(scaled, what=what, source=name, size=(w, h))
        try:
            found = self._fitter.fit(scaled, what=what, source=name, min_iod=0.0)
        except GenerationError:  # scaled down, a face can be too small for the detector: look at full resolution
            centre = self._find_in_windows(pixels)
            if centre is None:
                raise
            return self._crop_around(pixels, centre, what, name)
        if found.frame.iod >= M.MIN_IOD_PX:
            return found
        s = scaled.shape[1] / w
        iod = found.frame.iod / s  # in the photo's own pixels
        if iod < M.MIN_IOD_PX:
            raise GenerationError(f"the face in {what} is too small ({iod:.0f} px between the eyes in its {w}x{h} "
                                  f"px; at least {M.MIN_IOD_PX:.0f} needed): give a photo in which the face is larger")
        return self._crop_around(pixels, found.landmarks[:, :2].mean(axis=0) / s, what, name)

    def _window(self, w: int, h: int) -> tuple[int, int]:
        """(width, height) of a window of the photo's shape, `AnimatorConfig.max_side` long, no wider or taller
        than 16:9 and within the photo. Why the bound: a window of an 8000x1000 panorama's shape was 1024x128 px,
        shorter than the face in it, and the video showed the face's middle strip."""
        side, ratio = self.config.max_side, min(max(w / h, 9 / 16), 16 / 9)
        cw, ch = (side, side / ratio) if ratio >= 1 else (side * ratio, side)
        return min(int(cw), w), min(int(ch), h)

    def _crop_around(self, pixels: np.ndarray, centre: np.ndarray, what: str, name: str) -> M.Portrait:
        """The mesh of the window of the photo (`_window`) centred on ``centre`` (x, y in the photo's pixels), which
        the video then shows; the portrait records where it lies in the photo (``crop``)."""
        h, w = pixels.shape[:2]
        cw, ch = self._window(w, h)
        x0 = int(np.clip(centre[0] - cw / 2, 0, w - cw))
        y0 = int(np.clip(centre[1] - ch / 2, 0, h - ch))
        crop = self._fit_size(pixels[y0:y0 + ch, x0:x0 + cw])
        portrait = self._fitter.fit(crop, what=what, source=name)
        return replace(portrait, crop=(x0, y0, crop.shape[1], crop.shape[0]))

    def _find_in_windows(self, pixels: np.ndarray) -> "np.ndarray | None":
        """The centre (x, y) of the largest face meshed in half-overlapping windows of the photo at its own
        resolution (`_window`), or None. Why: scaled to 1024 px, a face of 63 px between the eyes in a 6000x4000
        photo (a person in a scene) was 11 px, under what MediaPipe's detector finds, and the photo was refused as
        "no face found"; at full resolution a window holds it at its own size. Only tried when the scaled photo
        shows no face (a 6000x4000 photo is about 40 windows)."""
        h, w = pixels.shape[:2]
        cw, ch = self._window(w, h)
        starts = lambda n, size: sorted({*range(0, max(n - size, 0) + 1, max(size // 2, 1)), max(n - size, 0)})  # noqa: E731
        found = []  # (the mesh's area, its centre in the photo)
        for y0 in starts(h, ch):
            for x0 in starts(w, cw):
                lm = M.largest_mesh(self._fitter.finder.find(np.ascontiguousarray(pixels[y0:y0 + ch, x0:x0 + cw])))
                if lm is not None:
                    found.append((M.mesh_area(lm), lm.mean(axis=0) + (x0, y0)))
        return max(found, key=lambda f: f[0])[1] if found else None

    def _fit_size(self, pixels: np.ndarray) -> np.ndarray:
        """At most ``max_side`` px and even sides (H.264 in 4:2:0 needs them)."""
        import cv2

        h, w = pixels.shape[:2]
        s = min(1.0, self.config.max_side / max(h, w))
        nw, nh = int(w * s) // 2 * 2, int(h * s) // 2 * 2
        if min(nw, nh) < 2:  # a 1 px side: nothing to resize; the mesh fit refuses it with the size it needs
            return np.ascontiguousarray(pixels)
        if (nw, nh) != (w, h):
            pixels = cv2.resize(pixels, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        return np.ascontiguousarray(pixels)

    # ---------------------------------------------------------------------------------------- generating
    def generate(self, request: GenerationRequest) -> GenerationResult:
        t0 = time.perf_counter()
        opts = check_options(request, OPTIONS, KEY, self.config)
        portrait, rig, warper = self.portrait(opts.get("portrait"))
        t_fit = time.perf_counter()
        audio = opts.get("audio")
        if audio is not None and not isinstance(audio, Audio):
            raise GenerationError("face option 'audio' must be Audio (use conditioning.media.load_audio)")
        _check_speech_options(opts)
        fps = self.config.fps
        duration = audio.duration_s if audio is not None else (
            self.config.silent_duration_s if request.duration_s is None else float(request.duration_s))
        if not (MIN_DURATION_S <= duration <= self.config.max_duration_s):  # (also NaN)
            span = f"{MIN_DURATION_S:g} to {self.config.max_duration_s:g} s"
            if audio is None and not opts.get("phonemes"):  # a silent clip: its length is the one given (it was told
                raise GenerationError(f"a silent face clip lasts {span}; got duration {request.duration_s!r}")  # to
                # split the text, and 'nan' was "would last nan s")
            advice = ("split the text or the recording into several videos" if duration > MIN_DURATION_S
                      else "give at least a word, or a recording of at least that long")
            raise GenerationError(f"the face video would last {duration:.2f} s; {KEY} makes {span}: {advice}")
        # enough frames to cover the sound: rounded (half to even), a 2.5-s recording had 62 frames, 2.48 s of video
        # under 2.5 s of sound; the thousandth of a frame keeps a float's excess (3.0000001 s) from adding one
        n = max(1, math.ceil(duration * fps - 1e-3))
        if opts.get("phonemes"):
            mouth, source = V.from_phonemes(opts["phonemes"], n, fps), "phonemes"
            if audio is not None:  # louder syllables open the jaw wider (jaw opening tracks vocal effort)
                mouth = V.with_loudness(mouth, audio.mono().samples, audio.rate, fps)
        elif audio is not None:
            mouth, source = V.from_audio(audio.mono().samples, audio.rate, n, fps), "audio"
        else:
            mouth, source = {k: np.zeros(n) for k in V.PARAMS}, "none"
        tracks = self.tracks(request, mouth, n)
        if mouth["jaw"].any():  # speech added to the expression's jaw: the chin stays short of the warp's fixed
            # ring (a silent expression is left as it is: surprise's 0.9 tore nothing, and bounding it cost the
            # classifier 1 of 54 nine-portrait takes open loop and 3 with the loop in bench/face_fidelity.py)
            tracks["jaw"] = soft_cap(tracks["jaw"], jaw_limit(rig))
        tracks.update(A.speaking_closers(rig, tracks, mouth["jaw"]))  # (a sad face had cancelled its speech)
        t_plan = time.perf_counter()
        frames = np.empty((n, *portrait.pixels.shape), np.uint8)
        head = self._head_motion(request, tracks, n)
        centre = portrait.landmarks[M.NOSE_TIP, :2]
        for k in range(n):
            d = portrait.frame.vectors_to_image(rig.displacement({"rest": 1.0, **{a: tracks[a][k] for a in A.ACTIONS}}))
            c, s = np.cos(head[k, 0]), np.sin(head[k, 0])
            rel = portrait.landmarks[:, :2] + d - centre
            rot = rel @ np.array([[c, s], [-s, c]]) + centre + portrait.frame.vectors_to_image(head[k, 1:])
            frames[k] = warper.render(rot - portrait.landmarks[:, :2],
                                      {a: tracks[a][k] for a in A.EXPRESSION_ACTIONS if tracks[a][k] > 0.05},
                                      {e: tracks[f"shade_{e}"][k] for e in SHADED})
        t_render = time.perf_counter()
        video = Video(frames, fps, audio)
        applied = {a: round(float(np.max(v)), 4) for a, v in tracks.items() if a in A.EXPRESSION_ACTIONS and np.max(v) > 0}
        speech = opts.get("speech") or {}
        default = opts.get("portrait") is None  # not read off the source's name: a user's file may start "astronaut"
        # the default portrait's caveat travels with every take and dataset card, as the README gives it
        licence = "portrait: " + ("public domain (NASA, via scikit-image); it shows a real, identifiable person "
                                  "(astronaut Eileen Collins): animating her face for published or commercial content "
                                  "may need consent (publicity rights, NASA's guidelines on astronauts' images)"
                                  if default else "the user's") + "; mesh: MediaPipe face mesh, Apache-2.0"
        if warper.textures is not None:
            licence += ("; expression shading: ratio images averaged from FER2013 faces (research use only; "
                        "--config shading=0 or AnimatorConfig(shading=0) leaves it out)")
        provenance = Provenance(KEY, "mediapipe-face-mesh-478 + EMFACS action units", licence, request.seed)
        extras: dict[str, Any] = {
            "fps": fps, "frames": n, "mouth_from": source,
            "portrait": {"source": portrait.source, "default": default, "size": list(portrait.pixels.shape[1::-1]),
                         "iod_px": round(portrait.frame.iod, 1), "faces": portrait.faces,
                         **({"crop": list(portrait.crop)} if portrait.crop is not None else {})},
            "mouth_open": [round(float(x), 3) for x in tracks["jaw"]],
            "shading": ({"peak": {e: round(float(np.max(tracks[f"shade_{e}"])), 3) for e in SHADED
                                  if np.max(tracks[f"shade_{e}"]) > 0},
                         "rest": {e: round(w, 3) for e, w in warper.textures.rest.items()}}
                        if warper.textures is not None else None),
        }
        notes = [f"the portrait has {portrait.faces} faces; animated the largest"] if portrait.faces > 1 else []
        if portrait.crop is not None:
            x, y, cw, ch = portrait.crop
            notes.append(f"the face is small in the photo, so the video shows a {cw}x{ch} px part of it around the face "
                         f"(from x {x}, y {y}) at the photo's own resolution")
        if source == "audio" and not mouth["jaw"].any():  # silence, a steady tone, a hum: nothing to follow
            notes.append("the recording has no syllables standing out of its background (silence, a steady tone or "
                         "noise), so the mouth stays closed; give a recording of the voice")
        roll = float(np.degrees(np.arctan2(portrait.frame.axes[0][1], portrait.frame.axes[0][0])))
        if abs(roll) > SIDEWAYS_DEG:  # a phone photo without its EXIF turn: animated on its side, and read sad
            notes.append(f"the face is turned {abs(roll):.0f} degrees {'clockwise' if roll > 0 else 'anticlockwise'} in "
                         "the photo, and is animated as it stands; the judges read faces upright (a sideways face "
                         "read sad or angry for joy): turn the photo so the face is upright")
        if portrait.maybe_upside_down:
            notes.append("the face may not be upright in the photo (the face detector, or the shading of its eyes, "
                         "finds it upright rather with the photo turned); if the mouth moves on the forehead or a "
                         "cheek, turn the photo so the face is upright")  # (not "turned 180 degrees": a tilted
            # photo was told so too: a re-audit)
        turn = turned_away(rig)
        if abs(turn) > TURNED_AWAY:  # a 2-D warp cannot turn the head: a face turned about 56 degrees was animated
            # with its mouth smeared across the cheek, and no word (an audit)
            notes.append(f"the face is turned well away from the camera (its nose {abs(turn):.2f} of the way from the "
                         "face's middle to its edge); the animator warps the photo in 2-D and works best on frontal "
                         "faces, so the mouth may smear across the cheek: use a frontal portrait")
        if self.config.relax and rig.lip_gap > OPEN_MOUTH:
            notes.append(f"the portrait's mouth is open ({rig.lip_gap:.2f} of the eye distance); the animator closes it "
                         "for the face at rest, which can smear a wide-open or laughing mouth: if it looks smeared, use "
                         "a portrait with the mouth closed or slightly open")
        if notes:  # said to the user by the CLI and the web page (`notes`)
            extras["notes"] = notes
        if speech:
            extras["speech"] = dict(speech)
        timings = {"fit_s": t_fit - t0, "plan_s": t_plan - t_fit, "render_s": t_render - t_plan,
                   "fps_rendered": n / max(t_render - t_plan, 1e-9)}
        return GenerationResult(video, {**applied, **{k: v for k, v in request.controls.items()}}, provenance,
                                timings, extras)

    def tracks(self, request: GenerationRequest, mouth: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        """Per-frame intensity of every action (`actions.ACTIONS`): expression (from the emotion at each
        frame), speech, blinks, gaze; and the frame's ``arousal``, which the head motion follows."""
        fps = self.config.fps
        out = {a: np.zeros(n) for a in A.ACTIONS}
        offsets = {k[3:]: float(v) for k, v in request.controls.items() if k.startswith("au_")}
        cache: dict[Any, dict[str, float]] = {}
        arousal = np.zeros(n)
        valence = np.zeros(n)
        for e in SHADED:
            out[f"shade_{e}"] = np.zeros(n)
        for k in range(n):
            emo = request.emotion_at(k / fps)
            key = (tuple(sorted(emo.mix.items())), round(emo.intensity, 3))
            if key not in cache:
                gain = self.config.expressiveness * float(request.controls.get("gain", 1.0))
                au = {k: v * gain for k, v in A.expression(emo.mix, emo.intensity).items()}
                for name, off in offsets.items():
                    au[name] = float(np.clip(au.get(name, 0.0) + off, 0.0, 1.3))
                for e, w in A.basic_mix(emo.mix).items():  # the learned shading follows the same weights
                    if e in SHADED:
                        au[f"shade_{e}"] = float(np.clip(w * emo.intensity * gain * self.config.shading * APEX,
                                                         0.0, 3.0))
                cache[key] = au
            for name, a in cache[key].items():
                out[name][k] = a
            arousal[k], valence[k] = emo.arousal, emo.valence  # coordinates already include the intensity
        press = mouth["press"]
        out["jaw"] = out["jaw"] * (1 - press) + mouth["jaw"]  # (bounded per portrait in `generate`: `jaw_limit`)
        for name in ("spread", "round", "press", "tuck"):
            out[name] = out[name] + mouth[name]
        rng = np.random.default_rng([request.seed, 17])
        blink = self._blinks(rng, arousal, n)
        out["blink_r"] = out["blink_l"] = blink * (1 - 0.6 * np.clip(out["AU5"], 0, 1))
        gx, gy = self._gaze(rng, arousal, n)
        out["gaze_x"] = gx
        out["gaze_y"] = gy + 0.5 * np.clip(-valence, 0, 1)  # a sad face looks down
        out["arousal"] = arousal  # not an action: what the head motion scales with
        return out

    def _blinks(self, rng: np.random.Generator, arousal: np.ndarray, n: int) -> np.ndarray:
        """Eyelid closure per frame: blinks at random intervals (rate rising with arousal), each closing in
        ~80 ms and opening in ~170 ms."""
        fps = self.config.fps
        out = np.zeros(n)
        t = rng.uniform(0.4, 2.0)
        while t < n / fps:
            k = int(t * fps)
            for j, v in enumerate((0.55, 1.0, 0.75, 0.4, 0.15)):
                if k + j < n:
                    out[k + j] = max(out[k + j], v)
            rate = self.config.blink_rate_per_min * (1 + 0.5 * arousal[min(k, n - 1)])
            t += max(0.8, rng.exponential(60.0 / max(rate, 1.0)))
        return out

    def _gaze(self, rng: np.random.Generator, arousal: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Fixations of 0.6-2.5 s joined by quick saccades; wider and more frequent when aroused."""
        fps = self.config.fps
        gx, gy = np.zeros(n), np.zeros(n)
        k, x, y = 0, 0.0, 0.0
        while k < n:
            a = 0.4 + 0.6 * np.clip(arousal[k], 0, 1)
            x_new, y_new = (rng.normal(0, 0.35 * a), rng.normal(0, 0.2 * a)) if rng.random() < 0.6 else (0.0, 0.0)
            dur = int(rng.uniform(0.6, 2.5) / (0.7 + 0.6 * a) * fps)
            for j in range(dur):
                if k + j >= n:
                    break
                s = min(1.0, (j + 1) / 2)  # a saccade takes ~2 frames
                gx[k + j], gy[k + j] = x + (x_new - x) * s, y + (y_new - y) * s
            k, x, y = k + max(dur, 1), x_new, y_new
        return np.clip(gx, -1, 1), np.clip(gy, -1, 1)

    def _head_motion(self, request: GenerationRequest, tracks: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """(n, 3): roll in radians and a translation (x, y) in face units; a sum of slow sinusoids with seeded
        phases, larger with arousal and while speaking."""
        from scipy.ndimage import uniform_filter1d

        fps = self.config.fps
        rng = np.random.default_rng([request.seed, 29])
        t = np.arange(n) / fps
        a = 0.4 + 0.6 * np.clip(tracks["arousal"], 0, 1)
        talk = 0.8 + 0.4 * uniform_filter1d(tracks["jaw"], 13, mode="nearest")
        out = np.zeros((n, 3))
        for axis, amp in enumerate((np.radians(1.6), 0.018, 0.014)):
            for f in (0.13, 0.29, 0.53):
                out[:, axis] += amp / 3 * np.sin(2 * np.pi * f * rng.uniform(0.8, 1.2) * t + rng.uniform(0, 2 * np.pi))
        return out * (a * talk)[:, None] * self.config.head_motion

    def neutral_reference(self, request: GenerationRequest) -> Image:
        """The same face at rest (no expression, eyes open, head still): what a judge that can measure against
        the same person's neutral face (the geometric one) compares each frame with."""
        opts = check_options(request, OPTIONS, KEY, self.config)
        portrait, rig, warper = self.portrait(opts.get("portrait"))
        return Image(warper.render(portrait.frame.vectors_to_image(rig.fields["rest"])))

    # ----------------------------------------------------------------------------------------- the loop
    def correct(self, request: GenerationRequest, target: Emotion, reading) -> GenerationRequest:
        """Move each action unit against the measured error: the AUs the target's prototype calls for minus
        those of the emotion the judges read (gain 0.8, offsets bounded to [-1, 1]); and while the judges
        hear another emotion, make the target's whole expression 25 % stronger (up to 1.6 times the posed apex:
        a photo-trained judge needs a clearer face than a person does)."""
        from conditioning.metrics import category_agrees

        want = A.expression(target.mix, target.intensity)
        seen_emotion = reading.emotion
        seen = A.expression(seen_emotion.mix, max(seen_emotion.intensity, 0.5))
        c = dict(request.controls)
        for au in set(want) | set(seen):
            if au in ("jaw",) and request.options.get("phonemes"):
                gain = 0.4  # the speech moves the jaw too: correct it gently
            else:
                gain = 0.8
            off = c.get(f"au_{au}", 0.0) + gain * (want.get(au, 0.0) - seen.get(au, 0.0))
            c[f"au_{au}"] = float(np.clip(off, -1.0, 1.0))
        if category_agrees(target, seen_emotion) is False:
            c["gain"] = float(min(1.6, c.get("gain", 1.0) * 1.25))
        return replace(request, controls=c)


__all__ = ["AnimatorConfig", "FaceAnimator"]
