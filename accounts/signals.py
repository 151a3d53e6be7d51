from typing import Any

from allauth.account.signals import user_signed_up
from django.conf import settings
from django.dispatch import receiver
from django.utils import translation


@receiver(user_signed_up)
def remember_signup_language(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """The language the person signed up in becomes their language (I15)."""
    lang = translation.get_language() or settings.LANGUAGE_CODE
    if lang[:2] in {"fr", "en"} and user.language != lang[:2]:
        user.language = lang[:2]
        user.save(update_fields=["language"])
