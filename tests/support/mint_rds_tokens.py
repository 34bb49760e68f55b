"""Mints RDS IAM auth tokens with the real AWS SDK signer (botocore), for the test harness.

Runs as a long-lived child of the test process (one boto import per test binary, not per
token): one JSON request per stdin line, one JSON answer per stdout line.

Request:  {"host", "port", "user", "region", "access_key", "secret_key",
           "session_token"?: str, "signed_offset_seconds"?: int, "expires_in"?: int}
Answer:   {"token": str} or {"error": str}

`signed_offset_seconds` shifts the signer's clock (negative = a token made in the past, e.g. a
cached one); `expires_in` other than 900 goes through the same presigner call botocore's
generate_db_auth_token makes, because that function hard-codes 900.
"""

import datetime
import json
import sys

import botocore.auth
import botocore.session
from botocore.awsrequest import prepare_request_dict

_real_now = botocore.auth.get_current_datetime
# One session for all clients: it caches the service models, so a client for new
# credentials or a new region costs ~5 ms instead of ~200 ms.
_session = botocore.session.Session()
_clients = {}


def client_for(req):
    key = (req["region"], req["access_key"], req["secret_key"], req.get("session_token"))
    if key not in _clients:
        _clients[key] = _session.create_client(
            "rds",
            region_name=req["region"],
            aws_access_key_id=req["access_key"],
            aws_secret_access_key=req["secret_key"],
            aws_session_token=req.get("session_token"),
        )
    return _clients[key]


def presign_with_expiry(client, req, expires_in):
    """generate_db_auth_token's body with another expires_in (botocore/signers.py)."""
    request_dict = {
        "url_path": "/",
        "query_string": "",
        "headers": {},
        "body": {"Action": "connect", "DBUser": req["user"]},
        "method": "GET",
    }
    prepare_request_dict(request_dict, f"https://{req['host']}:{req['port']}")
    url = client._request_signer.generate_presigned_url(
        operation_name="connect",
        request_dict=request_dict,
        region_name=req["region"],
        expires_in=expires_in,
        signing_name="rds-db",
    )
    return url[len("https://"):]


def mint(req):
    client = client_for(req)
    offset = datetime.timedelta(seconds=req.get("signed_offset_seconds", 0))
    botocore.auth.get_current_datetime = lambda remove_tzinfo=True: _real_now(remove_tzinfo) + offset
    try:
        expires_in = req.get("expires_in")
        if expires_in is None:
            return client.generate_db_auth_token(
                DBHostname=req["host"], Port=req["port"], DBUsername=req["user"], Region=req["region"]
            )
        return presign_with_expiry(client, req, expires_in)
    finally:
        botocore.auth.get_current_datetime = _real_now


def main():
    for line in sys.stdin:
        try:
            answer = {"token": mint(json.loads(line))}
        except Exception as error:
            answer = {"error": repr(error)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
