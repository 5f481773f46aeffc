import { z } from 'zod';
import { stripControl } from '../text';
import type { Role } from '../roles';
import { command } from './command';

/**
 * Sync between the clinic's workstations through the relay: the indicator's status, enrolment
 * (setting a clinic up on the relay, a new workstation joining, an administrator approving it),
 * the clinic's devices, and the changes the relay or this workstation could not take.
 *
 * Design:
 * - The relay never sees keys or patient data; a workstation holds the clinic key and its own
 *   signing and box keys in its encrypted store (see docs/sync-client.md), so sync runs only
 *   while a member of staff is signed in.
 * - Enrolment and device management change who can read the clinic's data: practice managers
 *   only. Anyone signed in sees the status and may ask for a sync now.
 * - Nothing here carries patient data: rejected and held changes are described by table, row id
 *   and reason.
 */
export const SYNC_ADMIN: readonly Role[] = ['practice_manager'];

export const SYNC_ENROLMENTS = ['none', 'joining', 'enrolled', 'revoked'] as const;
export type SyncEnrolment = (typeof SYNC_ENROLMENTS)[number];

/** `off`: not enrolled or not signed in; `connecting`: first contact of this session. */
export type SyncConnection = 'off' | 'connecting' | 'online' | 'offline';

export interface SyncStatus {
  enrolment: SyncEnrolment;
  relayUrl: string | null;
  /** The clinic's code on the relay: a new workstation enters it to ask to join. */
  clinicCode: string | null;
  deviceId: string | null;
  deviceName: string | null;
  connection: SyncConnection;
  /** Changes made here that the relay has not taken yet (rejected ones included). */
  pending: number;
  /** Changes the relay refused, and changes from others this workstation holds back. */
  problems: number;
  /** Last time a push and pull both completed (ISO). */
  lastSyncAt: string | null;
  /** What is wrong, in words, when something is; null otherwise. */
  error: string | null;
  /** While a joining workstation pulls the clinic's history for the first time. */
  bootstrap: { applied: number; total: number } | null;
  /** While this workstation waits for an administrator's approval. */
  join: JoinCode | null;
}

export interface JoinCode {
  /** Shown to the administrator, who types it on an enrolled workstation. */
  code: string;
  /** 8 groups of 4 hex digits, compared by eye on both screens. */
  fingerprint: string;
  expiresAt: string;
}

export interface JoinRequestView {
  code: string;
  deviceId: string;
  deviceName: string;
  /** Computed here from the keys the relay hands over, not taken from the relay. */
  fingerprint: string;
  status: 'pending' | 'approved' | 'expired';
  expiresAt: string;
}

export interface SyncDevice {
  id: string;
  name: string;
  status: 'active' | 'revoked';
  createdAt: string;
  lastSeen: string | null;
  thisDevice: boolean;
}

/**
 * A change that did not go through. `outgoing`: made here, refused by the relay (kept and retried
 * when the cause can pass, e.g. a clock that was ahead). `incoming`: from another workstation,
 * held back here (newer version of Enamel, clock too far ahead, altered on the way).
 */
export interface SyncProblem {
  direction: 'outgoing' | 'incoming';
  table: string;
  rowId: string;
  code: string;
  reason: string;
  at: string;
  /** It is tried again by itself. */
  retrying: boolean;
}

