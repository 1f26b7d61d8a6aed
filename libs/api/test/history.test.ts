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
