import { TandemError } from '@tandem/errors';
import otText from 'ot-text-unicode';
import type { DocType, OpExtent } from '../doc-type.js';
import { codePointLength, codePointToUtf16, hasLoneSurrogate, splitsSurrogatePair } from '../unicode.js';

/**
 * Plain text: ot-text-unicode over JS strings.
 *
 * An op is a list of components walked from the start of the document: a number skips
 * that many code points, a string inserts it, {d: n} deletes n code points ({d: "abc"}
 * deletes "abc" and records it, which makes the op invertible). Positions count Unicode
 * code points, so an emoji is one position here and two in an editor's UTF-16 offsets.
 */
export type TextOpComponent = number | string | { d: number | string };
export type TextOp = TextOpComponent[];

const { makeType } = otText;

/**
 * ot-text-unicode's default string backend converts positions with a JS loop from the
 * start of the document on every component; this one maps them 1:1 when the prefix has
 * no surrogates, which is what nearly every document looks like.
 */
const stringRope = {
  create: (s: string) => s,
  toString: (s: string) => s,
  slice: (s: string, start: number, end?: number) =>
    s.slice(codePointToUtf16(s, start), end === undefined ? undefined : codePointToUtf16(s, end)),
  builder(doc: string) {
    let rest = doc;
    let out = '';
    return {
      skip(n: number) {
        const offset = codePointToUtf16(rest, n);
        if (offset > rest.length) throw new Error('The op is too long for this document');
        out += rest.slice(0, offset);
        rest = rest.slice(offset);
      },
      append(s: string) {
        out += s;
      },
      del(n: number) {
        rest = rest.slice(codePointToUtf16(rest, n));
      },
      build: () => out + rest,
    };
  },
};

const impl = makeType(stringRope);

function invalid(message: string, details?: Record<string, unknown>): TandemError {
  return new TandemError('OP_INVALID', message, details ? { details } : {});
}

function checkInsertText(s: string, where: string): void {
  if (hasLoneSurrogate(s)) throw new TandemError('OP_BAD_UNICODE', `${where} contains a lone surrogate`);
}

function isPositiveInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
}

/**
 * A copy of the op's delete components: ot-text-unicode's normalize merges adjacent
 * deletes by assigning to the first one, which would change the caller's op.
 */
function copyOp(op: TextOp): TextOp {
  return op.map((c) => (typeof c === 'object' ? { d: c.d } : c));
}

function checkOp(op: unknown): TextOp {
  if (!Array.isArray(op)) throw invalid('A text op must be an array of components');
  op.forEach((c: unknown, i: number) => {
    if (typeof c === 'number') {
      if (!isPositiveInt(c)) throw invalid(`Component ${i}: a skip must be a positive integer`, { index: i });
    } else if (typeof c === 'string') {
      if (c.length === 0) throw invalid(`Component ${i}: an insert must not be empty`, { index: i });
      checkInsertText(c, `Component ${i}`);
    } else if (typeof c === 'object' && c !== null && !Array.isArray(c)) {
      const keys = Object.keys(c);
      const d = (c as { d?: unknown }).d;
      if (keys.length !== 1 || keys[0] !== 'd')
        throw invalid(`Component ${i}: an object must be {d}`, { index: i });
      if (typeof d === 'string') {
        if (d.length === 0) throw invalid(`Component ${i}: a delete must not be empty`, { index: i });
        checkInsertText(d, `Component ${i}`);
      } else if (!isPositiveInt(d)) {
        throw invalid(`Component ${i}: a delete must be a positive integer or a string`, { index: i });
      }
    } else {
      throw invalid(`Component ${i}: must be a number, a string or {d}`, { index: i });
    }
  });
  const normalized = impl.normalize(copyOp(op as TextOp));
  impl.checkOp(normalized);
  return normalized;
}

function checkOpAgainst(op: TextOp, doc: string): void {
  // Walk in UTF-16 offsets over just the span the op touches, so the cost is the op's
  // reach, not the document's length.
  let offset = 0;
  for (const c of op) {
    if (typeof c === 'string') continue;
    const n = typeof c === 'number' ? c : typeof c.d === 'number' ? c.d : [...c.d].length;
    const end = offset + codePointToUtf16(doc.slice(offset), n);
    if (end > doc.length) {
      throw new TandemError('OP_OUT_OF_RANGE', 'The op reaches past the end of the document', {
        details: { documentLength: codePointLength(doc) },
      });
    }
    if (typeof c === 'object' && typeof c.d === 'string' && doc.slice(offset, end) !== c.d) {
      throw new TandemError('OP_INVALID', 'A delete names text the document does not have there');
    }
    offset = end;
  }
}

