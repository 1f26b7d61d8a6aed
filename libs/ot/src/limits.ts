import { TandemError } from '@tandem/errors';
import { utf8Length } from './unicode.js';

export interface OpLimits {
  /**
   * Largest op, as UTF-8 JSON. 64 KiB holds a pasted chapter of a book (about 10,000
   * words) and keeps a single op well under a WebSocket frame and a Redis list entry.
   */
  maxOpBytes: number;
  /**
   * Deepest nesting of arrays and objects in an op. The OT libraries recurse over op
   * structure, so a deeper op could overflow the stack; real json1 paths are a few levels.
   */
  maxDepth: number;
}

export const DEFAULT_OP_LIMITS: OpLimits = { maxOpBytes: 64 * 1024, maxDepth: 64 };

/** Throws OP_INVALID when `value` nests deeper than `maxDepth`; iterative, so it cannot overflow itself. */
export function checkDepth(value: unknown, maxDepth: number): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth) {
      throw new TandemError('OP_INVALID', `The op nests deeper than ${maxDepth} levels`, {
        details: { maxDepth },
      });
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
}

/** Throws OP_TOO_LARGE when the JSON encoding of `op` is over `maxOpBytes`. */
export function checkSize(op: unknown, maxOpBytes: number): void {
  const json = JSON.stringify(op) ?? '';
  // A string's UTF-8 length is at most 3 bytes per UTF-16 unit, so most ops skip the count.
  if (json.length * 3 <= maxOpBytes) return;
  const bytes = utf8Length(json);
  if (bytes > maxOpBytes) {
    throw new TandemError('OP_TOO_LARGE', `The op is ${bytes} bytes; the limit is ${maxOpBytes}`, {
      details: { bytes, maxOpBytes },
    });
  }
}
