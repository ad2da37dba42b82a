"""gunicorn settings shared by the Procfile and `coopnews web`."""

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
