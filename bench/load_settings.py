"""Cursus's own settings for `make bench-load`, with one page more (bench.load_urls): the empty page.

Everything else is the production configuration that the environment gives (`make serve`'s, DEBUG off)."""

from cursus.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load_urls"
