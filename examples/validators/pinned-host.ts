/// <reference path="./managed-downloads-validator.d.ts" />
// Pin downloads.example.com (and its CDN) to the key of the CA that issues its certificates, with a
// backup pin and an expiry date.
//
// - pins: the SPKI sha256 of a key in the chain the server sends ("Test Certificate Validator on URL..."
//   or `managed-downloads check-cert URL` lists them for every certificate);
// - backupPins (required): a key held in reserve, so that moving to it does not lock every client out;
// - expires: after that day the set stops applying; the log warns 30 days before.
// A mismatch is declined with a reason that lists the pins the server had and the pins expected.
import { certificatePolicy, pinSet } from 'managed-downloads/validator';

export default certificatePolicy({
  rules: [
    pinSet({
      hosts: ['downloads.example.com', '*.cdn.example.com'],
      pins: ['sha256/lr4TBP7oYCfC+n87lslHX+llLeT7ck8ZliVV5RP1vCA='],
      backupPins: ['sha256/I/AbicFDA/zN3ytG8ljuCXeuNuPHls76jkjrnugRCt0='],
      expires: '2027-06-30',
    }),
  ],
});
