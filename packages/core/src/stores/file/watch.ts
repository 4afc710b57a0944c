/**
 * Tells the scheduler when another process changed the task directory, so that it looks for due
 * work at once instead of at its next planned wake-up. `fs.watch` is fast but not reliable
 * everywhere (network file systems, some containers), so a poll of the listing backs it up.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import type { Logger } from '../../logger/logger.js';
import type { NameLog } from './generations.js';

/** Told of other processes' changes, one name at a time, while they can be watched reliably. */
export interface ChangeNotices {
  /** Whether every change is reported from now on (`false`: from now on, not every one may be). */
  watching(on: boolean): void;
  /** Another process created or removed `name`; `null` when some names changed but which is unknown. */
  change(name: string | null): void;
}

/** Wakes come at most this often: one change often touches several files. */
const DEBOUNCE_MS = 20;

export class ChangeWatcher {
  /** Names this process created or removed lately, until when they count as its own. */
  private readonly own = new Map<string, number>();
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private polling = false;
  /** The relevant names at the last poll. */
  private listing: ReadonlySet<string> | undefined;
  private wake: () => void = () => undefined;
  private notices: ChangeNotices | undefined;

  /** Record here the names this process creates or removes: changes to them wake nobody. */
  readonly names: NameLog = {
    add: (name) => {
      if (this.own.size > 10_000) this.forgetOld();
      this.own.set(name, Date.now() + this.ownFor);
    },
    delete: (name) => {
      this.own.delete(name);
    },
  };

  constructor(
    private readonly directory: string,
    /** Whether a file name is one whose appearing or disappearing is news (a task file). */
    private readonly relevant: (name: string) => boolean,
    private readonly pollInterval: number,
  ) {}

  /** Own changes must be remembered until the poll after them has seen them. */
  private get ownFor(): number {
    return Math.max(10_000, 3 * this.pollInterval);
  }

  /**
   * Starts watching: `wake` is called (debounced) when another process changed a relevant name,
   * and `notices`, if given, hears of each such name while the watch is reliable.
   */
  async start(wake: () => void, logger: Logger, notices?: ChangeNotices): Promise<void> {
    this.stop();
    this.wake = wake;
    this.listing = await this.relevantNames();
    try {
      // `persistent: false`: watching never keeps the process alive.
      this.watcher = watch(this.directory, { persistent: false }, (_event, name) => {
        if (name !== null && (!this.relevant(name) || this.isOwn(name))) return;
        this.notices?.change(name);
        this.schedule();
      });
      this.watcher.on('error', (error) => {
        logger.debug(`Watching ${this.directory} failed; polling every ${this.pollInterval} ms instead.`, error);
        this.watcher?.close();
        this.watcher = undefined;
        this.notices?.watching(false);
        this.notices = undefined;
      });
      this.notices = notices;
      notices?.watching(true);
    } catch (error) {
      logger.debug(`Cannot watch ${this.directory}; polling every ${this.pollInterval} ms instead.`, error);
    }
    this.poller = setInterval(() => void this.poll(logger), this.pollInterval);
    this.poller.unref();
  }

  stop(): void {
    this.notices?.watching(false);
    this.notices = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.poller !== undefined) clearInterval(this.poller);
    this.poller = undefined;
    if (this.pending !== undefined) clearTimeout(this.pending);
    this.pending = undefined;
    this.listing = undefined;
  }

  /** Wakes the scheduler soon, once for any number of changes within {@link DEBOUNCE_MS}. */
  private schedule(): void {
    if (this.pending !== undefined) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.wake();
    }, DEBOUNCE_MS);
    this.pending.unref();
  }

  private async poll(logger: Logger): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const names = await this.relevantNames();
      const before = this.listing;
      if (before !== undefined && this.poller !== undefined) {
        const changed = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => [...a].some((name) => !b.has(name) && !this.isOwn(name));
        if (changed(names, before) || changed(before, names)) this.schedule();
        this.listing = names;
      }
      this.forgetOld();
    } catch (error) {
      logger.debug(`Polling ${this.directory} failed.`, error);
    } finally {
      this.polling = false;
    }
  }

  private async relevantNames(): Promise<Set<string>> {
    return new Set((await readdir(this.directory)).filter(this.relevant));
  }

  private isOwn(name: string): boolean {
    return (this.own.get(name) ?? 0) > Date.now();
  }

  private forgetOld(): void {
    const now = Date.now();
    for (const [name, until] of this.own) if (until <= now) this.own.delete(name);
  }
}
