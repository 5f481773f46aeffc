/** One audit event as shown on the audit screen and exported to CSV. No patient data: ids only. */
export interface AuditEvent {
  seq: number;
  id: string;
  at: string;
  actorId: string | null;
  actorName: string | null;
  action: string;
  subjectId: string | null;
  targetTable: string | null;
  targetId: string | null;
  fields: string[];
  reason: string | null;
}

export interface AuditPage {
  items: AuditEvent[];
  /** Pass as `beforeSeq` for the next (older) page; null at the start of the trail. */
  nextBeforeSeq: number | null;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  firstBroken: { seq: number; reason: string } | null;
  anchorMatches: boolean | null;
}

export const AUDIT_ACTIONS = {
  'session.login': 'Signed in',
  'session.login_failed': 'Failed sign-in',
  'session.logout': 'Signed out',
  'session.locked': 'Locked',
  'patients.get': 'Opened a patient record',
  'patients.search': 'Searched patients',
  'patients.list': 'Listed patients',
  'patients.history': 'Viewed field history',
  'patients.findDuplicates': 'Checked for duplicates',
  'patients.create': 'Registered a patient',
  'patients.update': 'Edited a patient',
  'patients.archive': 'Archived a patient',
  'patient.import': 'Imported a patient',
  'patient.break_glass': 'Emergency access',
  'access.break_glass_reviewed': 'Reviewed emergency access',
  'audit.view': 'Viewed the audit trail',
  'audit.export': 'Exported the audit trail',
} as const;
