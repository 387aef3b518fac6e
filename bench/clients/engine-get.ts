// The job engine (src/core/jobs) with the certificate gate
// (src/core/net, src/core/tls), driven the way `managed-downloads get` drives it: one job with every
// URL, resumed, completed when TRANSFERRED. What the CLI costs on top shows by difference. Bundled by the bench (lib/ours.mjs) and run as
// `node engine-get.js --dest DIR --store DIR --ca-file PEM URL...`; exits non-zero on a final error.
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { JobEngine } from '../../src/core/jobs/engine';
import { JobState } from '../../src/core/model/job';
import { GatedConnectionProvider } from '../../src/core/net/connection-provider';
import { CertificateService } from '../../src/core/tls/service';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { dest: { type: 'string' }, store: { type: 'string' }, 'ca-file': { type: 'string' } },
});
if (!values.dest || !values.store || positionals.length === 0) {
  console.error('usage: engine-get --dest DIR --store DIR [--ca-file PEM] URL...');
  process.exit(2);
}
const dest = resolve(values.dest);

async function main(): Promise<number> {
  const service = new CertificateService({ trust: { extraCaFiles: values['ca-file'] ? [values['ca-file']] : [] } });
  const connections = new GatedConnectionProvider(service);
  const engine = await JobEngine.open({ storeDir: resolve(values.store!), connections, resumeStoredJobs: false });
  const job = await engine.createJob({ displayName: 'bench', owner: 'bench', noProgressTimeout: 0 });
  // All files in one call (BITS AddFileSet), as the CLI does: one store write instead of one per file.
  await engine.addFiles(
    job.id,
    positionals.map((url) => ({ remoteUrl: url, localPath: join(dest, basename(new URL(url).pathname)) })),
  );
  const settled = new Promise<JobState>((done) => {
    engine.onDidChangeJob((e) => {
      if (e.job.id !== job.id) return;
      if (e.job.state === JobState.TRANSFERRED || e.job.state === JobState.ERROR || e.job.state === JobState.TRANSIENT_ERROR)
        done(e.job.state);
    });
  });
  await engine.resume(job.id);
  const state = await settled;
  let code = 0;
  if (state === JobState.TRANSFERRED) await engine.complete(job.id);
  else {
    console.error(`job ended in state ${JobState[state]}: ${JSON.stringify(engine.getJob(job.id)?.error)}`);
    code = 1;
  }
  await engine.dispose();
  connections.dispose();
  await service.dispose();
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
