import { TandemError } from '@tandem/errors';
import type { z } from 'zod';
import { CLIENT_MESSAGE_TYPES, ClientMessage } from './client-messages.js';
import { SERVER_MESSAGE_TYPES, ServerMessage } from './server-messages.js';

/**
 * Largest message a peer accepts by default: one op at its 64 KiB limit, JSON-escaped
 * (worst case about 2x for control characters), plus the envelope.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 160 * 1024;

function byteLength(raw: string | Uint8Array, maxBytes: number): number {
  if (typeof raw !== 'string') return raw.byteLength;
  // UTF-8 takes at most 3 bytes per UTF-16 unit, so only a string near the limit is encoded to count.
  return raw.length * 3 <= maxBytes ? raw.length : new TextEncoder().encode(raw).byteLength;
}

function parseJson(raw: string | Uint8Array, maxBytes: number): unknown {
  const size = byteLength(raw, maxBytes);
  if (size > maxBytes) {
    throw new TandemError('MESSAGE_TOO_LARGE', `The message is ${size} bytes; the limit is ${maxBytes}`, {
      details: { bytes: size, maxBytes },
    });
  }
  try {
    return JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw));
  } catch {
    throw new TandemError('BAD_JSON', 'The message is not valid JSON');
  }
}

function check<T>(schema: z.ZodType<T>, knownTypes: readonly string[], value: unknown): T {
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof type !== 'string') {
    throw new TandemError('BAD_MESSAGE', 'A message is a JSON object with a string "type"');
  }
  if (!knownTypes.includes(type)) {
    throw new TandemError(
      'UNKNOWN_MESSAGE_TYPE',
      `Unknown message type ${JSON.stringify(type.slice(0, 64))}`,
      {
        details: { known: knownTypes },
      },
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'message';
    throw new TandemError('BAD_MESSAGE', `Bad ${type} message: ${where}: ${issue?.message ?? 'invalid'}`, {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return parsed.data;
}

/** Parses a message from a client; throws MESSAGE_TOO_LARGE, BAD_JSON, UNKNOWN_MESSAGE_TYPE or BAD_MESSAGE. */
export function parseClientMessage(
  raw: string | Uint8Array,
  maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
): ClientMessage {
  return check(ClientMessage, CLIENT_MESSAGE_TYPES, parseJson(raw, maxBytes));
}

/** Parses a message from the server, with the same errors as parseClientMessage. */
export function parseServerMessage(
  raw: string | Uint8Array,
  maxBytes = Number.POSITIVE_INFINITY,
): ServerMessage {
  return check(ServerMessage, SERVER_MESSAGE_TYPES, parseJson(raw, maxBytes));
}

/**
 * Parses a frame from the server: one message, or a JSON array of messages in the order
 * they were sent (the gateway batches what it sends a socket in one turn). One bad
 * message fails the whole frame, with the same errors as parseServerMessage.
 */
export function parseServerFrame(
  raw: string | Uint8Array,
  maxBytes = Number.POSITIVE_INFINITY,
): ServerMessage[] {
  const value = parseJson(raw, maxBytes);
  return Array.isArray(value)
    ? value.map((item) => check(ServerMessage, SERVER_MESSAGE_TYPES, item))
    : [check(ServerMessage, SERVER_MESSAGE_TYPES, value)];
}

export function encodeMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}
