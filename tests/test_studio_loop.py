"""The closed loop is generic: any generator/critic pair. Exercised with a real (if simple) signal pair: a
tone generator whose loudness and pulse rate follow arousal, and a critic that measures them."""
from dataclasses import replace

import numpy as np
import pytest

from conditioning import Emotion
from conditioning.media import Audio
from critics.base import Reading
from generators.base import GenerationRequest, GenerationResult, Provenance
from studio.studio import Studio

RATE = 8000


class PulseGenerator:
    """Pulses of a 220 Hz tone; arousal sets pulse rate and level, with a deliberate under-shoot (gain 0.5)
    that only a correcting loop can fix."""

    modality, name = "test", "pulse"

    def generate(self, req: GenerationRequest) -> GenerationResult:
        arousal = np.clip(0.5 * req.emotion.arousal + req.controls.get("arousal_offset", 0.0), -1, 1)
        t = np.arange(RATE) / RATE
        rate_hz = 3 + 2 * arousal
        env = (np.sin(2 * np.pi * rate_hz * t) > 0).astype(np.float32)
        x = 10 ** ((-20 + 10 * arousal) / 20) * env * np.sin(2 * np.pi * 220 * t)
        return GenerationResult(Audio(x.astype(np.float32), RATE), {"arousal": float(arousal)},
                                Provenance("test/pulse", "procedural", "CC0", req.seed))

    def correct(self, req, target: Emotion, reading: Reading) -> GenerationRequest:
        err = target.arousal - reading.arousal
        return req.with_controls(arousal_offset=req.controls.get("arousal_offset", 0.0) + err)


class LoudnessCritic:
    modality, name = "test", "loudness"

    def score(self, audio: Audio) -> Reading:
        rms_db = 20 * np.log10(np.sqrt(np.mean(audio.samples**2)) + 1e-9)
        arousal = float(np.clip((rms_db + 23) / 10, -1, 1))  # inverse of the generator's level law (pulse duty 1/2)
        return Reading("test/loudness", 0.0, arousal, 0.0, {"neutral": 1.0}, {}, 1.0)


def test_loop_corrects_towards_the_target_and_keeps_every_round():
    studio = Studio(threshold=0.99)
    req = GenerationRequest(Emotion.from_vad(0.0, 0.8, 0.0))
    open_loop = studio.run_loop(PulseGenerator(), LoudnessCritic(), req, loop=0)
    closed = studio.run_loop(PulseGenerator(), LoudnessCritic(), req, loop=3)
    assert len(open_loop.rounds) == 1 and len(closed.rounds) >= 2
    assert closed.best.fidelity > open_loop.best.fidelity
    errors = [abs(r.reading.arousal - 0.8) for r in closed.rounds]
    assert errors[-1] < errors[0] / 2
    assert closed.to_json()["rounds"][0]["fidelity"] == round(open_loop.best.fidelity, 4)


def test_the_loop_tells_each_round_as_it_starts_and_the_web_bar_moves_with_it():
    """The web app's bar stood at 10 % through a four-round take (an audit): ``progress`` is told each round as it
    starts, and the web's `rounds_told` turns that into the bar's fraction and "take 2 of at most 4"."""
    from studio.web import rounds_told

    told = []
    studio = Studio(threshold=1.01)  # never satisfied: every round runs
    res = studio.run_loop(PulseGenerator(), LoudnessCritic(), GenerationRequest(Emotion.parse("anger")), loop=3,
                          progress=lambda i, n: told.append((i, n)))
    assert told == [(0, 4), (1, 4), (2, 4), (3, 4)] and len(res.rounds) == 4
    bar = []
    for i, n in told:
        rounds_told(lambda f, desc: bar.append((round(f, 3), desc)), "speaking and judging")(i, n)
    assert [f for f, _ in bar] == sorted(f for f, _ in bar) and bar[0][0] < 0.1 < bar[-1][0] < 1
    assert bar[1][1] == "speaking and judging: take 2 of at most 4"
    told.clear()
    Studio().generate("image", "joy", loop=1, progress=lambda i, n: told.append((i, n)))
    assert told and told[0] == (0, 2)  # through the facade too


