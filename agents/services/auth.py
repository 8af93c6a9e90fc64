"""Mobile sign-in with JWT: obtain (agent code or phone + password), refresh (rotating),
logout (revoke). Attempts are throttled per username and per client IP before the
password is checked, so concurrent guesses cannot get past the limit."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken

from agents.errors import AgentNotActiveError, SignInFailedError
from agents.models import Agent, AgentStatus
from core.exceptions import ThrottledError
from core.phone import looks_like_phone, normalise_phone
from core.throttling import attempt_take, attempts_forget


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _throttle(scope: str, key: str, limits: tuple[int, int]) -> None:
    limit, window = limits
    attempt = attempt_take(scope=scope, key=key, limit=limit, window=window)
    if not attempt.allowed:
        raise ThrottledError(retry_after=attempt.retry_after)


def _sign_in_user(username: str) -> User | None:
    if looks_like_phone(username):
        candidates = Agent.objects.filter(phone=normalise_phone(username)).select_related("user")
        # The partial unique index allows one active-or-deactivated agent per phone.
        ordered = sorted(
            candidates,
            key=lambda agent: (
                agent.status not in (AgentStatus.ACTIVE, AgentStatus.DEACTIVATED),
                -agent.pk,
            ),
        )
        return ordered[0].user if ordered else None
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None and username.upper() != username:
        user = user_model.objects.filter(username=username.upper()).first()  # "kdi-0001"
    return user


def _require_active_agent(user: User) -> None:
    agent = Agent.objects.filter(user=user).only("status").first()
    if agent is not None and agent.status != AgentStatus.ACTIVE:
        raise AgentNotActiveError(extra={"status": agent.status})


def _throttle_key(username: str) -> str:
    return normalise_phone(username) if looks_like_phone(username) else username.upper()


def auth_token_obtain(*, username: str, password: str, client_ip: str) -> TokenPair:
    username = username.strip()
    username_key = _throttle_key(username)
    _throttle("signin-ip", client_ip, settings.AUTH_THROTTLE_IP)
    _throttle("signin-user", username_key, settings.AUTH_THROTTLE_USERNAME)

    user = _sign_in_user(username)
    if user is None:
        # Spend the same time as a real check, so timing does not reveal who exists.
        get_user_model()().set_password(password)
        raise SignInFailedError()
    if not user.check_password(password) or not user.is_active:
        raise SignInFailedError()
    has_agent = Agent.objects.filter(user=user).exists()
    if not has_agent and not getattr(user, "is_staff", False):
        raise SignInFailedError()

    attempts_forget(
        scope="signin-user", key=username_key, window=settings.AUTH_THROTTLE_USERNAME[1]
    )
    _require_active_agent(user)
    refresh = RefreshToken.for_user(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def _user_of(token: RefreshToken) -> User:
    user_id = token.get(str(settings.SIMPLE_JWT["USER_ID_CLAIM"]))
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise SignInFailedError()
    return user


def auth_token_refresh(*, refresh: str) -> TokenPair:
    """A new access token and a new refresh token; the old refresh token is
    blacklisted. Refused for an agent who is no longer active."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError:
        raise SignInFailedError(SignInFailedError.expired_message) from None
    _require_active_agent(_user_of(token))
    serializer = TokenRefreshSerializer(data={"refresh": refresh})
    try:
        serializer.is_valid(raise_exception=True)
    except (TokenError, exceptions.AuthenticationFailed, exceptions.ValidationError):
        raise SignInFailedError(SignInFailedError.expired_message) from None
    data = serializer.validated_data
    return TokenPair(access=data["access"], refresh=data["refresh"])


def auth_logout(*, refresh: str) -> None:
    """Revokes the refresh token. Idempotent: an already revoked token is fine; a
    forged or expired one is refused."""
    try:
        RefreshToken(refresh).blacklist()  # type: ignore[arg-type]
    except TokenError:
        try:
            UntypedToken(refresh)  # type: ignore[arg-type]
        except TokenError:
            raise SignInFailedError(SignInFailedError.expired_message) from None
