import fs from 'node:fs';
import { AppError } from '../../../shared/errors';
import { checkChangeRecords, checkPages, checkSearchIndex, type CheckResult } from '../checks';
import { openCore, resolveDataDir, signIn, type Command } from '../context';
import { formatBytes, formatCount } from '../progress';
import { parseOptions } from '../usage';

const help = `Usage: enamel verify [--user USERNAME]

Opens the data file and checks it: every page decrypts and passes its integrity check (a changed
byte anywhere is found), references between records hold, every patient is in the search index,
every record has its change record and stamp, and the audit trail's hash chain is unbroken.
Exits with status 1 and says what is wrong when any check fails.

Options:
  --user USERNAME   Staff account to sign in as (default: the only account)
  --data-dir DIR    Data folder (default: ENAMEL_DATA_DIR or your user data folder)
  -h, --help        Show this help

The password is read from ENAMEL_PASSWORD or standard input.`;

interface AuditVerification {
  ok: boolean;
  checked: number;
  firstBroken: { seq: number; reason: string } | null;
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Check the data file: encryption, integrity, search index, change records, audit',
  help,
  async run(args, ctx) {
    const o = parseOptions(args, { user: { type: 'string' } });
    if (o.help) {
      ctx.out(help);
      return 0;
    }
    const dataDir = resolveDataDir(o['data-dir'], ctx.env);
    const core = openCore(dataDir, ctx.env);
    try {
      await signIn(core, dataDir, o.user, ctx.env);
      const store = core.openStore;
      if (!store) throw new AppError('NOT_SIGNED_IN', 'Please sign in first.');
      const file = core.paths.database;
      ctx.out(`Checking ${file} (${formatBytes(fs.statSync(file).size)}, encrypted)`);
      const results: CheckResult[] = [checkPages(store.sqlite)];
      // Past a damaged page, the other checks would only trip over it again.
      if (results[0]!.problems.length === 0) {
        results.push(checkSearchIndex(store.sqlite), checkChangeRecords(store.sqlite));
        results.push(await checkAudit(core));
      }
      const problems: string[] = [];
      for (const r of results) {
        const ok = r.problems.length === 0;
        ctx.out(`  ${ok ? 'ok  ' : 'FAIL'}  ${r.label} (${r.detail})`);
        for (const p of r.problems) {
          ctx.out(`        - ${p}`);
          problems.push(p);
        }
      }
      if (problems.length > 0) {
        ctx.err(
          `Verification failed: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : ''}.`,
        );
        return 1;
      }
      ctx.out('All checks passed.');
      return 0;
    } finally {
      await core.close();
    }
  },
};

async function checkAudit(core: {
  dispatch: (name: unknown, args: unknown) => Promise<unknown>;
}): Promise<CheckResult> {
  const label = "The audit trail's hash chain is unbroken";
  const result = (await core.dispatch('audit.verify', {})) as
    | { ok: true; value: AuditVerification }
    | { ok: false; error: { code: string; message: string } };
  if (!result.ok) {
    if (result.error.code === 'UNKNOWN_COMMAND' || result.error.code === 'NOT_ALLOWED')
      return {
        label,
        detail: 'not checked: this account may not read the audit trail',
        problems: [],
      };
    return { label, detail: 'could not be checked', problems: [result.error.message] };
  }
  const v = result.value;
  return {
    label,
    detail: `${formatCount(v.checked)} events`,
    problems: v.ok
      ? []
      : [
          `audit trail broken at event ${v.firstBroken?.seq ?? '?'}: ${v.firstBroken?.reason ?? 'unknown'}`,
        ],
  };
}
