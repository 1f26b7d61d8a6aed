import { TandemError } from '@tandem/errors';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_MESSAGE_TYPES,
  type ClientMessage,
  DEFAULT_MAX_MESSAGE_BYTES,
  encodeMessage,
  PROTOCOL_VERSION,
  parseClientMessage,
  parseServerFrame,
  parseServerMessage,
  SERVER_MESSAGE_TYPES,
  type ServerMessage,
} from '../src/index.js';

/** The TandemError that `fn` throws; fails the test when it throws anything else or nothing. */
function errorOf(fn: () => unknown): TandemError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TandemError);
    return err as TandemError;
  }
  throw new Error('expected a TandemError, nothing was thrown');
}

const utf8 = (s: string) => new TextEncoder().encode(s).byteLength;

/** A hello message whose JSON is exactly `bytes` bytes of UTF-8, padded with two-byte "é" in the token. */
function helloOfBytes(bytes: number): string {
  const envelope = (token: string) =>
    encodeMessage({ type: 'hello', protocol: 1, token, clientId: 'client-0001' });
  const room = bytes - utf8(envelope(''));
  const raw = envelope('é'.repeat(Math.floor(room / 2)) + 'a'.repeat(room % 2));
  expect(utf8(raw)).toBe(bytes);
  return raw;
}

const clientExamples: ClientMessage[] = [
  { type: 'hello', protocol: PROTOCOL_VERSION, token: 'eyJhbGciOi.token', clientId: 'client-0001' },
  { type: 'join', docId: 'doc-1' },
  { type: 'join', docId: 'doc-1', version: 12 },
  { type: 'leave', docId: 'doc-1' },
  { type: 'op', docId: 'doc-1', clientId: 'client-0001', seq: 3, baseVersion: 12, op: [5, 'hi', { d: 2 }] },
  { type: 'fetch', docId: 'doc-1', from: 4, to: 9 },
  { type: 'fetch', docId: 'doc-1', from: 4 },
  { type: 'presence', docId: 'doc-1', version: 12, selection: { anchor: 3, head: 7 } },
  { type: 'presence', docId: 'board', version: 2, selection: { anchor: ['cards', 0], head: ['cards', 0] } },
  { type: 'presence', docId: 'doc-1', version: 12, selection: null },
  { type: 'ping', t: 1700000000000 },
  { type: 'ping' },
];

const serverExamples: ServerMessage[] = [
  {
    type: 'welcome',
    protocol: PROTOCOL_VERSION,
    sessionId: 'session-1',
    userId: 'alice',
    heartbeatMs: 20_000,
    limits: {
      maxMessageBytes: 163_840,
      maxOpBytes: 65_536,
      opsPerSecond: 50,
      maxDocs: 100,
      maxPendingOps: 1,
    },
  },
  { type: 'joined', docId: 'doc-1', docType: 'text', version: 0, role: 'editor', snapshot: 'hello' },
  { type: 'joined', docId: 'doc-1', docType: 'json1', version: 12, role: 'viewer' },
  {
    type: 'catchup',
    docId: 'doc-1',
    from: 1,
    to: 2,
    ops: [
      { version: 1, op: ['a'], author: 'alice', clientId: 'client-0001', seq: 1 },
      { version: 2, op: [1, 'b'], author: 'bob', clientId: 'client-0002', seq: 1 },
    ],
  },
  { type: 'ack', docId: 'doc-1', seq: 3, version: 13 },
  {
    type: 'remote-op',
    docId: 'doc-1',
    version: 14,
    op: [{ d: 1 }],
    author: 'bob',
    clientId: 'client-0002',
    seq: 7,
  },
  {
    type: 'presence-batch',
    docId: 'doc-1',
    version: 14,
    users: [
      {
        userId: 'bob',
        clientId: 'client-0002',
        name: 'Bob',
        color: '#e91e63',
        selection: { anchor: 2, head: 2 },
      },
      { userId: 'carol', clientId: 'client-0003', name: 'Carol', color: '#3f51b5', selection: null },
    ],
  },
  {
    type: 'error',
    code: 'UNAVAILABLE',
    message: 'op log down',
    docId: 'doc-1',
    seq: 4,
    retryable: true,
    retryAfterMs: 500,
  },
  { type: 'error', code: 'UNAUTHENTICATED', message: 'bad token', retryable: false },
  {
    type: 'error',
    code: 'OP_TOO_LARGE',
    message: 'The op is 70000 bytes; the limit is 65536',
    docId: 'doc-1',
    seq: 5,
    retryable: false,
    details: { bytes: 70_000, maxOpBytes: 65_536 },
  },
  {
    type: 'conflict',
    docId: 'board',
    version: 8,
    conflicts: [
      {
        kind: 'drop-collision',
        description: 'Two edits wrote a value at /title; the one committed first was kept.',
        first: { userId: 'alice', clientId: 'client-0001', version: 7 },
        later: { userId: 'bob', clientId: 'client-0002', seq: 2 },
        kept: 'first',
        op: ['title', { i: 'B' }],
      },
    ],
  },
  { type: 'pong', t: 1700000000000 },
  { type: 'redirect', reason: 'draining', url: 'wss://gw-2.example/ws', retryAfterMs: 100 },
  { type: 'redirect', reason: 'draining' },
];

