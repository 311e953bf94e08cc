"""HTTP requests' sync work on kept threads.

Under ASGI, Django runs a request's sync middleware and view on a thread it starts for that
request. Starting it costs the event loop, which also serves every charger's socket: at 100 API
commands a second the loop spent a quarter of its time starting threads.

Here each HTTP request borrows a thread, and Django runs all of that request's thread-sensitive
work on it, as it would on a thread of its own. Up to `kept` threads are kept; the most recently
used is lent first, so a quiet server uses few, and one found idle for IDLE_SECONDS at the next
request ends. More requests at once than that (many commands waiting for slow chargers) still run
at once, on threads that end with their request when `kept` are already idle. Threads hold no database connection of
their own: on PostgreSQL they borrow one from the pool for their request (csms/settings.py).
"""

import queue
import threading
import time
from collections import deque
from concurrent.futures import Executor, Future

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.db import connections

IDLE_SECONDS = 60.0


class OneHopASGIHandler(ASGIHandler):
    """Django's ASGI handler with the middleware chain and the view run in one go on the request's thread.

    Django's own builds the chain for async: each sync middleware's request and response hooks
    and the view are a hop of their own between the event loop and the thread, about a dozen
    per request, every one of them work for the loop. Our middleware and views are all sync.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


class RequestThread(Executor):
    """One daemon thread running what it is given in turn.

    Not a ThreadPoolExecutor: the interpreter waits at exit for those threads, and a request
    waiting for a charger's answer on an event loop that has stopped would hold the server
    up forever after SIGTERM.
    """

    def __init__(self, name: str):
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def submit(self, function, /, *args, **kwargs) -> Future:
        future = Future()
        self.jobs.put((future, function, args, kwargs))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.jobs.put(None)

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            future, function, args, kwargs = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function(*args, **kwargs))
            except BaseException as error:  # handed to the awaiting request, as an executor does
                future.set_exception(error)


class RequestThreads:
    """ASGI wrapper: each HTTP request on a thread of its own, `kept` of them kept for the next ones."""

    def __init__(self, application, *, kept: int):
        self.application = application
        self.kept = kept
        self.started = 0
        self.idle: deque[tuple[float, RequestThread]] = deque()  # newest on the right

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.application(scope, receive, send)
        thread = self._borrow()
        try:
            # Django's own per-request context sees this one and uses its thread.
            async with ThreadSensitiveContext(executor=thread):
                await self.application(scope, receive, send)
        finally:
            self._give_back(thread)

    def _borrow(self) -> RequestThread:
        self._retire_idle()
        if self.idle:
            return self.idle.pop()[1]
        self.started += 1
        return RequestThread(f"http-{self.started}")

    def _give_back(self, thread: RequestThread) -> None:
        if len(self.idle) < self.kept:
            self.idle.append((time.monotonic(), thread))
        else:
            _retire(thread)

    def _retire_idle(self) -> None:
        too_old = time.monotonic() - IDLE_SECONDS
        while self.idle and self.idle[0][0] < too_old:
            _retire(self.idle.popleft()[1])


def _retire(thread: RequestThread) -> None:
    thread.submit(connections.close_all)
    thread.shutdown()
