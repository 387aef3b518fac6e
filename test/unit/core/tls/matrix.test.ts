// The certificate matrix: each badly configured server (RSA and ECDSA), with and without the security flag
// that applies, gets the same verdict from the job gate (the engine's and the extension's connection path), the
// dry run behind `check-cert` and "Test Certificate Validator on URL...", and the CLI's `get`. The verdict is
// OpenSSL's, relaxed only by the flag that names the failure; cases no flag relaxes are tried with every flag.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Codes, formatCode } from '../../../../src/core/errors';
import { SecurityFlags } from '../../../../src/core/model/job';
import { GatedConnectionProvider } from '../../../../src/core/net/connection-provider';
import { CertificateService } from '../../../../src/core/tls/service';
import { TrustStore } from '../../../../src/core/tls/trust-store';
import { dryRun } from '../../../../src/validator/authoring/dry-run';
import { runCli } from '../../../support/cli';
import { forgeIssued, makeCert, type KeyKind, type Made } from '../../../support/x509';
import { makeCrl, startCrlServer } from './crl-helpers';
import { fakeJob, get } from './helpers';

const F = SecurityFlags;
const EVERY_RELAXING = F.IGNORE_CERT_CN_INVALID | F.IGNORE_CERT_DATE_INVALID | F.IGNORE_UNKNOWN_CA | F.IGNORE_CERT_WRONG_USAGE;
const DAY = 24 * 3600 * 1000;

type Check = 'chain' | 'date' | 'name' | 'usage' | 'revocation' | 'strength' | 'constraints';
type Verdict = { accept: true } | { code: number; check: Check };
const ACCEPT: Verdict = { accept: true };
const refuse = (check: Check): Verdict => ({ code: CODE[check], check });
const CODE: Record<Check, number> = {
  chain: Codes.ERROR_WINHTTP_SECURE_INVALID_CA,
  date: Codes.ERROR_WINHTTP_SECURE_CERT_DATE_INVALID,
  name: Codes.ERROR_WINHTTP_SECURE_CERT_CN_INVALID,
  usage: Codes.ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE,
  revocation: Codes.ERROR_WINHTTP_SECURE_CERT_REVOKED,
  strength: Codes.ERROR_WINHTTP_SECURE_INVALID_CERT,
  constraints: Codes.ERROR_WINHTTP_SECURE_INVALID_CERT,
};
/** Each error names the check that failed, in words. */
const NAMED: Record<Check, RegExp> = {
  chain: /untrusted certificate authority/,
  date: /certificate date invalid/,
  name: /name does not match/,
  usage: /not valid for server authentication/,
  revocation: /revocation/,
  strength: /weak certificate.*(SHA-1|bits)/,
  constraints: /constraint violated.*(name constraints|intermediate CA)/,
};

interface Case {
  name: string;
  host: 'localhost' | '127.0.0.1';
  /** The certificates the server sends, leaf first, and its key. */
  serve(ca: Pki): { chain: Made[]; key: Made };
  /** Verdict without flags, and with `flags`. */
  plain: Verdict;
  flags: number;
  flagged: Verdict;
  /** A CRL server this case needs. */
  crl?: 'revoked' | 'unreachable';
  /** Only one key kind makes sense (a weak RSA key). */
  only?: KeyKind;
}

interface Pki {
  kind: KeyKind;
  root: Made;
  inter: Made;
  crlUrl: string;
}

const leafOf = (pki: Pki, spec: Parameters<typeof makeCert>[0] = {}) =>
  makeCert({ sans: ['localhost', '127.0.0.1'], key: pki.kind, issuer: pki.inter, ...spec });
const good = (pki: Pki, spec: Parameters<typeof makeCert>[0] = {}) => {
  const leaf = leafOf(pki, spec);
  return { chain: [leaf, pki.inter], key: leaf };
};

