// Scenario 4 of issue 8: what the certificate gate costs per connection, with the validator's cache hit,
// missed, and with no validator. Measured through the engine's TLS API (src/core/tls) with tsx once it
// exists; until then the row says so.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export async function runCertCost({ repoRoot }) {
  const missing = ['src/core/tls'].filter((p) => !existsSync(join(repoRoot, p)));
  const status = missing.length ? `not available yet (needs ${missing.join(', ')}: the certificate gate and its per-job cache)` : 'not available yet (the measuring script for the gate API is not written)';
  return {
    section: ['## 4. Certificate validation cost', '', '| case | connections/s (min / **median** / max) | ms added per connection vs no validator |', '|---|---|---|', `| no validator | ${status} | |`, `| validator, cache hit | ${status} | |`, `| validator, cache miss | ${status} | |`, ''].join('\n'),
    goals: [{ goal: 'validator cache hit: < 1 ms added per connection', verdict: 'not measured', detail: status }],
  };
}
