"""Screenshots of the web studio's tabs for the README (docs/web-*.png).

    .venv/bin/python docs/screenshots.py   # needs the ui extra, playwright and Debian chromium

Starts `emostudio serve` on a free port, sets an emotion by clicking the circumplex, generates a take in the
Speech, Face and Image tabs, and photographs every tab.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
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
            for tab in ("Speech", "Face", "Music", "Image", "Therapy session", "Dataset", "Analyse"):
                page.get_by_role("tab", name=tab).click()
                page.wait_for_timeout(800)
                label = {"Speech": "Generate speech", "Face": "Generate talking face", "Image": "Draw"}.get(tab)
                if label:
                    page.get_by_role("button", name=label).click()
                    page.wait_for_selector("text=fidelity", timeout=240_000)
                    page.wait_for_timeout(3000)
                shot = HERE / f"web-{tab.lower().replace(' ', '-')}.png"
                page.screenshot(path=str(shot), full_page=True)
                print("wrote", shot)
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
