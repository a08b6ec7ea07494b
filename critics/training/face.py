"""Train and validate the embedded face expression classifier (`critics.face.classifier`).

    python -m critics.training.face --data ../shared/data --out critics/weights [--epochs N]

Data: the FER2013 training split (Goodfellow et al. 2013; 28,709 48x48 greyscale faces, 7 labels) from
``<data>/faces/fer2013_train.npz``. A seeded, stratified 10% is held out for validation and never trained on;
the figures printed (and written into ``face_fer.json``) are measured on it.

Model: a compact VGG-style network with BatchNorm (four stages of two 3x3 convolutions, 32-64-128-256
channels, global average pooling; ~1.2 M parameters). Plain VGG-style nets with BatchNorm are what the
strongest single FER2013 models are (Khaireddin & Chen 2021, "Facial Emotion Recognition: State of the Art
Performance on FER2013", 73.3%); this one is narrower so that it trains on a CPU: about 93 s per epoch on
two quiet AVX512-BF16 threads.
Validation: 69.9% accuracy with flip averaging after 44 epochs of one-cycle SGD (69 min); 70.4% after a
10-epoch stochastic-weight-averaging stage from those weights (``--init``, ``--swa``; both commands are in
critics/cards/face-classifier.md, with the shorter schedules that were measured on the way).

Training recipe (each part chosen for a short budget):
- augmentation on whole batches (cheap next to the convolutions): random rotation +-10 deg, scale 0.9-1.1,
  shift +-4 px (random crop with padding), horizontal flip, random erasing (Zhong et al. 2020);
- label smoothing 0.1 (Szegedy et al. 2016) - FER2013 labels are noisy (human accuracy ~65%, Goodfellow 2013);
- SGD + Nesterov momentum with a one-cycle learning rate (Smith & Topin 2019, "super-convergence"), which
  reaches good accuracy in few epochs;
- bfloat16 autocast on CPUs that support it (the convolutions run ~2x faster; BatchNorm and the loss stay fp32);
- test-time flip averaging (the mean of the probabilities of the face and its mirror image);
- optionally (``--swa K``, from trained weights) stochastic weight averaging (Izmailov et al. 2018): a
  constant learning rate, the weights of the last K epochs averaged, BatchNorm statistics recomputed.

Export: ONNX (opset 17) with the normalisation inside the graph; input ``(N, 1, 48, 48)`` float32 grey values
in [0, 1], output logits over the classes in the JSON's ``classes`` order. Weights are stored as float16
initialisers followed by a Cast to float32 (half the file size; onnxruntime folds the casts at load, so
inference runs in float32). onnxruntime's output is checked against torch's before the files are written.
Everything is seeded; one core is used by default (``--threads``), as the machine is shared.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

CLASSES = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
SIZE = 48


def load_fer(data: Path, limit: int | None = None) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Images (N, 48, 48) uint8 and labels (N,) int from ``<data>/faces/fer2013_train.npz``."""
    path = Path(data) / "faces" / "fer2013_train.npz"
    if not path.is_file():
        raise SystemExit(f"{path}: not found (give --data, the folder that holds faces/fer2013_train.npz)")
    z = np.load(path)
    images, labels = z["images"].astype(np.uint8), z["labels"].astype(np.int64)
    classes = tuple(str(c) for c in z["classes"]) if "classes" in z else CLASSES
    if limit:
        keep = np.random.default_rng(1).permutation(len(labels))[:limit]
        images, labels = images[keep], labels[keep]
    return images, labels, classes


