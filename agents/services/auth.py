"""Mobile sign-in with JWT: obtain (agent code or phone + password), refresh (rotating),
logout (revoke).

Two limits are checked before the password, each with one atomic increment, so
concurrent guesses cannot get past them:

- per account, whatever identifier names it (agent code in any case, phone number in
  any accepted format, staff username): AUTH_THROTTLE_USERNAME attempts per window,
  cleared by a successful sign-in. An identifier that names no account is counted by
  what was typed, so it is refused after as many attempts as a real one: the answers do
  not tell who exists.
- per client address, failures only: AUTH_THROTTLE_IP failed attempts per window. Many
  agents share one address behind a carrier's NAT, so successful sign-ins must not use
  up the address's allowance.

Windows are fixed and aligned to the clock (see core.throttling)."""

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
from core.throttling import Attempt, attempt_give_back, attempt_take, attempts_forget


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _throttle(scope: str, key: str, limits: tuple[int, int]) -> Attempt:
    limit, window = limits
    attempt = attempt_take(scope=scope, key=key, limit=limit, window=window)
    if not attempt.allowed:
        raise ThrottledError(retry_after=attempt.retry_after)
    return attempt


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


def _account_key(username: str, user: User | None) -> str:
    """The per-account counter: the account's own when the identifier names one (so its
    code and its phone share one count), else what was typed, normalised."""
    if user is not None:
        return f"user:{user.pk}"
    typed = normalise_phone(username) if looks_like_phone(username) else username.upper()
    return f"unknown:{typed}"


def auth_token_obtain(*, username: str, password: str, client_ip: str) -> TokenPair:
    username = username.strip()
    # The address's slot is taken before anything else and given back only by a sign-in
    # with the right password. Checking a failure count first and incrementing it after
    # a failure would let every guess that arrives while the count is below the limit
    # through (all of them read the same count); taking first means at most the limit's
    # worth of attempts can be past this line and failing in a window. Successful ones
    # hold their slot only while they run: with the address limit far above the number
    # of requests the server can run at once, they never crowd out anyone.
    address = _throttle("signin-ip", client_ip, settings.AUTH_THROTTLE_IP)
    user = _sign_in_user(username)
    account_key = _account_key(username, user)
    _throttle("signin-user", account_key, settings.AUTH_THROTTLE_USERNAME)

    if user is None:
        # Spend the same time as a real check, so timing does not reveal who exists.
        get_user_model()().set_password(password)
        raise SignInFailedError()
    if not user.check_password(password) or not user.is_active:
        raise SignInFailedError()
    has_agent = Agent.objects.filter(user=user).exists()
    if not has_agent and not getattr(user, "is_staff", False):
        raise SignInFailedError()

    # The right password: not a failure for the address, and the account starts afresh.
    attempt_give_back(address)
    attempts_forget(scope="signin-user", key=account_key, window=settings.AUTH_THROTTLE_USERNAME[1])
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
