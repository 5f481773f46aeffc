import type { Generated, Selectable } from 'kysely';

/**
 * Local integer key for each patient's row in the FTS5 index (`patient_search`). Explicit so that
 * VACUUM INTO (backups) cannot renumber it. Not replicated.
 */
export interface PatientSearchKeyTable {
  key: Generated<number>;
  patient_id: string;
}
export type PatientSearchKeyRow = Selectable<PatientSearchKeyTable>;