const CASES: Case[] = [
  { name: 'a good chain', host: 'localhost', serve: (p) => good(p), plain: ACCEPT, flags: EVERY_RELAXING, flagged: ACCEPT },
  {
    name: 'expired',
    host: 'localhost',
    serve: (p) => good(p, { notBefore: new Date(Date.now() - 60 * DAY), notAfter: new Date(Date.now() - DAY) }),
    plain: refuse('date'),
    flags: F.IGNORE_CERT_DATE_INVALID,
    flagged: ACCEPT,
  },
  {
    name: 'not yet valid',
    host: 'localhost',
    serve: (p) => good(p, { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 60 * DAY) }),
    plain: refuse('date'),
    flags: F.IGNORE_CERT_DATE_INVALID,
    flagged: ACCEPT,
  },
  {
    name: 'wrong host',
    host: 'localhost',
    serve: (p) => good(p, { sans: ['other.example'] }),
    plain: refuse('name'),
    flags: F.IGNORE_CERT_CN_INVALID,
    flagged: ACCEPT,
  },
  {
    name: 'wildcard mismatch (*.localhost for localhost)',
    host: 'localhost',
    serve: (p) => good(p, { sans: ['*.localhost'] }),
    plain: refuse('name'),
    flags: F.IGNORE_CERT_CN_INVALID,
    flagged: ACCEPT,
  },
  {
    name: 'IP SAN mismatch',
    host: '127.0.0.1',
    serve: (p) => good(p, { sans: ['127.0.0.9'] }),
    plain: refuse('name'),
    flags: F.IGNORE_CERT_CN_INVALID,
    flagged: ACCEPT,
  },
  {
    name: 'self-signed',
    host: 'localhost',
    serve: (p) => {
      const leaf = makeCert({ sans: ['localhost'], key: p.kind });
      return { chain: [leaf], key: leaf };
    },
    plain: refuse('chain'),
    flags: F.IGNORE_UNKNOWN_CA,
    flagged: ACCEPT,
  },
  {
    name: 'untrusted root (sent)',
    host: 'localhost',
    serve: (p) => {
      const otherRoot = makeCert({ cn: 'Other Root', ca: true, key: p.kind });
      const leaf = makeCert({ sans: ['localhost'], key: p.kind, issuer: otherRoot });
      return { chain: [leaf, otherRoot], key: leaf };
    },
    plain: refuse('chain'),
    flags: F.IGNORE_UNKNOWN_CA,
    flagged: ACCEPT,
  },
  {
    name: 'incomplete chain (intermediate not sent)',
    host: 'localhost',
    serve: (p) => {
      const leaf = leafOf(p);
      return { chain: [leaf], key: leaf };
    },
    plain: refuse('chain'),
    flags: F.IGNORE_UNKNOWN_CA,
    flagged: ACCEPT,
  },
  {
    name: 'wrong EKU (clientAuth)',
    host: 'localhost',
    serve: (p) => good(p, { eku: ['clientAuth'] }),
    plain: refuse('usage'),
    flags: F.IGNORE_CERT_WRONG_USAGE,
    flagged: ACCEPT,
  },
  {
    name: 'SHA-1 intermediate',
    host: 'localhost',
    serve: (p) => {
      const inter = makeCert({ cn: 'SHA-1 Intermediate', ca: true, key: p.kind, issuer: p.root, hash: 'sha1' });
      const leaf = makeCert({ sans: ['localhost'], key: p.kind, issuer: inter });
      return { chain: [leaf, inter], key: leaf };
    },
    plain: refuse('strength'),
    flags: EVERY_RELAXING,
    flagged: refuse('strength'),
  },
  {
    name: 'weak key (RSA 1024)',
    host: 'localhost',
    only: 'rsa2048',
    serve: (p) => good(p, { key: 'rsa1024' }),
    plain: refuse('strength'),
    flags: EVERY_RELAXING,
    flagged: refuse('strength'),
  },
  {
    name: 'name-constraint violation',
    host: 'localhost',
    serve: (p) => {
      const inter = makeCert({ cn: 'Constrained Intermediate', ca: true, key: p.kind, issuer: p.root, permittedDns: ['allowed.test'] });
      const leaf = makeCert({ sans: ['localhost'], key: p.kind, issuer: inter });
      return { chain: [leaf, inter], key: leaf };
    },
    plain: refuse('constraints'),
    flags: EVERY_RELAXING,
    flagged: refuse('constraints'),
  },
  {
    name: 'path-length violation',
    host: 'localhost',
    serve: (p) => {
      const top = makeCert({ cn: 'pathlen:0 Intermediate', ca: true, key: p.kind, issuer: p.root, pathLen: 0 });
      const below = makeCert({ cn: 'Intermediate Below', ca: true, key: p.kind, issuer: top });
      const leaf = makeCert({ sans: ['localhost'], key: p.kind, issuer: below });
      return { chain: [leaf, below, top], key: leaf };
    },
    plain: refuse('constraints'),
    flags: EVERY_RELAXING,
    flagged: refuse('constraints'),
  },
  {
    name: 'no subject, names in the SAN only',
    host: 'localhost',
    serve: (p) => good(p, { cn: null }),
    plain: ACCEPT,
    flags: 0,
    flagged: ACCEPT,
  },
  {
    name: '1,000 SANs, the host last',
    host: 'localhost',
    serve: (p) => good(p, { cn: 'many', sans: [...Array.from({ length: 999 }, (_, i) => `host-${i}.example`), 'localhost'] }),
    plain: ACCEPT,
    flags: 0,
    flagged: ACCEPT,
  },
  // Failures a relaxed one must not hide.
  {
    name: 'expired under a SHA-1 intermediate, date relaxed',
    host: 'localhost',
    serve: (p) => {
      const inter = makeCert({ cn: 'SHA-1 Intermediate', ca: true, key: p.kind, issuer: p.root, hash: 'sha1' });
      const leaf = makeCert({
        sans: ['localhost'],
        key: p.kind,
        issuer: inter,
        notBefore: new Date(Date.now() - 60 * DAY),
        notAfter: new Date(Date.now() - DAY),
      });
      return { chain: [leaf, inter], key: leaf };
    },
    plain: refuse('strength'),
    flags: F.IGNORE_CERT_DATE_INVALID,
    flagged: refuse('strength'),
  },
  {
    name: 'unknown root with a name-constraint violation, unknown CA relaxed',
    host: 'localhost',
    serve: (p) => {
      const otherRoot = makeCert({ cn: 'Other Root', ca: true, key: p.kind });
      const inter = makeCert({ cn: 'Constrained Intermediate', ca: true, key: p.kind, issuer: otherRoot, permittedDns: ['allowed.test'] });
      const leaf = makeCert({ sans: ['localhost'], key: p.kind, issuer: inter });
      return { chain: [leaf, inter, otherRoot], key: leaf };
    },
    plain: refuse('constraints'),
    flags: F.IGNORE_UNKNOWN_CA,
    flagged: refuse('constraints'),
  },
  {
    name: 'self-signed 1024-bit leaf, unknown CA relaxed',
    host: 'localhost',
    only: 'rsa2048',
    serve: () => {
      const leaf = makeCert({ sans: ['localhost'], key: 'rsa1024' });
      return { chain: [leaf], key: leaf };
    },
    plain: refuse('strength'),
    flags: EVERY_RELAXING,
    flagged: refuse('strength'),
  },
  {
    name: 'revoked (CRL check on)',
    host: 'localhost',
    only: 'rsa2048',
    crl: 'revoked',
    serve: (p) => good(p, { crlUrl: p.crlUrl }),
    plain: ACCEPT,
    flags: F.ENABLE_CRL_CHECK,
    flagged: refuse('revocation'),
  },
  {
    name: 'CRL unreachable (CRL check on)',
    host: 'localhost',
    only: 'rsa2048',
    crl: 'unreachable',
    serve: (p) => good(p, { crlUrl: 'http://127.0.0.1:9/unreachable.crl' }),
    plain: ACCEPT,
    flags: F.ENABLE_CRL_CHECK,
    flagged: { code: Codes.ERROR_WINHTTP_SECURE_CERT_REV_FAILED, check: 'revocation' },
  },
];

