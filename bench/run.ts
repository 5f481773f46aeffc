/**
 * `npm run bench [-- options]`: runs the benchmark suites and prints their figures.
 *
 *   --json              one JSON object per line: {"name","value","unit","budget","ok"}
 *   --strict            exit with status 1 when a figure misses its budget
 *   --suite a,b         suites to run: foundation (default), scheduling, relay, sync, staff, or
 *                       all
 *   --patients N        patients for the foundation and staff stores (default 100000; others
 *                       are not comparable with the budgets, and their figures have no budget)
 *
 * Progress goes to stderr, figures to stdout.
 */
import { parseArgs } from 'node:util';
import { runFoundationBench, type BenchResult } from './foundation';

interface Line {
  name: string;
  value: number;
  unit: string;
  budget: number | null;
  ok: boolean;
}

interface Suite {
  name: string;
  run: (log: (line: string) => void) => Promise<BenchResult[]>;
}

/** Budgets are upper bounds, except throughput figures (per second), which are lower bounds. */
function withinBudget(r: BenchResult): boolean {
  if (r.budget === null) return true;
  return /\/s$|per_s$/.test(r.unit) || /_per_s$/.test(r.name)
    ? r.value >= r.budget
    : r.value <= r.budget;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      suite: { type: 'string', default: 'foundation' },
      patients: { type: 'string', default: '100000' },
    },
    strict: true,
    allowPositionals: false,
  });
  const patients = Number(values.patients);
  if (!Number.isInteger(patients) || patients < 1000) {
    process.stderr.write('--patients needs a whole number of at least 1000\n');
    return 2;
  }
  const suites: Suite[] = [
    { name: 'foundation', run: (log) => runFoundationBench({ patients, log }) },
    {
      name: 'scheduling',
      run: async () => (await import('./scheduling')).runSchedulingBench(),
    },
    { name: 'relay', run: async () => (await import('./relay-ingest')).runRelayBench() },
    { name: 'sync', run: async (log) => (await import('./sync')).runSyncBench(log) },
    {
      name: 'staff',
      run: async (log) => (await import('./staff')).runStaffBench(log, { patients }),
    },
  ];
  const wanted = values.suite === 'all' ? suites.map((s) => s.name) : values.suite.split(',');
  const unknown = wanted.filter((w) => !suites.some((s) => s.name === w));
  if (unknown.length > 0) {
    process.stderr.write(`Unknown suite(s): ${unknown.join(', ')}\n`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const lines: Line[] = [];
  for (const suite of suites.filter((s) => wanted.includes(s.name))) {
    log(`== ${suite.name}`);
    for (const r of await suite.run(log)) {
      const line: Line = {
        name: r.name,
        value: r.value,
        unit: r.unit,
        budget: r.budget,
        ok: withinBudget(r),
      };
      lines.push(line);
      if (values.json) process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  }
  if (!values.json) printTable(lines);
  const missed = lines.filter((l) => !l.ok);
  if (missed.length > 0)
    log(
      `Over budget: ${missed.map((l) => l.name).join(', ')}${values.strict ? '' : ' (not --strict)'}`,
    );
  return values.strict && missed.length > 0 ? 1 : 0;
}

function printTable(lines: Line[]): void {
  const rows = lines.map((l) => [
    l.name,
    `${l.value} ${l.unit}`,
    l.budget === null ? '-' : `${l.budget} ${l.unit}`,
    l.budget === null ? 'info' : l.ok ? 'ok' : 'OVER',
  ]);
  const header = ['metric', 'value', 'budget', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${format(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of rows) process.stdout.write(`${format(r)}\n`);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(
      `Benchmark failed: ${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? ''}\n`,
    );
    process.exit(1);
  },
);
