from __future__ import annotations

from typing import cast

from rest_framework.request import Request

from weibao.accounts.models import User


def actor_of(request: Request) -> User:
    """The signed-in user; permission classes have already refused anonymous requests."""
    return cast(User, request.user)
