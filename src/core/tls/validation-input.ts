// The phase-2 input, as ValidateServerCertificate receives it, built from a job and the chain the server sent.
import type { X509Certificate } from 'node:crypto';
import type { JobSnapshot } from '../model/job';
import type { Phase1Check, ValidationInput } from '../../validator/managed-downloads-validator';
import { buildCertStore } from './cert-store';
import { describeCertificate } from './certificate-view';

/** X509_ASN_ENCODING | PKCS_7_ASN_ENCODING. */
export const CERT_ENCODING_TYPE = 0x10001;

/** `phase1Relaxed`: the phase-1 checks that failed but the job's security flags relaxed. */
export function buildValidationInput(
  job: JobSnapshot,
  fileIndex: number | undefined,
  host: string,
  port: number,
  chain: readonly X509Certificate[],
  phase1Relaxed: readonly Phase1Check[] = [],
): ValidationInput {
  const views = chain.map(describeCertificate);
  const file = fileIndex === undefined ? undefined : job.files[fileIndex];
  const certStoreData = new Uint8Array(buildCertStore(views.map((v) => v.der)));
  return {
    job: {
      id: job.id,
      displayName: job.displayName,
      description: job.description,
      owner: job.owner,
      priority: job.priority,
      securityFlags: job.securityFlags,
    },
    file: { index: fileIndex ?? -1, remoteUrl: file?.remoteUrl ?? '', localPath: file?.localPath ?? '' },
    endpoint: { host, port },
    certData: views[0].der,
    certLength: views[0].der.byteLength,
    certEncodingType: CERT_ENCODING_TYPE,
    certStoreData,
    certStoreLength: certStoreData.byteLength,
    certStore: views,
    certificate: views[0],
    phase1Relaxed: [...phase1Relaxed],
  };
}
