import {
  InProcessEventBus,
  InProcessFanOut,
  MemoryDocStateStore,
  MemoryOpLog,
  MemorySnapshotStore,
} from '@tandem/adapters-memory';
import {
  CollabEngine,
  type DocBroadcast,
  type OpLog,
  type OpRecord,
  type SubmitRequest,
  type TandemEvent,
} from '@tandem/core';
import { isTandemError } from '@tandem/errors';
import { type TextOp, textType } from '@tandem/ot';
import { afterEach, describe, expect, it } from 'vitest';

/** An op log that can be switched off, and counts its writes. */
class SwitchableOpLog extends MemoryOpLog implements OpLog {
  down = false;
  appends = 0;
  override async append(docId: string, records: readonly OpRecord[]): Promise<void> {
    if (this.down) throw new Error('op log unreachable');
    this.appends++;
    return super.append(docId, records);
  }
}

class SwitchableEventBus extends InProcessEventBus {
  down = false;
  override async publish(events: readonly TandemEvent[]): Promise<void> {
    if (this.down) throw new Error('broker unreachable');
    return super.publish(events);
  }
}

const engines: CollabEngine[] = [];

function setup(shared?: {
  opLog: SwitchableOpLog;
  snapshots: MemorySnapshotStore;
  state?: MemoryDocStateStore;
}) {
  const opLog = shared?.opLog ?? new SwitchableOpLog();
  const snapshots = shared?.snapshots ?? new MemorySnapshotStore();
  const state = shared?.state ?? new MemoryDocStateStore();
  const fanOut = new InProcessFanOut();
  const events = new SwitchableEventBus(10);
  const engine = new CollabEngine({ state, opLog, snapshots, fanOut, events });
  engines.push(engine);
  const broadcasts: DocBroadcast[] = [];
  const watch = (docId: string) => fanOut.subscribe(docId, (m) => broadcasts.push(m));
  return { engine, opLog, snapshots, state, fanOut, events, broadcasts, watch };
}

const op = (over: Partial<SubmitRequest> & { op: unknown }): SubmitRequest => ({
  docId: 'd',
  userId: 'ann',
  clientId: 'client-ann',
  seq: 1,
  baseVersion: 0,
  ...over,
});

async function refusal(promise: Promise<unknown>): Promise<{ code: string; retryable: boolean }> {
  try {
    await promise;
  } catch (err) {
    if (isTandemError(err)) return { code: err.code, retryable: err.retryable };
    throw err;
  }
  throw new Error('expected a refusal');
}

afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

