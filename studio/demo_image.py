"""The image section of ``emostudio demo``: the procedural generator across the valence-arousal plane, its three
styles for three emotions, and what the two image judges read on the pictures.

`demo_image(out_dir)` writes ``out_dir/image/grid.png`` (a valence-arousal grid of ``horizon`` pictures with
axis labels), ``out_dir/image/<emotion>_<style>.png`` (PNG text chunks: the emotion and the provenance) and
``out_dir/image/results.json`` (every grid cell's target and readings) and returns an HTML fragment whose links
are relative to ``out_dir``. It runs offline on one core in a few seconds: the embedded generator
(``image/procedural``) and the two embedded image judges (``image/embedded``, a regressor over colour, texture
and composition features fitted to OASIS ratings, and ``image/colour``, Valdez & Mehrabian's brightness and
saturation equations). The pictures are abstract: colour, light, shape and texture, no objects or people.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

#: valence and arousal of the grid's columns and rows
GRID = (-0.8, -0.4, 0.0, 0.4, 0.8)
GRID_STYLE = "horizon"
GRID_PX = 256
#: (emotion, why): the style row's emotions, one per affective quadrant but the calm one
STYLE_EMOTIONS = (("joy", "positive, active"), ("sadness", "negative, calm"), ("anger", "negative, active"))
STYLE_PX = 384
STYLES = ("horizon", "field", "pattern")


def demo_image(out_dir: str | Path, *, seed: int = 0) -> str:
    """Write the image demo files under ``out_dir/image`` and return the HTML fragment."""
    import numpy as np

    from conditioning import Emotion
    from conditioning.media import atomic_path
    from conditioning.metrics import ccc
    from generators.base import GenerationRequest
    from studio.generate import save_take
    from studio.studio import Studio

    folder = Path(out_dir) / "image"
    folder.mkdir(parents=True, exist_ok=True)
    st = Studio()
    gen = st.generator("image", "procedural")
    judges, missing = _judges(st)

    # the grid: one picture per (valence, arousal), the same seed (one composition), judged by both judges
    cells, records = {}, []
    for a in GRID:
        for v in GRID:
            spec = f"v={v:g},a={a:g}"
            req = GenerationRequest(Emotion.parse(spec), seed=seed, options={"style": GRID_STYLE, "size": GRID_PX})
            take = st.run_loop(gen, judges, req, 0).best
            cells[(v, a)] = take.result.media.pixels
            records.append({"spec": spec, "valence": v, "arousal": a,
                            "readings": {j.critic: {"valence": round(j.reading.valence, 4),
                                                    "arousal": round(j.reading.arousal, 4)} for j in take.judgements}})
    _plot_grid(cells, folder / "grid.png")
    stats = {}
    for name in sorted({c for r in records for c in r["readings"]}):
        rows = [r for r in records if name in r["readings"]]
        tv, ta = [r["valence"] for r in rows], [r["arousal"] for r in rows]
        mv = [r["readings"][name]["valence"] for r in rows]
        ma = [r["readings"][name]["arousal"] for r in rows]
        stats[name] = {"ccc_valence": round(ccc(tv, mv), 4), "ccc_arousal": round(ccc(ta, ma), 4),
                       "r_valence": round(float(np.corrcoef(tv, mv)[0, 1]), 4),
                       "r_arousal": round(float(np.corrcoef(ta, ma)[0, 1]), 4),
                       "range_valence": [round(min(mv), 3), round(max(mv), 3)],
                       "range_arousal": [round(min(ma), 3), round(max(ma), 3)]}

    # the styles: three emotions, each in the three styles, through the Studio as a user's request would go
    styles = STYLES
    style_rows, style_records, licence = [], {}, ""
    for emo, why in STYLE_EMOTIONS:
        cells_html = []
        for style in styles:
            res = st.generate("image", emo, backend="procedural", judges=[j.name for j in judges] or None,
                              score=bool(judges), seed=seed, options={"style": style, "size": STYLE_PX})
            prov = res.best.result.provenance
            licence = prov.licence
            name = f"{emo}_{style}.png"
            save_take(folder / name, res)  # with its report, as `generate` writes a take (critique reads it so)
            read = "<br>".join(f"{html.escape(j.critic)}: v {j.reading.valence:+.2f}, a {j.reading.arousal:+.2f}"
                               for j in res.best.judgements)
            style_records[f"{emo}/{style}"] = {"file": f"image/{name}", **res.to_json()}
            cells_html.append(f"<td><img src=\"image/{name}\" alt=\"{emo}, {style}\" width=\"200\"><br>"
                              f"<small>{read}</small></td>")
        t = Emotion.parse(emo)
        style_rows.append(f"<tr><td>{emo}<br><small>{why}<br>target v {t.valence:+.2f}, a {t.arousal:+.2f}"
                          f"</small></td>{''.join(cells_html)}</tr>\n")

    with atomic_path(folder / "results.json") as tmp:
        tmp.write_text(json.dumps({"seed": seed, "grid_style": GRID_STYLE, "grid": records, "grid_agreement": stats,
                                   "styles": style_records}, indent=1), encoding="utf-8")

    agreement = "".join(
        f"<tr><td>{html.escape(n)}</td><td>{s['ccc_valence']:+.2f}</td><td>{s['ccc_arousal']:+.2f}</td>"
        f"<td>{s['r_valence']:+.2f}</td><td>{s['r_arousal']:+.2f}</td>"
        f"<td>{s['range_valence'][0]:+.2f} .. {s['range_valence'][1]:+.2f}</td>"
        f"<td>{s['range_arousal'][0]:+.2f} .. {s['range_arousal'][1]:+.2f}</td></tr>" for n, s in stats.items())
    not_judged = (f"<p><small>Not judged here: {html.escape('; '.join(missing))}.</small></p>" if missing else "")
    table = (f"""<table><tr><th>judge</th><th>CCC valence</th><th>CCC arousal</th><th>r valence</th>
