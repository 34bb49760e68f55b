"""Seed a moto server with a scenario through the real AWS APIs (boto3), print what was made.

Usage: moto_seed.py SCENARIO [ARGS...]   (AWS_ENDPOINT_URL and test credentials in the env)

Scenarios:
  single              one account: IAM roles/users/policies (one with ARN drift), PostgreSQL
                      instances and Aurora clusters with IAM auth on and off, a parameter
                      group with rds.force_ssl=0, a MySQL instance (must be ignored)
  org                 a three-account organization: OUs, SCPs (one denying rds-db:connect
                      without a principal tag), the cross-account monitoring setup
                      (pg-mgmt-role in the management account -> pg-monitor-role in the DB
                      account, connecting as pgmonitor), DBs with IAM on/off, ARN drift
  many-roles N        the single scenario plus N extra roles (API-call scaling benchmark)
  doctor VARIANT      one database `mydb` and a role `pg-login` to sign tokens with, for
                      `rdsiam doctor`'s AWS-side tests; VARIANT is good, iam-disabled,
                      wrong-resource-id, no-allow, boundary-deny or scp-deny (the last in a
                      member account of an organization whose SCP denies rds-db:connect);
                      prints the signer's temporary credentials and the DB's facts
  accounts N          an organization with N member accounts, each with a few roles and
                      one instance per region in REGIONS (benchmark); REGIONS env, comma list

Output: JSON on stdout (account ids, resource ids, names).
"""

import json
import os
import sys

import boto3

REGION = "us-east-1"
MGMT = "123456789012"


def session_for(account=None):
    """A boto3 session in `account` (moto: AssumeRole gives that account's state)."""
    if account is None or account == MGMT:
        return boto3.Session(region_name=REGION)
    sts = boto3.client("sts", region_name=REGION)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="seed",
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def doc(statements):
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def trust(principal):
    return doc([{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}])


def instance(rds, name, iam, engine="postgres", cluster=None, parameter_group=None):
    args = dict(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine=engine,
    )
    if cluster:
        args["DBClusterIdentifier"] = cluster
    else:
        args.update(
            AllocatedStorage=20,
            MasterUsername="postgres",
            MasterUserPassword="password-123",
            EnableIAMDatabaseAuthentication=iam,
        )
    if parameter_group:
        args["DBParameterGroupName"] = parameter_group
    out = rds.create_db_instance(**args)["DBInstance"]
    return {"identifier": name, "resource_id": out["DbiResourceId"], "arn": out["DBInstanceArn"]}


def cluster(rds, name, iam):
    out = rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine="aurora-postgresql",
        EngineVersion="16.4",
        MasterUsername="cluster_admin",
        MasterUserPassword="password-123",
        EnableIAMDatabaseAuthentication=iam,
    )["DBCluster"]
    return {"identifier": name, "resource_id": out["DbClusterResourceId"], "arn": out["DBClusterArn"]}


def role(iam, name, principal, inline=None, managed=(), tags=None):
    args = dict(RoleName=name, AssumeRolePolicyDocument=trust(principal))
    if tags:
        args["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    arn = iam.create_role(**args)["Role"]["Arn"]
    for policy_name, statements in (inline or {}).items():
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=doc(statements))
    for policy_arn in managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    return arn


