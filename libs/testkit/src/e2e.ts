/**
 * Helpers of end-to-end tests against a running Tandem server, whatever its mode (the
 * standalone server, or the gateways and api of a cluster): its REST API over real HTTP,
 * raw WebSockets for protocol-level tests, TandemClients for editor-level ones, and the
 * checks of the contract (the op log's invariants, its replay).
 */
import { createServer } from 'node:net';
import { signToken } from '@tandem/auth';
import { type ClientDoc, connectWebSocket, TandemClient } from '@tandem/client';
import WebSocket from 'ws';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds; rejects after `ms` naming what it waited for. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A TCP port that was free a moment ago (for a child process that must keep it across restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function wsUrlOf(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}/ws`;
}

// ---------------------------------------------------------------------------
// REST

/**
 * Parsed JSON from the server. Loosely typed on purpose: these tests read the wire as it
 * is, and their assertions are the type check.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any;

export interface HttpResult<T = Json> {
  status: number;
  body: T;
}

export interface SignedIn {
  token: string;
  userId: string;
  name: string;
}

/** Mints a token for a user named `name`: how a test's users sign in. */
export type SignIn = (name: string) => Promise<SignedIn>;

export interface CommittedRecord {
  version: number;
  op: unknown;
  author: string;
  clientId: string;
  seq: number;
  ts: number;
}

/** Signs in through POST /api/v1/dev/sign-in, on a server that has it (the embedded one). */
export function devSignIn(base: string): SignIn {
  return async (name) => {
    const res = await fetch(`${base}/api/v1/dev/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    const body = await res.text();
    if (res.status !== 200)
      throw new Error(`POST /api/v1/dev/sign-in: expected 200, got ${res.status} ${body}`);
    return JSON.parse(body) as SignedIn;
  };
}

/**
 * Mints HS256 tokens with the servers' AUTH_SECRET, for servers with no dev sign-in (a
 * cluster). The user id is the name in lowercase ASCII letters, digits and dashes, as the
 * dev sign-in makes it.
 */
export function tokenSignIn(secret: string): SignIn {
  return async (name) => {
    const userId = name
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64);
    if (userId === '') throw new Error(`no user id in the name ${JSON.stringify(name)}`);
    return { token: await signToken(secret, { userId, name }), userId, name };
  };
}

/** The REST API over real HTTP; `mint` is how its users get their tokens (signIn). */
export class Api {
  constructor(
    readonly base: string,
    private readonly mint: SignIn,
  ) {}

  async request<T = Json>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: body as T };
  }

  private async ok<T = Json>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown } = {},
    expected = 200,
  ): Promise<T> {
    const res = await this.request<T>(method, path, options);
    if (res.status !== expected) {
      throw new Error(
        `${method} ${path}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`,
      );
    }
    return res.body;
  }

  signIn(name: string): Promise<SignedIn> {
    return this.mint(name);
  }

  async createDoc(token: string, type: string, content?: unknown, title = `e2e ${type}`): Promise<string> {
    const body = await this.ok<{ id: string }>(
      'POST',
      '/api/v1/documents',
      { token, body: { title, type, ...(content === undefined ? {} : { content }) } },
      201,
    );
    return body.id;
  }

  grant(
    token: string,
    docId: string,
    userId: string,
    role: 'editor' | 'commenter' | 'viewer',
  ): Promise<unknown> {
    return this.ok('PUT', `/api/v1/documents/${docId}/permissions/${userId}`, { token, body: { role } });
  }

  revoke(token: string, docId: string, userId: string): Promise<unknown> {
    return this.ok('DELETE', `/api/v1/documents/${docId}/permissions/${userId}`, { token }, 204);
  }

  getDoc(token: string, docId: string): Promise<{ version: number; content: unknown; type: string }> {
    return this.ok('GET', `/api/v1/documents/${docId}`, { token });
  }

  /** The whole op log from version 1, following `next` from page to page. */
  async allOps(token: string, docId: string): Promise<CommittedRecord[]> {
    const ops: CommittedRecord[] = [];
    let from: number | null = 1;
    while (from !== null) {
      const page: { ops: CommittedRecord[]; next: number | null } = await this.ok(
        'GET',
        `/api/v1/documents/${docId}/ops?from=${from}`,
        { token },
      );
      ops.push(...page.ops);
      from = page.next;
    }
    return ops;
  }
}

// ---------------------------------------------------------------------------
// Raw WebSocket

/** A message from the server, as parsed JSON (the tests check the wire, not the SDK). */
export type Msg = { type: string; [key: string]: Json };

/**
 * A raw `ws` socket that records everything the server sends, for tests that speak the
 * protocol by hand (bad input, authorization, redirects).
 */
