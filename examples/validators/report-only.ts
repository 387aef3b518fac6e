/// <reference path="./managed-downloads-validator.d.ts" />
// A rollout: the policy you mean to enforce, in report-only mode. Nothing is declined yet; every
// connection the policy would decline is logged, with its reason, in the "Managed Downloads" output:
//   [report-only] would decline downloads.example.com:443 (0x800b0109): certificate pinning failure ...
// Watch the log (and `managed-downloads check-cert URL --validator this-file.ts`) for a while, then
// remove `reportOnly: true` to enforce.
import { certificatePolicy, pinSet, privateCa } from 'managed-downloads/validator';
import CORP_CA from './corp-ca.pem';

export default certificatePolicy({
  reportOnly: true,
  rules: [
    privateCa({ hosts: ['*.corp.example'], roots: [CORP_CA] }),
    pinSet({
      hosts: ['downloads.example.com'],
      pins: ['sha256/lr4TBP7oYCfC+n87lslHX+llLeT7ck8ZliVV5RP1vCA='],
      backupPins: ['sha256/I/AbicFDA/zN3ytG8ljuCXeuNuPHls76jkjrnugRCt0='],
      expires: '2027-06-30',
    }),
  ],
});
