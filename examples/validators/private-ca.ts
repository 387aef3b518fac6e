/// <reference path="./managed-downloads-validator.d.ts" />
// Trust the company's private CA for *.corp.example, and only there.
//
// corp-ca.pem (beside this file) is the CA's certificate; replacing it reloads the validator. Jobs that
// download from these hosts need the security flag 0x8 (allow unknown CA), so that the platform check
// lets the private chain through to this rule. Any other host whose CA is unknown is still declined:
// the private CA vouches for *.corp.example alone.
import { certificatePolicy, privateCa } from 'managed-downloads/validator';
import CORP_CA from './corp-ca.pem';

export default certificatePolicy({
  rules: [privateCa({ hosts: ['*.corp.example'], roots: [CORP_CA] })],
});
