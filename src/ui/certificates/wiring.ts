// Connects certificate validation to the rest of the UI once the engine (and its connection path) is open:
// the tree's certificate children, the rejections document, the API's setCertificateValidator, and
// forgetting finished jobs' validator state.
import type * as vscode from 'vscode';
import type { DownloadEngine } from '../../core/model/job';
import type { CertificateUi } from './certificateUi';
import type { RejectionsDocumentProvider } from './rejectionsDocument';
import type { ConnectionHost } from './connectionHost';
import type { Connections } from './connections';
import type { EngineHost } from '../engineHost';
import { isFinal } from '../jobActions';
import type { ApiClients } from '../publicApi';
import type { JobTreeProvider } from '../tree/provider';

export function certificateUi(connections: ConnectionHost): CertificateUi {
  return {
    service: async () => (await connections.get()).connections.service,
    async reloadValidator() {
      const { validator } = await connections.get();
      let state = await validator.reload();
      // A file saved during the reload starts a newer load: report where the newest one ends.
      for (let i = 0; i < 5 && state.status === 'loading'; i++) state = await validator.controller.settled();
      return state;
    },
  };
}

/** The API's setCertificateValidator: records the job's need for an in-process validator, then sets it. */
export function forwardApiValidators(api: ApiClients, engines: EngineHost, certificates: CertificateUi): void {
  api.setValidatorSink({
    async setJobValidator(jobId, validator) {
      const engine = await engines.get();
      const service = await certificates.service();
      await engine.setValidatorSource(jobId, validator ? 'api' : 'none');
      service.setJobValidator(jobId, validator, `set by ${engine.getJob(jobId)?.owner ?? 'an extension'}`);
    },
  });
}

export function followCertificates(
  engine: DownloadEngine,
  connections: Connections,
  tree: JobTreeProvider,
  rejectionsDocs: RejectionsDocumentProvider,
): vscode.Disposable[] {
  const service = connections.service;
  tree.certificates = service;
  rejectionsDocs.follow(service);
  return [
    // A job's certificate children change outside the engine's events: a cache reset, a rejection.
    service.onDidResetConnections((e) => tree.refreshJobs(e.jobIds)),
    service.rejections.onDidRecord((r) => tree.refreshJobs([r.jobId])),
    engine.onDidChangeJob((e) => {
      if (e.kind === 'state' && isFinal(e.job.state)) service.forgetJob(e.job.id);
    }),
  ];
}
