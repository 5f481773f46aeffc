/**
 * Local only, never replicated: counters bumped by triggers, `setup` on every change of a
 * scheduling set-up table and `patients` on every change of a patient or alert.
 */
export interface SchedulingVersionTable {
  name: string;
  version: number;
}