function create(initial?: unknown): string {
  if (initial === undefined) return '';
  if (typeof initial !== 'string') throw new TandemError('SNAPSHOT_INVALID', 'Text content must be a string');
  if (hasLoneSurrogate(initial))
    throw new TandemError('SNAPSHOT_INVALID', 'Text content has a lone surrogate');
  return initial;
}

function checkCursor(cursor: unknown): number {
  if (typeof cursor !== 'number' || !Number.isSafeInteger(cursor) || cursor < 0) {
    throw new TandemError('BAD_MESSAGE', 'A text cursor is a non-negative integer (code points)');
  }
  return cursor;
}

/**
 * Moves a cursor like ot-text-unicode, but an own insert at the cursor pushes it past the
 * insert. Like ot-text-unicode's transformPosition, `pos` and `cursor` are positions in
 * the new document, so an insert right after a delete the cursor was in also counts as
 * at the cursor, whichever order the op lists the two in.
 */
function transformCursor(cursor: number, op: TextOp, ownOp: boolean): number {
  if (!ownOp) return impl.transformPosition(cursor, op);
  let pos = 0;
  let moved = cursor;
  for (const c of op) {
    if (pos > moved) break;
    if (typeof c === 'number') pos += c;
    else if (typeof c === 'string') {
      const n = [...c].length;
      pos += n;
      moved += n;
    } else {
      const n = typeof c.d === 'number' ? c.d : [...c.d].length;
      moved -= Math.min(n, moved - pos);
    }
  }
  return moved;
}

/** The smallest single-region edit from `before` to `after`: common prefix and suffix kept, the middle replaced. */
function diff(before: string, after: string): TextOp {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (
    end < max - start &&
    before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)
  ) {
    end++;
  }
  // Never cut a surrogate pair in half at either edge of the changed region.
  if (splitsSurrogatePair(before, start) || splitsSurrogatePair(after, start)) start--;
  if (splitsSurrogatePair(before, before.length - end) || splitsSurrogatePair(after, after.length - end))
    end--;
  const removed = before.slice(start, before.length - end);
  const inserted = after.slice(start, after.length - end);
  const op: TextOp = [];
  if (start > 0) op.push(codePointLength(before.slice(0, start)));
  if (removed.length > 0) op.push({ d: codePointLength(removed) });
  if (inserted.length > 0) op.push(inserted);
  return impl.normalize(op);
}

/** Positions are in the document after the op, where skips and inserts advance and deletes do not. */
function extent(op: TextOp): OpExtent {
  let pos = 0;
  let inserted = 0;
  let deleted = 0;
  let start = -1;
  let end = 0;
  for (const c of op) {
    if (typeof c === 'number') {
      pos += c;
      continue;
    }
    if (start < 0) start = pos;
    if (typeof c === 'string') {
      const n = codePointLength(c);
      inserted += n;
      pos += n;
    } else {
      deleted += typeof c.d === 'number' ? c.d : codePointLength(c.d);
    }
    end = pos;
  }
  return { inserted, deleted, formatted: 0, span: start < 0 ? null : { start, end }, paths: [] };
}

export const textType: DocType<string, TextOp, number> = {
  name: 'text',
  uri: impl.uri,
  positionUnit: 'code-point',
  create,
  checkOp,
  checkOpAgainst,
  apply: (doc, op) => impl.apply(doc, op),
  transform: (op, other, side) => impl.transform(op, other, side),
  transformWithConflicts: (op, other, side) => ({ op: impl.transform(op, other, side), conflicts: [] }),
  compose: (a, b) => impl.compose(a, b),
  invertWithDoc: (op, before) => impl.invertWithDoc(op, before),
  normalize: (op) => impl.normalize(copyOp(op)),
  isNoop: (op) => op.length === 0,
  diff,
  transformCursor,
  checkCursor,
  extent,
};
