/**
 * Seeded randomized property tests of the three document types: transform convergence
 * (TP1), compose, invert, and transformWithConflicts agreeing with transform.
 *
 * Every case runs on its own seed, printed in the failure message. Replay one with
 *   OT_SEED=<seed> npx vitest run libs/ot/test/properties.test.ts
 * and run more cases with OT_ITERATIONS=<n> (default 300 per property and type).
 */
import {
  type AnyDocType,
  type ConflictKind,
  DOC_TYPE_NAMES,
  type DocTypeName,
  getDocType,
  type JSONValue,
  type Json1Op,
  type Json1Path,
  json1Type,
  validateOp,
} from '@tandem/ot';
// @tandem/ot does not depend on @tandem/testkit (testkit depends on it), so the package
// name does not resolve from here; import the two modules, not testkit's whole index.
import {
  JSON_KEYS,
  json1AddOp,
  json1InsertOp,
  json1MoveOp,
  json1RemoveOp,
  json1ReplaceOp,
  json1TextEditOp,
  Random,
  randomInitial,
  randomJsonValue,
  randomOp,
  randomTextOp,
  seedFromEnv,
} from '@tandem/testkit';
import otJson1 from 'ot-json1';
import { describe, expect, it } from 'vitest';

const ITERATIONS = seedFromEnv('OT_ITERATIONS', 300);
const BASE_SEED = 1;
const REPLAY = process.env.OT_SEED ? seedFromEnv('OT_SEED', 0) : undefined;
const SEEDS: number[] =
  REPLAY === undefined ? Array.from({ length: ITERATIONS }, (_, i) => BASE_SEED + i) : [REPLAY];
const SEED_LABEL =
  REPLAY === undefined ? `seeds ${BASE_SEED}..${BASE_SEED + ITERATIONS - 1}` : `seed ${REPLAY}`;

const show = (v: unknown) => JSON.stringify(v);

/**
 * Runs `check` once per seed, each with a fresh generator; a failure names the seed, the
 * command that replays it, and whatever `check` recorded about the case.
 */
function forEachSeed(
  property: string,
  typeName: DocTypeName,
  check: (rng: Random, record: (v: unknown) => void) => void,
) {
  for (const seed of SEEDS) {
    const notes: unknown[] = [];
    try {
      check(new Random(seed), (v) => notes.push(v));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(
        `${typeName} ${property} failed for seed ${seed} (replay: OT_SEED=${seed} npx vitest run libs/ot/test/properties.test.ts)\n` +
          `case: ${notes.map(show).join('\n      ')}\n${message}`,
        { cause: err },
      );
    }
  }
}

/** A random document: the type's random initial content, then up to three random ops applied. */
function randomDoc(type: AnyDocType, rng: Random): unknown {
  let doc = type.create(randomInitial(type.name, rng));
  for (let i = rng.int(4); i > 0; i--) {
    doc = type.apply(doc, validateOp(type, randomOp(type.name, rng, doc), doc));
  }
  return doc;
}

/** A random op for `doc` that passed validation, as the server would receive it. */
function validOp(type: AnyDocType, rng: Random, doc: unknown): unknown {
  return validateOp(type, randomOp(type.name, rng, doc), doc);
}

/**
 * TP1 for ops a (committed first) and b, both made on `doc`: both orders reach the same
 * document. Each transformed op must also pass validation against the document it is
 * applied to, as the server would check it, and no function may change its arguments.
 * Returns the converged document.
 */
function checkConvergence(type: AnyDocType, doc: unknown, a: unknown, b: unknown): unknown {
  const inputs = structuredClone({ doc, a, b });
  const afterA = type.apply(doc, a);
  const bPrime = type.transform(b, a, 'right');
  validateOp(type, bPrime, afterA);
  const left = type.apply(afterA, bPrime);

  const afterB = type.apply(doc, b);
  const aPrime = type.transform(a, b, 'left');
  validateOp(type, aPrime, afterB);
  const right = type.apply(afterB, aPrime);

  expect(right).toEqual(left);
  expect({ doc, a, b }).toEqual(inputs);
  return left;
}

