// Peer figure for benches/policy_eval: decisions per second of @cloud-copilot/iam-simulate
// (an independent IAM evaluator, AGPL, test-time only, installed by scripts/test.sh into
// tests/oracle/node_modules) on the same request as the Rust benchmark.
// Usage: node benches/peer_iam_simulate.mjs [seconds]
import { readFileSync } from 'node:fs'
import { runSimulation } from '../tests/oracle/node_modules/@cloud-copilot/iam-simulate/dist/esm/index.js'
import { toSimulation } from '../tests/oracle/translate.mjs'

const seconds = Number(process.argv[2] ?? 5)
const request = JSON.parse(readFileSync(new URL('./data/realistic-role.json', import.meta.url)))
// The oracle takes plain documents, not rdsiam's {name, document} wrappers.
const unwrap = (p) => (p && p.document ? p.document : p)
request.identity_policies = request.identity_policies.map(unwrap)
request.permission_boundary = unwrap(request.permission_boundary)
request.scp_levels = request.scp_levels.map((level) => level.map(unwrap))
const simulation = toSimulation(request)

const first = await runSimulation(simulation, { simulationMode: 'Strict' })
if (first.resultType !== 'single' || first.overallResult !== 'Allowed') {
  console.error('unexpected answer', JSON.stringify(first).slice(0, 500))
  process.exit(1)
}
let count = 0
const start = process.hrtime.bigint()
const deadline = start + BigInt(seconds * 1e9)
while (process.hrtime.bigint() < deadline) {
  await runSimulation(simulation, { simulationMode: 'Strict' })
  count++
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9
console.log(`iam-simulate: ${count} decisions in ${elapsed.toFixed(2)} s = ${Math.round(count / elapsed)} decisions/s`)
