"""Contract-fuzzing hooks (.ci/fuzz): sign each request to a payment channel's endpoint
as a bank would, so that the fuzzer reaches the payment rules instead of stopping at the
signature. The body is serialized here, once, and sent exactly as signed."""

import hashlib
import hmac
import json
import os
import time
from typing import Any

import schemathesis
from schemathesis.core import NotSet
from schemathesis.core.parameters import ParameterLocation

SIGNED_PATHS = ("/api/v1/partner/payments",)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if not case.operation.path.startswith(SIGNED_PATHS) or _leaves_out_a_header(case):
        return
    secret = os.environ["FUZZ_SIGNING_SECRET"]
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
