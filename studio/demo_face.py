"""The talking-face section of ``emostudio demo``: one short spoken video per basic emotion, what the two face
judges read on each, and a strip of the six expressions side by side.

`demo_face(out_dir)` writes ``out_dir/face/<emotion>.mp4`` (H.264 + AAC), ``out_dir/face/strip.png`` and
``out_dir/face/results.json`` and returns an HTML fragment whose links are relative to ``out_dir``. Each video
goes through the Studio as a user's request would: Piper speaks the sentence in the same emotion, the animator
moves the default portrait's mouth on Piper's phoneme timings and its face with the emotion's action units,
and face/classifier and face/geometric judge the frames (the closed loop may re-take once). The strip's frames
are the same expressions without speech (the last frame of a silent clip with the kept take's action-unit
corrections), so each emotion is shown at its clearest, not mid-syllable. Needs Piper, the face mesh and the
ffmpeg program; where one is missing the demo page's caller reports why instead of this section.
"""
from __future__ import annotations

import html
import json
from dataclasses import replace
from pathlib import Path

#: (emotion, sentence): one short sentence each, about two seconds of speech
CLIPS = (("joy", "We won the prize, this is wonderful!"),
         ("sadness", "I miss her more than I can say."),
         ("anger", "You broke your promise again."),
         ("surprise", "I did not expect to see you here today."),
         ("fear", "Did you hear that noise downstairs?"),
         ("disgust", "This food smells rotten and stale."))

YES_NO = {True: "yes", False: "no", None: "-"}
STRIP_S = 0.4  #: length of the silent clip whose last frame shows the expression in the strip


def demo_face(out_dir: str | Path, *, seed: int = 0, loop: int = 1) -> str:
    """Write the face demo files under ``out_dir/face`` and return the HTML fragment. ``loop``: closed-loop
    correction rounds per video (the Studio keeps the best-judged take; 0 shows the first take)."""
    import shutil

    from conditioning.registry import BackendUnavailable
    from studio.demo import save_demo_take
    from studio.studio import Studio

    if shutil.which("ffmpeg") is None:  # the page then says why instead of this section
        raise BackendUnavailable("the talking-face videos need the ffmpeg program (apt install ffmpeg)")
    folder = Path(out_dir) / "face"
    folder.mkdir(parents=True, exist_ok=True)
    st = Studio()
    gen = st.generator("face")
    judges = st.judges("face")
    rows, stills, records = [], [], {}
    licence = ""
    for emo, sentence in CLIPS:
        res = st.generate("face", emo, text=sentence, seed=seed, loop=loop if judges else 0)
        mp4 = save_demo_take(folder / f"{emo}.mp4", res, Path(out_dir))
        licence = res.best.result.provenance.licence
        records[emo] = _without_series({"text": sentence, **res.to_json()})
        # the expression without speech: the kept take's request (its AU corrections), silent
        still = replace(res.best.request, options={}, duration_s=STRIP_S)
        stills.append((emo, st.run_loop(gen, [], still).media.frames[-1]))
        rows.append(_row(emo, sentence, mp4.name, res))
    (folder / "results.json").write_text(json.dumps(records, indent=1), encoding="utf-8")
    portrait, _, _ = gen.portrait(None)
    _strip(stills, portrait.landmarks, folder / "strip.png")

    from studio.demo_speech import VOICE_LABELS

    spoken = next(iter(records.values())).get("speech", {}).get("backend", "")  # (the text had said Piper, always)
    voice = VOICE_LABELS.get(spoken.split("/")[-1], spoken or "the studio's default voice")
    names = " and ".join(f"face/{j.name}" for j in judges)
    judged = (f"judged by {names}, each reading every frame and reporting the mean (a take counts as recognised "
              "only when both name the target; fidelity: 1 - the valence-arousal distance to the target over the "
              "largest possible one)") if judges else "not judged (no face critic here)"
    head = ("<tr><th>emotion, sentence</th><th>video</th>"
            + "".join(f"<th>face/{html.escape(j.name)}: top FER-7 label</th>" for j in judges)
            + ("<th>recognised</th>" if judges else "") + "<th>voice (speech judges)</th></tr>")
    return f"""<section id="face"><h2>Talking face</h2>
<p>The embedded animator (<code>face/animator</code>) fits MediaPipe's 478-point face mesh to one portrait and
moves it per frame at 25 fps: the emotion's facial action units (EMFACS prototypes, Friesen &amp; Ekman 1983),
a mouth that follows the voice's phoneme timings (visemes, opened wider on louder syllables), natural blinks,
gaze shifts and a small head motion; each frame is a piecewise-affine warp of the portrait. The voice is
{html.escape(voice)}, speaking the sentence in the same emotion. Portrait: the astronaut from <code>skimage.data</code> (Eileen
Collins; public domain, NASA, via scikit-image). Seed {seed}, {judged}; the closed loop may re-take a video up
to {loop} time{'s' if loop != 1 else ''}, moving the action units against the judges' reading, and keeps the
best take (<a href="face/results.json">results.json</a>).</p>
<table>{head}
{''.join(rows)}</table>
<p><img src="face/strip.png" alt="the six expressions on the same portrait" width="900"></p>
<p><small>The strip: each emotion's expression with the kept take's action units, without speech (the last
frame of a {STRIP_S:g}-second silent clip), cropped around the face. {html.escape(licence)}.</small></p>
</section>"""


