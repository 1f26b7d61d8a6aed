import { describe, expect, it } from 'vitest';
import type { TestApi } from './harness.js';
import { useApi } from './setup-api.js';

let api: TestApi;
useApi((a) => {
  api = a;
});

async function search(as: string, q: string, limit?: number) {
  const res = await api.call('GET', '/api/v1/search', {
    as,
    query: { q, ...(limit ? { limit: String(limit) } : {}) },
  });
  expect(res.statusCode).toBe(200);
  return res.json().hits as { docId: string; title: string; snippet: string; score: number }[];
}

describe('GET /api/v1/search', () => {
  it('finds documents by content and title, with a snippet', async () => {
    const id = await api.createDoc('ann', { title: 'Garden plan', content: 'Plant tomatoes in May' });
    await api.settle();
    const byContent = await search('ann', 'tomatoes');
    expect(byContent).toEqual([
      {
        docId: id,
        title: 'Garden plan',
        snippet: expect.stringContaining('<mark>tomatoes</mark>'),
        score: expect.any(Number),
      },
    ]);
    expect((await search('ann', 'garden')).map((h) => h.docId)).toEqual([id]);
  });

  it('returns only the documents the caller may read', async () => {
    const anns = await api.createDoc('ann', { title: 'Ann', content: 'secret recipe' });
    const bobs = await api.createDoc('bob', { title: 'Bob', content: 'public recipe' });
    await api.settle();
    expect((await search('bob', 'recipe')).map((h) => h.docId)).toEqual([bobs]);
    expect(await search('eve', 'recipe')).toEqual([]);
    await api.call('PUT', `/api/v1/documents/${anns}/permissions/bob`, {
      as: 'ann',
      body: { role: 'viewer' },
    });
    expect((await search('bob', 'recipe')).map((h) => h.docId).sort()).toEqual([anns, bobs].sort());
  });

  it('reflects a revoke at once, without re-indexing', async () => {
    const id = await api.createDoc('ann', { content: 'quarterly numbers' });
    await api.call('PUT', `/api/v1/documents/${id}/permissions/bob`, { as: 'ann', body: { role: 'editor' } });
    await api.settle();
    expect(await search('bob', 'quarterly')).toHaveLength(1);
    await api.call('DELETE', `/api/v1/documents/${id}/permissions/bob`, { as: 'ann' });
    expect(await search('bob', 'quarterly')).toEqual([]);
    expect(await search('ann', 'quarterly')).toHaveLength(1);
  });

  it('follows edits, renames, restores and deletes through the indexer', async () => {
    const id = await api.createDoc('ann', { title: 'Notes', content: 'alpha' });
    await api.edit(id, 'ann', [5, ' beta']);
    await api.settle();
    expect(await search('ann', 'beta')).toHaveLength(1);

    await api.call('PATCH', `/api/v1/documents/${id}`, { as: 'ann', body: { title: 'Minutes' } });
    await api.call('POST', `/api/v1/documents/${id}/restore`, { as: 'ann', body: { targetVersion: 0 } });
    await api.settle();
    expect(await search('ann', 'beta')).toEqual([]);
    expect((await search('ann', 'minutes')).map((h) => h.title)).toEqual(['Minutes']);

    await api.call('DELETE', `/api/v1/documents/${id}`, { as: 'ann' });
    await api.settle();
    expect(await search('ann', 'alpha')).toEqual([]);
  });

  it('honours limit and refuses an empty query naming q', async () => {
    for (let i = 0; i < 3; i++) await api.createDoc('ann', { content: `lorem ${i}` });
    await api.settle();
    expect(await search('ann', 'lorem', 2)).toHaveLength(2);
    const empty = await api.call('GET', '/api/v1/search', { as: 'ann', query: { q: '  ' } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.details).toMatchObject({ in: 'querystring', field: 'q' });
    const missing = await api.call('GET', '/api/v1/search', { as: 'ann' });
    expect(missing.json().error.details.field).toBe('q');
  });
});
