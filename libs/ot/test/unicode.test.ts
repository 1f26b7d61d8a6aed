/**
 * Position units: `text` counts code points, `rich-text` counts UTF-16 units (and refuses
 * to split a surrogate pair), and the helpers convert between the two.
 */
import { isTandemError } from '@tandem/errors';
import {
  codePointLength,
  codePointToUtf16,
  hasLoneSurrogate,
  type RichTextOp,
  type RichTextSnapshot,
  richTextType,
  splitsSurrogatePair,
  type TextOp,
  textType,
  utf8Length,
  utf16ToCodePoint,
  validateOp,
} from '@tandem/ot';
import { describe, expect, it } from 'vitest';

const GRIN = '😀'; // U+1F600: 1 code point, 2 UTF-16 units, 4 UTF-8 bytes
const THUMB = '👍🏽'; // thumbs up + skin tone modifier: 2 code points, 4 UTF-16 units
const FLAG = '🇫🇷'; // two regional indicators: 2 code points, 4 UTF-16 units
const E_ACUTE = 'e\u0301'; // e + combining acute accent: 2 code points, 2 UTF-16 units
const CJK = '漢字'; // 2 code points, 2 UTF-16 units, 6 UTF-8 bytes

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isTandemError(err)) return err.code;
    throw err;
  }
  return undefined;
}

/** Validates `op` against `doc` as the server would, then applies it. */
function applyText(doc: string, op: TextOp): string {
  return textType.apply(doc, validateOp(textType, op, doc));
}

function applyRich(doc: RichTextSnapshot, op: RichTextOp): RichTextSnapshot {
  return richTextType.apply(doc, validateOp(richTextType, op, doc));
}

describe('text: positions are code points', () => {
  it('inserts after an emoji at position 1', () => {
    expect(applyText(`${GRIN}b`, [1, 'X'])).toBe(`${GRIN}Xb`);
    expect(applyText(`a${GRIN}b`, [2, 'X'])).toBe(`a${GRIN}Xb`);
  });

  it('deletes an emoji as one code point, by count or by content', () => {
    expect(applyText(`${GRIN}b`, [{ d: 1 }])).toBe('b');
    expect(applyText(`a${GRIN}b`, [1, { d: 1 }])).toBe('ab');
    expect(applyText(`a${GRIN}b`, [1, { d: GRIN }])).toBe('ab');
    expect(applyText(`a${GRIN}b`, [1, { d: `${GRIN}b` }])).toBe('a');
  });

  it('counts a skin-toned emoji and a flag as two code points each', () => {
    expect(applyText(`${THUMB}!`, [2, 'X'])).toBe(`${THUMB}X!`);
    expect(applyText(`${THUMB}!`, [{ d: 2 }])).toBe('!');
    expect(applyText(`${FLAG}!`, [{ d: FLAG }])).toBe('!');
    // One code point of a flag is a regional indicator on its own: odd, but valid Unicode.
    expect(applyText(FLAG, [1, { d: 1 }])).toBe('🇫');
  });

  it('treats a combining mark as its own code point', () => {
    expect(applyText(`${E_ACUTE}x`, [2, 'Y'])).toBe(`${E_ACUTE}Yx`);
    expect(applyText(`${E_ACUTE}x`, [1, { d: 1 }])).toBe('ex');
  });

  it('counts CJK characters one code point each', () => {
    expect(applyText(CJK, [1, 'の'])).toBe('漢の字');
    expect(applyText(CJK, [{ d: 1 }, 1, '語'])).toBe('字語');
  });

  it('measures the document in code points, not UTF-16 units', () => {
    const doc = `${GRIN}b`; // 2 code points, 3 UTF-16 units
    expect(applyText(doc, [2, 'X'])).toBe(`${GRIN}bX`);
    expect(codeOf(() => validateOp(textType, [3, 'X'], doc))).toBe('OP_OUT_OF_RANGE');
    expect(codeOf(() => validateOp(textType, [{ d: 3 }], doc))).toBe('OP_OUT_OF_RANGE');
  });

  it('transforms concurrent inserts around an emoji', () => {
    const doc = `${GRIN}b`;
    const a: TextOp = [1, 'X'];
    const b: TextOp = [THUMB];
    const viaA = textType.apply(textType.apply(doc, a), textType.transform(b, a, 'right'));
    const viaB = textType.apply(textType.apply(doc, b), textType.transform(a, b, 'left'));
    expect(viaA).toBe(`${THUMB}${GRIN}Xb`);
    expect(viaB).toBe(viaA);
    expect(textType.transform(a, b, 'left')).toEqual([3, 'X']);
  });

  it('inverts a delete of an emoji into an insert of it', () => {
    const doc = `a${GRIN}b`;
    const op: TextOp = [1, { d: 1 }];
    const inverse = textType.invertWithDoc(op, doc);
    expect(inverse).toEqual([1, GRIN]);
    expect(textType.apply(textType.apply(doc, op), inverse)).toBe(doc);
  });

  it('transformCursor moves cursors by code points', () => {
    // The cursor sits after the emoji in "😀b": position 1.
    expect(textType.transformCursor(1, [FLAG], false)).toBe(3);
    expect(textType.transformCursor(1, [{ d: 1 }], false)).toBe(0);
    expect(textType.transformCursor(2, [1, { d: 1 }], false)).toBe(1);
    expect(textType.transformCursor(1, [2, GRIN], false)).toBe(1);
  });
});

