import { describe, expect, it } from 'vitest';
import { json1Type, richTextType, textType } from '../src/index.js';

describe('extent: what an op changes and where', () => {
  it('text: inserts and deletes in code points, the span in the document after the op', () => {
    expect(textType.extent([5, 'héllo 😀'])).toEqual({
      inserted: 7,
      deleted: 0,
      formatted: 0,
      span: { start: 5, end: 12 },
      paths: [],
    });
    expect(textType.extent([3, { d: 4 }, 10, 'x'])).toMatchObject({
      inserted: 1,
      deleted: 4,
      span: { start: 3, end: 14 },
    });
    expect(textType.extent([{ d: 'a😀' }])).toMatchObject({ deleted: 2, span: { start: 0, end: 0 } });
    expect(textType.extent([])).toMatchObject({ inserted: 0, deleted: 0, span: null });
  });

  it('rich-text: UTF-16 units, embeds count one, formatting counts as formatted', () => {
    expect(
      richTextType.extent([
        { retain: 2 },
        { retain: 3, attributes: { bold: true } },
        { insert: 'ab' },
        { insert: { image: 'x.png' } },
        { delete: 4 },
      ]),
    ).toEqual({ inserted: 3, deleted: 4, formatted: 3, span: { start: 2, end: 8 }, paths: [] });
    expect(richTextType.extent([{ retain: 9 }])).toMatchObject({ span: null, formatted: 0 });
  });

  it('json1: values inserted and removed, text edits in characters, and the paths touched', () => {
    expect(json1Type.extent(['items', 2, { i: { title: 'x' } }])).toEqual({
      inserted: 1,
      deleted: 0,
      formatted: 0,
      span: null,
      paths: [['items', 2]],
    });
    const op = json1Type.normalize([
      ['a', { r: true }],
      ['b', 'c', { es: [1, 'xy', { d: 3 }] }],
    ]);
    expect(json1Type.extent(op)).toMatchObject({
      inserted: 2,
      deleted: 4,
      paths: [['a'], ['b', 'c']],
    });
    expect(json1Type.extent(null)).toMatchObject({ inserted: 0, deleted: 0, paths: [] });
  });
});
