import { TandemClient } from '@tandem/client';
import type { DocTypeName } from '@tandem/ot';
import { randomInitial, randomOp } from './generators.js';
import { Random } from './random.js';
import { ReferenceServer, type ReferenceServerStats, type ServerSessionHandle } from './reference-server.js';

/**
 * A seeded discrete-event simulation of N clients editing one document through the
 * reference server over a network with random delays. Each connection keeps its own
 * message order (as a WebSocket does) while the clients interleave at random; clients
 * go offline and keep editing, connections are cut with messages in flight both ways,
 * and clients undo and redo. Same seed, same run.
 */

/** Events in time order; ties run in the order they were scheduled, so a run is deterministic. */
class EventQueue {
  private readonly heap: { at: number; n: number; fn: () => void }[] = [];
  private counter = 0;
  now = 0;

  schedule(at: number, fn: () => void): void {
    const item = { at: Math.max(at, this.now), n: this.counter++, fn };
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i] as typeof item, h[p] as typeof item)) break;
      [h[i], h[p]] = [h[p] as typeof item, h[i] as typeof item];
      i = p;
    }
  }

  /** Runs events until none are left; returns how many ran. */
  run(maxEvents = 5_000_000): number {
    let ran = 0;
    for (; this.heap.length > 0; ran++) {
      if (ran >= maxEvents) throw new Error(`Simulation did not settle after ${maxEvents} events`);
      const item = this.pop();
      this.now = item.at;
      item.fn();
    }
    return ran;
  }

  private pop() {
    const h = this.heap;
    const top = h[0] as (typeof h)[number];
    const last = h.pop() as (typeof h)[number];
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l] as typeof top, h[m] as typeof top)) m = l;
        if (r < h.length && this.before(h[r] as typeof top, h[m] as typeof top)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as typeof top, h[i] as typeof top];
        i = m;
      }
    }
    return top;
  }

  private before(a: { at: number; n: number }, b: { at: number; n: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.n < b.n);
  }
}

/** One direction of a connection: random delay per message, never overtaking the one before. */
class Pipe {
  private last = 0;
  cutAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly queue: EventQueue,
    private readonly rng: Random,
    private readonly maxDelay: number,
    private readonly deliver: (data: string) => void,
  ) {}

  send(data: string): void {
    const at = Math.max(this.queue.now + this.rng.range(0, this.maxDelay), this.last);
    this.last = at;
    // A cut delivers what arrived before it, as a broken TCP stream delivers a prefix.
    this.queue.schedule(at, () => {
      if (at <= this.cutAt) this.deliver(data);
    });
  }
}

export interface SimulationOptions {
  seed: number;
  type?: DocTypeName;
  clients?: number;
  opsPerClient?: number;
  log?: (line: string) => void;
}

export interface SimulationResult {
  seed: number;
  type: DocTypeName;
  clients: number;
  committedOps: number;
  events: number;
  serverDoc: unknown;
  clientDocs: unknown[];
  replayed: unknown;
  /** Per client: the seqs of its ops in the op log, in log order. */
  seqsByClient: number[][];
  pendingClients: number;
  errors: string[];
  server: ReferenceServerStats;
}

const TYPES: DocTypeName[] = ['text', 'rich-text', 'json1'];

export function runSimulation(options: SimulationOptions): SimulationResult {
  const rng = new Random(options.seed);
  const type = options.type ?? (rng.pick(TYPES) as DocTypeName);
  const clientCount = options.clients ?? rng.range(2, 5);
  const opsPerClient = options.opsPerClient ?? rng.range(5, 30);
  const maxDelay = rng.pick([0, 2, 10, 50]);
  const log = options.log ?? (() => {});
  const queue = new EventQueue();
  const server = new ReferenceServer();
  const docId = 'doc';
  server.createDoc(docId, type, randomInitial(type, rng));
  const errors: string[] = [];
  log(`seed=${options.seed} type=${type} clients=${clientCount} ops=${opsPerClient} maxDelay=${maxDelay}`);

  const clients = Array.from({ length: clientCount }, (_, i) => {
    const client = new TandemClient({
      token: `user-${i}`,
      clientId: `client-${i}-${options.seed}`.padEnd(8, '0'),
      schedule: (fn, ms) => queue.schedule(queue.now + ms, fn),
      doc: { undo: { now: () => queue.now, groupMs: rng.pick([0, 5]) } },
    });
    const doc = client.open(docId);
    doc.on('error', (e) => errors.push(`client ${i}: ${e.code} ${e.message}`));
    doc.on('reset', (e) => errors.push(`client ${i} reset: ${e.error.code}`));
    client.on('error', (e) => errors.push(`client ${i} session: ${e.code} ${e.message}`));
    return { client, doc, online: false, cut: () => {}, connections: 0 };
  });

  const connect = (i: number) => {
    const c = clients[i] as (typeof clients)[number];
    const conn = ++c.connections;
    let session: ServerSessionHandle | undefined;
    const toClient = new Pipe(queue, rng, maxDelay, (data) => {
      if (c.online && c.connections === conn) c.client.receive(data);
    });
    const toServer = new Pipe(queue, rng, maxDelay, (data) => session?.receive(data));
    session = server.connect((data) => toClient.send(data));
    c.online = true;
    c.cut = () => {
      const cutAt = queue.now + rng.range(0, maxDelay);
      toServer.cutAt = cutAt;
      toClient.cutAt = queue.now;
      queue.schedule(cutAt, () => session?.close());
      c.online = false;
      c.client.detach();
      log(`t=${queue.now} client ${i} offline (server side at ${cutAt})`);
    };
    c.client.attach({ send: (data) => toServer.send(data), close: () => c.cut() });
    log(`t=${queue.now} client ${i} online`);
  };

  clients.forEach((_, i) => {
    connect(i);
  });

  clients.forEach((c, i) => {
    let t = 0;
    for (let k = 0; k < opsPerClient; k++) {
      t += rng.range(0, 20);
      const actRng = rng.fork();
      queue.schedule(t, () => {
        const roll = actRng.next();
        if (roll < 0.08) {
          if (c.online) {
            c.cut();
            queue.schedule(queue.now + actRng.range(1, 120), () => connect(i));
          }
          return;
        }
        if (!c.doc.isReady) return;
        if (roll < 0.15) {
          log(`t=${queue.now} client ${i} undo -> ${c.doc.undo()}`);
        } else if (roll < 0.18) {
          log(`t=${queue.now} client ${i} redo -> ${c.doc.redo()}`);
        } else {
          const op = randomOp(type, actRng, c.doc.data);
          log(`t=${queue.now} client ${i} op ${JSON.stringify(op)}`);
          c.doc.submit(op);
        }
      });
    }
  });

  let events = queue.run();
  // Everyone comes back online and the network drains.
  clients.forEach((c, i) => {
    if (!c.online) connect(i);
  });
  events += queue.run();

  const serverLog = server.log(docId);
  return {
    seed: options.seed,
    type,
    clients: clientCount,
    committedOps: serverLog.length,
    events,
    serverDoc: server.snapshot(docId),
    clientDocs: clients.map((c) => c.doc.data),
    replayed: server.replay(docId),
    seqsByClient: clients.map((c) =>
      serverLog.filter((r) => r.clientId === c.client.clientId).map((r) => r.seq),
    ),
    pendingClients: clients.filter((c) => c.doc.hasPendingOps || c.doc.version !== serverLog.length).length,
    errors,
    server: { ...server.stats },
  };
}