describe.each(DOC_TYPE_NAMES)('%s properties', (typeName) => {
  const type = getDocType(typeName);

  it(`transform converges (TP1), ${SEED_LABEL}`, () => {
    forEachSeed('TP1', typeName, (rng, record) => {
      const doc = randomDoc(type, rng);
      const a = validOp(type, rng, doc);
      const b = validOp(type, rng, doc);
      record({ doc, a, b });
      checkConvergence(type, doc, a, b);
    });
  });

  it(`compose matches applying in sequence, ${SEED_LABEL}`, () => {
    forEachSeed('compose', typeName, (rng, record) => {
      const doc = randomDoc(type, rng);
      const a = validOp(type, rng, doc);
      const afterA = type.apply(doc, a);
      const b = validOp(type, rng, afterA);
      record({ doc, a, b });
      const composed = type.compose(a, b);
      validateOp(type, composed, doc);
      expect(type.apply(doc, composed)).toEqual(type.apply(afterA, b));
    });
  });

  it(`invertWithDoc undoes the op, ${SEED_LABEL}`, () => {
    forEachSeed('invert', typeName, (rng, record) => {
      const doc = randomDoc(type, rng);
      const before = structuredClone(doc);
      const a = validOp(type, rng, doc);
      record({ doc, a });
      const after = type.apply(doc, a);
      const inverse = type.invertWithDoc(a, doc);
      validateOp(type, inverse, after);
      expect(type.apply(after, inverse)).toEqual(before);
      // Neither apply nor invertWithDoc touched the snapshot they were given.
      expect(doc).toEqual(before);
    });
  });

  it(`transformWithConflicts returns the op transform returns, ${SEED_LABEL}`, () => {
    forEachSeed('transformWithConflicts', typeName, (rng, record) => {
      const doc = randomDoc(type, rng);
      const a = validOp(type, rng, doc);
      const b = validOp(type, rng, doc);
      record({ doc, a, b });
      for (const side of ['left', 'right'] as const) {
        const result = type.transformWithConflicts(a, b, side);
        expect(result.op).toEqual(type.transform(a, b, side));
        if (typeName !== 'json1') expect(result.conflicts).toEqual([]);
      }
    });
  });
});

describe('the random generators', () => {
  it('Random is deterministic for a seed and stays in range', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
    const rng = new Random(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const f = rng.next();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      const n = rng.int(5);
      expect(Number.isInteger(n) && n >= 0 && n < 5).toBe(true);
      seen.add(n);
      const r = rng.range(-2, 2);
      expect(Number.isInteger(r) && r >= -2 && r <= 2).toBe(true);
      expect(['x', 'y']).toContain(rng.pick(['x', 'y']));
    }
    expect(seen.size).toBe(5);
    expect(new Random(1).bool(0)).toBe(false);
    expect(new Random(1).bool(1)).toBe(true);
    expect(() => rng.int(0)).toThrow(RangeError);
    expect(() => rng.pick([])).toThrow(RangeError);
  });

  it('seedFromEnv reads an integer seed, or falls back', () => {
    const name = 'TANDEM_TEST_SEED_FROM_ENV';
    try {
      delete process.env[name];
      expect(seedFromEnv(name, 5)).toBe(5);
      process.env[name] = '123';
      expect(seedFromEnv(name, 5)).toBe(123);
      process.env[name] = ' -9 ';
      expect(seedFromEnv(name, 5)).toBe(-9);
      process.env[name] = '';
      expect(seedFromEnv(name, 5)).toBe(5);
      process.env[name] = 'abc';
      expect(() => seedFromEnv(name, 5)).toThrow(/integer/);
    } finally {
      delete process.env[name];
    }
  });

  it("the json1 op builders make what ot-json1's helpers make", () => {
    expect(json1InsertOp(['items', 0], 'x')).toEqual(otJson1.insertOp(['items', 0], 'x'));
    expect(json1RemoveOp(['tags', 'a'])).toEqual(otJson1.removeOp(['tags', 'a']));
    expect(json1ReplaceOp(['count'], 5)).toEqual(otJson1.replaceOp(['count'], true, 5));
    expect(json1TextEditOp(['title'], [1, 'x'])).toEqual(otJson1.editOp(['title'], 'text-unicode', [1, 'x']));
    expect(json1AddOp(['count'], 3)).toEqual(otJson1.editOp(['count'], 'number', 3));
    const moves: [Json1Path, Json1Path][] = [
      [
        ['items', 1],
        ['items', 3],
      ],
      [
        ['items', 3],
        ['items', 1],
      ],
      [['a'], ['b']],
      [['b'], ['a']],
      [
        ['items', 1],
        ['tags', 'z'],
      ],
      [
        ['tags', 'a'],
        ['items', 1],
      ],
      [
        ['x', 'y', 'z'],
        ['x', 'w'],
      ],
      [
        ['items', 0, 'name'],
        ['items', 0, 'title'],
      ],
    ];
    for (const [from, to] of moves) expect(json1MoveOp(from, to)).toEqual(otJson1.moveOp(from, to));
    expect(() => json1MoveOp(['a'], ['a', 'b'])).toThrow(RangeError);
  });

  it.each(DOC_TYPE_NAMES)(`%s: a chain of random ops is valid at every step, ${SEED_LABEL}`, (typeName) => {
    const type = getDocType(typeName);
    forEachSeed('generator', typeName, (rng, record) => {
      let doc = type.create(randomInitial(typeName, rng));
      for (let step = 0; step < 15; step++) {
        const op = randomOp(typeName, rng, doc);
        record({ step, doc, op });
        const checked = validateOp(type, op, doc);
        expect(type.isNoop(checked)).toBe(false);
        doc = type.apply(doc, checked);
      }
    });
  });
});

