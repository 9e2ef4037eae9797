"""Starts the moto server installed in this Python on 127.0.0.1 and a free port, for the moto
integration tier (test/integration/). Prints one JSON line, {"port": N}, once it accepts
connections, then serves until SIGTERM / SIGINT or until its stdin closes (so a crashed test
runner never leaves it behind).

One change to moto's behaviour, made here and not in the installed package: moto re-parses the
same JSONPath expressions (its EventBridge input-path template, $.detail, $.source...) for every
target of every matched event, which costs ~100-190 ms per delivery. `jsonpath_ng.ext.parse` is a
pure function of its text, so it is memoised before moto imports it.

Two more changes, made the same way and for the same reason:
- moto's request dispatcher asks, for every request and inside its one lock, whether the host
  names a moto module, by listing moto's package directory and stat-ing each entry (~270 system
  calls). The installed package does not change while the server runs, so it is listed once.
- in moto's SQS model only: every SendMessage, and every message ReceiveMessage returns, rebuilds
  the queue's attribute map, which counts the queue's visible, delayed and in-flight messages, and
  each message's check reads the clock through moto's unix_time (two datetimes and a subtraction).
  With hundreds of messages waiting in the detect and rates stand-in queues, sends and drains were
  quadratic in that cost. Here the SQS model reads the same clock with time.time() (seconds since
  the epoch, as unix_time gives them) and memoises camelcase_to_underscores (a pure function, called
  on a fixed list of attribute names). Visibility, delays, retention and redrive compare against
  the same time as before.
test/integration/moto-server.test.ts checks that the patched functions answer as moto's own do, and
SQS delays, visibility, receive counts and redrive on the launched server.
"""

import functools
import json
import signal
import sys
import threading
import time
from datetime import datetime

import jsonpath_ng.ext

jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)

import moto.backends  # noqa: E402
import moto.sqs.models as sqs_models  # noqa: E402

# Every request asks whether its host names a moto module: moto lists its package directory and
# stats each entry (~270 system calls) inside the dispatcher's one lock, so requests queue behind
# it. The installed package does not change while the server runs: list it once.
_moto_modules = tuple(moto.backends.list_of_moto_modules())
moto.backends.list_of_moto_modules = lambda: _moto_modules

_moto_unix_time = sqs_models.unix_time


def unix_time(dt: datetime | None = None) -> float:
    """moto's unix_time, with the clock read by time.time() when no datetime is given."""
    return time.time() if dt is None else _moto_unix_time(dt)


def unix_time_millis(dt: datetime | None = None) -> float:
    return unix_time(dt) * 1000.0


sqs_models.unix_time = unix_time
sqs_models.unix_time_millis = unix_time_millis
sqs_models.camelcase_to_underscores = functools.lru_cache(maxsize=None)(sqs_models.camelcase_to_underscores)

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
