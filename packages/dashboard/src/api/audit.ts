import type { Logger } from '@horae/core';
import type { AuditEntry, ResolvedOptions } from '../options.js';

/**
 * Runs a mutation and reports it, done or failed, to the scheduler's logger and to `onAudit`.
 * A failing `onAudit` is logged, never passed to the client or the app.
 */
export async function audited<T>(
  options: ResolvedOptions,
  logger: Logger,
  entry: Omit<AuditEntry, 'at' | 'outcome' | 'error'>,
  work: () => Promise<T>,
): Promise<T> {
  const report = (outcome: AuditEntry['outcome'], error?: unknown): void => {
    const failure = error === undefined ? undefined : describe(error);
    const full: AuditEntry = { ...entry, at: new Date(), outcome, ...(failure === undefined ? {} : { error: failure }) };
    const who = entry.identity ?? 'an unnamed client';
    const where = entry.store === null ? '' : ` in store "${entry.store}"`;
    logger.info(`Dashboard: ${who} ${outcome === 'succeeded' ? 'did' : 'failed to do'} "${entry.action}" on task "${entry.taskId}"${where}${failure === undefined ? '' : `: ${failure.message}`}`);
    try {
      options.onAudit?.(full);
    } catch (listenerError) {
      logger.error('Dashboard: the onAudit listener threw', listenerError);
    }
  };
  let result: T;
  try {
    result = await work();
  } catch (error) {
    report('failed', error);
    throw error;
  }
  report('succeeded');
  return result;
}

function describe(error: unknown): { code: string; message: string } {
  const code = typeof (error as { code?: unknown } | null)?.code === 'string' ? (error as { code: string }).code : 'INTERNAL';
  return { code, message: error instanceof Error ? error.message : String(error) };
}
