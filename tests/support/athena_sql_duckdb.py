"""Runs rdsiam's Athena SQL on a real SQL engine, for tests/activity_athena.rs.

moto does not execute Athena SQL, and Athena cannot run here. This script parses the query
with sqlglot's Trino dialect (Athena engine 3 is Trino: a syntax error fails here), transpiles
it to DuckDB, and runs it over a DuckDB table shaped like AWS's CloudTrail table (the columns
the query reads, with the same types: `useridentity` a struct, `resources` an array of
structs, `requestparameters` a JSON string, `timestamp` the partition-projection column).

stdin: {"database", "table", "sql", "records": [{"timestamp": "yyyy/MM/dd", "record": {...}}]}
where each record is a CloudTrail record as in a log file. stdout: the result rows as a JSON
array of arrays of strings or nulls, in the query's column order.
"""

import json
import sys

import duckdb
import sqlglot

TABLE_COLUMNS = """
    eventversion VARCHAR,
    useridentity STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR),
    eventtime VARCHAR,
    eventsource VARCHAR,
    eventname VARCHAR,
    awsregion VARCHAR,
    sourceipaddress VARCHAR,
    useragent VARCHAR,
    errorcode VARCHAR,
    errormessage VARCHAR,
    requestparameters VARCHAR,
    eventid VARCHAR,
    resources STRUCT(arn VARCHAR, accountid VARCHAR, type VARCHAR)[],
    recipientaccountid VARCHAR,
    sharedeventid VARCHAR,
    "timestamp" VARCHAR
"""


def row_of(entry):
    """A table row as the CloudTrail SerDe reads a record: lower-case names, nested objects
    kept as structs, requestParameters as its JSON text."""
    r = entry["record"]
    ui = r.get("userIdentity") or {}
    resources = r.get("resources")
    if resources is not None:
        resources = [
            {"arn": x.get("ARN"), "accountid": x.get("accountId"), "type": x.get("type")}
            for x in resources
        ]
    params = r.get("requestParameters")
    return (
        r.get("eventVersion"),
        {"type": ui.get("type"), "principalid": ui.get("principalId"), "arn": ui.get("arn"),
         "accountid": ui.get("accountId")},
        r.get("eventTime"),
        r.get("eventSource"),
        r.get("eventName"),
        r.get("awsRegion"),
        r.get("sourceIPAddress"),
        r.get("userAgent"),
        r.get("errorCode"),
        r.get("errorMessage"),
        None if params is None else json.dumps(params),
        r.get("eventID"),
        resources,
        r.get("recipientAccountId"),
        r.get("sharedEventID"),
        entry["timestamp"],
    )


def main():
    job = json.load(sys.stdin)
    database, table = job["database"], job["table"]
    sqlglot.parse_one(job["sql"], read="trino")  # raises on a Trino syntax error
    duck_sql = sqlglot.transpile(job["sql"], read="trino", write="duckdb")[0]
    con = duckdb.connect()
    con.execute(f'CREATE SCHEMA "{database}"')
    con.execute(f'CREATE TABLE "{database}"."{table}" ({TABLE_COLUMNS})')
    rows = [row_of(e) for e in job["records"]]
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f'INSERT INTO "{database}"."{table}" VALUES ({marks})', rows)
    result = con.execute(duck_sql).fetchall()
    json.dump([[None if v is None else str(v) for v in row] for row in result], sys.stdout)


if __name__ == "__main__":
    main()
