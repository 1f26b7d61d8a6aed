import { TandemError } from '@tandem/errors';
import type { AnyDocType, DocType, DocTypeName } from './doc-type.js';
import { DOC_TYPE_NAMES } from './doc-type.js';
import { json1Type } from './types/json1.js';
import { richTextType } from './types/rich-text.js';
import { textType } from './types/text.js';

const types: Record<DocTypeName, AnyDocType> = {
  text: textType as DocType as AnyDocType,
  'rich-text': richTextType as DocType as AnyDocType,
  json1: json1Type as DocType as AnyDocType,
};

export function isDocTypeName(name: unknown): name is DocTypeName {
  return typeof name === 'string' && (DOC_TYPE_NAMES as readonly string[]).includes(name);
}

/** The registered type called `name`; throws UNKNOWN_DOC_TYPE for any other name. */
export function getDocType(name: unknown): AnyDocType {
  if (!isDocTypeName(name)) {
    throw new TandemError('UNKNOWN_DOC_TYPE', `Unknown document type ${JSON.stringify(name)}`, {
      details: { known: DOC_TYPE_NAMES },
    });
  }
  return types[name];
}