def test_loop_without_correct_retries_with_new_seeds():
    class NoCorrect:
        modality, name = "test", "seed-only"
        generate = PulseGenerator.generate

    gen = NoCorrect()
    studio = Studio(threshold=1.01)  # never satisfied: uses the whole budget
    res = studio.run_loop(gen, LoudnessCritic(), GenerationRequest(Emotion.parse("anger"), seed=7), loop=2)
    assert [r.request.seed for r in res.rounds] == [7, 8, 9]


def test_a_loop_from_the_largest_seed_goes_on_from_0():
    """`--seed 9223372036854775807 --loop 2` failed after its rounds, with a seed the user never gave (an audit)."""
    from generators.base import MAX_SEED

    class NoCorrect:
        modality, name = "test", "seed-only"
        generate = PulseGenerator.generate

    res = Studio(threshold=1.01).run_loop(NoCorrect(), LoudnessCritic(),
                                          GenerationRequest(Emotion.parse("anger"), seed=MAX_SEED), loop=2)
    assert [r.request.seed for r in res.rounds] == [MAX_SEED, 0, 1]


def test_the_loop_stops_when_its_correction_asks_for_the_same_take_again():
    """An image's controls at their limits drew rounds 4-9 as one picture, in twice the time (an audit)."""
    class Saturating(PulseGenerator):
        def correct(self, req, target, reading):  # an offset held at its bound, as a backend's controls are
            return req.with_controls(arousal_offset=min(0.2, req.controls.get("arousal_offset", 0.0) + 0.1))

    res = Studio(threshold=1.01).run_loop(Saturating(), LoudnessCritic(),
                                          GenerationRequest(Emotion.from_vad(0.0, 0.9, 0.0)), loop=6)
    assert [r.request.controls.get("arousal_offset", 0.0) for r in res.rounds] == pytest.approx([0.0, 0.1, 0.2])
    assert res.notes and "stopped after round 2" in res.notes[0]
    image = Studio().generate("image", "joy", loop=9, seed=0)  # the audit's case, through the public call
    assert len(image.rounds) < 10 and any("stopped after round" in n for n in image.all_notes)
    assert len({r.result.media.pixels.tobytes() for r in image.rounds}) == len(image.rounds)  # no round repeated


def test_same_request_same_output():
    req = GenerationRequest(Emotion.parse("joy"), seed=3)
    a, b = PulseGenerator().generate(req), PulseGenerator().generate(replace(req))
    assert np.array_equal(a.media.samples, b.media.samples)


def test_loop_keeps_going_while_the_label_is_wrong_and_prefers_the_right_label():
    """A take close in valence-arousal but heard as another emotion does not end the loop, and a take heard as
    the asked-for emotion wins over it even at a lower fidelity."""
    from conditioning.metrics import category_agrees

    class Pulses(PulseGenerator):
        def correct(self, req, target, reading):
            return req.with_controls(round=req.controls.get("round", 0) + 1)

    class LabelCritic:
        """Round 0: right coordinates, wrong label (fear for joy); round 1: the label, coordinates further off."""
        modality, name = "test", "label"

        def __init__(self):
            self.calls = 0

        def score(self, audio):
            self.calls += 1
            if self.calls == 1:
                return Reading("test/label", 0.85, 0.5, 0.0, {"fear": 0.6, "joy": 0.4}, {}, 0.6)
            return Reading("test/label", 0.6, 0.4, 0.0, {"joy": 0.7, "fear": 0.3}, {}, 0.7)

    joy = Emotion.parse("joy")
    assert category_agrees(joy, Emotion.parse("fear:0.6+joy:0.4")) is False
    assert category_agrees(Emotion.from_vad(0.5, 0.5), Emotion.parse("joy")) is None  # coordinates: no label
    out = Studio(threshold=0.85).run_loop(Pulses(), LabelCritic(), GenerationRequest(joy), loop=2)
    assert out.rounds[0].fidelity > out.rounds[1].fidelity and out.rounds[0].agrees is False
    assert len(out.rounds) == 2  # round 1 agrees and is close enough: the loop stops there
    assert out.best.index == 1 and out.best.agrees is True


