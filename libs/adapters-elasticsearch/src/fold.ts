const COMBINING_MARKS = /\p{M}/gu;
const NON_ASCII = /\P{ASCII}/gu;

/** Folded forms by code point: a document repeats few distinct characters many times. */
const folded = new Map<string, string>();

/**
 * `text` with the diacritics taken off its letters (é → e, Å → A, ñ → n, ά → α), every
 * character keeping its length in UTF-16 code units: a character whose bare form has
 * another length (a lone combining mark, which would vanish) stays as it is.
 *
 * The length is what matters: search runs on the folded copy of a document and its
 * highlights are placed by their offsets in that copy onto the original text
 * (ElasticsearchSearchIndex), so the two must line up character for character. Apply it
 * to NFC text: there, accented letters are single characters that fold, where in NFD the
 * accent is a separate mark that stays.
 */
export function foldDiacritics(text: string): string {
  return text.replace(NON_ASCII, (char) => {
    let bare = folded.get(char);
    if (bare === undefined) {
      const stripped = char.normalize('NFD').replace(COMBINING_MARKS, '');
      bare = stripped.length === char.length ? stripped : char;
      folded.set(char, bare);
    }
    return bare;
  });
}
