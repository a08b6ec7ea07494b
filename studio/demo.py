"""``emostudio demo``: an HTML page that shows what the studio does, built from the real code paths.

Sections: the vocabulary on the valence-arousal plane, an iso-principle session plan, then one section per
modality (``MODALITY_SECTIONS``). A modality whose backend cannot run here says why instead of its section.
"""
from __future__ import annotations

import html
import json
import os
from pathlib import Path

from conditioning import VOCABULARY, Emotion, plan_iso

EXAMPLE_SPECS = ("joy:0.6+surprise:0.4", "anger@0.3", "v=0.7,a=0.5", "bittersweet", "quietly hopeful")

#: modality -> "module:function" returning an HTML fragment for the demo page, given the output folder
MODALITY_SECTIONS = {"speech": "studio.demo_speech:demo_speech", "music": "studio.demo_music:demo_music",
                     "face": "studio.demo_face:demo_face", "image": "studio.demo_image:demo_image"}


def _modality_sections(out: Path) -> tuple[str, list[str]]:
    """(the modality sections' HTML, a line for each section left out and why). An earlier demo's media of a
    modality are removed first: a section left out this time had kept its old videos in the folder."""
    import importlib
    import shutil

    from conditioning.registry import BackendUnavailable

    parts, skipped = [], []
    for modality, path in MODALITY_SECTIONS.items():
        shutil.rmtree(out / modality, ignore_errors=True)
        module, _, func = path.partition(":")
        try:
            parts.append(getattr(importlib.import_module(module), func)(out))
        except (BackendUnavailable, ModuleNotFoundError) as exc:
            parts.append(f"<section id=\"{modality}\"><h2>{modality.title()}</h2><p>Not shown: "
                         f"{html.escape(str(exc))}</p></section>")
            skipped.append(f"the {modality} section is left out: {exc}")
    return "\n".join(parts), skipped


def save_demo_take(path: Path, result, root: Path) -> Path:
    """Write a demo take as `generate` writes one (`studio.generate.save_take`): the media, a music take's score
    and the JSON report beside it, whose files are named from the demo's folder (``root``) so the folder can move.
    Why the report: `critique FILE` then reads the take as the loop did and as the page shows it (a face against
    the portrait at rest, speech against its neutral take); without it critique read the demo's videos against
    the population's faces, and its figures differed from the page's with no word."""
    from studio.generate import save_take

    prefixes = sorted({str(Path(root)) + os.sep, str(Path(root).resolve()) + os.sep}, key=len, reverse=True)

    def hide(text: str) -> str:
        for prefix in prefixes:
            text = text.replace(prefix, "")
        return text

    return save_take(Path(path), result, hide=hide)[0]


def _plot_vocabulary(path: Path) -> None:
    from matplotlib.figure import Figure  # (not pyplot: it would set the process's backend)

    fig = Figure(figsize=(7.5, 7.5), dpi=110)
    ax = fig.subplots()
    ax.axhline(0, color="#999", lw=0.8)
    ax.axvline(0, color="#999", lw=0.8)
    placed: list[tuple[float, float]] = []
    for t in VOCABULARY.values():
        v, a, d = t.mean
        ax.scatter(v, a, s=40 + 60 * (d + 1), c=[[0.85 - 0.4 * (v + 1) / 2, 0.3 + 0.4 * (v + 1) / 2, 0.5]], alpha=0.8)
        crowded = sum(abs(v - pv) < 0.12 and abs(a - pa) < 0.04 for pv, pa in placed)  # stack close labels
        ax.annotate(t.label, (v, a), fontsize=8, xytext=(3, 3 - 10 * crowded), textcoords="offset points")
        placed.append((v, a))
    ax.set(xlim=(-1.05, 1.05), ylim=(-1.05, 1.05), xlabel="valence", ylabel="arousal",
           title="Emotion vocabulary (NRC-VAD, marker size = dominance)")
    fig.tight_layout()
    fig.savefig(path)


def _plot_plan(plan, path: Path) -> None:
    from matplotlib.figure import Figure  # (not pyplot: it would set the process's backend)

    fig = Figure(figsize=(6.5, 6.5), dpi=110)
    ax = fig.subplots()
    ax.axhline(0, color="#bbb", lw=0.8)
    ax.axvline(0, color="#bbb", lw=0.8)
    vs = [c.emotion.valence for c in plan.clips]
    as_ = [c.emotion.arousal for c in plan.clips]
    ax.plot(vs, as_, "-", color="#4477aa", lw=1)
    sc = ax.scatter(vs, as_, c=range(len(vs)), cmap="viridis", s=30, zorder=3)
    fig.colorbar(sc, ax=ax, label="clip index")
    ax.annotate(f"start: {plan.current.top}", (vs[0], as_[0]), xytext=(5, 5), textcoords="offset points")
    ax.annotate(f"target: {plan.target.top}", (vs[-1], as_[-1]), xytext=(5, -12), textcoords="offset points")
    ax.set(xlim=(-1.05, 1.05), ylim=(-1.05, 1.05), xlabel="valence", ylabel="arousal",
           title=f"Iso-principle plan: {len(plan.clips)} clips")
    fig.tight_layout()
    fig.savefig(path)


