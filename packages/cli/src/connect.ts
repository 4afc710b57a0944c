import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileStore, Scheduler, type Logger, type TaskStore } from '@horae/core';
import { MongoDBStore } from '@horae/mongodb';
import { PostgresStore } from '@horae/postgres';
import { RedisStore } from '@horae/redis';
import { CliError, EXIT } from './exit.js';

/** The options every command takes to find its stores. */
export interface StoreOptions {
  store?: string;
  prefix?: string;
  database?: string;
  collection?: string;
  schema?: string;
  table?: string;
  config?: string;
  timeout?: string;
}

/**
 * What a config file (`horae.config.{js,mjs,ts}`) exports, as its default export or as a
 * function returning it: the stores by alias, as the app builds them (custom stores included).
 * @public
 */
export interface HoraeConfig {
  readonly stores: Record<string, TaskStore>;
  /** The time zone of triggers that name none (as the app's scheduler has it). */
  readonly timezone?: string;
}

/**
 * Types a config file.
 *
 * @example
 * ```ts
 * // horae.config.mjs
 * import { defineConfig } from '@horae/cli';
 * import { RedisStore } from '@horae/redis';
 * export default defineConfig({ stores: { default: new RedisStore({ url: process.env.REDIS_URL, prefix: 'billing' }) } });
 * ```
 * @public
 */
export function defineConfig(config: HoraeConfig | (() => HoraeConfig | Promise<HoraeConfig>)): typeof config {
  return config;
}

const CONFIG_NAMES = ['horae.config.js', 'horae.config.mjs', 'horae.config.ts'];

/** The nearest config file from `from` up, if any. */
function findConfig(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) if (existsSync(join(dir, name))) return join(dir, name);
    if (dirname(dir) === dir) return undefined;
  }
}

async function loadConfig(file: string): Promise<HoraeConfig> {
  if (!existsSync(file)) throw new CliError(`config file ${file} does not exist: give --config a path to a horae.config.{js,mjs,ts}`, EXIT.usage);
  if (file.endsWith('.ts')) {
    try {
      // TypeScript configs load through tsx when it is installed (as in most TypeScript apps).
      const tsx = 'tsx/esm/api';
      const { register } = (await import(tsx)) as { register: () => unknown };
      register();
    } catch {
      throw new CliError(`config file ${file} is TypeScript, which needs tsx: install it (npm i -D tsx), or write horae.config.mjs`);
    }
  }
  const loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
  const exported = typeof loaded.default === 'function' ? await (loaded.default as () => unknown)() : loaded.default;
  const stores = (exported as Partial<HoraeConfig> | undefined)?.stores;
  if (typeof stores !== 'object' || stores === null || Object.keys(stores).length === 0) {
    throw new CliError(`config file ${file} exports no stores: export default { stores: { default: new RedisStore(...) } }`);
  }
  return exported as HoraeConfig;
}

/** The store a `--store` URL names. */
export function storeFromUrl(url: string, options: StoreOptions): TaskStore {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') {
    // No retries while connecting: an unreachable server is reported, not waited for.
    return new RedisStore({ url, redisOptions: { maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 3_000 }, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) });
  }
  if (scheme === 'mongodb' || scheme === 'mongodb+srv') {
    return new MongoDBStore({
      url,
      clientOptions: { serverSelectionTimeoutMS: 3_000, connectTimeoutMS: 3_000 },
      ...(options.database === undefined ? {} : { database: options.database }),
      ...(options.collection === undefined ? {} : { collection: options.collection }),
    });
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return new PostgresStore({
      connectionString: url,
      poolConfig: { connectionTimeoutMillis: 3_000, max: 4 },
      ...(options.schema === undefined ? {} : { schema: options.schema }),
      ...(options.table === undefined ? {} : { table: options.table }),
    });
  }
  if (scheme === 'file') {
    const path = url.startsWith('file://') ? new URL(url).pathname : url.slice('file:'.length);
    if (path === '') throw new CliError('--store file: needs a directory, e.g. --store file:./.horae', EXIT.usage);
    return new FileStore({ directory: resolve(path) });
  }
  throw new CliError(`--store ${JSON.stringify(url)} is not a store URL: give redis://host:port, mongodb://host:port/?..., postgres://user@host:port/database, or file:./directory`, EXIT.usage);
}

/** The distinct records (`store/id`) the warnings say were left out, unread. */
export function unreadRecords(warnings: readonly string[]): Set<string> {
  const unread = new Set<string>();
  for (const line of warnings) {
    const found = /^Task "(.*)" in store "(.*)" was left out/.exec(line);
    if (found !== null) unread.add(`${found[2]!}/${found[1]!}`);
  }
  return unread;
}

/** A logger that keeps the warnings (records left unread, say) for the commands that report them. */
export function collectingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const debug = process.env.HORAE_DEBUG === '1';
  const say = (level: string) => (message: string, ...meta: unknown[]) => {
    if (debug) console.error(`[${level}] ${message}`, ...meta);
  };
  return {
    warnings,
    debug: say('debug'),
    info: say('info'),
    warn: (message, ...meta) => {
      warnings.push(message);
      say('warn')(message, ...meta);
    },
    error: (message, ...meta) => {
      warnings.push(message);
      say('error')(message, ...meta);
    },
  };
}

/** A scheduler on the stores, started to observe: it reads and changes tasks and runs none. */
export interface Connection {
  readonly scheduler: Scheduler;
  readonly logger: ReturnType<typeof collectingLogger>;
  /** Where the stores came from, for messages: the URL or the config file. */
  readonly source: string;
  readonly url: string | undefined;
  close(): Promise<void>;
}

export async function connect(options: StoreOptions): Promise<Connection> {
  const logger = collectingLogger();
  let stores: Record<string, TaskStore>;
  let timezone: string | undefined;
  let source: string;
  const url = options.store ?? (options.config === undefined ? process.env.HORAE_STORE : undefined);
  if (url !== undefined && url !== '') {
    stores = { default: storeFromUrl(url, options) };
    source = url.replace(/\/\/[^@/]*@/, '//***@');
  } else {
    const file = options.config === undefined ? findConfig(process.cwd()) : resolve(options.config);
    if (file === undefined) {
      throw new CliError('no store given: pass --store redis://… | mongodb://… | postgres://… | file:./dir, set HORAE_STORE, or add a horae.config.mjs that exports the stores', EXIT.usage);
    }
    const config = await loadConfig(file);
    stores = config.stores;
    timezone = config.timezone;
    source = file;
  }
  const scheduler = new Scheduler({ stores, logger, ...(timezone === undefined ? {} : { timezone }) });
  const seconds = Number(options.timeout ?? 5);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new CliError(`--timeout ${options.timeout ?? ''} is not a number of seconds`, EXIT.usage);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`cannot reach ${source}: no answer within ${seconds} s (check the address, and that the server runs)`)), seconds * 1_000);
  });
  try {
    await Promise.race([scheduler.start({ observe: true }), late]);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot open ${source}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
  }
  return { scheduler, logger, source, url, close: () => scheduler.shutdown() };
}
