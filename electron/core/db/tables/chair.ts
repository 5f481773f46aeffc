import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

/** An operatory: a column of the appointment book. */
export interface ChairTable extends ReplicatedColumns {
  name: string;
  /** Column order in the book. */
  position: number;
  /** 0 once retired: old appointments keep their chair, new ones cannot use it. */
  active: number;
}
export type ChairRow = Selectable<ChairTable>;
export type NewChair = Insertable<ChairTable>;
export type ChairUpdate = Updateable<ChairTable>;
