import { describe, expect, it } from 'vitest';
import type { TestApi } from './harness.js';
import { useApi } from './setup-api.js';

let api: TestApi;
useApi((a) => {
  api = a;
});

/** A text document "abc" with three edits: versions 1-3 are "abcX", "abcXY", "abcXYZ". */
async function threeEdits(): Promise<string> {
  const id = await api.createDoc('ann', { content: 'abc' });
  await api.edit(id, 'ann', [3, 'X']);
  await api.edit(id, 'ann', [4, 'Y']);
  await api.edit(id, 'ann', [5, 'Z']);
  return id;
}

describe('GET /api/v1/documents/:id/ops', () => {
  it('returns every committed op from version 1 to the latest by default', async () => {
    const id = await threeEdits();
    const res = await api.call('GET', `/api/v1/documents/${id}/ops`, { as: 'ann' });
    expect(res.statusCode).toBe(200);
    const { ops, next } = res.json();
    expect(ops.map((o: { version: number }) => o.version)).toEqual([1, 2, 3]);
    expect(ops[0]).toMatchObject({
      version: 1,
      op: [3, 'X'],
      author: 'ann',
      clientId: 'test-client-1',
      seq: 1,
    });
    expect(ops[0].ts).toEqual(expect.any(Number));
    expect(next).toBeNull();
  });

  it('returns the range from..to inclusive', async () => {
    const id = await threeEdits();
    const res = await api.call('GET', `/api/v1/documents/${id}/ops`, {
      as: 'ann',
      query: { from: '2', to: '2' },
    });
    expect(res.json().ops.map((o: { version: number }) => o.version)).toEqual([2]);
    const tail = await api.call('GET', `/api/v1/documents/${id}/ops`, { as: 'ann', query: { from: '3' } });
    expect(tail.json().ops.map((o: { version: number }) => o.version)).toEqual([3]);
  });

  it('answers an empty list for the version after the latest (nothing new yet)', async () => {
    const id = await threeEdits();
    const res = await api.call('GET', `/api/v1/documents/${id}/ops`, { as: 'ann', query: { from: '4' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ops: [], next: null });
  });

  it('refuses versions from the future with 409 VERSION_FUTURE', async () => {
    const id = await threeEdits();
    for (const query of [{ to: '4' }, { from: '5' }, { from: '1', to: '99' }] as Record<string, string>[]) {
      const res = await api.call('GET', `/api/v1/documents/${id}/ops`, { as: 'ann', query });
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({ code: 'VERSION_FUTURE', details: { version: 3 } });
    }
  });

  it('refuses to below from, or from 0, naming the field', async () => {
    const id = await threeEdits();
    const backwards = await api.call('GET', `/api/v1/documents/${id}/ops`, {
      as: 'ann',
      query: { from: '3', to: '2' },
    });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().error.details.field).toBe('to');
    const zero = await api.call('GET', `/api/v1/documents/${id}/ops`, { as: 'ann', query: { from: '0' } });
    expect(zero.statusCode).toBe(400);
    expect(zero.json().error.details.field).toBe('from');
  });

  it('answers at most 1000 ops and points to the rest with next', async () => {
    const id = await api.createDoc('ann');
    for (let i = 0; i < 1005; i++) await api.edit(id, 'ann', ['x']);
    const first = await api.call('GET', `/api/v1/documents/${id}/ops`, { as: 'ann' });
    expect(first.json().ops).toHaveLength(1000);
    expect(first.json().next).toBe(1001);
    const second = await api.call('GET', `/api/v1/documents/${id}/ops`, {
      as: 'ann',
      query: { from: String(first.json().next) },
    });
    expect(second.json().ops.map((o: { version: number }) => o.version)).toEqual([
      1001, 1002, 1003, 1004, 1005,
    ]);
    expect(second.json().next).toBeNull();
  });

  it('lets any role read the ops, and no one else', async () => {
    const id = await threeEdits();
    await api.call('PUT', `/api/v1/documents/${id}/permissions/vic`, { as: 'ann', body: { role: 'viewer' } });
    expect((await api.call('GET', `/api/v1/documents/${id}/ops`, { as: 'vic' })).statusCode).toBe(200);
    expect((await api.call('GET', `/api/v1/documents/${id}/ops`, { as: 'eve' })).statusCode).toBe(403);
  });
});

