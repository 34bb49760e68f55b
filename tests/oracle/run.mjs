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
import { toSimulation } from './translate.mjs'

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
