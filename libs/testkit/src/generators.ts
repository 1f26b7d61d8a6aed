/**
 * Random op generators for the three document types, for property tests and simulations.
 *
 * Each generator takes the current snapshot and returns an op that is valid for it: it
 * passes `validateOp(type, op, snapshot)`. Text is drawn from a mix of ASCII, astral emoji
 * (with a skin tone modifier and a flag), a combining mark and CJK, so position units
 * matter: `text` ops count code points, `rich-text` ops count UTF-16 units but never end
 * a component inside a surrogate pair, and no generated string has a lone surrogate.
 *
 * json1 ops are built by hand in ot-json1's op format (the shapes its insertOp, removeOp,
 * replaceOp, moveOp and editOp helpers return; json1MoveOp and friends below) and
 * normalized with json1Type.normalize: ot-json1 is a dependency of @tandem/ot, not of
 * this package, so it does not resolve from here.
 */
import {
  type AttributeMap,
  codePointLength,
  type DeltaOperation,
  type DocTypeName,
  type JSONValue,
  type Json1Op,
  type Json1Path,
  json1Type,
  type RichTextOp,
  type RichTextSnapshot,
  splitsSurrogatePair,
  type TextOp,
  type TextOpComponent,
} from '@tandem/ot';
import type { Random } from './random.js';

// ---------------------------------------------------------------------------
// Text material

/**
 * What random text is made of: ASCII, astral emoji (one code point, a pair with a skin
 * tone modifier, a regional-indicator flag), a letter with a combining acute accent,
 * CJK, a precomposed letter and a non-emoji astral symbol.
 */
export const TEXT_PIECES: readonly string[] = [
  'a',
  'b',
  'xyz',
  'Hello',
  ' ',
  '\n',
  '😀',
  '👍🏽',
  '🇫🇷',
  'e\u0301',
  '漢字',
  'ñ',
  '𝄞',
  'Ω',
];

/** A short random string of 1 to `maxPieces` pieces of TEXT_PIECES; never has a lone surrogate. */
export function randomText(rng: Random, maxPieces = 3): string {
  let s = '';
  const n = rng.range(1, Math.max(1, maxPieces));
  for (let i = 0; i < n; i++) s += rng.pick(TEXT_PIECES);
  return s;
}

// ---------------------------------------------------------------------------
// text (ot-text-unicode): positions in code points

function pushText(op: TextOpComponent[], c: TextOpComponent): void {
  const last = op[op.length - 1];
  if (typeof c === 'number' && typeof last === 'number') op[op.length - 1] = last + c;
  else if (typeof c === 'string' && typeof last === 'string') op[op.length - 1] = last + c;
  else if (typeof c === 'object' && typeof last === 'object') {
    op[op.length - 1] = {
      d:
        typeof c.d === 'string' && typeof last.d === 'string'
          ? last.d + c.d
          : (typeof last.d === 'number' ? last.d : codePointLength(last.d)) +
            (typeof c.d === 'number' ? c.d : codePointLength(c.d)),
    };
  } else op.push(c);
}

/**
 * A random text op on `doc`: one to three edits left to right, each an insert or a
 * delete (of 1 to 4 code points, as {d: n} or as the deleted text {d: "..."}), with skips
 * between them. Never a no-op, never a trailing skip.
 */
export function randomTextOp(rng: Random, doc: string): TextOp {
  const chars = Array.from(doc);
  const length = chars.length;
  const op: TextOpComponent[] = [];
  let pos = 0;
  const edits = rng.range(1, 3);
  for (let e = 0; e < edits; e++) {
    const remaining = length - pos;
    // Skew towards short skips so later edits still have room.
    const skip = remaining > 0 ? rng.int(Math.min(remaining, rng.bool(0.7) ? 4 : remaining) + 1) : 0;
    if (skip > 0) {
      pushText(op, skip);
      pos += skip;
    }
    if (length - pos > 0 && rng.bool(0.45)) {
      const n = rng.range(1, Math.min(4, length - pos));
      pushText(op, rng.bool() ? { d: n } : { d: chars.slice(pos, pos + n).join('') });
      pos += n;
    } else {
      pushText(op, randomText(rng));
    }
  }
  return op;
}

