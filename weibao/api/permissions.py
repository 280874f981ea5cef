from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from weibao.accounts.models import ApiToken, TokenScope


class IsAuthenticatedWithTokenScope(BasePermission):
    """Signed in; a read-only token may only read."""

    message = _("只读令牌不能修改任何内容。")

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        token = request.auth
        if isinstance(token, ApiToken) and token.scope == TokenScope.READ:
            return request.method in SAFE_METHODS
        return True
