import type { DocTypeName } from '@tandem/ot';
import {
  type ClientMessage,
  encodeMessage,
  parseClientMessage,
  parseServerMessage,
  type ServerMessage,
} from '@tandem/protocol';
import { ReferenceServer, type ReferenceServerOptions, type ServerSessionHandle } from '@tandem/testkit';
import { TandemClient, type TandemClientOptions } from '../src/index.js';

/**
 * A hand-driven network between TandemClients and a ReferenceServer, for tests that read
 * as scripts of events. Nothing moves until the test says so: each connection is two FIFO
 * queues of raw messages (client to server, server to client), and the test delivers,
 * drops or cuts them one step at a time. Every message a client sends or receives is also
 * kept, parsed, so a test can say what went over the wire.
 */

export type ClientMessageOf<T extends ClientMessage['type']> = Extract<ClientMessage, { type: T }>;
export type ServerMessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

interface Connection {
  session: ServerSessionHandle;
  toServer: string[];
  toClient: string[];
}

interface Peer {
  client: TandemClient;
  conn: Connection | null;
  /** Connections the client has dropped whose server side still reads what was already sent. */
  stale: Connection[];
  sent: ClientMessage[];
  received: ServerMessage[];
}

export interface CutOptions {
  /**
   * The server still reads the messages the client had sent before the cut, at the next
   * delivery, as a broken TCP stream delivers what was already in it; the server forgets
   * the session after that. By default they are lost with the connection.
   */
  serverReadsInFlight?: boolean;
}

const MAX_ROUNDS = 10_000;

export class Net {
  readonly server: ReferenceServer;
  private readonly peers = new Map<TandemClient, Peer>();
  private clientCount = 0;

  constructor(options: ReferenceServerOptions = {}) {
    this.server = new ReferenceServer(options);
  }

  /**
   * A new client whose token is `userId` (the reference server's default authentication),
   * attached to the network; its hello is queued, not yet delivered.
   */
  client(userId: string, options: Partial<TandemClientOptions> = {}): TandemClient {
    const client = new TandemClient({
      token: userId,
      clientId: `${userId}-client-${++this.clientCount}`,
      ...options,
    });
    this.peers.set(client, { client, conn: null, stale: [], sent: [], received: [] });
    this.reconnect(client);
    return client;
  }

  /** Opens a new connection for `client` (which must be offline) and queues its hello. */
  reconnect(client: TandemClient): void {
    const peer = this.peer(client);
    if (peer.conn) throw new Error(`${client.clientId} is already connected`);
    const conn: Connection = {
      session: this.server.connect((data) => {
        // What the server sends on a connection the client has left is lost.
        if (peer.conn === conn) conn.toClient.push(data);
      }),
      toServer: [],
      toClient: [],
    };
    peer.conn = conn;
    client.attach({
      send: (data) => {
        if (peer.conn !== conn) return;
        peer.sent.push(parseClientMessage(data));
        conn.toServer.push(data);
      },
      close: () => this.cut(client),
    });
  }

  /** The connection breaks: the client detaches and the messages in flight are lost (see CutOptions). */
  cut(client: TandemClient, options: CutOptions = {}): void {
    const peer = this.peer(client);
    const conn = peer.conn;
    if (!conn) return;
    peer.conn = null;
    conn.toClient.length = 0;
    if (options.serverReadsInFlight && conn.toServer.length > 0) peer.stale.push(conn);
    else conn.session.close();
    client.detach();
  }

  isOnline(client: TandemClient): boolean {
    return this.peer(client).conn !== null;
  }

  /** Delivers up to `n` queued messages from `client` to the server; returns how many. */
  deliverToServer(client: TandemClient, n = Number.POSITIVE_INFINITY): number {
    const conn = this.peer(client).conn;
    let delivered = 0;
    while (conn && delivered < n && conn.toServer.length > 0) {
      conn.session.receive(conn.toServer.shift() as string);
      delivered++;
    }
    return delivered;
  }

  /** Delivers up to `n` queued messages from the server to `client`; returns how many. */
  deliverToClient(client: TandemClient, n = Number.POSITIVE_INFINITY): number {
    const peer = this.peer(client);
    let delivered = 0;
    while (peer.conn && delivered < n && peer.conn.toClient.length > 0) {
      const data = peer.conn.toClient.shift() as string;
      peer.received.push(parseServerMessage(data));
      client.receive(data);
      delivered++;
    }
    return delivered;
  }