describe('side convention', () => {
  it('text: the insert committed first comes first', () => {
    const type = getDocType('text');
    const first = ['A'];
    const second = ['B'];
    expect(checkConvergence(type, 'xy', first, second)).toBe('ABxy');
    expect(type.apply('xy', type.transform(first, second, 'left'))).toBe('Axy');
    expect(type.apply(type.apply('xy', second), type.transform(first, second, 'left'))).toBe('ABxy');
  });

  it('rich-text: the insert committed first comes first, and its attributes win', () => {
    const type = getDocType('rich-text');
    const doc = [{ insert: 'xy' }];
    expect(checkConvergence(type, doc, [{ insert: 'A' }], [{ insert: 'B' }])).toEqual([{ insert: 'ABxy' }]);
    expect(
      checkConvergence(
        type,
        doc,
        [{ retain: 2, attributes: { color: 'red' } }],
        [{ retain: 2, attributes: { color: 'blue' } }],
      ),
    ).toEqual([{ insert: 'xy', attributes: { color: 'red' } }]);
  });

  it('json1: the write committed first wins a collision', () => {
    const doc = { n: 0 };
    const first: Json1Op = ['x', { i: 1 }];
    const second: Json1Op = ['x', { i: 2 }];
    // `second` arrives after `first` was committed: it is transformed with side 'right' and loses.
    const secondPrime = json1Type.transform(second, first, 'right');
    expect(secondPrime).toBeNull();
    expect(json1Type.apply(json1Type.apply(doc, first), secondPrime)).toEqual({ n: 0, x: 1 });
    // And the other way round: ['x', {i: 2}] committed first, ['x', {i: 1}] transformed past it.
    const late = json1Type.transform(['x', { i: 1 }], ['x', { i: 2 }], 'right');
    expect(json1Type.apply(json1Type.apply(doc, ['x', { i: 2 }]), late)).toEqual({ n: 0, x: 2 });
    expect(checkConvergence(json1Type as AnyDocType, doc, first, second)).toEqual({ n: 0, x: 1 });
  });
});

// ---------------------------------------------------------------------------
// json1 write conflicts

type JSONObject = { [key: string]: JSONValue };

function isObject(v: JSONValue | undefined): v is JSONObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function valueAt(doc: JSONValue, path: Json1Path): JSONValue | undefined {
  let v: JSONValue | undefined = doc;
  for (const k of path) {
    if (Array.isArray(v) && typeof k === 'number') v = v[k];
    else if (isObject(v) && typeof k === 'string') v = Object.hasOwn(v, k) ? v[k] : undefined;
    else return undefined;
  }
  return v;
}

function nodes(doc: JSONValue, path: Json1Path = []): { path: Json1Path; value: JSONValue }[] {
  const out = [{ path, value: doc }];
  if (Array.isArray(doc)) {
    for (const [i, v] of doc.entries()) out.push(...nodes(v, [...path, i]));
  } else if (isObject(doc)) {
    for (const [k, v] of Object.entries(doc)) out.push(...nodes(v, [...path, k]));
  }
  return out;
}

/** A key of JSON_KEYS that `obj` lacks, or a numbered one when it has them all. */
function freeKey(rng: Random, obj: JSONObject): string {
  const free = JSON_KEYS.filter((k) => !Object.hasOwn(obj, k));
  if (free.length > 0) return rng.pick(free);
  let n = 0;
  while (Object.hasOwn(obj, `new${n}`)) n++;
  return `new${n}`;
}

interface ConflictCase {
  kind: ConflictKind;
  /** The op that removes or writes first in the case's story; either may be committed first. */
  a: Json1Op;
  b: Json1Op;
  /** Checks the converged document, given whether `a` was committed first. */
  expectResult(doc: JSONValue, aFirst: boolean): void;
}

