import { describe, expect, it } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { storeErrors } from './store-errors.js';

describe('storeErrors', () => {
  it('gives stores the scheduler\'s codes, with the task, the value and the fix in the message', () => {
    const conflict = storeErrors.conflictingId('digest', 'shared');
    expect(isHoraeError(conflict, 'CONFLICTING_ID')).toBe(true);
    expect(conflict).toMatchObject({ taskId: 'digest' });
    expect(conflict.message).toMatch(/"digest".*"shared".*replaceExisting/);
    const missing = storeErrors.taskNotFound('digest', 'shared (quarantine)');
    expect(isHoraeError(missing, 'TASK_NOT_FOUND')).toBe(true);
    expect(missing.message).toContain('store "shared (quarantine)"');
    expect(storeErrors.invalidNextRunTime('digest', Number.NaN).message).toMatch(/"digest".*NaN.*epoch milliseconds/);
    expect(isHoraeError(storeErrors.invalidLeaseDuration(0), 'INVALID_OPTION')).toBe(true);
  });

  it('names the place that holds data of another kind, and the fix', () => {
    const error = storeErrors.wrongKind('shared', 'the Redis key "{app}:due"', 'a string', 'a sorted set', 'Delete it.');
    expect(isHoraeError(error, 'STORE_UNAVAILABLE')).toBe(true);
    expect(error.message).toBe('Store "shared" cannot use the Redis key "{app}:due": it holds a string where the store keeps a sorted set, so the store wrote nothing. Delete it.');
  });
});
