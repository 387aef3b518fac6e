#!/usr/bin/env node
// managed-downloads: the headless command line over the job engine (bitsadmin for this product).
import './cli/heap';
import { main } from './cli/main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`managed-downloads: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
