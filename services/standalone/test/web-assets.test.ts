import { builtinModules } from 'node:module';
import { codePointLength } from '@tandem/client';
import { describe, expect, it } from 'vitest';
import { buildWebAssets } from '../src/web-assets.js';
import { opEndCursor, splitLargeInsert, type TextOpComponent, textOpFromEdit } from '../web/text-ops.js';

/** ot-text-unicode's apply, spelled out over code points, so the test does not take the op's word for it. */
function applyTextOp(doc: string, op: TextOpComponent[]): string {
  const points = Array.from(doc);
  let out = '';
  let at = 0;
  for (const c of op) {
    if (typeof c === 'number') {
      if (!Number.isInteger(c) || c <= 0 || at + c > points.length) throw new Error(`bad skip ${c}`);
      out += points.slice(at, at + c).join('');
      at += c;
    } else if (typeof c === 'string') {
      if (c.length === 0) throw new Error('empty insert');
      out += c;
    } else {
      if (!Number.isInteger(c.d) || c.d <= 0 || at + c.d > points.length)
        throw new Error(`bad delete ${c.d}`);
      at += c.d;
    }
  }
  if (typeof op.at(-1) === 'number') throw new Error('trailing skip');
  return out + points.slice(at).join('');
}

describe('buildWebAssets', () => {
  it('bundles the editor into index.html, app.js and app.css, with nothing for Node in the bundle', async () => {
    const assets = await buildWebAssets();
    expect([...assets.keys()].sort()).toEqual(['/', '/app.css', '/app.js']);

    const html = assets.get('/');
    expect(html?.contentType).toMatch(/^text\/html/);
    expect(String(html?.body)).toContain('src="/app.js"');
    expect(String(html?.body)).toContain('href="/app.css"');

    const css = assets.get('/app.css');
    expect(css?.contentType).toMatch(/^text\/css/);
    expect(String(css?.body)).toContain('.remote-caret');

    const js = assets.get('/app.js');
    expect(js?.contentType).toMatch(/^text\/javascript/);
    const bundle = String(js?.body);
    // The client engine, the OT types and zod: tens of kilobytes, not a stub.
    expect(bundle.length).toBeGreaterThan(50_000);
    for (const name of builtinModules) {
      for (const spec of [name, `node:${name}`]) {
        expect(bundle).not.toContain(`require("${spec}")`);
        expect(bundle).not.toContain(`from"${spec}"`);
      }
    }
    // Everything is bundled: no import of another file or package at run time.
    expect(bundle).not.toMatch(/\bimport\s*[\w{*][^;]*?from\s*["']/);
  });
});

describe('web editor: a textarea edit as a text op', () => {
  /** The op must turn prev into next when applied to it. */
  const check = (prev: string, next: string, caret?: number) => {
    const op = textOpFromEdit(prev, next, caret);
    expect(applyTextOp(prev, op)).toBe(next);
    return op;
  };

  it('types, deletes and replaces, counting code points', () => {
    expect(check('Hello', 'Hello!')).toEqual([5, '!']);
    expect(check('Hello', 'ello')).toEqual([{ d: 1 }]);
    expect(check('Hello world', 'Hello there', 11)).toEqual([6, { d: 5 }, 'there']);
    expect(check('a😀b', 'a😀!b', 4)).toEqual([2, '!']);
    expect(check('😀😀', '😀', 2)).toEqual([1, { d: 1 }]);
    expect(check('', 'x')).toEqual(['x']);
    expect(check('same', 'same')).toEqual([]);
  });

  it('never splits a surrogate pair when emoji share a half', () => {
    // 😀 is D83D DE00 and 😁 is D83D DE01: the common prefix ends inside the pair.
    expect(check('a😀', 'a😁')).toEqual([1, { d: 1 }, '😁']);
    // 🙂 (D83D DE42) and 😂 (D83D DE02) share the high half, in front of a shared suffix.
    expect(check('🙂x', '😂x', 2)).toEqual([{ d: 1 }, '😂']);
    // U+1F600 (D83D DE00) and U+1FA00 (D83E DE00) share the low half: the common suffix starts inside the pair.
    expect(check('x\u{1F600}', 'x\u{1FA00}')).toEqual([1, { d: 1 }, '\u{1FA00}']);
    expect(check('\u{1F600}y', '\u{1FA00}y', 2)).toEqual([{ d: 1 }, '\u{1FA00}']);
  });

  it('puts a repeated character where the caret says it was typed or deleted', () => {
    expect(check('aa', 'aaa', 2)).toEqual([1, 'a']);
    expect(check('aa', 'aaa', 1)).toEqual(['a']);
    expect(check('aaa', 'aa', 1)).toEqual([1, { d: 1 }]);
    expect(check('abab', 'ababab', 4)).toEqual([2, 'ab']);
    // Without a caret it is still a correct op.
    check('aa', 'aaa');
  });

  it('agrees with the document type on random edits', () => {
    const alphabet = ['a', 'b', ' ', '\n', '😀', '😁', 'é'];
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const word = (n: number) => Array.from({ length: n }, () => alphabet[rand(alphabet.length)]).join('');
    for (let i = 0; i < 500; i++) {
      const prev = word(rand(8));
      const units = [...prev];
      const at = rand(units.length + 1);
      const del = rand(units.length - at + 1);
      const ins = word(rand(3));
      const next = units.slice(0, at).join('') + ins + units.slice(at + del).join('');
      const caret = units.slice(0, at).join('').length + ins.length;
      const op = check(prev, next, caret);
      const deleted = op.reduce<number>((n, c) => n + (typeof c === 'object' ? c.d : 0), 0);
      const inserted = op.reduce<number>((n, c) => n + (typeof c === 'string' ? codePointLength(c) : 0), 0);
      expect(codePointLength(prev) - deleted + inserted).toBe(codePointLength(next));
    }
  });

  it('places the caret after an undo or redo at the end of the change', () => {
    expect(opEndCursor([3, 'ab'])).toBe(5);
    expect(opEndCursor([3, { d: 2 }])).toBe(3);
    expect(opEndCursor([1, '😀', 4, { d: 1 }])).toBe(6);
    expect(opEndCursor([])).toBeUndefined();
  });

  it('splits a large paste into ops that each stay under the op size limit', () => {
    const prev = 'start|end';
    const paste = '😀abc'.repeat(5000);
    const next = `start|${paste}end`;
    const op = textOpFromEdit('start|end', next, 6 + paste.length);
    const parts = splitLargeInsert(op, 8192);
    expect(parts.length).toBe(3);
    let doc = prev;
    for (const part of parts) {
      expect(new TextEncoder().encode(JSON.stringify(part)).length).toBeLessThan(65_536);
      doc = applyTextOp(doc, part);
    }
    expect(doc).toBe(next);
    expect(splitLargeInsert([3, { d: 2 }, 'ab'])).toEqual([[3, { d: 2 }, 'ab']]);
    const replaced = splitLargeInsert([{ d: 4 }, 'x'.repeat(10)], 4);
    expect(replaced).toEqual([
      [{ d: 4 }, 'xxxx'],
      [4, 'xxxx'],
      [8, 'xx'],
    ]);
  });
});
