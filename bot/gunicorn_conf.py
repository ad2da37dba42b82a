"""gunicorn settings shared by the Procfile and `coopnews web`."""

import contextlib
import ctypes
import ctypes.util
import os

from dotenv import find_dotenv, load_dotenv

# gunicorn reads this before the app loads `.env`: load it here too.
load_dotenv(find_dotenv(usecwd=True), override=False)

bind = f"0.0.0.0:{os.environ.get('PORT', '3000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Build the app (and run migrations) once in the master, before forking.
preload_app = True
timeout = 30
accesslog = None


def _few_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each new thread its own malloc arena (up to 8 per core), and memory
    freed in one is not reused by another: with 16 threads a worker's RSS grew by
    about 8 MB more under 20 clients. Two arenas, set here in the master before the
    workers fork (M_ARENA_MAX, like MALLOC_ARENA_MAX=2); other C libraries: nothing."""
    libc = ctypes.util.find_library("c")
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(libc).mallopt(-8, arenas)  # -8: M_ARENA_MAX in glibc's malloc.h


_few_malloc_arenas()
