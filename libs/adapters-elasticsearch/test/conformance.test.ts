import { searchIndexConformance } from '@tandem/core/conformance';
import { openSearchFixture } from './elasticsearch.js';

// On the real Elasticsearch of `pnpm infra:up`, in an index of this run's own, deleted
// after; permissions come from an in-memory PGlite metadata store.

searchIndexConformance('Elasticsearch', async () => {
  const fixture = await openSearchFixture();
  return { ...fixture, settle: () => fixture.index.refresh() };
});
