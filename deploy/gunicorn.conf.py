"""gunicorn settings for Cursus (`make serve` and deploy/cursus-web.service).

Workers: WEB_CONCURRENCY, else 2 per core + 1. The access line is Cursus's own (cursus.requestlog:
one line per request with its id), so gunicorn's access log stays off."""

import multiprocessing
import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
accesslog = None
errorlog = "-"
# Restart workers now and then: a slow leak in a library never grows without bound.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
