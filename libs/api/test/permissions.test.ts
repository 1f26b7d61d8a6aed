import { describe, expect, it } from 'vitest';
import type { TestApi } from './harness.js';
import { useApi } from './setup-api.js';

let api: TestApi;
useApi((a) => {
  api = a;
});

const grant = (id: string, userId: string, role: string, as = 'ann') =>
  api.call('PUT', `/api/v1/documents/${id}/permissions/${userId}`, { as, body: { role } });
const revoke = (id: string, userId: string, as = 'ann') =>
  api.call('DELETE', `/api/v1/documents/${id}/permissions/${userId}`, { as });
const permissions = async (id: string, as = 'ann') =>
  (await api.call('GET', `/api/v1/documents/${id}/permissions`, { as })).json();

describe('sharing a document', () => {
  it('starts with the owner alone', async () => {
    const id = await api.createDoc('ann');
    expect(await permissions(id)).toEqual([{ userId: 'ann', role: 'owner' }]);
  });

  it('grants, changes and revokes roles, and the roles take effect at once', async () => {
    const id = await api.createDoc('ann', { content: 'text' });
    expect((await api.call('GET', `/api/v1/documents/${id}`, { as: 'bob' })).statusCode).toBe(403);

    const granted = await grant(id, 'bob', 'viewer');
    expect(granted.statusCode).toBe(200);
    expect(granted.json()).toEqual({ userId: 'bob', role: 'viewer' });
    expect((await api.call('GET', `/api/v1/documents/${id}`, { as: 'bob' })).statusCode).toBe(200);
    expect(
      (await api.call('PATCH', `/api/v1/documents/${id}`, { as: 'bob', body: { title: 'x' } })).statusCode,
    ).toBe(403);

    await grant(id, 'bob', 'editor');
    expect(await permissions(id)).toEqual([
      { userId: 'ann', role: 'owner' },
      { userId: 'bob', role: 'editor' },
    ]);
    expect(
      (await api.call('PATCH', `/api/v1/documents/${id}`, { as: 'bob', body: { title: 'x' } })).statusCode,
    ).toBe(200);

    const revoked = await revoke(id, 'bob');
    expect(revoked.statusCode).toBe(204);
    expect(await permissions(id)).toEqual([{ userId: 'ann', role: 'owner' }]);
    const after = await api.call('GET', `/api/v1/documents/${id}`, { as: 'bob' });
    expect(after.statusCode).toBe(403);
    expect(after.json().error.code).toBe('FORBIDDEN');
  });

  it('lets every role read the list, and no stranger', async () => {
    const id = await api.createDoc('ann');
    await grant(id, 'cam', 'commenter');
    const list = await api.call('GET', `/api/v1/documents/${id}/permissions`, { as: 'cam' });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toContainEqual({ userId: 'cam', role: 'commenter' });
    expect((await api.call('GET', `/api/v1/documents/${id}/permissions`, { as: 'eve' })).statusCode).toBe(
      403,
    );
  });

  it('tells open sockets to re-check access and emits doc.permissions after every change', async () => {
    const id = await api.createDoc('ann');
    const broadcasts = api.watch(id);
    await grant(id, 'bob', 'viewer');
    await revoke(id, 'bob');
    expect(broadcasts).toEqual([{ kind: 'permissions' }, { kind: 'permissions' }]);
    await api.settle();
    const events = api.seen.filter((e) => e.type === 'doc.permissions');
    expect(events).toEqual([
      expect.objectContaining({ docId: id, userId: 'bob', role: 'viewer' }),
      expect.objectContaining({ docId: id, userId: 'bob', role: null }),
    ]);
  });

  it('revoking someone without a role is a 204 too', async () => {
    const id = await api.createDoc('ann');
    expect((await revoke(id, 'nobody')).statusCode).toBe(204);
  });
});

describe('who may change roles', () => {
  it('only the owner: an editor gets FORBIDDEN for a grant and a revoke', async () => {
    const id = await api.createDoc('ann');
    await grant(id, 'ed', 'editor');
    await grant(id, 'vic', 'viewer');
    const byEditor = await grant(id, 'eve', 'editor', 'ed');
    expect(byEditor.statusCode).toBe(403);
    expect(byEditor.json().error.code).toBe('FORBIDDEN');
    expect((await revoke(id, 'vic', 'ed')).statusCode).toBe(403);
    expect(await permissions(id)).toHaveLength(3);
  });

  it("protects the owner: the owner's role cannot be changed or revoked, and nobody can be made owner", async () => {
    const id = await api.createDoc('ann');
    const demote = await grant(id, 'ann', 'viewer');
    expect(demote.statusCode).toBe(403);
    expect(demote.json().error.message).toMatch(/owner's role/);
    expect((await revoke(id, 'ann')).statusCode).toBe(403);

    const second = await grant(id, 'bob', 'owner');
    expect(second.statusCode).toBe(400);
    expect(second.json().error).toMatchObject({ code: 'BAD_MESSAGE', details: { field: 'role' } });
    expect(await permissions(id)).toEqual([{ userId: 'ann', role: 'owner' }]);
  });

  it('answers 404 for a document that does not exist and 403 for a stranger', async () => {
    expect((await grant('no-such-doc', 'bob', 'viewer')).statusCode).toBe(404);
    const id = await api.createDoc('ann');
    const stranger = await grant(id, 'eve', 'editor', 'eve');
    expect(stranger.statusCode).toBe(403);
  });
});
