/**
 * A listing of a directory of versioned files kept between the dispatcher's calls.
 *
 * Listing a directory reads every name in it, and a file store's directory holds several
 * generations of every task. With several processes on one directory, each process is woken for
 * nearly every change another one makes, and each wake-up used to list the whole directory
 * twice: with 100 tasks firing every second, thousands of names, hundreds of times a second.
 *
 * While the directory's watch reports every change other processes make, the listing is kept:
 * a notice marks the key of the name it reports, and the next call reads only the marked keys
 * again (a few file checks each). This process's own changes go straight into it. The directory
 * is still listed whole every {@link FULL_LISTING_MS}: that bounds what a lost notice can hide,
 * and lets superseded generations be swept. Nothing depends on the listing being current for its
 * correctness: every change is a compare-and-swap, and a change refused because the listing was
 * outdated marks its key too.
 */
import type { Head } from './generations.js';

/**
 * How long a kept listing is used before the directory is listed again. Well within the oldest
 * view a change may be built on (`STALE_VIEW_MS`), so that views from a kept listing are never
 * too old to build on.
 */
export const FULL_LISTING_MS = 2_000;
/** More keys changed than this since the last call: listing the directory costs less than reading each. */
const MOST_MARKED = 64;

/** Every key's generations, ascending, as listed at `seenAt` (taken before the listing was read). */
export interface Listing {
  readonly generations: Map<string, number[]>;
  readonly seenAt: number;
}

/** A key's current generation as last known, and since when it is known not to have a next one. */
export interface KeptHead {
  readonly generation: number;
  readonly seenAt: number;
}

export class KeptListing {
  private keeping = false;
  private kept: { readonly heads: Map<string, KeptHead>; readonly seenAt: number } | undefined;
  /** Keys changed since they were last read, with the number of their latest notice. */
  private readonly marked = new Map<string, number>();
  private notices = 0;

  /** Whether a listing is kept: only while every change of other processes is reported. */
  get on(): boolean {
    return this.keeping;
  }

  /** Starts (`true`) or stops keeping a listing; either way, the next call lists the directory. */
  keep(on: boolean): void {
    this.keeping = on;
    this.kept = undefined;
    this.marked.clear();
  }

  /** Another process changed `key`; `null` when it is unknown what changed. */
  changed(key: string | null): void {
    if (!this.keeping) return;
    if (key === null) this.kept = undefined;
    else this.marked.set(key, ++this.notices);
  }

  /** A change of `key` was refused as built on an outdated view: read it again next time. Returns `false`, the refusal. */
  lost(key: string): false {
    if (this.keeping) this.marked.set(key, ++this.notices);
    return false;
  }

  /** This process published `generation` of `key`; no later one existed at `seenAt`. */
  published(key: string, generation: number, seenAt: number): void {
    const known = this.kept?.heads.get(key);
    if (known === undefined || known.generation < generation) this.kept?.heads.set(key, { generation, seenAt });
  }

  /** This process deleted every file of `key`. */
  gone(key: string): void {
    this.kept?.heads.delete(key);
  }

  /**
   * The kept listing brought up to date (a map), or a new listing of the whole directory, which
   * is kept from then on. `list` lists the directory, `read` reads one key's current generation,
   * `known` tells a key that has been listed before (a key never seen means a listing).
   */
  async view(list: () => Promise<Listing>, read: (key: string) => Promise<Head<object>>, known: (key: string) => boolean): Promise<Map<string, KeptHead> | Listing> {
    const kept = this.kept;
    const stale = kept === undefined || Date.now() - kept.seenAt >= FULL_LISTING_MS || this.marked.size > MOST_MARKED;
    if (stale || [...this.marked.keys()].some((key) => !known(key))) {
      this.kept = undefined;
      const notices = this.notices;
      const listing = await list();
      // Notices from before the listing began are in it; later ones are read next time.
      for (const [key, notice] of this.marked) if (notice <= notices) this.marked.delete(key);
      if (this.keeping) {
        this.kept = { heads: new Map([...listing.generations].map(([key, generations]) => [key, { generation: generations.at(-1)!, seenAt: listing.seenAt }])), seenAt: listing.seenAt };
      }
      return listing;
    }
    await Promise.all(
      // At most MOST_MARKED at once.
      [...this.marked].map(async ([key, notice]) => {
        const head = await read(key);
        if (head.generation === 0) kept.heads.delete(key);
        else kept.heads.set(key, { generation: head.generation, seenAt: head.seenAt });
        if (this.marked.get(key) === notice) this.marked.delete(key);
      }),
    );
    return kept.heads;
  }
}
