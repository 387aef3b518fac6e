// The demo's private CA and server certificate, made with node-forge (test/support/certs.ts) and kept in
// the demo state folder so that a second start is quick and a workspace that trusts the demo CA keeps
// trusting it. Made again when missing or within a day of expiring.
import forge from 'node-forge';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCA, makeLeaf } from '../test/support/certs';

export interface DemoCertificates {
  /** PEM of the private CA; a validator (or extra CA setting) that trusts it trusts the demo server. */
  caPem: string;
  caFile: string;
  certPem: string;
  keyPem: string;
  /** True when they were made in this call (false: reused from the state folder). */
  fresh: boolean;
}

const DAY_MS = 24 * 3600 * 1000;

function stillValid(certPem: string, caPem: string): boolean {
  try {
    const leaf = forge.pki.certificateFromPem(certPem);
    const ca = forge.pki.certificateFromPem(caPem);
    const until = Math.min(leaf.validity.notAfter.getTime(), ca.validity.notAfter.getTime());
    return until - Date.now() > DAY_MS && ca.verify(leaf);
  } catch {
    return false;
  }
}

/** The demo certificates for `hosts` (the leaf's names), from `stateDir` or made now. */
export function demoCertificates(stateDir: string, hosts: string[]): DemoCertificates {
  mkdirSync(stateDir, { recursive: true });
  const caFile = join(stateDir, 'demo-ca.pem');
  const certFile = join(stateDir, 'demo-server.pem');
  const keyFile = join(stateDir, 'demo-server-key.pem');
  const hostsFile = join(stateDir, 'demo-server-hosts.json');
  if ([caFile, certFile, keyFile, hostsFile].every((f) => existsSync(f))) {
    const caPem = readFileSync(caFile, 'utf8');
    const certPem = readFileSync(certFile, 'utf8');
    const sameHosts = readFileSync(hostsFile, 'utf8') === JSON.stringify(hosts);
    if (sameHosts && stillValid(certPem, caPem)) {
      return { caPem, caFile, certPem, keyPem: readFileSync(keyFile, 'utf8'), fresh: false };
    }
  }
  const ca = makeCA('Managed Downloads Demo CA');
  const leaf = makeLeaf(ca, { hosts });
  writeFileSync(caFile, ca.cert);
  writeFileSync(certFile, leaf.cert);
  writeFileSync(keyFile, leaf.key, { mode: 0o600 });
  writeFileSync(hostsFile, JSON.stringify(hosts));
  return { caPem: ca.cert, caFile, certPem: leaf.cert, keyPem: leaf.key, fresh: true };
}