describe('rich-text: positions are UTF-16 units', () => {
  const doc: RichTextSnapshot = [{ insert: `${GRIN}b` }];

  it('gives an emoji length 2', () => {
    expect(applyRich(doc, [{ retain: 2 }, { insert: 'X' }])).toEqual([{ insert: `${GRIN}Xb` }]);
    expect(applyRich(doc, [{ delete: 2 }])).toEqual([{ insert: 'b' }]);
    expect(applyRich(doc, [{ retain: 2, attributes: { bold: true } }])).toEqual([
      { insert: GRIN, attributes: { bold: true } },
      { insert: 'b' },
    ]);
    expect(applyRich(doc, [{ retain: 3 }, { insert: '!' }])).toEqual([{ insert: `${GRIN}b!` }]);
    expect(codeOf(() => validateOp(richTextType, [{ retain: 4 }, { insert: '!' }], doc))).toBe(
      'OP_OUT_OF_RANGE',
    );
  });

  it('refuses an op that would split the emoji in two', () => {
    expect(codeOf(() => validateOp(richTextType, [{ retain: 1 }, { insert: 'X' }], doc))).toBe(
      'OP_BAD_UNICODE',
    );
    expect(codeOf(() => validateOp(richTextType, [{ delete: 1 }], doc))).toBe('OP_BAD_UNICODE');
    expect(codeOf(() => validateOp(richTextType, [{ retain: 1, attributes: { bold: true } }], doc))).toBe(
      'OP_BAD_UNICODE',
    );
  });

  it('lets an op end between the two code points of a skin-toned emoji, a flag or an accented e', () => {
    // Each half is a whole code point, so the split is not a Unicode error.
    expect(applyRich([{ insert: THUMB }], [{ retain: 2 }, { insert: '|' }])).toEqual([{ insert: '👍|🏽' }]);
    expect(applyRich([{ insert: FLAG }], [{ retain: 2 }, { delete: 2 }])).toEqual([{ insert: '🇫' }]);
    expect(applyRich([{ insert: E_ACUTE }], [{ retain: 1 }, { delete: 1 }])).toEqual([{ insert: 'e' }]);
  });

  it('counts CJK one unit per character and an embed as one unit', () => {
    const mixed: RichTextSnapshot = [{ insert: CJK }, { insert: { image: 'x.png' } }, { insert: GRIN }];
    expect(applyRich(mixed, [{ retain: 3 }, { insert: '|' }])).toEqual([
      { insert: CJK },
      { insert: { image: 'x.png' } },
      { insert: `|${GRIN}` },
    ]);
    expect(applyRich(mixed, [{ retain: 2 }, { delete: 1 }])).toEqual([{ insert: `${CJK}${GRIN}` }]);
    expect(codeOf(() => validateOp(richTextType, [{ retain: 4 }, { insert: '|' }], mixed))).toBe(
      'OP_BAD_UNICODE',
    );
    expect(applyRich(mixed, [{ retain: 5 }, { insert: '|' }])).toEqual([
      { insert: CJK },
      { insert: { image: 'x.png' } },
      { insert: `${GRIN}|` },
    ]);
  });

  it('transformCursor moves cursors by UTF-16 units', () => {
    expect(richTextType.transformCursor(2, [{ insert: GRIN }], false)).toBe(4);
    expect(richTextType.transformCursor(3, [{ delete: 2 }], false)).toBe(1);
    expect(richTextType.transformCursor(2, [{ retain: 3 }, { insert: FLAG }], false)).toBe(2);
  });
});

