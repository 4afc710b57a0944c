import { defineProject } from 'vitest/config';
import { standardDecorators } from '../../vitest.decorators.js';

export default defineProject({
  plugins: [standardDecorators],
  test: {
    name: 'core',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
