// certStoreData: the chain the server sent, as a PKCS#7 certificates-only SignedData (DER). It is the
// standard encoding of "a bag of certificates", matches certEncodingType's PKCS_7_ASN_ENCODING bit, and
// node-forge, OpenSSL (`openssl pkcs7 -inform DER -print_certs`) and Windows all read it.
import { children, contentOf, DerError, decodeOid, encodeOid, encodeTlv, readTlv, bytesOf, DerTag } from './der';

const SIGNED_DATA = '1.2.840.113549.1.7.2';
const DATA = '1.2.840.113549.1.7.1';

export function buildCertStore(certificates: readonly Uint8Array[]): Buffer {
  const certs = Buffer.concat(certificates.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
  const signedData = encodeTlv(
    DerTag.SEQUENCE,
    Buffer.concat([
      encodeTlv(DerTag.INTEGER, Buffer.from([1])),
      encodeTlv(DerTag.SET, Buffer.alloc(0)),
      encodeTlv(DerTag.SEQUENCE, encodeOid(DATA)),
      encodeTlv(0xa0, certs),
      encodeTlv(DerTag.SET, Buffer.alloc(0)),
    ]),
  );
  return encodeTlv(DerTag.SEQUENCE, Buffer.concat([encodeOid(SIGNED_DATA), encodeTlv(0xa0, signedData)]));
}

/** The certificates of a PKCS#7 bag, DER, in their stored order. */
export function readCertStore(data: Uint8Array): Buffer[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const info = children(buf, readTlv(buf, 0));
  if (info.length < 2 || decodeOid(contentOf(buf, info[0])) !== SIGNED_DATA) throw new DerError('certStoreData is not a PKCS#7 SignedData');
  const signedData = children(buf, children(buf, info[1])[0]);
  const bag = signedData.find((t) => t.tag === 0xa0);
  return bag ? children(buf, bag).map((t) => Buffer.from(bytesOf(buf, t))) : [];
}