/** Two concurrent ops on `doc` that must conflict: both insert at one new key, or one removes what the other edits. */
function conflictCase(rng: Random, doc: JSONValue): ConflictCase {
  const all = nodes(doc);
  if (rng.bool(0.4)) {
    const objects = all.filter((n) => isObject(n.value));
    const parent = rng.pick(objects);
    const path = [...parent.path, freeKey(rng, parent.value as JSONObject)];
    const va = randomJsonValue(rng);
    let vb = randomJsonValue(rng);
    while (show(vb) === show(va)) vb = randomJsonValue(rng);
    return {
      kind: 'drop-collision',
      a: json1InsertOp(path, va),
      b: json1InsertOp(path, vb),
      expectResult: (result, aFirst) => expect(valueAt(result, path)).toEqual(aFirst ? va : vb),
    };
  }
  // Something to edit inside something to remove: a string (es), a number (ena), or an
  // object or list to insert into.
  const targets = all.filter((n) => n.path.length > 0 && n.value !== null && typeof n.value !== 'boolean');
  const target = rng.pick(targets);
  let edit: Json1Op;
  if (typeof target.value === 'string') {
    edit = json1TextEditOp(target.path, randomTextOp(rng, target.value));
  } else if (typeof target.value === 'number') {
    edit = json1AddOp(target.path, rng.range(1, 5));
  } else if (Array.isArray(target.value)) {
    edit = json1InsertOp([...target.path, rng.int(target.value.length + 1)], 'new');
  } else {
    edit = json1InsertOp([...target.path, freeKey(rng, target.value as JSONObject)], randomJsonValue(rng, 1));
  }
  // Remove the target or one of its ancestors (never the root).
  const removedPath = target.path.slice(0, rng.range(1, target.path.length));
  const removedParent = valueAt(doc, removedPath.slice(0, -1));
  const replace = rng.bool(0.3) && !Array.isArray(removedParent);
  const replacement = randomJsonValue(rng, 1);
  const remove = replace ? json1ReplaceOp(removedPath, replacement) : json1RemoveOp(removedPath);
  return {
    kind: 'remove-edit',
    a: remove,
    b: edit,
    expectResult: (result) => {
      // The removal wins whichever was committed first; the edit vanished with the content.
      if (replace) expect(valueAt(result, removedPath)).toEqual(replacement);
      else if (!Array.isArray(removedParent)) expect(valueAt(result, removedPath)).toBeUndefined();
      else expect(result).toEqual(json1Type.apply(doc, remove));
    },
  };
}

describe('json1 write conflicts', () => {
  const type = json1Type as AnyDocType;

  it(`converge, are reported with their kind, and the op committed first wins, ${SEED_LABEL}`, () => {
    forEachSeed('conflict', 'json1', (rng, record) => {
      const doc = randomDoc(type, rng) as JSONValue;
      const c = conflictCase(rng, doc);
      const aFirst = rng.bool();
      const [first, second] = aFirst ? [c.a, c.b] : [c.b, c.a];
      record({ doc, kind: c.kind, first, second });
      validateOp(json1Type, first, doc);
      validateOp(json1Type, second, doc);

      const result = checkConvergence(type, doc, first, second) as JSONValue;
      c.expectResult(result, aFirst);

      for (const [op, other, side] of [
        [second, first, 'right'],
        [first, second, 'left'],
      ] as const) {
        const withConflicts = json1Type.transformWithConflicts(op, other, side);
        expect(withConflicts.op).toEqual(json1Type.transform(op, other, side));
        expect(withConflicts.conflicts.map((k) => k.kind)).toContain(c.kind);
        for (const conflict of withConflicts.conflicts) expect(conflict.description).toMatch(/\//);
      }
    });
  });

  it('an insert at the same key: the later op is dropped and the conflict names both parts', () => {
    const first: Json1Op = ['x', { i: 1 }];
    const second: Json1Op = ['x', { i: 2 }];
    const { op, conflicts } = json1Type.transformWithConflicts(second, first, 'right');
    expect(op).toBeNull();
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ kind: 'drop-collision', op: second, other: first });
    // The op committed first, transformed past the later one, keeps its value.
    const kept = json1Type.transformWithConflicts(first, second, 'left');
    expect(json1Type.apply(json1Type.apply({}, second), kept.op)).toEqual({ x: 1 });
    expect(kept.conflicts.map((k) => k.kind)).toEqual(['drop-collision']);
  });

  it('an edit inside a removed subtree vanishes, whichever was committed first', () => {
    const doc = { tags: { a: 'hello', n: 1 }, keep: true };
    const remove: Json1Op = ['tags', { r: true }];
    for (const edit of [
      ['tags', 'a', { es: [1, 'X'] }],
      ['tags', 'n', { ena: 2 }],
      ['tags', 'z', { i: 5 }],
    ] as Json1Op[]) {
      for (const removeFirst of [true, false]) {
        const [first, second] = removeFirst ? [remove, edit] : [edit, remove];
        expect(checkConvergence(type, doc, first, second)).toEqual({ keep: true });
        const late = json1Type.transformWithConflicts(second, first, 'right');
        expect(late.conflicts.map((k) => k.kind)).toEqual(['remove-edit']);
        expect(late.op).toEqual(json1Type.transform(second, first, 'right'));
        // A late edit vanishes entirely; a late remove still removes the subtree (checked above).
        if (removeFirst) expect(late.op).toBeNull();
      }
    }
  });
});
