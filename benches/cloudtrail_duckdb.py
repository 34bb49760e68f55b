"""DuckDB's fastest form of rdsiam's CloudTrail query (read_json_objects + from_json + unnest),
and the row comparison with rdsiam's JSON output. Used by benches/cloudtrail_scan.sh.

  python cloudtrail_duckdb.py query DIR THREADS OUT.json ROLE...
  python cloudtrail_duckdb.py compare RDSIAM.json DUCKDB.json
"""
import json
import sys

FIELDS = [
    "event_time", "event_id", "shared_event_id", "source_account", "principal_arn",
    "principal_type", "role_arn", "role_session_name", "source_ip", "user_agent",
    "error_code", "recipient_account",
]

# Only the fields the query needs: from_json skips the rest of each record.
SCHEMA = json.dumps({"Records": [{
    "eventTime": "VARCHAR", "eventID": "VARCHAR", "sharedEventID": "VARCHAR",
    "eventName": "VARCHAR", "sourceIPAddress": "VARCHAR", "userAgent": "VARCHAR",
    "errorCode": "VARCHAR", "recipientAccountId": "VARCHAR",
    "userIdentity": {"type": "VARCHAR", "arn": "VARCHAR", "accountId": "VARCHAR"},
    "requestParameters": {"roleArn": "VARCHAR", "roleSessionName": "VARCHAR"},
    "resources": [{"ARN": "VARCHAR", "type": "VARCHAR"}],
}]})


def query(directory, threads, out, roles):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    role_list = ", ".join("'" + r.replace("'", "''") + "'" for r in roles)
    sql = f"""
    WITH recs AS (
        SELECT unnest(from_json(json, '{SCHEMA}').Records) AS r
        FROM read_json_objects('{directory}/**/*.json.gz', format = 'newline_delimited',
                               maximum_object_size = 268435456)
    ), ar AS (
        SELECT r, coalesce(list_filter(r.resources, lambda x: x.type = 'AWS::IAM::Role')[1].ARN,
                           r.requestParameters.roleArn) AS role_arn
        FROM recs WHERE r.eventName = 'AssumeRole'
    )
    SELECT r.eventTime, r.eventID, r.sharedEventID, r.userIdentity.accountId,
           r.userIdentity.arn, r.userIdentity.type, role_arn,
           r.requestParameters.roleSessionName, r.sourceIPAddress, r.userAgent, r.errorCode,
           r.recipientAccountId
    FROM ar WHERE role_arn IN ({role_list})
    ORDER BY 1, 2
    """
    rows = con.execute(sql).fetchall()
    with open(out, "w") as f:
        json.dump([dict(zip(FIELDS, row)) for row in rows], f)
    print(f"duckdb rows: {len(rows)}", file=sys.stderr)


def normalize(event):
    return tuple(event.get(k) for k in FIELDS)


def compare(rdsiam_path, duckdb_path):
    with open(rdsiam_path) as f:
        ours = sorted(normalize(e) for e in json.load(f)["events"])
    with open(duckdb_path) as f:
        theirs = sorted(normalize(e) for e in json.load(f))
    if ours == theirs:
        print(f"IDENTICAL: {len(ours)} rows, all {len(FIELDS)} fields")
        return 0
    only_ours = set(ours) - set(theirs)
    only_theirs = set(theirs) - set(ours)
    print(f"DIFFERENT: rdsiam {len(ours)} rows, duckdb {len(theirs)} rows; "
          f"{len(only_ours)} only in rdsiam, {len(only_theirs)} only in duckdb")
    for row in list(only_ours)[:3]:
        print("  rdsiam only:", row)
    for row in list(only_theirs)[:3]:
        print("  duckdb only:", row)
    return 1


if __name__ == "__main__":
    if sys.argv[1] == "query":
        query(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    elif sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
