"""Writes N iam-db-auth-error lines (every documented shape, 1 in 10 unknown) to a file, and
times a Python `re` parser over them: the peer figure of benches/auth_log_parse.rs.

Usage: auth_log_lines.py write PATH N | auth_log_lines.py peer PATH
"""

import re
import sys
import time

SHAPES = [
    "{t} [ERROR] Failed to authenticate the connection request for user 'app_user_{i}' because the provided token is malformed or otherwise invalid. (Status Code: 400, Error Code: InvalidToken)",
    "{t} [ERROR] Failed to authenticate the connection request for user app_user_{i} because the provided token has expired. (Status Code:400, Error Code:ExpiredToken)",
    "{t} [ERROR] Failed to authorize the connection request for user 'reporting' because the IAM principal 'arn:aws:sts::123456789012:assumed-role/Role{i}/i-0abc{i}' is not authorized to perform rds-db:connect. (Status Code: 403, Error Code: NotAuthorized)",
    "{t} [ERROR] Failed to authenticate the connection request for user 'batch' because the request rate exceeded the limit. (Status Code: 429, Error Code: ThrottlingException)",
    "{t} [ERROR] Failed to authenticate the connection request for user 'batch' because of an internal error. (Status Code: 500, Error Code: InternalError)",
    "{t} [ERROR] Failed to authenticate the connection request for user 'app_user' because the provided token has expired. (Status Code: 400, Error Code: ExpiredToken)",
    "{t} [ERROR] Failed to authenticate the connection request for user 'app_user' because the provided token is malformed or otherwise invalid. (Status Code: 400, Error Code: InvalidToken)",
    "{t} [ERROR] Failed to authorize the connection request for user app_admin because arn:aws:iam::123456789012:user/alice{i} is not authorized. (Status Code: 403, Error Code:NotAuthorized)",
    "{t} [ERROR] Failed to authenticate the connection request for user 'svc' because the provided token has expired. (Status Code: 400, Error Code: ExpiredToken)",
    "something RDS might write one day {i}",
]

LINE = re.compile(
    r"^(?P<t>\d\S*)\s+\[(?P<level>[A-Za-z]+)\]\s+(?P<msg>.*?)"
    r"\((?:.*?Status Code:\s*(?P<status>\d+),\s*)?.*?Error Code:\s*(?P<code>[\w.-]+)\)\s*$"
)
USER = re.compile(r"for user\s+(?:'([^']*)'|\"([^\"]*)\"|(\S+?))[.,;]?(?:\s|$)")
ARN = re.compile(r"(?:^|[\s'\"(])'?(arn:aws[\w-]*:(?:iam|sts)::[^\s'\",)]+)")


def write(path, n):
    with open(path, "w") as out:
        for i in range(n):
            t = f"2025-08-11T04:{(i // 60) % 60:02d}:{i % 60:02d},{i % 1000:03d}"
            out.write(SHAPES[i % len(SHAPES)].format(t=t, i=i) + "\n")


def peer(path):
    lines = open(path).read().splitlines()
    best = None
    for _ in range(5):
        start = time.perf_counter()
        events = unknown = 0
        for line in lines:
            m = LINE.match(line)
            if not m:
                unknown += 1
                continue
            msg = m.group("msg")
            USER.search(msg)
            ARN.search(msg)
            events += 1
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    print(f"peer python re: {len(lines)} lines ({events} events, {unknown} unknown), best of 5: {best * 1000:.1f} ms = {len(lines) / best:,.0f} lines/s")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]))
    else:
        peer(sys.argv[2])