def test_two_judges_a_take_is_recognised_only_when_both_agree_and_the_report_keeps_each_reading():
    """The loop listens to both judges: one judge hearing joy is not enough while the other hears fear; the
    loop goes on, the consensus is their mean, and the report carries each judge's reading and fidelity."""

    class Fixed:
        modality = "test"

        def __init__(self, name, readings):
            self.name, self.readings, self.calls = name, list(readings), 0

        def score(self, audio):
            r = self.readings[min(self.calls, len(self.readings) - 1)]
            self.calls += 1
            return Reading(f"test/{self.name}", *r, {}, 0.8)

    joy = Emotion.parse("joy")
    pleased = Fixed("pleased", [(0.8, 0.5, 0.3, {"joy": 1.0})] * 3)  # always hears joy
    strict = Fixed("strict", [(-0.4, 0.6, -0.2, {"fear": 0.9, "joy": 0.1}), (0.7, 0.5, 0.3, {"joy": 0.9, "fear": 0.1})])
    out = Studio(threshold=0.8).run_loop(PulseGenerator(), [pleased, strict], GenerationRequest(joy), loop=3)
    first, second = out.rounds[0], out.rounds[1]
    assert [j.agrees for j in first.judgements] == [True, False] and first.agrees is False
    assert second.agrees is True and len(out.rounds) == 2 and out.best.index == 1
    assert abs(first.reading.valence - 0.2) < 1e-9  # consensus: the judges' mean
    assert abs(first.fidelity - (first.judgements[0].fidelity + first.judgements[1].fidelity) / 2) < 1e-12
    report = out.to_json()
    assert [j["critic"] for j in report["judges"]] == ["test/pleased", "test/strict"]
    assert report["recognised"] is True
    assert [j["agrees"] for j in report["rounds"][0]["judges"]] == [True, False]


def test_symbolic_judges_read_the_takes_score_and_skip_takes_without_one():
    """A critic with reads = "midi" gets the take's MIDI bytes; a take without MIDI is judged by the others."""
    seen = []

    class Notes:
        modality, name, reads = "test", "notes", "midi"

        def score(self, midi):
            seen.append(midi)
            return Reading("test/notes", 0.0, 0.7, 0.0, {"neutral": 1.0}, {}, 1.0)

    class WithMidi(PulseGenerator):
        def generate(self, req):
            res = super().generate(req)
            return replace(res, extras={"midi_bytes": b"MThd"})

    req = GenerationRequest(Emotion.from_vad(0.0, 0.8, 0.0))
    both = Studio().run_loop(WithMidi(), [LoudnessCritic(), Notes()], req)
    assert seen == [b"MThd"] and len(both.best.judgements) == 2
    alone = Studio().run_loop(PulseGenerator(), [LoudnessCritic(), Notes()], req)
    assert len(alone.best.judgements) == 1 and seen == [b"MThd"]


def test_a_judge_that_cannot_read_the_take_is_reported_not_fatal():
    """A judge's `CriticError` (e.g. a speech judge given noise by an untrained model) leaves the take and the
    other judges' readings in place: the round says which judge could not read it and why, and the take is
    never 'recognised by every judge'."""
    from critics.base import CriticError

    class Refuses:
        modality, name = "test", "refuses"

        def score(self, audio):
            raise CriticError("this does not sound like speech")

    studio = Studio(threshold=0.99)
    req = GenerationRequest(Emotion.from_vad(0.0, 0.8, 0.0))
    both = studio.run_loop(PulseGenerator(), [LoudnessCritic(), Refuses()], req, loop=2)
    assert [j.critic for j in both.best.judgements] == ["test/loudness"]
    assert [u.critic for u in both.best.unread] == ["test/refuses"] and both.best.agrees is not True
    doc = both.to_json()
    assert doc["unread"] == [{"critic": "test/refuses", "error": "this does not sound like speech"}]
    assert len(both.rounds) >= 2  # the judge that could read it still steers the loop
    alone = studio.run_loop(PulseGenerator(), [Refuses()], req, loop=2)
    assert len(alone.rounds) == 1 and alone.best.fidelity is None and alone.best.agrees is None


