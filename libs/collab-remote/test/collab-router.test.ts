import {
  InProcessEventBus,
  InProcessFanOut,
  InProcessInbox,
  MemoryDocStateStore,
  MemoryMembership,
  MemoryOpLog,
  MemorySnapshotStore,
} from '@tandem/adapters-memory';
import { CollabEngine, type OpLog, type SubmitRequest, type TandemEvent } from '@tandem/core';
import { isTandemError } from '@tandem/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { type CollabMessage, CollabRouter, serveCollab } from '../src/index.js';

/** A fleet in one process: workers sharing one set of stores, as distributed workers share Redis and the op log. */
class Fleet {
  readonly inbox = new InProcessInbox<CollabMessage>();
  readonly membership = new MemoryMembership();
  readonly state = new MemoryDocStateStore();
  readonly opLog: OpLog = new MemoryOpLog();
  readonly snapshots = new MemorySnapshotStore();
  readonly fanOut = new InProcessFanOut();
  readonly events = new InProcessEventBus();
  readonly workers = new Map<string, { engine: CollabEngine; stop: () => Promise<void>; calls: number }>();
  private readonly closers: (() => Promise<void>)[] = [];

  async startWorker(id: string, options: { silent?: boolean } = {}): Promise<void> {
    const engine = new CollabEngine({
      state: this.state,
      opLog: this.opLog,
      snapshots: this.snapshots,
      fanOut: this.fanOut,
      events: this.events,
    });
    const worker = { engine, stop: async () => {}, calls: 0 };
    const counted = new Proxy(engine, {
      get: (target, key, receiver) => {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          worker.calls++;
          // A silent worker takes calls and never answers: a process that hangs.
          if (options.silent) return new Promise(() => {});
          return value.apply(target, args);
        };
      },
    });
    const stopServing = await serveCollab({ engine: counted, inbox: this.inbox, memberId: id, log: quiet });
    const leave = await this.membership.join(id, 3_000);
    worker.stop = async () => {
      await stopServing();
      await leave();
    };
    this.workers.set(id, worker);
    this.closers.push(() => engine.close());
  }

  async router(options: { callTimeoutMs?: number; deadlineMs?: number } = {}): Promise<CollabRouter> {
    const router = await CollabRouter.start(
      {
        inbox: this.inbox,
        workers: new MemoryMembership({ sharedWith: this.membership }),
        events: this.events,
      },
      options,
    );
    this.closers.push(() => router.close());
    return router;
  }

  async close(): Promise<void> {
    for (const worker of this.workers.values()) await worker.stop();
    for (const close of this.closers.reverse()) await close();
  }
}

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
let fleet: Fleet;
afterEach(async () => {
  await fleet?.close();
});

function op(docId: string, clientId: string, seq: number, baseVersion: number, text: string): SubmitRequest {
  return { docId, userId: 'ann', clientId, seq, baseVersion, op: [text] };
}