<th>r arousal</th><th>valence read</th><th>arousal read</th></tr>{agreement}</table>""" if stats else "")
    head = "".join(f"<th>{s}</th>" for s in styles)
    return f"""<section id="image"><h2>Images</h2>
<p>The embedded image generator (<code>image/procedural</code>) draws <strong>abstract pictures</strong>: colour
fields, horizon-like landscapes and patterns, with no objects, people or scenes. The emotion sets their colour,
light, shape, texture and composition: brightness and saturation from Valdez &amp; Mehrabian's (1994) equations
inverted, hue from cross-cultural colour-emotion associations (Jonauskaite et al. 2020), round shapes for
pleasant and jagged ones for threatening emotions (Bar &amp; Neta 2006), busier texture and harder contrast with
arousal, open sky and high key with valence. Each picture takes a fraction of a second on one core; the seed
fixes the composition, so a session's pictures change smoothly from clip to clip.</p>
<h3>Across the valence-arousal plane</h3>
<p>{len(GRID)}&times;{len(GRID)} <code>{GRID_STYLE}</code> pictures, seed {seed}, asked for as
<code>v=&hellip;,a=&hellip;</code> (valence left to right, arousal bottom to top):</p>
<p><img src="image/grid.png" alt="procedural pictures on a valence-arousal grid" width="760"></p>
<p>What the two image judges read on the {len(records)} grid pictures against the asked-for coordinates (Lin's
concordance CCC, which also penalises a compressed or shifted scale, and Pearson's r; per-cell readings in
<a href="image/results.json">results.json</a>):</p>
{table}{not_judged}
<p><small><code>image/embedded</code> was fitted to OASIS ratings of photographs; its readings pass through a
concordance map fitted on OASIS that restores the ratings' spread. It is not an independent certificate: the
generator's complexity and colour-variety cues were chosen after probing which of its features move it. Its
arousal follows photographic scale (close-ups read as arousing, fine detail as calm), so abstract pictures read
calm however busy they are. <code>image/colour</code> measures brightness and saturation with the very equations
the generator inverts, so its agreement confirms the colours came out as intended and says little about the
picture's emotion beyond that.</small></p>
<h3>Three styles</h3>
<p>The same three emotions in each style (seed {seed}, {STYLE_PX}&times;{STYLE_PX}; the files carry the emotion
and provenance as PNG text), with each judge's reading:</p>
<table><tr><th>emotion</th>{head}</tr>
{''.join(style_rows)}</table>
<p><small>{html.escape(licence)}.</small></p>
</section>"""


def _judges(st) -> tuple[list, list[str]]:
    """The image judges that can run here, and why the others cannot."""
    from conditioning.registry import BackendUnavailable
    from critics.registry import JUDGES

    out, missing = [], []
    for name in JUDGES["image"]:
        try:
            out.append(st.critic("image", name))
        except (BackendUnavailable, ImportError) as exc:
            missing.append(f"image/{name} ({exc})")
    return out, missing


def _plot_grid(cells: dict, path: Path) -> None:
    """The grid's pictures as one mosaic on valence-arousal axes (high arousal at the top)."""
    from matplotlib.figure import Figure  # (not pyplot: it would set the process's backend)
    import numpy as np

    from conditioning.media import atomic_path

    n, px = len(GRID), GRID_PX
    gap = px // 16
    side = n * px + (n - 1) * gap
    mosaic = np.full((side, side, 3), 255, np.uint8)
    for (v, a), pixels in cells.items():
        col, row = GRID.index(v), n - 1 - GRID.index(a)
        y, x = row * (px + gap), col * (px + gap)
        mosaic[y:y + px, x:x + px] = pixels[:px, :px]
    step = GRID[1] - GRID[0]
    lo, hi = GRID[0] - step / 2, GRID[-1] + step / 2
    fig = Figure(figsize=(8.2, 8.4), dpi=120)
    ax = fig.subplots()
    ax.imshow(mosaic, extent=(lo, hi, lo, hi), interpolation="lanczos")
    ax.set_xticks(GRID)
    ax.set_yticks(GRID)
    ax.set_xticklabels([f"{v:+.1f}" for v in GRID])
    ax.set_yticklabels([f"{a:+.1f}" for a in GRID])
    ax.set_xlabel("valence (unpleasant \u2192 pleasant)")
    ax.set_ylabel("arousal (calm \u2192 excited)")
    ax.set_title(f"image/procedural, style {GRID_STYLE}: abstract pictures across the valence-arousal plane",
                 fontsize=10)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


__all__ = ["demo_image"]
