import { afterAll, describe, expect, it } from 'vitest';
import type { Membership } from '../ports/membership.js';
import { suiteFixture } from './suite-fixture.js';

/** One process's view of a group's membership. */
export interface MembershipView {
  membership: Membership;
  /** Stops this view as a killed process stops: no leave, no more heartbeats, no more watching. */
  crash(): Promise<void>;
}

export interface MembershipFixture {
  /** A new view of the members of `group`, as another process would have; views of one group see one fleet. */
  open(group: string): Promise<MembershipView>;
  close(): Promise<void>;
}

let counter = 0;
const uniqueGroup = () => `group-${Date.now().toString(36)}-${(counter++).toString(36)}`;

function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () =>
      check()
        ? resolve()
        : Date.now() > deadline
          ? reject(new Error(`timed out after ${ms} ms waiting for ${what}`))
          : setTimeout(poll, 5);
    poll();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A ttl long enough that a test only sees a member go if it left. */
const LONG_TTL = 30_000;
/** Well under LONG_TTL: a change seen this fast was announced, not found by expiry. */
const PROMPT_MS = 2_000;

/** The behaviours every Membership adapter must have. */
export function membershipConformance(name: string, factory: () => Promise<MembershipFixture>): void {
  describe(`Membership conformance: ${name}`, () => {
    const fixture = suiteFixture('membership', factory);
    const views: MembershipView[] = [];
    // Registered after the fixture's, so it runs before the fixture closes.
    afterAll(async () => {
      await Promise.all(views.splice(0).map((v) => v.crash()));
    });
    const open = async (group: string) => {
      const view = await fixture().open(group);
      views.push(view);
      return view.membership;
    };
    const watchLog = (membership: Membership) => {
      const seen: string[][] = [];
      const stop = membership.watch((members) => seen.push(members));
      return { seen, last: () => seen.at(-1), stop };
    };

    it('lists every member from its join until it leaves, sorted', async () => {
      const group = uniqueGroup();
      const a = await open(group);
      const b = await open(group);
      const leaveB = await a.join('worker-b', LONG_TTL);
      await a.join('worker-a', LONG_TTL);
      await b.join('worker-c', LONG_TTL);
      expect(await b.members()).toEqual(['worker-a', 'worker-b', 'worker-c']);
      await leaveB();
      expect(await a.members()).toEqual(['worker-a', 'worker-c']);
      expect(await b.members()).toEqual(['worker-a', 'worker-c']);
    });

    it('tells a watcher the members at once, then every join and leave as it happens', async () => {
      const group = uniqueGroup();
      const a = await open(group);
      const b = await open(group);
      await a.join('worker-1', LONG_TTL);
      const watcher = watchLog(b);
      await until(() => watcher.seen.length > 0, PROMPT_MS, 'the first call');
      expect(watcher.seen[0]).toEqual(['worker-1']);
      const leave = await a.join('worker-2', LONG_TTL);
      await until(() => watcher.last()?.length === 2, PROMPT_MS, 'the join');
      expect(watcher.last()).toEqual(['worker-1', 'worker-2']);
      await leave();
      await until(() => watcher.last()?.length === 1, PROMPT_MS, 'the leave');
      expect(watcher.last()).toEqual(['worker-1']);
      watcher.stop();
    });

    it('keeps a member past its ttl while it heartbeats', async () => {
      const group = uniqueGroup();
      const a = await open(group);
      const b = await open(group);
      // Beats every 200 ms: only an event loop stalled for 400 ms would miss two.
      await a.join('worker-1', 600);
      const watcher = watchLog(b);
      await sleep(2_000);
      expect(await b.members()).toEqual(['worker-1']);
      expect(watcher.seen).toEqual([['worker-1']]);
      watcher.stop();
    });

    it('drops a member whose process died once its ttl has passed, and tells watchers', async () => {
      const group = uniqueGroup();
      const view = await fixture().open(group);
      views.push(view);
      const b = await open(group);
      await view.membership.join('worker-dies', 300);
      await b.join('worker-lives', LONG_TTL);
      const watcher = watchLog(b);
      await until(() => watcher.last()?.length === 2, PROMPT_MS, 'both members');
      const crashedAt = Date.now();
      await view.crash();
      await until(() => watcher.last()?.length === 1, 300 + 2_000, 'the expiry');
      // Gone by expiry, not at the crash: its last beat was at most a fraction of the ttl earlier.
      expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(100);
      expect(watcher.last()).toEqual(['worker-lives']);
      expect(await b.members()).toEqual(['worker-lives']);
      watcher.stop();
    });

    it('calls a watcher no more once it is stopped', async () => {
      const group = uniqueGroup();
      const a = await open(group);
      const watcher = watchLog(a);
      await until(() => watcher.seen.length > 0, PROMPT_MS, 'the first call');
      watcher.stop();
      await a.join('worker-1', LONG_TTL);
      await sleep(200);
      expect(watcher.seen).toEqual([[]]);
    });

    it('keeps groups apart', async () => {
      const a = await open(uniqueGroup());
      const b = await open(uniqueGroup());
      await a.join('worker-1', LONG_TTL);
      expect(await b.members()).toEqual([]);
    });
  });
}
