"""Where uploaded files live, from one variable (issue 11 item 4): ``STORAGE_URL``.

- empty (the default): local files under ``MEDIA_ROOT`` (one machine, or a shared mount);
- ``s3://bucket[/prefix]?endpoint_url=https://s3.example.org&region=eu-west-3[&addressing_style=path]``:
  an S3-compatible bucket (AWS, Scaleway, OVH, MinIO, Garage…) through django-storages.

The URL names no secret: the keys come from ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` in the
environment (or the machine's role), read by boto3 itself, so the URL can be logged and shown.

Objects are private (no ACL granted to anyone) and never addressed by URL: every document leaves the
platform through an access-checked view that opens it (``applications.views.document_response``).
A name is never overwritten: like the file system storage, a clash gets a new name, so two web nodes
saving at once cannot replace each other's file.

Imported by ``cursus.settings``: nothing here may read Django settings.
"""

from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ImproperlyConfigured

_S3_PARAMETERS = {"endpoint_url", "region", "addressing_style"}
_ADDRESSING_STYLES = {"path", "virtual", "auto"}


def storage_from_url(url: str) -> dict[str, Any]:
    """The ``STORAGES["default"]`` entry that ``url`` describes; ImproperlyConfigured when it is wrong."""
    if not url or url == "file://":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ImproperlyConfigured(
            "STORAGE_URL must be empty (local files under MEDIA_ROOT) or "
            "s3://bucket[/prefix]?endpoint_url=…&region=…"
        )
    if parts.username or parts.password:
        raise ImproperlyConfigured(
            "STORAGE_URL must not carry keys: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead"
        )
    bucket = parts.hostname or ""
    if not bucket:
        raise ImproperlyConfigured("STORAGE_URL: s3:// needs a bucket name (s3://bucket)")
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
    unknown = sorted(set(query) - _S3_PARAMETERS)
    if unknown:
        raise ImproperlyConfigured(
            f"STORAGE_URL: unknown parameter(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_S3_PARAMETERS))}"
        )
    single = {key: values[-1] for key, values in query.items()}
    options: dict[str, Any] = {
        "bucket_name": bucket,
        # Under this prefix inside the bucket (one bucket may serve several installations).
        "location": parts.path.strip("/"),
        "default_acl": "private",
        # Same contract as FileSystemStorage: a taken name gets a new one, never overwritten.
        "file_overwrite": False,
        # Should a .url ever be asked for, it is a short-lived signed one, never a public address.
        "querystring_auth": True,
        "querystring_expire": 60,
    }
    if single.get("endpoint_url"):
        endpoint = urlsplit(single["endpoint_url"])
        if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
            raise ImproperlyConfigured("STORAGE_URL: endpoint_url must be an http(s):// address")
        options["endpoint_url"] = single["endpoint_url"]
    if single.get("region"):
        options["region_name"] = single["region"]
    if "addressing_style" in single:
        if single["addressing_style"] not in _ADDRESSING_STYLES:
            raise ImproperlyConfigured("STORAGE_URL: addressing_style must be path, virtual or auto")
        options["addressing_style"] = single["addressing_style"]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
