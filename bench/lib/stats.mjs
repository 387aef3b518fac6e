// Summaries of repeated measurements: min / median / max, and ratios of medians.
// Only medians and ratios are reported as results; a lone absolute time says little on a shared machine.

export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** { min, median, max, n } of the values (NaN everywhere when there are none). */
export function summarize(values) {
  if (values.length === 0) return { min: NaN, median: NaN, max: NaN, n: 0 };
  return { min: Math.min(...values), median: median(values), max: Math.max(...values), n: values.length };
}

/**
 * How `a` compares with `b` over paired repetitions: the ratio of the medians, and the range of the
 * per-repetition ratios (runs of one repetition ran back to back, so their ratio shrugs off slow drift
 * in the machine's load).
 */
export function ratio(aRuns, bRuns, pick) {
  const a = aRuns.filter((r) => r.ok);
  const b = bRuns.filter((r) => r.ok);
  if (a.length === 0 || b.length === 0) return undefined;
  const ofMedians = median(a.map(pick)) / median(b.map(pick));
  const perRep = [];
  for (const ra of a) {
    const rb = b.find((r) => r.rep === ra.rep);
    if (rb) perRep.push(pick(ra) / pick(rb));
  }
  return { value: ofMedians, min: perRep.length ? Math.min(...perRep) : NaN, max: perRep.length ? Math.max(...perRep) : NaN };
}