  /** Lets the server read what `client` sent on connections it has since dropped; then the server closes them. */
  deliverStale(client: TandemClient): number {
    const peer = this.peer(client);
    let delivered = 0;
    for (const conn of peer.stale.splice(0)) {
      for (const data of conn.toServer.splice(0)) {
        conn.session.receive(data);
        delivered++;
      }
      conn.session.close();
    }
    return delivered;
  }

  /** Runs the network until no message is left anywhere; returns how many were delivered. */
  deliverAll(): number {
    let total = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let delivered = 0;
      for (const client of this.peers.keys()) {
        delivered += this.deliverStale(client) + this.deliverToServer(client);
      }
      for (const client of this.peers.keys()) {
        delivered += this.deliverToClient(client);
      }
      if (delivered === 0) return total;
      total += delivered;
    }
    throw new Error(`The network did not settle after ${MAX_ROUNDS} rounds`);
  }

  /** Drops up to `n` messages queued from `client` to the server, as if lost; returns them. */
  dropToServer(client: TandemClient, n = Number.POSITIVE_INFINITY): ClientMessage[] {
    const conn = this.peer(client).conn;
    return conn ? conn.toServer.splice(0, n).map((data) => parseClientMessage(data)) : [];
  }

  /** Drops up to `n` messages queued from the server to `client`, as if lost; returns them. */
  dropToClient(client: TandemClient, n = Number.POSITIVE_INFINITY): ServerMessage[] {
    const conn = this.peer(client).conn;
    return conn ? conn.toClient.splice(0, n).map((data) => parseServerMessage(data)) : [];
  }

  /** Queues a message to the server on `client`'s connection without the client knowing, as a modified client would. */
  forceToServer(client: TandemClient, message: ClientMessage): void {
    const conn = this.peer(client).conn;
    if (!conn) throw new Error(`${client.clientId} is offline`);
    conn.toServer.push(encodeMessage(message));
  }

  /** The messages waiting for `client`, oldest first. */
  queuedToClient(client: TandemClient): ServerMessage[] {
    return (this.peer(client).conn?.toClient ?? []).map((data) => parseServerMessage(data));
  }

  /** Every message `client` has sent of type `type`, over all its connections, oldest first. */
  sent<T extends ClientMessage['type']>(client: TandemClient, type: T): ClientMessageOf<T>[] {
    return this.peer(client).sent.filter((m): m is ClientMessageOf<T> => m.type === type);
  }

  /** Every message `client` has received of type `type`, over all its connections, oldest first. */
  received<T extends ServerMessage['type']>(client: TandemClient, type: T): ServerMessageOf<T>[] {
    return this.peer(client).received.filter((m): m is ServerMessageOf<T> => m.type === type);
  }

  private peer(client: TandemClient): Peer {
    const peer = this.peers.get(client);
    if (!peer) throw new Error(`${client.clientId} is not on this network`);
    return peer;
  }
}

/** A clock the test moves by hand, for undo grouping (`now`) and retry timers (`schedule`). */
export class ManualClock {
  private time = 0;
  private timers: { at: number; fn: () => void }[] = [];

  readonly now = (): number => this.time;

  readonly schedule = (fn: () => void, ms: number): void => {
    this.timers.push({ at: this.time + ms, fn });
  };

  /** Delays of the timers not yet run, from now. */
  get pending(): number[] {
    return this.timers.map((t) => t.at - this.time);
  }

  /** Moves time forward by `ms`, running every timer that comes due, in order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.time = due.at;
      due.fn();
    }
    this.time = until;
  }
}

export interface TwoEditorsOptions {
  type?: DocTypeName;
  initial?: unknown;
  alice?: Partial<TandemClientOptions>;
  bob?: Partial<TandemClientOptions>;
}

/** Alice and Bob with document `doc` open and joined, on a fresh Net. */
export function twoEditors({
  type = 'text',
  initial = 'abc',
  alice: aliceOptions = {},
  bob: bobOptions = {},
}: TwoEditorsOptions = {}) {
  const net = new Net();
  net.server.createDoc('doc', type, initial);
  const alice = net.client('alice', aliceOptions);
  const bob = net.client('bob', bobOptions);
  const a = alice.open('doc');
  const b = bob.open('doc');
  net.deliverAll();
  return { net, alice, bob, a, b };
}
