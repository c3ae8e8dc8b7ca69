import { defineConfig } from 'vitest/config'

// The format checks of the cross-built binaries (__test__/cross/), run by
// `npm test` after `node scripts/cross.mjs --all`. Not part of the default
// run: on a machine that has not cross-built, there is nothing to check.
export default defineConfig({
  test: {
    include: ['__test__/cross/**/*.cross.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
})
