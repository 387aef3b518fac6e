// What the engine hands out of a job (getJob, every event): a deep-frozen copy. A job of a thousand files used to be
// copied whole for each snapshot (about 1.8 ms), and a progress event every half second copied it again while only
// one file's bytes had moved. Each file's frozen copy is now kept and shared by the snapshots that follow, and made
// again only when that file's record differs from it; frozen, no holder of a snapshot can change what another sees.
import type { FileRecord, JobRecord, JobSnapshot } from '../model/job';

/** One job's snapshots: the frozen copy of each of its files, by index, reused while the file is unchanged. */
export class JobSnapshots {
  private files: FileRecord[] = [];
  /** How many keys each kept copy has (a key the record lost is a change, too). */
  private keyCounts: number[] = [];

  of(record: JobRecord): JobSnapshot {
    const { files, ...job } = record;
    if (this.files.length > files.length) this.files.length = this.keyCounts.length = files.length;
    for (let i = 0; i < files.length; i++) {
      const kept = this.files[i];
      if (kept !== undefined && sameFields(kept, this.keyCounts[i], files[i])) continue;
      this.files[i] = frozenCopy(files[i]);
      this.keyCounts[i] = Object.keys(files[i]).length;
    }
    return deepFrozen({ ...structuredClone(job), files: Object.freeze([...this.files]) as FileRecord[] });
  }
}

/**
 * A frozen copy of plain data (a file record: primitives, arrays, plain objects), made key by key: structuredClone
 * costs several microseconds per call, which a snapshot after most files of a job changed would pay per file.
 */
function frozenCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy)) as T;
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = frozenCopy(value[key]);
  return Object.freeze(copy) as T;
}

/** Freezes `value` and everything in it that is not frozen already (the shared file copies are). */
function deepFrozen<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const inner of Object.values(value)) deepFrozen(inner);
  return Object.freeze(value);
}

/**
 * A file record unchanged since its copy `kept` (of `keyCount` keys) was made: the same keys (one present as
 * undefined counts, as structuredClone keeps it) with equal values. Called for every file of every snapshot, so
 * it allocates nothing and looks into objects (a segmented file's ranges) only when they are not the same one.
 */
function sameFields(kept: object, keyCount: number, live: object): boolean {
  let count = 0;
  for (const key in live) {
    count++;
    const a = (kept as Record<string, unknown>)[key];
    const b = (live as Record<string, unknown>)[key];
    if (a === b) {
      if (a === undefined && !Object.hasOwn(kept, key)) return false;
      continue;
    }
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b) || !sameFields(a, Object.keys(a).length, b)) return false;
  }
  return count === keyCount;
}
