import { murmur3 } from './murmur3.js';

export interface HashRingOptions {
  /**
   * Points per member on the ring. A member's share of the keys varies by about
   * 1/sqrt(vnodes) of the fair share (512: about ±4.4%), and a lookup is a binary search over
   * members × vnodes points, so more points buy balance for memory and a little time.
   */
  vnodes?: number;
}

export const DEFAULT_VNODES = 512;

/**
 * Consistent hashing with virtual nodes: each member owns the keys whose hash falls just
 * before one of its points on a 32-bit ring. The ring is a pure function of the set of
 * member ids and the vnode count (not of their order, nor of the process), so every
 * gateway that sees the same live workers sends a document to the same one; and when a
 * member joins or leaves, only the keys of the arcs it gains or loses change owner.
 * Immutable: withMembers() builds the ring of another membership.
 */
export class HashRing {
  /** The members, sorted and without duplicates. */
  readonly members: readonly string[];
  readonly vnodes: number;
  /** Point positions, ascending; `owners[i]` is the index in `members` of the point at positions[i]. */
  private readonly positions: Uint32Array;
  private readonly owners: Uint32Array;

  constructor(members: Iterable<string>, options: HashRingOptions = {}) {
    const vnodes = options.vnodes ?? DEFAULT_VNODES;
    if (!Number.isSafeInteger(vnodes) || vnodes < 1) {
      throw new RangeError(`vnodes must be a positive integer, got ${vnodes}`);
    }
    this.vnodes = vnodes;
    this.members = [...new Set(members)].sort();
    const points: { position: number; owner: number }[] = [];
    this.members.forEach((member, owner) => {
      if (member === '') throw new RangeError('A member id must not be empty');
      for (let i = 0; i < vnodes; i += 1) points.push({ position: murmur3(`${member}#${i}`), owner });
    });
    // Two members' points may land on the same position; ordering the tie by member (whose
    // index follows the sorted ids) keeps the ring the same in every process.
    points.sort((a, b) => a.position - b.position || a.owner - b.owner);
    this.positions = Uint32Array.from(points, (p) => p.position);
    this.owners = Uint32Array.from(points, (p) => p.owner);
  }

  /** The member that owns `key`, or null when the ring has no members. */
  owner(key: string): string | null {
    const count = this.positions.length;
    if (count === 0) return null;
    const hash = murmur3(key);
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.positions[mid] as number) < hash) lo = mid + 1;
      else hi = mid;
    }
    return this.members[this.owners[lo === count ? 0 : lo] as number] as string;
  }

  /** The ring of another set of members, with the same number of vnodes. */
  withMembers(members: Iterable<string>): HashRing {
    return new HashRing(members, { vnodes: this.vnodes });
  }
}
