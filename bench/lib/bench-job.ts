// A job record for benchmarks that drive the certificate gate directly, without an engine.
import { JobPriority, JobState, type JobRecord } from '../../src/core/model/job';

export function benchJob(id: string, validator: JobRecord['validator'], securityFlags = 0): JobRecord {
  const now = new Date().toISOString();
  return {
    id,
    displayName: `bench ${id}`,
    description: '',
    priority: JobPriority.NORMAL,
    owner: 'bench',
    state: JobState.QUEUED,
    files: [],
    times: { created: now, modified: now },
    minimumRetryDelay: 60,
    noProgressTimeout: 0,
    securityFlags,
    customHeaders: {},
    validator,
  };
}
