"""The cost of mixing emotions in ``speech/diffusion``: one generation with 1, 2 and 3 emotions against the plain
pipeline's own ``AudioLDM2Pipeline.__call__`` on the same model, same steps, same seed, on the CPU.

    OMP_NUM_THREADS=1 .venv/bin/python bench/speech_diffusion.py [--model PATH] [--steps 25] [--repeats 5]
        [--duration 4] [--max-new-tokens N] [--json [PATH]]

Without ``--model`` it builds the tiny random AudioLDM 2 text-to-speech pipeline of tests/test_speech_diffusion.py
in a temporary folder (no real weights on this machine). Every emotion of a mix is its own condition, so the
UNet runs on a batch of 1 + k rows per step (the unconditional row and k conditions) where the plain pipeline
runs on 2: the denoising cost grows roughly linearly with k; encoding adds one language-model pass per row
(2k rows, as the pipeline's own ``encode_prompt`` builds them). Mixes at full intensity, so no neutral row is
added. Median of ``--repeats`` runs after one warm-up each; wall time of the whole generation (encode, denoise,
decode, vocode), and the denoising loop alone for the mixes.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import add_json_option, emit_json  # noqa: E402

import numpy as np  # noqa: E402

TEXT = "Hello there, how are you today?"
MIXES = (("anger", 1), ("anger:0.5+fear:0.5", 2), ("anger:0.4+fear:0.3+sadness:0.3", 3))


def _tiny_model(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("tiny_tts", ROOT / "tests" / "test_speech_diffusion.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_tiny_tts(folder)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", metavar="PATH", help="a local AudioLDM 2 text-to-speech folder (default: a tiny random one)")
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--duration", type=float, default=4.0, help="seconds of audio per generation")
    ap.add_argument("--max-new-tokens", type=int, default=None, help="GPT-2 steps (default: 4 on the tiny model, else 512)")
    add_json_option(ap)
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    from conditioning import Emotion
    from generators.base import GenerationRequest
    from generators.speech.diffusion import DiffusionSpeech

    with tempfile.TemporaryDirectory() as tmp:
        model = Path(args.model) if args.model else _tiny_model(Path(tmp))
        tokens = args.max_new_tokens or (None if args.model else 4)
        gen = DiffusionSpeech(model=str(model), steps=args.steps, max_new_tokens=tokens,
                              threads=torch.get_num_threads())
        pipe = gen.load()
        n_tokens = gen.language_steps()

        def plain(seed: int):
            return pipe(gen.conditions({"anger": 1.0})[0].description, transcription=TEXT,
                        num_inference_steps=args.steps, audio_length_in_s=args.duration,
                        generator=torch.Generator().manual_seed(seed), max_new_tokens=n_tokens).audios[0]

        def timed(fn):
            fn(0)  # warm-up
            times = []
            for k in range(args.repeats):
                t0 = time.perf_counter()
                out = fn(k)
                times.append(time.perf_counter() - t0)
            return float(np.median(times)), out

        base_s, _ = timed(plain)
        rows = [{"run": "plain AudioLDM2Pipeline.__call__", "emotions": 1, "unet_batch": 2, "median_s": base_s,
                 "denoise_s": None, "ratio": 1.0}]
        for spec, k in MIXES:
            denoise = []

            def ours(seed: int, spec=spec):
                res = gen.generate(GenerationRequest(Emotion.parse(spec), text=TEXT, seed=seed, duration_s=args.duration))
                denoise.append(res.timings["denoise_s"])
                return res

            med, res = timed(ours)
            assert len(res.controls["mix"]) == k
            rows.append({"run": f"speech/diffusion {spec}", "emotions": k, "unet_batch": 1 + k, "median_s": med,
                         "denoise_s": float(np.median(denoise[1:])), "ratio": med / base_s})
    meta = {"model": "tiny random AudioLDM 2 TTS (tests/test_speech_diffusion.py)" if not args.model else str(args.model),
            "steps": args.steps, "duration_s": args.duration, "max_new_tokens": n_tokens, "repeats": args.repeats,
            "threads": torch.get_num_threads(), "device": "cpu"}
    if emit_json({"meta": meta, "rows": rows}, args.json):
        return 0
    print(f"speech/diffusion: cost of mixing, {meta['model']}, {args.steps} steps, {args.duration:g} s of audio, "
          f"{meta['threads']} thread(s), median of {args.repeats}")
    print(f"  {'run':50s} {'UNet batch':>10s} {'median s':>9s} {'denoise s':>10s} {'x plain':>8s}")
    for r in rows:
        dn = "" if r["denoise_s"] is None else f"{r['denoise_s']:.3f}"
        print(f"  {r['run']:50s} {r['unet_batch']:10d} {r['median_s']:9.3f} {dn:>10s} {r['ratio']:8.2f}")
    one = rows[1]["median_s"]
    slope = (rows[-1]["median_s"] - one) / 2
    print(f"summary\n  each extra emotion adds {slope:.3f} s ({slope / one:.0%} of a one-emotion take); the UNet batch is "
          "1 + k rows, so the cost grows about linearly with k")
    return 0


if __name__ == "__main__":
    sys.exit(main())
