const encoder = new TextEncoder();
/** Reused across calls: a gateway hashes every op's document, and a fresh array per key made a lookup 15 times slower. */
let buffer = new Uint8Array(256);

/**
 * MurmurHash3 (x86, 32-bit) of the UTF-8 bytes of `text`. Every process that routes
 * documents must place them identically, whatever its runtime, so the hash is written out
 * here rather than taken from a runtime (String hashing in V8 is seeded per process) and is
 * pinned by test vectors: changing it would move every document at once during a rolling
 * deploy.
 */
export function murmur3(text: string, seed = 0): number {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (buffer.length < text.length * 3) buffer = new Uint8Array(text.length * 3);
  const bytes = buffer;
  const length = encoder.encodeInto(text, bytes).written;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const blocks = length & ~3;
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = bytes[blocks] as number;
    if (tail >= 2) k ^= (bytes[blocks + 1] as number) << 8;
    if (tail === 3) k ^= (bytes[blocks + 2] as number) << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
