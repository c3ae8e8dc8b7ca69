/** A script with its SHA-1, sent with EVALSHA and, after `NOSCRIPT`, with EVAL. */
export interface Script {
    readonly source: string;
    readonly sha: string;
}
export declare function script(source: string): Script;
/** Runs a script: EVALSHA first, EVAL when the server does not know it (a restart, SCRIPT FLUSH, another node). */
export type Runner = (script: Script, keys: readonly string[], args: readonly string[]) => Promise<unknown>;
/**
 * The part of an ioredis `Redis` or `Cluster` the store uses.
 */
export interface IoredisLike {
    evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
    eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
    defineCommand(...args: never[]): unknown;
}
/**
 * The part of a node-redis (`redis` 4, 5 or 6) client or cluster the store uses.
 */
export interface NodeRedisLike {
    evalSha(sha: string, options: {
        keys: string[];
        arguments: string[];
    }): Promise<unknown>;
    eval(script: string, options: {
        keys: string[];
        arguments: string[];
    }): Promise<unknown>;
}
/** A client the store can use: ioredis or node-redis. */
export type RedisClientLike = IoredisLike | NodeRedisLike;
/** Sends one command (`['CONFIG', 'GET', 'maxmemory-policy']`) on a connection and resolves its reply. */
export type Command = (args: readonly string[]) => Promise<unknown>;
/** What the store needs of a client. */
export interface Connection {
    readonly run: Runner;
    /** The client's one connection (standalone clients only): a `WAIT` sent here follows the writes sent before it. */
    readonly command: Command | undefined;
    /** One command sender per primary (every master of a Cluster), for the first-use check. */
    readonly servers: () => Promise<Command[]>;
}
/** The connection for a client; a `TypeError` for anything that is neither ioredis nor node-redis. */
export declare function connectionFor(client: unknown): Connection;
/** The runner for a client; a `TypeError` for anything that is neither ioredis nor node-redis. */
export declare function runnerFor(client: unknown): Runner;