describe('own inserts and the cursor', () => {
  it('text: an own insert at the cursor moves it past the insert; someone else’s does not', () => {
    const op: TextOp = [1, `${GRIN}x`]; // 2 code points at position 1
    expect(textType.transformCursor(1, op, true)).toBe(3);
    expect(textType.transformCursor(1, op, false)).toBe(1);
    // Before the cursor, both move it; after it, neither does.
    expect(textType.transformCursor(2, op, true)).toBe(4);
    expect(textType.transformCursor(2, op, false)).toBe(4);
    expect(textType.transformCursor(0, op, true)).toBe(0);
    expect(textType.transformCursor(0, op, false)).toBe(0);
    // At the start of the document.
    expect(textType.transformCursor(0, ['ab'], true)).toBe(2);
    expect(textType.transformCursor(0, ['ab'], false)).toBe(0);
  });

  it('text: typing over a selection leaves the own caret after the typed text, in either component order', () => {
    // "abcdef" with "bcd" selected (anchor 1, head 4); typing X replaces it.
    for (const op of [
      [1, 'X', { d: 3 }],
      [1, { d: 3 }, 'X'],
    ] as TextOp[]) {
      expect(textType.apply('abcdef', op)).toBe('aXef');
      for (const cursor of [1, 2, 3, 4]) expect(textType.transformCursor(cursor, op, true)).toBe(2);
      // For someone else's op, a caret at the start of the selection stays before the X.
      expect(textType.transformCursor(1, op, false)).toBe(1);
      expect(textType.transformCursor(5, op, true)).toBe(3);
      expect(textType.transformCursor(5, op, false)).toBe(3);
    }
  });

  it('rich-text: an own insert at the cursor moves it past the insert; someone else’s does not', () => {
    const op: RichTextOp = [{ retain: 2 }, { insert: `${GRIN}x`, attributes: { bold: true } }]; // 3 units at 2
    expect(richTextType.transformCursor(2, op, true)).toBe(5);
    expect(richTextType.transformCursor(2, op, false)).toBe(2);
    expect(richTextType.transformCursor(3, op, true)).toBe(6);
    expect(richTextType.transformCursor(3, op, false)).toBe(6);
    expect(richTextType.transformCursor(1, op, true)).toBe(1);
    expect(richTextType.transformCursor(0, [{ insert: { image: 'x.png' } }], true)).toBe(1);
    expect(richTextType.transformCursor(0, [{ insert: { image: 'x.png' } }], false)).toBe(0);
  });

  it('rich-text: typing over a selection leaves the own caret after the typed text', () => {
    const op: RichTextOp = [{ retain: 1 }, { insert: 'X' }, { delete: 3 }];
    expect(richTextType.apply([{ insert: 'abcdef' }], op)).toEqual([{ insert: 'aXef' }]);
    for (const cursor of [1, 2, 3, 4]) expect(richTextType.transformCursor(cursor, op, true)).toBe(2);
  });
});

