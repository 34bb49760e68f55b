// Translation of rdsiam `simulate` requests into @cloud-copilot/iam-simulate's Simulation
// shape, shared by the differential oracle (run.mjs) and the peer benchmark
// (benches/peer_iam_simulate.mjs). Shapes only: no IAM semantics of our own.

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
export function toSimulation(request) {
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

