"""What the session loop (`emostudio session --loop N`) buys: each round's mean clip fidelity, the round kept.

    python bench/session_loop.py [--minutes 10] [--clip 30] [--loop 2] [--pairs sadness:calm,calm:joy ...]

Builds one iso-principle session per (from, to) pair with both music judges and ``--loop`` correction rounds,
and prints, per session, every round's mean clip fidelity (round 0 is the open-loop session, the baseline of
the same run), by both judges (what the loop ranks rounds by) and by `music/embedded` alone (the judge no rule of the
composer was chosen on; `music/symbolic` was; version 5's flowing calm arpeggios, a rule from human pieces, were
accepted on both judges' readings of seeds 0-5 and checked on seeds 6-17: `bench/music_flow.py`; version 6's melody on
top, a rule from how listeners hear polyphony, was shipped on its check by both judges on seeds 6-17:
`bench/music_top_voice.py`), the round kept (whole rounds only: one continuous piece)
and the time. The loop corrects against both judges, so no loop gain here is an independent figure; it says
whether the extra rounds are worth their time, not whether listeners hear more.

2026-12-05 (this code): a later round kept in 3 of 6; mean gain music/embedded +0.019, both judges +0.012; none into calm (sadness -> calm, music/embedded 0.873, 0.871, 0.844). On eight other sessions
(--pairs grief:serenity,rage:relief,boredom:excitement,fear:calm,melancholy:hope,tension:contentment,
contentment:excitement,despair:serenity): 5 of 8, music/embedded +0.016, both +0.007. Tried and not kept (judged
by both judges' mean; per-judge figures not recorded then): correcting towards the target clipped to the
judges' reach (+0.006 against +0.013 then, while the symbolic judge read clips in memory), no push on an axis
whose reading is within 0.05 of the reach's edge (+0.007), and, fixed before its one run on the eight, holding
the arousal push at the edge where it opposes the valence error (+0.0066 against +0.0065, 0.008 lost on
rage -> relief).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

INDEPENDENT = "music/embedded"  #: the judge no composer rule was chosen on (the loop still corrects on it)

#: from -> to: into calm from three places, and away from it or from sadness towards joy and contentment
PAIRS = ("sadness:calm", "anxiety:calm", "anger:calm", "calm:joy", "sadness:joy", "fear:contentment")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--clip", type=float, default=30.0)
    p.add_argument("--loop", type=int, default=2, help="correction rounds (default 2)")
    p.add_argument("--pairs", default=",".join(PAIRS), help="from:to pairs, comma-separated")
    args = p.parse_args(argv)
    if args.loop < 1:
        p.error("--loop must be at least 1: the bench compares a session's rounds")

    from studio.session import build_session
    from studio.studio import Studio

    studio = Studio()
    print(f"{args.minutes:g}-min sessions of {args.clip:g}-s clips, --loop {args.loop}, both music judges; "
          f"mean clip fidelity per round: both judges (what the loop ranks by), and {INDEPENDENT} alone (no rule of "
          f"the composer was chosen on it; the loop corrects against it too)")
    print(f"{'session':<26} {'both judges':<22} {'kept':>4} {'gain':>7} {INDEPENDENT:<22} {'gain':>7} {'s':>6}")
    gains, own = [], []
    for pair in args.pairs.split(","):
        current, target = pair.split(":")
        with tempfile.TemporaryDirectory(prefix="session-loop-") as out:
            t = time.perf_counter()
            s = build_session(current, target, out, minutes=args.minutes, clip_s=args.clip, studio=studio,
                              loop=args.loop).summary
            took = time.perf_counter() - t
        rounds, kept = s["rounds_mean_fidelity"], s["kept_round"]
        alone = [r[INDEPENDENT] for r in s["rounds_mean_fidelity_per_judge"]]
        gains.append(rounds[kept] - rounds[0])
        own.append(alone[kept] - alone[0])
        print(f"{current + ' -> ' + target:<26} {', '.join(f'{f:.3f}' for f in rounds):<22} {kept:>4} "
              f"{gains[-1]:>+7.3f} {', '.join(f'{f:.3f}' for f in alone):<22} {own[-1]:>+7.3f} {took:>6.1f}")
    helped = sum(g > 0 for g in gains)
    print(f"the loop kept a later round in {helped} of {len(gains)} sessions; mean gain {sum(gains) / len(gains):+.3f} "
          f"(both judges), {sum(own) / len(own):+.3f} ({INDEPENDENT} alone)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
