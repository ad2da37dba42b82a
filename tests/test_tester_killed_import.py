"""`coopnews import FILE` killed with SIGKILL after some chunks were stored: nothing of it
is left (one transaction), and a rerun stores every entry once. The process stops
itself after its second chunk (a wrapper around storage.entries.store_drafts) and
says so on stdout; the test kills it then, so no timing decides anything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter

from sqlalchemy import func, select

from storage.categories import category_list
from storage.models import Item
from tests import feed_samples as samples
from tests.conftest import ROOT, run_cli

WRAPPER = """
import sys, threading
import storage.entries as entries
entries.STREAM_CHUNK = 40
original, calls = entries.store_drafts, []
def store_drafts(*args, **kwargs):
    result = original(*args, **kwargs)
    calls.append(1)
    if len(calls) == 2:
        print("STORED TWO CHUNKS", flush=True)
        threading.Event().wait()  # until killed
    return result
entries.store_drafts = store_drafts
from bot.cli import main
sys.argv = ["coopnews", *sys.argv[1:]]
main()
"""


def test_a_killed_import_leaves_nothing_and_a_rerun_stores_everything_once(
    db, database_url, tmp_path
):
    items = [
        {
            "title": f"Entry {i}",
            "link": f"https://k.example/{i}",
            "guid": f"k{i}",
            "date": f"Mon, 01 Jun 2026 {i % 24:02d}:00:00 GMT",
            "extra": f"<category>{'Housing' if i % 3 else 'Energy'}</category>",
        }
        for i in range(150)
    ]
    path = tmp_path / "feed.xml"
    path.write_text(samples.rss2(items))
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, "import", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "STORED TWO CHUNKS" in line:
                break
        assert any("STORED TWO CHUNKS" in line for line in lines), "".join(lines)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 0
        assert category_list(session).total == 0
    done = run_cli("import", str(path), env=env)
    assert done.returncode == 0, done.stderr
    assert "added 150" in done.stdout
    with db.reading() as session:
        titles = Counter(session.scalars(select(Item.title)))
        listed = category_list(session)
    assert titles == Counter(f"Entry {i}" for i in range(150))
    assert {c.name: c.count for c in listed.counted} == {"Housing": 100, "Energy": 50}
