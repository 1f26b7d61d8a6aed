export type {
  AnyDocType,
  Conflict,
  ConflictKind,
  DocType,
  DocTypeName,
  OpExtent,
  Selection,
  Side,
  TransformResult,
} from './doc-type.js';
export { DOC_TYPE_NAMES } from './doc-type.js';
export { checkDepth, checkSize, DEFAULT_OP_LIMITS, type OpLimits } from './limits.js';
export { getDocType, isDocTypeName } from './registry.js';
export { type JSONValue, type Json1Op, type Json1Path, json1Type } from './types/json1.js';
export {
  type AttributeMap,
  type DeltaOperation,
  type RichTextOp,
  type RichTextSnapshot,
  richTextType,
} from './types/rich-text.js';
export { type TextOp, type TextOpComponent, textType } from './types/text.js';
export {
  codePointLength,
  codePointToUtf16,
  hasLoneSurrogate,
  splitsSurrogatePair,
  utf8Length,
  utf16ToCodePoint,
} from './unicode.js';
export { validateOp } from './validate.js';
