import { TandemError } from '@tandem/errors';
import otJson1 from 'ot-json1';
import otText from 'ot-text-unicode';
import type { Conflict, ConflictKind, DocType, OpExtent, Side } from '../doc-type.js';
import { hasLoneSurrogate } from '../unicode.js';
import { type TextOp, textType } from './text.js';

/**
 * Structured JSON documents: ot-json1.
 *
 * An op is ot-json1's compact tree of components ({i} insert, {r} remove, {p}/{d} pick
 * and drop for moves, {es} a text edit with a `text` op, {ena} add to a number) under the
 * path they act on; null is the no-op. Cursors are paths (arrays of keys and indexes), and
 * a cursor whose item was removed becomes null.
 *
 * ot-json1 throws on write conflicts by default. Tandem resolves them the way its docs
 * describe for transformNoConflict, with the side convention of doc-type.ts: the op
 * committed first wins a collision, an edit under a path the other op removed vanishes,
 * and items moved into each other are both removed. Each resolution is reported.
 */
export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };
export type Json1Op = otJson1.JSONOp;
export type Json1Path = (string | number)[];

const impl = otJson1.type;

// ot-json1 applies embedded text and number edits through its subtype registry, and its
// own versions accept a delete past the end of a string (silently truncating) and an
// add to a string (concatenating). These replacements refuse both, so an invalid edit
// fails the document check instead of garbling the document.
impl.registerSubtype({
  ...otText.type,
  // ot-text-unicode's normalize merges adjacent deletes into the caller's op; this one copies.
  normalize: (op: otText.TextOp) => textType.normalize(op),
  apply(doc: unknown, op: otText.TextOp) {
    if (doc === undefined)
      throw new TandemError('OP_PATH_MISSING', 'A text edit (es) targets a path the document lacks');
    if (typeof doc !== 'string')
      throw new TandemError('OP_INVALID', 'A text edit (es) targets a value that is not a string');
    textType.checkOpAgainst(op, doc);
    return textType.apply(doc, op);
  },
});
impl.registerSubtype({
  name: 'number',
  apply(doc: unknown, n: number) {
    if (doc === undefined)
      throw new TandemError('OP_PATH_MISSING', 'A number edit (ena) targets a path the document lacks');
    if (typeof doc !== 'number')
      throw new TandemError('OP_INVALID', 'A number edit (ena) targets a value that is not a number');
    const sum = doc + n;
    if (!Number.isFinite(sum)) throw new TandemError('OP_OUT_OF_RANGE', 'A number edit overflows');
    return sum;
  },
  compose: (a: number, b: number) => a + b,
  invert: (n: number) => -n,
  transform: (a: number) => a,
});

function isDeepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function invalid(message: string): TandemError {
  return new TandemError('OP_INVALID', message);
}

function checkValue(value: unknown, where: string): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw invalid(`${where}: numbers must be finite`);
    } else if (typeof v === 'string') {
      if (hasLoneSurrogate(v))
        throw new TandemError('OP_BAD_UNICODE', `${where}: a string has a lone surrogate`);
    } else if (Array.isArray(v)) {
      stack.push(...v);
    } else if (typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (hasLoneSurrogate(k))
          throw new TandemError('OP_BAD_UNICODE', `${where}: a key has a lone surrogate`);
        stack.push(child);
      }
    } else {
      throw invalid(`${where}: not a JSON value`);
    }
  }
}

const COMPONENT_KEYS = new Set(['i', 'r', 'p', 'd', 'es', 'ena']);

function checkComponent(c: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(c)) {
    if (!COMPONENT_KEYS.has(k)) throw invalid(`Unknown or unsupported component key ${k}`);
    if (k === 'i') checkValue(v, 'An insert');
    if (k === 'r' && v !== true) checkValue(v, 'A remove');
    if (k === 'es') textType.checkOp(v);
    if (k === 'ena' && (typeof v !== 'number' || !Number.isFinite(v)))
      throw invalid('ena must be a finite number');
  }
}

function checkOpTree(list: unknown[]): void {
  for (const item of list) {
    if (typeof item === 'string') {
      if (hasLoneSurrogate(item)) throw new TandemError('OP_BAD_UNICODE', 'A path key has a lone surrogate');
    } else if (typeof item === 'number') {
      if (!Number.isSafeInteger(item) || item < 0)
        throw invalid('A list index must be a non-negative integer');
    } else if (Array.isArray(item)) {
      checkOpTree(item);
    } else if (typeof item === 'object' && item !== null) {
      checkComponent(item as Record<string, unknown>);
    } else {
      throw invalid('An op is a list of keys, components and sub-lists');
    }
  }
}

function checkOp(op: unknown): Json1Op {
  if (op === null) return null;
  if (!Array.isArray(op)) throw invalid('A json1 op must be null or a list');
  checkOpTree(op);
  try {
    const normalized = impl.normalize(op as Json1Op);
    impl.checkValidOp(normalized);
    return normalized;
  } catch (err) {
    throw new TandemError('OP_INVALID', `Malformed json1 op: ${(err as Error).message}`, { cause: err });
  }
}

