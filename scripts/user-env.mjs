// The environment of a user's shell, for every test that installs the
// package and runs it the way a user would (__test__/packaging.spec.ts,
// scripts/runtime-smoke.mjs, scripts/test-publish.mjs): nothing from the
// npm, vitest or `npm test` run around it that could change what loads or
// how npm behaves.
import path from 'node:path'

/**
 * `process.env` without npm_* variables, NODE_PATH, NODE_OPTIONS, INIT_CWD,
 * VITEST* and BUDGETKERNEL_ENGINE (a test that wants an engine sets it in
 * `extra`); with `stripPathUnder`, PATH loses every entry below that
 * directory (this repository's node_modules/.bin), so that `npx` and
 * friends find only what the project under test installed.
 *
 * @param {NodeJS.ProcessEnv} [extra] variables set on top
 * @param {{ stripPathUnder?: string }} [options]
 * @returns {NodeJS.ProcessEnv}
 */
export function userEnv(extra = {}, { stripPathUnder } = {}) {
  /** @type {NodeJS.ProcessEnv} */
  const env = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k.toLowerCase().startsWith('npm_') || k.startsWith('VITEST')) continue
    if (k === 'NODE_PATH' || k === 'NODE_OPTIONS' || k === 'INIT_CWD' || k === 'BUDGETKERNEL_ENGINE') continue
    env[k] = v
  }
  if (stripPathUnder !== undefined) {
    env.PATH = (process.env.PATH ?? '')
      .split(path.delimiter)
      .filter((entry) => !entry.startsWith(stripPathUnder))
      .join(path.delimiter)
  }
  return { ...env, ...extra }
}
