// For the authoring tests: a small PKI made at test time (a "public" CA standing in for the platform's
// roots, a private corporate CA, a TLS-inspection root), one real TLS server on 127.0.0.1 that answers
// each host name (SNI) with its own chain and records every byte it receives, and the dry run pointed at
// it (host names resolve to 127.0.0.1, the way curl's --resolve does it).
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { makeCA, makeIntermediate, makeLeaf, type Issued, type LeafOptions } from '../../../support/certs';
import { spkiSha256Base64 } from '../../../../src/core/tls/certificate-view';
import { TrustStore } from '../../../../src/core/tls/trust-store';
import { dryRun, type DryRunReport } from '../../../../src/validator/authoring/dry-run';

export interface Pki {
  /** Trusted by phase 1 (stands in for the platform's roots). */
  publicCa: Issued;
  publicIntermediate: Issued;
  /** Not trusted by phase 1: a company's own CA. */
  corpCa: Issued;
  /** A corporate TLS-inspection root (re-signs every host). */
  inspectionCa: Issued;
}

export function makePki(): Pki {
  const publicCa = makeCA('Test Public Root CA');
  return {
    publicCa,
    publicIntermediate: makeIntermediate(publicCa, 'Test Public Issuing CA'),
    corpCa: makeCA('Corp Example Root CA'),
    inspectionCa: makeCA('Corp TLS Inspection Root'),
  };
}

/** `sha256/<base64>` of a certificate's key. */
export function pinOf(cert: Issued): string {
  return 'sha256/' + spkiSha256Base64(new X509Certificate(cert.cert));
}

/** A pin no test key has. */
export function strangerPin(fill = 7): string {
  return 'sha256/' + Buffer.alloc(32, fill).toString('base64');
}

export interface ServedChain {
  leaf: Issued;
  /** Sent after the leaf. */
  chain: Issued[];
}

export interface SniServer {
  port: number;
  /** Serve `host` (the SNI name) with this chain; unknown names get the default. */
  serve(host: string, served: ServedChain): void;
  /** Bytes received after handshakes, all connections. */
  received(): number;
  connections(): number;
  close(): Promise<void>;
}

export async function startSniServer(fallback: ServedChain): Promise<SniServer> {
  const contexts = new Map<string, tls.SecureContext>();
  const contextOf = (s: ServedChain) =>
    tls.createSecureContext({ cert: [s.leaf.cert, ...s.chain.map((c) => c.cert)].join('\n'), key: s.leaf.key });
  const fallbackContext = contextOf(fallback);
  let bytes = 0;
  let connections = 0;
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    {
      SNICallback: (name, cb) => cb(null, contexts.get(name.toLowerCase()) ?? fallbackContext),
      cert: [fallback.leaf.cert, ...fallback.chain.map((c) => c.cert)].join('\n'),
      key: fallback.leaf.key,
    },
    (socket) => {
      connections++;
      sockets.add(socket);
      socket.on('data', (d: Buffer) => (bytes += d.length));
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    serve: (host, served) => contexts.set(host.toLowerCase(), contextOf(served)),
    received: () => bytes,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A leaf for `host` from `issuer`, served with the issuer's chain below the root. */
export function chainFor(host: string, issuer: Issued, intermediates: Issued[] = [], opts: LeafOptions = {}): ServedChain {
  return { leaf: makeLeaf(intermediates[0] ?? issuer, { hosts: [host], ...opts }), chain: intermediates };
}

export function tempDir(prefix = 'md-authoring-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `files` (name → content) into `dir`; returns the path of the first. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return join(dir, Object.keys(files)[0]);
}

export interface CheckOptions {
  validatorFile?: string;
  securityFlags?: number;
  timeLimitMs?: number;
}

/** The dry run against the SNI server for `https://<host>:<port>/`: both phases, no request. */
export function checkHost(server: SniServer, pki: Pki, host: string, options: CheckOptions = {}): Promise<DryRunReport> {
  return dryRun({
    url: `https://${host}:${server.port}/artifact.bin`,
    securityFlags: options.securityFlags,
    trust: new TrustStore({ includeDefaultRoots: false, extraCaPem: [pki.publicCa.cert] }),
    validatorFile: options.validatorFile,
    timeLimitMs: options.timeLimitMs,
    resolveHost: () => '127.0.0.1',
  });
}

/** The validator's answer in a report, or a clear failure when it did not run. */
export function verdictOf(report: DryRunReport): { verdict: string; code: string; reason: string; log: string } {
  const v = report.validator;
  const log = report.validatorLog.map((l) => `[${l.level}] ${l.message}`).join('\n');
  if (v.status !== 'ran') throw new Error(`the validator did not run: ${JSON.stringify(v)}; phase 1: ${JSON.stringify(report.phase1)}`);
  return { verdict: v.verdict, code: v.code, reason: v.reason, log };
}