describe('round trips', () => {
  it.each(clientExamples.map((m) => [m.type, m] as const))(
    'a %s message from a client survives encode and parse',
    (_t, m) => {
      expect(parseClientMessage(encodeMessage(m))).toEqual(m);
    },
  );

  it.each(serverExamples.map((m) => [m.type, m] as const))(
    'a %s message from the server survives encode and parse',
    (_t, m) => {
      expect(parseServerMessage(encodeMessage(m))).toEqual(m);
    },
  );

  it('the examples cover every client and server message type', () => {
    expect(new Set(clientExamples.map((m) => m.type))).toEqual(new Set(CLIENT_MESSAGE_TYPES));
    expect(new Set(serverExamples.map((m) => m.type))).toEqual(new Set(SERVER_MESSAGE_TYPES));
  });

  it('a message given as UTF-8 bytes parses like the same string', () => {
    const m: ClientMessage = {
      type: 'op',
      docId: 'd',
      clientId: 'client-0001',
      seq: 1,
      baseVersion: 0,
      op: ['héllo 👋'],
    };
    expect(parseClientMessage(new TextEncoder().encode(encodeMessage(m)))).toEqual(m);
  });

  it('a join without a version stays without one, so the server answers with a snapshot', () => {
    expect(parseClientMessage('{"type":"join","docId":"d"}')).not.toHaveProperty('version');
  });
});

describe('MESSAGE_TOO_LARGE', () => {
  it('a message over maxBytes is refused before it is parsed, with its size and the limit', () => {
    const raw = `{"type":"ping","pad":"${'x'.repeat(200)}"}`;
    const e = errorOf(() => parseClientMessage(raw, 100));
    expect(e.code).toBe('MESSAGE_TOO_LARGE');
    expect(e.details).toEqual({ bytes: 224, maxBytes: 100 });
    expect(e.message).toBe('The message is 224 bytes; the limit is 100');
  });

  it('a message of exactly maxBytes is accepted', () => {
    expect(parseClientMessage(helloOfBytes(100), 100).type).toBe('hello');
  });

  it('the limit counts UTF-8 bytes, so a multi-byte string with fewer characters than the limit is refused one byte over', () => {
    const raw = helloOfBytes(101);
    expect(raw.length).toBeLessThan(100);
    const e = errorOf(() => parseClientMessage(raw, 100));
    expect(e.code).toBe('MESSAGE_TOO_LARGE');
    expect(e.details).toEqual({ bytes: 101, maxBytes: 100 });
  });

  it('a message given as bytes is measured by its byte length', () => {
    const bytes = new TextEncoder().encode(helloOfBytes(101));
    expect(errorOf(() => parseClientMessage(bytes, 100)).code).toBe('MESSAGE_TOO_LARGE');
    expect(parseClientMessage(bytes, 101).type).toBe('hello');
  });

  it('a client message is limited to DEFAULT_MAX_MESSAGE_BYTES by default', () => {
    expect(errorOf(() => parseClientMessage(helloOfBytes(DEFAULT_MAX_MESSAGE_BYTES + 1))).code).toBe(
      'MESSAGE_TOO_LARGE',
    );
  });

  it('a server message has no limit by default', () => {
    const snapshot = 'x'.repeat(DEFAULT_MAX_MESSAGE_BYTES * 2);
    const m = parseServerMessage(
      encodeMessage({ type: 'joined', docId: 'd', docType: 'text', version: 0, role: 'editor', snapshot }),
    );
    expect(m).toMatchObject({ type: 'joined', snapshot });
  });
});

describe('BAD_JSON', () => {
  it.each([['{"type":"ping"'], ["{'type':'ping'}"], [''], ['ping']])('%j is refused as BAD_JSON', (raw) => {
    const e = errorOf(() => parseClientMessage(raw));
    expect(e.code).toBe('BAD_JSON');
    expect(e.retryable).toBe(false);
  });
});

describe('BAD_MESSAGE: not a message', () => {
  it.each([
    ['a JSON array', '[{"type":"ping"}]'],
    ['a JSON number', '42'],
    ['a JSON string', '"ping"'],
    ['null', 'null'],
    ['an object without a type', '{"docId":"d"}'],
    ['an object with a type that is not a string', '{"type":7}'],
  ])('%s is refused as BAD_MESSAGE', (_what, raw) => {
    const e = errorOf(() => parseClientMessage(raw));
    expect(e.code).toBe('BAD_MESSAGE');
    expect(e.message).toBe('A message is a JSON object with a string "type"');
  });
});

