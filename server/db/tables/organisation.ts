import type { Insertable, Selectable } from 'kysely';

/** A group of clinics that shares the organisation-wide bucket (reference data, head office). */
export interface OrganisationTable {
  id: string;
  created_at: number;
}
export type OrganisationRow = Selectable<OrganisationTable>;
export type NewOrganisation = Insertable<OrganisationTable>;
