// A loopback TCP proxy for the Redis fault tests: it forwards bytes both
// ways between each accepted connection and a fresh connection to `target`,
// and on request drops them (every byte read from then on, both ways or the
// replies only, is discarded: nothing is buffered for later), cuts its open
// connections, or stops accepting (the port refuses them, as a server that
// is down). Listens on 127.0.0.1 only.

import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { freePort } from './redis-server.js'

export class TcpProxy {
  port = 0
  #dropping: 'none' | 'replies' | 'both' = 'none'
  readonly #sockets = new Set<Socket>()
  #server: Server | undefined
  readonly #target: number

  private constructor(target: number) {
    this.#target = target
  }

  /** A proxy to 127.0.0.1:`target` on a free loopback port, accepting. */
  static async start(target: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(target)
    proxy.port = await freePort()
    await proxy.accept()
    return proxy
  }

  /** Whether bytes are being dropped. */
  get dropping(): boolean {
    return this.#dropping !== 'none'
  }

  /**
   * Stops forwarding, on every connection, open or later: each byte read from
   * now on is dropped, both ways or (`'replies'`) only the server's. Open
   * connections stay open, so neither side sees an error, only silence.
   */
  drop(what: 'both' | 'replies' = 'both'): void {
    this.#dropping = what
  }

  /** Forwards both ways again. */
  forward(): void {
    this.#dropping = 'none'
  }

  /** Cuts every open connection; new ones are accepted (and forwarded or dropped as set). */
  cut(): void {
    for (const socket of this.#sockets) socket.destroy()
    this.#sockets.clear()
  }

  /** Listens (again) on its port. */
  async accept(): Promise<void> {
    if (this.#server !== undefined) return
    const server = createServer((client) => this.#pipe(client))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.#server = server
  }

  /** Stops listening (new connections are refused) and cuts every open connection. */
  async refuse(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    this.cut()
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  close(): Promise<void> {
    return this.refuse()
  }

  #pipe(client: Socket): void {
    const upstream = createConnection({ host: '127.0.0.1', port: this.#target })
    // As Redis's own sockets: no Nagle delay on small writes (a WAIT's acknowledgement would wait for it).
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    this.#sockets.add(client).add(upstream)
    const forget = () => {
      this.#sockets.delete(client)
      this.#sockets.delete(upstream)
    }
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    client.on('close', () => {
      upstream.destroy()
      forget()
    })
    upstream.on('close', () => {
      client.destroy()
      forget()
    })
    client.on('data', (chunk: Buffer) => {
      if (this.#dropping !== 'both') upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (this.#dropping === 'none') client.write(chunk)
    })
  }
}