def stratified_split(labels: np.ndarray, fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation): ``fraction`` of each class, drawn with a seeded generator."""
    rng = np.random.default_rng(seed)
    val = []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        val.append(idx[: max(1, int(round(fraction * len(idx))))])
    val = np.sort(np.concatenate(val))
    train = np.setdiff1d(np.arange(len(labels)), val)
    return train, val


# ----------------------------------------------------------------------------------------------- model (torch)
def build_model(widths=(32, 64, 128, 256), n_classes: int = 7, mean: float = 0.5, std: float = 0.25):
    import torch
    from torch import nn

    def cbr(i, o):
        return [nn.Conv2d(i, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]

    class FaceNet(nn.Module):
        """x: (N, 1, 48, 48) grey in [0, 1] -> logits (N, n_classes)."""

        def __init__(self):
            super().__init__()
            layers, prev = [], 1
            for k, w in enumerate(widths):
                layers += cbr(prev, w) + cbr(w, w)
                if k < len(widths) - 1:
                    layers.append(nn.MaxPool2d(2))  # 48 -> 24 -> 12 -> 6
                prev = w
            self.features = nn.Sequential(*layers)
            self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(prev, n_classes))
            self.register_buffer("mean", torch.tensor(float(mean)))
            self.register_buffer("std", torch.tensor(float(std)))

        def forward(self, x):
            x = (x - self.mean) / self.std  # (N, 1, 48, 48)
            x = self.features(x)  # (N, C, 6, 6)
            return self.head(x.mean(dim=(2, 3)))  # (N, n_classes)

    return FaceNet()


def augment(x, gen):
    """Batch augmentation: x (N, 1, 48, 48) float in [0, 1] -> same shape."""
    import torch
    import torch.nn.functional as F

    n = x.shape[0]
    ang = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(10)
    scale = 1 + (torch.rand(n, generator=gen) * 2 - 1) * 0.1
    flip = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    shift = (torch.rand(n, 2, generator=gen) * 2 - 1) * (4 / (SIZE / 2))  # +-4 px in normalised coordinates
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, shift[:, 0]], 1),
                         torch.stack([sin * flip, cos, shift[:, 1]], 1)], 1)  # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # random erasing (p=0.25, 2-20% of the area, aspect 0.3-3.3), filled with noise
    erase = torch.rand(n, generator=gen) < 0.25
    area = (0.02 + 0.18 * torch.rand(n, generator=gen)) * SIZE * SIZE
    aspect = torch.exp((torch.rand(n, generator=gen) * 2 - 1) * math.log(3.3))
    h = torch.sqrt(area * aspect).clamp(1, SIZE - 1)
    w = torch.sqrt(area / aspect).clamp(1, SIZE - 1)
    top = torch.rand(n, generator=gen) * (SIZE - h)
    left = torch.rand(n, generator=gen) * (SIZE - w)
    ys = torch.arange(SIZE).view(1, SIZE, 1)
    xs = torch.arange(SIZE).view(1, 1, SIZE)
    mask = ((ys >= top.view(-1, 1, 1)) & (ys < (top + h).view(-1, 1, 1)) & (xs >= left.view(-1, 1, 1))
            & (xs < (left + w).view(-1, 1, 1)) & erase.view(-1, 1, 1)).unsqueeze(1)  # (N, 1, 48, 48)
    return torch.where(mask, torch.rand(x.shape, generator=gen), x)


def predict(model, images: np.ndarray, batch: int = 512, tta: bool = True) -> np.ndarray:
    """Probabilities (N, C) for uint8 images (N, 48, 48); flip-averaged when ``tta``."""
    import torch

    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i:i + batch]).float().div_(255).unsqueeze(1)
            p = torch.softmax(model(x), 1)
            if tta:
                p = (p + torch.softmax(model(torch.flip(x, dims=[3])), 1)) / 2
            out.append(p.numpy())
    return np.concatenate(out)


def figures(labels: np.ndarray, probs: np.ndarray, classes) -> dict:
    """Accuracy, per-class recall, macro recall (UAR), macro F1 and the confusion matrix (rows = truth)."""
    pred = probs.argmax(1)
    k = len(classes)
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (labels, pred), 1)
    recall = cm.diagonal() / np.maximum(cm.sum(1), 1)
    precision = cm.diagonal() / np.maximum(cm.sum(0), 1)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-9)
    return {"n": int(len(labels)), "accuracy": round(float((pred == labels).mean()), 4),
            "uar": round(float(recall.mean()), 4), "macro_f1": round(float(f1.mean()), 4),
            "recall": {c: round(float(r), 4) for c, r in zip(classes, recall)},
            "confusion": cm.tolist()}


# ---------------------------------------------------------------------------------------------------- export
def export_onnx(model, path: Path, fp16_weights: bool = True) -> None:
    """Write the model as ONNX (dynamic batch); optionally store the weights as float16 + Cast."""
    import io

    import onnx
    import torch
    from onnx import TensorProto, helper, numpy_helper

    model.eval()
    buf = io.BytesIO()
    torch.onnx.export(model, torch.zeros(1, 1, SIZE, SIZE), buf, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17,
                      dynamo=False)
    m = onnx.load_from_string(buf.getvalue())
    if fp16_weights:
        g = m.graph
        casts, keep = [], []
        for init in list(g.initializer):
            arr = numpy_helper.to_array(init)
            if arr.dtype == np.float32 and arr.size >= 64:  # big tensors only; scalars stay exact
                half = numpy_helper.from_array(arr.astype(np.float16), init.name + "_fp16")
                keep.append(half)
                casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT,
                                              name=init.name + "_cast"))
            else:
                keep.append(init)
        del g.initializer[:]
        g.initializer.extend(keep)
        nodes = list(g.node)
        del g.node[:]
        g.node.extend(casts + nodes)
    onnx.checker.check_model(m)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".onnx.tmp")
    onnx.save(m, str(tmp))
    os.replace(tmp, path)


def onnx_views(path: Path, images: np.ndarray, mirror: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Probabilities (N, C) of an exported model for uint8 images (N, 48, 48), and for their mirror images
    (None unless ``mirror``), from one session."""
    from critics.base import onnx_session, softmax

    s = onnx_session(path)
    x = (images.astype(np.float32) / 255)[:, None]
    probs = lambda v: softmax(s.run(None, {"input": v})[0])  # noqa: E731
    return probs(x), (probs(x[:, :, :, ::-1].copy()) if mirror else None)


