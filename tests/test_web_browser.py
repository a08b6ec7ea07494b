"""The web studio in a real browser (Debian chromium driven by Playwright; nothing downloaded at run time): set
an emotion by clicking the circumplex, generate speech and see the player and the fidelity readout, analyse an
upload, see a message for a bad upload, follow a dataset job across a page reload, pass axe-core's WCAG A and AA
rules on every tab, and make speech with the keyboard alone."""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    pytest.importorskip("gradio")
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("piper")
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed (Debian: apt install chromium)")
    from studio.web import running

    tmp = tmp_path_factory.mktemp("web")
    with running(tmp) as url:
        yield url, tmp


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        pg = browser.new_page(viewport={"width": 1280, "height": 1000})
        pg.goto(app_url[0])
        pg.wait_for_selector("#circumplex img", timeout=60_000)
        pg.wait_for_function("document.querySelector('#emotion-readout').innerText.includes('valence')", timeout=60_000)
        yield pg
        browser.close()


def test_clicking_the_circumplex_sets_the_emotion(page):
    page.locator("#circumplex img").click(position={"x": 80, "y": 340})  # lower left: unpleasant, calm
    page.wait_for_function("document.querySelector('#emotion-readout').innerText.includes('valence -')", timeout=30_000)
    text = page.locator("#emotion-readout").inner_text()
    assert "arousal -" in text


def test_generating_speech_shows_a_player_the_fidelity_and_the_report(page):
    page.get_by_role("tab", name="Speech").click()
    page.locator("#speech-go").click()
    page.wait_for_selector("#speech-report :text('fidelity')", timeout=180_000)
    report = page.locator("#speech-report").inner_text()
    assert "speech/embedded" in report and "speech/encoder" in report and "licence" in report
    audio = page.locator("#speech-audio")
    assert audio.locator("a[download], audio, button").count() > 0
    link = page.locator("#speech-json a").first  # the take's JSON report, to download
    assert link.get_attribute("href").endswith(".wav.json") and "KB" in page.locator("#speech-json").inner_text()


def test_a_talking_face_comes_back_with_its_words_as_captions(page):
    """The face video carries its spoken text as a captions track (a (video, subtitles) value made Gradio 6 fail
    inside its own code, and the tab showed only an error)."""
    reload(page)
    page.get_by_role("tab", name="Face").click()
    page.get_by_role("button", name="Generate talking face").click()
    page.wait_for_selector("#face-report :text('fidelity')", timeout=240_000)
    assert "face/classifier" in page.locator("#face-report").inner_text()
    assert page.locator("video track").count() >= 1


def reload(page) -> None:
    """Reload the page, as a user would, and wait until the app is drawn again."""
    page.reload()
    page.wait_for_selector("#circumplex img", timeout=60_000)


def choose_file(page, elem_id: str, path) -> None:
    """Put a file in the upload box ``elem_id`` through the browser's file chooser, as a user would."""
    with page.expect_file_chooser() as chooser:
        page.locator(f"#{elem_id} button.upload-container").click()
    chooser.value.set_files(str(path))
    page.wait_for_timeout(1500)


def upload(page, path) -> None:
    """Analyse a file: the Analyse tab, its upload box, its button."""
    page.get_by_role("tab", name="Analyse").click()
    choose_file(page, "analyse-file", path)
    page.locator("#analyse-go").click()


def test_analysing_an_upload_and_refusing_a_bad_one(page, app_url, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not audio")
    upload(page, bad)
    page.wait_for_selector("text=speech takes", timeout=60_000)  # the error message, no traceback
    assert "Traceback" not in page.content()
    wavs = sorted((app_url[1] / "out").glob("*.wav"))
    assert wavs, "the speech test should have left a take in the app's folder"
    reload(page)
    upload(page, wavs[0])
    page.wait_for_selector("#analyse-report :text('speech/encoder')", timeout=120_000)
    report = page.locator("#analyse-report").inner_text()
    assert "speech/embedded" in report and "no speaker reference" in report  # no neutral take was uploaded
    assert page.locator("#analyse-reference").count() == 1


def test_a_dataset_job_is_still_followed_after_a_reload(page, tmp_path):
    """A dataset job runs for minutes; its id used to live in the page's gr.State, so a reload lost the job's
    progress and its download while it went on making items. Now the browser keeps it."""
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: reload-check\nseed: 1\nmodalities:\n  image:\n    count: 12\n    styles: [horizon]\n"
                    "    size: 256\nemotions:\n  sampling: grid\n  labels: [joy, sadness]\n  intensities: [1.0]\n"
                    "filter:\n  recognised_by: none\n", encoding="utf-8")
    page.get_by_role("tab", name="Dataset").click()
    choose_file(page, "dataset-spec", spec)
    page.locator("#dataset-go").click()
    page.wait_for_selector("#dataset-status :text('items')", timeout=60_000)
    reload(page)
    page.get_by_role("tab", name="Dataset").click()
    page.wait_for_selector("#dataset-status :text('done: 12 items')", timeout=120_000)
    page.wait_for_selector("#dataset-download :text('.zip')", timeout=30_000)  # and its download is offered again


