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
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor

from slack_bolt import Ack, BoltContext, BoltResponse

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


def notify_on_ack(context: BoltContext, next: Callable[[], None]) -> None:
    """Global middleware: this request's ack() wakes the request thread (see module)."""
    ack = context.get("ack")
    if ack is None or (not isinstance(ack, NotifyingAck) and ack.response is None):
        ack = NotifyingAck()
        context["ack"] = ack
    _pending.ack = ack
    next()


class PromptAckExecutor(Executor):
    """Runs listeners on `pool`; `submit` returns once the request's ack() is called
    or the listener ends (at most ACK_TIMEOUT seconds)."""

    def __init__(self, pool: Executor | None = None) -> None:
        self.pool = pool or ThreadPoolExecutor(LISTENER_THREADS, "bolt-listener")

    def submit(self, fn, /, *args, **kwargs) -> Future:
        ack: NotifyingAck | None = getattr(_pending, "ack", None)
        _pending.ack = None  # lazy listeners submitted after this one do not wait
        future = self.pool.submit(fn, *args, **kwargs)
        if ack is not None and ack.response is None:
            future.add_done_callback(lambda _: ack.called.set())
            ack.called.wait(ACK_TIMEOUT)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)
