#!/usr/bin/env node
// managed-downloads: the headless command line over the job engine (bitsadmin for this product).
import './cli/heap';
import { reportError } from './cli/error-report';
import { main } from './cli/main';

const argv = process.argv.slice(2);
const io = { stdout: process.stdout, stderr: process.stderr };
const options = { json: argv.includes('--json'), verbose: argv.includes('--verbose') };
// A failure outside the command's own flow (an event handler, a timer) is reported like any other: no stack trace.
const fatal = (err: unknown) => {
  process.exitCode = reportError(err, io, options) || 1;
  process.exit();
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

main(argv).then((code) => {
  process.exitCode = code;
}, fatal);
