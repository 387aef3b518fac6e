// A few file-system calls at once instead of one after another: a job of a thousand files otherwise waits for a
// thousand thread-pool round trips in a row (checking destinations, renaming at Complete, deleting temp files).

/** Files touched at once: enough to keep Node's thread pool (4 threads by default) busy, not to flood it. */
export const FILE_CALLS_AT_ONCE = 8;

/**
 * Runs `work` on every item, at most `limit` at a time. Resolves when all settled; then rejects with the error
 * of the lowest index that failed, so the outcome does not depend on which call finished first.
 */
export async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  const errors = new Map<number, unknown>();
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        await work(items[index], index);
      } catch (err) {
        errors.set(index, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (errors.size > 0) throw errors.get(Math.min(...errors.keys()));
}
