"""Runs shapes the differential generator excludes through both engines and prints where they
differ. These are corners where the AWS docs are silent or ambiguous (or the oracle is wrong):
there is no agreed answer to assert, so this is a report for humans, not a test.

Usage (after `cargo build`): python3 tests/oracle/excluded_shapes.py
"""
import os
import json,subprocess,tempfile
REPO=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ONE=os.path.join(tempfile.mkdtemp(prefix="excluded-shapes-"),"request.json")
P="arn:aws:iam::111122223333:role/app"
R="arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/pgmonitor"
BASE={"aws:PrincipalArn":P,"aws:PrincipalAccount":"111122223333"}
def req(stmts, ctx=None, version="2012-10-17", **kw):
    c=dict(BASE); c.update(ctx or {})
    d={"Statement":stmts}
    if version: d["Version"]=version
    r={"principal":P,"action":"rds-db:connect","resource":R,"context":c,"identity_policies":[d]}
    r.update(kw); return r
def A(res="*",cond=None,eff="Allow",key="Resource"):
    s={"Effect":eff,"Action":"rds-db:connect",key:res}
    if cond: s["Condition"]=cond
    return s
ALLOW=A()
cases=[
("Deny StringNotEquals with missing variable", req([ALLOW, A(eff="Deny",cond={"StringNotEquals":{"aws:PrincipalAccount":"${aws:username}"}})])),
("Allow StringNotEquals with missing variable", req([A(cond={"StringNotEquals":{"aws:PrincipalAccount":"${aws:username}"}})])),
("Deny NotResource with missing variable", req([ALLOW, A(eff="Deny",key="NotResource",res="arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/${aws:username}")])),
("Allow Resource [missing-var ARN, matching ARN]", req([A(res=["arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/${aws:username}",R])])),
("StringEquals (no qualifier) on aws:TagKeys [team]", req([A(cond={"StringEquals":{"aws:TagKeys":"team"}})],{"aws:TagKeys":["team"]})),
("StringNotEquals (no qualifier) on aws:TagKeys [team]", req([A(cond={"StringNotEquals":{"aws:TagKeys":"x"}})],{"aws:TagKeys":["team"]})),
("single-valued key given an array [dba, dev], StringEquals dev", req([A(cond={"StringEquals":{"aws:PrincipalTag/team":"dev"}})],{"aws:PrincipalTag/team":["dba","dev"]})),
("ForAnyValue on single-valued key", req([A(cond={"ForAnyValue:StringEquals":{"aws:PrincipalTag/team":"dba"}})],{"aws:PrincipalTag/team":"dba"})),
("operator spelled stringequals", req([A(cond={"stringequals":{"aws:PrincipalAccount":"111122223333"}})])),
("Bool TRUE", req([A(cond={"Bool":{"aws:SecureTransport":"TRUE"}})],{"aws:SecureTransport":"true"})),
("region upper case in Resource", req([A(res="arn:aws:rds-db:US-EAST-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/pgmonitor")])),
("short ARN, region * must cross colons", req([A(res="arn:aws:rds-db:*:db-ABCDEFGHIJKL01234/pgmonitor")])),
("wildcard in resource type db*", req([A(res="arn:aws:rds-db:us-east-1:111122223333:db*:db-ABCDEFGHIJKL01234/pgmonitor")])),
("variable in account segment", req([A(res="arn:aws:rds-db:us-east-1:${aws:PrincipalAccount}:dbuser:*")])),
("IPv4-mapped IPv6 source in 10/8", req([A(cond={"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}})],{"aws:SourceIp":"::ffff:10.1.2.3"})),
("bare IPv6 value, non-canonical", req([A(cond={"IpAddress":{"aws:SourceIp":"2001:0db8::1"}})],{"aws:SourceIp":"2001:db8::1"})),
("CIDR with host bits 10.1.2.3/8", req([A(cond={"IpAddress":{"aws:SourceIp":"10.1.2.3/8"}})],{"aws:SourceIp":"10.200.2.3"})),
("ForAllValues on empty set", req([A(cond={"ForAllValues:StringEquals":{"aws:TagKeys":"team"}})],{"aws:TagKeys":[]})),
("Null false on empty set", req([A(cond={"Null":{"aws:TagKeys":"false"}})],{"aws:TagKeys":[]})),
("date-only policy value", req([A(cond={"DateLessThan":{"aws:CurrentTime":"2026-01-02"}})],{"aws:CurrentTime":"2026-01-01T12:00:00Z"})),
("zone-less datetime", req([A(cond={"DateLessThan":{"aws:CurrentTime":"2026-01-01T12:30:00"}})],{"aws:CurrentTime":"2026-01-01T12:00:00Z"})),
("Numeric 3600.0 equals 3600", req([A(cond={"NumericEquals":{"aws:MultiFactorAuthAge":"3600.0"}})],{"aws:MultiFactorAuthAge":"3600"})),
("Numeric 1e3 vs 1000", req([A(cond={"NumericEquals":{"aws:MultiFactorAuthAge":"1e3"}})],{"aws:MultiFactorAuthAge":"1000"})),
("ArnLike with 5 components arn:aws:iam::*", req([A(cond={"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*"}})])),
("ArnNotLike with 4 components", req([ALLOW, A(eff="Deny",cond={"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam:*"}})])),
("scp_levels: [] (org with no levels)", req([ALLOW], scp_levels=[])),
("two session policies, each allowing half", dict(req([ALLOW], session_policies=[
    {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:*","Resource":"*"}]},
    {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}]), principal="arn:aws:sts::111122223333:assumed-role/app/s")),
("SCP Allow with a condition (new SCP grammar)", req([ALLOW], scp_levels=[[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"dba"}}}]}]])),
("RCP level without RCPFullAWSAccess (sts)", dict(req([A()]), action="sts:AssumeRole", resource="arn:aws:iam::111122223333:role/target", identity_policies=[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}], rcp_levels=[[{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}]])),
("variable with multi-valued key", req([A(res="arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABCDEFGHIJKL01234/${aws:TagKeys}")],{"aws:TagKeys":["pgmonitor"]})),
("tag key case: aws:PrincipalTag/TEAM in policy, team in context", req([A(cond={"StringEquals":{"aws:PrincipalTag/TEAM":"dba"}})],{"aws:PrincipalTag/team":"dba"})),
]
reqs=[c[1] for c in cases]
orc=json.loads(subprocess.run(["node","run.mjs"],input=json.dumps(reqs),capture_output=True,text=True,cwd=os.path.join(REPO,"tests","oracle")).stdout)
rd=[]
for r in reqs:
    open(ONE,'w').write(json.dumps(r))
    p=subprocess.run([os.path.join(REPO,"target","debug","rdsiam"),"simulate","--input",ONE,"--format","json"],capture_output=True,text=True)
    try: rd.append(json.loads(p.stdout)["decision"])
    except Exception: rd.append("error: "+p.stderr.strip().splitlines()[-1][:90] if p.stderr.strip() else "error")
for (name,_),o,r in zip(cases,orc,rd):
    od=o.get("decision") or ("refused: "+o.get("error","")[:60])
    mark="  " if od==r else "≠ "
    print(f"{mark}{name:62s} oracle={od:18s} rdsiam={r}")
