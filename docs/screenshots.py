"""Screenshots of the web studio's tabs for the README (docs/web-*.png).

    .venv/bin/python docs/screenshots.py   # needs the ui extra, playwright and Debian chromium

Starts `emostudio serve` on a free port, sets an emotion by clicking the circumplex, generates a take in the
Speech, Face and Image tabs, and photographs every tab.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = Path(tempfile.mkdtemp(prefix="shots_"))
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(tmp / "gradio")}
    proc = subprocess.Popen([sys.executable, "-m", "studio.cli", "serve", "--port", str(port), "--out", str(tmp / "out")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=HERE.parent)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.goto(url)
            page.wait_for_selector("#circumplex img", timeout=60_000)
            page.wait_for_timeout(2000)
            page.locator("#circumplex img").click(position={"x": 330, "y": 120})  # pleasant, excited
            page.wait_for_timeout(2000)
            shots = {"speech": "#speech-go", "face": None, "music": None, "image": None, "therapy session": None,
                     "dataset": None, "analyse": None}
            for tab, button in shots.items():
                page.get_by_role("tab", name=tab.title() if tab != "therapy session" else "Therapy session").click()
                page.wait_for_timeout(800)
                if tab in ("speech", "face", "image"):
                    label = {"speech": "Generate speech", "face": "Generate talking face", "image": "Draw"}[tab]
                    page.get_by_role("button", name=label).click()
                    page.wait_for_selector(f"text=fidelity", timeout=240_000)
                    page.wait_for_timeout(3000)
                page.screenshot(path=str(HERE / f"web-{tab.replace(' ', '-')}.png"), full_page=True)
                print("wrote", HERE / f"web-{tab.replace(' ', '-')}.png")
                if tab in ("speech", "face", "image"):
                    page.reload()
                    page.wait_for_selector("#circumplex img", timeout=60_000)
                    page.wait_for_timeout(1500)
                    page.locator("#circumplex img").click(position={"x": 330, "y": 120})
                    page.wait_for_timeout(1500)
            browser.close()
    finally:
        proc.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
