import type { Insertable, Selectable } from 'kysely';

/**
 * A new workstation waiting for an administrator. Once approved it carries the clinic key sealed
 * to the new workstation's box key, which only that workstation can open.
 */
export interface EnrolmentRequestTable {
  code: string;
  clinic_id: string;
  device_id: string;
  device_name: string;
  signing_key: string;
  box_key: string;
  fingerprint: string;
  status: 'pending' | 'approved';
  created_at: number;
  expires_at: number;
  approved_by: string | null;
  approved_at: number | null;
  sealed_clinic_key: string | null;
  key_id: string | null;
}
export type EnrolmentRequestRow = Selectable<EnrolmentRequestTable>;
export type NewEnrolmentRequest = Insertable<EnrolmentRequestTable>;
