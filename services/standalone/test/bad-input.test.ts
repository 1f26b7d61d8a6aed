import {
  type Api,
  LiveClient,
  RawSocket,
  randomClientId,
  type SignedIn,
  sleep,
  waitFor,
} from '@tandem/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.js';

/**
 * Contract item 7: bad input gets a clear error code and changes nothing. Each case
 * speaks the protocol by hand over a raw `ws` socket (or plain HTTP), then checks that
 * the document's version and content are what they were.
 *
 * The server runs with OPS_PER_SECOND=1 and MAX_DOCS_PER_SOCKET=2, so that the rate and
 * document limits are reachable; every other case uses its own socket (its own token
 * bucket, whose burst of 200 the case stays far below) and at most two documents.
 *
 * Errors answering an op carry its `seq`, and errors about a document its `docId`, so
 * each case waits for exactly the answer to what it sent.
 */
const MAX_DOCS = 2;

describe('bad input is refused with its error code and changes nothing', () => {
  let server: TestServer;
  let api: Api;
  let owner: SignedIn;
  let docId: string;

  beforeAll(async () => {
    server = await startTestServer({ OPS_PER_SECOND: '1', MAX_DOCS_PER_SOCKET: String(MAX_DOCS) });
    api = server.api;
    owner = await api.signIn('Bad Input Owner');
    docId = await api.createDoc(owner.token, 'text', 'hello');
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  }, 30_000);

  /** Runs `act` and checks the document is unchanged afterwards (version and content). */
  async function unchanged(act: () => Promise<void>, id = docId): Promise<void> {
    const before = await api.getDoc(owner.token, id);
    await act();
    const after = await api.getDoc(owner.token, id);
    expect({ version: after.version, content: after.content }).toEqual({
      version: before.version,
      content: before.content,
    });
  }

  async function editor(): Promise<RawSocket> {
    const ws = await RawSocket.hello(server.wsUrl, owner.token);
    await ws.join(docId);
    return ws;
  }

  // The standalone config has no setting for the gateway's helloTimeoutMs, so this waits
  // out the default (10 s). It runs concurrently with the cases below, which run one
  // after another among themselves, so the wait costs the suite nothing.
  it.concurrent('a socket that never says hello is closed after the hello timeout', async () => {
    const silent = await RawSocket.open(server.wsUrl);
    const openedAt = Date.now();
    const closed = await silent.closed;
    expect(closed.code).toBe(4408);
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(9_000);
    expect(silent.received).toEqual([]);
  }, 20_000);

  describe.concurrent('every other case', () => {
    describe.sequential('over the WebSocket', () => {
      it('malformed JSON → BAD_JSON, and the socket stays usable', async () => {
        const ws = await editor();
        await unchanged(async () => {
          ws.send('{"type":"op", "docId": ');
          const err = await ws.error();
          expect(err).toMatchObject({ code: 'BAD_JSON', retryable: false });
        });
        await ws.roundTrip();
        ws.close();
      });

      it('an unknown message type → UNKNOWN_MESSAGE_TYPE', async () => {
        const ws = await editor();
        await unchanged(async () => {
          ws.send({ type: 'format-hard-drive', docId });
          expect(await ws.error()).toMatchObject({ code: 'UNKNOWN_MESSAGE_TYPE' });
        });
        ws.close();
      });

      it('a message before hello → BAD_MESSAGE', async () => {
        const ws = await RawSocket.open(server.wsUrl);
        await unchanged(async () => {
          ws.send({ type: 'op', docId, clientId: randomClientId(), seq: 1, baseVersion: 0, op: ['x'] });
          const err = await ws.error();
          expect(err.code).toBe('BAD_MESSAGE');
          expect(err.message).toMatch(/hello/);
          ws.send({ type: 'join', docId });
          expect((await ws.error()).code).toBe('BAD_MESSAGE');
        });
        expect(ws.all((m) => m.type === 'joined')).toEqual([]);
        ws.close();
      });

      it('a bad token → UNAUTHENTICATED, and the socket is closed', async () => {
        const ws = await RawSocket.open(server.wsUrl);
        ws.send({ type: 'hello', protocol: 1, token: 'not-a-jwt', clientId: randomClientId() });
        expect(await ws.error()).toMatchObject({ code: 'UNAUTHENTICATED', retryable: false });
        const closed = await ws.closed;
        expect(closed.code).toBe(4401);
        // A token signed with another secret is refused the same way.
        const [header, payload] = owner.token.split('.');
        const forged = await RawSocket.open(server.wsUrl);
        forged.send({
          type: 'hello',
          protocol: 1,
          token: `${header}.${payload}.AAAA`,
          clientId: randomClientId(),
        });
        expect((await forged.error()).code).toBe('UNAUTHENTICATED');
        await forged.closed;
      });

      it('a protocol version the server does not speak → PROTOCOL_VERSION, and the socket is closed', async () => {
        const ws = await RawSocket.open(server.wsUrl);
        ws.send({ type: 'hello', protocol: 2, token: owner.token, clientId: randomClientId() });
        expect(await ws.error()).toMatchObject({ code: 'PROTOCOL_VERSION' });
        expect(ws.all((m) => m.type === 'welcome')).toEqual([]);
        expect((await ws.closed).code).toBe(4401);
      });

      it('a message over maxMessageBytes: ws closes the socket with 1009 before the gateway parses it', async () => {
        const ws = await RawSocket.hello(server.wsUrl, owner.token);
        const welcome = ws.all((m) => m.type === 'welcome')[0];
        const maxBytes = welcome?.limits.maxMessageBytes as number;
        expect(maxBytes).toBe(160 * 1024);
        await ws.join(docId);
        await unchanged(async () => {
          ws.op(docId, 1, 0, ['x'.repeat(maxBytes + 1)]);
          const closed = await ws.closed;
          // The gateway's WebSocketServer has maxPayload = maxMessageBytes: ws refuses the
          // frame itself (close code 1009, "message too big"), so no MESSAGE_TOO_LARGE is sent.
          expect(closed.code).toBe(1009);
        });
        expect(ws.all((m) => m.type === 'ack')).toEqual([]);
      });

      it('an op of the wrong shape → OP_INVALID (with its seq)', async () => {
        const ws = await editor();
        await unchanged(async () => {
          ws.op(docId, 1, 0, [{ bogus: 1 }]);
          expect(await ws.error(docId)).toMatchObject({ code: 'OP_INVALID', seq: 1, docId });
          ws.op(docId, 2, 0, 'not an op');
          expect(await ws.error(docId)).toMatchObject({ code: 'OP_INVALID', seq: 2 });
          // Nested past the depth limit.
          let deep: unknown = 'x';
          for (let i = 0; i < 70; i++) deep = [deep];
          ws.op(docId, 3, 0, deep);
          expect(await ws.error(docId)).toMatchObject({ code: 'OP_INVALID', seq: 3 });
        });
        ws.close();
      });

      it('an op past the end of the document → OP_OUT_OF_RANGE', async () => {
        const ws = await editor();
        await unchanged(async () => {
          ws.op(docId, 1, 0, [50, 'x']);
          expect(await ws.error(docId)).toMatchObject({ code: 'OP_OUT_OF_RANGE', seq: 1 });
          ws.op(docId, 2, 0, [{ d: 99 }]);
          expect(await ws.error(docId)).toMatchObject({ code: 'OP_OUT_OF_RANGE', seq: 2 });
        });
        ws.close();
      });

      it('a lone surrogate in an op → OP_BAD_UNICODE', async () => {
        const ws = await editor();
        await unchanged(async () => {
          // JSON.stringify writes a lone surrogate as the escape \ud83d: valid JSON, invalid text.
          ws.op(docId, 1, 0, [1, 'a\ud83d']);
          expect(await ws.error(docId)).toMatchObject({ code: 'OP_BAD_UNICODE', seq: 1 });
        });
        ws.close();
      });

      it('an op over 64 KiB but under the message limit → OP_TOO_LARGE', async () => {
        const ws = await editor();
        await unchanged(async () => {
          ws.op(docId, 1, 0, ['y'.repeat(70_000)]);
          const err = await ws.error(docId);
          expect(err).toMatchObject({ code: 'OP_TOO_LARGE', seq: 1 });
          expect(err.details).toMatchObject({ maxOpBytes: 65_536 });
        });
        await ws.roundTrip();
        ws.close();
      });

      it('a baseVersion from the future → VERSION_FUTURE', async () => {
        const ws = await editor();
        const { version } = await api.getDoc(owner.token, docId);
        await unchanged(async () => {
          ws.op(docId, 1, version + 5, [1, 'z']);
          expect(await ws.error(docId)).toMatchObject({ code: 'VERSION_FUTURE', seq: 1 });
        });
        ws.close();
      });

      it('a join with a version from the future → VERSION_FUTURE', async () => {
        const ws = await RawSocket.hello(server.wsUrl, owner.token);
        const { version } = await api.getDoc(owner.token, docId);
        await unchanged(async () => {
          ws.send({ type: 'join', docId, version: version + 7 });
          const answer = await ws.next(
            (m) => (m.type === 'error' || m.type === 'joined') && m.docId === docId,
          );
          expect(answer).toMatchObject({ type: 'error', code: 'VERSION_FUTURE', docId });
          // Not joined: an op is refused as such.
          ws.op(docId, 1, version, [1, 'z']);
          expect(await ws.error(docId)).toMatchObject({ code: 'NOT_JOINED', seq: 1 });
        });
        ws.close();
      });

      it('a fetch beyond the current version → VERSION_FUTURE', async () => {
        const ws = await editor();
        const { version } = await api.getDoc(owner.token, docId);
        await unchanged(async () => {
          ws.send({ type: 'fetch', docId, from: 1, to: version + 3 });
          expect(await ws.error(docId)).toMatchObject({ code: 'VERSION_FUTURE', docId });
          ws.send({ type: 'fetch', docId, from: version + 4 });
          expect(await ws.error(docId)).toMatchObject({ code: 'VERSION_FUTURE', docId });
        });
        expect(ws.all((m) => m.type === 'catchup')).toEqual([]);
        ws.close();
      });

      it('presence at a version from the future → VERSION_FUTURE, and the other editors are not disturbed', async () => {
        const other = new LiveClient(server.wsUrl, owner.token, 'bystander').connect();
        const doc = other.open(docId);
        const events: string[] = [];
        doc.on('reset', ({ error }) => events.push(`reset ${error.code}`));
        doc.on('error', (error) => events.push(`error ${error.code}`));
        try {
          await waitFor(() => doc.isReady, 'the bystander to join');
          const ws = await editor();
          const { version } = await api.getDoc(owner.token, docId);
          await unchanged(async () => {
            ws.send({ type: 'presence', docId, version: version + 50, selection: { anchor: 0, head: 1 } });
            expect(await ws.error(docId)).toMatchObject({ code: 'VERSION_FUTURE', docId });
            // Presence is batched every 200 ms: give a bad batch time to reach the bystander.
            await sleep(700);
          });
          expect(ws.all((m) => m.type === 'presence-batch' && m.version > version)).toEqual([]);
          expect(events).toEqual([]);
          expect(doc.version).toBe(version);
          // Presence at a real version still works.
          ws.send({ type: 'presence', docId, version, selection: { anchor: 0, head: 1 } });
          await waitFor(() => doc.remotePresence.length === 1, 'the bystander to see the cursor', 5000);
          ws.close();
        } finally {
          other.disconnect();
        }
      });

      it('an op before join → NOT_JOINED', async () => {
        const ws = await RawSocket.hello(server.wsUrl, owner.token);
        await unchanged(async () => {
          ws.op(docId, 1, 0, [1, 'z']);
          expect(await ws.error(docId)).toMatchObject({ code: 'NOT_JOINED', seq: 1 });
        });
        ws.close();
      });

      it('an op with a clientId other than the hello’s → BAD_MESSAGE', async () => {
        const ws = await editor();
        await unchanged(async () => {
          ws.op(docId, 1, 0, [1, 'z'], randomClientId());
          const err = await ws.error(docId);
          expect(err).toMatchObject({ code: 'BAD_MESSAGE', seq: 1 });
          expect(err.message).toMatch(/clientId/);
        });
        ws.close();
      });

      it('a schema violation → BAD_MESSAGE naming the field', async () => {
        const ws = await editor();
        await unchanged(async () => {
          ws.send({ type: 'op', docId, clientId: ws.clientId, seq: 0, baseVersion: 0, op: ['q'] });
          const err = await ws.error();
          expect(err.code).toBe('BAD_MESSAGE');
          expect(err.message).toMatch(/seq/);
          ws.send({ type: 'join', docId: 'no spaces allowed' });
          expect((await ws.error()).message).toMatch(/docId/);
        });
        ws.close();
      });

      it('ops faster than OPS_PER_SECOND → RATE_LIMITED with retryAfterMs', async () => {
        const ws = await editor();
        const welcome = ws.all((m) => m.type === 'welcome')[0];
        expect(welcome?.limits.opsPerSecond).toBe(1);
        const { version } = await api.getDoc(owner.token, docId);
        await unchanged(async () => {
          // Spend the burst on ops the engine refuses (each OP_INVALID, committing nothing),
          // then a valid op: it must be refused by the rate limit, not committed.
          const burst = 230;
          for (let seq = 1; seq <= burst; seq++) ws.op(docId, seq, version, [{ bogus: seq }]);
          ws.op(docId, burst + 1, version, [1, 'rate']);
          const limited = await ws.next(
            (m) => m.type === 'error' && m.code === 'RATE_LIMITED' && m.seq === burst + 1,
            10_000,
          );
          expect(limited).toMatchObject({ retryable: true, docId });
          expect(limited.retryAfterMs).toBeGreaterThan(0);
          expect(limited.retryAfterMs).toBeLessThanOrEqual(1000);
          await ws.roundTrip();
          const codes = ws.all((m) => m.type === 'error').map((m) => m.code as string);
          expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(burst + 1 - 200);
          expect(new Set(codes)).toEqual(new Set(['OP_INVALID', 'RATE_LIMITED']));
        });
        expect(ws.all((m) => m.type === 'ack')).toEqual([]);
        ws.close();
      });

      it('joining more than MAX_DOCS_PER_SOCKET documents → TOO_MANY_DOCS', async () => {
        const ids = [docId];
        for (let i = 1; i <= MAX_DOCS; i++) ids.push(await api.createDoc(owner.token, 'text', `doc ${i}`));
        const ws = await RawSocket.hello(server.wsUrl, owner.token);
        for (const id of ids.slice(0, MAX_DOCS)) await ws.join(id);
        const extra = ids[MAX_DOCS] as string;
        await unchanged(async () => {
          ws.send({ type: 'join', docId: extra });
          expect(await ws.error(extra)).toMatchObject({ code: 'TOO_MANY_DOCS', docId: extra });
          ws.op(extra, 1, 0, ['x']);
          expect(await ws.error(extra)).toMatchObject({ code: 'NOT_JOINED' });
        }, extra);
        // Leaving one makes room.
        ws.send({ type: 'leave', docId: ids[0] });
        await ws.join(extra);
        ws.close();
      });
    });

    describe.sequential('over REST', () => {
      it('401 without a token and with a bad one', async () => {
        await unchanged(async () => {
          const none = await api.request('GET', `/api/v1/documents/${docId}`);
          expect(none.status).toBe(401);
          expect(none.body.error.code).toBe('UNAUTHENTICATED');
          const bad = await api.request('GET', `/api/v1/documents/${docId}`, { token: 'garbage' });
          expect(bad.status).toBe(401);
          expect(bad.body.error.code).toBe('UNAUTHENTICATED');
          const post = await api.request('POST', '/api/v1/documents', {
            token: `${owner.token}x`,
            body: { title: 'nope', type: 'text' },
          });
          expect(post.status).toBe(401);
          const del = await api.request('DELETE', `/api/v1/documents/${docId}`, { token: 'garbage' });
          expect(del.status).toBe(401);
        });
      });

      it('400 naming the bad field', async () => {
        await unchanged(async () => {
          const badType = await api.request('POST', '/api/v1/documents', {
            token: owner.token,
            body: { title: 'x', type: 'spreadsheet' },
          });
          expect(badType.status).toBe(400);
          expect(badType.body.error.code).toBe('BAD_MESSAGE');
          expect(badType.body.error.details.field).toBe('type');
          expect(badType.body.error.message).toMatch(/type/);

          const badRole = await api.request('PUT', `/api/v1/documents/${docId}/permissions/someone`, {
            token: owner.token,
            body: { role: 'emperor' },
          });
          expect(badRole.status).toBe(400);
          expect(badRole.body.error.details.field).toBe('role');

          const badFrom = await api.request('GET', `/api/v1/documents/${docId}/ops?from=zero`, {
            token: owner.token,
          });
          expect(badFrom.status).toBe(400);
          expect(badFrom.body.error.details.field).toBe('from');

          const badRestore = await api.request('POST', `/api/v1/documents/${docId}/restore`, {
            token: owner.token,
            body: { targetVersion: -1 },
          });
          expect(badRestore.status).toBe(400);
          expect(badRestore.body.error.details.field).toBe('targetVersion');

          const badJson = await api.request('POST', `/api/v1/documents/${docId}/restore`, {
            token: owner.token,
            headers: { 'content-type': 'application/json' },
          });
          expect(badJson.status).toBe(400);
        });
        // A rejected creation left no document behind.
        const list = await api.request('GET', '/api/v1/documents?limit=100', { token: owner.token });
        expect(list.body.items.some((d: { title: string }) => d.title === 'x')).toBe(false);
      });

      it('404 for an unknown document', async () => {
        const unknown = 'no-such-document-0123456789';
        for (const path of [
          `/api/v1/documents/${unknown}`,
          `/api/v1/documents/${unknown}/ops`,
          `/api/v1/documents/${unknown}/versions/0`,
        ]) {
          const res = await api.request('GET', path, { token: owner.token });
          expect(res.status, path).toBe(404);
          expect(res.body.error.code, path).toBe('DOC_NOT_FOUND');
        }
        const restore = await api.request('POST', `/api/v1/documents/${unknown}/restore`, {
          token: owner.token,
          body: { targetVersion: 0 },
        });
        expect(restore.status).toBe(404);
      });

      it('409 for a version from the future', async () => {
        await unchanged(async () => {
          const { version } = await api.getDoc(owner.token, docId);
          const ops = await api.request('GET', `/api/v1/documents/${docId}/ops?to=${version + 10}`, {
            token: owner.token,
          });
          expect(ops.status).toBe(409);
          expect(ops.body.error).toMatchObject({ code: 'VERSION_FUTURE', details: { version } });
          const at = await api.request('GET', `/api/v1/documents/${docId}/versions/${version + 1}`, {
            token: owner.token,
          });
          expect(at.status).toBe(409);
          const restore = await api.request('POST', `/api/v1/documents/${docId}/restore`, {
            token: owner.token,
            body: { targetVersion: version + 3 },
          });
          expect(restore.status).toBe(409);
          expect(restore.body.error.code).toBe('VERSION_FUTURE');
        });
      });
    });
  });
});
