import { type Api, LiveClient, RawSocket, type SignedIn, sleep, waitFor } from '@tandem/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.js';

/**
 * Contract item 6: authorization on every message. A viewer reads but cannot write, a
 * stranger can neither read nor find, and a revoked role takes effect on an open socket
 * at once (the gateway re-checks on the permissions broadcast).
 */
describe('authorization', () => {
  let server: TestServer;
  let api: Api;
  let owner: SignedIn;
  let viewer: SignedIn;
  let stranger: SignedIn;
  let editorUser: SignedIn;

  beforeAll(async () => {
    server = await startTestServer();
    api = server.api;
    [owner, viewer, stranger, editorUser] = await Promise.all([
      api.signIn('Auth Owner'),
      api.signIn('Auth Viewer'),
      api.signIn('Auth Stranger'),
      api.signIn('Auth Editor'),
    ]);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  }, 30_000);

  async function state(docId: string) {
    const { version, content } = await api.getDoc(owner.token, docId);
    return { version, content };
  }

  it('a viewer’s op is refused with FORBIDDEN and changes nothing, and the viewer still receives edits', async () => {
    const docId = await api.createDoc(owner.token, 'text', 'shared');
    await api.grant(owner.token, docId, viewer.userId, 'viewer');

    const ws = await RawSocket.hello(server.wsUrl, viewer.token);
    const joined = await ws.join(docId);
    expect(joined).toMatchObject({ role: 'viewer', version: 0, snapshot: 'shared' });

    const before = await state(docId);
    ws.op(docId, 1, 0, [6, ' by the viewer']);
    expect(await ws.error(docId)).toMatchObject({ code: 'FORBIDDEN', seq: 1, retryable: false });
    expect(await state(docId)).toEqual(before);

    // The SDK refuses locally too, without sending anything.
    const live = new LiveClient(server.wsUrl, viewer.token).connect();
    const doc = live.open(docId);
    const ownerClient = new LiveClient(server.wsUrl, owner.token).connect();
    const ownerDoc = ownerClient.open(docId);
    try {
      await waitFor(() => doc.isReady && ownerDoc.isReady, 'both to join');
      expect(doc.role).toBe('viewer');
      expect(() => doc.submit([1, 'x'])).toThrow(/viewer/);

      ownerDoc.submit([6, '!']);
      ownerDoc.submit(['A ']);
      await waitFor(() => !ownerDoc.hasPendingOps, 'the owner’s ops to be acknowledged');
      const after = await state(docId);
      expect(after.content).toBe('A shared!');
      await waitFor(() => doc.version === after.version, 'the viewer to receive the edits');
      expect(doc.data).toBe('A shared!');
      // The raw viewer socket got them as remote ops too.
      await ws.next((m) => m.type === 'remote-op' && m.version === after.version);
      expect(ws.all((m) => m.type === 'ack')).toEqual([]);
    } finally {
      live.disconnect();
      ownerClient.disconnect();
      ws.close();
    }
  });

  it('a stranger gets nothing: join FORBIDDEN, REST 403, and search does not find the document', async () => {
    const word = `zebracorn${Date.now().toString(36)}`;
    const docId = await api.createDoc(owner.token, 'text', `a secret about the ${word}`, `Secret ${word}`);
    const before = await state(docId);

    const ws = await RawSocket.hello(server.wsUrl, stranger.token);
    ws.send({ type: 'join', docId });
    expect(await ws.error(docId)).toMatchObject({ code: 'FORBIDDEN' });
    ws.send({ type: 'join', docId, version: 0 });
    expect(await ws.error(docId)).toMatchObject({ code: 'FORBIDDEN' });
    // Not joined, so ops, fetches and presence are refused before any role is looked at.
    ws.op(docId, 1, 0, ['x']);
    expect(await ws.error(docId)).toMatchObject({ code: 'NOT_JOINED' });
    ws.send({ type: 'fetch', docId, from: 1 });
    expect(await ws.error(docId)).toMatchObject({ code: 'NOT_JOINED' });
    await ws.roundTrip();
    expect(ws.all((m) => ['joined', 'catchup', 'remote-op', 'presence-batch'].includes(m.type))).toEqual([]);
    ws.close();

    for (const path of [
      `/api/v1/documents/${docId}`,
      `/api/v1/documents/${docId}/ops`,
      `/api/v1/documents/${docId}/ops?from=1&to=1`,
      `/api/v1/documents/${docId}/versions/0`,
      `/api/v1/documents/${docId}/permissions`,
    ]) {
      const res = await api.request('GET', path, { token: stranger.token });
      expect(res.status, path).toBe(403);
      expect(res.body.error.code, path).toBe('FORBIDDEN');
      expect(JSON.stringify(res.body), path).not.toContain(word);
    }
    for (const [method, path, body] of [
      ['PATCH', `/api/v1/documents/${docId}`, { title: 'mine now' }],
      ['DELETE', `/api/v1/documents/${docId}`, undefined],
      ['POST', `/api/v1/documents/${docId}/restore`, { targetVersion: 0 }],
      ['PUT', `/api/v1/documents/${docId}/permissions/${stranger.userId}`, { role: 'editor' }],
    ] as const) {
      const res = await api.request(method, path, { token: stranger.token, body });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    const list = await api.request('GET', '/api/v1/documents', { token: stranger.token });
    expect(list.body.items.map((d: { id: string }) => d.id)).not.toContain(docId);

    // The owner finds it (indexing takes about a second); the stranger never does.
    await waitFor(
      async () => {
        const res = await api.request('GET', `/api/v1/search?q=${word}`, { token: owner.token });
        return res.body.hits.some((h: { docId: string }) => h.docId === docId);
      },
      'the owner to find the document',
      10_000,
      100,
    );
    const hidden = await api.request('GET', `/api/v1/search?q=${word}`, { token: stranger.token });
    expect(hidden.status).toBe(200);
    expect(hidden.body.hits).toEqual([]);
    expect(await state(docId)).toEqual(before);
  });

  it('revoking a role while a socket is open stops its edits and its updates at once', async () => {
    const docId = await api.createDoc(owner.token, 'text', '');
    await api.grant(owner.token, docId, editorUser.userId, 'editor');

    const ws = await RawSocket.hello(server.wsUrl, editorUser.token);
    await ws.join(docId);
    ws.op(docId, 1, 0, ['editor was here. ']);
    expect(await ws.next((m) => m.type === 'ack')).toMatchObject({ seq: 1, version: 1 });

    const ownerClient = new LiveClient(server.wsUrl, owner.token).connect();
    const ownerDoc = ownerClient.open(docId);
    try {
      await waitFor(() => ownerDoc.isReady, 'the owner to join');

      await api.revoke(owner.token, docId, editorUser.userId);
      // Sent right after the revocation's 204: it must not be committed.
      ws.op(docId, 2, 1, [17, 'after revoke']);
      const told = await ws.next((m) => m.type === 'error' && m.code === 'FORBIDDEN' && m.seq === undefined);
      expect(told).toMatchObject({ docId, retryable: false });
      const refusal = await ws.next((m) => m.type === 'error' && m.seq === 2);
      expect(['FORBIDDEN', 'NOT_JOINED']).toContain(refusal.code);

      ownerDoc.submit(['Owner: ']);
      await waitFor(() => !ownerDoc.hasPendingOps, 'the owner’s op to be acknowledged');
      ws.op(docId, 3, 2, ['still trying']);
      expect(await ws.error(docId)).toMatchObject({ code: 'NOT_JOINED', seq: 3 });
      await ws.roundTrip();
      await sleep(100);
      expect(ws.all((m) => m.type === 'remote-op')).toEqual([]);
      expect(ws.all((m) => m.type === 'ack')).toHaveLength(1);
      const after = await state(docId);
      expect(after).toEqual({ version: 2, content: 'Owner: editor was here. ' });

      // Rejoining is refused too.
      ws.send({ type: 'join', docId, version: 1 });
      expect(await ws.error(docId)).toMatchObject({ code: 'FORBIDDEN' });
    } finally {
      ownerClient.disconnect();
      ws.close();
    }
  });

  it('downgrading an editor to viewer on an open socket refuses its next op at once, and it keeps reading', async () => {
    const docId = await api.createDoc(owner.token, 'text', 'base');
    await api.grant(owner.token, docId, editorUser.userId, 'editor');
    const ws = await RawSocket.hello(server.wsUrl, editorUser.token);
    await ws.join(docId);

    await api.grant(owner.token, docId, editorUser.userId, 'viewer');
    ws.op(docId, 1, 0, [4, '!']);
    expect(await ws.error(docId)).toMatchObject({ code: 'FORBIDDEN', seq: 1 });
    expect(await state(docId)).toEqual({ version: 0, content: 'base' });

    const ownerWs = await RawSocket.hello(server.wsUrl, owner.token);
    await ownerWs.join(docId);
    ownerWs.op(docId, 1, 0, [4, '?']);
    await ownerWs.next((m) => m.type === 'ack');
    expect(await ws.next((m) => m.type === 'remote-op')).toMatchObject({ version: 1, op: [4, '?'] });
    ws.close();
    ownerWs.close();
  });
});
