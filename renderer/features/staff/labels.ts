import type { StaffMember, StaffStatus } from '../../../shared/ipc/staff';
import type { Role } from '../../../shared/roles';

/** What each role may do, in the words the practice manager chooses by. */
export const ROLE_HINTS: Record<Role, string> = {
  receptionist:
    'Patients’ details, appointments, consents and payments. Sees alert badges, not clinical notes.',
  clinician: 'Clinical records, treatment and the appointment book.',
  practice_manager:
    'Everything at the front desk, plus staff, settings, privacy requests and the audit trail.',
  auditor: 'Reports and the audit trail only. Cannot open patient records.',
};

export const STATUS_LABELS: Record<StaffStatus, string> = {
  active: 'Active',
  disabled: 'Disabled',
  removed: 'Removed',
};

/** The status column: an active account whose key was lost cannot sign in until it is reset. */
export function statusText(member: StaffMember): string {
  if (member.status === 'active' && !member.canSignIn) return 'Needs a new password';
  return STATUS_LABELS[member.status];
}