def onnx_probs(path: Path, images: np.ndarray, tta: bool = True) -> np.ndarray:
    """Probabilities (N, C) of an exported model; flip-averaged when ``tta`` (as the critic does)."""
    single, mirrored = onnx_views(path, images, mirror=tta)
    return single if mirrored is None else (single + mirrored) / 2


# -------------------------------------------------------------------------------------------------- ensemble
def ensemble_graph(paths: list[Path]):
    """One ONNX graph of several exported members: ``logits = log(mean_k softmax(member_k(x)))``, so the
    critic's softmax (and its flip averaging) sees the members' mean probabilities."""
    import onnx
    from onnx import TensorProto, compose, helper

    nodes, inits, probs, ir_version = [], [], [], 0
    for k, path in enumerate(paths):
        member = onnx.load(str(path))
        ir_version = max(ir_version, member.ir_version)
        m = compose.add_prefix(member, f"m{k}_")
        for node in m.graph.node:  # every member reads the one shared input
            node.input[:] = ["input" if i == f"m{k}_input" else i for i in node.input]
        nodes += list(m.graph.node) + [helper.make_node("Softmax", [f"m{k}_logits"], [f"m{k}_probs"], axis=1)]
        inits += list(m.graph.initializer)
        probs.append(f"m{k}_probs")
    nodes += [helper.make_node("Mean", probs, ["mean_probs"]), helper.make_node("Log", ["mean_probs"], ["logits"])]
    graph = helper.make_graph(nodes, "face_fer_ensemble", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                              ["batch", 1, SIZE, SIZE])], [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                              ["batch", None])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = ir_version
    onnx.checker.check_model(model)
    return model


