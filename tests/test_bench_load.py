"""`make bench-load` (issue 11 item 2): what it reads of wrk, how it judges a page and the figures it keeps.

No Cursus server here: the bench itself starts two gunicorns on PostgreSQL. The wrk script is run for real
against a small local server (skipped where wrk is not installed)."""

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.load import (
    FIGURES_BEGIN,
    FIGURES_END,
    Page,
    Row,
    Target,
    WrkResult,
    check_page,
    format_table,
    parse_wrk,
    replace_figures,
    run_wrk,
    shares,
)

CANNED = """Running 10s test @ http://127.0.0.1:8801/
  2 threads and 20 connections
  38120 requests in 10.00s, 6.11MB read
Requests/sec:   3811.97
Transfer/sec:    625.42KB
CURSUS-WRK requests=38120 duration_us=10000312 bytes=6404160 p50_us=4870 p95_us=10210 p99_us=15333 max_us=41002 non2xx=3 connect=0 read=2 write=0 timeout=1
"""


def result(rps: float, p95_ms: float = 10.0) -> WrkResult:
    return WrkResult(
        requests=int(rps * 10),
        duration_s=10.0,
        p50_ms=p95_ms / 2,
        p95_ms=p95_ms,
        p99_ms=p95_ms * 1.5,
        max_ms=p95_ms * 2,
        non2xx=0,
        socket_errors=0,
    )


def test_the_line_of_the_wrk_script_is_read_in_milliseconds_with_the_errors_counted() -> None:
    r = parse_wrk(CANNED)
    assert r.requests == 38120
    assert r.rps == pytest.approx(3811.88, abs=0.01)
    assert (r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms) == (4.87, 10.21, 15.333, 41.002)
    assert r.non2xx == 3
    assert r.socket_errors == 3  # read + timeout


def test_wrk_output_without_the_script_line_is_an_error_not_zeros() -> None:
    with pytest.raises(ValueError, match="no CURSUS-WRK line"):
        parse_wrk("Running 10s test @ http://127.0.0.1:8801/\n  0 requests in 10.00s\n")


def test_each_page_is_judged_on_its_share_of_the_bare_view_of_the_same_run() -> None:
    bare = Row("bare Django view", "/", 20, Target("reference (100 %)"), html_bytes=16, result=result(4000))
    catalogue = Row("catalogue", "/", 20, Target("≥ 30 % of bare", min_share=30), 10_000, result(1300))
    dashboard = Row("dashboard", "/espace/", 20, Target("≥ 10 % of bare", min_share=10), 7_000, result(380))
    jury = Row(
        "jury screen (500)",
        "/gestion/jurys/6/",
        4,
        Target("p95 ≤ 150 ms, HTML ≤ 250 kB", max_p95_ms=150, max_html_kb=250),
        html_bytes=612_000,
        result=result(30, p95_ms=120),
    )
    rows = [bare, catalogue, dashboard, jury]
    shares(rows, bare)
    assert [round(r.share, 1) for r in rows] == [100.0, 32.5, 9.5, 0.8]
    # The reference is shown, not judged; the jury screen is fast enough but its HTML is too big.
    assert [r.verdict for r in rows] == ["", "PASS", "FAIL", "FAIL"]
    jury.html_bytes = 240_000
    assert jury.verdict == "PASS"


def test_the_table_shows_every_column_and_an_error_instead_of_figures() -> None:
    bare = Row("bare Django view", "/", 20, Target("reference (100 %)"), html_bytes=16, result=result(4000))
    broken = Row("office queue (all)", "/gestion/dossiers/", 20, Target("≥ 10 % of bare", min_share=10))
    broken.error = "answered 302, not 200"
    shares([bare, broken], bare)
    lines = format_table([bare, broken]).splitlines()
    assert lines[0].split() == [
        "page", "conns", "req/s", "p50", "ms", "p95", "ms", "p99", "ms", "of", "bare", "HTML", "kB", "errors",
        "target", "result",
    ]  # fmt: skip
    assert "4000.0" in lines[2] and "100.0 %" in lines[2] and "reference (100 %)" in lines[2]
    assert lines[3].split()[-1] == "ERROR" and "—" in lines[3]


def test_the_figures_section_of_the_readme_is_replaced_and_the_rest_kept() -> None:
    readme = f"# Benchmarks\nintro\n{FIGURES_BEGIN}\nold figures\n{FIGURES_END}\n## Others\nkept\n"
    new = replace_figures(readme, "Last run: today\n```\ntable\n```\n")
    assert new == (
        f"# Benchmarks\nintro\n{FIGURES_BEGIN}\nLast run: today\n```\ntable\n```\n{FIGURES_END}\n## Others\nkept\n"
    )
    assert (
        replace_figures(new, "again")
        == f"# Benchmarks\nintro\n{FIGURES_BEGIN}\nagain\n{FIGURES_END}\n## Others\nkept\n"
    )
    with pytest.raises(ValueError, match="no"):
        replace_figures("# Benchmarks\n", "x")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/accounts/login/")
            self.send_header("Content-Length", "0")
        else:
            self.send_response(200)
            self.send_header("Content-Length", "2")
        self.end_headers()
        if self.path != "/redirect":
            self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 — the base class's name
        pass


@pytest.fixture
def small_server() -> Iterator[int]:
    """A tiny HTTP server on a free port among the bench's (127.0.0.1:8801-8809), from the top."""
    for port in reversed(range(8801, 8810)):
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        except OSError:
            continue
        break
    else:
        pytest.skip("no free port among 8801-8809")
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_the_wrk_script_counts_redirects_as_errors_which_wrk_alone_does_not(small_server: int) -> None:
    ok = run_wrk(small_server, "/", connections=2, seconds=1, cookies={"sessionid": "x"})
    assert ok.requests > 0 and ok.non2xx == 0 and ok.socket_errors == 0
    assert 0 < ok.p50_ms <= ok.p95_ms <= ok.p99_ms
    redirected = run_wrk(small_server, "/redirect", connections=2, seconds=1, cookies={})
    assert redirected.requests > 0 and redirected.non2xx == redirected.requests


def test_a_sign_in_redirect_or_page_is_never_measured_as_the_page() -> None:
    jury = Page("jury screen (500)", "/gestion/jurys/6/", "cursus", "jury", r"Nom\d+")
    email = "jury@bench.cursus"
    page = f'<html lang="fr"><nav>{email}</nav><table><tr><td>Nom12</td></tr></table>'.encode()
    assert check_page(jury, 200, page, email) == ""
    assert check_page(jury, 302, b"", email) == "answered 302, not 200"
    # The sign-in form answers 200 too: neither the dossiers nor the person are on it.
    sign_in_form = b'<html lang="fr"><form><input name="login"><th>Nom</th></form>'
    assert "not the page itself" in check_page(jury, 200, sign_in_form, email)
    assert "not signed in" in check_page(jury, 200, b"<td>Nom3</td>", email)
    catalogue = Page("catalogue (anonymous, fr)", "/", "cursus", None, '<html lang="fr"')
    assert check_page(catalogue, 200, b'<html lang="fr">', None) == ""
    assert "not the page itself" in check_page(catalogue, 200, b'<html lang="en">', None)
