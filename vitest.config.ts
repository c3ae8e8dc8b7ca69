import path from 'node:path'
import { defineConfig } from 'vitest/config'

// BUDGETKERNEL_ADDON_DIR points the suites at another build of the package
// (index.js + binding.js + the .node binary in one directory): `npm test`
// uses it to run the semantic suites a second time against the addon built
// on the kernel's fully safe map (`--features safe-map`).
const addonDir = process.env.BUDGETKERNEL_ADDON_DIR

export default defineConfig({
  resolve: addonDir ? { alias: [{ find: /^\.\.\/index\.js$/, replacement: path.join(path.resolve(addonDir), 'index.js') }] } : {},
  test: {
    include: ['__test__/**/*.spec.ts'],
    environment: 'node',
    // One child process per test file: a native crash (which must never
    // happen) would fail that file, not take the whole run down with it.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 600_000,
  },
})
