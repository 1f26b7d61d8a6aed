import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@tandem/source'] },
  ssr: { resolve: { conditions: ['@tandem/source'] } },
  test: {
    include: [
      'libs/*/test/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'load-tests/test/**/*.test.ts',
      'infra/local/test/**/*.test.ts',
      'infra/cluster/test/**/*.test.ts',
    ],
    testTimeout: 30_000,
  },
});