MARK = '<meta name="generator" content="emostudio demo">'  #: tells a demo folder (rebuilt in place) from a user's
#: Written before anything else, so a demo stopped part-way (Ctrl-C, a failed take) is still known as one: the
#: page that holds `MARK` is written last, and `make demo` refused the half-built folder until it was deleted by hand
MARK_FILE = ".emostudio-demo"


def build_demo(out: str | Path, notes: list[str] | None = None) -> Path:
    """Write the demo page and its media into ``out``: a new or empty folder, or an earlier demo (rebuilt in
    place, finished or not); any other non-empty folder is refused, since the demo would overwrite its index.html.
    ``notes``, where given, gets a line for each section left out (the command line says them: a run without
    ffmpeg had said only "demo written")."""
    from studio.errors import UserError

    out = Path(out)
    if out.exists() and not out.is_dir():  # ("cannot write ...: File exists")
        raise UserError(f"{out} is a file; --out names a folder for the demo's page and media")
    if out.is_dir() and any(out.iterdir()) and not (out / MARK_FILE).is_file():
        index = out / "index.html"
        head = index.read_text(encoding="utf-8", errors="replace")[:2000] if index.is_file() else ""
        if MARK not in head and "<title>Emotion Studio demo</title>" not in head:  # (the title: demos before the mark)
            raise UserError(f"{out} is not empty and is not an earlier demo (no index.html of the studio's); give "
                            "a new or empty folder with --out")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARK_FILE).write_text("written by `emostudio demo`, which rebuilds this folder in place\n", encoding="utf-8")
    _plot_vocabulary(out / "vocabulary.png")
    plan = plan_iso("anxiety", "calm", minutes=15, clip_s=30, max_step=0.15)
    _plot_plan(plan, out / "plan.png")
    (out / "plan.json").write_text(json.dumps(plan.to_json(), indent=1), encoding="utf-8")

    rows = "".join(
        f"<tr><td><code>{html.escape(s)}</code></td><td>{e.valence:+.2f}</td><td>{e.arousal:+.2f}</td>"
        f"<td>{e.dominance:+.2f}</td><td>{e.intensity:.2f}</td>"
        f"<td>{html.escape(', '.join(f'{k} {v:.2f}' for k, v in list(e.mix.items())[:3]))}</td></tr>"
        for s, e in ((s, Emotion.parse(s)) for s in EXAMPLE_SPECS))
    clips = "".join(
        f"<tr><td>{c.index}</td><td>{c.start_s:.0f}-{c.end_s:.0f}</td><td>{c.emotion.valence:+.2f}</td>"
        f"<td>{c.emotion.arousal:+.2f}</td><td>{html.escape(c.emotion.top)}</td></tr>" for c in plan.clips)
    sections, skipped = _modality_sections(out)
    if notes is not None:
        notes.extend(skipped)
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">{MARK}<title>Emotion Studio demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}img,video{{max-width:100%;height:auto}}
table{{display:block;overflow-x:auto}}</style></head><body><main>
<h1>Emotion Studio</h1>
<p>One emotion space drives every generator; critics measure every output.</p>
<h2>The emotion space</h2>
<p>{len(VOCABULARY)} terms, each a Gaussian in valence-arousal-dominance space derived from the NRC-VAD
lexicon. Specs parse into coordinates, a categorical mix and an intensity:</p>
<table><tr><th>spec</th><th>valence</th><th>arousal</th><th>dominance</th><th>intensity</th><th>mix</th></tr>{rows}</table>
<p><img src="vocabulary.png" alt="vocabulary on the valence-arousal plane"></p>
<h2>A music-therapy plan (iso principle)</h2>
<p>From anxiety to calm in 15 minutes of 30-second clips, at most 0.15 valence-arousal per clip; the first clip
matches the listener's state, the last is the target (<a href="plan.json">plan.json</a>).</p>
<p><img src="plan.png" alt="planned path"></p>
<table><tr><th>clip</th><th>seconds</th><th>valence</th><th>arousal</th><th>top label</th></tr>{clips}</table>
{sections}
</main></body></html>"""
    (out / "index.html").write_text(page, encoding="utf-8")
    return out / "index.html"
