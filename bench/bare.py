"""The reference of `make bench-load`: a bare Django view, served by gunicorn beside Cursus in the same run.

One view returning a short response, no middleware, no database, no template, no session: what Django
and gunicorn cost on this machine at the least. Each page's req/s is given as a share of this one's, so
that the figures of two machines (or of one machine at two moments) compare.

    gunicorn -c deploy/gunicorn.conf.py bench.bare:application
"""

from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-bare-view-not-a-secret",  # noqa: S106 — no session, no signing
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        USE_I18N=False,
        LOGGING_CONFIG=None,
    )

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

BODY = b"bare Django view"


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="text/plain")


urlpatterns = [path("", bare)]
application = get_wsgi_application()