describe('CollabRouter and serveCollab', () => {
  it('sends every call of a document to the one worker that owns it', async () => {
    fleet = new Fleet();
    for (const id of ['w1', 'w2', 'w3']) await fleet.startWorker(id);
    const router = await fleet.router();
    for (let d = 0; d < 30; d++) {
      const docId = `doc-${d}`;
      await router.initDocument(docId, 'text', '');
      await router.submit(op(docId, 'client-aaaa', 1, 0, 'x'));
      expect(await router.open(docId)).toEqual({ type: 'text', version: 1, snapshot: 'x' });
      const owner = router.ownerOf(docId) as string;
      expect(fleet.workers.get(owner)?.engine.loadedDocuments).toBeGreaterThan(0);
    }
    // Each worker owns some of the 30 documents, and loaded only its own.
    const loaded = [...fleet.workers.values()].map((w) => w.engine.loadedDocuments);
    expect(loaded.reduce((a, b) => a + b)).toBe(30);
    expect(Math.min(...loaded)).toBeGreaterThan(0);
  });

  it('gives two routers (two gateways) the same converged document', async () => {
    fleet = new Fleet();
    for (const id of ['w1', 'w2']) await fleet.startWorker(id);
    const [a, b] = [await fleet.router(), await fleet.router()];
    await a.initDocument('shared', 'text', '');
    const results = await Promise.all([
      a.submit(op('shared', 'client-aaaa', 1, 0, 'A')),
      b.submit(op('shared', 'client-bbbb', 1, 0, 'B')),
    ]);
    expect(results.map((r) => r.version).sort()).toEqual([1, 2]);
    const [fromA, fromB] = [await a.open('shared'), await b.open('shared')];
    expect(fromA).toEqual(fromB);
    expect((fromA.snapshot as string).split('').sort().join('')).toBe('AB');
    expect((await b.opsSince('shared', 0)).map((r) => r.version)).toEqual([1, 2]);
    expect((await a.typeOf('shared')).name).toBe('text');
  });

  it("passes a worker's error back with its code", async () => {
    fleet = new Fleet();
    await fleet.startWorker('w1');
    const router = await fleet.router();
    await router.initDocument('d', 'text', 'abc');
    const err = await router.opsSince('d', 5).catch((e: unknown) => e);
    expect(isTandemError(err, 'VERSION_FUTURE')).toBe(true);
    const outOfRange = { ...op('d', 'client-aaaa', 1, 0, 'x'), op: [99, 'x'] };
    const bad = await router.submit(outOfRange).catch((e: unknown) => e);
    expect(isTandemError(bad, 'OP_OUT_OF_RANGE')).toBe(true);
    expect((await router.open('d')).version).toBe(0);
  });

  it('sends the calls in flight to a worker that goes to the new owner, and applies a resent op once', async () => {
    fleet = new Fleet();
    await fleet.snapshots.put({ docId: 'moving', version: 0, type: 'text', data: '' });
    await fleet.startWorker('w-hangs', { silent: true });
    const router = await fleet.router({ callTimeoutMs: 60_000 });
    const submitted = router.submit(op('moving', 'client-aaaa', 1, 0, 'x'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fleet.workers.get('w-hangs')?.calls).toBe(1);
    await fleet.startWorker('w-ok');
    await fleet.workers.get('w-hangs')?.stop();
    const result = await submitted;
    expect(result).toEqual({ version: 1, duplicate: false });
    // The same op again (a client resend): answered with its version, not applied twice.
    expect(await router.submit(op('moving', 'client-aaaa', 1, 0, 'x'))).toEqual({
      version: 1,
      duplicate: true,
    });
    expect((await router.open('moving')).snapshot).toBe('x');
  });

  it('sends a call again when its worker does not answer in time', async () => {
    fleet = new Fleet();
    await fleet.startWorker('w-hangs', { silent: true });
    const router = await fleet.router({ callTimeoutMs: 50, deadlineMs: 400 });
    const err = await router.open('d').catch((e: unknown) => e);
    expect(isTandemError(err, 'UNAVAILABLE')).toBe(true);
    expect(fleet.workers.get('w-hangs')?.calls).toBeGreaterThan(2);
  });

  it('never sends a restore twice: a restore without an answer fails with TIMEOUT', async () => {
    fleet = new Fleet();
    await fleet.startWorker('w-hangs', { silent: true });
    const router = await fleet.router({ callTimeoutMs: 50 });
    const err = await router.restore('d', 0, 'ann').catch((e: unknown) => e);
    expect(isTandemError(err, 'TIMEOUT')).toBe(true);
    expect(fleet.workers.get('w-hangs')?.calls).toBe(1);
  });

  it('fails with UNAVAILABLE, retryable, when no worker is live', async () => {
    fleet = new Fleet();
    const router = await fleet.router({ deadlineMs: 300 });
    const err = await router.open('d').catch((e: unknown) => e);
    expect(isTandemError(err, 'UNAVAILABLE')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
  });

  it('drops malformed messages on both sides without answering them', async () => {
    fleet = new Fleet();
    await fleet.startWorker('w1');
    const router = await fleet.router();
    expect(await fleet.inbox.send('w1', { kind: 'request', id: 'x' } as unknown as CollabMessage)).toBe(true);
    expect(await fleet.inbox.send(router.selfId, { kind: 'result' } as unknown as CollabMessage)).toBe(true);
    await router.initDocument('d', 'text', 'ok');
    expect((await router.open('d')).snapshot).toBe('ok');
  });

  it('emits lifecycle events to the bus, in order', async () => {
    fleet = new Fleet();
    const router = await fleet.router();
    const seen: TandemEvent[] = [];
    fleet.events.subscribe('test', async (e) => {
      seen.push(e);
    });
    router.emit([
      { type: 'doc.renamed', docId: 'd', title: 'one', at: 1 },
      { type: 'doc.renamed', docId: 'd', title: 'two', at: 2 },
    ]);
    await router.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen.map((e) => (e as { title: string }).title)).toEqual(['one', 'two']);
  });
});
