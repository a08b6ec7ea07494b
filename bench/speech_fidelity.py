"""Emotional speech fidelity: do the speech critic and a recogniser hear what was asked?

    OMP_NUM_THREADS=1 python bench/speech_fidelity.py [--backend piper] [--critic embedded|encoder] [--loop 2]
                                                      [--sentences 5] [--intensities 0.33,0.67,1] [--no-wer] [--json]
                                                      [--render-off frames|spectrum ...]

8 emotions (the RAVDESS-8 labels as vocabulary terms) x intensities x sentences, one take each (seed = sentence
index). Reported:
- speech-critic top-1 agreement: the critic's native RAVDESS label equals the target's, per intensity, open
  loop, under three critic conditions: ``speaker`` (what the studio does: the neutral take of the same
  sentence and voice is the critic's `speaker_reference`; neutral takes then trivially read neutral, so the
  figure without them is given too), ``population`` (knowing nothing of the voice) and ``voice_z`` (the
  speaker-normalised model, z-normalised over all the open-loop takes of the voice: the protocol of most
  published RAVDESS figures); the EmoDB head's top-1 on the six terms EmoDB has, a second judge trained on
  other voices (German actors) and never used by the calibration;
- closed loop at full intensity (`Studio.run_loop` with the generator's `correct()`, ``--loop`` rounds, best
  kept; the studio's ``speaker`` condition);
- arousal CCC between target and measured arousal over all takes;
- pocketsphinx word error rate of the full-intensity takes against the neutral takes (intelligibility kept
  within 15 points is the target).
``--critic encoder`` reports the independent judge: the profiles are calibrated in the first judge's feature
space (studio/calibrate.py), so the figures of this bench's default judge (`embedded`) are not an independent check of them.
``--render-off NAME`` turns a step of the renderer off (`RenderConfig`: ``frames``, ``spectrum``): the baseline
an ablation is read against.
Targets (issue): top-1 >= 80 % at full intensity open loop, higher with the loop; WER within 15 points.
Prints a table and a summary against these targets (the loop is compared with the open loop of the same run);
``--json`` prints the same figures as one JSON document instead.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SENTENCES = [
    "The weather was calm this morning, and I walked along the river to the old mill.",
    "I never expected to see you here tonight.",
    "Please put the books back on the shelf when you are done.",
    "We will meet again at the station before the last train leaves.",
    "Nobody told me that the house had been sold.",
]
#: vocabulary term -> RAVDESS label (conditioning.label_set("ravdess") maps the other way)
TARGETS = {"neutral": "neutral", "calm": "calm", "joy": "happy", "sadness": "sad", "anger": "angry",
           "fear": "fearful", "disgust": "disgust", "surprise": "surprised"}
#: vocabulary term -> EmoDB label, for the terms EmoDB has (its head is a second judge)
EMODB_TARGETS = {"neutral": "neutral", "joy": "happiness", "sadness": "sadness", "anger": "anger", "fear": "fear",
                 "disgust": "disgust"}


def load_speech_critic(name: str, **config):
    from critics.registry import load_critic

    return load_critic("speech", name, **config), f"registry: speech/{name}"


def top(reading) -> str:
    return max(reading.native, key=reading.native.get)


def words(text: str) -> list[str]:
    t = text.lower().replace("’", "'")
    for a, b in (("you're", "you are"), ("we'll", "we will"), ("i'm", "i am"), ("don't", "do not"),
                 ("it's", "it is"), ("that's", "that is")):
        t = t.replace(a, b)
    return re.findall(r"[a-z']+", t)


def wer(ref: list[str], hyp: list[str]) -> float:
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[-1] / max(1, len(ref))


def recognise(decoder, audio) -> str:
    import numpy as np

    a = audio.mono().resample(16000)
    decoder.start_utt()
    decoder.process_raw((np.clip(a.samples, -1, 1) * 32767).astype(np.int16).tobytes(), full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp is not None else ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", default="piper", choices=["piper", "festival"])
    ap.add_argument("--loop", type=int, default=2)
    ap.add_argument("--sentences", type=int, default=5)
    ap.add_argument("--intensities", default="0.33,0.67,1")
    ap.add_argument("--no-wer", action="store_true")
    ap.add_argument("--critic", default="embedded", help="the judge to report (default: speech/embedded, the one the "
                    "profiles were calibrated in; `encoder` is the independent one)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--render-off", action="append", default=[], choices=("frames", "spectrum"),
                    help="turn this rendering step off (an ablation); repeatable")
    args = ap.parse_args(argv)

    import numpy as np

    from conditioning import Emotion
    from conditioning.metrics import ccc
    from generators.base import GenerationRequest
    from studio.studio import Studio

    if args.backend == "piper":
        from generators.speech.piper import PiperSpeech as Gen
    else:
        from generators.speech.festival import FestivalSpeech as Gen
    from dataclasses import replace

    from generators.speech.world import RenderConfig

    gen = Gen(render=replace(RenderConfig(), **{k: False for k in args.render_off}))
    texts = SENTENCES[: args.sentences]
    intensities = [float(x) for x in args.intensities.split(",")]
    t0 = time.perf_counter()

    # ---- open loop: every take once --------------------------------------------------------------------
    takes = []  # (emotion term, intensity, sentence index, request, result)
    for term in TARGETS:
        for inten in intensities:
            emo = Emotion.parse(term) if term == "neutral" else Emotion.parse(term).scaled(inten)
            for i, text in enumerate(texts):
                req = GenerationRequest(emo, text=text, seed=i)
                takes.append((term, inten, i, req, gen.generate(req)))
    gen_s = time.perf_counter() - t0

    population, source = load_speech_critic(args.critic)
    voice_z, _ = load_speech_critic(args.critic, speaker_reference=[r.media for *_, r in takes], speaker_reference_kind="mixed")
    neutral_take = {t[2]: t[4].media for t in takes if t[0] == "neutral"}
    critics = {  # name -> (critic, scoring function of a take)
        "speaker": (population, lambda t: population.score(t[4].media, speaker_reference=[neutral_take[t[2]]])),
        "population": (population, lambda t: population.score(t[4].media)),
        "voice_z": (voice_z, lambda t: voice_z.score(t[4].media)),
    }
    report: dict = {"backend": f"speech/{args.backend}", "critic_source": source, "sentences": len(texts),
                    "intensities": intensities, "loop": args.loop, "conditions": {}}
    for cname, (critic, score) in critics.items():
        readings = [score(t) for t in takes]
        per_int, per_int_emotional = {}, {}
        for inten in intensities:
            sel = [(t, rd) for t, rd in zip(takes, readings) if t[1] == inten]
            per_int[str(inten)] = round(float(np.mean([top(rd) == TARGETS[t[0]] for t, rd in sel])), 3)
            per_int_emotional[str(inten)] = round(float(np.mean([top(rd) == TARGETS[t[0]] for t, rd in sel
                                                                 if t[0] != "neutral"])), 3)
        confusion: dict[str, dict[str, int]] = {}
        emodb_hits = []
        for t, rd in zip(takes, readings):
            if t[1] == max(intensities):
                row = confusion.setdefault(t[0], {})
                row[top(rd)] = row.get(top(rd), 0) + 1
                if t[0] in EMODB_TARGETS:  # the EmoDB head: a second judge, trained on other (German) voices
                    e = rd.details["emodb"]
                    emodb_hits.append(max(e, key=e.get) == EMODB_TARGETS[t[0]])
        arousal_ccc = ccc([t[3].emotion.arousal for t in takes], [rd.arousal for rd in readings])
        cond = {"open_top1": per_int, "open_top1_without_neutral": per_int_emotional,
                "open_arousal_ccc": round(arousal_ccc, 3),
                "open_emodb_head_top1_full": round(float(np.mean(emodb_hits)), 3),
                "open_confusion_full": confusion}
        report["conditions"][cname] = cond

    # ---- closed loop at full intensity: the studio's loop (critic with the neutral take as reference) --------
    if args.loop > 0:
        studio = Studio()
        hits, fids_open, fids_closed, a_t, a_m = [], [], [], [], []
        for term, inten, i, req, res in takes:
            if inten != max(intensities):
                continue
            out = studio.run_loop(gen, population, req, loop=args.loop)
            hits.append(top(out.best.reading) == TARGETS[term])
            fids_open.append(out.rounds[0].fidelity)
            fids_closed.append(out.best.fidelity)
            a_t.append(req.emotion.arousal)
            a_m.append(out.best.reading.arousal)
        report["closed_loop_speaker"] = {
            "top1_full": round(float(np.mean(hits)), 3), "arousal_ccc_full": round(ccc(a_t, a_m), 3),
            "fidelity_full_open_vs_closed": [round(float(np.mean(fids_open)), 3), round(float(np.mean(fids_closed)), 3)]}

    # ---- intelligibility -----------------------------------------------------------------------------
    if not args.no_wer:
        from pocketsphinx import Decoder

        try:
            dec = Decoder(samprate=16000, loglevel="FATAL")
        except Exception:  # older pocketsphinx without the loglevel option
            dec = Decoder(samprate=16000)
        per_emotion = {}
        for term in TARGETS:
            sel = [t for t in takes if t[0] == term and t[1] == max(intensities)]
            per_emotion[term] = round(float(np.mean([wer(words(texts[t[2]]), words(recognise(dec, t[4].media)))
                                                     for t in sel])), 3)
        neutral = per_emotion["neutral"]
        report["wer_full"] = per_emotion
        report["wer_worst_minus_neutral_points"] = round(100 * (max(per_emotion.values()) - neutral), 1)
    report["wall_s"] = round(time.perf_counter() - t0, 1)
    report["generation_s"] = round(gen_s, 1)
    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)
    return 0


def print_report(report: dict) -> None:
    """The report as a table, with the targets (``--json`` prints the same figures as one JSON document)."""
    ints = report["intensities"]
    full = str(max(ints))
    print(f"{report['backend']}, critic {report['critic_source']}: {len(TARGETS)} emotions x intensities "
          f"{'/'.join(f'{i:g}' for i in ints)} x {report['sentences']} sentences, open loop")
    print(f"  {'condition':32s}" + "".join(f"{'top-1 @' + f'{i:g}':>12s}" for i in ints)
          + f"{'arousal CCC':>13s}{'EmoDB head':>12s}")
    rows = [("speaker (the studio's)", "speaker", "open_top1"),
            ("speaker, neutral takes left out", "speaker", "open_top1_without_neutral"),
            ("population (single file)", "population", "open_top1"),
            ("voice_z (speaker z-norm)", "voice_z", "open_top1")]
    for label, cname, key in rows:
        cond = report["conditions"][cname]
        extra = (f"{cond['open_arousal_ccc']:13.3f}{100 * cond['open_emodb_head_top1_full']:10.1f} %"
                 if key == "open_top1" else "")
        print(f"  {label:32s}" + "".join(f"{100 * cond[key][str(i)]:10.1f} %" for i in ints) + extra)
    conf = report["conditions"]["speaker"]["open_confusion_full"]
    print(f"  confusion at intensity {full} (speaker; target -> labels read): "
          + "; ".join(f"{term} -> " + ", ".join(f"{k} {n}" for k, n in sorted(row.items(), key=lambda kv: -kv[1]))
                      for term, row in conf.items()))
    loop = report.get("closed_loop_speaker")
    if loop:
        f0, f1 = loop["fidelity_full_open_vs_closed"]
        print(f"closed loop --loop {report['loop']} at intensity {full} (speaker): top-1 {100 * loop['top1_full']:.1f} %, "
              f"arousal CCC {loop['arousal_ccc_full']:.3f}, mean fidelity {f0:.3f} open -> {f1:.3f}")
    if "wer_full" in report:
        print(f"pocketsphinx WER at intensity {full}: "
              + ", ".join(f"{k} {100 * v:.1f} %" for k, v in report["wer_full"].items()))
    print("summary")
    open_full = report["conditions"]["speaker"]["open_top1"][full]
    print(f"  {'PASS' if open_full >= 0.8 else 'MISS'}  open-loop top-1 at full intensity (speaker reference) "
          f"{100 * open_full:.1f} %  (target >= 80 %)")
    if loop:
        better = loop["top1_full"] > open_full
        print(f"  {'PASS' if better else 'MISS'}  the loop raises it: {100 * loop['top1_full']:.1f} % with "
              f"--loop {report['loop']} against {100 * open_full:.1f} % open in this run")
    if "wer_worst_minus_neutral_points" in report:
        pts = report["wer_worst_minus_neutral_points"]
        print(f"  {'PASS' if pts <= 15 else 'MISS'}  WER of the worst emotion minus the neutral takes' {pts:.1f} "
              f"points  (target <= 15)")
    print(f"  ({report['wall_s']} s, generation {report['generation_s']} s)")


if __name__ == "__main__":
    raise SystemExit(main())
