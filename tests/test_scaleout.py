"""More than one machine (issue 11 item 4): what each variable switches, the replica router, the S3
storage. The whole topology at work is tests/test_two_nodes.py."""

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Dossier
from catalog.models import Program
from cursus.dbrouter import REPLICA_DB_ALIAS, reading_from_replica
from cursus.storage import storage_from_url
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent

_PRINT = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'caches': s.CACHES, 'session': s.SESSION_ENGINE, 'storage': s.STORAGES['default'], "
    "'databases': sorted(s.DATABASES), 'replica': s.DATABASES.get('replica', {}).get('HOST'), "
    "'tasks': s.TASKS['default']['BACKEND']}, default=str))"
)


def _settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    """The settings a process started with this environment gets (a fresh interpreter each time)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CACHE_URL", "STORAGE_URL", "TASKS_"))}
    clean.pop("DATABASE_REPLICA_URL", None)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {_PRINT}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "cursus.settings", "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_variables_one_machine_keeps_everything_in_the_database_and_local_files() -> None:
    done = _settings_with()
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["caches"]["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert got["session"] == "django.contrib.sessions.backends.db"
    assert got["storage"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert got["databases"] == ["default"]
    assert got["tasks"] == "django_tasks_db.DatabaseBackend"


def test_redis_cache_url_puts_cache_and_sessions_in_redis_written_through_to_the_database() -> None:
    done = _settings_with(
        CACHE_URL="redis://127.0.0.1:6379/5",
        STORAGE_URL="s3://docs/cursus?endpoint_url=http://127.0.0.1:9000&region=eu-west-3",
        DATABASE_REPLICA_URL="postgres://reader@replica.example.org:5432/cursus",
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["caches"]["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert got["caches"]["default"]["LOCATION"] == "redis://127.0.0.1:6379/5"
    assert got["session"] == "django.contrib.sessions.backends.cached_db"
    assert got["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert got["databases"] == ["default", "replica"] and got["replica"] == "replica.example.org"


def test_tasks_backend_rq_is_refused_with_the_scale_out_path() -> None:
    """django-tasks-rq 0.12 targets the django-tasks backport, not Django 6.1's django.tasks."""
    done = _settings_with(TASKS_BACKEND="rq")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "db_worker" in done.stderr
    assert "django-tasks backport" in done.stderr


def test_storage_url_s3_form() -> None:
    got = storage_from_url("s3://cursus-docs/school-a?endpoint_url=https://s3.fr-par.scw.cloud&region=fr-par")
    assert got == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "cursus-docs",
            "location": "school-a",
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 60,
            "endpoint_url": "https://s3.fr-par.scw.cloud",
            "region_name": "fr-par",
        },
    }
    assert storage_from_url("")["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert storage_from_url("s3://b?addressing_style=path")["OPTIONS"]["addressing_style"] == "path"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://host/x", "must be empty"),
        ("s3://KEY:SECRET@bucket", "must not carry keys"),
        ("s3://", "bucket name"),
        ("s3://bucket?acl=public-read", "unknown parameter(s) acl"),
        ("s3://bucket?endpoint_url=127.0.0.1:9000", "http(s)://"),
        ("s3://bucket?addressing_style=sideways", "path, virtual or auto"),
    ],
)
def test_storage_url_mistakes_fail_loudly(url: str, says: str) -> None:
    with pytest.raises(ImproperlyConfigured) as err:
        storage_from_url(url)
    assert says in str(err.value)


# ---- the read replica --------------------------------------------------------------------------


@pytest.fixture
def replica(transactional_db: Any) -> Iterator[BaseDatabaseWrapper]:
    """A "replica" alias on the test database itself (what TEST MIRROR does when DATABASE_REPLICA_URL
    is set): a second connection, which sees what the primary has committed."""
    default = connections["default"].settings_dict
    connections.settings[REPLICA_DB_ALIAS] = {**default, "TEST": {**default["TEST"], "MIRROR": "default"}}
    replica = connections[REPLICA_DB_ALIAS]
    # Opened here: the test case only lets the aliases it was declared with open a connection, and
    # this one is added after it was set up.
    replica.connect()
    try:
        yield replica
    finally:
        connections[REPLICA_DB_ALIAS].close()
        del connections[REPLICA_DB_ALIAS]
        del connections.settings[REPLICA_DB_ALIAS]


