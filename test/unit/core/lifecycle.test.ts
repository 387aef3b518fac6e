import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../../../src/core/event';
import { Disposable, disposeAll, MutableDisposable, toDisposable } from '../../../src/core/lifecycle';

class Owner extends Disposable {
  readonly emitter = this._register(new Emitter<number>());
  register(name: string, log: string[]): void {
    this._register(toDisposable(() => log.push(name)));
  }
  get disposedNow(): boolean {
    return this.isDisposed;
  }
}

test('disposing an owner releases what it registered, the last registered first, once', () => {
  const log: string[] = [];
  const owner = new Owner();
  owner.register('a', log);
  owner.register('b', log);
  let heard = 0;
  owner.emitter.event(() => heard++);
  owner.dispose();
  owner.dispose();
  assert.deepEqual(log, ['b', 'a']);
  assert.equal(owner.disposedNow, true);
  owner.emitter.fire(1);
  assert.equal(heard, 0, 'the registered emitter was disposed (its listeners dropped)');
});

test('something registered after the owner is disposed is disposed at once', () => {
  const log: string[] = [];
  const owner = new Owner();
  owner.dispose();
  owner.register('late', log);
  assert.deepEqual(log, ['late']);
});

test('disposeAll disposes every item even when one throws, then throws the first error', () => {
  const log: string[] = [];
  const items = [
    toDisposable(() => log.push('first')),
    toDisposable(() => {
      throw new Error('second failed');
    }),
    toDisposable(() => log.push('third')),
  ];
  assert.throws(() => disposeAll(items), /second failed/);
  assert.deepEqual(log, ['third', 'first']);
  assert.equal(items.length, 0);
});

test('toDisposable runs its function once', () => {
  let runs = 0;
  const d = toDisposable(() => runs++);
  d.dispose();
  d.dispose();
  assert.equal(runs, 1);
});

test('MutableDisposable disposes the value it replaces, and a value set after it is disposed', () => {
  const log: string[] = [];
  const slot = new MutableDisposable();
  slot.value = toDisposable(() => log.push('one'));
  slot.value = toDisposable(() => log.push('two'));
  assert.deepEqual(log, ['one']);
  slot.dispose();
  assert.deepEqual(log, ['one', 'two']);
  assert.equal(slot.value, undefined);
  slot.value = toDisposable(() => log.push('late'));
  assert.deepEqual(log, ['one', 'two', 'late']);
  assert.equal(slot.value, undefined);
});
