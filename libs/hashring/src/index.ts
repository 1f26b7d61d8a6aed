export { DEFAULT_VNODES, HashRing, type HashRingOptions } from './hash-ring.js';
export { murmur3 } from './murmur3.js';