// ---------------------------------------------------------------------------
// rich-text (Quill Delta): positions in UTF-16 units

const INSERT_ATTRIBUTES: readonly (AttributeMap | undefined)[] = [
  undefined,
  undefined,
  { bold: true },
  { italic: true },
  { color: '#ff0000' },
  { bold: true, italic: true },
  { link: 'https://example.com/😀' },
  { size: 12 },
];

const FORMAT_ATTRIBUTES: readonly AttributeMap[] = [
  { bold: true },
  { bold: null },
  { italic: true },
  { italic: null },
  { color: 'blue' },
  { color: null },
  { bold: true, color: 'green' },
  { link: null, size: 14 },
];

const EMBEDS: readonly Record<string, unknown>[] = [
  { image: 'x.png' },
  { image: 'cat-🐱.png' },
  { formula: 'e=mc^2' },
  { video: 'https://example.com/v.mp4' },
];

function sameAttributes(a: AttributeMap | undefined, b: AttributeMap | undefined): boolean {
  const ka = a === undefined ? [] : Object.keys(a).sort();
  const kb = b === undefined ? [] : Object.keys(b).sort();
  if (ka.length !== kb.length) return false;
  return ka.every((k, i) => k === kb[i] && a?.[k] === b?.[k]);
}

function withAttributes<T extends object>(c: T, attributes: AttributeMap | undefined): T {
  return attributes === undefined || Object.keys(attributes).length === 0
    ? c
    : { ...c, attributes: { ...attributes } };
}

/** Appends like quill-delta's Delta.push: merges neighbours, and puts an insert before an adjacent delete. */
function pushDelta(ops: DeltaOperation[], c: DeltaOperation): void {
  let index = ops.length;
  let last = ops[index - 1];
  if (last !== undefined) {
    if ('delete' in c && 'delete' in last) {
      ops[index - 1] = { delete: last.delete + c.delete };
      return;
    }
    if ('insert' in c && 'delete' in last) {
      index -= 1;
      last = ops[index - 1];
      if (last === undefined) {
        ops.unshift(c);
        return;
      }
    }
    const ca = 'delete' in c ? undefined : c.attributes;
    const la = 'delete' in last ? undefined : last.attributes;
    if (sameAttributes(ca, la)) {
      if (
        'insert' in c &&
        'insert' in last &&
        typeof c.insert === 'string' &&
        typeof last.insert === 'string'
      ) {
        ops[index - 1] = withAttributes({ insert: last.insert + c.insert }, ca);
        return;
      }
      if ('retain' in c && 'retain' in last) {
        ops[index - 1] = withAttributes({ retain: last.retain + c.retain }, ca);
        return;
      }
    }
  }
  ops.splice(index, 0, c);
}

function richLength(doc: RichTextSnapshot): number {
  let n = 0;
  for (const c of doc) if ('insert' in c) n += typeof c.insert === 'string' ? c.insert.length : 1;
  return n;
}

function richFlatText(doc: RichTextSnapshot): string {
  let s = '';
  for (const c of doc) if ('insert' in c) s += typeof c.insert === 'string' ? c.insert : '\uFFFC';
  return s;
}

function randomRichInsert(rng: Random): DeltaOperation {
  if (rng.bool(0.15))
    return withAttributes({ insert: { ...rng.pick(EMBEDS) } }, rng.bool(0.3) ? { alt: 'pic' } : undefined);
  return withAttributes({ insert: randomText(rng) }, rng.pick(INSERT_ATTRIBUTES));
}

/**
 * A random rich-text op on `doc`: one to three edits left to right, each an insert
 * (text with random attributes, or an embed), a delete, or a retain that changes
 * attributes (setting or removing them with null). Every boundary falls between code
 * points, never inside a surrogate pair.
 */
