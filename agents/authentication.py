from typing import Any

from django.contrib.auth import get_user_model
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's, loading the user's agent, branch and Kantor Perisai in the same
    query: every agent request checks the agent's status, so it is always needed."""

    def get_user(self, validated_token: Token) -> Any:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken() from None
        user = (
            get_user_model()
            .objects.select_related("agent__branch", "agent__kantor_perisai")
            .filter(**{api_settings.USER_ID_FIELD: user_id})
            .first()
        )
        if user is None or not user.is_active:
            raise AuthenticationFailed(code="user_not_found")
        return user
