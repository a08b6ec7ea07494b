"""The import direction of DESIGN.md section 1, checked on the source: `conditioning` <- `generators`,
`critics` <- `studio`. Generators never import critics (nor critics generators), neither imports the studio,
and `conditioning` imports none of the others; only `studio` joins a generator and a judge (calibration,
builders that fit a generator's data with a judge's tools). Why a test: a judge that imports the generator
it checks, or a generator that reaches into its judge, stops being an independent check, and the breach is
one innocent-looking lazy import inside a function, which no other test would notice.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: package -> the project packages it may not import
FORBIDDEN = {
    "conditioning": {"generators", "critics", "studio"},
    "generators": {"critics", "studio"},
    "critics": {"generators", "studio"},
}


def project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in a file, those inside functions included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name.split(".")[0]) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module.split(".")[0]))
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_import_only_in_the_designed_direction(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no sources under {package}/"
    breaches = [f"{p.relative_to(ROOT)}:{line} imports {mod}" for p in files
                for line, mod in project_imports(p) if mod in FORBIDDEN[package]]
    assert not breaches, "against DESIGN.md section 1:\n" + "\n".join(breaches)


def test_the_checker_sees_imports_inside_functions(tmp_path):
    """The breach this test exists for is a lazy import in a function body."""
    src = tmp_path / "m.py"
    src.write_text("import numpy\n\ndef f():\n    from critics.speech import encoder\n    import studio.cli\n")
    assert project_imports(src) == [(1, "numpy"), (4, "critics"), (5, "studio")]


def test_the_registry_names_each_neural_backends_own_variable():
    """`auto` honours a variable the user set (generators.registry.MODEL_ENVS); it must be the one the backend
    itself reads, or setting it would do one thing for auto and another for --backend."""
    import importlib

    from generators.registry import GENERATORS, MODEL_ENVS

    for key, env in MODEL_ENVS.items():
        module = importlib.import_module(GENERATORS[key].split(":")[0])
        assert module.MODEL_ENV == env, key


def test_a_project_module_that_does_not_import_is_a_bug_not_a_missing_package():
    """A registered backend whose module imports a misspelt project module was reported as a missing Python
    package ('reinstall emotion-studio'), and `auto` passed over it silently; a missing third-party package is
    still said as one, naming the extra that brings it."""
    import pytest

    from conditioning.registry import BackendUnavailable, load_class

    with pytest.raises(ModuleNotFoundError, match="generators.image.procedual"):
        load_class("generators.image.procedual:Painter", "image/mypainter", "image")
    with pytest.raises(BackendUnavailable, match=r"'no_such_package_zz'.*emotion-studio\[image\]"):
        load_class("no_such_package_zz.module:Painter", "image/mypainter", "image")


def test_every_shipped_weight_file_records_its_data_and_their_terms():
    """The data README asks every shipped weight file to say which corpus and which licence it comes from;
    image_embedded.json and both speech judges' files said neither."""
    import json
    from pathlib import Path

    weights = Path(__file__).resolve().parents[1] / "critics" / "weights"
    records = sorted(weights.glob("*.json"))
    assert len(records) >= 6
    for path in records:
        data = json.loads(path.read_text())["data"]
        assert data.get("licence") and (data.get("corpus") or data.get("file")), path.name


def test_the_python_api_never_looks_up_the_hub(tmp_path):
    """Only the command line set Hugging Face's offline variables, so the Python API looked up huggingface.co when a
    CLIP critic was named by its hub id (huggingface_hub's agent registry, even with local_files_only). Run with
    the variables unset and name resolution blocked: no lookup, and the critic's one-line refusal."""
    import json
    import os
    import subprocess
    import sys

    import pytest

    pytest.importorskip("transformers")
    code = """
import json, socket
calls = []
def blocked(host, *a, **k):
    calls.append(host)
    raise OSError("no network")
socket.getaddrinfo = blocked
import numpy as np
from conditioning.media import Image
from conditioning.registry import BackendUnavailable
from critics.registry import load_critic
try:
    load_critic("image", "clip").score(Image(np.zeros((32, 32, 3), np.uint8)))
    message = "read"
except BackendUnavailable as exc:
    message = str(exc)
print(json.dumps({"calls": calls, "message": message}))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env["HF_HOME"] = str(tmp_path)  # an empty cache
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["calls"] == [] and "nothing is downloaded" in out["message"]


def test_every_critic_says_what_it_was_made_from():
    """A dataset's card names its judges' sources and terms from `critics.registry.TERMS` (a fixed paragraph had
    named every corpus and none of the speech encoder's base weights: an audit)."""
    from critics.registry import CRITICS, TERMS

    assert set(TERMS) == set(CRITICS)
    assert "LibriSpeech" in TERMS["speech/encoder"] and "RAVDESS" in TERMS["speech/encoder"]
