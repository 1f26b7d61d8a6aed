import { randomUUID } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { availableParallelism, cpus } from 'node:os';
import { colorOf } from '@tandem/core';
import { processCpuSeconds, Random, seedFromEnv, sleep } from '@tandem/testkit';
import WebSocket, { WebSocketServer } from 'ws';
import { num, table } from './report.js';
import { freePort, ServerChannel } from './targets/child-process.js';
import { serveCommands } from './targets/ipc.js';
import { standaloneTarget } from './targets/standalone-target.js';

/**
 * pnpm bench:presence — issue 5's presence measurement: EDITORS (50) editors on one text
 * document move their cursors MOVES_PER_S (5) times a second over real WebSockets, against
 *
 * - tandem: the standalone server (services/standalone in a child process, as `pnpm load`
 *   starts it), whose PresenceHub sends the document one batch of every cursor each 200 ms;
 * - naive: a relay (this file in a child process, BENCH_PRESENCE_ROLE=relay) that sends
 *   every move to every other editor of the document at once, in the same message format
 *   (a presence-batch holding the one user who moved), one frame per move and recipient.
 *
 * Nobody types: the two designs differ only in presence. Each editor's socket goes through
 * a counting TCP proxy in this process, which measures what the server sent (bytes on the
 * wire, WebSocket framing included, and data frames); each editor counts the protocol
 * messages it received (a Tandem frame may hold several, as an array) and their bytes.
 * After WARMUP_S (2) seconds of moving, DURATION_S (10) seconds are measured, with the
 * server process's CPU time. SEED replays the cursor moves. MOVERS=n lets only n editors
 * move; the others stay still, restating their cursor every 4 s as ClientDoc does (or their
 * entry expires).
 */

const EDITORS = Number(process.env.EDITORS ?? 50);
const MOVES_PER_S = Number(process.env.MOVES_PER_S ?? 5);
const MOVERS = Number(process.env.MOVERS ?? EDITORS);
const IDLE_RESEND_MS = 4000;
const WARMUP_S = Number(process.env.WARMUP_S ?? 2);
const DURATION_S = Number(process.env.DURATION_S ?? 10);
const DOC_ID = 'bench-presence';
const CONTENT = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(35);

type Msg = { type: string; [key: string]: unknown };

// ---------------------------------------------------------------------------
// The naive design

/** A user id from a name, as the dev sign-in makes it, so both designs send ids of the same size. */
const userIdOf = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

/**
 * Every move to every other editor of the document, at once. The token is the user's
 * name: the relay checks nothing, which only flatters it.
 */
async function runRelay(): Promise<void> {
  const port = await freePort();
  const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/ws' });
  const docs = new Map<string, Set<WebSocket>>();
  wss.on('connection', (ws) => {
    let user = { userId: '', name: '', clientId: '' };
    const joined = new Set<string>();
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Msg;
      if (m.type === 'hello') {
        const name = String(m.token);
        user = { userId: userIdOf(name), name, clientId: String(m.clientId) };
        ws.send(
          JSON.stringify({ type: 'welcome', protocol: 1, sessionId: randomUUID(), userId: user.userId }),
        );
      } else if (m.type === 'join') {
        const docId = String(m.docId);
        const sockets = docs.get(docId) ?? new Set<WebSocket>();
        docs.set(docId, sockets);
        sockets.add(ws);
        joined.add(docId);
        ws.send(JSON.stringify({ type: 'joined', docId, docType: 'text', version: 0, role: 'editor' }));
      } else if (m.type === 'presence') {
        const docId = String(m.docId);
        if (!joined.has(docId)) return;
        // Encoded once for every recipient, as the gateway encodes a broadcast.
        const frame = JSON.stringify({
          type: 'presence-batch',
          docId,
          version: m.version,
          users: [{ ...user, color: colorOf(user.userId), selection: m.selection }],
        });
        for (const other of docs.get(docId) ?? [])
          if (other !== ws && other.readyState === WebSocket.OPEN) other.send(frame);
      }
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      for (const docId of joined) docs.get(docId)?.delete(ws);
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  serveCommands(`ws://127.0.0.1:${port}/ws`, async () => {});
}

// ---------------------------------------------------------------------------
// Measuring

/**
 * Counts the data frames in the server-to-client half of a WebSocket connection: the HTTP
 * upgrade answer, then frames (unmasked, as a server sends them), whose payloads are skipped
 * without being kept.
 */
class FrameCounter {
  frames = 0;
  private pending: Buffer = Buffer.alloc(0);
  private skip = 0;
  private upgraded = false;

  push(chunk: Buffer): void {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    if (!this.upgraded) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = Buffer.from(buf);
        return;
      }
      this.upgraded = true;
      buf = buf.subarray(end + 4);
    }
    while (buf.length > 0) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length);
        this.skip -= n;
        buf = buf.subarray(n);
        continue;
      }
      const header = frameHeader(buf);
      if (!header) {
        this.pending = Buffer.from(buf);
        return;
      }
      // Text and binary frames are messages; continuations, pings, pongs and closes are not.
      if (header.opcode === 1 || header.opcode === 2) this.frames++;
      this.skip = header.payload;
      buf = buf.subarray(header.length);
    }
  }
}

