import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

/** A dentist, hygienist or other clinician who takes appointments. */
export interface ProviderTable extends ReplicatedColumns {
  name: string;
  /** `dentist`, `hygienist` or `other`. */
  kind: string;
  /** `#RRGGBB`, the colour of their appointments. */
  colour: string;
  position: number;
  active: number;
}
export type ProviderRow = Selectable<ProviderTable>;
export type NewProvider = Insertable<ProviderTable>;
export type ProviderUpdate = Updateable<ProviderTable>;
