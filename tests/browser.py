"""Debian's chromium in headless mode: a page's DOM after rendering, and screenshots.

`make test` installs chromium with apt when it is missing (as root); tests that
need it skip with a message saying so when it is not there.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

# Artefacts a person can look at after a run (git-ignored).
OUTPUT_DIR = Path(__file__).resolve().parent / "output"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SKIP_REASON = (
    "BROWSER TEST SKIPPED: no chromium on PATH. `make test` installs it when run as root "
    "with apt (`apt-get install -y chromium`); install it to run this test."
)


def chromium() -> str | None:
    for name in CANDIDATES:
        if found := shutil.which(name):
            return found
    return None


def _run(url: str, *flags: str, timeout: float = 60) -> subprocess.CompletedProcess:
    binary = chromium()
    if binary is None:
        raise RuntimeError(SKIP_REASON)
    with tempfile.TemporaryDirectory(prefix="coopnews-chromium-") as profile:
        command = [
            binary,
            "--headless",
            # Root in CI and containers: chromium's sandbox needs user namespaces.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *flags,
            url,
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"chromium failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return result


def dump_dom(url: str) -> str:
    """The DOM as chromium serialises it once the page has loaded."""
    return _run(url, "--dump-dom").stdout


def screenshot(url: str, path: Path, width: int, height: int) -> Path:
    """A PNG of the first `height` CSS pixels of the page at `width` pixels wide."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _run(url, f"--window-size={width},{height}", f"--screenshot={path}")
    return path


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
