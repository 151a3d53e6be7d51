"""Cursus's URLs plus the empty page of `make bench-load`: signed in, every middleware, the base template
with its navigation, and no query of its own. What it costs is what every page pays before its own work."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from cursus.urls import urlpatterns as cursus_urlpatterns

EMPTY_MARKER = 'id="bench-empty"'
EMPTY_PATH = "/bench/vide/"

_EMPTY = engines["django"].from_string(
    '{% extends "base.html" %}{% block head_title %}Bench{% endblock %}'
    "{% block content %}<p " + EMPTY_MARKER + ">Bench</p>{% endblock %}"
)


@login_required
def empty(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_EMPTY.render({}, request))


urlpatterns = [path(EMPTY_PATH.strip("/") + "/", empty, name="bench_empty"), *cursus_urlpatterns]
