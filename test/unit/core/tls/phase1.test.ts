// Phase 1 through the real connection path: a TLS server on loopback with a certificate made at test
// time, the job's gated agent, and new http.ClientRequest as the engine makes it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCA, makeExpiredLeaf, makeIntermediate, makeLeaf, type Issued } from '../../../support/certs';
import { Codes, ErrorContext } from '../../../../src/core/errors';
import { SecurityFlags } from '../../../../src/core/model/job';
import { CertificateService } from '../../../../src/core/tls/service';
import { GatedConnectionProvider } from '../../../../src/core/net/connection-provider';
import { fakeJob, get, startRecordingServer, type RecordingServer } from './helpers';
import { makeCrl, makeLeafWithCrl, startCrlServer } from './crl-helpers';

const ALL_RELAXING =
  SecurityFlags.IGNORE_CERT_CN_INVALID |
  SecurityFlags.IGNORE_CERT_DATE_INVALID |
  SecurityFlags.IGNORE_UNKNOWN_CA |
  SecurityFlags.IGNORE_CERT_WRONG_USAGE;

let ca: Issued;
const servers: Record<string, RecordingServer> = {};
let service: CertificateService;
let provider: GatedConnectionProvider;
let validatorCalls = 0;

function url(kind: string) {
  return `https://127.0.0.1:${servers[kind].port}/file`;
}

async function fetchWith(kind: string, securityFlags: number) {
  // A job with an API validator that counts: phase 2 must never run when phase 1 refuses.
  const job = fakeJob({ securityFlags, validator: 'api' });
  service.setJobValidator(job.id, () => {
    validatorCalls++;
    return 0;
  });
  const answer = await get(provider.agentFor(job, 'https:'), url(kind), job.id);
  return { job, answer };
}

before(async () => {
  ca = makeCA();
  const inter = makeIntermediate(ca);
  const other = makeCA('Some Other CA');
  const good = makeLeaf(ca, { hosts: ['127.0.0.1'] });
  const mk = async (leaf: Issued, chain?: string[]) => startRecordingServer(leaf.cert, leaf.key, { chain });
  servers.good = await mk(good);
  servers.unknownCa = await mk(makeLeaf(other, { hosts: ['127.0.0.1'] }));
  servers.selfSigned = await mk(makeLeaf(undefined, { hosts: ['127.0.0.1'] }));
  servers.expired = await mk(makeExpiredLeaf(ca, ['127.0.0.1']));
  servers.wrongHost = await mk(makeLeaf(ca, { hosts: ['other.example'] }));
  servers.wrongUsage = await mk(makeLeaf(ca, { hosts: ['127.0.0.1'], extKeyUsage: ['clientAuth'] }));
  const viaInter = makeLeaf(inter, { hosts: ['127.0.0.1'] });
  servers.withIntermediate = await mk(viaInter, [inter.cert]);
  servers.missingIntermediate = await mk(viaInter);
  service = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [ca.cert] } });
  provider = new GatedConnectionProvider(service);
});

after(async () => {
  provider.dispose();
  await service.dispose();
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

describe('phase 1: the platform check', () => {
  test('a certificate from a trusted CA, naming the host, passes and the request goes through', async () => {
    const { answer } = await fetchWith('good', 0);
    assert.equal(answer.error, undefined);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'hello');
  });

  test('a chain through an intermediate the server sends passes; without it the CA is unknown', async () => {
    assert.equal((await fetchWith('withIntermediate', 0)).answer.status, 200);
    const { answer } = await fetchWith('missingIntermediate', 0);
    assert.equal(answer.error?.code, Codes.ERROR_WINHTTP_SECURE_INVALID_CA);
  });

  const cases: { kind: string; code: number; flag: number; check: RegExp }[] = [
    {
      kind: 'unknownCa',
      code: Codes.ERROR_WINHTTP_SECURE_INVALID_CA,
      flag: SecurityFlags.IGNORE_UNKNOWN_CA,
      check: /untrusted certificate authority/,
    },
    { kind: 'selfSigned', code: Codes.ERROR_WINHTTP_SECURE_INVALID_CA, flag: SecurityFlags.IGNORE_UNKNOWN_CA, check: /self-signed/ },
    {
      kind: 'expired',
      code: Codes.ERROR_WINHTTP_SECURE_CERT_DATE_INVALID,
      flag: SecurityFlags.IGNORE_CERT_DATE_INVALID,
      check: /date invalid.*expired/,
    },
    {
      kind: 'wrongHost',
      code: Codes.ERROR_WINHTTP_SECURE_CERT_CN_INVALID,
      flag: SecurityFlags.IGNORE_CERT_CN_INVALID,
      check: /name does not match/,
    },
    {
      kind: 'wrongUsage',
      code: Codes.ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE,
      flag: SecurityFlags.IGNORE_CERT_WRONG_USAGE,
      check: /server authentication/,
    },
  ];

  for (const c of cases) {
    test(`${c.kind}: refused with a code naming the check; the validator is never called; no request byte sent`, async () => {
      const before = { calls: validatorCalls, bytes: servers[c.kind].received().length, rejections: service.rejections.entries().length };
      const { answer } = await fetchWith(c.kind, 0);
      assert.ok(answer.error, 'the request must fail');
      assert.equal(answer.error.code, c.code);
      assert.equal(answer.error.context, ErrorContext.GENERAL_TRANSPORT);
      assert.equal(answer.error.transient, true);
      assert.match(answer.error.message, c.check);
      assert.equal(validatorCalls, before.calls, 'phase 2 must not run after a phase-1 refusal');
      assert.equal(servers[c.kind].received().length, before.bytes, 'no request byte may reach the server');
      const logged = service.rejections.entries().slice(before.rejections);
      assert.equal(logged.length, 1);
      assert.equal(logged[0].phase, 'platform');
      assert.equal(logged[0].code, c.code);
      assert.equal(logged[0].endpoint, `127.0.0.1:${servers[c.kind].port}`);
      assert.match(logged[0].certSha256 ?? '', /^[0-9a-f]{64}$/);
    });

    test(`${c.kind}: its own flag (0x${c.flag.toString(16)}) relaxes it; every other flag together does not`, async () => {
      const others = await fetchWith(c.kind, ALL_RELAXING & ~c.flag);
      assert.equal(others.answer.error?.code, c.code, 'the other flags must not relax this check');
      const calls = validatorCalls;
      const own = await fetchWith(c.kind, c.flag);
      assert.equal(own.answer.error, undefined);
      assert.equal(own.answer.status, 200);
      assert.equal(validatorCalls, calls + 1, 'after phase 1 passes, phase 2 runs');
    });
  }

  test('Node roots are in the trust store, and a CA from an extra CA file (or NODE_EXTRA_CA_CERTS) is trusted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-ca-'));
    const file = join(dir, 'ca.pem');
    writeFileSync(file, ca.cert);
    const withDefaults = new CertificateService({ trust: { env: {} } });
    assert.ok(withDefaults.trust().size > 100, 'the bundled roots are loaded');
    const p = new GatedConnectionProvider(withDefaults);
    const job = fakeJob();
    assert.equal((await get(p.agentFor(job, 'https:'), url('good'), job.id)).error?.code, Codes.ERROR_WINHTTP_SECURE_INVALID_CA);
    withDefaults.setTrustOptions({ env: {}, extraCaFiles: [file] });
    assert.equal((await get(p.agentFor(job, 'https:'), url('good'), job.id)).status, 200);
    withDefaults.setTrustOptions({ env: { NODE_EXTRA_CA_CERTS: file } });
    assert.equal((await get(p.agentFor(job, 'https:'), url('good'), job.id)).status, 200);
    withDefaults.setTrustOptions({ env: {}, extraCaFiles: [join(dir, 'missing.pem')] });
    withDefaults.trust();
    assert.match(withDefaults.trustProblems.join('\n'), /missing\.pem/);
    p.dispose();
    await withDefaults.dispose();
  });
});

