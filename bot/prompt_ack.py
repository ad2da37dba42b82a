"""Answer Slack the moment a listener calls ack(), not at Bolt's next 10 ms poll.

Bolt (process_before_response=False, which we keep: listeners go on after their ack,
fetching a feed or updating posted messages) submits each listener to its executor,
then the request thread polls `ack.response` every 10 ms for up to 3 s
(slack_bolt.listener.thread_runner.ThreadListenerRunner.run). Every command therefore
waited for a poll tick (10 ms on a 3 ms answer), and under 20 clients the sleeping
request threads woke 100 times a second each: py-spy put about 60% of a worker's
samples in that loop.

Here the ack wakes the request thread instead:

- `notify_on_ack`, a global middleware, gives the request an `Ack` that sets an event
  when called and leaves it for the executor in a thread-local (Bolt's middleware and
  its `submit` both run in the request thread, in that order);
- `PromptAckExecutor.submit` hands the listener to the pool as before, then waits until
  the listener calls ack() or ends (an error, or no ack at all), at most ACK_TIMEOUT s.
  Bolt's loop then finds the response set and returns it without sleeping.

Listeners behave exactly as before (same pool, same threads, same work after the ack);
only the wait for the ack is an event instead of a poll. Requests Bolt answers without
a listener (url_verification, ssl_check) never reach the executor.

A listener whose last act is its ack (`latest`, `search`: nothing runs after the
answer) gains nothing from the pool: handing it to another thread and waking the
request thread again cost two thread switches per request, which on a busy 2-core
machine was as much as the work itself (bench/stages.py). A listener middleware that
knows this calls `run_inline()`; the executor then runs the listener in the request
thread, and Bolt finds the response set when it returns. Only the thread changes:
the listener, its error handling and its answer are the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor

from slack_bolt import Ack, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

# Bolt's own wait for ack() (Listener.ack_timeout, Slack's 3 seconds).
ACK_TIMEOUT = 3.0
# Threads that run listeners, per process (Bolt's default is 5): as many as gunicorn's
# threads (GUNICORN_THREADS, 8), so a request never queues behind another's listener.
LISTENER_THREADS = 8

_pending = threading.local()


class NotifyingAck(Ack):
    """Bolt's Ack that also sets `called` once the response is set."""

    def __init__(self) -> None:
        super().__init__()
        self.called = threading.Event()

    def __call__(self, *args, **kwargs) -> BoltResponse:
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.called.set()


def ack_json(ack: Ack, body: str) -> BoltResponse:
    """Acknowledge with `body`, a JSON object's text, sent as it is (Bolt's ack() takes
    the message's fields and encodes them; an answer already in JSON need not be
    decoded for that). Same status and content type as ack() gives, and it wakes the
    request thread as a NotifyingAck does."""
    ack.response = BoltResponse(status=200, body=body)
    if isinstance(ack, NotifyingAck):
        ack.called.set()
    return ack.response


class NotifyOnAck(Middleware):
    """Global middleware: this request's ack() wakes the request thread (see module).

    A Middleware subclass, not a function given to `app.use`: Bolt builds a function
    middleware's arguments by name for every request (slack_bolt.kwargs_injection),
    which cost more than the middleware's own work."""

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        context = req.context
        ack = context.get("ack")
        if ack is None or (not isinstance(ack, NotifyingAck) and ack.response is None):
            ack = NotifyingAck()
            context["ack"] = ack
        _pending.ack = ack
        _pending.inline = False  # request threads are reused: no hint from the last request
        return next()


notify_on_ack = NotifyOnAck()


def run_inline() -> None:
    """From a listener middleware: this request's listener ends at its ack, so it runs
    in the request thread (see module). Call it only for such listeners: the response
    waits until the listener returns."""
    _pending.inline = True


class PromptAckExecutor(Executor):
    """Runs listeners on `pool`; `submit` returns once the request's ack() is called
    or the listener ends (at most ACK_TIMEOUT seconds)."""

    def __init__(self, pool: Executor | None = None) -> None:
        self.pool = pool or ThreadPoolExecutor(LISTENER_THREADS, "bolt-listener")

    def submit(self, fn, /, *args, **kwargs) -> Future:
        ack: NotifyingAck | None = getattr(_pending, "ack", None)
        _pending.ack = None  # lazy listeners submitted after this one do not wait
        if getattr(_pending, "inline", False):
            _pending.inline = False
            return _run_here(fn, *args, **kwargs)
        future = self.pool.submit(fn, *args, **kwargs)
        if ack is not None and ack.response is None:
            future.add_done_callback(lambda _: ack.called.set())
            ack.called.wait(ACK_TIMEOUT)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _run_here(fn, /, *args, **kwargs) -> Future:
    """`fn` run in this thread, as a finished Future (Bolt's runner catches the
    listener's own errors; anything else is kept in the Future, as the pool would)."""
    future: Future = Future()
    try:
        future.set_result(fn(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - the pool's Future keeps every error too
        future.set_exception(exc)
    return future