def test_a_reading_depends_only_on_its_own_request_not_on_what_ran_before():
    """The neutral reference a take is measured against is made from the take's own seed. It used to be the
    first request's seed for the same text, so a dataset item read differently after a resume, on several
    worker processes or on Ray, depending on which item a process happened to make first."""

    class SeededVoice(PulseGenerator):
        """A voice whose neutral level depends on the seed, as a TTS take's timing and energy do."""

        def generate(self, req):
            res = PulseGenerator.generate(self, req)
            return replace(res, media=Audio(res.media.samples * (1.0 + 0.1 * req.seed), RATE))

        def neutral_reference(self, req):
            return self.generate(replace(req, emotion=Emotion.neutral(), controls={})).media

    class RelativeLoudness(LoudnessCritic):
        def reference(self, takes):
            return float(np.sqrt(np.mean(takes[0].samples ** 2)))

        def score(self, audio, speaker_reference=None):
            rel_db = 20 * np.log10(np.sqrt(np.mean(audio.samples ** 2)) / speaker_reference)
            return Reading("test/relative", 0.0, float(np.clip(rel_db / 10, -1, 1)), 0.0, {"neutral": 1.0}, {}, 1.0)

    gen, critic = SeededVoice(), RelativeLoudness()

    def request(seed):
        return GenerationRequest(Emotion.from_vad(0.0, 0.8, 0.0), text="the same words", seed=seed)

    alone = Studio().run_loop(gen, critic, request(5)).best.judgements[0].reading.arousal
    shared = Studio()
    shared.run_loop(gen, critic, request(0))
    after_another = shared.run_loop(gen, critic, request(5)).best.judgements[0].reading.arousal
    assert after_another == alone


def test_a_take_asked_to_follow_a_trajectory_is_judged_along_it():
    """`Studio.generate(..., trajectory=...)` used to score the take against its static `emotion` only: a piece
    that moves from sadness to joy as asked read as a poor sadness. Now each judge's time series is compared
    with the trajectory point by point, and the report carries the trajectory."""
    import pytest

    from conditioning import Trajectory
    from conditioning.metrics import fidelity
    from studio.studio import Judgement

    pytest.importorskip("pretty_midi")
    studio = Studio()
    traj = Trajectory.of([(0, "sadness"), (24, "joy")])
    moving = studio.generate("music", "sadness", trajectory=traj, duration_s=24, seed=1)
    still = studio.generate("music", "sadness", duration_s=24, seed=1)
    assert moving.to_json()["trajectory"]["keyframes"][1]["time_s"] == 24
    for judged in moving.best.judgements:
        assert judged.agrees is None and len(judged.reading.series) >= 2  # no one label for a moving target
        static = fidelity(Emotion.parse("sadness"), judged.reading.emotion)
        held = Judgement.of(Emotion.parse("sadness"), [j for j in still.best.judgements
                                                      if j.critic == judged.critic][0].reading, traj, 24.0)
        # the moving piece follows the trajectory better than it matches static sadness, and better than a
        # piece that stays sad does
        assert judged.fidelity > static + 0.1 and judged.fidelity > held.fidelity + 0.05, judged.critic


