// Memory of the extension host, read inside it. A full garbage collection runs first (V8's gc() made
// reachable through --expose-gc at run time), so heapUsed counts what is kept, not what is waiting to be
// collected; RSS is the process's resident size as the kernel sees it.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

export interface MemoryFigures {
  rssMiB: number;
  heapUsedMiB: number;
  /** False when gc() could not be reached; heapUsed then includes garbage. */
  collected: boolean;
}

let gc: (() => void) | undefined;

function collector(): (() => void) | undefined {
  if (gc) return gc;
  try {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  } catch {
    gc = undefined;
  }
  return gc;
}

const MiB = 1024 * 1024;

/** Collects twice (weak references and finalizers free more on the second pass), then reads memory. */
export async function measureMemory(): Promise<MemoryFigures> {
  const collect = collector();
  if (collect) {
    collect();
    await new Promise((r) => setImmediate(r));
    collect();
  }
  const m = process.memoryUsage();
  return { rssMiB: m.rss / MiB, heapUsedMiB: m.heapUsed / MiB, collected: collect !== undefined };
}
