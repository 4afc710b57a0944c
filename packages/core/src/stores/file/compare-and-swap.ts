/**
 * Changing a versioned file by compare-and-swap (see `generations.ts`): read the current
 * generation, decide the next, publish it, and when another process published first, read again
 * and decide anew, a bounded number of times.
 */
import type { HoraeError } from '../../errors/index.js';
import type { GenerationFiles, Head } from './generations.js';

/** How often one change is tried while other processes keep changing the same key first. */
const MAX_ATTEMPTS = 100;

/** Returned by a step of {@link CompareAndSwap.attempt} that lost a race and must be tried again. */
export const AGAIN = Symbol('again');

/** What a compare-and-swap step decided: the next generation to publish (if any) and the result. */
export type Decision<TDoc, TResult> = { readonly next?: TDoc; readonly result: TResult };

export class CompareAndSwap {
  constructor(
    /** The error when other processes won `attempts` times in a row. */
    private readonly gaveUp: (operation: string, attempts: number) => HoraeError,
  ) {}

  /**
   * Changes one key: reads its current generation (or starts from `first`), lets `decide`
   * compute the next one, and publishes it; when another process changed the key in between,
   * reads again and decides anew. `decide` may throw to refuse.
   */
  change<TDoc extends object, TResult>(
    files: GenerationFiles<TDoc>,
    key: string,
    operation: string,
    decide: (head: Head<TDoc>) => Decision<TDoc, TResult>,
    first?: Head<TDoc>,
  ): Promise<TResult> {
    let known = first;
    return this.attempt(operation, async () => {
      const head = known ?? (await files.head(key));
      known = undefined;
      const { next, result } = decide(head);
      if (next === undefined) return result;
      return (await files.publish(head, next)) ? result : AGAIN;
    });
  }

  /** Runs `step` until it settles (does not return {@link AGAIN}), a bounded number of times. */
  async attempt<TResult>(operation: string, step: () => Promise<TResult | typeof AGAIN>): Promise<TResult> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const result = await step();
      if (result !== AGAIN) return result;
    }
    throw this.gaveUp(operation, MAX_ATTEMPTS);
  }
}
