import { randomUUID } from 'node:crypto';
import type {
  CollabService,
  EventBus,
  Inbox,
  Log,
  Membership,
  OpRecord,
  SubmitRequest,
  SubmitResult,
  TandemEvent,
} from '@tandem/core';
import { EventOutbox, noopObserver, silentLog } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { HashRing } from '@tandem/hashring';
import { type AnyDocType, type DocTypeName, getDocType } from '@tandem/ot';
import { CollabMessage, type CollabRequest } from './messages.js';

export interface CollabRouterDeps {
  inbox: Inbox<CollabMessage>;
  /** The collab workers. */
  workers: Membership;
  /** Lifecycle events the API emits go straight to the bus, in order, through an outbox (not needed by a gateway). */
  events?: EventBus;
  log?: Log;
}

export interface CollabRouterOptions {
  /** This process's inbox, where answers come back. Default: a random id. */
  selfId?: string;
  /** How long a call waits for its worker's answer before it is sent again. Default 4 s. */
  callTimeoutMs?: number;
  /** How long a call may take in all, retries included, before it fails with UNAVAILABLE. Default 10 s. */
  deadlineMs?: number;
}

interface PendingCall {
  call: CollabRequest;
  worker: string;
  /** False for calls that must not run twice (a restore): they are sent again only if never delivered. */
  retryable: boolean;
  resolve(result: unknown): void;
  reject(err: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
  deadline: number;
}

const RETRY_PAUSE_MS = 100;

/**
 * The gateways' and the API's side of the routing (ARCHITECTURE.md: gateway ──worker
 * inbox──▶ collab worker): each call goes to the worker that owns its document on a
 * consistent-hash ring over the live workers, and the answer comes back to this process's
 * inbox. When a worker goes, the calls in flight to it are sent at once to the document's
 * new owner; a call with no answer in time is sent again. Sending an op twice is safe:
 * the (clientId, seq) of an op makes the second commit answer with the first's version.
 */
export class CollabRouter implements CollabService {
  readonly selfId: string;
  private ring = new HashRing([]);
  private readonly pending = new Map<string, PendingCall>();
  private readonly types = new Map<string, AnyDocType>();
  private readonly outbox: EventOutbox | null;
  private readonly log: Log;
  private readonly callTimeoutMs: number;
  private readonly deadlineMs: number;
  private stopReceiving: (() => Promise<void>) | null = null;
  private stopWatching: (() => void) | null = null;

  private constructor(
    private readonly deps: CollabRouterDeps,
    options: CollabRouterOptions,
  ) {
    this.selfId = options.selfId ?? `router-${randomUUID()}`;
    this.log = deps.log ?? silentLog;
    this.callTimeoutMs = options.callTimeoutMs ?? 4_000;
    this.deadlineMs = options.deadlineMs ?? 10_000;
    this.outbox = deps.events ? new EventOutbox(deps.events, this.log, noopObserver) : null;
  }

  /** Starts receiving answers and following the workers; resolves once the first list of workers is known. */
  static async start(deps: CollabRouterDeps, options: CollabRouterOptions = {}): Promise<CollabRouter> {
    const router = new CollabRouter(deps, options);
    router.stopReceiving = await deps.inbox.receive(router.selfId, (m) => router.answer(m));
    await new Promise<void>((resolve) => {
      router.stopWatching = deps.workers.watch((members) => {
        router.membersChanged(members);
        resolve();
      });
    });
    return router;
  }

  /** The worker that owns `docId` now, or null when there is none. */
  ownerOf(docId: string): string | null {
    return this.ring.owner(docId);
  }

  open(docId: string): Promise<{ type: DocTypeName; version: number; snapshot: unknown }> {
    return this.call({ method: 'open', docId }) as Promise<{
      type: DocTypeName;
      version: number;
      snapshot: unknown;
    }>;
  }

  opsSince(docId: string, after: number, to?: number): Promise<OpRecord[]> {
    return this.call({ method: 'opsSince', docId, after, ...(to === undefined ? {} : { to }) }) as Promise<
      OpRecord[]
    >;
  }

  submit(req: SubmitRequest): Promise<SubmitResult> {
    return this.call({ method: 'submit', docId: req.docId, req }) as Promise<SubmitResult>;
  }

