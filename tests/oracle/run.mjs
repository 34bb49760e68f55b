// Differential-test oracle: evaluates rdsiam `simulate` requests with @cloud-copilot/iam-simulate.
//
// stdin:  a JSON array of rdsiam simulate requests (the format `rdsiam simulate --input` reads).
// stdout: a JSON array, one entry per request, in order:
//           {"decision": "Allowed"|"ImplicitlyDenied"|"ExplicitlyDenied",
//            "ignored_context_keys": [...], "blocked_by": [...]}
//         or {"error": "..."} when the library refuses the request (a generator bug: the
//         differential test fails on it rather than comparing nonsense).
//
// This file only translates shapes; it must not encode any IAM semantics of its own, or the
// differential test would be comparing rdsiam against us instead of against the library.
// The library is AGPL and is used here as a test-time oracle only (never vendored or shipped).
import { runSimulation } from '@cloud-copilot/iam-simulate'

/** Account id of an ARN (5th field), or undefined when the ARN has none (S3). */
function arnAccount(arn) {
  const account = typeof arn === 'string' ? arn.split(':')[4] : undefined
  return account ? account : undefined
}

/**
 * True for the AWS-managed RCPFullAWSAccess document. AWS attaches it to every root, OU and
 * account and it cannot be detached, so rdsiam requests carry it explicitly; the library adds
 * it to every level itself and its RCP validator refuses Allow statements, so we drop it here.
 */
function isRcpFullAwsAccess(policy) {
  const statements = [policy?.Statement].flat()
  if (statements.length !== 1) return false
  const [s] = statements
  const keys = Object.keys(s).filter((k) => k !== 'Sid').sort().join(',')
  return (
    keys === 'Action,Effect,Principal,Resource' &&
    s.Effect === 'Allow' &&
    s.Principal === '*' &&
    s.Action === '*' &&
    s.Resource === '*'
  )
}

/** rdsiam's levels (root first, account last) -> the library's per-OU policy lists. */
function orgLevels(levels, kind) {
  return (levels ?? []).map((policies, level) => ({
    orgIdentifier: `${kind}-level-${level}`,
    policies: policies
      .filter((policy) => kind !== 'rcp' || !isRcpFullAwsAccess(policy))
      .map((policy, index) => ({ name: `${kind}-${level}-${index}`, policy }))
  }))
}

/** Translate one rdsiam request into the library's Simulation shape. */
function toSimulation(request) {
  const sessionPolicies = request.session_policies ?? []
  if (sessionPolicies.length > 1) {
    // The library takes one session policy; merging several would be our own semantics.
    throw new Error('oracle supports at most one session policy per request')
  }
  const principal = request.principal
  // Same-account requests only: rds-db and identity-only sts/s3 requests have no resource
  // policy in the rdsiam format, so the resource's account is the principal's unless the ARN
  // names one.
  const accountId = arnAccount(request.resource) ?? arnAccount(principal) ?? ''
  return {
    request: {
      principal,
      action: request.action,
      resource: { resource: request.resource, accountId },
      contextVariables: request.context ?? {}
    },
    identityPolicies: (request.identity_policies ?? []).map((policy, index) => ({
      name: `identity-${index}`,
      policy
    })),
    permissionBoundaryPolicies: request.permission_boundary
      ? [{ name: 'permission-boundary', policy: request.permission_boundary }]
      : undefined,
    serviceControlPolicies: orgLevels(request.scp_levels, 'scp'),
    resourceControlPolicies: orgLevels(request.rcp_levels, 'rcp'),
    sessionPolicy: sessionPolicies.length === 1 ? sessionPolicies[0] : undefined
  }
}

async function evaluate(request) {
  let simulation
  try {
    simulation = toSimulation(request)
  } catch (e) {
    return { error: String(e.message ?? e) }
  }
  let response
  try {
    response = await runSimulation(simulation, { simulationMode: 'Strict' })
  } catch (e) {
    // One request crashing the library must not hide the answers to the others.
    return { error: `library threw: ${e?.stack ?? e}` }
  }
  if (response.resultType === 'error') {
    return { error: JSON.stringify(response.errors) }
  }
  if (response.resultType !== 'single') {
    return { error: `unexpected result type ${response.resultType} (wildcard in request resource?)` }
  }
  return {
    decision: response.overallResult,
    ignored_context_keys: response.result.ignoredContextKeys ?? [],
    blocked_by: response.result.analysis.blockedBy ?? []
  }
}

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

const requests = JSON.parse(await readStdin())
if (!Array.isArray(requests)) {
  process.stderr.write('run.mjs: stdin must be a JSON array of simulate requests\n')
  process.exit(2)
}
const answers = []
for (const request of requests) {
  answers.push(await evaluate(request))
}
process.stdout.write(JSON.stringify(answers) + '\n')
