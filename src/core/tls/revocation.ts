// BITS's BG_SSL_ENABLE_CRL_CHECK: each certificate's CRL is fetched from its distribution point and its
// serial looked up; a revoked certificate fails, and so does one whose status cannot be told (no
// distribution point, CRL unreachable, bad signature, out of date): fail closed.
import { verify as verifySignature, type X509Certificate } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { children, contentOf, decodeOid, decodeTime, DerTag, readTlv, bytesOf } from './der';
import { crlUrlsOf, readExtensions } from './extensions';
import { readableName } from './certificate-view';

export interface ParsedCrl {
  tbs: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Revoked serial numbers, lower-case hex without leading zeros. */
  revoked: Set<string>;
}

const SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

export function parseCrl(der: Buffer): ParsedCrl {
  const list = readTlv(der, 0);
  const [tbsTlv, algTlv, sigTlv] = children(der, list);
  const tbsParts = children(der, tbsTlv);
  let i = tbsParts[0].tag === DerTag.INTEGER ? 1 : 0; // optional version
  i += 2; // signature algorithm, issuer
  const thisUpdate = decodeTime(der, tbsParts[i++]);
  let nextUpdate: Date | undefined;
  if (tbsParts[i] && (tbsParts[i].tag === DerTag.UTC_TIME || tbsParts[i].tag === DerTag.GENERALIZED_TIME)) {
    nextUpdate = decodeTime(der, tbsParts[i++]);
  }
  const revoked = new Set<string>();
  if (tbsParts[i] && tbsParts[i].tag === DerTag.SEQUENCE) {
    for (const entry of children(der, tbsParts[i])) {
      const serial = children(der, entry)[0];
      revoked.add(normalizeSerial(contentOf(der, serial).toString('hex')));
    }
  }
  const signatureAlgorithm = decodeOid(contentOf(der, children(der, algTlv)[0]));
  const signature = contentOf(der, sigTlv).subarray(1); // BIT STRING: skip the unused-bits byte
  return { tbs: bytesOf(der, tbsTlv), signatureAlgorithm, signature, thisUpdate, nextUpdate, revoked };
}

export type CrlFetcher = (url: string) => Promise<Buffer>;

const MAX_CRL_BYTES = 32 * 1024 * 1024;

/** Plain GET of a CRL with a time limit (CRLs are signed, so http is how they are normally served). */
export function fetchCrl(url: string, timeoutMs = 15_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { timeout: timeoutMs }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_CRL_BYTES) req.destroy(new Error('CRL larger than 32 MiB'));
        else chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export interface RevocationVerdict {
  /** The certificate found revoked. */
  revoked?: string;
  /** Why revocation could not be determined. */
  unknown?: string;
}

export class RevocationChecker {
  private readonly cache = new Map<string, { crl: ParsedCrl; issuer: string }>();

  constructor(
    private readonly fetcher: CrlFetcher = (url) => fetchCrl(url),
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Checks every certificate of the path except a trust anchor or a self-issued root at its end. */
  async check(path: readonly X509Certificate[]): Promise<RevocationVerdict> {
    for (let i = 0; i < path.length; i++) {
      const cert = path[i];
      const issuer = path[i + 1];
      if (!issuer) {
        if (cert.subject === cert.issuer && i > 0) break; // a root: not subject to revocation
        return { unknown: `the issuer of '${readableName(cert.subject)}' is unknown, so its CRL cannot be verified` };
      }
      const verdict = await this.checkOne(cert, issuer);
      if (verdict.revoked || verdict.unknown) return verdict;
    }
    return {};
  }

  private async checkOne(cert: X509Certificate, issuer: X509Certificate): Promise<RevocationVerdict> {
    const name = readableName(cert.subject);
    const urls = crlUrlsOf(readExtensions(cert.raw));
    if (urls.length === 0) return { unknown: `'${name}' names no http CRL distribution point` };
    const problems: string[] = [];
    for (const url of urls) {
      try {
        const crl = await this.crlFor(url, issuer);
        if (crl.revoked.has(normalizeSerial(cert.serialNumber)))
          return { revoked: `'${name}' (serial ${cert.serialNumber}) is revoked by ${url}` };
        return {};
      } catch (e) {
        problems.push(`${url}: ${(e as Error).message}`);
      }
    }
    return { unknown: `revocation of '${name}' could not be checked (${problems.join('; ')})` };
  }

  private async crlFor(url: string, issuer: X509Certificate): Promise<ParsedCrl> {
    const now = this.now();
    const cached = this.cache.get(url);
    if (cached && cached.issuer === issuer.fingerprint256 && cached.crl.nextUpdate && cached.crl.nextUpdate > now) return cached.crl;
    const crl = parseCrl(await this.fetcher(url));
    const hash = SIGNATURE_HASHES[crl.signatureAlgorithm];
    if (!hash) throw new Error(`unsupported CRL signature algorithm ${crl.signatureAlgorithm}`);
    if (!verifySignature(hash, crl.tbs, issuer.publicKey, crl.signature))
      throw new Error(`the CRL is not signed by '${readableName(issuer.subject)}'`);
    if (crl.thisUpdate > now) throw new Error('the CRL is not yet valid');
    if (crl.nextUpdate && crl.nextUpdate < now) throw new Error(`the CRL is out of date (next update was ${crl.nextUpdate.toISOString()})`);
    this.cache.set(url, { crl, issuer: issuer.fingerprint256 });
    return crl;
  }
}