  async typeOf(docId: string): Promise<AnyDocType> {
    let type = this.types.get(docId);
    if (!type) {
      type = getDocType((await this.open(docId)).type);
      this.types.set(docId, type);
    }
    return type;
  }

  async initDocument(docId: string, typeName: DocTypeName, initial?: unknown): Promise<void> {
    await this.call({
      method: 'initDocument',
      docId,
      typeName,
      ...(initial === undefined ? {} : { initial }),
    });
  }

  contentAt(docId: string, version: number): Promise<unknown> {
    return this.call({ method: 'contentAt', docId, version });
  }

  restore(docId: string, targetVersion: number, userId: string): Promise<SubmitResult> {
    return this.call({ method: 'restore', docId, targetVersion, userId }, false) as Promise<SubmitResult>;
  }

  async forget(docId: string): Promise<void> {
    this.types.delete(docId);
    await this.call({ method: 'forget', docId });
  }

  emit(events: readonly TandemEvent[]): void {
    if (!this.outbox) throw new TandemError('INTERNAL', 'This router was started without an event bus');
    this.outbox.push(events);
  }

  /** Fails the calls in flight, stops receiving and delivers the events still queued. */
  async close(): Promise<void> {
    this.stopWatching?.();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new TandemError('UNAVAILABLE', 'The router is shutting down'));
      this.pending.delete(id);
    }
    await this.stopReceiving?.();
    await this.outbox?.drain();
    this.outbox?.close();
  }

  private call(call: CollabRequest, retryable = true): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = randomUUID();
      const p: PendingCall = {
        call,
        worker: '',
        retryable,
        resolve,
        reject,
        deadline: Date.now() + this.deadlineMs,
      };
      this.pending.set(id, p);
      void this.send(id, p);
    });
  }

  /** Sends (or sends again) a pending call to its document's current owner. */
  private async send(id: string, p: PendingCall): Promise<void> {
    clearTimeout(p.timer);
    if (this.pending.get(id) !== p) return;
    if (Date.now() >= p.deadline) {
      this.pending.delete(id);
      p.reject(
        new TandemError('UNAVAILABLE', `No collab worker answered for document ${p.call.docId}`, {
          retryAfterMs: 1000,
          details: { docId: p.call.docId },
        }),
      );
      return;
    }
    const worker = this.ring.owner(p.call.docId);
    p.worker = worker ?? '';
    if (!worker) {
      p.timer = setTimeout(() => void this.send(id, p), RETRY_PAUSE_MS);
      return;
    }
    let delivered = false;
    try {
      delivered = await this.deps.inbox.send(worker, {
        kind: 'request',
        id,
        replyTo: this.selfId,
        call: p.call,
      });
    } catch (err) {
      this.log.warn({ err, worker }, 'sending a collab call failed; retrying');
    }
    if (this.pending.get(id) !== p) return;
    if (!delivered) {
      p.timer = setTimeout(() => void this.send(id, p), RETRY_PAUSE_MS);
      return;
    }
    p.timer = setTimeout(() => {
      if (p.retryable) void this.send(id, p);
      else this.fail(id, p, 'TIMEOUT', `Collab worker ${worker} did not answer in time`);
    }, this.callTimeoutMs);
  }

  private fail(id: string, p: PendingCall, code: 'TIMEOUT', message: string): void {
    this.pending.delete(id);
    p.reject(new TandemError(code, message, { retryAfterMs: 1000, details: { docId: p.call.docId } }));
  }

  private answer(raw: CollabMessage): void {
    const parsed = CollabMessage.safeParse(raw);
    if (!parsed.success || parsed.data.kind === 'request') {
      this.log.warn({}, 'dropped a malformed collab answer');
      return;
    }
    const m = parsed.data;
    const p = this.pending.get(m.id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(m.id);
    if (m.kind === 'result') p.resolve(m.result);
    else {
      const { code, message, details, retryAfterMs } = m.error;
      p.reject(
        new TandemError(code, message, {
          ...(details === undefined ? {} : { details }),
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        }),
      );
    }
  }

  /** A worker came or went: calls in flight to a worker that is gone go to the new owner now. */
  private membersChanged(members: string[]): void {
    this.ring = this.ring.withMembers(members);
    const live = new Set(members);
    for (const [id, p] of this.pending) {
      if (p.worker && !live.has(p.worker) && p.retryable) void this.send(id, p);
    }
  }
}
