from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

LANGUAGE_SESSION_KEY = "cursus_language"


class UserLanguageMiddleware:
    """A signed-in person sees the site in the language they chose (I15)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        response = self.get_response(request)
        return response
