"""Starts the moto server installed in this Python on 127.0.0.1 and a free port, for the moto
integration tier (test/integration/). Prints one JSON line, {"port": N}, once it accepts
connections, then serves until SIGTERM / SIGINT or until its stdin closes (so a crashed test
runner never leaves it behind).

One change to moto's behaviour, made here and not in the installed package: moto re-parses the
same JSONPath expressions (its EventBridge input-path template, $.detail, $.source...) for every
target of every matched event, which costs ~100-190 ms per delivery. `jsonpath_ng.ext.parse` is a
pure function of its text, so it is memoised before moto imports it.
"""

import functools
import json
import signal
import sys
import threading

import jsonpath_ng.ext

jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402


class QuietRequestHandler(WSGIRequestHandler):
    """No access-log line per request: thousands per run, read by nobody (errors still go to stderr)."""

    def log_request(self, code: object = "-", size: object = "-") -> None:
        pass


def main() -> None:
    host = "127.0.0.1"
    server = make_server(host, 0, DomainDispatcherApplication(create_backend_app), threaded=True, request_handler=QuietRequestHandler)

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watch_stdin() -> None:
        sys.stdin.read()  # returns at EOF: the parent went away
        stop()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(json.dumps({"host": host, "port": server.server_port}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
