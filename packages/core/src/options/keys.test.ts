import { describe, expect, it } from 'vitest';
import { isHoraeError } from '../errors/index.js';
import { checkKeys, nearestKey } from './keys.js';

describe('unknown option keys', () => {
  it('suggests the allowed key a misspelt one meant: case first, then spelling', () => {
    const allowed = ['directory', 'encryptionKey', 'quarantineDirectory'];
    expect(nearestKey('encryptionkey', allowed)).toBe('encryptionKey');
    expect(nearestKey('directry', allowed)).toBe('directory');
    expect(nearestKey('shutdownTimout', ['signals', 'shutdownTimeout'])).toBe('shutdownTimeout');
    expect(nearestKey('port', allowed)).toBeUndefined();
  });

  it('refuses an unknown key with a typed error naming the key, the place, the nearest and the known ones', () => {
    let thrown: unknown;
    try {
      checkKeys('the lifecycle options', { signals: true, shutdownTimout: 5 }, ['signals', 'shutdownTimeout'], 'nightly');
    } catch (error) {
      thrown = error;
    }
    expect(isHoraeError(thrown, 'INVALID_OPTION')).toBe(true);
    expect((thrown as Error).message).toBe(
      'Task "nightly": unknown option "shutdownTimout" in the lifecycle options; did you mean "shutdownTimeout"? Known options: "signals", "shutdownTimeout".',
    );
    expect(() => checkKeys('x', { signals: true }, ['signals'])).not.toThrow();
  });
});