export const relayUrl = z
  .string()
  .trim()
  .max(300, 'The address is too long')
  .regex(
    /^https?:\/\/([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?\/?$/,
    'Enter the relay address, e.g. https://relay.example.org',
  )
  .transform((s) => s.replace(/\/$/, ''));

export const clinicCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'Enter the clinic code shown on an enrolled workstation');

/** Typed by people: spaces, dashes and lower case are forgiven. */
export const pairingCodeInput = z
  .string()
  .max(40, 'Enter the pairing code')
  .transform((s) => s.replace(/[\s-]/g, '').toUpperCase())
  .pipe(
    z.string().regex(/^[0-9A-Z]{10,16}$/, 'Enter the pairing code shown on the new workstation'),
  );

export const fingerprintInput = z
  .string()
  .max(60, 'Enter the fingerprint')
  .transform((s) => s.replace(/\s/g, '').toUpperCase())
  .pipe(z.string().regex(/^[0-9A-F]{32}$/, 'Enter the 32 characters shown on the new workstation'));

export const deviceNameInput = z
  .string()
  .max(400, 'Use at most 100 characters')
  .transform((s) => stripControl(s).trim())
  .pipe(
    z
      .string()
      .min(1, 'Name this workstation, e.g. Front desk')
      .max(100, 'Use at most 100 characters'),
  );

export const deviceId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'Not a valid workstation id');

export const syncCommands = {
  'sync.status': command<SyncStatus>()({
    input: z.strictObject({}),
    roles: 'signed-in',
    summary: 'The sync indicator: online or not, changes waiting, last sync, problems in words',
    touchesPatientData: false,
  }),
  'sync.configure': command<SyncStatus>()({
    input: z.strictObject({ relayUrl }),
    roles: SYNC_ADMIN,
    summary: 'Set the address of the relay this workstation syncs through',
    touchesPatientData: false,
  }),
  'sync.createClinicOnRelay': command<SyncStatus>()({
    input: z.strictObject({
      deviceName: deviceNameInput,
      /** Only when the relay asks for one (its operator hands it out). */
      setupSecret: z.string().min(1).max(200).optional(),
    }),
    roles: SYNC_ADMIN,
    summary:
      'Register this clinic on the relay with a new clinic key, enrol this workstation as its first device and send it everything recorded here',
    touchesPatientData: false,
  }),
  'sync.startJoin': command<JoinCode>()({
    input: z.strictObject({ relayUrl, clinicCode, deviceName: deviceNameInput }),
    roles: SYNC_ADMIN,
    summary:
      'A new workstation asks to join a clinic: shows a pairing code and a key fingerprint for an administrator to approve',
    touchesPatientData: false,
  }),
  'sync.joinResult': command<SyncStatus>()({
    input: z.strictObject({}),
    roles: SYNC_ADMIN,
    summary: 'Whether the join was approved; once it is, take the clinic key and start pulling',
    touchesPatientData: false,
  }),
  'sync.pendingJoins': command<JoinRequestView[]>()({
    input: z.strictObject({ code: pairingCodeInput }),
    roles: SYNC_ADMIN,
    summary: 'The join request with this pairing code, with the fingerprint computed here',
    touchesPatientData: false,
  }),
  'sync.approveJoin': command<SyncDevice>()({
    input: z.strictObject({ code: pairingCodeInput, fingerprint: fingerprintInput }),
    roles: SYNC_ADMIN,
    summary:
      'Approve a joining workstation whose fingerprint was compared: the clinic key is sealed to it',
    touchesPatientData: false,
  }),
  'sync.devices': command<SyncDevice[]>()({
    input: z.strictObject({}),
    roles: SYNC_ADMIN,
    summary: "The clinic's workstations with their last contact",
    touchesPatientData: false,
  }),
  'sync.revokeDevice': command<SyncDevice>()({
    input: z.strictObject({ id: deviceId }),
    roles: SYNC_ADMIN,
    summary: 'Revoke a workstation: the relay refuses it from then on',
    touchesPatientData: false,
  }),
  'sync.rejected': command<SyncProblem[]>()({
    input: z.strictObject({}),
    roles: 'signed-in',
    summary: 'Changes the relay refused and changes from others held back here, with reasons',
    touchesPatientData: false,
  }),
  'sync.now': command<SyncStatus>()({
    input: z.strictObject({}),
    roles: 'signed-in',
    summary: 'Send and fetch changes now instead of waiting',
    touchesPatientData: false,
  }),
} as const;
