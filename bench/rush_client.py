"""One candidate of the deadline rush, as a browser drives the site (bench/rush.py).

Every page a person goes through is fetched, every form is posted with the fields and the CSRF token
of the page it came from, and every redirect is followed with a GET, as a browser does. Each request is
timed under its kind; a response that is not the one a person would get (an error status, a form shown
again, a redirect elsewhere) is an error of that kind, and the candidate stops there."""

import datetime as dt
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

import requests

PASSWORD = "Rush-avant-minuit-2026"  # noqa: S105 - the bench's throwaway accounts only
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_SLOT = re.compile(r'name="document_type" value="(\d+)"><input type="hidden" name="role" value="original">')
_DOSSIER = re.compile(r"^/dossiers/(\d+)/")
# gunicorn closes a keep-alive connection idle for 2 s (its `keepalive`). A request sent on such a
# connection just as the server closes it fails before any answer; a browser then sends it again on a new
# connection. This client never sends a request twice: a connection idle for longer than this is not
# reused (a new one is opened, as cheap as that on the loopback).
IDLE_REUSE_S = 1.0


def pdf_of_size(title: str, size: int) -> bytes:
    """A real one-page PDF of exactly ``size`` bytes: the page, and random bytes in a stream object that
    nothing draws (the way a scan's image makes a PDF big). The upload check opens it like any other."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    page = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    padding = os.urandom(size)

    def build(pad: int) -> bytes:
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length " + str(len(page)).encode() + b" >>\nstream\n" + page + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length " + str(pad).encode() + b" >>\nstream\n" + padding[:pad] + b"\nendstream",
        ]
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        for off in offsets:
            out += f"{off:010d} 00000 n \n".encode()
        out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return bytes(out)

    pad = max(size - 1000, 0)
    for _attempt in range(3):  # the overhead only moves with the number of digits of the offsets
        data = build(pad)
        if len(data) == size:
            return data
        pad += size - len(data)
    raise ValueError(f"cannot make a PDF of exactly {size} bytes")


@dataclass
class Sample:
    kind: str
    seconds: float
    ok: bool


@dataclass
class Outcome:
    """What one candidate went through: timed requests, and the first error if any."""

    index: int
    samples: list[Sample] = field(default_factory=list)
    error: str = ""  # "<kind>: <what>"
    dossier: int | None = None
    submitted: bool = False


class RushError(Exception):
    def __init__(self, kind: str, what: str) -> None:
        super().__init__(f"{kind}: {what}")
        self.kind = kind


@dataclass(frozen=True)
class Plan:
    """What every candidate does: the same program, sections and documents, their own identity."""

    base: str
    offering: int
    document_types: tuple[int, ...]
    files: tuple[bytes, ...]
    today: dt.date
    timeout: float = 120.0
    think: float = 0.0  # mean seconds a person spends on a page before posting its form
    stop: threading.Event = field(default_factory=threading.Event)  # set on Ctrl-C: every browser stops


def email_of(index: int) -> str:
    return f"rush{index:05d}@candidats.example.org"


def client_ip(index: int) -> str:
    """A distinct address per candidate, appended by the proxy to X-Forwarded-For (see settings)."""
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


class Browser:
    def __init__(self, plan: Plan, outcome: Outcome) -> None:
        self.plan = plan
        self.outcome = outcome
        self.pace = random.Random(outcome.index)  # noqa: S311 - think times, not secrets
        self.http = requests.Session()
        self.last_answer = 0.0  # when the last answer arrived (perf_counter): a connection's idle time
        self.http.headers.update(
            {
                "User-Agent": "cursus-rush-bench",
                "Accept-Language": "fr",
                "X-Forwarded-For": client_ip(outcome.index),
            }
        )

    def _timed(self, kind: str, method: str, path: str, **kwargs: object) -> requests.Response:
        if self.plan.stop.is_set():
            raise RushError(kind, "interrupted")
        started = time.perf_counter()
        if started - self.last_answer > IDLE_REUSE_S:
            self.http.close()  # the pooled connections, perhaps closed by the server meanwhile
        try:
            response = self.http.request(
                method,
                urljoin(self.plan.base, path),
                allow_redirects=False,
                timeout=self.plan.timeout,
                **kwargs,  # type: ignore[arg-type]
            )
        except requests.RequestException as exc:
            self.outcome.samples.append(Sample(kind, time.perf_counter() - started, False))
            raise RushError(kind, type(exc).__name__) from None
        self.last_answer = time.perf_counter()
        elapsed = self.last_answer - started
        ok = response.status_code < 400
        self.outcome.samples.append(Sample(kind, elapsed, ok))
        if not ok:
            raise RushError(kind, f"HTTP {response.status_code}")
        return response

    def get(self, kind: str, path: str) -> tuple[str, str]:
        """A page as a browser shows it; returns its text and CSRF token."""
        response = self._timed(kind, "GET", path)
        if response.status_code != 200:
            raise RushError(kind, f"HTTP {response.status_code} to {response.headers.get('Location', '')}")
        token = _CSRF.search(response.text)
        return response.text, token.group(1) if token else ""

    def post(
        self,
        kind: str,
        path: str,
        token: str,
        data: dict[str, str],
        *,
        expect: str,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> str:
        """Post a form; it must redirect to a path starting with ``expect`` (a form shown again or a
        redirect elsewhere means it was refused). Returns the path redirected to, without fragment."""
        if self.plan.think > 0:  # reading the page and typing: 0.5 to 1.5 times the mean
            self.plan.stop.wait(self.plan.think * self.pace.uniform(0.5, 1.5))
        response = self._timed(
            kind, "POST", path, data={"csrfmiddlewaretoken": token, **data}, files=files or None
        )
        location = response.headers.get("Location", "")
        target = location.split("#", 1)[0]
        if target.startswith(self.plan.base):
            target = target[len(self.plan.base) :]
        if response.status_code not in (302, 303) or not re.match(expect, target):
            self.outcome.samples[-1].ok = False
            raise RushError(kind, f"HTTP {response.status_code} to {target or '(no redirect)'}")
        return target


def run_candidate(plan: Plan, index: int, delay: float = 0.0) -> Outcome:
    """Log in, open the dossier, fill its four sections, upload the documents, declare the fee, submit.
    ``delay``: when this candidate arrives (the first ones arrive over the ramp, not all at once)."""
    outcome = Outcome(index)
    if delay > 0:
        plan.stop.wait(delay)
    browser = Browser(plan, outcome)
    try:
        _journey(browser, plan, index, outcome)
    except RushError as exc:
        outcome.error = str(exc)
    except Exception as exc:  # a bench bug must show as an error, not stop the other candidates
        outcome.error = f"bench: {type(exc).__name__}: {exc}"
    finally:
        browser.http.close()
    return outcome


def _journey(b: Browser, plan: Plan, index: int, outcome: Outcome) -> None:
    _, token = b.get("login_page", "/accounts/login/")
    landed = b.post(
        "login",
        "/accounts/login/",
        token,
        {"login": email_of(index), "password": PASSWORD},
        expect="/espace/",
    )
    _, token = b.get("dashboard", landed)
    landed = b.post(
        "dossier_new", "/dossiers/new/", token, {"offering": str(plan.offering)}, expect=r"/dossiers/\d+/$"
    )
    found = _DOSSIER.match(landed)
    assert found is not None
    pk = int(found.group(1))
    outcome.dossier = pk
    dossier = f"/dossiers/{pk}/"
    b.get("dossier_page", dossier)
    sections = {
        "identity": {
            "last_name": f"Candidat{index}",
            "first_names": "Camille Élise",
            "birth_date": "1997-03-14",
            "birth_place": "Douai",
            "nationality": "FR",
            "second_nationality": "",
        },
        "contact": {
            "phone": "+33 6 11 22 33 44",
            "address": f"{index % 200 + 1} rue Lahure",
            "postal_code": "59500",
            "city": "Douai",
            "country": "FR",
        },
        "eligibility": {
            "eligibility_path": "a",
            "diploma_title": "Diplôme d'ingénieur",
            "diploma_institution": "Centrale Lille",
            "diploma_year": "2020",
            "experience_years": "2",
        },
        "financing": {"financing_intention": "personal"},
    }
    for section, data in sections.items():
        _, token = b.get("section_page", f"{dossier}section/{section}/")
        b.post("section_save", f"{dossier}section/{section}/", token, data, expect=dossier + "$")
        b.get("dossier_page", dossier)
    documents = f"{dossier}documents/"
    page, token = b.get("documents_page", documents)
    shown = set(_SLOT.findall(page))
    for type_pk, content in zip(plan.document_types, plan.files, strict=True):
        if str(type_pk) not in shown:
            raise RushError("documents_page", f"no upload form for document type {type_pk}")
        b.post(
            "upload",
            documents,
            token,
            {"document_type": str(type_pk), "role": "original", "language": "fr"},
            files={"file": (f"piece-{type_pk}.pdf", content, "application/pdf")},
            expect=documents + "$",
        )
        _, token = b.get("documents_page", documents)
    _, token = b.get("fee_page", f"{dossier}fee/")
    b.post(
        "fee_declare",
        f"{dossier}fee/",
        token,
        {"channel": "transfer", "paid_on": plan.today.isoformat()},
        expect=dossier + "$",
    )
    _, token = b.get("dossier_page", dossier)
    b.post("submit", f"{dossier}submit/", token, {"confirm": "yes"}, expect="/espace/$")
    outcome.submitted = True
    b.get("dashboard", "/espace/")