def build_ensemble(paths: list[Path], data: Path, out: Path, name: str, split_seed: int = 0) -> dict:
    """Validate each member and the members' average on the same held-out split (single view and
    flip-averaged), then write the ensemble graph and a JSON that records it all."""
    import onnx

    images, labels, classes = load_fer(data)
    _, va = stratified_split(labels, 0.1, split_seed)
    metas = [json.loads(Path(p).with_suffix(".json").read_text()) for p in paths]
    for p, meta in zip(paths, metas):
        if meta["split"]["seed"] != split_seed or meta["classes"] != list(classes):
            raise SystemExit(f"{p}: trained on another split or label order; members must share --split-seed")
    x = images[va]
    views = [onnx_views(Path(p), x) for p in paths]  # (single, mirrored) per member
    acc = lambda pr: round(float((pr.argmax(1) == labels[va]).mean()), 4)  # noqa: E731
    compared = {}
    for k, (single, mirrored) in enumerate(views):
        compared[f"member {k} single view"] = acc(single)
        compared[f"member {k} flip-averaged"] = acc((single + mirrored) / 2)
    mean_single = np.mean([v[0] for v in views], 0)
    mean_flip = (mean_single + np.mean([v[1] for v in views], 0)) / 2
    compared["members averaged, single view"] = acc(mean_single)
    compared["members averaged, flip-averaged (the critic's default)"] = acc(mean_flip)
    for k, v in compared.items():
        print(f"  {k:55s} {v:.4f}", flush=True)
    onnx_path = out / f"{name}.onnx"
    out.mkdir(parents=True, exist_ok=True)
    tmp = onnx_path.with_suffix(".onnx.tmp")
    onnx.save(ensemble_graph([Path(p) for p in paths]), str(tmp))
    os.replace(tmp, onnx_path)
    probs = onnx_probs(onnx_path, x, tta=True)
    val = figures(labels[va], probs, classes)
    meta = {k: v for k, v in metas[0].items() if k != "training"}
    meta.update({
        "model": "face_fer ensemble",
        "output": "log of the members' mean probabilities (softmax gives them back)",
        "members": [{"file": Path(p).name, "training": {k: v for k, v in m["training"].items() if k != "history"},
                     "validation": m["validation"], "command": m["command"]} for p, m in zip(paths, metas)],
        "validation": {"flip_tta": val, "compared": compared,
                       "graph_vs_members_max_abs_diff": float(np.abs(probs - mean_flip).max())},
        "command": f"python -m critics.training.face --data {data} --out {out} --name {name} --ensemble "
                   + " ".join(str(p) for p in paths),
    })
    json_path = out / f"{name}.json"
    tmp = json_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(meta, indent=1))
    os.replace(tmp, json_path)
    print(f"ensemble (n={val['n']}, flip-averaged): accuracy {val['accuracy']:.4f}  UAR {val['uar']:.4f}  "
          f"macro-F1 {val['macro_f1']:.4f}")
    print("recall: " + "  ".join(f"{c} {r:.3f}" for c, r in val["recall"].items()))
    print(f"wrote {onnx_path} ({onnx_path.stat().st_size / 1e6:.2f} MB) and {json_path}", flush=True)
    return meta