def connect(resource):
    return [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": resource}]


def seed_single(session, account=MGMT):
    """moto gives every DB instance the same DbiResourceId, and a snapshot with two instances
    of one id in a region is invalid: so one PostgreSQL instance per region."""
    iam = session.client("iam")
    rds = session.client("rds")
    west = session.client("rds", region_name="us-west-2")
    eu = session.client("rds", region_name="eu-west-1")
    out = {"account": account}

    rds.create_db_parameter_group(
        DBParameterGroupName="orders-pg16", DBParameterGroupFamily="postgres16", Description="orders"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName="orders-pg16",
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "0", "ApplyMethod": "immediate"}],
    )
    # us-east-1: one instance (IAM on, rds.force_ssl=0), two clusters without members.
    out["orders_db"] = instance(rds, "orders-db", True, parameter_group="orders-pg16")
    out["mysql_db"] = instance(rds, "shop-mysql", True, engine="mysql")
    out["reports_cluster"] = cluster(rds, "reports-aurora", True)
    out["batch_cluster"] = cluster(rds, "batch-aurora", False)
    # An RDS Proxy (IAM required, TLS required) in front of orders-db; moto wants real subnets.
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    proxy = rds.create_db_proxy(
        DBProxyName="orders-proxy",
        EngineFamily="POSTGRESQL",
        Auth=[
            {
                "AuthScheme": "SECRETS",
                "SecretArn": f"arn:aws:secretsmanager:{REGION}:{account}:secret:orders-app",
                "IAMAuth": "REQUIRED",
            }
        ],
        RoleArn=f"arn:aws:iam::{account}:role/orders-proxy-secrets",
        VpcSubnetIds=subnets,
        RequireTLS=True,
    )["DBProxy"]
    rds.register_db_proxy_targets(DBProxyName="orders-proxy", DBInstanceIdentifiers=["orders-db"])
    out["proxy"] = {"arn": proxy["DBProxyArn"], "endpoint": proxy["Endpoint"]}
    # us-west-2: a cluster with its member; eu-west-1: an instance with IAM auth off.
    out["west_cluster"] = cluster(west, "west-aurora", True)
    out["west_member"] = instance(west, "west-aurora-1", True, engine="aurora-postgresql", cluster="west-aurora")
    out["legacy_db"] = instance(eu, "legacy-db", False)

    orders_id = out["orders_db"]["resource_id"]
    reports_id = out["reports_cluster"]["resource_id"]
    good = f"arn:aws:rds-db:{REGION}:{account}:dbuser:{orders_id}/app_user"
    # Drift: the instance identifier where the resource id belongs.
    drift = f"arn:aws:rds-db:{REGION}:{account}:dbuser:orders-db/app_user"
    policy_arn = iam.create_policy(
        PolicyName="orders-db-connect", PolicyDocument=doc(connect([good, drift]))
    )["Policy"]["Arn"]
    out["managed_policy"] = policy_arn
    out["app_role"] = role(
        iam, "orders-app-role", {"Service": "ecs-tasks.amazonaws.com"}, managed=[policy_arn],
        tags={"team": "orders"},
    )
    out["report_role"] = role(
        iam,
        "reports-role",
        {"AWS": f"arn:aws:iam::{account}:root"},
        inline={
            "reports-connect": connect(
                [
                    f"arn:aws:rds-db:{REGION}:{account}:dbuser:{reports_id}/reporter",
                    # batch-aurora has IAM auth off: this grant can never work.
                    f"arn:aws:rds-db:{REGION}:{account}:dbuser:{out['batch_cluster']['resource_id']}/reporter",
                ]
            )
        },
    )
    # Every other kind of rds-db ARN drift, in one managed policy (the Aurora member-instance
    # case cannot be seeded honestly: moto gives every instance the same DbiResourceId).
    base = f"arn:aws:rds-db:{REGION}:{account}"
    drift_statements = [
        {"Sid": "MissingDbuser", "Effect": "Allow", "Action": "rds-db:connect",
         "Resource": f"{base}:{orders_id}/legacy_user"},
        {"Sid": "WrongService", "Effect": "Allow", "Action": "rds-db:connect",
         "Resource": f"arn:aws:rds:{REGION}:{account}:dbuser:{orders_id}/legacy_user"},
        {"Sid": "Whitespace", "Effect": "Allow", "Action": "rds-db:connect",
         "Resource": f"{base}:dbuser:{orders_id}/ legacy_user"},
        {"Sid": "Dangling", "Effect": "Allow", "Action": "rds-db:connect",
         "Resource": f"{base}:dbuser:db-DELETEDINSTANCE0000000001/legacy_user"},
        {"Sid": "Overbroad", "Effect": "Allow", "Action": "rds-db:connect",
         "Resource": f"{base}:dbuser:*/*"},
        {"Sid": "Misspelt", "Effect": "Allow", "Action": "rds:connect",
         "Resource": f"{base}:dbuser:{orders_id}/legacy_user"},
        {"Sid": "SourceIp", "Effect": "Allow", "Action": "rds-db:connect",
         "Resource": f"{base}:dbuser:{orders_id}/legacy_user",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
    ]
    drift_arn = iam.create_policy(PolicyName="legacy-db-drift", PolicyDocument=doc(drift_statements))["Policy"]["Arn"]
    out["drift_policy"] = drift_arn
    out["legacy_role"] = role(iam, "legacy-ops-role", {"AWS": f"arn:aws:iam::{account}:root"}, managed=[drift_arn])
    iam.create_group(GroupName="dbas")
    iam.put_group_policy(
        GroupName="dbas",
        PolicyName="dba-connect",
        PolicyDocument=doc(connect(f"arn:aws:rds-db:{REGION}:{account}:dbuser:{orders_id}/dba")),
    )
    iam.create_user(UserName="alice", Tags=[{"Key": "db-access", "Value": "dba"}])
    iam.add_user_to_group(UserName="alice", GroupName="dbas")
    return out


def seed_org():
    mgmt = session_for(None)
    org = mgmt.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    workloads = org.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    prod = org.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]

    def new_account(name, parent):
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        account = status["AccountId"]
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=parent)
        return account

    db_account = new_account("db-prod", prod)
    sandbox = new_account("sandbox", workloads)

    scp = org.create_policy(
        Name="RequireDbAccessTag",
        Description="deny rds-db:connect without a db-access principal tag",
        Type="SERVICE_CONTROL_POLICY",
        Content=doc(
            [
                {
                    "Sid": "DenyConnectWithoutTag",
                    "Effect": "Deny",
                    "Action": "rds-db:connect",
                    "Resource": "*",
                    "Condition": {"Null": {"aws:PrincipalTag/db-access": "true"}},
                }
            ]
        ),
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=scp, TargetId=prod)

    # Management account: pg-mgmt-role may assume pg-monitor-role in the DB account.
    mgmt_iam = mgmt.client("iam")
    monitor_arn = f"arn:aws:iam::{db_account}:role/pg-monitor-role"
    mgmt_role = role(
        mgmt_iam,
        "pg-mgmt-role",
        {"Service": "ec2.amazonaws.com"},
        inline={"assume-monitor": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": monitor_arn}]},
    )

    db = session_for(db_account)
    db_rds = db.client("rds")
    db_iam = db.client("iam")
    prod_pg = instance(db_rds, "prod-pg", True)
    # One instance per region (moto's DbiResourceId is the same for all).
    prod_noiam = instance(db.client("rds", region_name="us-west-2"), "prod-noiam", False)
    prod_aurora = cluster(db_rds, "prod-aurora", True)
    role(
        db_iam,
        "pg-monitor-role",
        {"AWS": mgmt_role},
        inline={
            "pg-monitor-connect": connect(
                [
                    f"arn:aws:rds-db:{REGION}:{db_account}:dbuser:{prod_pg['resource_id']}/pgmonitor",
                    f"arn:aws:rds-db:{REGION}:{db_account}:dbuser:{prod_aurora['resource_id']}/pgmonitor",
                    # IAM auth is off on prod-noiam: this grant cannot work (iam-auth-disabled).
                    f"arn:aws:rds-db:us-west-2:{db_account}:dbuser:{prod_noiam['resource_id']}/pgmonitor",
                ]
            )
        },
        tags={"db-access": "monitoring"},
    )
    # Drift: another account's id in the ARN (the management account's, copied from a template).
    role(
        db_iam,
        "etl-role",
        {"Service": "glue.amazonaws.com"},
        inline={"etl-connect": connect(f"arn:aws:rds-db:{REGION}:{MGMT}:dbuser:{prod_pg['resource_id']}/etl_user")},
    )

    # No db-access tag: the SCP on Prod denies its rds-db:connect (grant-blocked-by-scp).
    role(
        db_iam,
        "batch-role",
        {"Service": "ecs-tasks.amazonaws.com"},
        inline={"batch-connect": connect(f"arn:aws:rds-db:{REGION}:{db_account}:dbuser:{prod_pg['resource_id']}/batch_user")},
    )

    sb = session_for(sandbox)
    sandbox_db = instance(sb.client("rds"), "sandbox-pg", False)
    role(
        sb.client("iam"),
        "sandbox-dev-role",
        {"AWS": f"arn:aws:iam::{sandbox}:root"},
        inline={"dev-connect": connect(f"arn:aws:rds-db:{REGION}:{sandbox}:dbuser:{sandbox_db['resource_id']}/dev")},
        tags={"db-access": "dev"},
    )
    return {
        "management": MGMT,
        "db_account": db_account,
        "sandbox": sandbox,
        "root": root,
        "workloads_ou": workloads,
        "prod_ou": prod,
        "scp": scp,
        "pg_mgmt_role": mgmt_role,
        "pg_monitor_role": monitor_arn,
        "prod_pg": prod_pg,
        "prod_noiam": prod_noiam,
        "prod_aurora": prod_aurora,
        "sandbox_pg": sandbox_db,
    }


def seed_many_roles(n):
    session = session_for(None)
    out = seed_single(session)
    iam = session.client("iam")
    for i in range(n):
        role(
            iam,
            f"bulk-role-{i:05d}",
            {"Service": "ec2.amazonaws.com"},
            inline={"c": connect(f"arn:aws:rds-db:{REGION}:{MGMT}:dbuser:*/user{i}")},
        )
    out["extra_roles"] = n
    return out


def seed_accounts(n, regions):
    org = session_for(None).client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    accounts = []
    for i in range(n):
        status = org.create_account(AccountName=f"acct-{i}", Email=f"a{i}@example.com")["CreateAccountStatus"]
        accounts.append(status["AccountId"])
    for account in accounts:
        session = session_for(account)
        iam = session.client("iam")
        for j in range(5):
            role(iam, f"app-role-{j}", {"Service": "ec2.amazonaws.com"},
                 inline={"c": connect(f"arn:aws:rds-db:*:{account}:dbuser:*/app{j}")})
        for region in regions:
            rds = session.client("rds", region_name=region)
            instance(rds, f"pg-{region}", True)
    return {"root": root, "accounts": accounts}


def seed_doctor(variant):
    account = MGMT
    extra = {}
    if variant == "scp-deny":
        mgmt = session_for(None)
        org = mgmt.client("organizations")
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]
        org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        ou = org.create_organizational_unit(ParentId=root, Name="Databases")["OrganizationalUnit"]["Id"]
        status = org.create_account(AccountName="db", Email="db@example.com")["CreateAccountStatus"]
        account = status["AccountId"]
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
        scp = org.create_policy(
            Name="NoDatabaseLogins",
            Description="deny rds-db:connect",
            Type="SERVICE_CONTROL_POLICY",
            Content=doc([{"Sid": "DenyDbConnect", "Effect": "Deny", "Action": "rds-db:connect", "Resource": "*"}]),
        )["Policy"]["PolicySummary"]
        org.attach_policy(PolicyId=scp["Id"], TargetId=ou)
        # A role in the management account that can read the organization (--org-role-arn).
        mgmt.client("iam").create_role(
            RoleName="OrgReader", AssumeRolePolicyDocument=trust({"AWS": "*"})
        )
        extra = {"scp_id": scp["Id"], "org_role_arn": f"arn:aws:iam::{MGMT}:role/OrgReader", "ou": ou}
    session = session_for(account)
    rds = session.client("rds")
    iam = session.client("iam")
    db = instance(rds, "mydb", variant != "iam-disabled")
    endpoint = rds.describe_db_instances(DBInstanceIdentifier="mydb")["DBInstances"][0]["Endpoint"]
    good = f"arn:aws:rds-db:{REGION}:{account}:dbuser:{db['resource_id']}/pgmonitor"
    inline = {"connect": connect(good)}
    if variant == "wrong-resource-id":
        inline = {"connect": connect(f"arn:aws:rds-db:{REGION}:{account}:dbuser:db-WRONGRESOURCEID0000000000/pgmonitor")}
    elif variant == "no-allow":
        inline = {"read-s3": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    role_arn = role(iam, "pg-login", {"AWS": f"arn:aws:iam::{account}:root"}, inline=inline)
    if variant == "boundary-deny":
        boundary = iam.create_policy(
            PolicyName="s3-only-boundary",
            PolicyDocument=doc([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
        )["Policy"]["Arn"]
        iam.put_role_permissions_boundary(RoleName="pg-login", PermissionsBoundary=boundary)
        extra["boundary_arn"] = boundary
    creds = session.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="dba-at-2am")["Credentials"]
    return {
        "account": account,
        "role_arn": role_arn,
        "resource_id": db["resource_id"],
        "endpoint": endpoint["Address"],
        "dbuser_arn": good,
        "access_key_id": creds["AccessKeyId"],
        "secret_access_key": creds["SecretAccessKey"],
        "session_token": creds["SessionToken"],
        **extra,
    }


def main():
    scenario = sys.argv[1]
    if scenario == "single":
        result = seed_single(session_for(None))
    elif scenario == "org":
        result = seed_org()
    elif scenario == "many-roles":
        result = seed_many_roles(int(sys.argv[2]))
    elif scenario == "doctor":
        result = seed_doctor(sys.argv[2])
    elif scenario == "accounts":
        regions = os.environ.get("REGIONS", REGION).split(",")
        result = seed_accounts(int(sys.argv[2]), regions)
    else:
        raise SystemExit(f"unknown scenario {scenario!r}")
    json.dump(result, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