export function randomRichTextOp(rng: Random, doc: RichTextSnapshot): RichTextOp {
  const text = richFlatText(doc);
  const length = richLength(doc);
  const boundaries: number[] = [];
  for (let i = 0; i <= length; i++) if (!splitsSurrogatePair(text, i)) boundaries.push(i);
  const after = (pos: number, limit: number) => boundaries.filter((b) => b > pos && b <= limit);

  const ops: DeltaOperation[] = [];
  let pos = 0;
  const edits = rng.range(1, 3);
  for (let e = 0; e < edits; e++) {
    if (rng.bool(0.6)) {
      const gap = after(pos, Math.min(length, pos + 8));
      if (gap.length > 0) {
        const to = rng.pick(gap);
        pushDelta(ops, { retain: to - pos });
        pos = to;
      }
    }
    const span = after(pos, Math.min(length, pos + 6));
    const kind = span.length === 0 ? 'insert' : rng.pick(['insert', 'insert', 'delete', 'format'] as const);
    if (kind === 'insert') {
      pushDelta(ops, randomRichInsert(rng));
    } else {
      const to = rng.pick(span);
      if (kind === 'delete') pushDelta(ops, { delete: to - pos });
      else pushDelta(ops, withAttributes({ retain: to - pos }, rng.pick(FORMAT_ATTRIBUTES)));
      pos = to;
    }
  }
  // A trailing plain retain says nothing; drop it as Delta.chop would.
  const last = ops[ops.length - 1];
  if (last !== undefined && 'retain' in last && last.attributes === undefined) ops.pop();
  return ops;
}

// ---------------------------------------------------------------------------
// json1 (ot-json1)

/** Object keys the json1 generators use; a small set, so concurrent inserts often collide. */
export const JSON_KEYS: readonly string[] = [
  'title',
  'items',
  'count',
  'tags',
  'a',
  'b',
  'x',
  '😀',
  'é',
  'e\u0301',
  '漢',
];

type JSONObject = { [key: string]: JSONValue };

function isObject(v: JSONValue | undefined): v is JSONObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A small random JSON value; containers nest at most `depth` levels. */
export function randomJsonValue(rng: Random, depth = 2): JSONValue {
  const kind = rng.int(depth > 0 ? 7 : 5);
  switch (kind) {
    case 0:
    case 1:
      return randomText(rng);
    case 2:
      return rng.range(-20, 20);
    case 3:
      return rng.bool();
    case 4:
      return null;
    case 5: {
      const list: JSONValue[] = [];
      for (let i = rng.int(4); i > 0; i--) list.push(randomJsonValue(rng, depth - 1));
      return list;
    }
    default: {
      const obj: JSONObject = {};
      for (let i = rng.int(4); i > 0; i--) obj[rng.pick(JSON_KEYS)] = randomJsonValue(rng, depth - 1);
      return obj;
    }
  }
}

interface JsonNode {
  path: Json1Path;
  value: JSONValue;
}

/** Every value in `doc` with its path, the root first. */
function jsonNodes(doc: JSONValue): JsonNode[] {
  const out: JsonNode[] = [];
  const stack: JsonNode[] = [{ path: [], value: doc }];
  while (stack.length > 0) {
    const node = stack.pop() as JsonNode;
    out.push(node);
    const { path, value } = node;
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) stack.push({ path: [...path, i], value: v });
    } else if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) stack.push({ path: [...path, k], value: v });
    }
  }
  return out;
}

/** A key of JSON_KEYS that `obj` lacks, or a numbered one when it has them all. */
function freshKey(rng: Random, obj: JSONObject): string {
  const free = JSON_KEYS.filter((k) => !Object.hasOwn(obj, k));
  if (free.length > 0) return rng.pick(free);
  for (let n = rng.int(1000); ; n++) if (!Object.hasOwn(obj, `k${n}`)) return `k${n}`;
}

/** [...path, {i: value}]: insert `value` at `path` (ot-json1's insertOp). */
export function json1InsertOp(path: Json1Path, value: JSONValue): Json1Op {
  return [...path, { i: value }] as Json1Op;
}

/** [...path, {r: true}]: remove what is at `path` (ot-json1's removeOp). */
export function json1RemoveOp(path: Json1Path): Json1Op {
  return [...path, { r: true }] as Json1Op;
}

/** [...path, {r: true, i: value}]: replace what is at `path` (ot-json1's replaceOp). */
export function json1ReplaceOp(path: Json1Path, value: JSONValue): Json1Op {
  return [...path, { r: true, i: value }] as Json1Op;
}

