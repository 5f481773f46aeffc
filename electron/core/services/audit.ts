import fs from 'node:fs';
import { sql } from 'kysely';
import { z } from 'zod';
import type { AuditEvent, AuditPage, AuditVerification } from '../../../shared/domain/audit';
import { verifyChain, type ChainRow } from '../audit/chain';
import { writeFileAtomic } from '../crypto/atomic-file';
import type { Executor } from '../db/kysely';
import { zoneDay } from '../../../shared/scheduling/time';

const anchorFile = z.object({ seq: z.number().int().nonnegative(), hash: z.string() });

/**
 * Copies the newest checkpoint outside the store. Someone holding the store key could rewrite the
 * whole chain inside the file; the anchor (and, with sync, head office's copy) shows it.
 */
export async function writeAnchor(db: Executor, file: string): Promise<void> {
  const cp = await db
    .selectFrom('audit_checkpoint')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!cp) return;
  let current: z.infer<typeof anchorFile> | null;
  try {
    current = anchorFile.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    current = null;
  }
  if (current && current.seq >= cp.seq) return;
  writeFileAtomic(file, JSON.stringify({ seq: cp.seq, hash: cp.hash }));
}

export interface AuditFilter {
  patientId?: string | undefined;
  actorId?: string | undefined;
  action?: string | undefined;
  /** First date included, in the clinic's time zone. */
  from?: string | undefined;
  /** Last date included, in the clinic's time zone. */
  to?: string | undefined;
  beforeSeq?: number | undefined;
  limit: number;
}

/**
 * Events carry UTC instants; the dates a manager types are the clinic's days. `from` starts at
 * the first instant of that local date and `to` ends at the first instant of the next one, so a
 * day of 23 or 25 hours is covered whole.
 */
function instantBounds(
  f: Pick<AuditFilter, 'from' | 'to'>,
  timeZone: string,
): { from?: string; before?: string } {
  return {
    ...(f.from ? { from: new Date(zoneDay(f.from, timeZone).start).toISOString() } : {}),
    ...(f.to ? { before: new Date(zoneDay(f.to, timeZone).end).toISOString() } : {}),
  };
}

function filtered(db: Executor, f: Omit<AuditFilter, 'limit' | 'beforeSeq'>, timeZone: string) {
  const bounds = instantBounds(f, timeZone);
  let q = db.selectFrom('audit_event').leftJoin('staff', 'staff.id', 'audit_event.actor_id');
  if (f.patientId) q = q.where('audit_event.subject_id', '=', f.patientId);
  if (f.actorId) q = q.where('audit_event.actor_id', '=', f.actorId);
  if (f.action) q = q.where('audit_event.action', '=', f.action);
  if (bounds.from) q = q.where('audit_event.at', '>=', bounds.from);
  if (bounds.before) q = q.where('audit_event.at', '<', bounds.before);
  return q;
}

type Listed = {
  seq: number;
  id: string;
  at: string;
  actor_id: string | null;
  display_name: string | null;
  action: string;
  subject_id: string | null;
  target_table: string | null;
  target_id: string | null;
  fields: string | null;
  reason: string | null;
};

function toEvent(r: Listed): AuditEvent {
  return {
    seq: r.seq,
    id: r.id,
    at: r.at,
    actorId: r.actor_id,
    actorName: r.display_name,
    action: r.action,
    subjectId: r.subject_id,
    targetTable: r.target_table,
    targetId: r.target_id,
    fields: r.fields ? (JSON.parse(r.fields) as string[]) : [],
    reason: r.reason,
  };
}

const LIST_COLUMNS = [
  'audit_event.seq',
  'audit_event.id',
  'audit_event.at',
  'audit_event.actor_id',
  'staff.display_name',
  'audit_event.action',
  'audit_event.subject_id',
  'audit_event.target_table',
  'audit_event.target_id',
  'audit_event.fields',
  'audit_event.reason',
] as const;

/** Newest first, paged by sequence number. */
export async function listAudit(
  db: Executor,
  f: AuditFilter,
  timeZone: string,
): Promise<AuditPage> {
  let q = filtered(db, f, timeZone).select(LIST_COLUMNS);
  if (f.beforeSeq !== undefined) q = q.where('audit_event.seq', '<', f.beforeSeq);
  const rows = await q
    .orderBy('audit_event.seq', 'desc')
    .limit(f.limit + 1)
    .execute();
  const items = rows.slice(0, f.limit).map(toEvent);
  return {
    items,
    nextBeforeSeq: rows.length > f.limit ? (items[items.length - 1]?.seq ?? null) : null,
  };
}

function csvCell(value: string | number | null): string {
  const s = value === null ? '' : String(value);
  // Leading = + - @ would run as formulas in a spreadsheet: prefix with a quote.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The filtered trail as CSV (oldest first), up to 1,000,000 rows. */
export async function exportAuditCsv(
  db: Executor,
  f: Omit<AuditFilter, 'limit' | 'beforeSeq'>,
  timeZone: string,
): Promise<{ csv: string; rows: number }> {
  const rows = await filtered(db, f, timeZone)
    .select(LIST_COLUMNS)
    .orderBy('audit_event.seq', 'asc')
    .limit(1_000_000)
    .execute();
  const header = [
    'seq',
    'id',
    'at',
    'actor_id',
    'actor_name',
    'action',
    'subject_id',
    'target_table',
    'target_id',
    'fields',
    'reason',
  ];
  const lines = [header.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.seq,
        r.id,
        r.at,
        r.actor_id,
        r.display_name,
        r.action,
        r.subject_id,
        r.target_table,
        r.target_id,
        r.fields,
        r.reason,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return { csv: lines.join('\r\n') + '\r\n', rows: rows.length };
}

/** Checks every link of the chain and the anchor kept outside the store. */
export async function verifyAudit(
  db: Executor,
  anchorPath: string | null,
): Promise<AuditVerification> {
  const rows = await sql<ChainRow>`SELECT * FROM audit_event ORDER BY seq`.execute(db);
  const report = await verifyChain(rows.rows);
  let anchorMatches: boolean | null = null;
  if (anchorPath && fs.existsSync(anchorPath)) {
    try {
      const anchor = anchorFile.parse(JSON.parse(fs.readFileSync(anchorPath, 'utf8')));
      const row = rows.rows.find((r) => r.seq === anchor.seq);
      anchorMatches = row !== undefined && row.hash === anchor.hash;
    } catch {
      anchorMatches = false;
    }
  }
  const ok = report.ok && anchorMatches !== false;
  return {
    ok,
    checked: report.checked,
    firstBroken:
      report.firstBroken ??
      (anchorMatches === false
        ? { seq: 0, reason: 'the chain does not match the checkpoint kept outside the store' }
        : null),
    anchorMatches,
  };
}
