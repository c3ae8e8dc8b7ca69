import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__test__/**/*.spec.ts'],
    environment: 'node',
    // One child process per test file: a native crash (which must never
    // happen) would fail that file, not take the whole run down with it.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 300_000,
  },
})
