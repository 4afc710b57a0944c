/** One round of a fire-lateness benchmark, shared by the in-process and the Redis programs. */

/** Called by a contender when the task at `index` fires. */
export type OnFire = (index: number) => void;

export interface RoundResult {
  lateness: number[];
  early: number;
  duplicates: number;
  setupMs: number;
  /** Tasks whose intended time had passed before scheduling finished (should be 0: give enough lead). */
  overran: number;
}

/** Sub-millisecond epoch time, in step with `Date.now()`. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/**
 * Schedules one fire per intended time through `schedule`, records how late (or early, or twice)
 * each fires, and gives up `graceMs` after the last intended time; unfired tasks count as missed.
 * `schedule` resolves with a function that cancels what is left.
 */
export async function fireRound(
  intended: number[],
  graceMs: number,
  schedule: (onFire: OnFire) => Promise<() => Promise<void> | void>,
): Promise<RoundResult> {
  const late = new Float64Array(intended.length).fill(NaN);
  let early = 0;
  let fired = 0;
  let duplicates = 0;
  let allFired!: () => void;
  const done = new Promise<void>((resolve) => (allFired = resolve));
  const onFire: OnFire = (i) => {
    const now = epochNow();
    if (Date.now() < intended[i]!) early++;
    if (!Number.isNaN(late[i]!)) {
      duplicates++;
      return;
    }
    late[i] = now - intended[i]!;
    if (++fired === intended.length) allFired();
  };
  const setupStart = performance.now();
  const cancel = await schedule(onFire);
  const setupMs = performance.now() - setupStart;
  const setupEnd = Date.now();
  const overran = intended.filter((time) => time <= setupEnd).length;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(...intended) + graceMs - Date.now())))]);
  clearTimeout(timer);
  await cancel();
  return { lateness: [...late].filter((value) => !Number.isNaN(value)), early, duplicates, setupMs, overran };
}
