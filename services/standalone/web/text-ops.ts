/**
 * Turning a textarea edit into a `text` op, with no DOM: the editor's UTF-16 strings in,
 * an ot-text-unicode op counted in code points out (docs/protocol.md §3).
 */
import { codePointLength, codePointToUtf16, utf16ToCodePoint } from '@tandem/client';

/** A `text` op component: skip n code points, insert a string, or delete n code points. */
export type TextOpComponent = number | string | { d: number };

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * The op that turns `prev` into `next`: the common prefix is skipped, the changed middle
 * of `prev` deleted and that of `next` inserted. The skip and the delete are in code
 * points; neither boundary ever falls inside a surrogate pair. Zero skips and empty parts
 * are left out, so an unchanged string gives `[]`.
 *
 * `caret` is the collapsed caret in `next` after the edit, when known. An edit always
 * ends at the caret, so the common suffix cannot reach before it; this decides where a
 * repeated character was typed or deleted ("aa" → "aaa" with the caret at 2 inserts at 1,
 * not at 2), which matters to other users' cursors and to concurrent edits nearby.
 */
export function textOpFromEdit(prev: string, next: string, caret?: number): TextOpComponent[] {
  const shorter = Math.min(prev.length, next.length);
  let suffixMax = shorter;
  if (caret !== undefined && caret >= 0 && caret <= next.length)
    suffixMax = Math.min(suffixMax, next.length - caret);
  let suffix = 0;
  while (
    suffix < suffixMax &&
    prev.charCodeAt(prev.length - 1 - suffix) === next.charCodeAt(next.length - 1 - suffix)
  )
    suffix++;
  let prefix = 0;
  while (prefix < shorter - suffix && prev.charCodeAt(prefix) === next.charCodeAt(prefix)) prefix++;
  // Both strings share the prefix and the suffix, so one test on `prev` covers both.
  if (prefix > 0 && isHighSurrogate(prev.charCodeAt(prefix - 1))) prefix--;
  if (suffix > 0 && isLowSurrogate(prev.charCodeAt(prev.length - suffix))) suffix--;

  const deleted = prev.slice(prefix, prev.length - suffix);
  const inserted = next.slice(prefix, next.length - suffix);
  const op: TextOpComponent[] = [];
  if (deleted.length === 0 && inserted.length === 0) return op;
  const skip = utf16ToCodePoint(prev, prefix);
  if (skip > 0) op.push(skip);
  if (deleted.length > 0) op.push({ d: codePointLength(deleted) });
  if (inserted.length > 0) op.push(inserted);
  return op;
}

/**
 * The code point position just after the last change `op` makes, in the document after
 * it: where the caret goes after an undo or redo (after re-inserted text, at the place of
 * removed text). Undefined for an op that changes nothing.
 */
export function opEndCursor(op: unknown): number | undefined {
  if (!Array.isArray(op)) return undefined;
  let pos = 0;
  let end: number | undefined;
  for (const c of op as unknown[]) {
    if (typeof c === 'number') pos += c;
    else if (typeof c === 'string') {
      pos += codePointLength(c);
      end = pos;
    } else if (typeof c === 'object' && c !== null) end = pos;
  }
  return end;
}

/**
 * `op` as a sequence of ops, applied one after the other, none of whose inserts is
 * longer than `maxCodePoints`. A large paste would otherwise make one op over the 64 KiB
 * op limit, which the doc refuses (OP_TOO_LARGE). 8192 code points are at most 32 KiB of
 * UTF-8, and under 64 KiB even if every one were JSON-escaped.
 */
export function splitLargeInsert(op: TextOpComponent[], maxCodePoints = 8192): TextOpComponent[][] {
  const last = op.at(-1);
  if (typeof last !== 'string' || last.length <= maxCodePoints) return [op];
  const head = op.slice(0, -1);
  let skip = typeof head[0] === 'number' ? head[0] : 0;
  const ops: TextOpComponent[][] = [];
  let rest = last;
  while (rest.length > 0) {
    const cut = Math.min(codePointToUtf16(rest, maxCodePoints), rest.length);
    const chunk = rest.slice(0, cut);
    rest = rest.slice(cut);
    if (ops.length === 0) ops.push([...head, chunk]);
    else ops.push(skip > 0 ? [skip, chunk] : [chunk]);
    skip += codePointLength(chunk);
  }
  return ops;
}