/** A frame header's size and payload length, or null when `buf` does not hold all of it yet. */
function frameHeader(buf: Buffer): { opcode: number; length: number; payload: number } | null {
  if (buf.length < 2) return null;
  const opcode = (buf[0] as number) & 0x0f;
  const masked = ((buf[1] as number) & 0x80) !== 0;
  const len7 = (buf[1] as number) & 0x7f;
  const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
  const length = 2 + extended + (masked ? 4 : 0);
  if (buf.length < length) return null;
  const payload = len7 === 126 ? buf.readUInt16BE(2) : len7 === 127 ? Number(buf.readBigUInt64BE(2)) : len7;
  return { opcode, length, payload };
}

/** A TCP proxy in front of a server that counts what each side sent. */
class CountingProxy {
  serverBytes = 0;
  clientBytes = 0;
  private readonly counters: FrameCounter[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(targetPort: number): Promise<{ proxy: CountingProxy; port: number }> {
    const server = createServer();
    const proxy = new CountingProxy(server);
    server.on('connection', (client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      const counter = new FrameCounter();
      proxy.counters.push(counter);
      for (const s of [client, upstream]) {
        proxy.sockets.add(s);
        s.setNoDelay(true);
        s.on('error', () => {});
        s.on('close', () => {
          proxy.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk: Buffer) => {
        proxy.clientBytes += chunk.length;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        proxy.serverBytes += chunk.length;
        counter.push(chunk);
        client.write(chunk);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { proxy, port: (server.address() as AddressInfo).port };
  }

  get serverFrames(): number {
    return this.counters.reduce((n, c) => n + c.frames, 0);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** One editor: a raw socket that says hello, joins, and then moves its cursor until stopped. */
class Editor {
  messages = 0;
  bytes = 0;
  /** Presence messages sent: moves, and an idle editor's restatements. */
  reports = 0;
  /** Other editors whose cursor this one has been shown. */
  readonly seen = new Set<string>();
  /** Messages other than presence batches (an error, say), and the first of them. */
  unexpected = 0;
  firstUnexpected: Msg | null = null;
  private version = 0;
  private position: number;
  private head: number;
  private timers: ReturnType<typeof setTimeout>[] = [];
  private readonly ws: WebSocket;
  private readonly ready: Promise<void>;

  constructor(
    url: string,
    token: string,
    readonly clientId: string,
    private readonly random: Random,
  ) {
    this.position = random.int(CONTENT.length);
    this.head = this.position;
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ready = new Promise((resolve, reject) => {
      this.ws.on('error', reject);
      this.ws.once('open', () => this.send({ type: 'hello', protocol: 1, token, clientId }));
      this.ws.on('message', (data: Buffer) => {
        this.bytes += data.length;
        const frame = JSON.parse(String(data)) as Msg | Msg[];
        for (const m of Array.isArray(frame) ? frame : [frame]) {
          this.messages++;
          if (m.type === 'welcome') this.send({ type: 'join', docId: DOC_ID });
          else if (m.type === 'joined') {
            this.version = m.version as number;
            resolve();
          } else if (m.type === 'presence-batch') {
            for (const u of m.users as { clientId: string }[])
              if (u.clientId !== this.clientId) this.seen.add(u.clientId);
          } else {
            this.unexpected++;
            this.firstUnexpected ??= m;
          }
        }
      });
    });
  }

  joined(): Promise<void> {
    return this.ready;
  }

  /**
   * A moving editor moves every 1/MOVES_PER_S s from a random phase: a caret that wanders,
   * now and then a selection. An idle one states where it is at once and then every
   * IDLE_RESEND_MS: an entry expires 10 s after its last update.
   */
  start(moving: boolean): void {
    const every = moving ? 1000 / MOVES_PER_S : IDLE_RESEND_MS;
    const act = moving ? () => this.move() : () => this.sendSelection();
    if (!moving) this.sendSelection();
    this.timers.push(
      setTimeout(
        () => {
          act();
          this.timers.push(setInterval(act, every));
        },
        this.random.range(0, every - 1),
      ),
    );
  }

  stop(): void {
    // clearTimeout clears an interval too: both are Timeout objects in Node.
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  close(): void {
    this.stop();
    this.ws.close();
  }

  private move(): void {
    this.position = Math.max(0, Math.min(CONTENT.length, this.position + this.random.range(-20, 20)));
    this.head = this.random.bool(0.2)
      ? Math.min(CONTENT.length, this.position + this.random.range(1, 40))
      : this.position;
    this.sendSelection();
  }

  private sendSelection(): void {
    this.send({
      type: 'presence',
      docId: DOC_ID,
      version: this.version,
      selection: { anchor: this.position, head: this.head },
    });
    this.reports++;
  }

  private send(m: Msg): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }
}

interface Totals {
  messages: number;
  bytes: number;
  serverFrames: number;
  serverBytes: number;
  clientBytes: number;
  reports: number;
  cpu: number;
  at: number;
}

interface Result {
  design: string;
  seconds: number;
  received: { messages: number; bytes: number };
  sent: { frames: number; bytes: number };
  reports: number;
  clientBytes: number;
  cpuPercent: number;
  complete: boolean;
  /** Messages other than presence batches during the measurement, and the first of them. */
  unexpected: { count: number; first: Msg | null };
}

/** Runs the editors against a server reachable at `url` (process `pid`), through a counting proxy. */
async function measure(
  design: string,
  url: string,
  pid: number,
  tokenOf: (i: number) => Promise<string>,
  seed: number,
): Promise<Result> {
  const target = new URL(url);
  const { proxy, port } = await CountingProxy.start(Number(target.port));
  const random = new Random(seed);
  const editors: Editor[] = [];
  try {
    for (let i = 0; i < EDITORS; i++) {
      editors.push(
        new Editor(
          `ws://127.0.0.1:${port}${target.pathname}`,
          await tokenOf(i),
          `bench${i}x${seed}`,
          random.fork(),
        ),
      );
    }
    await Promise.all(editors.map((e) => e.joined()));
    console.log(`${design}: ${EDITORS} editors joined; moving for ${WARMUP_S} s before measuring`);
    for (const [i, e] of editors.entries()) e.start(i < MOVERS);
    await sleep(WARMUP_S * 1000);
    const totals = (): Totals => ({
      messages: editors.reduce((n, e) => n + e.messages, 0),
      bytes: editors.reduce((n, e) => n + e.bytes, 0),
      serverFrames: proxy.serverFrames,
      serverBytes: proxy.serverBytes,
      clientBytes: proxy.clientBytes,
      reports: editors.reduce((n, e) => n + e.reports, 0),
      cpu: processCpuSeconds(pid),
      at: performance.now(),
    });
    for (const e of editors) e.seen.clear();
    const start = totals();
    let last = start;
    for (let s = 1; s <= DURATION_S; s++) {
      await sleep(1000);
      const now = totals();
      const dt = (now.at - last.at) / 1000;
      console.log(
        `${design}: ${s}/${DURATION_S} s: clients received ${num((now.messages - last.messages) / dt)} messages/s, ${num((now.bytes - last.bytes) / dt)} B/s; server sent ${num((now.serverFrames - last.serverFrames) / dt)} frames/s`,
      );
      last = now;
    }
    const end = totals();
    for (const e of editors) e.stop();
    const seconds = (end.at - start.at) / 1000;
    return {
      design,
      seconds,
      received: {
        messages: (end.messages - start.messages) / seconds,
        bytes: (end.bytes - start.bytes) / seconds,
      },
      sent: {
        frames: (end.serverFrames - start.serverFrames) / seconds,
        bytes: (end.serverBytes - start.serverBytes) / seconds,
      },
      reports: (end.reports - start.reports) / seconds,
      clientBytes: (end.clientBytes - start.clientBytes) / seconds,
      cpuPercent: ((end.cpu - start.cpu) / seconds) * 100,
      complete: editors.every((e) => e.seen.size === EDITORS - 1),
      unexpected: {
        count: editors.reduce((n, e) => n + e.unexpected, 0),
        first: editors.find((e) => e.firstUnexpected)?.firstUnexpected ?? null,
      },
    };
  } finally {
    for (const e of editors) e.close();
    await proxy.close();
  }
}

async function benchTandem(seed: number): Promise<Result> {
  console.log('tandem: starting the standalone server');
  const running = await standaloneTarget.start();
  try {
    await running.createDocs([DOC_ID], CONTENT);
    console.log(`tandem: signing in ${EDITORS} editors`);
    const tokens: string[] = [];
    for (let i = 0; i < EDITORS; i += 10) {
      const batch = Array.from({ length: Math.min(10, EDITORS - i) }, (_, k) =>
        running.tokenFor(`bench editor ${i + k}`, [DOC_ID]),
      );
      tokens.push(...(await Promise.all(batch)));
    }
    return await measure(
      'tandem',
      running.urls[0] as string,
      running.processes[0]?.pid as number,
      async (i) => tokens[i] as string,
      seed,
    );
  } finally {
    await running.stop();
  }
}

async function benchNaive(seed: number): Promise<Result> {
  console.log('naive: starting the relay');
  const relay = await ServerChannel.start('bench-presence.ts', { BENCH_PRESENCE_ROLE: 'relay' });
  try {
    return await measure('naive', relay.url, relay.pid, async (i) => `bench editor ${i}`, seed);
  } finally {
    await relay.stop();
  }
}

async function main(): Promise<void> {
  const seed = seedFromEnv('SEED', Math.floor(Math.random() * 2 ** 31));
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`;
  console.log(
    `bench:presence: ${EDITORS} editors on one document, ${MOVERS} of them moving ${MOVES_PER_S} times a second, ${DURATION_S} s measured after ${WARMUP_S} s; seed ${seed} (SEED=${seed} replays the moves); ${machine}`,
  );
  const results = [await benchTandem(seed), await benchNaive(seed)];
  const [tandem, naive] = results as [Result, Result];
  const row = (r: Result) => [
    r.design,
    num(r.reports),
    num(r.received.messages),
    num(r.received.bytes),
    num(r.sent.frames),
    num(r.sent.bytes),
    num(r.cpuPercent),
    r.complete ? 'yes' : 'no',
  ];
  const ratio = (f: (r: Result) => number) => `${num(f(naive) / f(tandem), 1)}×`;
  console.log(
    `\n${machine}; ${EDITORS} editors, ${MOVERS} moving ${MOVES_PER_S} times a second, ${num(tandem.seconds, 1)} s measured\n`,
  );
  console.log(
    table(
      [
        'design',
        'presence/s sent by clients',
        'messages/s received (all clients)',
        'bytes/s received',
        'frames/s sent by server',
        'bytes/s sent by server (wire)',
        'server CPU %',
        'everyone seen',
      ],
      [
        row(tandem),
        row(naive),
        [
          'naive ÷ tandem',
          ratio((r) => r.reports),
          ratio((r) => r.received.messages),
          ratio((r) => r.received.bytes),
          ratio((r) => r.sent.frames),
          ratio((r) => r.sent.bytes),
          ratio((r) => r.cpuPercent),
          '',
        ],
      ],
      [false, true, true, true, true, true, true, false],
    ),
  );
  for (const r of results) {
    const { count, first } = r.unexpected;
    if (count > 0)
      console.log(
        `${r.design}: ${count} messages other than presence batches, the first: ${JSON.stringify(first)}`,
      );
  }
}

if (process.env.BENCH_PRESENCE_ROLE === 'relay') await runRelay();
else await main();
