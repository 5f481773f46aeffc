/**
 * The appointment book's pure rules: set-up and appointment schemas (model), clinic-local time
 * (time), conflicts, booking validation, free-slot search and late cancellation. Everything
 * here is deterministic and free of Node and DOM, so the core, the renderer and the relay's
 * tests can all use it.
 */
export * from './model';
export * from './time';
export * from './conflicts';
export * from './validate';
export * from './free-slots';
export * from './late-cancellation';
export { createCalendar } from './availability';
export type { Calendar, ClosureInterval } from './availability';