/** A text edit of the string at `path` (ot-json1's editOp with text-unicode). */
export function json1TextEditOp(path: Json1Path, op: TextOp): Json1Op {
  return [...path, { es: op }] as Json1Op;
}

/** An addition to the number at `path` (ot-json1's editOp with number). */
export function json1AddOp(path: Json1Path, n: number): Json1Op {
  return [...path, { ena: n }] as Json1Op;
}

/**
 * Moves the value at `from` to `to` (ot-json1's moveOp; `to` is read in the document
 * after the value left `from`). `to` must not be inside `from`.
 */
export function json1MoveOp(from: Json1Path, to: Json1Path): Json1Op {
  let common = 0;
  while (common < from.length && common < to.length && from[common] === to[common]) common++;
  if (common === from.length || common === to.length) {
    throw new RangeError('json1MoveOp: one path contains the other');
  }
  const pick = [...from.slice(common), { p: 0 }];
  const drop = [...to.slice(common), { d: 0 }];
  return json1Type.normalize([...from.slice(0, common), pick, drop] as Json1Op);
}

type Json1Kind = 'insert-key' | 'list-insert' | 'remove' | 'replace' | 'move' | 'es' | 'ena';

function randomMove(rng: Random, nodes: JsonNode[]): Json1Op | undefined {
  const movable = nodes.filter((n) => n.path.length > 0);
  if (movable.length === 0) return undefined;
  const from = rng.pick(movable).path;
  const parentPath = from.slice(0, -1);
  const parent = nodes.find(
    (n) => n.path.length === parentPath.length && n.path.every((k, i) => k === parentPath[i]),
  );
  // Sibling moves: reorder a list, or rename an object key.
  if (parent !== undefined && rng.bool(0.5)) {
    if (Array.isArray(parent.value) && parent.value.length >= 2) {
      const i = from[from.length - 1] as number;
      let j = rng.int(parent.value.length - 1);
      if (j >= i) j++;
      return json1MoveOp(from, [...parentPath, j]);
    } else if (isObject(parent.value)) {
      return json1MoveOp(from, [...parentPath, freshKey(rng, parent.value)]);
    }
  }
  // A move elsewhere: only where the two paths part at object keys, so a list index
  // in the destination never has to be read in post-pick coordinates of the same list.
  const targets: Json1Path[] = [];
  for (const n of nodes) {
    if (!Array.isArray(n.value) && !isObject(n.value)) continue;
    const to: Json1Path = Array.isArray(n.value)
      ? [...n.path, rng.int(n.value.length + 1)]
      : [...n.path, freshKey(rng, n.value)];
    let common = 0;
    while (common < from.length && common < to.length && from[common] === to[common]) common++;
    if (common >= from.length || common >= to.length) continue;
    if (typeof from[common] === 'string' && typeof to[common] === 'string') targets.push(to);
  }
  if (targets.length === 0) return undefined;
  return json1MoveOp(from, rng.pick(targets));
}

/**
 * A random json1 op on `doc`: insert a new object key, insert into a list, remove or
 * replace a value, move a value (within a list, to a new key, or to another container),
 * edit a string with a text op (es) or add to a number (ena). The root is never removed;
 * a null or scalar root is replaced by an object.
 */