describe('UNKNOWN_MESSAGE_TYPE', () => {
  it('a type no client sends is refused, naming the type and listing the known ones', () => {
    const e = errorOf(() => parseClientMessage('{"type":"subscribe","docId":"d"}'));
    expect(e.code).toBe('UNKNOWN_MESSAGE_TYPE');
    expect(e.message).toBe('Unknown message type "subscribe"');
    expect(e.details).toEqual({ known: CLIENT_MESSAGE_TYPES });
  });

  it('a server message type sent by a client is unknown, and a client message type sent by the server too', () => {
    expect(errorOf(() => parseClientMessage('{"type":"ack","docId":"d","seq":1,"version":1}')).code).toBe(
      'UNKNOWN_MESSAGE_TYPE',
    );
    expect(errorOf(() => parseServerMessage('{"type":"ping"}')).code).toBe('UNKNOWN_MESSAGE_TYPE');
  });

  it('a long unknown type is cut to 64 characters in the error message', () => {
    const e = errorOf(() => parseClientMessage(JSON.stringify({ type: 'z'.repeat(1000) })));
    expect(e.message).toBe(`Unknown message type "${'z'.repeat(64)}"`);
  });
});

describe('BAD_MESSAGE: bad fields', () => {
  const op = { type: 'op', docId: 'doc-1', clientId: 'client-0001', seq: 1, baseVersion: 0, op: ['x'] };

  it.each([
    ['op', 'a negative seq', 'seq', { ...op, seq: -1 }],
    ['op', 'a zero seq', 'seq', { ...op, seq: 0 }],
    ['op', 'a fractional base version', 'baseVersion', { ...op, baseVersion: 1.5 }],
    ['op', 'a docId with a space and a slash', 'docId', { ...op, docId: 'my doc/1' }],
    ['op', 'a docId longer than 128 characters', 'docId', { ...op, docId: 'd'.repeat(129) }],
    ['op', 'no op', 'op', { ...op, op: undefined }],
    [
      'hello',
      'a clientId shorter than 8 characters',
      'clientId',
      { type: 'hello', protocol: 1, token: 't', clientId: 'short' },
    ],
    ['hello', 'an empty token', 'token', { type: 'hello', protocol: 1, token: '', clientId: 'client-0001' }],
    ['join', 'a negative version', 'version', { type: 'join', docId: 'd', version: -3 }],
    ['fetch', 'from 0', 'from', { type: 'fetch', docId: 'd', from: 0 }],
    ['fetch', 'to below from', 'to', { type: 'fetch', docId: 'd', from: 5, to: 2 }],
    [
      'presence',
      'a negative cursor',
      'selection.anchor',
      { type: 'presence', docId: 'd', version: 0, selection: { anchor: -1, head: 0 } },
    ],
    ['presence', 'no selection at all', 'selection', { type: 'presence', docId: 'd', version: 0 }],
  ])('a %s message with %s is refused as BAD_MESSAGE naming %s', (type, _what, field, message) => {
    const e = errorOf(() => parseClientMessage(JSON.stringify(message)));
    expect(e.code).toBe('BAD_MESSAGE');
    expect(e.message).toMatch(new RegExp(`^Bad ${type} message: ${field.replace('.', '\\.')}: `));
    expect(e.details?.issues).toContainEqual(expect.objectContaining({ path: field }));
  });

  it('the error message carries the rule that was broken', () => {
    const e = errorOf(() => parseClientMessage('{"type":"join","docId":"bad id!"}'));
    expect(e.message).toBe('Bad join message: docId: a document id is 1-128 of A-Z a-z 0-9 _ -');
  });

  it('a server frame is one message or an array of messages, kept in order', () => {
    const ack = { type: 'ack', docId: 'd', seq: 1, version: 1 } as const;
    const pong = { type: 'pong', t: 5 } as const;
    expect(parseServerFrame(JSON.stringify(ack))).toEqual([ack]);
    expect(parseServerFrame(JSON.stringify([ack, pong, ack]))).toEqual([ack, pong, ack]);
    expect(parseServerFrame('[]')).toEqual([]);
  });

  it('one bad message fails its whole frame, with the same codes as a single message', () => {
    const ack = { type: 'ack', docId: 'd', seq: 1, version: 1 };
    expect(errorOf(() => parseServerFrame(JSON.stringify([ack, { type: 'ping' }]))).code).toBe(
      'UNKNOWN_MESSAGE_TYPE',
    );
    expect(errorOf(() => parseServerFrame(JSON.stringify([ack, [ack]]))).code).toBe('BAD_MESSAGE');
    expect(errorOf(() => parseServerFrame('[{"type":"ack"')).code).toBe('BAD_JSON');
  });

  it('a server message with a bad field is refused the same way', () => {
    const e = errorOf(() => parseServerMessage('{"type":"ack","docId":"d","seq":1,"version":0}'));
    expect(e.code).toBe('BAD_MESSAGE');
    expect(e.message).toMatch(/^Bad ack message: version: /);
  });

  it('an error message with a code that is not one of ERROR_CODES is refused', () => {
    const e = errorOf(() =>
      parseServerMessage('{"type":"error","code":"OOPS","message":"m","retryable":false}'),
    );
    expect(e.code).toBe('BAD_MESSAGE');
    expect(e.message).toMatch(/^Bad error message: code: /);
  });
});
