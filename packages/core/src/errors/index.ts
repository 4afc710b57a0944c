export { HoraeError, isHoraeError, type HoraeErrorCode } from './errors.js';
export { errors, show } from './messages.js';
