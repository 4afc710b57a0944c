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
});
