import type { Insertable, Selectable } from 'kysely';

/** A clinic known to the relay: only ids; names and addresses live in the sealed payloads. */
export interface ClinicTable {
  id: string;
  organisation_id: string;
  created_at: number;
}
export type ClinicRow = Selectable<ClinicTable>;
export type NewClinic = Insertable<ClinicTable>;
