"""Seed moto with RDS's IAM authentication error log and metrics, through the real APIs.

Usage: seed_auth_log.py   (AWS_ENDPOINT_URL and test credentials in the env)
       seed_auth_log.py doctor INSTANCE USER CODE [CALLER_ARN]
           for `rdsiam doctor`'s rds-log step (tests/doctor_rds_log.rs): turns the
           `iam-db-auth-error` export of INSTANCE on (ModifyDBInstance, as the fix command
           would) and writes one line of CODE for USER, stamped now, through PutLogEvents
           (CODE `none`: the export only). CALLER_ARN is named by a NotAuthorized line; a
           role of that name is created without any rds-db:connect grant.

Creates, in moto's default account and us-east-1:
  - a PostgreSQL instance `authdb` with IAM auth and the `iam-db-auth-error` export on, and a
    role `app-role` allowed to connect to it as `app_user`;
  - an Aurora PostgreSQL cluster `authcluster` with the export on (its log group stays empty);
  - the log group /aws/rds/instance/authdb/iam-db-auth-error holding one line of each
    documented shape (AWS, "Troubleshooting for IAM DB authentication") and two unknown lines;
  - the seven IamDbAuthConnection* metrics of `authdb` in AWS/RDS. (Real AWS reserves the
    `AWS/` namespaces for its services; moto accepts PutMetricData there, which is the only way
    to seed what RDS publishes.)

Output: JSON on stdout: the lines written, the caller ARNs, the resource id.
"""

import datetime
import json
import time

import boto3

REGION = "us-east-1"
ACCOUNT = "123456789012"
OUTSIDER = "arn:aws:sts::999999999999:assumed-role/loader/x-1"
GROUP = "/aws/rds/instance/authdb/iam-db-auth-error"


def stamp(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S,") + f"{ms % 1000:03d}"


def main():
    session = boto3.Session(region_name=REGION)
    rds = session.client("rds")
    iam = session.client("iam")
    logs = session.client("logs")
    cloudwatch = session.client("cloudwatch")

    db = rds.create_db_instance(
        DBInstanceIdentifier="authdb",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="postgres",
        MasterUserPassword="password-123",
        EnableIAMDatabaseAuthentication=True,
        EnableCloudwatchLogsExports=["postgresql", "iam-db-auth-error"],
    )["DBInstance"]
    rds.create_db_cluster(
        DBClusterIdentifier="authcluster",
        Engine="aurora-postgresql",
        EngineVersion="16.4",
        MasterUsername="cluster_admin",
        MasterUserPassword="password-123",
        EnableIAMDatabaseAuthentication=True,
        EnableCloudwatchLogsExports=["iam-db-auth-error"],
    )
    resource_id = db["DbiResourceId"]
    iam.create_role(
        RoleName="app-role",
        AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }),
    )
    iam.put_role_policy(
        RoleName="app-role",
        PolicyName="connect",
        PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": "rds-db:connect",
                "Resource": f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:{resource_id}/app_user",
            }],
        }),
    )
    app_session = f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/i-0abc"

    now = int(time.time() * 1000)
    base = now - 30 * 60 * 1000
    shapes = [
        "{t} [ERROR] Failed to authenticate the connection request for user 'app_user' because the provided token is malformed or otherwise invalid. (Status Code: 400, Error Code: InvalidToken)",
        "{t} [ERROR] Failed to authenticate the connection request for user app_user because the provided token has expired. (Status Code:400, Error Code:ExpiredToken)",
        "{t} [ERROR] Failed to authenticate the connection request for user 'app_user' because the provided token has expired. (Status Code: 400, Error Code: ExpiredToken)",
        "{t} [ERROR] Failed to authorize the connection request for user 'app_admin' because the IAM principal '" + app_session + "' is not authorized to perform rds-db:connect. (Status Code: 403, Error Code: NotAuthorized)",
        "{t} [ERROR] Failed to authorize the connection request for user app_user because the IAM principal '" + OUTSIDER + "' is not authorized. (Status Code: 403, Error Code:NotAuthorized)",
        "{t} [ERROR] Failed to authenticate the connection request for user 'batch' because the request rate exceeded the limit. (Status Code: 429, Error Code: ThrottlingException)",
        "{t} [ERROR] Failed to authenticate the connection request for user 'batch' because of an internal error. (Status Code: 500, Error Code: InternalError)",
        "something RDS might write one day",
        "{t} [WARN] a line without an error code",
    ]
    events = []
    for i, shape in enumerate(shapes):
        ms = base + i * 60_000
        events.append({"timestamp": ms, "message": shape.format(t=stamp(ms))})
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="authdb")
    logs.put_log_events(logGroupName=GROUP, logStreamName="authdb", logEvents=events)

    # Two busy minutes: 600 and 1,200 requests (10/s and 20/s).
    metrics = {
        "IamDbAuthConnectionRequests": [600, 1200],
        "IamDbAuthConnectionSuccess": [590, 1190],
        "IamDbAuthConnectionFailure": [10, 10],
        "IamDbAuthConnectionFailureInvalidToken": [3, 0],
        "IamDbAuthConnectionFailureInsufficientPermissions": [2, 0],
        "IamDbAuthConnectionFailureThrottling": [1, 0],
        "IamDbAuthConnectionFailureServerError": [1, 0],
    }
    data = []
    for name, values in metrics.items():
        for minute, value in enumerate(values):
            when = datetime.datetime.fromtimestamp((base + minute * 120_000) / 1000, datetime.timezone.utc)
            data.append({
                "MetricName": name,
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "authdb"}],
                "Timestamp": when,
                "Value": value,
                "Unit": "Count",
            })
    cloudwatch.put_metric_data(Namespace="AWS/RDS", MetricData=data)
    # Another instance's metric must not leak into authdb's sums.
    cloudwatch.put_metric_data(Namespace="AWS/RDS", MetricData=[{
        "MetricName": "IamDbAuthConnectionRequests",
        "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "otherdb"}],
        "Timestamp": datetime.datetime.fromtimestamp(base / 1000, datetime.timezone.utc),
        "Value": 99999,
    }])

    json.dump({
        "resource_id": resource_id,
        "app_session": app_session,
        "outsider": OUTSIDER,
        "lines": [e["message"] for e in events],
        "log_group": GROUP,
    }, __import__("sys").stdout, indent=1)


