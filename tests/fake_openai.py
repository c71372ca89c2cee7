"""A local OpenAI-compatible chat/completions server with deterministic fake models (tests, benchmarks).

Models (the request's ``model``):

* ``letter-X``: answers ``X`` (e.g. ``letter-A``: always the first option);
* ``echo``: answers the query's input (the text after the last ``Input:\\n``, up to ``\\nOutput:``);
* anything else: the first 16 hex digits of the sha256 of the last message.

``faults`` is a list of HTTP statuses returned (in order) before answering
normally; ``delay`` seconds are slept per request. Every request body is kept
in ``requests``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def answer(model: str, messages: list[dict[str, str]]) -> str:
    """The fake model's deterministic answer."""
    last = messages[-1]["content"]
    if model.startswith("letter-"):
        return model[len("letter-"):]
    if model == "echo":
        query = last.rsplit("Input:\n", 1)[-1]
        return query.split("\nOutput:", 1)[0]
    return hashlib.sha256(last.encode("utf-8")).hexdigest()[:16]


class FakeServer:
    """The server and what it saw."""

    def __init__(self, delay: float = 0.0, faults: list[int] | None = None) -> None:
        self.delay = delay
        self.faults = list(faults or [])
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with server.lock:
                    server.requests.append(body)
                    status = server.faults.pop(0) if server.faults else 200
                    server.statuses.append(status)
                if server.delay:
                    time.sleep(server.delay)
                if not self.path.endswith("/chat/completions"):
                    status = 404
                if status != 200:
                    payload = {"error": {"message": f"fake error {status}", "type": "fake", "code": status}}
                else:
                    text = answer(body["model"], body["messages"])
                    prompt_tokens = sum(len(m["content"].split()) for m in body["messages"])
                    payload = {
                        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": text}}],
                        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(text.split()),
                                  "total_tokens": prompt_tokens + len(text.split())},
                    }
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def chat_requests(self) -> list[dict[str, Any]]:
        """The bodies of the requests answered with 200."""
        with self.lock:
            return [r for r, s in zip(self.requests, self.statuses, strict=True) if s == 200]


@contextmanager
def fake_server(delay: float = 0.0, faults: list[int] | None = None) -> Iterator[FakeServer]:
    """A running :class:`FakeServer` on 127.0.0.1 (a free port), stopped at the end."""
    server = FakeServer(delay, faults)
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join()


if __name__ == "__main__":  # `python tests/fake_openai.py`: serve until killed, the URL on the first line
    import sys

    with fake_server(delay=float(sys.argv[1]) if len(sys.argv) > 1 else 0.0) as running:
        print(running.url, flush=True)
        threading.Event().wait()
