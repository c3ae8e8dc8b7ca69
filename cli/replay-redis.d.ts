/**
 * `budgetkernel replay --redis`: the same trace logic as ./replay.ts (line
 * splitting, parsing, validation messages and output formatting are that
 * module's), with each operation executed against a budget kept in Redis
 * through `budgetkernel/redis`. Its output must be byte-identical to the
 * in-process replay for every trace: the trace format is the store's
 * conformance suite.
 *
 * The package depends on no Redis client: this uses the caller's installed
 * `ioredis`, or else `redis` (node-redis).
 */
import { RedisBudgets, type RedisClientLike } from '../redis';
import { Replayer, type Op, type Outcome } from './replay';
export { RedisBudgets };
/**
 * A Replayer whose operations run against the budget at one Redis key. The
 * key is fresh (a random name under the prefix) so the trace starts with no
 * budget, as the in-process replay does; `close()` deletes it.
 */
export declare class RedisReplayer extends Replayer {
    readonly store: RedisBudgets;
    readonly key: string;
    /**
     * @param store the store the budget lives in
     * @param key the budget's name in the store; it must not exist yet
     */
    constructor(store: RedisBudgets, key: string);
    /** Feeds the next physical line. Resolves undefined for a blank line. */
    lineAsync(text: string): Promise<Outcome | undefined>;
    executeAsync(op: Op, line: number): Promise<Outcome>;
    /** Deletes the budget this replay used. */
    close(): Promise<void>;
}
/** Parses `redis://HOST:PORT[/DB]` (or `rediss://` for TLS). */
export declare function parseRedisUrl(text: string): {
    url: string;
    db: number;
};
/** A connected client and how to let it go. */
export interface Connection {
    client: RedisClientLike;
    close: () => Promise<void>;
}
/** Connects with the installed client (ioredis, else node-redis). */
export declare function connect(url: string, timeoutMs: number): Promise<Connection>;
/** Replays a whole trace held in memory against Redis, like replayText. */
export declare function replayTextRedis(input: string | Uint8Array, store: RedisBudgets, key?: string): Promise<{
    output: string;
    status: 0 | 1;
}>;