# ------------------------------------------------------------------------------------- geometric calibration
def calibrate_geometric(data: Path, per_class: int = 250, val_per_class: int = 100, seed: int = 0,
                        cache: Path | None = None) -> dict:
    """Figures for `critics.face.geometric` and `critics.face.landmarks.FER_LAYOUT`, measured on FER2013.

    The mesh runs on the 48x48 crops enlarged to 240 px with a replicated 16 px border (the detector needs
    some margin around a face). From the training part (``per_class`` faces per class, seeded): the eye
    layout of FER crops, the neutral medians and spreads of each measure, and the apex displacements;
    ``beta``/``tau`` are chosen by accuracy on the same training faces; the held-out validation part
    (``val_per_class`` per class) gives the figures reported on the card.
    """
    import cv2

    from critics.face import geometric as G
    from conditioning.faces import FaceFinder

    images, labels, classes = load_fer(data)
    tr, va = stratified_split(labels, 0.1, seed)
    rng = np.random.default_rng(seed)
    finder = FaceFinder(max_faces=1)
    pad = 16

    def run(idx_all, n_per):
        lms, ys, eyes = [], [], []
        for c in range(len(classes)):
            idx = idx_all[labels[idx_all] == c]
            for i in rng.permutation(idx)[:n_per]:
                faces = finder.find(cv2.copyMakeBorder(images[i], pad, pad, pad, pad, cv2.BORDER_REPLICATE))
                if not faces or faces[0].landmarks is None:
                    continue
                r, l_ = faces[0].eyes()
                eyes.append(((r[0] + l_[0]) / 2 - pad, (r[1] + l_[1]) / 2 - pad, float(np.hypot(*(l_ - r)))))
                lms.append(faces[0].landmarks.astype(np.float32))
                ys.append(c)
        return np.array(lms), np.array(ys), np.array(eyes)

    t0 = time.time()
    if cache is not None and Path(cache).is_file():  # the meshes of an earlier run (same seed and sizes)
        z = np.load(cache)
        Ltr, ytr, eyes, Lva, yva = (z[k] for k in ("Ltr", "ytr", "eyes", "Lva", "yva"))
    else:
        Ltr, ytr, eyes = run(tr, per_class)
        Lva, yva, _ = run(va, val_per_class)
        if cache is not None:
            Path(cache).parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(cache, Ltr=Ltr, ytr=ytr, eyes=eyes, Lva=Lva, yva=yva)
    Xtr = np.array([[G.measure(lm)[k] for k in G.MEASURES] for lm in Ltr])
    Xva = np.array([[G.measure(lm)[k] for k in G.MEASURES] for lm in Lva])
    cls = {c: k for k, c in enumerate(classes)}
    neutral = Xtr[ytr == cls["neutral"]]
    m0 = np.median(neutral, 0)
    sd = 1.4826 * np.median(np.abs(neutral - m0), 0)
    table = {}
    for j, name in enumerate(G.MEASURES):
        row = {"m0": round(float(m0[j]), 4), "sd": round(float(sd[j]), 4)}
        for sign, key, q in ((+1, "up", 90), (-1, "down", 10)):
            cname = G.APEX_CLASS.get((name, sign))
            ref = Xtr[ytr == cls[cname]][:, j] if cname else Xtr[:, j]
            apex = float(np.percentile(ref - m0[j], q))
            apex = sign * max(sign * apex, 1.5 * sd[j])  # at least 1.5 spreads beyond neutral
            row[key] = round(apex, 4)
        table[name] = row

    def natives(X, beta, tau, dead):
        out = []
        for x in X:
            au = G.au_intensities(dict(zip(G.MEASURES, x)), None, table, dead)
            p = G.emotion_scores(au, beta, tau)
            out.append([p[c] for c in classes])
        return np.array(out)

    best = None
    for dead in (0.5, 1.0):  # the neutral score and the dead zone by accuracy (beta does not move the argmax)
        for tau in (0.1, 0.15, 0.2, 0.25, 0.3):
            acc = float((natives(Xtr, 4.0, tau, dead).argmax(1) == ytr).mean())
            if best is None or acc > best[0]:
                best = (acc, 4.0, tau, dead)
    _, beta, tau, dead = best
    nll = {b: float(-np.mean(np.log(natives(Xtr, b, tau, dead)[np.arange(len(ytr)), ytr] + 1e-9)))
           for b in (1.0, 2.0, 4.0, 8.0, 16.0)}
    beta = min(nll, key=nll.get)  # the temperature by log-likelihood: calibrated probabilities
    val = figures(yva, natives(Xva, beta, tau, dead), classes)
    layout = {"eyes_x": round(float(np.median(eyes[:, 0])), 2), "eyes_y": round(float(np.median(eyes[:, 1])), 2),
              "iod": round(float(np.median(eyes[:, 2])), 2)}
    out = {"population": table, "beta": beta, "tau": tau, "dead": dead, "train_nll": {str(k): round(v, 4) for k, v in nll.items()}, "train_accuracy": round(best[0], 4),
           "fer_layout": layout, "fitted_train": int(len(ytr)), "tried_train": int(per_class * len(classes)),
           "validation": val, "seconds": round(time.time() - t0, 1)}
    print(json.dumps(out, indent=1))
    return out


