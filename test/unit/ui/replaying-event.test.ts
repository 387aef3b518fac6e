// The API's onDidTransfer / onDidError (src/ui/replayingEvent.ts): a listener that subscribes after a job reached the
// state still hears of it; each arrival is heard once per listener, however many ways it is reported; a later arrival
// of the same job is news again. The engine side is in the integration suite (api-late-subscriber.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplayingEvent, type Arrival } from '../../../src/ui/replayingEvent';

function arrival(jobId: string, key: string): Arrival<string> {
  return { jobId, key, event: `${jobId}@${key}` };
}

const noListenerFails = (err: unknown) => assert.fail(`a listener threw: ${String(err)}`);

/** Resolves once `heard` has `n` entries (delivery of a replay is asynchronous). */
async function until(heard: string[], n: number): Promise<void> {
  while (heard.length < n) await new Promise((r) => setImmediate(r));
}

test('a listener that subscribes late hears of the jobs already waiting, then of later arrivals, each once', async () => {
  const waiting = [arrival('a', 't1')];
  const events = new ReplayingEvent<string>(async () => waiting, noListenerFails);
  events.arrived(arrival('a', 't1')); // before anyone listened: nobody hears it now
  const heard: string[] = [];
  events.event((e) => heard.push(e));
  await until(heard, 1);
  assert.deepEqual(heard, ['a@t1']);
  events.arrived(arrival('a', 't1')); // the same arrival again (a 'modified' event, a window taking over)
  events.arrived(arrival('b', 't2'));
  assert.deepEqual(heard, ['a@t1', 'b@t2']);
  events.left('a');
  events.arrived(arrival('a', 't3')); // failed again after a retry: news
  assert.deepEqual(heard, ['a@t1', 'b@t2', 'a@t3']);
});

test('an arrival heard live before the replay comes is not heard twice', async () => {
  let answer!: (a: Arrival<string>[]) => void;
  const events = new ReplayingEvent<string>(() => new Promise((resolve) => (answer = resolve)), noListenerFails);
  const heard: string[] = [];
  events.event((e) => heard.push(e));
  events.arrived(arrival('a', 't1'));
  answer([arrival('a', 't1'), arrival('c', 't0')]);
  await until(heard, 2);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(heard, ['a@t1', 'c@t0']);
});

test('a disposed listener hears nothing, a throwing one stops no other, and each new listener gets its own replay', async () => {
  const failures: unknown[] = [];
  const events = new ReplayingEvent<string>(
    async () => [arrival('a', 't1')],
    (err) => failures.push(err),
  );
  const gone: string[] = [];
  events.event((e) => gone.push(e)).dispose();
  events.event(() => {
    throw new Error('listener bug');
  });
  const first: string[] = [];
  const second: string[] = [];
  const subscriptions: { dispose(): unknown }[] = [];
  events.event((e) => first.push(e), undefined, subscriptions);
  events.event((e) => second.push(e));
  await until(second, 1);
  assert.deepEqual([gone, first, second], [[], ['a@t1'], ['a@t1']]);
  assert.equal(failures.length, 1);
  assert.equal(subscriptions.length, 1, 'the subscription joins the disposables given');
});
