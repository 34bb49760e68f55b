#!/usr/bin/env python3
"""Test-only stand-in for RDS's IAM token check, run by pam_rdsiam_token for each login.

Usage: rds_token_verifier.py CONFIG_JSON PAM_USER   (token on stdin; exit 0 = accept)

Checks what RDS checks for `rds-db:connect`: Action, DBUser == login user, algorithm,
signed headers, 0 < X-Amz-Expires <= 900, not expired, not dated in the future, credential
scope (rds-db, region), host:port among the DB's endpoints, the access key and session token,
the SigV4 signature, and optionally an access-key -> allowed-users map standing in for the
`rds-db:connect` policy. Every decision is appended as one JSON line to the config's "log":
that file plays the role of RDS's `iam-db-auth-error` log export.

Standard library only: it runs as the postgres OS user under whatever python3 the system has.

Config:
{
  "region": "us-east-1",
  "endpoints": ["mydb.abc123xyz.us-east-1.rds.amazonaws.com:5432"],
  "max_clock_skew_seconds": 300,
  "log": "/abs/path/verifier.log",
  "keys": {
    "AKIA...": {"secret": "...",
                "session_token": "... (temporary credentials only)",
                "expiration": "2030-01-01T00:00:00Z (optional)",
                "allowed_users": ["pgmonitor"] (optional; absent = any user)}
  }
}
"""

import datetime
import hashlib
import hmac
import json
import os
import sys
import urllib.parse

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "rds-db"
MAX_EXPIRES_SECONDS = 900
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


class Rejected(Exception):
    """A token RDS would refuse; `reason` is a stable code tests assert on."""

    def __init__(self, reason, detail):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def parse_token(token):
    """Split `host:port/?k=v&...` into the endpoint and a dict of decoded parameters."""
    endpoint, sep, query = token.partition("/?")
    if not sep or not endpoint or "://" in endpoint:
        raise Rejected("malformed", "token is not of the form host:port/?query")
    params = {}
    for pair in query.split("&"):
        key, eq, value = pair.partition("=")
        if not eq:
            raise Rejected("malformed", f"query parameter without '=': {pair[:40]!r}")
        # unquote, not unquote_plus: SigV4 encodes '+' as %2B, a literal '+' is not a space.
        key, value = urllib.parse.unquote(key), urllib.parse.unquote(value)
        if key in params:
            raise Rejected("malformed", f"duplicate query parameter {key}")
        params[key] = value
    # Lower-cased: botocore signs `host` lower-cased (urlsplit().hostname) while the token
    # text keeps the caller's case; DNS names are case-insensitive anyway.
    return endpoint.lower(), params


def require(params, name):
    if name not in params:
        raise Rejected("malformed", f"missing {name}")
    return params[name]


def sigv4_signature(secret, endpoint, params, amz_date, scope):
    """The SigV4 query-string signature over the token's own parameters and host."""
    def enc(s):
        return urllib.parse.quote(s, safe="-_.~")

    query = "&".join(
        f"{enc(k)}={enc(v)}"
        for k, v in sorted(params.items(), key=lambda kv: (enc(kv[0]), enc(kv[1])))
        if k != "X-Amz-Signature"
    )
    canonical_request = "\n".join(
        ["GET", "/", query, f"host:{endpoint}", "", "host", EMPTY_PAYLOAD_SHA256]
    )
    string_to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    date, region, service, terminator = scope.split("/")
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def parse_utc(text, fmt):
    return datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)