def test_a_session_shows_its_steps_and_stop_ends_it_with_nothing_written(page, app_url):
    """A 30-minute session held the tab's one slot for minutes with its bar at 5 %, no Stop, and ran on after the
    tab was closed (an audit): the bar follows the session's steps, Stop ends it at its next step with no folder
    written, and the tab then builds the next one."""
    out = app_url[1] / "out"
    before = {p.name for p in out.iterdir()} if out.is_dir() else set()
    reload(page)
    page.get_by_role("tab", name="Therapy session").click()
    minutes = page.get_by_role("spinbutton", name="number input for minutes")
    minutes.fill("10")  # long enough to be stopped while it measures its clips
    minutes.press("Enter")
    page.get_by_role("button", name="Build session").click()
    page.wait_for_selector("text=/measuring clip \\d+ of/", timeout=240_000)
    page.locator("#session-stop").click()
    page.wait_for_selector("#session-report :text('Stopped.')", timeout=10_000)  # said (the bar had just vanished)
    page.wait_for_timeout(8_000)  # the session stops at its next step (a clip is measured in a second or two)
    made = {p.name for p in out.iterdir()} - before
    assert not [n for n in made if (out / n / "plan.json").exists() or (out / n).suffix == ".wav"], made
    minutes.fill("1")
    minutes.press("Enter")
    page.get_by_role("button", name="Build session").click()
    page.wait_for_selector("#session-report :text('clips')", timeout=240_000)


def test_a_take_can_be_stopped_from_its_tab(page, app_url):
    """The Speech, Face, Music and Image tabs had no Stop: a take of five loop rounds ran to its end whatever the
    user did (an audit). Music's Stop says so at once, the take ends at its next round with no file written, and
    the tab then makes the next take."""
    out = app_url[1] / "out"
    before = {p.name for p in out.iterdir()} if out.is_dir() else set()
    reload(page)
    page.locator("#emotion-spec textarea, #emotion-spec input").first.fill("calm")
    page.get_by_role("tab", name="Music").click()
    rounds = page.get_by_role("spinbutton", name="number input for closed-loop rounds")
    seconds = page.get_by_role("spinbutton", name="number input for seconds")
    for box, value in ((rounds, "4"), (seconds, "60")):
        box.fill(value, timeout=120_000)
        box.press("Enter")
    page.get_by_role("button", name="Compose").click()
    page.wait_for_selector("text=/take 1 of at most 5/", timeout=120_000)
    page.locator("#music-stop").click()
    page.wait_for_selector("#music-report :text('Stopped.')", timeout=10_000)
    page.wait_for_timeout(15_000)  # the round under way ends (a 60-s take is composed, rendered and read in ~6 s)
    assert not [n for n in {p.name for p in out.iterdir()} - before if n.startswith("music")]
    # on a loaded machine (a CI run beside two benchmarks) filling a box once took over Playwright's 30 s
    for box, value in ((rounds, "0"), (seconds, "5")):
        box.fill(value, timeout=120_000)
        box.press("Enter")
    page.get_by_role("button", name="Compose").click()
    page.wait_for_selector("#music-report :text('fidelity')", timeout=120_000)
    assert [n for n in {p.name for p in out.iterdir()} - before if n.startswith("music")]


