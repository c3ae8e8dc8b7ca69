// A private npm registry for the registry round trip (scripts/test-publish.mjs):
// Verdaccio (the devDependency, pinned) on 127.0.0.1 at a free port, with
// its storage, htpasswd and config in a temporary directory and no uplinks,
// so it serves only what was published to it and never reaches the network.
//
//   const registry = await startRegistry(dir)   // dir: an empty temporary directory
//   registry.url, registry.port, registry.pid
//   await registry.addUser('name', 'password')  // -> an auth token
//   registry.json('budgetkernel')              // a packument (undefined on 404)
//   registry.listening()                        // ['127.0.0.1:PORT']: every socket it listens on
//   await registry.stop()
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const VERDACCIO = fileURLToPath(new URL('../node_modules/verdaccio/bin/verdaccio', import.meta.url))
const HOST = '127.0.0.1'

/**
 * One HTTP request on its own connection (fetch's pooled keep-alive sockets
 * may be closed by the registry while idle: "other side closed").
 * @returns {Promise<{ status: number, body: string }>}
 */
export function httpRequest(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** A port the kernel reports free on 127.0.0.1 right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, HOST, () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
      server.close(() => resolve(port))
    })
  })
}

function config(dir) {
  // No `uplinks` and no `proxy`: a package not published here is a 404.
  return [
    `storage: ${JSON.stringify(path.join(dir, 'storage'))}`,
    'auth:',
    '  htpasswd:',
    `    file: ${JSON.stringify(path.join(dir, 'htpasswd'))}`,
    // A throwaway user on loopback: a fast hash, not bcrypt's ~0.4 s per request.
    '    algorithm: md5',
    'uplinks: {}',
    'packages:',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    '    unpublish: $authenticated',
    'web:',
    '  enable: false',
    'middlewares:',
    '  audit:',
    '    enabled: false',
    'log: { type: stdout, format: pretty, level: warn }',
    '',
  ].join('\n')
}

/**
 * The local addresses the process listens on over TCP (IPv4 and IPv6), from
 * its socket inodes in /proc/<pid>/fd matched against /proc/net/tcp{,6}.
 * @param {number} pid
 */
function listeningOf(pid) {
  const inodes = new Set()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m) inodes.add(m[1])
    } catch {
      // closed meanwhile
    }
  }
  const found = []
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]]) {
    if (!existsSync(file)) continue
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9])) continue // 0A: LISTEN
      const [hex, portHex] = cols[1].split(':')
      const bytes = (hex.match(/../g) ?? []).map((b) => Number.parseInt(b, 16))
      // Each 32-bit word is in host (little-endian) order.
      const words = []
      for (let i = 0; i < bytes.length; i += 4) words.push(bytes.slice(i, i + 4).reverse())
      const flat = words.flat()
      const addr = v6 ? `[${(flat.map((b) => b.toString(16).padStart(2, '0')).join('').match(/..../g) ?? []).join(':')}]` : flat.join('.')
      found.push(`${addr}:${Number.parseInt(portHex, 16)}`)
    }
  }
  return found.sort()
}

/**
 * Starts Verdaccio; resolves once it answers /-/ping.
 * @param {string} dir an empty directory it may own
 */
export async function startRegistry(dir) {
  const configFile = path.join(dir, 'config.yaml')
  writeFileSync(configFile, config(dir))
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const child = spawn(process.execPath, [VERDACCIO, '--config', configFile, '--listen', `${HOST}:${port}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    child.stdout.on('data', (c) => (log += c))
    child.stderr.on('data', (c) => (log += c))
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
    const url = `http://${HOST}:${port}/`
    let up = false
    let gone
    exited.then((e) => (gone = e))
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && gone === undefined; ) {
      try {
        if ((await httpRequest(`${url}-/ping`)).status === 200) {
          up = true
          break
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200))
    }
    if (!up) {
      child.kill('SIGKILL')
      await exited
      // Another process may have taken the port between freePort() and listen.
      if (attempt < 3 && /EADDRINUSE/.test(log)) continue
      throw new Error(`registry: Verdaccio did not answer on ${url} (${gone ? `exit ${gone.code ?? gone.signal}` : 'timeout 60 s'})\n${log}`)
    }
    return {
      url,
      port,
      pid: /** @type {number} */ (child.pid),
      log: () => log,
      /** The registry's document at a path (a packument for a package name), or undefined on a 404. */
      async json(what) {
        const res = await httpRequest(`${url}${what}`)
        if (res.status === 404) return undefined
        if (res.status !== 200) throw new Error(`registry: GET ${url}${what} answered ${res.status} ${res.body}`)
        return JSON.parse(res.body)
      },
      listening: () => listeningOf(/** @type {number} */ (child.pid)),
      /** Registers a user (npm adduser's request) and returns its token. */
      async addUser(name, password) {
        const res = await httpRequest(`${url}-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name, password, type: 'user', roles: [], date: new Date().toISOString() }),
        })
        const body = /** @type {{ token?: string }} */ (JSON.parse(res.body))
        if (res.status !== 201 || typeof body.token !== 'string') throw new Error(`registry: adding user ${name} failed (${res.status} ${res.body})`)
        return body.token
      },
      async stop() {
        if (gone !== undefined) return
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      },
    }
  }
}