LINES = {
    "NotAuthorized": "{t} [ERROR] Failed to authorize the connection request for user '{user}' because the IAM principal '{caller}' is not authorized to perform rds-db:connect. (Status Code: 403, Error Code: NotAuthorized)",
    "ExpiredToken": "{t} [ERROR] Failed to authenticate the connection request for user '{user}' because the provided token has expired. (Status Code: 400, Error Code: ExpiredToken)",
    "InvalidToken": "{t} [ERROR] Failed to authenticate the connection request for user '{user}' because the provided token is malformed or otherwise invalid. (Status Code: 400, Error Code: InvalidToken)",
    "ThrottlingException": "{t} [ERROR] Failed to authenticate the connection request for user '{user}' because the request rate exceeded the limit. (Status Code: 429, Error Code: ThrottlingException)",
}


def doctor(instance, user, code, caller=None):
    session = boto3.Session(region_name=REGION)
    rds = session.client("rds")
    rds.modify_db_instance(
        DBInstanceIdentifier=instance,
        CloudwatchLogsExportConfiguration={"EnableLogTypes": ["iam-db-auth-error"]},
        ApplyImmediately=True,
    )
    out = {"log_group": f"/aws/rds/instance/{instance}/iam-db-auth-error"}
    if code == "none":
        return out
    if caller and ":assumed-role/" in caller:
        role = caller.split(":assumed-role/")[1].split("/")[0]
        session.client("iam").create_role(
            RoleName=role,
            AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
            }),
        )
        session.client("iam").put_role_policy(
            RoleName=role,
            PolicyName="read-s3",
            PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }),
        )
    logs = session.client("logs")
    now = int(time.time() * 1000)
    line = LINES[code].format(t=stamp(now), user=user, caller=caller)
    logs.create_log_group(logGroupName=out["log_group"])
    logs.create_log_stream(logGroupName=out["log_group"], logStreamName=instance)
    logs.put_log_events(
        logGroupName=out["log_group"],
        logStreamName=instance,
        logEvents=[{"timestamp": now, "message": line}],
    )
    out["line"] = line
    return out


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1 and sys.argv[1] == "doctor":
        json.dump(doctor(*sys.argv[2:]), sys.stdout, indent=1)
    else:
        main()