describe('GET /api/v1/documents/:id/versions/:version', () => {
  it('returns the content at each version, including 0 and the latest', async () => {
    const id = await threeEdits();
    const contents = [];
    for (const v of [0, 1, 2, 3]) {
      const res = await api.call('GET', `/api/v1/documents/${id}/versions/${v}`, { as: 'ann' });
      expect(res.statusCode).toBe(200);
      contents.push(res.json());
    }
    expect(contents).toEqual([
      { version: 0, content: 'abc' },
      { version: 1, content: 'abcX' },
      { version: 2, content: 'abcXY' },
      { version: 3, content: 'abcXYZ' },
    ]);
  });

  it('refuses a version from the future with 409 and a malformed one with 400', async () => {
    const id = await threeEdits();
    const future = await api.call('GET', `/api/v1/documents/${id}/versions/4`, { as: 'ann' });
    expect(future.statusCode).toBe(409);
    expect(future.json().error.code).toBe('VERSION_FUTURE');
    const bad = await api.call('GET', `/api/v1/documents/${id}/versions/-1`, { as: 'ann' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details).toMatchObject({ in: 'params', field: 'version' });
  });
});

describe('POST /api/v1/documents/:id/restore', () => {
  it('restores an old version as a new version: the content equals the old one', async () => {
    const id = await threeEdits();
    const res = await api.call('POST', `/api/v1/documents/${id}/restore`, {
      as: 'ann',
      body: { targetVersion: 1 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ version: 4 });
    const doc = await api.call('GET', `/api/v1/documents/${id}`, { as: 'ann' });
    expect(doc.json()).toMatchObject({ version: 4, content: 'abcX' });
    // History keeps everything: the restored-away version is still there.
    const v3 = await api.call('GET', `/api/v1/documents/${id}/versions/3`, { as: 'ann' });
    expect(v3.json().content).toBe('abcXYZ');
    await api.settle();
    expect(api.seen).toContainEqual(
      expect.objectContaining({
        type: 'doc.restored',
        docId: id,
        targetVersion: 1,
        version: 4,
        userId: 'ann',
      }),
    );
  });

  it('restores json1 and rich-text documents too', async () => {
    const board = await api.createDoc('ann', { type: 'json1', content: { cards: ['a'] } });
    await api.edit(board, 'ann', ['cards', 1, { i: 'b' }]);
    await api.call('POST', `/api/v1/documents/${board}/restore`, { as: 'ann', body: { targetVersion: 0 } });
    expect((await api.call('GET', `/api/v1/documents/${board}`, { as: 'ann' })).json().content).toEqual({
      cards: ['a'],
    });

    const rich = await api.createDoc('ann', { type: 'rich-text', content: [{ insert: 'Hi\n' }] });
    await api.edit(rich, 'ann', [{ retain: 2, attributes: { bold: true } }]);
    await api.call('POST', `/api/v1/documents/${rich}/restore`, { as: 'ann', body: { targetVersion: 0 } });
    expect((await api.call('GET', `/api/v1/documents/${rich}`, { as: 'ann' })).json().content).toEqual([
      { insert: 'Hi\n' },
    ]);
  });

  it('is for editors and owners: a viewer gets FORBIDDEN and nothing changes', async () => {
    const id = await threeEdits();
    await api.call('PUT', `/api/v1/documents/${id}/permissions/vic`, { as: 'ann', body: { role: 'viewer' } });
    await api.call('PUT', `/api/v1/documents/${id}/permissions/ed`, { as: 'ann', body: { role: 'editor' } });
    const denied = await api.call('POST', `/api/v1/documents/${id}/restore`, {
      as: 'vic',
      body: { targetVersion: 0 },
    });
    expect(denied.statusCode).toBe(403);
    expect((await api.call('GET', `/api/v1/documents/${id}`, { as: 'ann' })).json().version).toBe(3);
    const allowed = await api.call('POST', `/api/v1/documents/${id}/restore`, {
      as: 'ed',
      body: { targetVersion: 0 },
    });
    expect(allowed.json()).toEqual({ version: 4 });
  });

  it('refuses a target from the future with 409 and a missing target with 400', async () => {
    const id = await threeEdits();
    const future = await api.call('POST', `/api/v1/documents/${id}/restore`, {
      as: 'ann',
      body: { targetVersion: 9 },
    });
    expect(future.statusCode).toBe(409);
    expect(future.json().error.code).toBe('VERSION_FUTURE');
    const missing = await api.call('POST', `/api/v1/documents/${id}/restore`, { as: 'ann', body: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details.field).toBe('targetVersion');
  });
});

describe('GET /api/v1/documents/:id/history', () => {
  /** "abc" by ann, three edits by ann and one by bob, then a restore of version 1 by bob. */
  async function edited(): Promise<string> {
    const id = await threeEdits();
    await api.call('PUT', `/api/v1/documents/${id}/permissions/bob`, { as: 'ann', body: { role: 'editor' } });
    await api.edit(id, 'bob', ['>']);
    const restored = await api.call('POST', `/api/v1/documents/${id}/restore`, {
      as: 'bob',
      body: { targetVersion: 1 },
    });
    expect(restored.statusCode).toBe(200);
    await api.settle();
    return id;
  }

  it('returns the timeline newest first: creation, sessions per user and the restore, each with a summary', async () => {
    const id = await edited();
    const res = await api.call('GET', `/api/v1/documents/${id}/history`, { as: 'ann' });
    expect(res.statusCode).toBe(200);
    const { items, next } = res.json();
    expect(next).toBeNull();
    expect(
      items.map((e: { kind: string; userId: string; fromVersion: number; toVersion: number }) => [
        e.kind,
        e.userId,
        e.fromVersion,
        e.toVersion,
      ]),
    ).toEqual([
      ['restore', 'bob', 5, 5],
      ['edit', 'bob', 4, 4],
      ['edit', 'ann', 1, 3],
      ['created', 'ann', 0, 0],
    ]);
    expect(items[0]).toMatchObject({
      restoredVersion: 1,
      summary: expect.stringMatching(/^bob restored version 1 on /),
    });
    expect(items[2]).toMatchObject({
      ops: 3,
      inserted: 3,
      deleted: 0,
      span: { start: 3, end: 6 },
      summary: expect.stringMatching(/^ann inserted 3 characters in characters 4–6 on .* UTC \(3 edits\)$/),
    });
    expect(Date.parse(items[2].startedAt)).toBeLessThanOrEqual(Date.parse(items[2].endedAt));
    // Each entry names the version whose content follows it.
    const after = await api.call('GET', `/api/v1/documents/${id}/versions/${items[2].toVersion}`, {
      as: 'ann',
    });
    expect(after.json().content).toBe('abcXYZ');
  });

  it('pages with before, and filters by user and by time', async () => {
    const id = await edited();
    const first = await api.call('GET', `/api/v1/documents/${id}/history`, {
      as: 'ann',
      query: { limit: '3' },
    });
    expect(first.json().items).toHaveLength(3);
    expect(first.json().next).toBe(1);
    const rest = await api.call('GET', `/api/v1/documents/${id}/history`, {
      as: 'ann',
      query: { limit: '3', before: String(first.json().next) },
    });
    expect(rest.json()).toMatchObject({ items: [{ kind: 'created' }], next: null });
    const bob = await api.call('GET', `/api/v1/documents/${id}/history`, {
      as: 'ann',
      query: { userId: 'bob' },
    });
    expect(bob.json().items.map((e: { kind: string }) => e.kind)).toEqual(['restore', 'edit']);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = await api.call('GET', `/api/v1/documents/${id}/history`, {
      as: 'ann',
      query: { since: future },
    });
    expect(none.json().items).toEqual([]);
    const past = await api.call('GET', `/api/v1/documents/${id}/history`, {
      as: 'ann',
      query: { until: '2000-01-01T00:00:00Z' },
    });
    expect(past.json().items).toEqual([]);
  });

  it('is for anyone who may read the document', async () => {
    const id = await edited();
    await api.call('PUT', `/api/v1/documents/${id}/permissions/vic`, { as: 'ann', body: { role: 'viewer' } });
    expect((await api.call('GET', `/api/v1/documents/${id}/history`, { as: 'vic' })).statusCode).toBe(200);
    const eve = await api.call('GET', `/api/v1/documents/${id}/history`, { as: 'eve' });
    expect(eve.statusCode).toBe(403);
    expect((await api.call('GET', `/api/v1/documents/${id}/history`)).statusCode).toBe(401);
  });

  it('refuses a bad query with 400 BAD_MESSAGE naming the field', async () => {
    const id = await edited();
    for (const [field, value] of [
      ['limit', '0'],
      ['limit', '101'],
      ['before', '-1'],
      ['since', 'yesterday'],
      ['until', '2026-13-01T00:00:00Z'],
    ] as const) {
      const res = await api.call('GET', `/api/v1/documents/${id}/history`, {
        as: 'ann',
        query: { [field]: value },
      });
      expect(res.statusCode, `${field}=${value}`).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'BAD_MESSAGE', details: { field } });
    }
  });
});