def _without_series(x):
    """The JSON without the judges' per-frame series (they would make the file ten times larger)."""
    if isinstance(x, dict):
        return {k: _without_series(v) for k, v in x.items() if k != "series"}
    return [_without_series(v) for v in x] if isinstance(x, list) else x


def _row(emo: str, sentence: str, video: str, res) -> str:
    cells = []
    for j in res.best.judgements:
        top = max(j.reading.native, key=j.reading.native.get)
        mark = "" if j.agrees is None else (" &#10003;" if j.agrees else " &#10007;")
        cells.append(f"<td>{html.escape(top)} {j.reading.native[top]:.2f}{mark}<br><small>fidelity "
                     f"{j.fidelity:.2f}</small></td>")
    if res.best.judgements:
        cells.append(f"<td>{YES_NO[res.best.agrees]}<br><small>fidelity {res.best.fidelity:.2f}; "
                     f"take {res.best.index + 1} of {len(res.rounds)}</small></td>")
    voice = "-"
    if res.speech is not None and res.speech.best.judgements:
        heard = ", ".join(max(j.reading.native, key=j.reading.native.get) for j in res.speech.best.judgements)
        voice = f"{html.escape(heard)}<br><small>recognised: {YES_NO[res.speech.best.agrees]}</small>"
    return (f"<tr><td>{emo}<br><small>&ldquo;{html.escape(sentence)}&rdquo;</small></td>"
            f"<td><video controls preload=\"metadata\" width=\"256\" src=\"face/{video}\" aria-label=\"talking face, {emo}\"></video></td>"
            + "".join(cells) + f"<td>{voice}</td></tr>\n")


def _strip(stills, landmarks, path: Path) -> None:
    """One row of face crops (the mesh's bounding box, padded), each labelled with its emotion."""
    from matplotlib.figure import Figure  # (not pyplot: it would set the process's backend)
    import numpy as np

    from conditioning.media import atomic_path

    h, w = stills[0][1].shape[:2]
    (x0, y0), (x1, y1) = landmarks[:, :2].min(0), landmarks[:, :2].max(0)
    pad = 0.18 * max(x1 - x0, y1 - y0)  # room for raised brows, a dropped jaw and the head's sway
    x0, y0 = int(max(x0 - pad, 0)), int(max(y0 - 1.3 * pad, 0))
    x1, y1 = int(min(x1 + pad, w)), int(min(y1 + pad, h))
    fig = Figure(figsize=(1.6 * len(stills), 1.6 * (y1 - y0) / (x1 - x0) + 0.35), dpi=120)
    axes = fig.subplots(1, len(stills))
    for ax, (emo, frame) in zip(np.atleast_1d(axes), stills):
        ax.imshow(frame[y0:y1, x0:x1], interpolation="lanczos")
        ax.set_title(emo, fontsize=10)
        ax.axis("off")
    fig.tight_layout(pad=0.3, w_pad=0.3)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight", pad_inches=0.04)


__all__ = ["demo_face"]
