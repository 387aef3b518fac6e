// The validator process's script (bundled as dist/validator-worker.js): its main thread is the supervisor
// (process-main.ts), its worker thread runs the validator (validator-thread.ts).
import { isMainThread } from 'node:worker_threads';
import { runSupervisor } from './process-main';
import { runValidatorThread } from './validator-thread';

if (isMainThread) runSupervisor();
else runValidatorThread();
