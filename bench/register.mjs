// Loads the TypeScript benchmarks through tsx, but without any tsconfig: the root tsconfig maps
// `@horae/*` to the packages' sources (so type checking needs no build), and tsx would follow
// that mapping. The benchmarks must measure what users install, so `@horae/core` has to resolve
// the ordinary way, through node_modules to the built dist/.
import { register } from 'tsx/esm/api';

register({ tsconfig: false });