export class RawSocket {
  readonly received: Msg[] = [];
  private readonly taken = new Set<number>();
  private waiters: (() => void)[] = [];
  closeInfo: { code: number; reason: string } | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      // A frame holds one message or, when the gateway sent several in one turn, their array.
      const frame = JSON.parse(String(data)) as Msg | Msg[];
      this.received.push(...(Array.isArray(frame) ? frame : [frame]));
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.wake();
      });
    });
    ws.on('error', () => {});
  }

  static open(wsUrl: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl);
      const socket = new RawSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  /** Opens a socket and says hello; resolves after the welcome. */
  static async hello(wsUrl: string, token: string, clientId = randomClientId()): Promise<RawSocket> {
    const socket = await RawSocket.open(wsUrl);
    socket.send({ type: 'hello', protocol: 1, token, clientId });
    const welcome = await socket.next((m) => m.type === 'welcome' || m.type === 'error');
    if (welcome.type !== 'welcome') throw new Error(`hello refused: ${JSON.stringify(welcome)}`);
    socket.clientId = clientId;
    return socket;
  }

  clientId = '';

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** The first message not yet taken that matches; waits for it up to `ms`. */
  async next(predicate: (m: Msg) => boolean = () => true, ms = 5000): Promise<Msg> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (let i = 0; i < this.received.length; i++) {
        const m = this.received[i] as Msg;
        if (!this.taken.has(i) && predicate(m)) {
          this.taken.add(i);
          return m;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closeInfo) {
        throw new Error(
          `no matching message within ${ms} ms${this.closeInfo ? ` (socket closed ${this.closeInfo.code})` : ''}; got ${JSON.stringify(this.received).slice(0, 2000)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The error answering a message (the next `error`, optionally for `docId`). */
  error(docId?: string, ms = 5000): Promise<Msg> {
    return this.next((m) => m.type === 'error' && (docId === undefined || m.docId === docId), ms);
  }

  /** Joins and resolves with `joined`, or throws with the error. */
  async join(docId: string, version?: number): Promise<Msg> {
    this.send({ type: 'join', docId, ...(version === undefined ? {} : { version }) });
    const m = await this.next((x) => (x.type === 'joined' || x.type === 'error') && x.docId === docId);
    if (m.type !== 'joined') throw new Error(`join refused: ${JSON.stringify(m)}`);
    return m;
  }

  /** Sends an op with this socket's clientId. */
  op(docId: string, seq: number, baseVersion: number, op: unknown, clientId = this.clientId): void {
    this.send({ type: 'op', docId, clientId, seq, baseVersion, op });
  }

  /** A ping answered by a pong proves every earlier message of this socket has been handled. */
  async roundTrip(): Promise<void> {
    const t = Math.floor(Math.random() * 1e9);
    this.send({ type: 'ping', t });
    await this.next((m) => m.type === 'pong' && m.t === t);
  }

  /** Messages matching `predicate` received so far, taken or not. */
  all(predicate: (m: Msg) => boolean): Msg[] {
    return this.received.filter(predicate);
  }

  close(): void {
    this.ws.close();
  }
}

export function randomClientId(): string {
  return `e2e${Math.random().toString(36).slice(2, 12)}${Date.now().toString(36)}`;
}

// ---------------------------------------------------------------------------
// SDK clients

/** `ws`, calling `onSend` with every message a client sends (to record what went over the wire). */
function recordingWebSocket(onSend: (data: string) => void): typeof WebSocket {
  return class RecordingWebSocket extends WebSocket {
    override send(data: Json, options?: Json, cb?: Json): void {
      onSend(String(data));
      super.send(data, options, cb);
    }
  };
}

export interface LiveClientOptions {
  label?: string;
  /** Called with every raw message the client sends. */
  onSend?: (data: string) => void;
}

/** A TandemClient on its own socket, with a fast reconnect (tests do not wait for real backoff). */
export class LiveClient {
  readonly client: TandemClient;
  readonly label: string;
  private stopSocket: (() => void) | null = null;
  private readonly Ctor: typeof WebSocket;

  constructor(
    private url: string,
    token: string,
    options: LiveClientOptions | string = {},
  ) {
    const opts = typeof options === 'string' ? { label: options } : options;
    this.label = opts.label ?? '';
    this.Ctor = opts.onSend ? recordingWebSocket(opts.onSend) : WebSocket;
    this.client = new TandemClient({ token, doc: { undo: false } });
  }

  connect(url = this.url): this {
    this.url = url;
    this.stopSocket?.();
    this.stopSocket = connectWebSocket(this.client, url, {
      WebSocket: this.Ctor,
      minDelayMs: 25,
      maxDelayMs: 250,
    });
    return this;
  }

  /** Closes the socket for good (until connect() again). */
  disconnect(): void {
    this.stopSocket?.();
    this.stopSocket = null;
  }

  open(docId: string): ClientDoc {
    return this.client.open(docId);
  }
}

/** Applies `ops` to `initial` with `type`: the op log replayed from version 0. */
export function replay(
  type: { create(initial?: unknown): unknown; apply(snapshot: unknown, op: unknown): unknown },
  initial: unknown,
  ops: readonly { op: unknown }[],
): unknown {
  return ops.reduce((snapshot, r) => type.apply(snapshot, r.op), type.create(initial));
}

/** Checks the op log's invariants: versions 1..n without holes, each (clientId, seq) at most once. */
export function checkLog(ops: readonly CommittedRecord[]): string[] {
  const problems: string[] = [];
  ops.forEach((r, i) => {
    if (r.version !== i + 1) problems.push(`version ${r.version} at position ${i + 1}`);
  });
  const seen = new Map<string, number>();
  for (const r of ops) {
    const key = `${r.clientId}#${r.seq}`;
    const before = seen.get(key);
    if (before !== undefined) problems.push(`${key} committed twice: versions ${before} and ${r.version}`);
    seen.set(key, r.version);
  }
  return problems;
}
