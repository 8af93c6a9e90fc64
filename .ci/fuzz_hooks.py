"""Contract-fuzzing hooks (.ci/fuzz): sign each request to a signed webhook as its partner
would (a payment channel's payments, the message gateway's receipts and replies), and
each SNAP request as a bank would (an RSA-signed token, then HMAC-SHA512 per request), so
that the fuzzer reaches the rules behind the signature instead of stopping at it. The
body is serialized here, once, and sent exactly as signed."""

import datetime
import hashlib
import hmac
import http.client
import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.core import NotSet
from schemathesis.core.parameters import ParameterLocation

# Each signed path and the environment variable (set by .ci/fuzz) holding the signing
# secret of the partner that sends it.
SIGNING_SECRETS = {
    "/api/v1/partner/payments": "FUZZ_PAYMENT_SIGNING_SECRET",
    "/api/v1/partner/notifications/receipts": "FUZZ_GATEWAY_SIGNING_SECRET",
}


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from partners import snap  # noqa: E402 (the project's root first)

SNAP_PREFIX = "/snap/v1.0/"
_snap_token: dict[str, Any] = {}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.operation.path.startswith(SNAP_PREFIX):
        _sign_snap(case, kwargs)
        return
    secret_variable = next(
        (
            variable
            for path, variable in SIGNING_SECRETS.items()
            if case.operation.path.startswith(path)
        ),
        None,
    )
    if secret_variable is None or _leaves_out_a_header(case):
        return
    secret = os.environ[secret_variable]
    if isinstance(case.body, NotSet):
        raw = b""
    elif isinstance(case.body, bytes):
        raw = case.body
    else:
        raw = json.dumps(case.body).encode()
        kwargs["data"] = raw
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    case.headers = {**(case.headers or {}), "X-Signature": f"t={timestamp},v1={digest.hexdigest()}"}


def _leaves_out_a_header(case: Any) -> bool:
    """A case made to leave out or break a header (the key, the signature) is sent as
    made: signing it would turn it into a valid request and its refusal untested."""
    meta = case.meta
    return bool(
        meta is not None
        and meta.generation.mode.is_negative
        and getattr(meta.phase.data, "parameter_location", None) == ParameterLocation.HEADER
    )


def _raw_body(case: Any, kwargs: dict[str, Any]) -> bytes:
    if isinstance(case.body, NotSet):
        return b""
    if isinstance(case.body, bytes):
        return case.body
    raw = json.dumps(case.body).encode()
    kwargs["data"] = raw
    return raw


def _now() -> str:
    return snap.timestamp_now(datetime.datetime.now(datetime.UTC))


def _private_pem() -> str:
    return Path(os.environ["FUZZ_SNAP_KEY_FILE"]).read_text()


def _access_token() -> str:
    """A token from the server, fetched once and again before it expires (900 s)."""
    if _snap_token.get("until", 0) > time.monotonic():
        return str(_snap_token["token"])
    headers = snap.token_request_headers(
        client_key=os.environ["FUZZ_SNAP_CLIENT_KEY"],
        private_pem=_private_pem(),
        timestamp=_now(),
    )
    connection = http.client.HTTPConnection("127.0.0.1", int(os.environ["FUZZ_PORT"]), timeout=30)
    connection.request(
        "POST",
        SNAP_PREFIX + "access-token/b2b",
        body=json.dumps({"grantType": "client_credentials"}),
        headers=headers,
    )
    answer = json.loads(connection.getresponse().read())
    connection.close()
    _snap_token.update(token=answer["accessToken"], until=time.monotonic() + 600)
    return str(answer["accessToken"])


def _sign_snap(case: Any, kwargs: dict[str, Any]) -> None:
    if _leaves_out_a_header(case):
        return
    raw = _raw_body(case, kwargs)
    if case.operation.path.endswith("access-token/b2b"):
        headers = snap.token_request_headers(
            client_key=os.environ["FUZZ_SNAP_CLIENT_KEY"],
            private_pem=_private_pem(),
            timestamp=_now(),
        )
    else:
        headers = snap.transaction_request_headers(
            method=case.method.upper(),
            path=case.operation.path,
            access_token=_access_token(),
            body=raw,
            timestamp=_now(),
            client_secret=os.environ["FUZZ_PAYMENT_SIGNING_SECRET"],
            partner_id=os.environ["FUZZ_SNAP_CLIENT_KEY"],
            external_id=str(secrets.randbelow(10**30)),
        )
    headers.pop("Content-Type")
    case.headers = {**(case.headers or {}), **headers}
