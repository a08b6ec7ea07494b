"""The prosody calibration on human speech (studio/calibrate.py), on a small slice of RAVDESS."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

pytest.importorskip("piper", reason="speech/piper needs the 'speech' extra (piper-tts)")
pytest.importorskip("parselmouth", reason="the speech features need praat-parselmouth (the 'speech' extra)")
pytest.importorskip("sklearn", reason="the calibration needs scikit-learn (the 'train' extra)")


def test_calibration_moves_anger_towards_the_actors_and_writes_a_loadable_table(shared_data, tmp_path):
    from studio import calibrate
    from generators.speech.prosody import LIMITS

    out = tmp_path / "cal.py"
    meta = calibrate.main(["--data", str(shared_data), "--cache", str(tmp_path / "cache"), "--out", str(out),
                           "--labels", "neutral,angry", "--texts", "1", "--steps", "3", "--per-speaker", "20"])
    start, end = meta["distance"]["angry"]
    assert end < start  # the fitted take is closer to the actors' anger than the literature profile's (12.98 -> 6.41)
    start, end = meta["distance_normal"]["angry"]
    assert end <= start  # a damped step is taken only when it brings the take closer (on this slice of one
    # sentence the label's own Jacobian finds none in three steps at normal intensity; below, the neutral one does)
    spec = importlib.util.spec_from_file_location("cal", out)
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    # the actors' spectral change, which the backend matches in every take, is written beside the table
    spec_s = importlib.util.spec_from_file_location("cal_spectra", tmp_path / "cal_spectra.py")
    spectra = importlib.util.module_from_spec(spec_s)
    spec_s.loader.exec_module(spectra)
    low_to_mid = np.mean(spectra.STRONG["anger"][20:30]) - np.mean(spectra.STRONG["anger"][:4])
    assert len(spectra.STRONG["anger"]) == 40 and low_to_mid > 10  # shouting: energy moves up the spectrum
    for anger in (table.CONTROLS["anger"], table.CONTROLS_NORMAL["anger"]):
        assert set(anger) == set(LIMITS)
        for k, v in anger.items():
            lo, hi = {**LIMITS, **calibrate.FIT_LIMITS}[k]  # the formant shift: no more than the actors' own
            assert lo - 1e-6 <= v <= hi + 1e-6, k
    from conditioning import parse_emotion
    from generators.speech.prosody import literature_controls

    literature = literature_controls(parse_emotion("anger")).to_json()
    for k in calibrate.DEFAULT_FIXED.split(","):  # rate, pause, jitter: jitter's fitted values cost fear's words
        assert table.CONTROLS["anger"][k] == pytest.approx(literature[k], abs=1e-5), k
    # --normal-only refits the normal intensity and keeps the table's full-intensity profiles as they are (here
    # with the Jacobian measured once around neutral, the table's method until 2026-12-07)
    strong = dict(table.CONTROLS["anger"])
    again = calibrate.main(["--data", str(shared_data), "--cache", str(tmp_path / "cache"), "--out", str(out),
                            "--labels", "neutral,angry", "--texts", "1", "--steps", "3", "--per-speaker", "20",
                            "--normal-only", "--jacobian", "neutral"])
    spec.loader.exec_module(table)
    assert table.CONTROLS["anger"] == pytest.approx(strong, abs=1e-4) and "--normal-only" in again["command"]
    assert "--jacobian neutral" in again["command"] and again["jacobian"] == "neutral"
    assert "--jacobian" not in meta["command"] and meta["jacobian"] == "label"  # each label's own, by default
    start, end = again["distance_normal"]["angry"]
    assert end < start  # and at the actors' normal intensity (8.42 -> 7.56)


def test_human_targets_show_the_known_acoustics_of_emotion(shared_data, tmp_path):
    """Known facts of acted speech (Scherer 2003): anger is louder and higher than neutral; sadness is
    quieter than anger. The targets the calibration fits must show them."""
    from critics.speech.features import feature_names
    from studio.calibrate import human_targets

    targets, scale, disc = human_targets(shared_data, tmp_path / "cache", log=lambda *a: None, per_speaker=20)
    normal, _, _ = human_targets(shared_data, tmp_path / "cache", log=lambda *a: None, per_speaker=20, intensity="normal")
    names = feature_names()
    level, f0 = names.index("energy_mean"), names.index("f0_p50")
    assert targets["angry"][level] > 1.0 and targets["angry"][f0] > 1.0  # in within-speaker sd units
    assert targets["sad"][level] < targets["angry"][level]
    assert np.allclose(targets["neutral"], 0.0)
    assert disc.shape == (7, len(names))
    # the actors' normal intensity is not a scaled-down strong one: strong sadness is tearful (raised F0), normal
    # sadness is not; anger is louder at strong than at normal intensity
    assert targets["sad"][f0] > normal["sad"][f0] + 0.5
    assert targets["angry"][level] > normal["angry"][level]
    # anger moves the spectrum more than neutral speech does, calm less than anger (the DYNAMICS measures)
    from studio.calibrate import DYNAMICS, PROSODIC, readable_rows

    rows = readable_rows("lda+prosody+dynamics")
    assert rows.shape == (len(PROSODIC) + len(DYNAMICS), len(names)) and np.allclose(rows.sum(1), 1.0)
    assert np.array_equal(readable_rows("lda+prosody"), rows[:len(PROSODIC)])
    spread = rows[len(PROSODIC)]  # mean over MFCCs 2-13 of their sd over the utterance
    assert spread @ targets["angry"] > 0.5 and spread @ targets["calm"] < spread @ targets["angry"] - 0.5


def test_another_backend_never_overwrites_pipers_table(capsys):
    """Every prosody backend reads the one table fitted on Piper: fitting another voice must name its own file."""
    from studio import calibrate

    with pytest.raises(SystemExit) as exc:
        calibrate.main(["--backend", "festival"])
    assert exc.value.code == 2
    assert "--backend festival needs --out" in capsys.readouterr().err


def test_a_labels_own_jacobian_sees_what_its_rendering_does_to_a_control():
    """`--jacobian label`: strong sadness's own spectral processing reverses what the tilt control does to the voice's
    spectral flatness (around neutral a steeper tilt makes the voiced spectrum less flat; in the sad rendering it makes
    it flatter), so the one Jacobian measured around neutral points the fit the wrong way there. The label's own
    Jacobian, measured around its starting profile with its rendering, predicts the change the take then shows."""
    from conditioning import parse_emotion
    from critics.speech.features import feature_names
    from generators.registry import load_generator
    from generators.speech.prosody import LIMITS, literature_controls
    from studio.calibrate import CALIBRATION_TEXTS, Probe, jacobian

    flat = feature_names().index("flatness_v_mean")
    probe = Probe(load_generator("speech", "piper"), CALIBRATION_TEXTS[:2], np.ones(len(feature_names())))
    sad = parse_emotion("sadness")
    start = literature_controls(sad).to_json()
    around_neutral = jacobian(probe, ["tilt"], LIMITS)[flat, 0]
    own = jacobian(probe, ["tilt"], LIMITS, at=start, emotion=sad)[flat, 0]
    steeper = probe.delta({**start, "tilt": start["tilt"] - 2.0}, sad)[flat] - probe.delta(start, sad)[flat]
    # around neutral, 2 dB steeper is less flat; the sad take 2 dB steeper is flatter (raw units: -0.003 predicted,
    # +0.0028 measured), and the label's own Jacobian predicts that change better (+0.0003)
    assert around_neutral > 0 and steeper > 0
    assert abs(steeper - (-2.0 * own)) < 0.5 * abs(steeper - (-2.0 * around_neutral))
