import { TandemError } from '@tandem/errors';
import richText from 'rich-text';
import type { DocType, OpExtent } from '../doc-type.js';
import { hasLoneSurrogate, splitsSurrogatePair } from '../unicode.js';

/**
 * Rich text: the rich-text ottype (Quill Delta, as ShareDB and Quill use it).
 *
 * An op is a Delta's list of operations: {insert: "text" | {embed: value}, attributes?},
 * {retain: n, attributes?} or {delete: n}. A snapshot is a Delta of inserts only. Lengths
 * and positions count UTF-16 code units, as Quill does; an embed has length 1.
 */
export type AttributeMap = Record<string, string | number | boolean | null>;
export type DeltaOperation =
  | { insert: string | Record<string, unknown>; attributes?: AttributeMap }
  | { retain: number; attributes?: AttributeMap }
  | { delete: number };
export type RichTextOp = DeltaOperation[];
export type RichTextSnapshot = DeltaOperation[];

const { Delta } = richText;

const delta = (ops: readonly DeltaOperation[]) => new Delta(ops as unknown as Record<string, unknown>[]);
const opsOf = (d: { ops: Record<string, unknown>[] }) => d.ops as unknown as DeltaOperation[];

function invalid(message: string): TandemError {
  return new TandemError('OP_INVALID', message);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkAttributes(attributes: unknown, where: string): void {
  if (attributes === undefined) return;
  if (!isPlainObject(attributes)) throw invalid(`${where}: attributes must be an object`);
  for (const [key, value] of Object.entries(attributes)) {
    if (hasLoneSurrogate(key))
      throw new TandemError('OP_BAD_UNICODE', `${where}: an attribute name has a lone surrogate`);
    const t = typeof value;
    if (value !== null && t !== 'string' && t !== 'number' && t !== 'boolean') {
      throw invalid(`${where}: attribute ${key} must be a string, number, boolean or null`);
    }
    if (t === 'string' && hasLoneSurrogate(value as string)) {
      throw new TandemError('OP_BAD_UNICODE', `${where}: attribute ${key} has a lone surrogate`);
    }
  }
}

/** True when any key or string anywhere in an embed has a lone surrogate; iterative, like checkDepth. */
function embedHasLoneSurrogate(embed: Record<string, unknown>): boolean {
  const stack: unknown[] = [embed];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (hasLoneSurrogate(v)) return true;
    } else if (Array.isArray(v)) {
      stack.push(...v);
    } else if (isPlainObject(v)) {
      for (const [k, child] of Object.entries(v)) {
        if (hasLoneSurrogate(k)) return true;
        stack.push(child);
      }
    }
  }
  return false;
}

function isLength(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
}

function checkComponent(c: unknown, i: number, insertsOnly: boolean): DeltaOperation {
  const where = `Operation ${i}`;
  if (!isPlainObject(c)) throw invalid(`${where} must be an object`);
  const keys = Object.keys(c).filter((k) => k !== 'attributes');
  if (keys.length !== 1) throw invalid(`${where} must have exactly one of insert, retain, delete`);
  const kind = keys[0];
  if (insertsOnly && kind !== 'insert') throw invalid(`${where}: a document holds inserts only`);
  if (kind === 'insert') {
    const { insert } = c;
    if (typeof insert === 'string') {
      if (insert.length === 0) throw invalid(`${where}: an insert must not be empty`);
      if (hasLoneSurrogate(insert)) throw new TandemError('OP_BAD_UNICODE', `${where} has a lone surrogate`);
    } else if (!isPlainObject(insert) || Object.keys(insert).length !== 1) {
      throw invalid(`${where}: an embed is an object with one key`);
    } else if (embedHasLoneSurrogate(insert)) {
      throw new TandemError('OP_BAD_UNICODE', `${where}: the embed has a lone surrogate`);
    }
  } else if (kind === 'retain' || kind === 'delete') {
    if (!isLength(c[kind])) throw invalid(`${where}: ${kind} must be a positive integer`);
    if (kind === 'delete' && c.attributes !== undefined)
      throw invalid(`${where}: a delete has no attributes`);
  } else {
    throw invalid(`${where}: unknown operation ${kind}`);
  }
  checkAttributes(c.attributes, where);
  return c as DeltaOperation;
}

