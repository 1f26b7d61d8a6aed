import { TandemError } from '@tandem/errors';
import {
  type ClientMessage,
  encodeMessage,
  PROTOCOL_VERSION,
  parseServerFrame,
  type Redirect,
  type ServerMessage,
  type Welcome,
} from '@tandem/protocol';
import { ClientDoc, type ClientDocOptions, type DocHost } from './client-doc.js';
import { Emitter } from './emitter.js';

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

/** Whatever carries messages to the server: a WebSocket, an in-memory channel in tests. */
export interface Transport {
  send(data: string): void;
  close(): void;
}

export interface TandemClientEvents {
  state: (state: ConnectionState) => void;
  welcome: (welcome: Welcome) => void;
  /** The server asked this client to reconnect, possibly elsewhere. The transport's owner acts on it. */
  redirect: (redirect: Redirect) => void;
  /** An error about the session rather than one document (bad token, bad message). */
  error: (error: TandemError) => void;
}

export interface TandemClientOptions {
  /** A short-lived token, or a function that returns the current one at each (re)connect. */
  token: string | (() => string);
  /**
   * Names this client's ops for exactly-once commit; random by default. A fixed id must
   * never be used by two clients, nor reused by a new client (its seqs start again at 1
   * and the server would take its ops for resends).
   */
  clientId?: string;
  doc?: ClientDocOptions;
  /**
   * Timer used for retries and presence restatements; tests inject a simulated clock. A
   * timer of it that is cancelled still comes due, and then does nothing.
   */
  schedule?: (fn: () => void, ms: number) => void;
}

type CancellableTimer = (fn: () => void, ms: number) => () => void;

const realTimer: CancellableTimer = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

function injectedTimer(schedule: (fn: () => void, ms: number) => void): CancellableTimer {
  return (fn, ms) => {
    let live = true;
    schedule(() => {
      if (live) fn();
    }, ms);
    return () => {
      live = false;
    };
  };
}

function randomClientId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * One client session: many documents over one transport. It owns no socket; the code
 * that owns one calls `attach` when it opens, `receive` for each message and `detach`
 * when it closes, so the same engine runs over WebSocket in a browser, ws in Node, or a
 * simulated network in tests.
 */
export class TandemClient extends Emitter<TandemClientEvents> {
  readonly clientId: string;
  private transport: Transport | null = null;
  private connectionState: ConnectionState = 'disconnected';
  private readonly docs = new Map<string, ClientDoc>();
  private readonly host: DocHost;
  /**
   * One seq counter for all of this client's documents, so a document closed and opened
   * again keeps counting up: the server takes a seq it has seen as a resend.
   */
  private lastSeq = 0;

  constructor(private readonly options: TandemClientOptions) {
    super();
    this.clientId = options.clientId ?? randomClientId();
    const schedule = options.schedule ? injectedTimer(options.schedule) : realTimer;
    const client = this;
    this.host = {
      clientId: this.clientId,
      get connected() {
        return client.connectionState === 'connected';
      },
      send: (message) => this.send(message),
      nextSeq: () => ++this.lastSeq,
      schedule,
    };
  }

  get state(): ConnectionState {
    return this.connectionState;
  }

  /** Opens (or returns the already open) document `docId`; it joins as soon as the session is up. */
  open(docId: string): ClientDoc {
    let doc = this.docs.get(docId);
    if (!doc) {
      doc = new ClientDoc(docId, this.host, this.options.doc);
      this.docs.set(docId, doc);
      if (this.connectionState === 'connected') doc.rejoin();
    }
    return doc;
  }

  /** Stops following `docId`. Local ops not yet acknowledged are dropped with it. */
  close(docId: string): void {
    const doc = this.docs.get(docId);
    if (!doc) return;
    this.docs.delete(docId);
    doc.disconnected();
    if (this.connectionState === 'connected') this.send({ type: 'leave', docId });
  }

  /** The transport is open: authenticate, then every open document rejoins from its version. */
  attach(transport: Transport): void {
    this.transport = transport;
    this.setState('connecting');
    const token = typeof this.options.token === 'function' ? this.options.token() : this.options.token;
    this.send({ type: 'hello', protocol: PROTOCOL_VERSION, token, clientId: this.clientId }, true);
  }

  /** The transport is gone. Documents keep their local ops and resend them on the next attach. */
  detach(): void {
    this.transport = null;
    for (const doc of this.docs.values()) doc.disconnected();
    this.setState('disconnected');
  }

  /** Handles one frame from the server (a message or a batch of them), raw or already parsed. */
  receive(data: string | ServerMessage): void {
    let messages: ServerMessage[];
    try {
      messages = typeof data === 'string' ? parseServerFrame(data) : [data];
    } catch (err) {
      this.emit('error', err as TandemError);
      return;
    }
    for (const message of messages) this.handle(message);
  }

  private handle(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        if (message.protocol !== PROTOCOL_VERSION) {
          this.emit(
            'error',
            new TandemError('PROTOCOL_VERSION', `Server speaks protocol ${message.protocol}`),
          );
          return;
        }
        this.setState('connected');
        this.emit('welcome', message);
        for (const doc of this.docs.values()) doc.rejoin();
        return;
      case 'pong':
        return;
      case 'redirect':
        this.emit('redirect', message);
        return;
      case 'error':
        if (message.docId === undefined) {
          this.emit('error', new TandemError(message.code, message.message));
          return;
        }
        this.docs.get(message.docId)?.onError(message);
        return;
      case 'joined':
        this.docs.get(message.docId)?.onJoined(message);
        return;
      case 'catchup':
        this.docs.get(message.docId)?.onCatchup(message);
        return;
      case 'remote-op':
        this.docs.get(message.docId)?.onRemoteOp(message);
        return;
      case 'ack':
        this.docs.get(message.docId)?.onAck(message);
        return;
      case 'conflict':
        this.docs.get(message.docId)?.onConflict(message);
        return;
      case 'presence-batch':
        this.docs.get(message.docId)?.onPresence(message);
        return;
    }
  }

  private send(message: ClientMessage, beforeWelcome = false): void {
    if (!this.transport || (!beforeWelcome && this.connectionState !== 'connected')) return;
    this.transport.send(encodeMessage(message));
  }

  private setState(state: ConnectionState): void {
    if (state === this.connectionState) return;
    this.connectionState = state;
    this.emit('state', state);
  }
}
