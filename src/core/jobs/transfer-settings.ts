// Checks of the engine-wide transfer settings (segmented downloads, bandwidth limit): a clear error, never a
// silently odd value.
import { BitsError, Codes, ErrorContext } from '../errors';
import type { SegmentPolicy } from '../transfer/segments';

function invalid(message: string): BitsError {
  return new BitsError(Codes.E_INVALIDARG, message, ErrorContext.GENERAL_QUEUE_MANAGER);
}

export function checkSegmentPolicy(policy: SegmentPolicy): SegmentPolicy {
  if (typeof policy.enabled !== 'boolean')
    throw invalid(`Segmented downloads are on or off (true or false), not ${String(policy.enabled)}.`);
  if (!Number.isInteger(policy.connections) || policy.connections < 1 || policy.connections > 64) {
    throw invalid(`The connections per segmented file must be a whole number from 1 to 64 (got ${String(policy.connections)}).`);
  }
  if (!Number.isSafeInteger(policy.minSize) || policy.minSize < 0) {
    throw invalid(`The size from which a file is segmented must be a whole number of bytes, 0 or more (got ${String(policy.minSize)}).`);
  }
  if (!Number.isSafeInteger(policy.checkpointMs) || policy.checkpointMs < 1) {
    throw invalid(
      `The checkpoint interval of segmented files must be a whole number of milliseconds, 1 or more (got ${String(policy.checkpointMs)}).`,
    );
  }
  return { enabled: policy.enabled, connections: policy.connections, minSize: policy.minSize, checkpointMs: policy.checkpointMs };
}

export function checkBandwidthLimit(bytesPerSecond: number): number {
  if (typeof bytesPerSecond !== 'number' || !Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) {
    throw invalid(`The bandwidth limit must be a number of bytes per second, 0 (no limit) or more (got ${String(bytesPerSecond)}).`);
  }
  return bytesPerSecond;
}
