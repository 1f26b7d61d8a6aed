import type { CollabEngine, Inbox, Log } from '@tandem/core';
import { isTandemError } from '@tandem/errors';
import { CollabMessage, type CollabRequest, type WireError } from './messages.js';

export type ServedEngine = Pick<
  CollabEngine,
  'open' | 'opsSince' | 'submit' | 'initDocument' | 'contentAt' | 'restore' | 'forget'
>;

export interface ServeCollabDeps {
  engine: ServedEngine;
  inbox: Inbox<CollabMessage>;
  /** This worker's member id: the inbox it receives on. */
  memberId: string;
  log: Log;
}

/**
 * A collab worker's side of the routing: runs each call that arrives in its inbox on the
 * local engine and answers to the caller's inbox. Calls are not serialized here: the
 * engine serializes the work of each document itself. Resolves, once it receives, to the
 * function that stops it.
 */
export function serveCollab(deps: ServeCollabDeps): Promise<() => Promise<void>> {
  const { engine, inbox, log } = deps;
  return inbox.receive(deps.memberId, (raw) => {
    const parsed = CollabMessage.safeParse(raw);
    if (!parsed.success || parsed.data.kind !== 'request') {
      log.warn({ issues: parsed.error?.issues.slice(0, 3) }, 'dropped a malformed collab message');
      return;
    }
    const { id, replyTo, call } = parsed.data;
    run(engine, call)
      .then(
        (result) => inbox.send(replyTo, { kind: 'result', id, result: result ?? null }),
        (err: unknown) => {
          if (!isTandemError(err))
            log.error({ err, method: call.method, docId: call.docId }, 'collab call failed');
          return inbox.send(replyTo, { kind: 'error', id, error: toWire(err) });
        },
      )
      .catch((err: unknown) => log.warn({ err, replyTo }, 'could not answer a collab call'));
  });
}

function run(engine: ServedEngine, call: CollabRequest): Promise<unknown> {
  switch (call.method) {
    case 'open':
      return engine.open(call.docId);
    case 'opsSince':
      return engine.opsSince(call.docId, call.after, call.to);
    case 'submit': {
      const { origin, ...req } = call.req;
      return engine.submit(origin === undefined ? req : { ...req, origin });
    }
    case 'initDocument':
      return engine.initDocument(call.docId, call.typeName, call.initial);
    case 'contentAt':
      return engine.contentAt(call.docId, call.version);
    case 'restore':
      return engine.restore(call.docId, call.targetVersion, call.userId);
    case 'forget':
      return engine.forget(call.docId);
  }
}

function toWire(err: unknown): WireError {
  if (!isTandemError(err)) return { code: 'INTERNAL', message: 'Internal error' };
  return {
    code: err.code,
    message: err.message,
    ...(err.details === undefined ? {} : { details: err.details }),
    ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
  };
}
