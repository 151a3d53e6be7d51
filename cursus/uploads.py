"""Uploads at the edge of the request: refused while they stream when too large (issue #6 §6), and
path-bearing names kept so that they can be refused with a message.

Django's parser silently cuts "../../x.pdf" down to "x.pdf". We prefer to tell the person their file
name is not accepted (issue #2 §7), so separators are kept as a visible, harmless stand-in
(U+2215 DIVISION SLASH) that `applications.uploads.check_upload` refuses. Nothing is ever stored
under the given name either way."""

import html
from collections.abc import Callable
from typing import Any, NoReturn

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParser
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

PATH_STAND_IN = "\u2215"


class PathKeepingMultiPartParser(MultiPartParser):
    def sanitize_file_name(self, file_name: str) -> str | None:
        raw = html.unescape(file_name)
        if "/" in raw or "\\" in raw:
            kept = raw.replace("/", PATH_STAND_IN).replace("\\", PATH_STAND_IN)
            return "".join(c for c in kept if c.isprintable())
        return super().sanitize_file_name(file_name)


class UploadNamesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.multipart_parser_class = PathKeepingMultiPartParser  # type: ignore[assignment]
        return self.get_response(request)


# Beside the file, a form sends its fields, part headers and boundaries: a few hundred bytes.
REQUEST_ALLOWANCE = 64 * 1024
_REFUSED = "_cursus_upload_too_large"


def declared_too_large(content_length: int) -> bool:
    """A multipart request that announces more than one file and its form can only be refused."""
    return content_length > settings.UPLOAD_MAX_BYTES + REQUEST_ALLOWANCE


def upload_too_large(request: HttpRequest) -> bool:
    return bool(getattr(request, _REFUSED, False))


def too_large_message() -> str:
    return _("The file is too large; the limit is %(limit)s MB.") % {
        "limit": f"{settings.UPLOAD_MAX_BYTES / 1_048_576:.0f}"
    }


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads nothing of such a body either


class SizeLimitUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: counts the bytes of each file as they arrive and stops the
    upload as soon as one passes UPLOAD_MAX_BYTES, before the handlers after it store that chunk.
    So no more than the limit is ever written to disk, whatever the request announced."""

    received = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],  # Django's signature
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict[str, UploadedFile]] | None:
        if declared_too_large(content_length):
            # Reached only when UploadLimitMiddleware did not see the request first.
            setattr(self.request, _REFUSED, True)
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        if self.content_length is not None and self.content_length > settings.UPLOAD_MAX_BYTES:
            self._stop()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            self._stop()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _stop(self) -> NoReturn:
        setattr(self.request, _REFUSED, True)
        # connection_reset: the rest of the body is not read at all (not even to be thrown away).
        raise StopUpload(connection_reset=True)


class UploadLimitMiddleware:
    """Refuses an upload larger than UPLOAD_MAX_BYTES with 413 and the page it was sent from,
    showing why ("the file is too large; the limit is 10 MB"); nothing already saved changes.

    A body announced too large is never read: the request goes on as a GET of the same page. A body
    cut by SizeLimitUploadHandler (a lying or missing length) is parsed here, before the CSRF check
    would parse it, and goes on the same way. Every later middleware and the view's own access
    checks still run as for any GET."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_multipart_post(request) and declared_too_large(_declared_length(request)):
            setattr(request, _REFUSED, True)
            _as_get(request)
        response = self.get_response(request)
        if upload_too_large(request) and response.status_code == 200:
            response.status_code = 413
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if _is_multipart_post(request):
            request.FILES  # noqa: B018 - parse now: SizeLimitUploadHandler marks a cut file
            if upload_too_large(request):
                for _field, uploads in request.FILES.lists():
                    for upload in uploads:
                        upload.close()
                _as_get(request)
        if upload_too_large(request):
            messages.error(request, too_large_message(), fail_silently=True)
        return None


def _is_multipart_post(request: HttpRequest) -> bool:
    return request.method == "POST" and request.content_type == "multipart/form-data"


def _as_get(request: HttpRequest) -> None:
    request.method = "GET"
    request.META["REQUEST_METHOD"] = "GET"
    request.POST = QueryDict()
    request._files = MultiValueDict()  # type: ignore[attr-defined]
