"""One log line per event, each carrying the request's id (issue 11 item 1).

``RequestIdMiddleware`` takes the id a proxy sent (``X-Request-ID``, when it looks like one) or makes
one, keeps it in a context variable for the request's duration, returns it in the response's
``X-Request-ID`` header, and writes one access line per request (method, path without its query,
status, duration, user id). ``RequestIdFilter`` puts the id on every log record, so that whatever a
view, a service or Django logs during the request can be found by it. Query strings are left out of
the access line: they may carry tokens or search terms that are personal data."""

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# A path segment that looks like a token (a company's mandate-signing link, a password-reset or
# email-confirmation key): long and made of token characters. Never written to a log (convention 22).
_TOKEN_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9:_.=-]{20,}(?=/|$)")


def loggable_path(path: str) -> str:
    return _TOKEN_SEGMENT.sub("[token]", path)


access_log = logging.getLogger("cursus.access")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if _VALID.match(given) else uuid.uuid4().hex
        token = _request_id.set(rid)
        request.request_id = rid  # type: ignore[attr-defined]
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response.headers["X-Request-ID"] = rid
            user = getattr(request, "user", None)
            access_log.info(
                "%s %s %s %.1fms user=%s",
                request.method,
                loggable_path(request.path),
                response.status_code,
                (time.perf_counter() - started) * 1000,
                user.pk if user is not None and user.is_authenticated else "-",
            )
            return response
        finally:
            _request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """``LOG_FORMAT=json``: one JSON object per line (time, level, logger, request id, message)."""

    def format(self, record: logging.LogRecord) -> str:
        import json

        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)