describe('phase 1: revocation (flag 0x1)', () => {
  test('a revoked certificate fails; a good CRL passes; no CRL or no distribution point fails closed', async () => {
    const crlServer = await startCrlServer();
    const leaf = makeLeafWithCrl(ca, crlServer.url);
    const server = await startRecordingServer(leaf.cert, leaf.key);
    const svc = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [ca.cert] } });
    const p = new GatedConnectionProvider(svc);
    const target = `https://127.0.0.1:${server.port}/f`;
    const run = async (flags: number) => {
      const job = fakeJob({ securityFlags: flags });
      return get(p.agentFor(job, 'https:'), target, job.id);
    };
    try {
      // Without the flag no CRL is fetched.
      assert.equal((await run(0)).status, 200);
      assert.equal(crlServer.hits, 0);
      // CRL unreachable (404): cannot tell, so it fails.
      const unknown = await run(SecurityFlags.ENABLE_CRL_CHECK);
      assert.equal(unknown.error?.code, Codes.ERROR_WINHTTP_SECURE_CERT_REV_FAILED);
      assert.match(unknown.error?.message ?? '', /could not be checked/);
      // A CRL that does not list it.
      crlServer.setCrl(makeCrl(ca, ['0badbeef']));
      assert.equal((await run(SecurityFlags.ENABLE_CRL_CHECK)).status, 200);
      // A fresh checker (no cache) against a CRL that lists it.
      const svc2 = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [ca.cert] } });
      const p2 = new GatedConnectionProvider(svc2);
      crlServer.setCrl(makeCrl(ca, [leaf.forgeCert.serialNumber]));
      const job = fakeJob({ securityFlags: SecurityFlags.ENABLE_CRL_CHECK });
      const revoked = await get(p2.agentFor(job, 'https:'), target, job.id);
      assert.equal(revoked.error?.code, Codes.ERROR_WINHTTP_SECURE_CERT_REVOKED);
      assert.equal(server.requests, 2, 'only the accepted connections carried requests');
      // A CRL signed by someone else is not believed.
      const svc3 = new CertificateService({ trust: { includeDefaultRoots: false, extraCaPem: [ca.cert] } });
      const p3 = new GatedConnectionProvider(svc3);
      crlServer.setCrl(makeCrl(makeCA('Impostor'), []));
      const job3 = fakeJob({ securityFlags: SecurityFlags.ENABLE_CRL_CHECK });
      const forged = await get(p3.agentFor(job3, 'https:'), target, job3.id);
      assert.equal(forged.error?.code, Codes.ERROR_WINHTTP_SECURE_CERT_REV_FAILED);
      assert.match(forged.error?.message ?? '', /not signed by/);
      // A certificate without a distribution point cannot be checked.
      const noCdp = await fetchWith('good', SecurityFlags.ENABLE_CRL_CHECK);
      assert.equal(noCdp.answer.error?.code, Codes.ERROR_WINHTTP_SECURE_CERT_REV_FAILED);
      for (const x of [p2, p3]) x.dispose();
      await Promise.all([svc2.dispose(), svc3.dispose()]);
    } finally {
      p.dispose();
      await svc.dispose();
      await server.close();
      await crlServer.close();
    }
  });
});