function checkOp(op: unknown): RichTextOp {
  if (!Array.isArray(op)) throw invalid('A rich-text op must be an array of Delta operations');
  for (const [i, c] of op.entries()) checkComponent(c, i, false);
  // A copy: chop() drops a trailing retain from the array in place.
  return opsOf(delta([...op] as DeltaOperation[]).chop());
}

function lengthOf(c: DeltaOperation): number {
  if ('delete' in c) return c.delete;
  if ('retain' in c) return c.retain;
  return typeof c.insert === 'string' ? c.insert.length : 1;
}

/** The document as text, with each embed as one placeholder unit, for range checks. */
function flatText(doc: RichTextSnapshot): string {
  let s = '';
  for (const c of doc) if ('insert' in c) s += typeof c.insert === 'string' ? c.insert : '\uFFFC';
  return s;
}

function checkOpAgainst(op: RichTextOp, doc: RichTextSnapshot): void {
  let reach = 0;
  const boundaries: number[] = [];
  for (const c of op) {
    if ('insert' in c) {
      boundaries.push(reach);
      continue;
    }
    boundaries.push(reach);
    reach += lengthOf(c);
    boundaries.push(reach);
  }
  let docLength = 0;
  for (const c of doc) docLength += lengthOf(c);
  if (reach > docLength) {
    throw new TandemError('OP_OUT_OF_RANGE', 'The op reaches past the end of the document', {
      details: { documentLength: docLength },
    });
  }
  const text = flatText(doc);
  if (boundaries.some((b) => splitsSurrogatePair(text, b))) {
    throw new TandemError('OP_BAD_UNICODE', 'The op splits a surrogate pair');
  }
}

function create(initial?: unknown): RichTextSnapshot {
  if (initial === undefined) return [];
  const ops = typeof initial === 'string' ? (initial === '' ? [] : [{ insert: initial }]) : initial;
  try {
    if (!Array.isArray(ops)) throw invalid('Rich-text content must be a string or an array of inserts');
    for (const [i, c] of ops.entries()) checkComponent(c, i, true);
  } catch (err) {
    throw new TandemError('SNAPSHOT_INVALID', (err as Error).message, { cause: err });
  }
  return opsOf(delta(ops as DeltaOperation[]).compose(delta([])));
}

function checkCursor(cursor: unknown): number {
  if (typeof cursor !== 'number' || !Number.isSafeInteger(cursor) || cursor < 0) {
    throw new TandemError('BAD_MESSAGE', 'A rich-text cursor is a non-negative integer (UTF-16 units)');
  }
  return cursor;
}

/** Positions are in the document after the op: retains and inserts advance, deletes do not. */
function extent(op: RichTextOp): OpExtent {
  let pos = 0;
  let inserted = 0;
  let deleted = 0;
  let formatted = 0;
  let start = -1;
  let end = 0;
  for (const c of op) {
    if ('retain' in c && !c.attributes) {
      pos += c.retain;
      continue;
    }
    if (start < 0) start = pos;
    if ('retain' in c) {
      formatted += c.retain;
      pos += c.retain;
    } else if ('insert' in c) {
      const n = typeof c.insert === 'string' ? c.insert.length : 1;
      inserted += n;
      pos += n;
    } else {
      deleted += c.delete;
    }
    end = pos;
  }
  return { inserted, deleted, formatted, span: start < 0 ? null : { start, end }, paths: [] };
}

// quill-delta's transform(other, priority): priority true means `this` happened first,
// which is our 'left' for the other op.
export const richTextType: DocType<RichTextSnapshot, RichTextOp, number> = {
  name: 'rich-text',
  uri: richText.type.uri,
  positionUnit: 'utf16',
  create,
  checkOp,
  checkOpAgainst,
  apply: (doc, op) => opsOf(delta(doc).compose(delta(op))),
  transform: (op, other, side) => opsOf(delta(other).transform(delta(op), side === 'right')),
  transformWithConflicts: (op, other, side) => ({
    op: opsOf(delta(other).transform(delta(op), side === 'right')),
    conflicts: [],
  }),
  compose: (a, b) => opsOf(delta(a).compose(delta(b))),
  invertWithDoc: (op, before) => opsOf(delta(op).invert(delta(before))),
  normalize: (op) => opsOf(delta([...op]).chop()),
  isNoop: (op) => op.length === 0,
  diff: (before, after) => opsOf(delta(before).diff(delta(after))),
  transformCursor: (cursor, op, ownOp) => delta(op).transformPosition(cursor, !ownOp),
  checkCursor,
  extent,
};
