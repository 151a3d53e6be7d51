"""PDFs of the admission: the decision letter and the sitting's minutes (WeasyPrint)."""

import functools
import logging
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import timezone, translation

from admission.models import Decision, JurySitting

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher

logger = logging.getLogger(__name__)

# A name or a comment that slips `<img src="http://…">` or `file:///etc/passwd` into a PDF template must
# not make the server fetch it (SSRF, local file disclosure): WeasyPrint loads `data:` URLs and the
# project's own static files, nothing else (issue 6 item 5).


def _known_static_files() -> set[Path]:
    return {
        Path(storage.path(rel)).resolve()
        for finder in finders.get_finders()
        for rel, storage in finder.list([])
    }


def static_file_for_url(url: str, known: set[Path] | None = None) -> Path | None:
    """The static file a `file:` URL names, as `{% static %}` writes it (`/static/…`, resolved against
    the file base URL) or as a path inside a folder Django's staticfiles finders serve; else None."""
    if not url.lower().startswith("file:"):
        return None
    path = unquote(urlsplit(url).path)
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if path.startswith(prefix):
        try:
            found = finders.find(path.removeprefix(prefix))
        except SuspiciousFileOperation:
            return None
        if isinstance(found, str):
            path = found
    resolved = Path(path).resolve()
    return resolved if resolved in (known if known is not None else _known_static_files()) else None


@functools.cache
def _fetcher_class() -> type["URLFetcher"]:
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # heavy import: only when a PDF is made

    class StaticOnlyFetcher(URLFetcher):
        """`refused` keeps what was turned down, `served` the static files given."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
            self.refused: list[str] = []
            self.served: list[Path] = []
            self._known: set[Path] | None = None

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.partition(":")[0].lower() == "data":
                return super().fetch(url, headers)  # decoded in memory by urllib's DataHandler
            if url.lower().startswith("file:") and self._known is None:
                self._known = _known_static_files()
            found = static_file_for_url(url, self._known)
            if found is None:
                self.refused.append(url)
                logger.warning("PDF: refused to load %s", url[:200])
                raise ValueError(f"not a static file of the project: {url[:200]}")
            self.served.append(found)
            content_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
            return URLFetcherResponse(found.as_uri(), found.read_bytes(), {"Content-Type": content_type})

    return StaticOnlyFetcher


def static_only_fetcher() -> Any:
    """A new fetcher (one per PDF); it has `refused` and `served` lists."""
    return _fetcher_class()()


def html_to_pdf(html: str, *, fetcher: Any = None) -> bytes:
    """Every PDF of the platform is made here, with the static-only fetcher."""
    from weasyprint import HTML

    if fetcher is None:
        fetcher = static_only_fetcher()
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf()


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    return html_to_pdf(render_to_string(template, context))


def decision_letter_pdf(decision: Decision) -> bytes:
    """In the candidate's language: name, program, decision (I5)."""
    dossier = decision.dossier
    with translation.override(dossier.candidate.language or settings.LANGUAGE_CODE):
        return render_pdf(
            "admission/pdf/decision_letter.html",
            {
                "decision": decision,
                "dossier": dossier,
                "program": dossier.offering.program,
                "session": dossier.offering.session,
                "institution": dossier.offering.session.institution,
                "today": timezone.localdate(decision.sitting.closed_at or timezone.now()),
            },
        )


def minutes_pdf(sitting: JurySitting, *, groups: list[Any], language: str) -> bytes:
    """The sitting's procès-verbal: decisions by program, the members present."""
    with translation.override(language):
        return render_pdf(
            "admission/pdf/minutes.html",
            {
                "sitting": sitting,
                "session": sitting.session,
                "institution": sitting.session.institution,
                "groups": groups,
                "members": list(sitting.members.all()),
            },
        )
