/**
 * Every validation error code, with an input that triggers it. validateOp must throw a
 * TandemError with a stable code and change nothing: neither the snapshot nor the op it
 * was given.
 */
import { type ErrorCode, isTandemError } from '@tandem/errors';
import {
  type AnyDocType,
  checkDepth,
  DEFAULT_OP_LIMITS,
  DOC_TYPE_NAMES,
  getDocType,
  isDocTypeName,
  json1Type,
  type OpLimits,
  richTextType,
  textType,
  validateOp,
} from '@tandem/ot';
import { describe, expect, it } from 'vitest';

const text = getDocType('text');
const rich = getDocType('rich-text');
const json1 = getDocType('json1');

const GRIN = '😀';
const HIGH = '\uD83D'; // a high surrogate on its own
const LOW = '\uDE00'; // a low surrogate on its own

/** The error `fn` throws; fails the test when it returns. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw, but the call returned');
}

function expectCode(fn: () => unknown, code: ErrorCode): void {
  const err = thrown(fn);
  if (!isTandemError(err)) throw new Error(`expected TandemError ${code}, got ${String(err)}`);
  expect(err.code).toBe(code);
  expect(isTandemError(err, code)).toBe(true);
}

interface Case {
  name: string;
  type: AnyDocType;
  op: unknown;
  doc?: unknown;
  limits?: OpLimits;
  code: ErrorCode;
}

const JSON_DOC = { title: 'hi', items: ['a', 'b'], count: 3, tags: { a: true }, big: Number.MAX_VALUE };
const RICH_DOC = [{ insert: `ab${GRIN}` }, { insert: { image: 'x.png' } }];

const CASES: Case[] = [
  // OP_INVALID: the shape is wrong.
  { name: 'text: not an array', type: text, op: 'abc', code: 'OP_INVALID' },
  { name: 'text: an object', type: text, op: { 0: 'a' }, code: 'OP_INVALID' },
  { name: 'text: null', type: text, op: null, code: 'OP_INVALID' },
  { name: 'text: zero skip', type: text, op: [0, 'x'], code: 'OP_INVALID' },
  { name: 'text: negative skip', type: text, op: [-1, 'x'], code: 'OP_INVALID' },
  { name: 'text: fractional skip', type: text, op: [1.5, 'x'], code: 'OP_INVALID' },
  { name: 'text: empty insert', type: text, op: [''], code: 'OP_INVALID' },
  { name: 'text: {d:0}', type: text, op: [{ d: 0 }], code: 'OP_INVALID' },
  { name: 'text: {d:""}', type: text, op: [{ d: '' }], code: 'OP_INVALID' },
  { name: 'text: {d:-2}', type: text, op: [{ d: -2 }], code: 'OP_INVALID' },
  { name: 'text: {d} with another key', type: text, op: [{ d: 1, x: 1 }], code: 'OP_INVALID' },
  { name: 'text: unknown object component', type: text, op: [{ i: 'x' }], code: 'OP_INVALID' },
  { name: 'text: null component', type: text, op: [null], code: 'OP_INVALID' },
  { name: 'text: nested array component', type: text, op: [['x']], code: 'OP_INVALID' },
  { name: 'text: boolean component', type: text, op: [true], code: 'OP_INVALID' },
  { name: 'rich-text: not an array', type: rich, op: { ops: [] }, code: 'OP_INVALID' },
  { name: 'rich-text: two keys', type: rich, op: [{ insert: 'a', retain: 1 }], code: 'OP_INVALID' },
  { name: 'rich-text: no key', type: rich, op: [{}], code: 'OP_INVALID' },
  { name: 'rich-text: unknown operation', type: rich, op: [{ replace: 'a' }], code: 'OP_INVALID' },
  { name: 'rich-text: a string component', type: rich, op: ['a'], code: 'OP_INVALID' },
  { name: 'rich-text: zero retain', type: rich, op: [{ retain: 0 }, { insert: 'a' }], code: 'OP_INVALID' },
  { name: 'rich-text: zero delete', type: rich, op: [{ delete: 0 }], code: 'OP_INVALID' },
  { name: 'rich-text: fractional retain', type: rich, op: [{ retain: 0.5 }], code: 'OP_INVALID' },
  { name: 'rich-text: empty insert', type: rich, op: [{ insert: '' }], code: 'OP_INVALID' },
  {
    name: 'rich-text: delete with attributes',
    type: rich,
    op: [{ delete: 1, attributes: { bold: true } }],
    code: 'OP_INVALID',
  },
  {
    name: 'rich-text: attributes not an object',
    type: rich,
    op: [{ insert: 'a', attributes: ['bold'] }],
    code: 'OP_INVALID',
  },
  {
    name: 'rich-text: object attribute',
    type: rich,
    op: [{ insert: 'a', attributes: { font: { size: 1 } } }],
    code: 'OP_INVALID',
  },
  {
    name: 'rich-text: embed with two keys',
    type: rich,
    op: [{ insert: { image: 'x', video: 'y' } }],
    code: 'OP_INVALID',
  },
  { name: 'rich-text: null insert', type: rich, op: [{ insert: null }], code: 'OP_INVALID' },
  { name: 'json1: not a list', type: json1, op: { i: 1 }, code: 'OP_INVALID' },
  { name: 'json1: a string', type: json1, op: 'x', code: 'OP_INVALID' },
  {
    name: "json1: unknown component key 'e'",
    type: json1,
    op: ['title', { e: ['x'], et: 'text-unicode' }],
    code: 'OP_INVALID',
  },
  { name: 'json1: unknown component key', type: json1, op: ['title', { z: 1 }], code: 'OP_INVALID' },
  { name: 'json1: pick without drop', type: json1, op: ['title', { p: 0 }], code: 'OP_INVALID' },
  { name: 'json1: drop without pick', type: json1, op: ['x', { d: 0 }], code: 'OP_INVALID' },
  {
    name: 'json1: two picks in one slot',
    type: json1,
    op: [
      ['count', { p: 0 }],
      ['title', { p: 0 }],
      ['z', { d: 0 }],
    ],
    code: 'OP_INVALID',
  },
  {
    name: 'json1: pick and remove together',
    type: json1,
    op: [
      ['count', { p: 0, r: true }],
      ['z', { d: 0 }],
    ],
    code: 'OP_INVALID',
  },
  { name: 'json1: negative index', type: json1, op: ['items', -1, { r: true }], code: 'OP_INVALID' },
  { name: 'json1: fractional index', type: json1, op: ['items', 0.5, { r: true }], code: 'OP_INVALID' },
  { name: 'json1: boolean in a path', type: json1, op: [true, { r: true }], code: 'OP_INVALID' },
  { name: 'json1: __proto__ key', type: json1, op: ['__proto__', { i: 1 }], code: 'OP_INVALID' },
  { name: 'json1: ena not a number', type: json1, op: ['count', { ena: '1' }], code: 'OP_INVALID' },
  { name: 'json1: es not a text op', type: json1, op: ['title', { es: [0, 'x'] }], code: 'OP_INVALID' },
  {
    name: 'json1: non-finite inserted number',
    type: json1,
    op: ['x', { i: Number.POSITIVE_INFINITY }],
    code: 'OP_INVALID',
  },

  // OP_INVALID against the document.
  {
    name: 'text: {d:"abc"} that the document does not have',
    type: text,
    op: [{ d: 'abc' }],
    doc: 'abd',
    code: 'OP_INVALID',
  },
  {
    name: 'text: {d:"😀"} over other text',
    type: text,
    op: [1, { d: GRIN }],
    doc: 'abc',
    code: 'OP_INVALID',
  },
  {
    name: 'json1: ena on a string',
    type: json1,
    op: ['title', { ena: 1 }],
    doc: JSON_DOC,
    code: 'OP_INVALID',
  },
  {
    name: 'json1: ena on a boolean',
    type: json1,
    op: ['tags', 'a', { ena: 1 }],
    doc: JSON_DOC,
    code: 'OP_INVALID',
  },
  {
    name: 'json1: es on a number',
    type: json1,
    op: ['count', { es: ['x'] }],
    doc: JSON_DOC,
    code: 'OP_INVALID',
  },
  {
    name: 'json1: es on a list',
    type: json1,
    op: ['items', { es: ['x'] }],
    doc: JSON_DOC,
    code: 'OP_INVALID',
  },

  // OP_BAD_UNICODE: a lone surrogate, or an op that splits a pair.
  { name: 'text: lone surrogate in an insert', type: text, op: [`a${HIGH}`], code: 'OP_BAD_UNICODE' },
  { name: 'text: lone low surrogate in an insert', type: text, op: [1, LOW], code: 'OP_BAD_UNICODE' },
  { name: 'text: lone surrogate in a delete', type: text, op: [{ d: HIGH }], code: 'OP_BAD_UNICODE' },
  {
    name: 'rich-text: lone surrogate in an insert',
    type: rich,
    op: [{ insert: `${LOW}b` }],
    code: 'OP_BAD_UNICODE',
  },
  {
    name: 'rich-text: lone surrogate in an attribute value',
    type: rich,
    op: [{ insert: 'a', attributes: { link: `https://x/${HIGH}` } }],
    code: 'OP_BAD_UNICODE',
  },
  {
    name: 'rich-text: lone surrogate in a retain attribute value',
    type: rich,
    op: [{ retain: 1, attributes: { color: HIGH } }],
    code: 'OP_BAD_UNICODE',
  },
  {
    name: 'rich-text: lone surrogate in an attribute name',
    type: rich,
    op: [{ insert: 'a', attributes: { [HIGH]: true } }],
    code: 'OP_BAD_UNICODE',
  },
  {
    name: 'rich-text: lone surrogate in an embed',
    type: rich,
    op: [{ insert: { image: `${HIGH}.png` } }],
    code: 'OP_BAD_UNICODE',
  },
  {
    name: 'rich-text: lone surrogate deep in an embed',
    type: rich,
    op: [{ insert: { chart: { series: [{ label: LOW }] } } }],
    code: 'OP_BAD_UNICODE',
  },
  {
    name: 'json1: lone surrogate in an inserted string',
    type: json1,
    op: ['x', { i: `a${HIGH}` }],
    code: 'OP_BAD_UNICODE',
  },
  {
    name: 'json1: lone surrogate deep in an insert',
    type: json1,
    op: ['x', { i: { a: [1, [LOW]] } }],
    code: 'OP_BAD_UNICODE',
  },
  {
    name: 'json1: lone surrogate in an inserted key',
    type: json1,
    op: ['x', { i: { [HIGH]: 1 } }],
    code: 'OP_BAD_UNICODE',
  },
  { name: 'json1: lone surrogate in a path key', type: json1, op: [LOW, { i: 1 }], code: 'OP_BAD_UNICODE' },
  {
    name: 'json1: lone surrogate in a text edit',
    type: json1,
    op: ['title', { es: [1, HIGH] }],
    code: 'OP_BAD_UNICODE',
  },
  {
    name: 'rich-text: a retain ends inside 😀',
    type: rich,
    op: [{ retain: 3 }, { insert: 'x' }],
    doc: RICH_DOC,
    code: 'OP_BAD_UNICODE',
  },
  {
    name: 'rich-text: a delete ends inside 😀',
    type: rich,
    op: [{ retain: 2 }, { delete: 1 }],
    doc: RICH_DOC,
    code: 'OP_BAD_UNICODE',
  },
  {
    name: 'rich-text: a format starts inside 😀',
    type: rich,
    op: [{ retain: 3 }, { retain: 2, attributes: { bold: true } }],
    doc: RICH_DOC,
    code: 'OP_BAD_UNICODE',
  },

  // OP_OUT_OF_RANGE: the op reaches past the end.
  { name: 'text: delete past the end', type: text, op: [{ d: 4 }], doc: 'abc', code: 'OP_OUT_OF_RANGE' },
  {
    name: 'text: delete past the end after a skip',
    type: text,
    op: [2, { d: 2 }],
    doc: 'abc',
    code: 'OP_OUT_OF_RANGE',
  },
  { name: 'text: skip past the end', type: text, op: [4, 'x'], doc: 'abc', code: 'OP_OUT_OF_RANGE' },
  {
    name: 'text: skip past the end of an emoji document',
    type: text,
    op: [2, 'x'],
    doc: GRIN,
    code: 'OP_OUT_OF_RANGE',
  },
  {
    name: 'text: insert into an empty document after a skip',
    type: text,
    op: [1, 'x'],
    doc: '',
    code: 'OP_OUT_OF_RANGE',
  },
  {
    name: 'rich-text: retain past the end',
    type: rich,
    op: [{ retain: 6 }, { insert: 'x' }],
    doc: RICH_DOC,
    code: 'OP_OUT_OF_RANGE',
  },
  {
    name: 'rich-text: format past the end',
    type: rich,
    op: [{ retain: 6, attributes: { bold: true } }],
    doc: RICH_DOC,
    code: 'OP_OUT_OF_RANGE',
  },
  {
    name: 'rich-text: delete past the end',
    type: rich,
    op: [{ delete: 1 }],
    doc: [],
    code: 'OP_OUT_OF_RANGE',
  },
  {
    name: 'json1: ena overflow',
    type: json1,
    op: ['big', { ena: Number.MAX_VALUE }],
    doc: JSON_DOC,
    code: 'OP_OUT_OF_RANGE',
  },
  {
    name: 'json1: text edit past the end of a string',
    type: json1,
    op: ['title', { es: [3, 'x'] }],
    doc: JSON_DOC,
    code: 'OP_OUT_OF_RANGE',
  },
  {
    name: 'json1: text delete past the end of a string',
    type: json1,
    op: ['title', { es: [{ d: 3 }] }],
    doc: JSON_DOC,
    code: 'OP_OUT_OF_RANGE',
  },

  // OP_PATH_MISSING: the op names a place the document lacks.
  {
    name: 'json1: remove a missing key',
    type: json1,
    op: ['nope', { r: true }],
    doc: JSON_DOC,
    code: 'OP_PATH_MISSING',
  },
  {
    name: 'json1: remove a missing index',
    type: json1,
    op: ['items', 2, { r: true }],
    doc: JSON_DOC,
    code: 'OP_PATH_MISSING',
  },
  {
    name: 'json1: insert under a missing path',
    type: json1,
    op: ['nope', 'x', { i: 1 }],
    doc: JSON_DOC,
    code: 'OP_PATH_MISSING',
  },
  {
    name: 'json1: list insert out of bounds',
    type: json1,
    op: ['items', 3, { i: 'z' }],
    doc: JSON_DOC,
    code: 'OP_PATH_MISSING',
  },
  {
    name: 'json1: index into an object',
    type: json1,
    op: ['tags', 0, { i: 1 }],
    doc: JSON_DOC,
    code: 'OP_PATH_MISSING',
  },
  {
    name: 'json1: index into a string',
    type: json1,
    op: ['title', 0, { i: 1 }],
    doc: JSON_DOC,
    code: 'OP_PATH_MISSING',
  },
  {
    name: 'json1: move from a missing key',
    type: json1,
    op: [
      ['nope', { p: 0 }],
      ['z', { d: 0 }],
    ],
    doc: JSON_DOC,
    code: 'OP_PATH_MISSING',
  },
  {
    name: 'json1: es on a missing key',
    type: json1,
    op: ['nope', { es: ['x'] }],
    doc: JSON_DOC,
    code: 'OP_PATH_MISSING',
  },
  {
    name: 'json1: ena on a missing index',
    type: json1,
    op: ['items', 5, { ena: 1 }],
    doc: JSON_DOC,
    code: 'OP_PATH_MISSING',
  },

  // OP_TOO_LARGE: over the size limit.
  { name: 'text: an insert over 64 KiB', type: text, op: ['x'.repeat(70_000)], code: 'OP_TOO_LARGE' },
  {
    name: 'text: 64 KiB of UTF-8 in fewer UTF-16 units',
    type: text,
    op: ['漢'.repeat(22_000)],
    code: 'OP_TOO_LARGE',
  },
  {
    name: 'rich-text: emoji over 64 KiB',
    type: rich,
    op: [{ insert: GRIN.repeat(16_500) }],
    code: 'OP_TOO_LARGE',
  },
  {
    name: 'json1: insert over 64 KiB',
    type: json1,
    op: ['x', { i: Array(20_000).fill('abcd') }],
    code: 'OP_TOO_LARGE',
  },
  {
    name: 'custom limit: a small op over maxOpBytes',
    type: text,
    op: ['hello'],
    limits: { maxOpBytes: 8, maxDepth: 64 },
    code: 'OP_TOO_LARGE',
  },

  // OP_INVALID from the depth limit.
  {
    name: 'custom limit: nested deeper than maxDepth',
    type: json1,
    op: ['a', ['b', { r: true }], ['c', { r: true }]],
    limits: { maxOpBytes: 1000, maxDepth: 2 },
    code: 'OP_INVALID',
  },
];

describe('validateOp error codes', () => {
  it.each(CASES)('$code: $name', ({ type, op, doc, limits, code }) => {
    const docBefore = structuredClone(doc);
    const opBefore = structuredClone(op);
    expectCode(() => validateOp(type, op, doc, limits), code);
    // Changes nothing: neither the snapshot nor the op.
    expect(doc).toEqual(docBefore);
    expect(op).toEqual(opBefore);
  });

  it('every OP_* code is covered', () => {
    const covered = new Set(CASES.map((c) => c.code));
    for (const code of [
      'OP_INVALID',
      'OP_TOO_LARGE',
      'OP_BAD_UNICODE',
      'OP_OUT_OF_RANGE',
      'OP_PATH_MISSING',
    ] as const) {
      expect(covered).toContain(code);
    }
  });
});

describe('ops that are refused are refused by apply too, not garbled', () => {
  it('json1 ena on a string and es on a number throw from apply', () => {
    const doc = structuredClone(JSON_DOC);
    expectCode(() => json1Type.apply(doc, ['title', { ena: 1 }]), 'OP_INVALID');
    expectCode(() => json1Type.apply(doc, ['count', { es: ['x'] }]), 'OP_INVALID');
    expectCode(() => json1Type.apply(doc, ['title', { es: [{ d: 5 }] }]), 'OP_OUT_OF_RANGE');
    expect(doc).toEqual(JSON_DOC);
  });

  it('a text {d:"..."} is checked against the deleted text, not only its length', () => {
    expect(validateOp(textType, [1, { d: `b${GRIN}` }], `ab${GRIN}c`)).toEqual([1, { d: `b${GRIN}` }]);
    expectCode(() => validateOp(textType, [1, { d: 'bc' }], `ab${GRIN}c`), 'OP_INVALID');
  });
});

describe('the size limit', () => {
  it('allows an op of exactly maxOpBytes and refuses one byte more, with details', () => {
    const max = DEFAULT_OP_LIMITS.maxOpBytes;
    expect(max).toBe(64 * 1024);
    // JSON of ["xxx..."] is the string plus 4 bytes.
    expect(validateOp(textType, ['x'.repeat(max - 4)])).toHaveLength(1);
    const err = thrown(() => validateOp(textType, ['x'.repeat(max - 3)]));
    expect(isTandemError(err, 'OP_TOO_LARGE')).toBe(true);
    if (isTandemError(err)) expect(err.details).toEqual({ bytes: max + 1, maxOpBytes: max });
  });

  it('counts UTF-8 bytes, not UTF-16 units', () => {
    // 21,000 CJK characters: 63,004 bytes of JSON, under the limit; 22,000 are over it.
    expect(() => validateOp(textType, ['漢'.repeat(21_000)])).not.toThrow();
    expectCode(() => validateOp(textType, ['漢'.repeat(22_000)]), 'OP_TOO_LARGE');
  });

  it('takes custom limits', () => {
    const limits: OpLimits = { maxOpBytes: 9, maxDepth: 64 };
    expect(validateOp(textType, ['hello'], undefined, limits)).toEqual(['hello']); // ["hello"] is 9 bytes
    expectCode(() => validateOp(textType, ['hello!'], undefined, limits), 'OP_TOO_LARGE');
    expect(
      validateOp(textType, ['x'.repeat(100_000)], undefined, { maxOpBytes: 200_000, maxDepth: 64 }),
    ).toHaveLength(1);
  });
});

describe('the depth limit', () => {
  function nestedArrays(depth: number): unknown {
    let v: unknown = 'x';
    for (let i = 0; i < depth; i++) v = [v];
    return v;
  }

  function nestedObjects(depth: number): unknown {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = { a: v };
    return v;
  }

  it('checkDepth allows maxDepth levels of nesting and refuses one more', () => {
    expect(() => checkDepth(nestedArrays(64), 64)).not.toThrow();
    expectCode(() => checkDepth(nestedArrays(65), 64), 'OP_INVALID');
    expect(() => checkDepth('scalar', 0)).not.toThrow();
    expect(() => checkDepth(nestedObjects(3), 3)).not.toThrow();
    expectCode(() => checkDepth(nestedObjects(4), 3), 'OP_INVALID');
  });

  it.each(DOC_TYPE_NAMES)('%s: an op nested 100,000 deep is OP_INVALID, not a RangeError', (name) => {
    const type = getDocType(name);
    const snapshot = type.create();
    for (const op of [nestedArrays(100_000), nestedObjects(100_000), ['a', { i: nestedArrays(100_000) }]]) {
      const err = thrown(() => validateOp(type, op, snapshot));
      expect(err).not.toBeInstanceOf(RangeError);
      expect(isTandemError(err, 'OP_INVALID')).toBe(true);
    }
    expect(() => checkDepth(nestedArrays(100_000), 64)).toThrow(/deeper than 64/);
  });

  it('a json1 op at a realistic depth passes', () => {
    const doc = { a: { b: { c: { d: ['x'] } } } };
    expect(validateOp(json1Type, ['a', 'b', 'c', 'd', 0, { es: [1, '!'] }], doc)).toEqual([
      'a',
      'b',
      'c',
      'd',
      0,
      { es: [1, '!'] },
    ]);
  });
});

describe('create: SNAPSHOT_INVALID', () => {
  const bad: [string, AnyDocType, unknown][] = [
    ['text: a number', text, 5],
    ['text: an object', text, { text: 'a' }],
    ['text: null', text, null],
    ['text: a lone surrogate', text, `a${HIGH}`],
    ['rich-text: a number', rich, 5],
    ['rich-text: an object', rich, { ops: [] }],
    ['rich-text: a retain', rich, [{ retain: 1 }]],
    ['rich-text: a delete', rich, [{ delete: 1 }]],
    ['rich-text: an empty insert', rich, [{ insert: '' }]],
    ['rich-text: a lone surrogate string', rich, LOW],
    ['rich-text: a lone surrogate insert', rich, [{ insert: `a${LOW}` }]],
    ['rich-text: a lone surrogate in an embed', rich, [{ insert: { image: HIGH } }]],
    ['rich-text: a bad attribute', rich, [{ insert: 'a', attributes: { x: [] } }]],
    ['json1: a lone surrogate string', json1, { a: [`${HIGH}`] }],
    ['json1: a lone surrogate key', json1, { [LOW]: 1 }],
    ['json1: a function', json1, { f: () => 1 }],
    ['json1: undefined in a list', json1, [1, undefined]],
    ['json1: NaN', json1, { n: Number.NaN }],
    ['json1: a bigint', json1, { n: 1n }],
  ];

  it.each(bad)('%s', (_name, type, initial) => {
    expectCode(() => type.create(initial), 'SNAPSHOT_INVALID');
  });

  it('accepts good content and gives an empty document without any', () => {
    expect(textType.create()).toBe('');
    expect(textType.create(`a${GRIN}`)).toBe(`a${GRIN}`);
    expect(richTextType.create()).toEqual([]);
    expect(richTextType.create(`a${GRIN}`)).toEqual([{ insert: `a${GRIN}` }]);
    expect(richTextType.create([{ insert: 'a' }, { insert: 'b' }, { insert: { image: 'x.png' } }])).toEqual([
      { insert: 'ab' },
      { insert: { image: 'x.png' } },
    ]);
    expect(json1Type.create()).toBeNull();
    expect(json1Type.create({ a: [1, 'b', null, true, { c: GRIN }] })).toEqual({
      a: [1, 'b', null, true, { c: GRIN }],
    });
  });
});

describe('getDocType: UNKNOWN_DOC_TYPE', () => {
  it.each(['nope', 'TEXT', 'json0', '', '__proto__', 'toString', 'constructor'])('refuses %j', (name) => {
    expectCode(() => getDocType(name), 'UNKNOWN_DOC_TYPE');
    expect(isDocTypeName(name)).toBe(false);
  });

  it('refuses names that are not strings', () => {
    for (const name of [undefined, null, 1, ['text'], { name: 'text' }])
      expectCode(() => getDocType(name), 'UNKNOWN_DOC_TYPE');
  });

  it('finds each registered type by its name', () => {
    for (const name of DOC_TYPE_NAMES) expect(getDocType(name).name).toBe(name);
  });
});

describe('validation leaves its inputs untouched', () => {
  it('normalizing a text op does not change the op given', () => {
    const op = [{ d: 1 }, { d: 2 }, 'x', 'y'];
    expect(validateOp(textType, op, 'abcdef')).toEqual([{ d: 3 }, 'xy']);
    expect(op).toEqual([{ d: 1 }, { d: 2 }, 'x', 'y']);
    const named = [{ d: 'ab' }, { d: 'c' }];
    expect(textType.normalize(named)).toEqual([{ d: 'abc' }]);
    expect(named).toEqual([{ d: 'ab' }, { d: 'c' }]);
  });

  it('normalizing a rich-text op does not change the op given', () => {
    const op = [{ insert: 'a' }, { retain: 3 }];
    const normalized = validateOp(richTextType, op, [{ insert: 'xyz' }]);
    expect(normalized).toEqual([{ insert: 'a' }]);
    expect(op).toEqual([{ insert: 'a' }, { retain: 3 }]);
    const other = [{ retain: 1 }, { delete: 1 }, { retain: 2 }];
    expect(richTextType.normalize(other)).toEqual([{ retain: 1 }, { delete: 1 }]);
    expect(other).toEqual([{ retain: 1 }, { delete: 1 }, { retain: 2 }]);
  });

  it('normalizing a json1 op with an embedded text edit does not change the op given', () => {
    const op = ['title', { es: [{ d: 1 }, { d: 1 }] }];
    expect(validateOp(json1Type, op, { title: 'hi' })).toEqual(['title', { es: [{ d: 2 }] }]);
    expect(op).toEqual(['title', { es: [{ d: 1 }, { d: 1 }] }]);
  });
});
