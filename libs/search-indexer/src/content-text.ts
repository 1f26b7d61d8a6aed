import type { CollabEngine } from '@tandem/core';

type DocTypeName = Awaited<ReturnType<CollabEngine['open']>>['type'];

/**
 * The searchable text of a document's snapshot:
 * - `text`: the string itself;
 * - `rich-text`: the string inserts of its Delta, concatenated (embeds such as images have
 *   no text, and formatting is not content);
 * - `json1`: every string value, depth first, one per line (keys are structure, not
 *   content: a board's "title" key would otherwise match every board).
 * Anything unexpected yields no text rather than an error: a document the indexer cannot
 * read is still findable by its title.
 */
export function contentText(type: DocTypeName, snapshot: unknown): string {
  switch (type) {
    case 'text':
      return typeof snapshot === 'string' ? snapshot : '';
    case 'rich-text':
      return Array.isArray(snapshot) ? snapshot.map(insertedText).join('') : '';
    case 'json1': {
      const out: string[] = [];
      collectStrings(snapshot, out);
      return out.join('\n');
    }
  }
}

function insertedText(component: unknown): string {
  if (typeof component !== 'object' || component === null) return '';
  const insert = (component as { insert?: unknown }).insert;
  return typeof insert === 'string' ? insert : '';
}

/** Iterative, so a deeply nested document cannot overflow the stack. */
function collectStrings(root: unknown, out: string[]): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
    else if (typeof value === 'object' && value !== null) {
      const values = Object.values(value);
      for (let i = values.length - 1; i >= 0; i--) stack.push(values[i]);
    }
  }
}
