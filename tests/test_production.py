"""Production set-up (issue 11 item 1): the health endpoint, one log line per event with the request's
id, and the app served by gunicorn with DEBUG off and its static files by WhiteNoise."""

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from cursus.requestlog import JsonFormatter, RequestIdFilter

ROOT = Path(__file__).resolve().parent.parent


def test_health_says_ok_when_database_queue_and_storage_answer(db: Any) -> None:
    response = Client().get("/sante/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert (body["database"], body["queue"], body["storage"]) == ("ok", "ok", "ok")
    assert "no-store" in response["Cache-Control"]


def test_health_is_503_when_storage_fails_and_names_no_path(db: Any, monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise PermissionError("/secret/path is read-only")

    monkeypatch.setattr(default_storage, "save", broken)
    response = Client().get("/sante/")
    assert response.status_code == 503
    assert response.json()["storage"] == "down"
    assert b"/secret/path" not in response.content


def test_health_says_late_when_the_oldest_task_waits_too_long(db: Any, settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    from cursus.health import _queue

    assert _queue() == ("ok", 0)
    settings.HEALTH_QUEUE_LATE_SECONDS = 60
    DBTaskResult.objects.create(
        status="READY",
        task_path="billing.tasks.process_statement",
        args_kwargs={"args": [1], "kwargs": {}},
        priority=0,
        queue_name="default",
        backend_name="default",
        run_after=DBTaskResult._meta.get_field("run_after").to_python("2000-01-01T00:00:00+00:00"),
    )
    DBTaskResult.objects.update(enqueued_at="2000-01-01T00:00:00+00:00")
    state, waited = _queue()
    assert state == "late" and waited is not None and waited > 60


def test_request_id_is_returned_kept_from_a_proxy_and_on_every_log_line(db: Any, caplog: Any) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="cursus.access"):
        response = Client().get("/sante/", headers={"X-Request-ID": "edge-1234abcd"})
    assert response["X-Request-ID"] == "edge-1234abcd"
    access = [r for r in caplog.records if r.name == "cursus.access"]
    assert len(access) == 1 and access[0].request_id == "edge-1234abcd"
    assert "GET /sante/ 200" in access[0].getMessage()
    # A header that does not look like an id (here, an injection attempt) is replaced.
    response = Client().get("/sante/?token=abc", headers={"X-Request-ID": "x\nFAKE LOG LINE"})
    assert response["X-Request-ID"] != "x\nFAKE LOG LINE" and len(response["X-Request-ID"]) == 32
    assert "token=abc" not in caplog.text  # query strings never reach the access log


def test_tokens_in_paths_never_reach_the_access_log() -> None:
    from cursus.requestlog import loggable_path

    assert loggable_path("/mandat/eyJtIjo0Mn0:1vQx7Z:AbCdEfGhIjKlMnOpQrStUvWxYz/") == "/mandat/[token]/"
    assert loggable_path("/accounts/password/reset/key/4-cz1abc-0123456789abcdef0123/") == (
        "/accounts/password/reset/key/[token]/"
    )
    assert loggable_path("/gestion/finance/dossiers/123/") == "/gestion/finance/dossiers/123/"
    assert loggable_path("/dossiers/12/section/eligibility/") == "/dossiers/12/section/eligibility/"


def test_json_log_format_is_one_object_per_line() -> None:
    record = logging.LogRecord("cursus.x", logging.WARNING, __file__, 1, "a %s", ("b",), None)
    RequestIdFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line) | {"time": ""} == {
        "time": "",
        "level": "WARNING",
        "logger": "cursus.x",
        "request_id": "-",
        "message": "a b",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 — a local URL of the test
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.mark.slow
def test_gunicorn_serves_the_app_and_hashed_static_files_with_debug_off(tmp_path: Path) -> None:
    """What `make serve` does, on a fresh database: collectstatic, gunicorn with DEBUG=0, WhiteNoise."""
    from cryptography.fernet import Fernet

    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}},
        "DEBUG": "0",
        "SECRET_KEY": "test-" + "x" * 40,
        "IBAN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_MODE": "file",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "SECURE_COOKIES": "0",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=180)
    subprocess.run(
        [*manage, "collectstatic", "--no-input", "-v0"], env=env, cwd=ROOT, check=True, timeout=120
    )
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(  # noqa: S603 — our own server, fixed arguments
        [gunicorn, "-c", "deploy/gunicorn.conf.py", "cursus.wsgi"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                status, _h, body = _get(base + "/sante/")
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start")
        assert status == 200, body
        status, _h, page = _get(base + "/")
        assert status == 200
        css = page.decode().split('href="/static/cursus/cursus.', 1)[1].split('"', 1)[0]
        assert css.count(".") == 1 and css.endswith(".css")  # a hashed name: cursus.<hash>.css
        status, headers, _b = _get(f"{base}/static/cursus/cursus.{css}")
        assert status == 200
        assert "immutable" in headers["Cache-Control"]
        assert _get(base + "/static/cursus/nothing-here.css")[0] == 404
    finally:
        proc.terminate()
        proc.wait(timeout=20)
