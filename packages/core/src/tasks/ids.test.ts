import { describe, expect, it } from 'vitest';
import { newTaskId } from './ids.js';

describe('newTaskId', () => {
  it('makes distinct 22-character URL-safe ids, across refills of its pool', () => {
    const ids = Array.from({ length: 5_000 }, newTaskId);
    expect(new Set(ids).size).toBe(5_000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
