import type { Insertable, Selectable, Updateable } from 'kysely';
import type { ReplicatedColumns } from './replicated';

export interface ClinicTable extends ReplicatedColumns {
  name: string;
  time_zone: string;
  country: string;
  locale: string;
  age_of_consent: number;
}
export type ClinicRow = Selectable<ClinicTable>;
export type NewClinic = Insertable<ClinicTable>;
export type ClinicUpdate = Updateable<ClinicTable>;
