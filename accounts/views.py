from django.http import HttpRequest, HttpResponse
from django.utils.translation import check_for_language
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language; a signed-in person keeps the choice for pages and emails (I15)."""
    lang = request.POST.get("language", "")
    if check_for_language(lang) and request.user.is_authenticated and request.user.language != lang:
        request.user.language = lang  # type: ignore[union-attr]
        request.user.save(update_fields=["language"])  # type: ignore[union-attr]
    return django_set_language(request)
