"""Keep the shape of a path-bearing upload name so that it can be refused with a message.

Django's parser silently cuts "../../x.pdf" down to "x.pdf". We prefer to tell the person their file
name is not accepted (issue #2 §7), so separators are kept as a visible, harmless stand-in
(U+2215 DIVISION SLASH) that `applications.uploads.check_upload` refuses. Nothing is ever stored
under the given name either way."""

import html
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser

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