def test_a_spoken_take_shorter_than_its_trajectory_says_how_much_of_it_it_follows():
    """A spoken take lasts as long as its words: 'The train leaves at noon.' followed the first 1.6 s of a 10-s
    sadness -> joy path, its report carrying the whole path and no note (music said so; an audit). A face says
    it once, through its voice's note."""
    from conditioning import Trajectory

    studio, traj = Studio(), Trajectory.of([(0, "sadness"), (10, "joy")])
    take = studio.generate("speech", None, text="The train leaves at noon.", trajectory=traj, score=False)
    said = f"{round(take.media.duration_s, 1):g} s"
    assert take.media.duration_s < 4 and take.all_notes == [
        f"the take lasts {said}, so it follows the trajectory's first {said} of 10"]
    face = studio.generate("face", None, text="The train leaves at noon.", trajectory=traj, score=False)
    assert [n for n in face.all_notes if "trajectory's first" in n] == [f"its voice: {take.all_notes[0]}"]
    whole = studio.generate("speech", None, text="The train leaves at noon.", score=False,
                            trajectory=Trajectory.of([(0, "sadness"), (1, "joy")]))
    assert not [n for n in whole.all_notes if "trajectory's first" in n]


def test_a_label_at_intensity_zero_is_the_neutral_point_and_is_heard_as_neutral():
    """'joy@0' (the web's intensity slider at 0) is the neutral point, and the generators render a neutral take
    of it; judges that heard that take as neutral at fidelity 0.98 counted as a 'no', so it was never
    recognised and the loop spent its rounds on it."""
    from conditioning.metrics import category_agrees, target_term

    neutral, faint = Emotion.parse("neutral"), Emotion.parse("joy@0")
    assert target_term(faint) == "neutral" and target_term(Emotion.parse("joy@0.1")) == "joy"
    assert category_agrees(faint, neutral) is True and category_agrees(faint, Emotion.parse("joy:0.8+neutral:0.2")) is False
    assert category_agrees(Emotion.parse("joy@0.1"), Emotion.parse("neutral:0.8+joy:0.2")) is False

    class Heard:  # a judge that hears what a neutral take is heard as
        modality, name = "test", "heard"

        def score(self, audio):
            return Reading("test/heard", 0.02, -0.03, 0.0, {"neutral": 0.8, "joy": 0.2}, {}, 0.8)

    out = Studio(threshold=0.85).run_loop(PulseGenerator(), Heard(), GenerationRequest(faint), loop=2)
    assert out.recognised and len(out.rounds) == 1 and out.best.agrees is True


def test_the_loop_keeps_its_best_round_not_its_last():
    """In every other loop test the best round was also the last, so keeping the last passed them. The report
    says which round it kept (``kept_round``)."""
    class CloseFirst:
        modality, name, calls = "test", "close-first", 0

        def score(self, audio):
            self.calls += 1
            v = 0.6 if self.calls == 1 else -0.6  # the first take near the target, the later ones far from it
            return Reading("test/close-first", v, 0.5, 0.0, {"neutral": 1.0}, {}, 1.0, categorical=False)

    class NewSeeds:  # (a correction that asked for the same take would end the loop: the next test)
        modality, name = "test", "seed-only"
        generate = PulseGenerator.generate

    out = Studio(threshold=0.99).run_loop(NewSeeds(), CloseFirst(),
                                          GenerationRequest(Emotion.parse("v=0.7,a=0.5")), loop=2)
    assert len(out.rounds) == 3 and out.best.index == 0
    # the report names the round it kept: its top-level readings matched one round and no field said which
    report = out.to_json()
    assert report["kept_round"] == 0 and report["rounds"][0]["fidelity"] == report["fidelity"]
    assert report["rounds"][2]["fidelity"] != report["fidelity"]


