// Scenario 5 of issue 8 needs the extension's UI, store and validator watcher, which are still being
// built. Each row says what it waits for.

export function extensionCostRows() {
  const section = [
    "## 5. The extension's own costs",
    '',
    '| figure | result |',
    '|---|---|',
    '| activation time | not measured yet (needs the extension and a store of jobs to activate with, timed in code-server) |',
    '| tree refresh with 1,000 jobs | not measured yet (needs the src/ui job tree provider over the engine) |',
    '| extension host memory with 1,000 jobs in the store | not measured yet (needs the engine store and the extension running in code-server) |',
    '| validator compile-and-reload latency (save to effective) | not measured yet (needs src/validator: compiler, worker and watcher) |',
    '',
  ].join('\n');
  return {
    section,
    goals: [
      { goal: 'validator reload effective < 1 s after save', verdict: 'not measured', detail: 'needs src/validator (compiler, worker, watcher)' },
      { goal: 'activation < 100 ms', verdict: 'not measured', detail: 'needs the extension with its store, timed in code-server' },
      { goal: 'tree refresh with 1,000 jobs < 50 ms', verdict: 'not measured', detail: 'needs the src/ui tree provider' },
    ],
  };
}