function checkOpAgainst(op: Json1Op, doc: JSONValue): void {
  // ot-json1 has no separate validity check against a document; apply is that check
  // (it copies only the paths the op touches).
  try {
    impl.apply(doc, op);
  } catch (err) {
    if (err instanceof TandemError) throw err;
    throw new TandemError('OP_PATH_MISSING', `The op does not fit the document: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

const KIND: Record<number, ConflictKind> = {
  [impl.DROP_COLLISION]: 'drop-collision',
  [impl.RM_UNEXPECTED_CONTENT]: 'remove-edit',
  [impl.BLACKHOLE]: 'blackhole',
};

function firstPath(op: Json1Op): Json1Path {
  const path: Json1Path = [];
  let list: unknown = op;
  while (Array.isArray(list)) {
    let descended = false;
    for (const item of list) {
      if (typeof item === 'string' || typeof item === 'number') path.push(item);
      else if (Array.isArray(item)) {
        list = item;
        descended = true;
        break;
      } else return path;
    }
    if (!descended) break;
  }
  return path;
}

function describe(kind: ConflictKind, path: Json1Path): string {
  const at = `/${path.join('/')}`;
  switch (kind) {
    case 'drop-collision':
      return `Two edits wrote a value at ${at}; the one committed first was kept.`;
    case 'remove-edit':
      return `One edit removed content that another edit changed at ${at}; the removal was kept.`;
    case 'blackhole':
      return `Two moves at ${at} put items inside each other; both items were removed.`;
  }
}

function hasRemove(op: unknown): boolean {
  if (Array.isArray(op)) return op.some(hasRemove);
  return typeof op === 'object' && op !== null && 'r' in op;
}

/** Mirrors ot-json1's resolveConflict: who keeps their write for each kind of conflict. */
function keptBy(kind: ConflictKind, conflictOp: Json1Op, side: Side): Conflict['kept'] {
  if (kind === 'blackhole') return 'neither';
  if (kind === 'remove-edit') return hasRemove(conflictOp) ? 'op' : 'other';
  return side === 'left' ? 'op' : 'other';
}

function transformWithConflicts(op: Json1Op, other: Json1Op, side: Side) {
  const conflicts: Conflict[] = [];
  const resolving = impl.typeAllowingConflictsPred((c) => {
    const kind = KIND[c.type] ?? 'drop-collision';
    const path = firstPath(c.op1);
    const kept = keptBy(kind, c.op1, side);
    conflicts.push({ kind, op: c.op1, other: c.op2, kept, description: describe(kind, path) });
    return true;
  });
  return { op: resolving.transform(op, other, side), conflicts };
}

function create(initial?: unknown): JSONValue {
  if (initial === undefined) return null;
  try {
    checkValue(initial, 'Content');
  } catch (err) {
    throw new TandemError('SNAPSHOT_INVALID', (err as Error).message, { cause: err });
  }
  return initial as JSONValue;
}

function checkCursor(cursor: unknown): Json1Path {
  if (
    !Array.isArray(cursor) ||
    !cursor.every((k) => typeof k === 'string' || (Number.isSafeInteger(k) && k >= 0))
  ) {
    throw new TandemError('BAD_MESSAGE', 'A json1 cursor is a path of keys and indexes');
  }
  return cursor as Json1Path;
}

/**
 * Each component counts where it sits: an insert {i} one value in, a remove {r} one value
 * out, a text edit {es} its characters; moves and number edits count no amount but their
 * paths. A component sits after the keys before it, and each nested list is a branch.
 */
function extent(op: Json1Op): OpExtent {
  const out: OpExtent = { inserted: 0, deleted: 0, formatted: 0, span: null, paths: [] };
  const walk = (list: readonly unknown[], at: Json1Path): void => {
    const path = [...at];
    for (const item of list) {
      if (typeof item === 'string' || typeof item === 'number') path.push(item);
      else if (Array.isArray(item)) walk(item, path);
      else if (typeof item === 'object' && item !== null) {
        const c = item as Record<string, unknown>;
        if ('i' in c) out.inserted++;
        if ('r' in c) out.deleted++;
        if (Array.isArray(c.es)) {
          const text = textType.extent(c.es as TextOp);
          out.inserted += text.inserted;
          out.deleted += text.deleted;
        }
        out.paths.push([...path]);
      }
    }
  };
  if (Array.isArray(op)) walk(op, []);
  return out;
}

export const json1Type: DocType<JSONValue, Json1Op, Json1Path | null> = {
  name: 'json1',
  uri: impl.uri,
  positionUnit: 'path',
  create,
  checkOp,
  checkOpAgainst,
  apply: (doc, op) => impl.apply(doc, op) as JSONValue,
  transform: (op, other, side) => impl.transformNoConflict(op, other, side),
  transformWithConflicts,
  compose: (a, b) => impl.compose(a, b),
  invertWithDoc: (op, before) => impl.invertWithDoc(op, before),
  normalize: (op) => impl.normalize(op),
  isNoop: (op) => impl.isNoop(op),
  diff: (before, after) => (isDeepEqual(before, after) ? null : impl.normalize([{ r: true, i: after }])),
  transformCursor: (cursor, op) =>
    cursor === null ? null : (impl.transformPosition(cursor, op) as Json1Path | null),
  checkCursor,
  extent,
};
