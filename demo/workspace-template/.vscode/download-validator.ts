/// <reference path="./managed-downloads-validator.d.ts" />
// The demo workspace's certificate validator: phase 2 of the server-certificate check, run for every new
// certificate a download meets (phase 1, the platform check, has already passed it).
//
// It trusts the demo server's private CA (demo-ca.pem, written by `npm start`) for the demo host.
// Edit it and save: the validator reloads, every job's certificate cache is cleared, and the next
// connection runs the new code. "Managed Downloads: Test Certificate Validator on URL..." shows the verdict
// for any URL without downloading anything.
import { certificatePolicy, log, privateCa } from 'managed-downloads/validator';
// To watch a decline, add pinSet to the import above and uncomment the pin set below.
import DEMO_CA from './demo-ca.pem';

log.info('demo validator loaded: the demo CA is trusted for 127.0.0.2');

export default certificatePolicy({
  rules: [
    privateCa({ name: 'demo CA', hosts: ['127.0.0.2'], roots: [DEMO_CA] }),
    // The demo server's key is not among these pins, so its downloads wait to retry, and the error names
    // the pins seen and the pins expected:
    // pinSet({
    //   hosts: ['127.0.0.2'],
    //   pins: ['sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    //   backupPins: ['sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB='],
    // }),
  ],
});
