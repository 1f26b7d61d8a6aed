import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** One edit of a sequential editing trace: at `pos`, delete `del` characters, then insert `ins`. */
export type Patch = [pos: number, del: number, ins: string];

export interface EditingTrace {
  startContent: string;
  endContent: string;
  patches: Patch[];
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The automerge-perf trace (shared/data beside the repository; TRACE_PATH overrides).
 * The text is ASCII, so its positions mean the same in code points and UTF-16 units.
 */
export function loadEditingTrace(
  path = process.env.TRACE_PATH ?? resolve(here, '../../../shared/data/automerge-paper.json.gz'),
): EditingTrace {
  const data = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as {
    startContent: string;
    endContent: string;
    txns: { patches: Patch[] }[];
  };
  return {
    startContent: data.startContent,
    endContent: data.endContent,
    patches: data.txns.flatMap((t) => t.patches),
  };
}

/** The patch as a `text` op (code points). */
export function textOpOf([pos, del, ins]: Patch): (number | string | { d: number })[] {
  const op: (number | string | { d: number })[] = [];
  if (pos > 0) op.push(pos);
  if (del > 0) op.push({ d: del });
  if (ins.length > 0) op.push(ins);
  return op;
}

/** The patch as a `rich-text` op (a Quill Delta; UTF-16 units). */
export function richTextOpOf([pos, del, ins]: Patch): (
  | { retain: number }
  | { delete: number }
  | { insert: string }
)[] {
  const op: ({ retain: number } | { delete: number } | { insert: string })[] = [];
  if (pos > 0) op.push({ retain: pos });
  if (del > 0) op.push({ delete: del });
  if (ins.length > 0) op.push({ insert: ins });
  return op;
}
