import type { DocType } from './doc-type.js';
import { checkDepth, checkSize, DEFAULT_OP_LIMITS, type OpLimits } from './limits.js';

/**
 * The gate for every op that comes from outside: nesting depth, size, the type's shape
 * and Unicode checks, and, when the document is given, validity against it. Returns the
 * op normalized. Throws a TandemError with an OP_* code and changes nothing.
 */
export function validateOp<S, O, C>(
  type: DocType<S, O, C>,
  op: unknown,
  snapshot?: S,
  limits: OpLimits = DEFAULT_OP_LIMITS,
): O {
  checkDepth(op, limits.maxDepth);
  checkSize(op, limits.maxOpBytes);
  const checked = type.checkOp(op);
  if (snapshot !== undefined) type.checkOpAgainst(checked, snapshot);
  return checked;
}