def test_exports_read_through_the_replica_and_nothing_else_does(
    client: Any, replica: BaseDatabaseWrapper, at_jury: Dossier, director_be: Any
) -> None:
    client.login(email=director_be.email, password=PASSWORD)
    program = Program.objects.get(code="BE+")
    with CaptureQueriesContext(replica) as on_replica:
        page = client.get(reverse("director_list"))
    assert page.status_code == 200 and len(on_replica) == 0  # an ordinary page: the primary only
    with CaptureQueriesContext(replica) as on_replica:
        export = client.get(reverse("director_export", args=[program.pk]))
    assert export.status_code == 200
    assert "Lefèvre" in export.content.decode("utf-8-sig")
    assert any("applications_dossier" in q["sql"] for q in on_replica)


def test_reads_stay_on_the_primary_inside_a_transaction_and_writes_always(
    replica: BaseDatabaseWrapper, at_jury: Dossier
) -> None:
    with reading_from_replica():
        assert Dossier.objects.db == REPLICA_DB_ALIAS
        read = Dossier.objects.get(pk=at_jury.pk)
        assert read._state.db == REPLICA_DB_ALIAS
        with CaptureQueriesContext(replica) as on_replica:
            read.city = "Lille"
            read.save(update_fields=["city"])  # read on the replica, saved on the primary
            with transaction.atomic():
                # Inside a transaction a read must see its own writes: the primary.
                assert Dossier.objects.get(pk=at_jury.pk).city == "Lille"
        assert on_replica.captured_queries == []
    assert Dossier.objects.db == "default"


def test_without_a_replica_the_context_changes_nothing(at_jury: Dossier) -> None:
    with reading_from_replica():
        assert Dossier.objects.db == "default"


# ---- S3 storage (moto) ---------------------------------------------------------------------------


@pytest.fixture
def s3_storage(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The default storage on an S3 bucket (moto in this process), as STORAGE_URL makes it."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        client = boto3.client("s3", region_name="eu-west-3")
        client.create_bucket(
            Bucket="cursus-test", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "default": storage_from_url("s3://cursus-test/media?region=eu-west-3"),
        }
        yield client


def test_s3_round_trip_private_never_overwritten(s3_storage: Any) -> None:
    from django.core.files.storage import default_storage

    first = default_storage.save("dossiers/cv.pdf", ContentFile(b"%PDF-1 one"))
    second = default_storage.save("dossiers/cv.pdf", ContentFile(b"%PDF-1 two"))
    assert first == "dossiers/cv.pdf" and second != first  # a clash gets a new name, like local files
    with default_storage.open(first, "rb") as fh:
        assert fh.read() == b"%PDF-1 one"
    keys = sorted(o["Key"] for o in s3_storage.list_objects_v2(Bucket="cursus-test")["Contents"])
    assert keys == sorted([f"media/{first}", f"media/{second}"])
    grants = s3_storage.get_object_acl(Bucket="cursus-test", Key=f"media/{first}")["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # the owner only: nothing public
    default_storage.delete(first)
    default_storage.delete(second)
    assert "Contents" not in s3_storage.list_objects_v2(Bucket="cursus-test")


def test_uploaded_document_is_stored_on_s3_and_served_by_the_checked_view(
    s3_storage: Any, client: Any, ready: Dossier
) -> None:
    from applications import services
    from applications.demo import tiny_pdf
    from applications.selectors import required_document_types

    doc_type = required_document_types(ready)[0]
    data = tiny_pdf("S3")
    stored = services.document_upload(
        dossier=ready,
        by=ready.candidate,
        document_type=doc_type,
        fileobj=io.BytesIO(data),
        name="x.pdf",
        size=len(data),
    )
    keys = [o["Key"] for o in s3_storage.list_objects_v2(Bucket="cursus-test")["Contents"]]
    assert f"media/{stored.file.name}" in keys
    client.login(email=ready.candidate.email, password=PASSWORD)
    response = client.get(reverse("document_download", args=[ready.pk, stored.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data


def test_health_endpoint_checks_s3_storage(s3_storage: Any, client: Any, db: Any) -> None:
    response = client.get(reverse("health"))
    assert response.status_code == 200 and response.json()["storage"] == "ok"
    assert "Contents" not in s3_storage.list_objects_v2(Bucket="cursus-test")  # the probe cleans up
    s3_storage.delete_bucket(Bucket="cursus-test")
    down = client.get(reverse("health"))
    assert down.status_code == 503 and down.json()["storage"] == "down"