describe('the commit pipeline', () => {
  it('commits an op, makes it durable, broadcasts it with its origin and reports its version', async () => {
    const { engine, opLog, broadcasts, watch } = setup();
    await engine.initDocument('d', 'text', 'abc');
    watch('d');
    const result = await engine.submit(op({ op: [3, '!'], origin: 'session-1' }));
    expect(result).toEqual({ version: 1, duplicate: false });
    expect(await opLog.read('d', 1)).toMatchObject([{ version: 1, op: [3, '!'], author: 'ann', seq: 1 }]);
    expect(broadcasts).toMatchObject([{ kind: 'op', origin: 'session-1', record: { version: 1 } }]);
    expect((await engine.open('d')).snapshot).toBe('abc!');
  });

  it('transforms an op past the ops committed since its base version', async () => {
    const { engine } = setup();
    await engine.initDocument('d', 'text', 'abc');
    await engine.submit(op({ op: ['X'] }));
    await engine.submit(op({ clientId: 'client-bob', userId: 'bob', op: [3, 'Y'] }));
    expect((await engine.open('d')).snapshot).toBe('XabcY');
  });

  it('answers a resend of a committed op with its original version and applies nothing', async () => {
    const { engine, opLog } = setup();
    await engine.initDocument('d', 'text', '');
    await engine.submit(op({ op: ['a'] }));
    await engine.submit(op({ clientId: 'client-bob', op: ['b'] }));
    expect(await engine.submit(op({ op: ['a'] }))).toEqual({ version: 1, duplicate: true });
    expect(await opLog.latestVersion('d')).toBe(2);
    expect((await engine.open('d')).snapshot).toBe('ab');
  });

  it('answers a resend of a committed op with its version after the client moved on to later seqs', async () => {
    const { engine, opLog } = setup();
    await engine.initDocument('d', 'text', '');
    await engine.submit(op({ seq: 1, op: ['a'] }));
    await engine.submit(op({ seq: 2, baseVersion: 1, op: [1, 'b'] }));
    // A router sends seq 1 again: its first answer was lost, but the client had its ack from the broadcast.
    expect(await engine.submit(op({ seq: 1, op: ['a'] }))).toEqual({ version: 1, duplicate: true });
    expect(await opLog.latestVersion('d')).toBe(2);
    expect((await engine.open('d')).snapshot).toBe('ab');
  });

  it('refuses a seq older than the last committed one', async () => {
    const { engine } = setup();
    await engine.initDocument('d', 'text', '');
    await engine.submit(op({ seq: 5, op: ['a'] }));
    expect(await refusal(engine.submit(op({ seq: 3, baseVersion: 1, op: ['b'] })))).toEqual({
      code: 'OP_INVALID',
      retryable: false,
    });
  });

  it('refuses a base version from the future and an op that does not fit, changing nothing', async () => {
    const { engine, opLog } = setup();
    await engine.initDocument('d', 'text', 'abc');
    expect((await refusal(engine.submit(op({ baseVersion: 4, op: ['x'] })))).code).toBe('VERSION_FUTURE');
    expect((await refusal(engine.submit(op({ op: [9, 'x'] })))).code).toBe('OP_OUT_OF_RANGE');
    expect((await refusal(engine.submit(op({ op: ['\uD800'] })))).code).toBe('OP_BAD_UNICODE');
    expect(await opLog.latestVersion('d')).toBe(0);
    expect((await engine.open('d')).snapshot).toBe('abc');
  });

  it('commits ops that arrive together in one op-log write, and a bad one among them changes nothing', async () => {
    const { engine, opLog } = setup();
    await engine.initDocument('d', 'text', '');
    await engine.submit(op({ op: ['start'] }));
    const writesBefore = opLog.appends;
    const submits = Array.from({ length: 50 }, (_, i) =>
      engine.submit(
        op({ clientId: `client-${i}`, baseVersion: 1, op: i === 7 ? [99, 'bad'] : [5, `${i % 10}`] }),
      ),
    );
    const results = await Promise.allSettled(submits);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(49);
    expect(opLog.appends - writesBefore).toBeLessThan(5);
    expect(await opLog.latestVersion('d')).toBe(50);
    const versions = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.version] : []));
    expect(new Set(versions).size).toBe(49);
  });

  it('with the op log down refuses ops as retryable, acknowledges none, and commits the resend once when it is back', async () => {
    const { engine, opLog, broadcasts, watch } = setup();
    await engine.initDocument('d', 'text', '');
    watch('d');
    opLog.down = true;
    expect(await refusal(engine.submit(op({ op: ['a'] })))).toEqual({ code: 'UNAVAILABLE', retryable: true });
    expect(broadcasts).toEqual([]);
    opLog.down = false;
    const resend = await engine.submit(op({ op: ['a'] }));
    expect(resend.version).toBe(1);
    expect(await opLog.read('d', 1)).toHaveLength(1);
    expect((await engine.open('d')).snapshot).toBe('a');
    expect(broadcasts.filter((b) => b.kind === 'op')).toHaveLength(1);
  });

  it('keeps editing while the event bus is down and delivers every event, in order, when it is back', async () => {
    const { engine, events } = setup();
    const seen: number[] = [];
    events.subscribe('test', async (e) => {
      if (e.type === 'op.committed') seen.push(e.record.version);
    });
    await engine.initDocument('d', 'text', '');
    events.down = true;
    for (let i = 1; i <= 5; i++) await engine.submit(op({ seq: i, baseVersion: i - 1, op: ['x'] }));
    expect(seen).toEqual([]);
    events.down = false;
    await engine.close();
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('after a restart with empty document state, rebuilds it from the op log and still knows every client seq', async () => {
    const first = setup();
    await first.engine.initDocument('d', 'text', '');
    await first.engine.submit(op({ op: ['a'] }));
    await first.engine.close();
    const second = setup({ opLog: first.opLog, snapshots: first.snapshots });
    expect(await second.engine.submit(op({ op: ['a'] }))).toEqual({ version: 1, duplicate: true });
    expect((await second.engine.open('d')).snapshot).toBe('a');
  });

  it('with a state store that came back older than the op log, reseeds it from the log and goes on', async () => {
    const first = setup();
    await first.engine.initDocument('d', 'text', '');
    for (let i = 1; i <= 3; i++) await first.engine.submit(op({ seq: i, baseVersion: i - 1, op: ['x'] }));
    const stale = new MemoryDocStateStore();
    await stale.commit('d', 0, await first.opLog.read('d', 1, 1));
    const second = setup({ opLog: first.opLog, snapshots: first.snapshots, state: stale });
    expect(await second.engine.submit(op({ seq: 4, baseVersion: 3, op: ['y'] }))).toEqual({
      version: 4,
      duplicate: false,
    });
    expect(await stale.head('d')).toBe(4);
  });

  it('two processes that both think they own a document cannot fork it', async () => {
    const a = setup();
    const b = setup({ opLog: a.opLog, snapshots: a.snapshots, state: a.state });
    await a.engine.initDocument('d', 'text', '');
    await Promise.all([a.engine.open('d'), b.engine.open('d')]);
    const submits = Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? a : b).engine.submit(op({ clientId: `client-${i}`, baseVersion: 0, op: [`${i % 10}`] })),
    );
    const results = await Promise.all(submits);
    expect(new Set(results.map((r) => r.version)).size).toBe(20);
    const log = await a.opLog.read('d', 1);
    expect(log.map((r) => r.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const replayed = log.reduce((doc, r) => textType.apply(doc, r.op as TextOp), '');
    expect(replayed).toHaveLength(20);
    expect((await b.engine.open('d')).snapshot).toBe(replayed);
  });

  it('a document that moved away and back answers reads with the versions committed meanwhile', async () => {
    const a = setup();
    const b = setup({ opLog: a.opLog, snapshots: a.snapshots, state: a.state });
    await a.engine.initDocument('d', 'text', '');
    await a.engine.submit(op({ op: ['a'] }));
    // b owns the document for a while and commits versions 2 and 3; a still holds version 1.
    await b.engine.submit(op({ clientId: 'client-bob', baseVersion: 1, op: ['b'] }));
    await b.engine.submit(op({ clientId: 'client-bob', seq: 2, baseVersion: 2, op: ['b'] }));
    expect((await a.engine.opsSince('d', 1)).map((r) => r.version)).toEqual([]);
    expect((await a.engine.opsSince('d', 1, 3)).map((r) => r.version)).toEqual([2, 3]);
    expect(await a.engine.contentAt('d', 3)).toBe('bba');
    // Released when the ring says another worker owns it: the next read loads it afresh.
    await b.engine.submit(op({ clientId: 'client-bob', seq: 3, baseVersion: 3, op: ['c'] }));
    a.engine.release(() => false);
    expect(a.engine.loadedDocuments).toBe(0);
    expect(await a.engine.open('d')).toEqual({ type: 'text', version: 4, snapshot: 'cbba' });
  });

  it('a copy left behind while its document was owned elsewhere takes ops based on what was committed there', async () => {
    const a = setup();
    const b = setup({ opLog: a.opLog, snapshots: a.snapshots, state: a.state });
    await a.engine.initDocument('d', 'text', '');
    await a.engine.submit(op({ op: ['a'] }));
    await b.engine.submit(op({ clientId: 'client-bob', baseVersion: 1, op: ['b'] }));
    await b.engine.submit(op({ clientId: 'client-bob', seq: 2, baseVersion: 2, op: ['b'] }));
    // Refusing these as VERSION_FUTURE or a reused seq would make the client drop its edits.
    expect(await a.engine.submit(op({ clientId: 'client-bob', seq: 3, baseVersion: 3, op: ['c'] }))).toEqual({
      version: 4,
      duplicate: false,
    });
    expect(await b.engine.submit(op({ clientId: 'client-bob', seq: 4, baseVersion: 4, op: ['d'] }))).toEqual({
      version: 5,
      duplicate: false,
    });
    expect(await a.engine.submit(op({ clientId: 'client-bob', seq: 2, baseVersion: 2, op: ['b'] }))).toEqual({
      version: 3,
      duplicate: true,
    });
    const log = await a.opLog.read('d', 1);
    expect(log.map((r) => r.version)).toEqual([1, 2, 3, 4, 5]);
    expect(log.reduce((doc, r) => textType.apply(doc, r.op as TextOp), '')).toBe('dcbba');
  });

  it('answers a resend committed elsewhere but not yet in the op log only once it is there', async () => {
    const a = setup();
    const b = setup({ opLog: a.opLog, snapshots: a.snapshots, state: a.state });
    await a.engine.initDocument('d', 'text', '');
    await a.engine.submit(op({ op: ['a'] }));
    a.opLog.down = true;
    expect(await refusal(b.engine.submit(op({ clientId: 'client-bob', baseVersion: 1, op: ['b'] })))).toEqual(
      {
        code: 'UNAVAILABLE',
        retryable: true,
      },
    );
    a.opLog.down = false;
    expect(await a.engine.submit(op({ clientId: 'client-bob', baseVersion: 1, op: ['b'] }))).toEqual({
      version: 2,
      duplicate: true,
    });
    expect((await a.opLog.read('d', 1)).map((r) => r.version)).toEqual([1, 2]);
  });

  it('after the state store lost its data, a copy that is behind the op log catches up before it reseeds', async () => {
    const a = setup();
    const b = setup({ opLog: a.opLog, snapshots: a.snapshots, state: a.state });
    await a.engine.initDocument('d', 'text', '');
    await a.engine.submit(op({ op: ['a'] }));
    await b.engine.submit(op({ clientId: 'client-bob', baseVersion: 1, op: ['b'] }));
    await a.state.drop('d');
    // a's copy is at version 1, the op log at 2: a must not commit its next op as version 2.
    expect(await a.engine.submit(op({ seq: 2, baseVersion: 1, op: ['c'] }))).toEqual({
      version: 3,
      duplicate: false,
    });
    const log = await a.opLog.read('d', 1);
    expect(log.map((r) => r.version)).toEqual([1, 2, 3]);
    expect((await a.engine.open('d')).snapshot).toBe(
      log.reduce((doc, r) => textType.apply(doc, r.op as TextOp), ''),
    );
  });

  it('restores an old version as a new op that every client receives', async () => {
    const { engine, broadcasts, watch } = setup();
    await engine.initDocument('d', 'text', 'v0');
    await engine.submit(op({ op: [2, ' one'] }));
    await engine.submit(op({ seq: 2, baseVersion: 1, op: [{ d: 2 }, 'V'] }));
    watch('d');
    const restored = await engine.restore('d', 1, 'bob');
    expect(restored.version).toBe(3);
    expect((await engine.open('d')).snapshot).toBe('v0 one');
    expect(await engine.contentAt('d', 2)).toBe('V one');
    expect(broadcasts).toMatchObject([{ kind: 'op', record: { version: 3, author: 'bob' } }]);
  });

  it('reports a json1 write conflict to both parties, first committer kept', async () => {
    const { engine, broadcasts, watch } = setup();
    await engine.initDocument('d', 'json1', {});
    watch('d');
    await engine.submit(op({ clientId: 'client-ann', op: ['x', { i: 1 }] }));
    await engine.submit(op({ clientId: 'client-bob', userId: 'bob', op: ['x', { i: 2 }] }));
    expect((await engine.open('d')).snapshot).toEqual({ x: 1 });
    const notice = broadcasts.find((b) => b.kind === 'conflict');
    expect(notice).toMatchObject({
      notice: {
        conflicts: [
          {
            kind: 'drop-collision',
            kept: 'first',
            first: { clientId: 'client-ann' },
            later: { clientId: 'client-bob' },
          },
        ],
      },
    });
  });
});
