"""Measures how much the differential test's generated requests can catch.

Each mutant is a deliberate semantic bug patched into a scratch copy of the oracle (in a temp
dir; the library is never modified in place or committed). A mutant "flips" a request when its
decision differs from the unmodified oracle's. A mutant that flips nothing is a bug the
differential test could not see: widen the generator until every mutant flips something.

Usage (after `cargo test --test differential`, which writes the generated requests):
    python3 tests/oracle/mutants.py [MUTANT NAME ...]
"""
import json, shutil, subprocess, os, sys, tempfile
REPO=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC=os.path.join(REPO, 'tests', 'oracle')
REQS=json.load(open(os.path.join(REPO, 'target', 'tmp', 'generated-requests.json')))
D='node_modules/@cloud-copilot/iam-simulate/dist/esm/'
def run(dirpath):
    out=subprocess.run(['node','run.mjs'],input=json.dumps(REQS),capture_output=True,text=True,cwd=dirpath)
    return [a.get('decision', 'ERR') for a in json.loads(out.stdout)]
base=run(SRC)
MUTANTS={
 'negated op on missing key is false': [(D+'condition/condition.js', "if (condition.operation().isIfExists() || isNotOperator) {", "if (condition.operation().isIfExists()) {")],
 'IfExists ignored': [(D+'condition/condition.js', "if (condition.operation().isIfExists() || isNotOperator) {", "if (isNotOperator) {")],
 'ForAllValues on missing key is false': [(D+'condition/condition.js', "values: matchingValueExplains,\n            matches: true,", "values: matchingValueExplains,\n            matches: false,")],
 'actions case-sensitive': [(D+'action/action.js', "return new RegExp(pattern, 'i');", "return new RegExp(pattern);")],
 'ArnEquals is exact': [(D+'condition/arn/ArnEquals.js', "matches: ArnLike.matches,", "matches: (request, keyValue, policyValues) => { const explains = policyValues.map((v) => ({ value: v, matches: v === keyValue })); return { matches: explains.some((e) => e.matches), explains }; },")],
 'only the last SCP level counts': [(D+'core_engine/CoreSimulatorEngine.js', "analysis.push(ouAnalysis);", "if (policyType !== 'scp') { analysis.push(ouAnalysis); } else { analysis.length = 0; analysis.push(ouAnalysis); }")],
 'permission boundary ignored': [(D+'core_engine/CoreSimulatorEngine.js', "if (!permissionBoundaries || permissionBoundaries.length === 0) {", "if (true) {")],
 'session policy ignored': [(D+'core_engine/CoreSimulatorEngine.js', "const sessionAnalysis = request.sessionPolicy", "const sessionAnalysis = false")],
 'StringLike ? matches zero or one': [(D+'util.js', "return replacementValue(match, '\\\\?', '.', options);", "return replacementValue(match, '\\\\?', '.?', options);")],
 'variable defaults ignored': [(D+'util.js', "else if (defaultValue) {", "else if (false) {")],
 'missing variable matches anything': [(D+'util.js', "return { pattern: matchesNothing, errors };", "return { pattern: /^.*$/ };")],
 'NotResource treated as Resource': [(D+'resource/resource.js', "const matches = !explains.some((explain) => !explain.matches);\n    return { matches, explains };\n}", "return requestMatchesResources(request, policyResources, 'Resource', effect, policyType);\n}")],
 'resource part case-insensitive': [(D+'util.js', "return { pattern: new RegExp('^' + newValue + '$') };", "return { pattern: new RegExp('^' + newValue + '$', 'i') };")],
 'NotAction treated as Action': [(D+'action/action.js', "const { matches, explains } = requestMatchesNotActions(request, statement.notActions());", "const { matches, explains } = requestMatchesActions(request, statement.notActions());")],
 'explicit deny loses to allow (identity)': [(D+'core_engine/CoreSimulatorEngine.js', "if (identityAnalysis.denyStatements.length > 0) {\n        identityAnalysis.result = 'ExplicitlyDenied';\n    }\n    else if", "if (false) {\n    }\n    else if")],
 'date compares as strings': [(D+'condition/date/date.js', "const dateNumber = Date.parse(value);", "const dateNumber = undefined;")],
 'Null operator inverted': [(D+'condition/condition.js', "const goalValue = keyExists ? 'false' : 'true';", "const goalValue = keyExists ? 'true' : 'false';")],
 'RCP levels ignored': [(D+'services/DefaultServiceAuthorizer.js', "blockedByLog.add('rcp', rcpResult);", "")],
 'IPv6 ranges never match': [(D+'condition/ipaddress/ip.js', "matches: isIpInCidrV6(requestValue, policyValue) == expectInCidr,", "matches: false == expectInCidr,")],
 'IgnoreCase is case-sensitive': [(D+'condition/string/StringEqualsIgnoreCase.js', "new RegExp(pattern, 'i')", "pattern")],
}
only = sys.argv[1:] 
for name, edits in MUTANTS.items():
    if only and name not in only: continue
    d=os.path.join(tempfile.mkdtemp(prefix='oracle-mutant-'), 'oracle')
    shutil.copytree(SRC, d, symlinks=True)
    ok=True
    for f, old, new in edits:
        p=os.path.join(d,f); s=open(p).read()
        if old not in s: print('!! pattern not found for', name, f); ok=False; break
        open(p,'w').write(s.replace(old,new,1))
    if not ok: continue
    got=run(d)
    diff=[i for i,(a,b) in enumerate(zip(base,got)) if a!=b]
    print(f"{len(diff):4d} of {len(base)} flip  | {name}   e.g. {diff[:5]}")
    shutil.rmtree(os.path.dirname(d))
