from django.http import HttpRequest, HttpResponse
from django.utils.translation import check_for_language
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language


@csrf_exempt
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language; a signed-in person keeps the choice for pages and emails (I15).

    Signed in, the CSRF token is checked as everywhere (the choice is saved on the account). Anonymous,
    the switch only sets the language cookie, so it asks for no token: the page around it then holds
    nothing per visitor and the catalogue is served whole from the cache (catalog/middleware.py)."""
    if request.user.is_authenticated:
        return _set_language_signed_in(request)
    return django_set_language(request)


@csrf_protect
def _set_language_signed_in(request: HttpRequest) -> HttpResponse:
    lang = request.POST.get("language", "")
    if check_for_language(lang) and request.user.is_authenticated and request.user.language != lang:
        request.user.language = lang  # type: ignore[union-attr]
        request.user.save(update_fields=["language"])  # type: ignore[union-attr]
    return django_set_language(request)
