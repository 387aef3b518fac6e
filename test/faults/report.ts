// What each fault scenario reports, and the table the suite prints: runs, files verified, wrong bytes delivered
// and jobs lost (both must be 0), plus the failures with their reasons.

export interface FaultResult {
  fault: string;
  runs: number;
  filesVerified: number;
  /** Bytes at a final path that differ from the served entity (a whole wrong file counts all its bytes). */
  wrongBytes: number;
  /** Jobs that vanished from the store or never reached the state the scenario expects. */
  jobsLost: number;
  /** Why a run failed; empty when every run held. */
  failures: string[];
  /** The block of the table the fault is listed under (e.g. "hostile server"); none for the plain faults. */
  block?: string;
}

export function emptyResult(fault: string): FaultResult {
  return { fault, runs: 0, filesVerified: 0, wrongBytes: 0, jobsLost: 0, failures: [] };
}

export function passed(r: FaultResult): boolean {
  return r.failures.length === 0 && r.wrongBytes === 0 && r.jobsLost === 0 && r.runs > 0;
}

/** Counts differing bytes (a length difference counts as wrong bytes too). */
export function wrongBytesBetween(actual: Buffer, expected: Buffer): number {
  let wrong = Math.abs(actual.length - expected.length);
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) if (actual[i] !== expected[i]) wrong++;
  return wrong;
}

export function formatTable(results: FaultResult[]): string {
  const header = ['fault', 'runs', 'files verified', 'wrong bytes delivered', 'jobs lost', 'result'];
  const rows = results.map((r) => [
    r.fault,
    String(r.runs),
    String(r.filesVerified),
    String(r.wrongBytes),
    String(r.jobsLost),
    passed(r) ? 'pass' : 'FAIL',
  ]);
  const blockTitles = results.map((r) => (r.block ? `**${r.block}**`.length : 0));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length), ...(i === 0 ? blockTitles : [])));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const total = (key: 'runs' | 'filesVerified' | 'wrongBytes' | 'jobsLost') => String(results.reduce((sum, r) => sum + r[key], 0));
  // A block's first fault is preceded by a row naming the block.
  const body = rows.flatMap((row, i) => {
    const block = results[i].block;
    return block !== undefined && block !== results[i - 1]?.block ? [line([`**${block}**`, '', '', '', '', '']), line(row)] : [line(row)];
  });
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body,
    line(['total', total('runs'), total('filesVerified'), total('wrongBytes'), total('jobsLost'), '']),
  ].join('\n');
}
