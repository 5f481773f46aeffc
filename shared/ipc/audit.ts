import { z } from 'zod';
import type { AuditPage, AuditVerification } from '../domain/audit';
import { id, isoDate, requiredText } from '../domain/common';
import { command } from './command';

const AUDIT_READERS = ['practice_manager', 'auditor'] as const;

const auditFilter = {
  patientId: id.optional(),
  actorId: id.optional(),
  action: z
    .string()
    .max(60)
    .regex(/^[A-Za-z_.]+$/, 'Not a known action')
    .optional(),
  /** First and last day included, as the clinic's calendar reads them. */
  from: isoDate.optional(),
  to: isoDate.optional(),
};

export interface BreakGlassGrant {
  id: string;
  staffId: string;
  staffName: string | null;
  patientId: string;
  reason: string;
  grantedAt: string;
  expiresAt: string;
  reviewedBy: string | null;
  reviewedAt: string | null;
}

export const auditCommands = {
  'audit.list': command<AuditPage>()({
    input: z.strictObject({
      ...auditFilter,
      beforeSeq: z.number().int().positive().optional(),
      limit: z.number().int().min(1).max(500).default(100),
    }),
    roles: AUDIT_READERS,
    summary: 'The audit trail, newest first, filtered by patient, user, action and date',
    touchesPatientData: false,
  }),
  'audit.export': command<{ csv: string; rows: number }>()({
    input: z.strictObject(auditFilter),
    roles: AUDIT_READERS,
    summary: 'The filtered audit trail as CSV',
    touchesPatientData: false,
  }),
  'audit.verify': command<AuditVerification>()({
    input: z.strictObject({}),
    roles: AUDIT_READERS,
    summary: 'Check every link of the audit hash chain',
    touchesPatientData: false,
  }),
  'access.breakGlass': command<BreakGlassGrant>()({
    input: z.strictObject({
      patientId: id,
      reason: requiredText(500, 'A reason').pipe(
        z.string().min(10, 'Explain the emergency in a few words'),
      ),
    }),
    roles: ['receptionist', 'clinician', 'practice_manager'],
    summary:
      'Emergency access to one patient beyond your role, with a reason; expires and is reviewed',
    touchesPatientData: true,
  }),
  'access.listBreakGlass': command<BreakGlassGrant[]>()({
    input: z.strictObject({ unreviewedOnly: z.boolean().default(true) }),
    roles: ['practice_manager'],
    summary: 'Emergency accesses waiting for review',
    touchesPatientData: false,
  }),
  'access.reviewBreakGlass': command<BreakGlassGrant>()({
    input: z.strictObject({ id }),
    roles: ['practice_manager'],
    summary: 'Mark an emergency access as reviewed',
    touchesPatientData: false,
  }),
} as const;
