// PLACEHOLDER (W-B, issue 14): W-A's branch issue-14a provides the real
// WebAssembly glue (budgetkernel.wasm instantiated with
// WebAssembly.Module/Instance). Until it is merged, "the wasm engine" is
// the native binding behind a separate object, so that the facade's engine
// selection, entries and both-engine test runs can be built and exercised.
// The coordinator takes W-A's ts/lib/wasm.ts at merge.

import type { Engine } from './engine'

/**
 * Instantiates the WebAssembly kernel (placeholder: the native binding).
 *
 * @internal
 */
export function loadWasm(): Engine {
  // The .node file itself, not binding.js, so that it loads where the
  // napi-rs loader is made to fail (the fallback tests).
  const { readdirSync } = require('node:fs') as typeof import('node:fs')
  const root = require('node:path').join(__dirname, '..') as string
  const file = readdirSync(root).find((f) => f.startsWith(`budgetkernel.${process.platform}-${process.arch}`) && f.endsWith('.node'))
  if (file === undefined) throw new Error('budgetkernel: placeholder wasm engine found no .node file')
  const binding = require(`${root}/${file}`) as Engine
  return { ...binding }
}
