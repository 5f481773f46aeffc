import { AppError } from '../../../shared/errors';
import { patientCommands } from '../../../shared/ipc/patients';
import { DEFAULT_SEED_VALUE } from '../../core/seed/generate';
import { describeSpan, seedAppointments } from '../../core/seed/appointments';
import { seedPatients } from '../../core/seed/seed';
import { openCore, resolveDataDir, signIn, type Command } from '../context';
import { formatCount, progressReporter } from '../progress';
import { integerOption, parseOptions, requireOption } from '../usage';

const help = `Usage: enamel seed --patients N [--appointments N] [--user USERNAME] [--seed-value TEXT]

Adds N realistic test patients (names from many communities and scripts, valid phone numbers
for the clinic's country, guardians for children, alerts, documents, insurance), for development
and benchmarks. The same seed value gives the same patients. Never use it on a clinic's live data.

Options:
  --patients N         How many patients to add (1 to 2,000,000)
  --appointments N     Also fill the appointment book with N appointments (1 to 5,000,000),
                       reaching back from a few weeks ahead (a million is about ten years of a
                       10-chair clinic); sets up chairs, providers and hours if there are none
  --user USERNAME      Staff account to sign in as (default: the only account)
  --seed-value TEXT    Seed of the generator (default ${DEFAULT_SEED_VALUE})
  --data-dir DIR       Data folder (default: ENAMEL_DATA_DIR or your user data folder)
  -h, --help           Show this help

The password is read from ENAMEL_PASSWORD or standard input. Progress is shown on stderr.`;

export const seedCommand: Command = {
  name: 'seed',
  summary: 'Add realistic test patients (development and benchmarks)',
  help,
  async run(args, ctx) {
    const o = parseOptions(args, {
      patients: { type: 'string' },
      user: { type: 'string' },
      'seed-value': { type: 'string' },
      appointments: { type: 'string' },
    });
    if (o.help) {
      ctx.out(help);
      return 0;
    }
    const appointments = integerOption(o.appointments, 'appointments', 1, 5_000_000);
    const count =
      appointments !== undefined && o.patients === undefined
        ? 0
        : integerOption(requireOption(o.patients, 'patients'), 'patients', 1, 2_000_000)!;
    const dataDir = resolveDataDir(o['data-dir'], ctx.env);
    const core = openCore(dataDir, ctx.env);
    try {
      const session = await signIn(core, dataDir, o.user, ctx.env);
      const roles: unknown = patientCommands['patients.create'].roles;
      if (!Array.isArray(roles) || !roles.includes(session.role))
        throw new AppError('NOT_ALLOWED', 'Your role does not allow adding patients.');
      const store = core.openStore;
      if (!store) throw new AppError('NOT_SIGNED_IN', 'Please sign in first.');
      const started = performance.now();
      const summary =
        count === 0
          ? null
          : await seedPatients(store, session.userId, Date.now, {
              count,
              seedValue: o['seed-value'] ?? DEFAULT_SEED_VALUE,
              onProgress: progressReporter('Adding patients'),
            });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (summary)
        ctx.out(
          `Added ${formatCount(summary.patients)} patients in ${seconds} s: ` +
            `${formatCount(summary.phones)} phone numbers, ${formatCount(summary.alerts)} alerts, ` +
            `${formatCount(summary.documents)} identity documents, ` +
            `${formatCount(summary.insurancePolicies)} insurance policies, ` +
            `${formatCount(summary.minorsWithGuardian)} children with a guardian.`,
        );
      if (appointments !== undefined) {
        const began = performance.now();
        const booked = await seedAppointments(store, session.userId, Date.now, {
          count: appointments,
          ...(o['seed-value'] ? { seedValue: o['seed-value'] } : {}),
          onProgress: progressReporter('Adding appointments'),
        });
        ctx.out(
          `Added ${formatCount(booked.appointments)} appointments in ` +
            `${((performance.now() - began) / 1000).toFixed(1)} s, ` +
            `${describeSpan(booked, store.clinic?.timeZone ?? 'UTC')}` +
            `${booked.setupCreated ? ', with a new book set-up (10 chairs, 8 providers)' : ''}; ` +
            `${formatCount(booked.recalls)} recalls, ${formatCount(booked.waitlist)} on the waitlist.`,
        );
      }
      return 0;
    } finally {
      await core.close();
    }
  },
};