export function randomJson1Op(rng: Random, doc: JSONValue): Json1Op {
  if (!Array.isArray(doc) && !isObject(doc)) {
    return json1Type.normalize(
      doc === null ? [{ i: randomJson1Initial(rng) }] : [{ r: true, i: randomJson1Initial(rng) }],
    );
  }
  const nodes = jsonNodes(doc);
  const nonRoot = nodes.filter((n) => n.path.length > 0);
  const objects = nodes.filter((n) => isObject(n.value));
  const lists = nodes.filter((n) => Array.isArray(n.value));
  const strings = nodes.filter((n) => typeof n.value === 'string');
  const numbers = nodes.filter((n) => typeof n.value === 'number');

  const kinds: Json1Kind[] = [];
  if (objects.length > 0) kinds.push('insert-key', 'insert-key');
  if (lists.length > 0) kinds.push('list-insert', 'list-insert');
  if (nonRoot.length > 0) kinds.push('remove', 'replace', 'move', 'move');
  if (strings.length > 0) kinds.push('es', 'es', 'es');
  if (numbers.length > 0) kinds.push('ena', 'ena');

  for (;;) {
    const kind = rng.pick(kinds);
    switch (kind) {
      case 'insert-key': {
        const node = rng.pick(objects);
        return json1InsertOp([...node.path, freshKey(rng, node.value as JSONObject)], randomJsonValue(rng));
      }
      case 'list-insert': {
        const node = rng.pick(lists);
        const list = node.value as JSONValue[];
        return json1InsertOp([...node.path, rng.int(list.length + 1)], randomJsonValue(rng));
      }
      case 'remove':
        return json1RemoveOp(rng.pick(nonRoot).path);
      case 'replace':
        return json1ReplaceOp(rng.pick(nonRoot).path, randomJsonValue(rng));
      case 'move': {
        const op = randomMove(rng, nodes);
        if (op !== undefined) return op;
        break;
      }
      case 'es': {
        const node = rng.pick(strings);
        return json1TextEditOp(node.path, randomTextOp(rng, node.value as string));
      }
      case 'ena': {
        const node = rng.pick(numbers);
        return json1AddOp(node.path, rng.bool() ? rng.range(1, 9) : -rng.range(1, 9));
      }
    }
  }
}

function randomJson1Initial(rng: Random): JSONValue {
  const doc: JSONObject = {
    title: randomText(rng),
    items: Array.from({ length: rng.range(0, 4) }, () => randomText(rng, 2)),
    count: rng.range(0, 10),
    tags: { a: true },
  };
  const tags = doc.tags as JSONObject;
  if (rng.bool()) tags.b = rng.bool();
  if (rng.bool()) tags[rng.pick(['😀', 'é', '漢'])] = randomText(rng, 1);
  if (rng.bool(0.3)) (doc.items as JSONValue[]).push({ name: randomText(rng, 1), done: rng.bool() });
  if (rng.bool(0.3)) doc.x = randomJsonValue(rng, 1);
  return doc;
}

// ---------------------------------------------------------------------------
// Dispatch by type name

function randomRichTextInitial(rng: Random): RichTextSnapshot {
  const ops: DeltaOperation[] = [];
  for (let i = rng.int(5); i > 0; i--) pushDelta(ops, randomRichInsert(rng));
  return ops;
}

function randomTextInitial(rng: Random): string {
  return rng.bool(0.1) ? '' : randomText(rng, 6);
}

/** A small random initial snapshot for the type, valid for its create(). */
export function randomInitial(typeName: 'text', rng: Random): string;
export function randomInitial(typeName: 'rich-text', rng: Random): RichTextSnapshot;
export function randomInitial(typeName: 'json1', rng: Random): JSONValue;
export function randomInitial(typeName: DocTypeName, rng: Random): unknown;
export function randomInitial(typeName: DocTypeName, rng: Random): unknown {
  switch (typeName) {
    case 'text':
      return randomTextInitial(rng);
    case 'rich-text':
      return randomRichTextInitial(rng);
    case 'json1':
      return randomJson1Initial(rng);
  }
}

/** A random op valid for `snapshot`, for the type called `typeName`. */
export function randomOp(typeName: 'text', rng: Random, snapshot: string): TextOp;
export function randomOp(typeName: 'rich-text', rng: Random, snapshot: RichTextSnapshot): RichTextOp;
export function randomOp(typeName: 'json1', rng: Random, snapshot: JSONValue): Json1Op;
export function randomOp(typeName: DocTypeName, rng: Random, snapshot: unknown): unknown;
export function randomOp(typeName: DocTypeName, rng: Random, snapshot: unknown): unknown {
  switch (typeName) {
    case 'text':
      return randomTextOp(rng, snapshot as string);
    case 'rich-text':
      return randomRichTextOp(rng, snapshot as RichTextSnapshot);
    case 'json1':
      return randomJson1Op(rng, snapshot as JSONValue);
  }
}
