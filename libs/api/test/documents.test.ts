import { describe, expect, it } from 'vitest';
import type { TestApi } from './harness.js';
import { useApi } from './setup-api.js';

let api: TestApi;
useApi((a) => {
  api = a;
});

describe('POST /api/v1/documents', () => {
  it('creates a document owned by the caller at version 0', async () => {
    const res = await api.call('POST', '/api/v1/documents', {
      as: 'ann',
      body: { title: 'Plan', type: 'text', content: 'hello' },
    });
    expect(res.statusCode).toBe(201);
    const doc = res.json();
    expect(doc).toMatchObject({ title: 'Plan', type: 'text', role: 'owner', ownerId: 'ann', version: 0 });
    expect(doc.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Date(doc.createdAt).getTime()).not.toBeNaN();
    const read = await api.call('GET', `/api/v1/documents/${doc.id}`, { as: 'ann' });
    expect(read.json()).toMatchObject({ id: doc.id, version: 0, content: 'hello' });
  });

  it('starts each type empty without content, and accepts content in its snapshot format', async () => {
    const cases = [
      { type: 'text', content: undefined, expected: '' },
      { type: 'rich-text', content: [{ insert: 'Hi', attributes: { bold: true } }, { insert: '\n' }] },
      { type: 'json1', content: { cards: [{ title: 'A' }] } },
      { type: 'json1', content: undefined, expected: null },
    ];
    for (const c of cases) {
      const id = await api.createDoc('ann', {
        type: c.type,
        ...(c.content === undefined ? {} : { content: c.content }),
      });
      const read = await api.call('GET', `/api/v1/documents/${id}`, { as: 'ann' });
      expect(read.json().content).toEqual('expected' in c ? c.expected : c.content);
    }
  });

  it('gives each document a new id', async () => {
    const ids = new Set([await api.createDoc('ann'), await api.createDoc('ann'), await api.createDoc('ann')]);
    expect(ids.size).toBe(3);
  });

  it('creates under an id the client chose, and refuses a taken id without touching its document', async () => {
    const body = { id: 'board-2026', title: 'Board', type: 'text', content: 'first' };
    const res = await api.call('POST', '/api/v1/documents', { as: 'ann', body });
    expect(res.statusCode).toBe(201);
    expect(res.json().id).toBe('board-2026');
    const again = await api.call('POST', '/api/v1/documents', {
      as: 'bob',
      body: { ...body, content: 'second' },
    });
    expect(again.statusCode).toBe(400);
    const read = await api.call('GET', '/api/v1/documents/board-2026', { as: 'ann' });
    expect(read.json()).toMatchObject({ content: 'first', ownerId: 'ann' });
  });

  it('refuses content that is not valid for the type with SNAPSHOT_INVALID and creates nothing', async () => {
    const res = await api.call('POST', '/api/v1/documents', {
      as: 'ann',
      body: { title: 'Bad', type: 'text', content: { not: 'a string' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'SNAPSHOT_INVALID', retryable: false });
    const list = await api.call('GET', '/api/v1/documents', { as: 'ann' });
    expect(list.json().items).toEqual([]);
  });

  it('names the failing field of a bad body', async () => {
    const res = await api.call('POST', '/api/v1/documents', {
      as: 'ann',
      body: { title: 'x'.repeat(201), type: 'text' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BAD_MESSAGE');
    expect(res.json().error.message).toMatch(/^Bad body: title: /);
    expect(res.json().error.details).toMatchObject({ in: 'body', field: 'title' });

    const type = await api.call('POST', '/api/v1/documents', {
      as: 'ann',
      body: { title: 'ok', type: 'markdown' },
    });
    expect(type.json().error.details.field).toBe('type');
  });

  it('emits doc.created after the document exists', async () => {
    const id = await api.createDoc('ann', { title: 'Events' });
    await api.settle();
    expect(api.seen).toContainEqual(
      expect.objectContaining({
        type: 'doc.created',
        docId: id,
        docType: 'text',
        title: 'Events',
        ownerId: 'ann',
      }),
    );
  });
});

describe('GET /api/v1/documents', () => {
  it('lists only the documents the caller has a role on, with that role', async () => {
    const mine = await api.createDoc('ann', { title: 'Mine' });
    const shared = await api.createDoc('bob', { title: 'Shared' });
    await api.createDoc('bob', { title: 'Private' });
    await api.call('PUT', `/api/v1/documents/${shared}/permissions/ann`, {
      as: 'bob',
      body: { role: 'viewer' },
    });
    const res = await api.call('GET', '/api/v1/documents', { as: 'ann' });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { id: string; role: string; title: string }[];
    expect(items.map((i) => [i.title, i.role]).sort()).toEqual([
      ['Mine', 'owner'],
      ['Shared', 'viewer'],
    ]);
    expect(items.find((i) => i.id === mine)).toBeDefined();
  });

  it('pages with limit and the next cursor, newest update first, until next is null', async () => {
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push(await api.createDoc('ann', { title: `Doc ${i}` }));
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res = await api.call('GET', '/api/v1/documents', {
        as: 'ann',
        query: { limit: '2', ...(after ? { after } : {}) },
      });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i: { id: string }) => i.id));
      after = page.next;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());
  });

  it('defaults to 20 per page and refuses a limit outside 1-100 or a forged cursor', async () => {
    for (let i = 0; i < 21; i++) await api.createDoc('ann');
    const first = await api.call('GET', '/api/v1/documents', { as: 'ann' });
    expect(first.json().items).toHaveLength(20);
    expect(first.json().next).toEqual(expect.any(String));

    for (const limit of ['0', '101', 'ten']) {
      const res = await api.call('GET', '/api/v1/documents', { as: 'ann', query: { limit } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details).toMatchObject({ in: 'querystring', field: 'limit' });
    }
    const forged = await api.call('GET', '/api/v1/documents', {
      as: 'ann',
      query: { after: 'not-a-cursor' },
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().error.code).toBe('BAD_MESSAGE');
  });
});

describe('GET /api/v1/documents/:id', () => {
  it('returns the current version and content after edits', async () => {
    const id = await api.createDoc('ann', { content: 'abc' });
    await api.edit(id, 'ann', [3, 'd']);
    await api.edit(id, 'ann', [4, 'e']);
    const res = await api.call('GET', `/api/v1/documents/${id}`, { as: 'ann' });
    expect(res.json()).toMatchObject({ id, version: 2, content: 'abcde', role: 'owner' });
  });

  it('lets a viewer read and tells them their role', async () => {
    const id = await api.createDoc('ann', { content: 'abc' });
    await api.call('PUT', `/api/v1/documents/${id}/permissions/vic`, { as: 'ann', body: { role: 'viewer' } });
    const res = await api.call('GET', `/api/v1/documents/${id}`, { as: 'vic' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ role: 'viewer', content: 'abc' });
  });
});

describe('PATCH /api/v1/documents/:id', () => {
  it('renames for the owner and for an editor, and emits doc.renamed', async () => {
    const id = await api.createDoc('ann', { title: 'Old' });
    await api.call('PUT', `/api/v1/documents/${id}/permissions/ed`, { as: 'ann', body: { role: 'editor' } });
    const byOwner = await api.call('PATCH', `/api/v1/documents/${id}`, { as: 'ann', body: { title: 'New' } });
    expect(byOwner.statusCode).toBe(200);
    expect(byOwner.json()).toMatchObject({ id, title: 'New', role: 'owner' });
    const byEditor = await api.call('PATCH', `/api/v1/documents/${id}`, {
      as: 'ed',
      body: { title: '  Newer  ' },
    });
    expect(byEditor.json()).toMatchObject({ title: 'Newer', role: 'editor' });
    await api.settle();
    expect(api.seen).toContainEqual(
      expect.objectContaining({ type: 'doc.renamed', docId: id, title: 'Newer' }),
    );
  });

  it('refuses a commenter or viewer with FORBIDDEN and keeps the title', async () => {
    const id = await api.createDoc('ann', { title: 'Kept' });
    for (const role of ['viewer', 'commenter']) {
      await api.call('PUT', `/api/v1/documents/${id}/permissions/${role}-user`, {
        as: 'ann',
        body: { role },
      });
      const res = await api.call('PATCH', `/api/v1/documents/${id}`, {
        as: `${role}-user`,
        body: { title: 'Mine now' },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
    expect((await api.call('GET', `/api/v1/documents/${id}`, { as: 'ann' })).json().title).toBe('Kept');
  });

  it('refuses a blank title naming the field', async () => {
    const id = await api.createDoc('ann');
    const res = await api.call('PATCH', `/api/v1/documents/${id}`, { as: 'ann', body: { title: '   ' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.field).toBe('title');
  });
});

describe('DELETE /api/v1/documents/:id', () => {
  it('deletes for the owner: 204, then gone from reads and lists, open sockets told, doc.deleted emitted', async () => {
    const id = await api.createDoc('ann');
    const broadcasts = api.watch(id);
    const res = await api.call('DELETE', `/api/v1/documents/${id}`, { as: 'ann' });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await api.call('GET', `/api/v1/documents/${id}`, { as: 'ann' })).statusCode).toBe(404);
    expect((await api.call('GET', '/api/v1/documents', { as: 'ann' })).json().items).toEqual([]);
    expect(broadcasts).toContainEqual({ kind: 'deleted' });
    await api.settle();
    expect(api.seen).toContainEqual(expect.objectContaining({ type: 'doc.deleted', docId: id }));
  });

  it('is for the owner only: an editor gets FORBIDDEN and the document stays', async () => {
    const id = await api.createDoc('ann');
    await api.call('PUT', `/api/v1/documents/${id}/permissions/ed`, { as: 'ann', body: { role: 'editor' } });
    const res = await api.call('DELETE', `/api/v1/documents/${id}`, { as: 'ed' });
    expect(res.statusCode).toBe(403);
    expect((await api.call('GET', `/api/v1/documents/${id}`, { as: 'ann' })).statusCode).toBe(200);
  });
});