def test_every_tab_passes_axe_cores_wcag_a_and_aa_rules(page):
    """Accessibility, checked by Deque's axe-core (the WCAG 2 A and AA rules): it found the circumplex's button
    without a name (its picture had no alt text), white on orange-500 primary buttons at 2.8:1 and grey footer,
    upload and slider text at about 3.5:1 (AA asks 4.5:1); `studio.web.theme` and `CSS` fix them. One rule is
    left out: `aria-prohibited-attr` fires on Gradio's own empty-output placeholders (a ``<div aria-label="Empty
    value">`` without a role), markup this app does not write; the Runs footer link appears after a first run."""
    from axe_playwright_python.sync_playwright import Axe

    reload(page)
    found = {}
    tabs = page.get_by_role("tab").all_inner_texts()  # every tab the app has, not a list kept here
    assert len(tabs) >= 7, tabs
    for tab in tabs:
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(800)
        res = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa"], "resultTypes": ["violations"],
                                       "rules": {"aria-prohibited-attr": {"enabled": False}}})
        found.update({f"{tab}: {v['id']}": [n["target"] for n in v["nodes"]][:3] for v in res.response["violations"]})
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_speech_can_be_made_with_the_keyboard_alone(page):
    """WCAG 2.1.1 (keyboard): from the top of the page, Tab reaches the emotion box (the circle's alternative for
    someone who cannot click a point), typing sets the emotion, and Tab then reaches the Speech tab's button,
    which Enter presses; the take and its report come back. A control that only a mouse can reach fails here."""
    reload(page)
    page.get_by_role("tab", name="Speech").click()
    page.locator("body").click(position={"x": 2, "y": 2})  # focus back at the top of the page

    def tab_to(elem_id: str, limit: int = 80) -> int:
        for n in range(1, limit + 1):
            page.keyboard.press("Tab")
            if page.evaluate(f"!!document.activeElement.closest('#{elem_id}')"):
                return n
        raise AssertionError(f"#{elem_id} not reached with {limit} presses of Tab")

    tab_to("emotion-spec")
    page.keyboard.type("sadness")
    page.wait_for_function("document.querySelector('#emotion-readout').innerText.includes('sadness')", timeout=30_000)
    tab_to("speech-go")
    page.keyboard.press("Enter")
    page.wait_for_selector("#speech-report :text('fidelity')", timeout=180_000)
    assert "**sadness**" not in page.locator("#speech-report").inner_text()  # rendered, not raw markdown
    assert "target sadness" in page.locator("#speech-report").inner_text()
    # the result is announced (focus stays on the button) and passes axe with the take shown: the plot was an
    # unnamed button, and axe had only been run on the empty page
    live = page.evaluate("[...document.querySelectorAll('#speech-report, #emotion-readout')]"
                         ".map(e => e.getAttribute('aria-live'))")
    assert live == ["polite", "polite"], live
    from axe_playwright_python.sync_playwright import Axe

    res = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa"], "resultTypes": ["violations"],
                                   "rules": {"aria-prohibited-attr": {"enabled": False}}})
    found = {v["id"]: [n["target"] for n in v["nodes"]][:3] for v in res.response["violations"]}
    assert not found, found


def test_an_emptied_intensity_box_and_a_failed_request_say_so_and_leave_no_old_result(page):
    """An emptied intensity box failed inside Gradio before any handler (a bare "Error", the readout still saying
    the old intensity); a request that failed left the previous take's report readable under its error badge; and
    every slider's reset button had one name, "Reset to default value", that a screen reader could not tell apart."""
    reload(page)
    assert page.get_by_role("button", name="Reset to default value").count() == 0
    box = page.get_by_role("spinbutton", name="number input for intensity")
    box.fill("")
    page.wait_for_function("document.querySelector('#emotion-readout').innerText.includes('intensity box is empty')",
                           timeout=30_000)
    box.fill("0.8")
    page.wait_for_function("!document.querySelector('#emotion-readout').innerText.includes('empty')", timeout=30_000)
    assert "valence" in page.locator("#emotion-readout").inner_text()
    # left empty, the box gives back its last value (Gradio set it to the slider's minimum when a click on a button
    # took the focus: an emptied intensity made a neutral take, with no word)
    box.fill("")
    page.locator("#emotion-spec textarea, #emotion-spec input").first.click()
    page.wait_for_function("!document.querySelector('#emotion-readout').innerText.includes('empty')", timeout=30_000)
    assert box.input_value() == "0.8"
    # a number past the slider's end is taken at the end the box shows: Gradio refused it before any handler and
    # the readout kept the old intensity while the next take was made at the box's 1 (an audit)
    page.locator("#emotion-spec textarea, #emotion-spec input").first.fill("joy")
    page.wait_for_function("document.querySelector('#emotion-readout').innerText.includes('intensity 0.80')",
                           timeout=30_000)
    box.fill("7")
    box.press("Tab")
    page.wait_for_function("document.querySelector('#emotion-readout').innerText.includes('intensity 1.00')",
                           timeout=30_000)
    page.get_by_role("tab", name="Speech").click()
    page.locator("#emotion-spec textarea, #emotion-spec input").first.fill("sadness")
    page.locator("#speech-go").click()
    page.wait_for_selector("#speech-report :text('target sadness')", timeout=180_000)
    page.locator("#emotion-spec textarea, #emotion-spec input").first.fill("angr")
    page.locator("#speech-go").click()
    page.wait_for_selector("text=unknown emotion word 'angr'", timeout=60_000)
    assert "target sadness" not in page.locator("#speech-report").inner_text()  # the old take is gone