interface Running {
  port: number;
  close(): Promise<void>;
}

/** An HTTPS server that will present any certificate (security level 0): refusing is the client's job. */
async function serve(chain: Made[], key: Made): Promise<Running> {
  const server = tls.createServer({ cert: chain.map((c) => c.cert).join(''), key: key.key, ciphers: 'DEFAULT:@SECLEVEL=0' }, (socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nmatrix'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

function verdictOf(error: { code?: number | string; message?: string } | undefined): { code?: number; message: string } {
  return error ? { code: Number(error.code), message: error.message ?? '' } : { message: '' };
}

function assertVerdict(door: string, got: { code?: number; message: string }, want: Verdict): void {
  if ('accept' in want) {
    assert.equal(
      got.code,
      undefined,
      `${door}: expected acceptance, got ${got.code === undefined ? '' : formatCode(got.code)} ${got.message}`,
    );
    return;
  }
  assert.equal(got.code === undefined ? undefined : formatCode(got.code), formatCode(want.code), `${door}: ${got.message}`);
  assert.match(got.message, NAMED[want.check], `${door} names the check: ${got.message}`);
}

let work: string;
let crlServer: Awaited<ReturnType<typeof startCrlServer>>;
before(async () => {
  work = mkdtempSync(join(tmpdir(), 'md-matrix-'));
  crlServer = await startCrlServer();
});
after(async () => {
  await crlServer.close();
  rmSync(work, { recursive: true, force: true });
});

for (const kind of ['rsa2048', 'ec256'] as const) {
  describe(`the certificate matrix, ${kind === 'ec256' ? 'ECDSA P-256' : 'RSA 2048'}`, () => {
    let pki: Pki;
    let caFile: string;
    before(() => {
      const root = makeCert({ cn: `Matrix Root ${kind}`, ca: true, key: kind, notAfter: new Date(Date.now() + 365 * DAY) });
      pki = {
        kind,
        root,
        inter: makeCert({ cn: `Matrix Intermediate ${kind}`, ca: true, key: kind, issuer: root }),
        crlUrl: crlServer.url,
      };
      caFile = join(work, `root-${kind}.pem`);
      writeFileSync(caFile, root.cert);
    });

    for (const c of CASES.filter((x) => !x.only || x.only === kind)) {
      test(`${c.name}: ${'accept' in c.plain ? 'accepted' : c.plain.check} without flags; ${'accept' in c.flagged ? 'accepted' : c.flagged.check} with 0x${c.flags.toString(16)}`, async () => {
        const { chain, key } = c.serve(pki);
        if (c.crl === 'revoked') {
          const serial = new (await import('node:crypto')).X509Certificate(chain[0].cert).serialNumber;
          crlServer.setCrl(makeCrl(forgeIssued(pki.inter), [serial]));
        }
        const server = await serve(chain, key);
        const service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [pki.root.cert] } });
        const provider = new GatedConnectionProvider(service);
        const url = `https://${c.host}:${server.port}/file.bin`;
        const variants = [
          [0, c.plain],
          [c.flags, c.flagged],
        ] as const;
        // The CLI's get, a separate process trusting the root through NODE_EXTRA_CA_CERTS (RSA only: it takes the
        // same code path for both key kinds, and each run is a process start). Both run while the gate is tried.
        const cliRuns =
          kind === 'rsa2048'
            ? variants.map(([flags]) => {
                const dest = mkdtempSync(join(work, 'dest-'));
                return runCli(
                  [
                    'get',
                    url,
                    '--dest',
                    dest,
                    '--store',
                    join(dest, '.store'),
                    '--security-flags',
                    String(flags),
                    '--no-progress-timeout',
                    '0',
                    '--json',
                  ],
                  { NODE_EXTRA_CA_CERTS: caFile },
                  60_000,
                );
              })
            : [];
        try {
          for (const [i, [flags, want]] of variants.entries()) {
            const label = `flags 0x${flags.toString(16)}`;
            // The job gate: what the engine and the extension use for every connection of a job.
            const job = fakeJob({ securityFlags: flags });
            const answer = await get(provider.agentFor(job, 'https:'), url, job.id);
            assertVerdict(`gate, ${label}`, verdictOf(answer.error), want);
            if (!answer.error) assert.equal(answer.body, 'matrix');
            // The dry run: check-cert and the editor's "Test Certificate Validator on URL...".
            const report = await dryRun({
              url,
              securityFlags: flags,
              trust: new TrustStore({ includeDefaultRoots: false, extraCaPem: [pki.root.cert] }),
            });
            assertVerdict(
              `dry run, ${label}`,
              report.accepted ? { message: '' } : { code: Number(report.phase1.code), message: report.phase1.reason ?? '' },
              want,
            );
            if (!cliRuns[i]) continue;
            const cli = await cliRuns[i];
            const outcome = JSON.parse(cli.stdout || '{}') as { ok?: boolean; error?: { code: string; description: string } };
            assertVerdict(
              `CLI get, ${label}`,
              outcome.ok
                ? { message: '' }
                : { code: outcome.error ? Number(outcome.error.code) : -1, message: outcome.error?.description ?? cli.stderr },
              want,
            );
            assert.equal(cli.code, 'accept' in want ? 0 : 1, `CLI get exit code, ${label}`);
          }
        } finally {
          await Promise.allSettled(cliRuns);
          provider.dispose();
          await service.dispose();
          await server.close();
        }
      });
    }
  });
}
