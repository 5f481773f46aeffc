import type { Selectable } from 'kysely';

/** The last HLC timestamp issued; written in the same transaction as the data it stamped. */
export interface HlcStateTable {
  id: number;
  last: string;
}
export type HlcStateRow = Selectable<HlcStateTable>;