# ------------------------------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> dict:
    from critics.training import default_data

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--out", type=Path, default=Path("critics/weights"))
    ap.add_argument("--epochs", type=int, default=44, help="one-cycle epochs (44: the shipped weights' first stage)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1, help="peak learning rate of the one-cycle schedule")
    ap.add_argument("--seed", type=int, default=0, help="seed of the initial weights, batch order and augmentation")
    ap.add_argument("--split-seed", type=int, default=0,
                    help="seed of the validation hold-out (keep it fixed when comparing or ensembling runs)")
    ap.add_argument("--limit", type=int, default=None, help="use a random slice of N images (quick runs, tests)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-bf16", action="store_true", help="train in float32 even where bfloat16 is supported")
    ap.add_argument("--name", default="face_fer", help="file stem of the written .onnx/.json")
    ap.add_argument("--checkpoint", type=Path, default=None, help="where to keep the best torch weights")
    ap.add_argument("--init", type=Path, default=None,
                    help="start from these torch weights (a second, shorter one-cycle run at a lower --lr)")
    ap.add_argument("--swa", type=int, default=0, metavar="K",
                    help="stochastic weight averaging: constant --lr, average the weights of the last K epochs "
                         "(with --init from trained weights; Izmailov et al. 2018)")
    ap.add_argument("--stop-after", type=int, default=None,
                    help="stop after this many epochs of the --epochs schedule (a time budget; same weights as "
                         "the full run up to that epoch)")
    ap.add_argument("--export-checkpoint", type=Path, default=None,
                    help="skip training: validate and export the weights saved by --checkpoint (and its .log history)")
    ap.add_argument("--ensemble", type=Path, nargs="+", metavar="ONNX",
                    help="instead of training: combine these exported members (same --split-seed) into one graph")
    ap.add_argument("--geometric", action="store_true",
                    help="instead of training: measure the geometric critic's population figures on FER2013")
    args = ap.parse_args(argv)
    if args.geometric:
        cache = Path(os.path.expanduser("~/.cache/emostudio/face/geometric_measures.npz"))
        return calibrate_geometric(args.data, seed=args.seed, cache=cache)
    if args.ensemble:
        return build_ensemble(args.ensemble, args.data, args.out, args.name, args.split_seed)

    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    t_start = time.time()

    images, labels, classes = load_fer(args.data, args.limit)
    tr, va = stratified_split(labels, 0.1, args.split_seed)
    xtr, ytr = torch.from_numpy(images[tr]), torch.from_numpy(labels[tr])
    mean = float(images[tr].mean() / 255)
    std = float(images[tr].std() / 255)
    model = build_model(n_classes=len(classes), mean=mean, std=std)
    if args.init:
        model.load_state_dict(torch.load(args.init))
    n_params = sum(p.numel() for p in model.parameters())
    print(f"FER2013: {len(labels)} images, train {len(tr)}, validation {len(va)} (stratified 10%, seed {args.split_seed});"
          f" model {n_params / 1e6:.2f} M parameters; mean {mean:.4f} std {std:.4f}", flush=True)

    bf16 = (not args.no_bf16) and _bf16_ok()
    decay, no_decay = [], []
    for n_, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0.0}],
                          lr=args.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = max(1, len(tr) // args.batch)
    if args.swa:  # SWA: a constant, moderate learning rate explores around the optimum; the average sits in it
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
        swa = torch.optim.swa_utils.AveragedModel(model)
    else:
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=max(8, steps_per_epoch * args.epochs),
                                                    pct_start=0.25, div_factor=20, final_div_factor=200)
    gen = torch.Generator().manual_seed(args.seed)
    history, best, best_state = [], -1.0, None
    if args.export_checkpoint:  # an earlier run's best weights (e.g. a run stopped for time)
        best_state = torch.load(args.export_checkpoint)
        hist_path = args.export_checkpoint.with_suffix(".history.json")
        history = json.loads(hist_path.read_text()) if hist_path.is_file() else [{"epoch": 0, "val_acc_flip": 0}]
    last = min(args.epochs, args.stop_after or args.epochs)
    for epoch in range(1, 0 if args.export_checkpoint else last + 1):
        t0 = time.time()
        model.train()
        perm = torch.randperm(len(tr), generator=gen)
        total, correct, loss_sum = 0, 0, 0.0
        for b in range(steps_per_epoch):
            idx = perm[b * args.batch:(b + 1) * args.batch]
            x = augment(xtr[idx].float().div_(255).unsqueeze(1), gen)  # (B, 1, 48, 48)
            y = ytr[idx]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss.detach()) * len(y)
            correct += int((logits.argmax(1) == y).sum())
            total += len(y)
        p_plain = predict(model, images[va], tta=False)
        p_tta = predict(model, images[va], tta=True)
        acc, acc_tta = float((p_plain.argmax(1) == labels[va]).mean()), float((p_tta.argmax(1) == labels[va]).mean())
        history.append({"epoch": epoch, "train_loss": round(loss_sum / total, 4), "train_acc": round(correct / total, 4),
                        "val_acc": round(acc, 4), "val_acc_flip": round(acc_tta, 4), "seconds": round(time.time() - t0, 1)})
        print(f"epoch {epoch:3d}/{args.epochs}  loss {loss_sum / total:.4f}  train {correct / total:.4f}  "
              f"val {acc:.4f}  val+flip {acc_tta:.4f}  ({time.time() - t0:.0f} s)", flush=True)
        candidates = [(acc_tta, model)]
        if args.swa and epoch > last - args.swa:
            swa.update_parameters(model)
            swa_net = _bn_refit(swa.module, xtr, args.batch)
            p_swa = predict(swa_net, images[va], tta=True)
            acc_swa = float((p_swa.argmax(1) == labels[va]).mean())
            history[-1]["val_acc_flip_swa"] = round(acc_swa, 4)
            history[-1]["swa_epochs"] = swa.n_averaged.item()
            print(f"          SWA of {swa.n_averaged.item()} epochs: val+flip {acc_swa:.4f}", flush=True)
            candidates.append((acc_swa, swa_net))
        for acc_c, net in candidates:
            if acc_c > best:
                best = acc_c
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            if args.checkpoint:
                args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
                torch.save(best_state, args.checkpoint)
        if args.checkpoint:
            args.checkpoint.with_suffix(".history.json").write_text(json.dumps(history))

    best_epoch = max(history, key=lambda h: max(h["val_acc_flip"], h.get("val_acc_flip_swa", 0)))["epoch"]
    model.load_state_dict(best_state)
    probs_t = predict(model, images[va], tta=True)
    onnx_path = args.out / f"{args.name}.onnx"
    export_onnx(model, onnx_path)
    single, mirrored = onnx_views(onnx_path, images[va])
    probs_o = (single + mirrored) / 2
    max_diff = float(np.abs(probs_o - probs_t).max())
    agree = float((probs_o.argmax(1) == probs_t.argmax(1)).mean())
    print(f"ONNX check: max |p_onnx - p_torch| = {max_diff:.2e}, argmax agreement {agree:.4f}", flush=True)
    if agree < 0.99:
        raise SystemExit("ONNX export disagrees with torch; not writing the JSON")
    val = figures(labels[va], probs_o, classes)
    val_plain = figures(labels[va], single, classes)
    meta = {
        "model": "face_fer", "classes": list(classes), "input": {
            "shape": [None, 1, SIZE, SIZE], "dtype": "float32",
            "values": "greyscale pixel / 255 (the graph normalises with mean and std)",
            "mean": round(mean, 6), "std": round(std, 6), "alignment": "face crop, eyes level (critics.face.landmarks)"},
        "output": "logits; softmax, mean over the face and its horizontal mirror (test-time flip averaging)",
        "data": {"corpus": "FER2013 training split (Goodfellow et al. 2013)", "file": "faces/fer2013_train.npz",
                 "images": int(len(labels)), "licence": "research use only (Kaggle ICML 2013 challenge data); "
                 "the images are not redistributed, only these weights"},
        "split": {"validation": "stratified 10% per class", "seed": args.split_seed, "train": int(len(tr)),
                  "validation_n": int(len(va))},
        "training": {"epochs": args.epochs, "epochs_run": len(history), "best_epoch": best_epoch, "batch": args.batch, "optimizer":
                     "SGD nesterov momentum 0.9, weight decay 5e-4", "schedule": (f"constant lr {args.lr}, SWA of the last {args.swa} epochs" if args.swa
                                                 else f"one-cycle, peak lr {args.lr}"),
                     "label_smoothing": 0.1, "augmentation": "rotation +-10 deg, scale 0.9-1.1, shift +-4 px, "
                     "horizontal flip, random erasing p=0.25", "bf16_autocast": bf16, "threads": args.threads,
                     "parameters": n_params, "history": history,
                     "seconds": round(sum(h.get("seconds", 0) for h in history) or time.time() - t_start, 1)},
        "validation": {"flip_tta": val, "single": {k: val_plain[k] for k in ("accuracy", "uar", "macro_f1")},
                       "onnx_vs_torch_max_abs_diff": max_diff},
        "command": f"python -m critics.training.face --data {args.data} --out {args.out} --epochs {args.epochs}"
                   + (f" --stop-after {len(history)}" if len(history) < args.epochs else "")
                   + (f" --lr {args.lr}" if args.lr != 0.1 else "") + (f" --swa {args.swa}" if args.swa else "")
                   + (f" --init {args.init}" if args.init else "")
                   + (f" --limit {args.limit}" if args.limit else "") + (f" --seed {args.seed}" if args.seed else "")
                   + (f" --split-seed {args.split_seed}" if args.split_seed else ""),
    }
    json_path = args.out / f"{args.name}.json"
    tmp = json_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(meta, indent=1))
    os.replace(tmp, json_path)
    print(f"validation (n={val['n']}, flip-averaged): accuracy {val['accuracy']:.4f}  UAR {val['uar']:.4f}  "
          f"macro-F1 {val['macro_f1']:.4f}  (single view accuracy {val_plain['accuracy']:.4f})")
    print("recall: " + "  ".join(f"{c} {r:.3f}" for c, r in val["recall"].items()))
    print("confusion (rows = truth, columns = prediction, order " + ",".join(classes) + "):")
    for row in val["confusion"]:
        print("  " + " ".join(f"{v:5d}" for v in row))
    print(f"wrote {onnx_path} ({onnx_path.stat().st_size / 1e6:.2f} MB) and {json_path}", flush=True)
    return meta


def _bn_refit(net, xtr, batch: int):
    """Recompute BatchNorm statistics for averaged weights (the running means of the averaged-over models do not
    belong to the average): one pass over the un-augmented training images, cumulative averages."""
    import copy

    import torch

    net = copy.deepcopy(net)
    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    net.train()
    with torch.no_grad():
        for i in range(0, len(xtr), batch * 4):
            net(xtr[i:i + batch * 4].float().div_(255).unsqueeze(1))
    net.eval()
    return net


def _bf16_ok() -> bool:
    """bfloat16 autocast pays off only where the CPU has native bf16 dot products (AVX512-BF16 / AMX)."""
    try:
        import torch

        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:
        return False


if __name__ == "__main__":
    main(sys.argv[1:])