def verify(config, user, token, now):
    """Returns the access key id on success; raises Rejected otherwise."""
    endpoint, params = parse_token(token)

    if require(params, "Action") != "connect":
        raise Rejected("action", f"Action={params['Action']!r}, expected 'connect'")
    if require(params, "X-Amz-Algorithm") != ALGORITHM:
        raise Rejected("algorithm", f"X-Amz-Algorithm={params['X-Amz-Algorithm']!r}")
    if require(params, "X-Amz-SignedHeaders") != "host":
        raise Rejected("signed-headers", f"X-Amz-SignedHeaders={params['X-Amz-SignedHeaders']!r}")

    credential = require(params, "X-Amz-Credential")
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise Rejected("malformed", f"X-Amz-Credential {credential!r} is not KEY/DATE/REGION/SERVICE/aws4_request")
    access_key, scope_date, scope_region, scope_service = parts[:4]
    if scope_service != SERVICE:
        raise Rejected("scope-service", f"credential scope service {scope_service!r}, expected {SERVICE!r}")
    if scope_region != config["region"]:
        raise Rejected("scope-region", f"credential scope region {scope_region!r}, expected {config['region']!r}")

    db_user = require(params, "DBUser")
    if db_user != user:
        raise Rejected("dbuser-mismatch", f"token DBUser {db_user!r} but login user {user!r}")
    allowed_endpoints = [e.lower() for e in config["endpoints"]]
    if endpoint not in allowed_endpoints:
        raise Rejected("endpoint", f"token signed for {endpoint!r}, DB endpoints are {allowed_endpoints}")

    try:
        expires = int(require(params, "X-Amz-Expires"))
    except ValueError:
        raise Rejected("expires-range", f"X-Amz-Expires={params['X-Amz-Expires']!r} is not an integer")
    if not 0 < expires <= MAX_EXPIRES_SECONDS:
        raise Rejected("expires-range", f"X-Amz-Expires={expires}, must be 1..{MAX_EXPIRES_SECONDS}")
    amz_date = require(params, "X-Amz-Date")
    try:
        signed_at = parse_utc(amz_date, AMZ_DATE_FORMAT)
    except ValueError:
        raise Rejected("malformed", f"X-Amz-Date={amz_date!r}")
    if scope_date != amz_date[:8]:
        raise Rejected("malformed", f"credential scope date {scope_date} differs from X-Amz-Date {amz_date}")
    skew = datetime.timedelta(seconds=config.get("max_clock_skew_seconds", 300))
    if signed_at > now + skew:
        raise Rejected("future-date", f"signed at {amz_date}, now {now:%Y%m%dT%H%M%SZ}: clock skew on the signing host")
    if now > signed_at + datetime.timedelta(seconds=expires):
        raise Rejected("expired", f"signed at {amz_date}, valid {expires}s, now {now:%Y%m%dT%H%M%SZ}")

    key = config["keys"].get(access_key)
    if key is None:
        raise Rejected("unknown-access-key", f"access key {access_key} is not known")
    expected_session = key.get("session_token")
    given_session = params.get("X-Amz-Security-Token")
    if expected_session != given_session:
        raise Rejected(
            "session-token",
            f"access key {access_key}: session token {'missing' if given_session is None else 'does not match'}"
            if expected_session is not None
            else f"access key {access_key} is long-term but the token carries a session token",
        )
    if "expiration" in key and now > parse_utc(key["expiration"], "%Y-%m-%dT%H:%M:%SZ"):
        raise Rejected("credentials-expired", f"temporary credentials {access_key} expired at {key['expiration']}")

    scope = f"{scope_date}/{scope_region}/{scope_service}/aws4_request"
    expected = sigv4_signature(key["secret"], endpoint, params, amz_date, scope)
    if not hmac.compare_digest(expected, require(params, "X-Amz-Signature")):
        raise Rejected("signature", "SigV4 signature does not match (wrong secret key or altered token)")

    allowed_users = key.get("allowed_users")
    if allowed_users is not None and user not in allowed_users:
        raise Rejected("not-authorized", f"no rds-db:connect for {access_key} on dbuser {user!r}")
    return access_key


def main():
    config_path, user = sys.argv[1], sys.argv[2]
    # PAM_USER in the environment must agree with argv: both come from the module.
    user = os.environ.get("PAM_USER", user)
    token = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    now = datetime.datetime.now(datetime.timezone.utc)

    entry = {
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "user": user,
        "rhost": os.environ.get("PAM_RHOST", ""),
        "token_length": len(token),
        "signature": token.rpartition("X-Amz-Signature=")[2].split("&")[0] or None,
    }
    try:
        entry["access_key_id"] = verify(config, user, token, now)
        entry.update(decision="accept", reason="ok", detail="")
    except Rejected as rejected:
        entry.update(decision="reject", reason=rejected.reason, detail=rejected.detail)
    except Exception as error:  # a verifier bug must show up in the log, not as a bare failure
        entry.update(decision="reject", reason="verifier-error", detail=repr(error))
    with open(config["log"], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")
    return 0 if entry["decision"] == "accept" else 1


if __name__ == "__main__":
    sys.exit(main())
