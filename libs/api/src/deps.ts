import type { TokenVerifier } from '@tandem/auth';
import type { CollabEngine, FanOut, HistoryStore, MetadataStore, SearchIndex } from '@tandem/core';
import type { Registry } from '@tandem/metrics';

/** The parts of the commit engine the API calls. */
export type ApiEngine = Pick<
  CollabEngine,
  'initDocument' | 'open' | 'opsSince' | 'contentAt' | 'restore' | 'emit' | 'forget'
>;

/** What the REST API is built from; the service's main file wires these. */
export interface ApiDeps {
  engine: ApiEngine;
  metadata: MetadataStore;
  search: Pick<SearchIndex, 'search'>;
  /** The timelines the history summarizer writes. */
  history: Pick<HistoryStore, 'list'>;
  /** Only to tell open sockets that a document's permissions changed. */
  fanOut: Pick<FanOut, 'publish'>;
  /** Verifies bearer tokens: `createTokenVerifier` from @tandem/auth. */
  verify: TokenVerifier;
  /** The service's registry: /metrics serves it, and the API's own metrics are added to it. */
  registry: Registry;
  /**
   * Readiness for /readyz: false (or a throw) answers 503, so a load balancer stops sending
   * traffic while the stores are unreachable or the process is draining. Default: ready.
   */
  ready?: () => boolean | Promise<boolean>;
  /**
   * Embedded mode only: enables POST /api/v1/dev/sign-in, which hands anyone a token for
   * any name. Leave undefined in every deployment that has real users. `secret` must be
   * the HS256 secret `verify` checks.
   */
  devSignIn?: { secret: string; ttlSeconds?: number; issuer?: string; audience?: string };
  /**
   * Largest request body in bytes. Default 1 MiB: a document's initial content is the
   * largest body, and 1 MiB is 16 of the 64 KiB ops the WebSocket accepts; larger
   * documents are built by editing.
   */
  bodyLimit?: number;
  /** Clock for event timestamps (tests). */
  now?: () => number;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
