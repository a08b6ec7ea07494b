"""How loud a therapy session's clips are, and whether levelling them moved the judges (the session's
`max_range_lu`, 10 LU by default), beside the composer's whole range (`max_range_lu=None`) in the same run.

    python bench/session_loudness.py [--minutes 5] [--clip 20]

For each path (calm -> joy, anxiety -> calm): every clip's BS.1770 loudness as written, their range, the whole
file's integrated loudness (target -16 LUFS) and peak, the limiter's work (the largest gain reduction and the share
of samples reduced by more than 1 dB), and the judges' mean clip fidelity and quadrant agreement (each judge's and
every judge's). The music judges read each clip alike at any gain, so the levelled session should read as the
unlevelled one. Takes about 2 minutes.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PATHS = (("calm", "joy"), ("anxiety", "calm"))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--clip", type=float, default=20.0)
    args = ap.parse_args(argv)
    import numpy as np
    import soundfile

    import conditioning.render as render
    from studio.session import build_session

    limited = []  # what `limit_peaks` did in each pass: (largest reduction dB, share of samples over 1 dB)
    plain = render.limit_peaks

    def watched(y, rate, ceiling, window_s=0.01):
        out = plain(y, rate, ceiling, window_s)
        loud = np.abs(y) > 1e-3
        reduction = -20 * np.log10(np.clip(np.abs(out[loud]) / np.abs(y[loud]), 1e-6, 1.0))
        limited.append((float(reduction.max(initial=0.0)), float((reduction > 1).mean()) if loud.any() else 0.0))
        return out

    render.limit_peaks = watched
    doc = {}
    print(f"{'session':<18} {'range':>10}  {'clips LUFS':>15}  {'whole':>6}  {'peak':>5}  {'limited':>16}  "
          f"{'fidelity':>8}  quadrant agreement (every judge; each)")
    with tempfile.TemporaryDirectory() as tmp:
        for frm, to in PATHS:
            for rng in (10.0, None):
                limited.clear()
                res = build_session(frm, to, Path(tmp) / f"{frm}-{to}-{rng}", minutes=args.minutes, clip_s=args.clip,
                                    max_range_lu=rng)
                y, rate = soundfile.read(str(res.audio), dtype="float32")
                clips = [render.integrated_loudness(y[int(c.start_s * rate):int(c.end_s * rate)], rate)
                         for c in res.clips]
                s = res.summary
                most = max((d for d, _ in limited), default=0.0)
                share = max((f for _, f in limited), default=0.0)
                row = {"range_lu": rng, "clip_lufs": [round(v, 1) for v in clips],
                       "whole_lufs": round(render.integrated_loudness(y, rate), 2), "peak": round(float(np.abs(y).max()), 3),
                       "limited_max_db": round(most, 1), "limited_share_over_1db": round(share, 4),
                       "mean_fidelity": s["mean_fidelity"], "quadrant_agreement": s["quadrant_agreement"],
                       "per_judge": s.get("quadrant_agreement_per_judge")}
                doc[f"{frm} -> {to}, {rng or 'whole'} LU"] = row
                per = ", ".join(f"{k.split('/')[1]} {v:.0%}" for k, v in (row["per_judge"] or {}).items())
                print(f"{frm + ' -> ' + to:<18} {str(rng or 'whole'):>10}  {min(clips):6.1f}..{max(clips):6.1f}  "
                      f"{row['whole_lufs']:6.1f}  {row['peak']:5.2f}  {most:4.1f} dB, {100 * share:4.1f} %  "
                      f"{row['mean_fidelity']:8.3f}  {row['quadrant_agreement']:.0%}; {per}")
    render.limit_peaks = plain
    return doc


if __name__ == "__main__":
    main()
