"""The deadline-rush bench's own pieces (bench/rush.py, issue 11 item 3): the files it uploads are what the
upload check accepts, the figures it reads from the access log are the right ones, its percentiles are
nearest-rank. The rush itself runs against gunicorn (`make bench-rush`), not here."""

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from applications.uploads import check_upload
from bench.rush import percentile, server_times
from bench.rush_client import client_ip, pdf_of_size
from tests.conftest import PASSWORD, make_user


def test_rush_files_are_pdfs_of_exactly_one_mebibyte_that_the_upload_check_accepts() -> None:
    data = pdf_of_size("Rush cv", 1_048_576)
    assert len(data) == 1_048_576
    checked = check_upload(io.BytesIO(data), name="cv.pdf", size=len(data), max_bytes=10 * 1_048_576)
    assert (checked.content_type, checked.extension, checked.size) == ("application/pdf", ".pdf", 1_048_576)


def test_server_times_are_read_per_kind_of_request_from_the_access_lines(tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    before = "2026-11-27 17:11:30,000 INFO cursus.access [warmup00] GET /accounts/login/ 200 900.0ms user=-\n"
    log.write_text(
        before
        + "2026-11-27 17:11:46,320 INFO cursus.access [c64182c6339f] POST /dossiers/1/submit/ 302 176.4ms user=2\n"
        + "2026-11-27 17:11:46,400 INFO cursus.access [c64182c6339g] POST /dossiers/12/documents/ 302 20.5ms user=2\n"
        + "2026-11-27 17:11:46,500 INFO cursus.access [c64182c6339h] GET /dossiers/12/section/identity/ 200 8.0ms user=2\n"
        + "2026-11-27 17:11:46,600 INFO cursus.access [c64182c6339i] GET /static/cursus/x.css 200 1.0ms user=-\n"
    )
    times = server_times(log, offset=len(before.encode()))
    assert dict(times) == {"submit": [0.1764], "upload": [0.0205], "section_page": [0.008]}


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50.0, 99.0, 100.0)
    assert percentile([3.0], 99) == 3.0


def test_each_candidate_comes_from_its_own_address() -> None:
    assert len({client_ip(i) for i in range(2000)}) == 2000


@pytest.mark.django_db
@pytest.mark.parametrize(("proxy_count", "throttled"), [(1, False), (0, True)])
def test_behind_the_proxy_the_login_limit_counts_each_candidate_not_the_proxy(
    settings: Any, proxy_count: int, throttled: bool
) -> None:
    """Issue 11 item 3: 31 candidates logging in within the minute through the TLS proxy. With
    TRUSTED_PROXY_COUNT=1 each is counted at the address the proxy appends (X-Forwarded-For); without
    it all of them come from the proxy's address and the 31st is refused (allauth: 30 a minute per IP)."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxy_count
    cache.clear()
    statuses = []
    for i in range(31):
        make_user(f"rush{i}@example.org")
        client = Client(HTTP_X_FORWARDED_FOR=client_ip(i))
        response = client.post("/accounts/login/", {"login": f"rush{i}@example.org", "password": PASSWORD})
        statuses.append(response.status_code)
    assert statuses[:30] == [302] * 30
    assert statuses[30] == (429 if throttled else 302)
