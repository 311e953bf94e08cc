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

import asyncio
import queue
import threading
import time
from collections import deque
from concurrent.futures import Executor, Future

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import connections
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

IDLE_SECONDS = 60.0


class OneHopASGIHandler(ASGIHandler):
    """Django's ASGI handler with a request's sync work done in one go on the request's thread.

    Django's own builds the middleware chain for async: each sync middleware's request and response
    hooks and the view are a hop of their own between the event loop and the thread, about a dozen
    per request, every one of them work for the loop. Our middleware and views are all sync. And
    around the response it hops twice more: for `request_started`'s receivers before, and for the
    response's close (`request_finished`) after it is sent. Here the signals, the middleware and
    the view run in one hop; a response that is not streamed is closed there too, before it is sent
    (its body is already made), so that its database connection goes back to the pool sooner, and
    the request is let go of there.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    def respond(self, scope, body_file) -> HttpResponseBase:
        """On the request's thread: Django's request_started, the request, the response, its close."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size  # as Django's run_get_response does
        if not response.streaming:
            response.close()
            if request is not None:
                # The request is over. Its middleware tied it into cycles (its messages' storage and
                # its lazy user hold it): let go of what it holds, and reference counting frees it at
                # once instead of the next garbage collection.
                request.__dict__.clear()
        return response

    async def listen_for_disconnect(self, receive) -> None:
        """Returns at the client's disconnect, which ends the wait for the response as well.

        Django's raises RequestAborted, which `handle` catches: the exception's traceback then holds
        `handle`'s frame, which holds the tasks, one of which holds the exception. Through that cycle
        every request's objects (about 150: the request, its session and messages, the resolver
        match, the body file) waited for the garbage collector.
        """
        message = await receive()
        assert message["type"] == "http.disconnect", f"Invalid ASGI message after request body: {message['type']}"

    async def handle(self, scope, receive, send):
        """Django's `handle`, with `respond` in one hop: a client's disconnect still ends the wait."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))

        async def process_request():
            response = await sync_to_async(self.respond, thread_sensitive=True)(scope, body_file)
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:
                pass  # the client disconnected while the response was sent
            return response

        # As Django's: a client's disconnect cancels the wait for the response.
        tasks = [asyncio.create_task(self.listen_for_disconnect(receive)), asyncio.create_task(process_request())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            await signals.request_finished.asend(sender=self.__class__)
        else:
            if response.streaming:
                await sync_to_async(response.close)()
        body_file.close()


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
