/// <reference path="./managed-downloads-validator.d.ts" />
// Behind a corporate TLS-inspection proxy: accept the proxy's re-signed certificates only for the hosts
// the company has cleared for inspection, and decline them for every other host, even though the
// inspection root is in the machine's trust store (so the platform check passes everywhere).
// Connections that are not intercepted are left to the platform check.
import { certificatePolicy, inspectionRoot } from 'managed-downloads/validator';
import INSPECTION_ROOT from './inspection-root.pem';

export default certificatePolicy({
  rules: [
    inspectionRoot({
      hosts: ['artifacts.vendor.example', '**.mirror.example'],
      roots: [INSPECTION_ROOT],
    }),
  ],
});
