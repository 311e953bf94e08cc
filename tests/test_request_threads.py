"""HTTP requests' sync work on kept threads (csms/request_threads.py): one hop from the event loop a request."""

import asyncio
import json

from csms.request_threads import OneHopASGIHandler, RequestThread, RequestThreads


def serve(path: str, monkeypatch) -> tuple[int, dict, int]:
    """GET `path` through the server's HTTP stack: status, JSON body, and the jobs its thread was given."""
    jobs = []
    submit = RequestThread.submit

    def counted(thread, function, /, *args, **kwargs):
        jobs.append(function)
        return submit(thread, function, *args, **kwargs)

    monkeypatch.setattr(RequestThread, "submit", counted)
    application = RequestThreads(OneHopASGIHandler(), kept=1)
    scope = {
        "type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
        "headers": [(b"host", b"testserver")], "server": ("testserver", 80), "client": ("127.0.0.1", 1),
    }  # fmt: skip
    sent = []

    async def exchange():
        requests = asyncio.Queue()
        await requests.put({"type": "http.request", "body": b"", "more_body": False})

        async def send(message):
            sent.append(message)

        await application(scope, requests.get, send)

    asyncio.run(exchange())
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body), len(jobs)


def test_a_request_takes_one_hop_to_its_thread(monkeypatch, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    # request_started's receivers, the middleware, the view and the response's close (request_finished)
    # in one go: Django's own handler takes three.
    status, body, hops = serve("/api/v1/chargers", monkeypatch)
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    assert hops == 1