describe('unicode helpers', () => {
  const MIXED = `a${GRIN}${E_ACUTE}${CJK}${THUMB}${FLAG}z`;

  it('codePointLength counts code points', () => {
    expect(codePointLength('')).toBe(0);
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength(GRIN)).toBe(1);
    expect(codePointLength(`a${GRIN}b`)).toBe(3);
    expect(codePointLength(THUMB)).toBe(2);
    expect(codePointLength(FLAG)).toBe(2);
    expect(codePointLength(E_ACUTE)).toBe(2);
    expect(codePointLength(CJK)).toBe(2);
    expect(codePointLength(MIXED)).toBe(Array.from(MIXED).length);
    // A lone surrogate counts as one, as Array.from counts it.
    for (const s of ['\uD83D', '\uDE00', '\uDE00\uD83D', 'a\uD83Db', '\uD83D\uD83D\uDE00']) {
      expect(codePointLength(s)).toBe(Array.from(s).length);
    }
  });

  it('codePointToUtf16 converts code point positions to UTF-16 offsets', () => {
    expect(codePointToUtf16(`a${GRIN}b`, 0)).toBe(0);
    expect(codePointToUtf16(`a${GRIN}b`, 1)).toBe(1);
    expect(codePointToUtf16(`a${GRIN}b`, 2)).toBe(3);
    expect(codePointToUtf16(`a${GRIN}b`, 3)).toBe(4);
    expect(codePointToUtf16(CJK, 1)).toBe(1);
    expect(codePointToUtf16(E_ACUTE, 1)).toBe(1);
    expect(codePointToUtf16('abc', -1)).toBe(0);
    // Past the end it returns a value past s.length, so callers can tell.
    expect(codePointToUtf16('abc', 5)).toBe(5);
    expect(codePointToUtf16(`a${GRIN}b`, 4)).toBeGreaterThan(4);
    expect(codePointToUtf16(`${GRIN}`, 3)).toBeGreaterThan(2);
  });

  it('utf16ToCodePoint converts back, counting an offset inside a pair as past the pair', () => {
    expect(utf16ToCodePoint(`a${GRIN}b`, 0)).toBe(0);
    expect(utf16ToCodePoint(`a${GRIN}b`, 1)).toBe(1);
    expect(utf16ToCodePoint(`a${GRIN}b`, 2)).toBe(2);
    expect(utf16ToCodePoint(`a${GRIN}b`, 3)).toBe(2);
    expect(utf16ToCodePoint(`a${GRIN}b`, 4)).toBe(3);
    expect(utf16ToCodePoint(THUMB, 4)).toBe(2);
  });

  it('the two conversions are inverse at every code point boundary', () => {
    const strings = [
      MIXED,
      `${GRIN}${GRIN}${GRIN}`,
      'plain ascii',
      '',
      '\uD83Dab',
      'a\uDE00\uD83D\uD83D\uDE00b',
    ];
    for (const s of strings) {
      const n = codePointLength(s);
      let offset = 0;
      const points = Array.from(s);
      for (let cp = 0; cp <= n; cp++) {
        expect(codePointToUtf16(s, cp)).toBe(offset);
        expect(utf16ToCodePoint(s, offset)).toBe(cp);
        offset += points[cp]?.length ?? 0;
      }
      expect(codePointToUtf16(s, n)).toBe(s.length);
    }
  });

  it('hasLoneSurrogate finds an unpaired half and nothing else', () => {
    for (const s of ['', 'abc', GRIN, THUMB, FLAG, E_ACUTE, CJK, MIXED, '\uFFFD', '\uFFFF']) {
      expect(hasLoneSurrogate(s)).toBe(false);
    }
    for (const s of [
      '\uD83D',
      '\uDE00',
      'a\uD83Db',
      `${GRIN}\uD83D`,
      '\uDE00\uD83D',
      '\uD83D\uD83D\uDE00',
      'x\uDE00',
    ]) {
      expect(hasLoneSurrogate(s)).toBe(true);
    }
    expect(hasLoneSurrogate(GRIN.slice(0, 1))).toBe(true);
    expect(hasLoneSurrogate(GRIN.slice(1))).toBe(true);
  });

  it('splitsSurrogatePair is true only between the halves of a pair', () => {
    expect(splitsSurrogatePair(GRIN, 0)).toBe(false);
    expect(splitsSurrogatePair(GRIN, 1)).toBe(true);
    expect(splitsSurrogatePair(GRIN, 2)).toBe(false);
    expect(splitsSurrogatePair(`a${GRIN}`, 1)).toBe(false);
    expect(splitsSurrogatePair(`a${GRIN}`, 2)).toBe(true);
    expect(splitsSurrogatePair(THUMB, 2)).toBe(false);
    expect(splitsSurrogatePair(THUMB, 3)).toBe(true);
    expect(splitsSurrogatePair(E_ACUTE, 1)).toBe(false);
    expect(splitsSurrogatePair(CJK, 1)).toBe(false);
    expect(splitsSurrogatePair('ab', -1)).toBe(false);
    expect(splitsSurrogatePair('ab', 9)).toBe(false);
  });

  it('utf8Length matches the UTF-8 encoder', () => {
    expect(utf8Length('')).toBe(0);
    expect(utf8Length('a')).toBe(1);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length(E_ACUTE)).toBe(3);
    expect(utf8Length(CJK)).toBe(6);
    expect(utf8Length(GRIN)).toBe(4);
    expect(utf8Length(THUMB)).toBe(8);
    expect(utf8Length(FLAG)).toBe(8);
    const encoder = new TextEncoder();
    // A lone surrogate is encoded as U+FFFD (3 bytes), as TextEncoder and Buffer do.
    for (const s of [
      MIXED,
      'plain',
      '\uD83D',
      '\uDE00',
      '\uD83Da',
      '\uD83Dé',
      '\uD83D漢',
      '\uD83D\uD83D',
      '\uDE00\uD83D',
    ]) {
      expect(utf8Length(s)).toBe(encoder.encode(s).length);
    }
  });
});