def test_generate_refuses_arguments_its_modality_would_ignore():
    """The command line refuses them; Studio.generate dropped them without a word: speech given duration_s=10 made
    a 0.7 s take, a face given text and a recording showed the recording, a picture given a trajectory was drawn at
    its start and judged against its middle."""
    from conditioning import Trajectory
    from generators.base import GenerationError

    st = Studio()
    traj = Trajectory.of([(0.0, "sadness"), (10.0, "joy")])
    for modality, kw, says in (("speech", {"text": "Hello there.", "duration_s": 10}, "speech takes no duration_s"),
                               ("speech", {"text": "Hello there.", "prompt": "a choir"}, "speech takes no prompt"),
                               ("image", {"text": "Hello there."}, "image takes no text"),
                               ("image", {"duration_s": 5}, "image takes no duration_s"),
                               ("image", {"trajectory": traj}, "a picture is one moment"),
                               ("music", {"text": "Hello there."}, "music takes no text"),
                               ("face", {"prompt": "a cat"}, "face takes no prompt"),
                               ("face", {"text": "Hello there.", "options": {"audio": "x.wav"}}, "not both"),
                               ("face", {"text": "Hello there.", "duration_s": 5}, "is for a silent face clip")):
        with pytest.raises(GenerationError, match=says):
            st.generate(modality, "joy", score=False, **kw)


def test_a_judge_that_cannot_read_the_take_does_not_stop_the_loop():
    """One judge heard joy and another raised on the take: the loop stopped after one round though the round was
    not recognised (the report's own rule counts an unread judge as a no)."""
    from critics.base import CriticError

    class Pleased:
        def score(self, media):
            return Reading("speech/pleased", 0.8, 0.5, 0.3, {"joy": 1.0}, {"joy": 1.0}, 1.0)

    class Broken:
        def score(self, media):
            raise CriticError("cannot read this")

    out = Studio(threshold=0.5).run_loop(PulseGenerator(), [Pleased(), Broken()], GenerationRequest(Emotion.parse("joy")),
                                         loop=2)
    assert len(out.rounds) == 3 and not out.recognised


def test_a_take_of_under_a_second_of_speech_says_its_readings_are_unreliable():
    """critique noted a file of under 1 s of speech, and generate said nothing of its own take ("Hi." is 0.29 s)."""
    from studio.studio import Studio

    short = Studio().generate("speech", "joy", text="Hi.")
    assert any("s of speech: under 1 s of speech gives the judges little to read" in n for n in short.notes)
    assert not any("of speech" in n for n in Studio().generate("speech", "joy", text="I am so happy to see you "
                                                               "again today.").notes)


def test_a_quadrant_judge_votes_for_every_term_its_quadrant_stands_for():
    """EMOPIA's quadrants stand for several terms at once (Q1: joy and excitement at 0.5 each; Q2: anger, tension,
    fear). The vote went to the mix's largest term alone, the first of a tie, so a music judge that placed an
    excitement, tension, fear, melancholy or contentment take in its quadrant voted against it: such takes were
    never recognised, and the loop spent every round on takes that were already right."""
    from critics.base import Reading
    from studio.studio import Judgement

    def quadrant(q: str, p: float = 0.9) -> Reading:
        rest = (1 - p) / 3
        return Reading.from_native("music/symbolic", {k: (p if k == q else rest) for k in ("Q1", "Q2", "Q3", "Q4")},
                                   "emopia")

    for target, q in (("excitement", "Q1"), ("joy", "Q1"), ("tension", "Q2"), ("fear", "Q2"), ("anger", "Q2"),
                      ("melancholy", "Q3"), ("sadness", "Q3"), ("contentment", "Q4"), ("calm", "Q4")):
        assert Judgement.of(Emotion.parse(target), quadrant(q)).agrees is True, target
        other = {"Q1": "Q3", "Q2": "Q4", "Q3": "Q1", "Q4": "Q2"}[q]
        assert Judgement.of(Emotion.parse(target), quadrant(other)).agrees is False, target
    # a one-to-one label set votes as before: its top class's one term
    happy = Reading.from_native("speech/embedded", {"happy": 0.5, "fearful": 0.3, "neutral": 0.2}, "ravdess")
    assert Judgement.of(Emotion.parse("joy"), happy).agrees is True
    assert Judgement.of(Emotion.parse("fear"), happy).agrees is False
