"""Screenshots of the web studio's tabs for the README (docs/web-*.png).

    .venv/bin/python docs/screenshots.py [--tabs Speech,Analyse] [--data ../shared/data]
    # needs the ui extra, playwright and Debian chromium

Starts `emostudio serve` on a free port, sets an emotion by clicking the circumplex, generates a take in the
Speech, Face and Image tabs and a 2-minute anxiety -> calm session with its clip files in the Therapy session tab, analyses a RAVDESS actor's strong anger against the same actor's neutral take in
the Analyse tab (when the shared data is there; then the same take clipped, for the note that says so), runs `examples/dataset_images.yaml` in the Dataset tab and
reloads the page before photographing it (the job's progress and download survive a reload), and photographs
every tab.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TABS = ("Speech", "Face", "Music", "Image", "Therapy session", "Dataset", "Analyse")
#: what the Analyse tab reads: a strong angry take and a neutral take of the same RAVDESS actor
ANALYSE = ("speech/ravdess/Actor_03/03-01-05-02-01-01-03.flac", "speech/ravdess/Actor_03/03-01-01-01-01-01-03.flac")


def upload(page, elem_id: str, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.locator(f"#{elem_id} button.upload-container").click()
    chooser.value.set_files(str(path))
    page.wait_for_timeout(1500)


def clipped_copy(take: Path) -> Path:
    """``take`` driven 19 dB past its peak into a hard clip (a shout into a phone), as a WAV in a temporary folder."""
    from conditioning.media import Audio, load_audio, save_audio
    from critics.speech.features import driven_into_clipping

    audio = load_audio(take)
    return save_audio(Path(tempfile.mkdtemp(prefix="shots_")) / "shout.wav",
                      Audio(driven_into_clipping(audio.samples, 20.0), audio.rate))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tabs", default=",".join(TABS), help="which tabs to photograph")
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from studio.web import running

    with running(Path(tempfile.mkdtemp(prefix="shots_"))) as url:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.goto(url)
            page.wait_for_selector("#circumplex img", timeout=60_000)
            page.wait_for_timeout(2000)
            page.locator("#circumplex img").click(position={"x": 330, "y": 120})  # pleasant, excited
            page.wait_for_timeout(2000)
            for tab in args.tabs.split(","):
                page.get_by_role("tab", name=tab).click()
                page.wait_for_timeout(800)
                if tab == "Analyse" and all((args.data / f).is_file() for f in ANALYSE):
                    upload(page, "analyse-file", args.data / ANALYSE[0])
                    upload(page, "analyse-reference", args.data / ANALYSE[1])
                    page.locator("#analyse-go").click()
                    page.wait_for_selector("#analyse-report :text('speech/encoder')", timeout=120_000)
                    page.wait_for_timeout(1500)
                if tab == "Dataset":
                    upload(page, "dataset-spec", HERE.parent / "examples" / "dataset_images.yaml")
                    page.locator("#dataset-go").click()
                    page.wait_for_selector("#dataset-status :text('done')", timeout=240_000)
                    page.reload()  # the browser keeps the job: its summary and download come back
                    page.wait_for_selector("#circumplex img", timeout=60_000)
                    page.get_by_role("tab", name=tab).click()
                    page.wait_for_selector("#dataset-download :text('.zip')", timeout=30_000)
                    page.wait_for_timeout(1500)
                label = {"Speech": "Generate speech", "Face": "Generate talking face", "Image": "Draw",
                         "Therapy session": "Build session"}.get(tab)
                if tab == "Therapy session":
                    page.get_by_label("also as clip files").check()
                if label:
                    page.get_by_role("button", name=label).click()
                    page.wait_for_selector("text=fidelity", timeout=240_000)
                    page.wait_for_timeout(3000)
                shot = HERE / f"web-{tab.lower().replace(' ', '-')}.png"
                page.screenshot(path=str(shot), full_page=True)
                print("wrote", shot)
                if tab == "Analyse" and (args.data / ANALYSE[0]).is_file():  # the same take, clipped: the note
                    page.reload()
                    page.wait_for_selector("#circumplex img", timeout=60_000)
                    page.get_by_role("tab", name=tab).click()
                    page.wait_for_timeout(800)
                    upload(page, "analyse-file", clipped_copy(args.data / ANALYSE[0]))
                    page.locator("#analyse-go").click()
                    page.wait_for_selector("#analyse-report :text('clipped')", timeout=120_000)
                    page.wait_for_timeout(1500)
                    page.screenshot(path=str(HERE / "web-analyse-clipped.png"), full_page=True)
                    print("wrote", HERE / "web-analyse-clipped.png")
                if label:
                    page.reload()
                    page.wait_for_selector("#circumplex img", timeout=60_000)
                    page.wait_for_timeout(1500)
                    page.locator("#circumplex img").click(position={"x": 330, "y": 120})
                    page.wait_for_timeout(1500)
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
