import { ROLE_LABELS } from '../../../shared/roles';
import { openCore, resolveDataDir, type Command } from '../context';
import { readPassword } from '../password';
import { integerOption, parseOptions, requireOption } from '../usage';

const help = `Usage: enamel init --clinic NAME --admin-user USERNAME --admin-name "FULL NAME" [options]

Sets up a new clinic in the data folder, with its first administrator (a practice manager), and
prints the recovery key once.

Options:
  --clinic NAME            The clinic's name
  --admin-user USERNAME    The administrator's username (letters, digits, . _ -)
  --admin-name NAME        The administrator's full name
  --time-zone ZONE         IANA time zone (default Europe/London)
  --country CODE           Two-letter country code (default GB)
  --locale LOCALE          Locale for dates and names (default en-GB)
  --age-of-consent YEARS   Patients younger than this act through a guardian (default 16)
  --data-dir DIR           Data folder (default: ENAMEL_DATA_DIR or your user data folder)
  -h, --help               Show this help

The administrator's password is read from ENAMEL_PASSWORD, or typed twice when asked (it is not
shown), or read from the first line of standard input. It is never taken as an option.`;

export const initCommand: Command = {
  name: 'init',
  summary: 'Set up a new clinic and its first administrator',
  help,
  async run(args, ctx) {
    const o = parseOptions(args, {
      clinic: { type: 'string' },
      'admin-user': { type: 'string' },
      'admin-name': { type: 'string' },
      'time-zone': { type: 'string', default: 'Europe/London' },
      country: { type: 'string', default: 'GB' },
      locale: { type: 'string', default: 'en-GB' },
      'age-of-consent': { type: 'string' },
    });
    if (o.help) {
      ctx.out(help);
      return 0;
    }
    const clinicName = requireOption(o.clinic, 'clinic');
    const username = requireOption(o['admin-user'], 'admin-user');
    const displayName = requireOption(o['admin-name'], 'admin-name');
    const ageOfConsent = integerOption(o['age-of-consent'], 'age-of-consent', 12, 21) ?? 16;
    const dataDir = resolveDataDir(o['data-dir'], ctx.env);
    const core = openCore(dataDir, ctx.env);
    try {
      const password = await readPassword(`New password for ${username}`, {
        confirm: true,
        env: ctx.env,
      });
      const result = await core.call('setup.createClinic', {
        clinic: {
          name: clinicName,
          timeZone: o['time-zone'],
          country: o.country.toUpperCase(),
          locale: o.locale,
          ageOfConsent,
        },
        admin: { username, displayName, password },
      });
      ctx.out(`Clinic set up in ${dataDir}`);
      ctx.out(`Administrator: ${result.session.username} (${ROLE_LABELS[result.session.role]})`);
      ctx.out('');
      ctx.out('RECOVERY KEY (shown this once only):');
      ctx.out('');
      ctx.out(`    ${result.recoveryKey}`);
      ctx.out('');
      ctx.out('Write it down or print it, and keep it somewhere safe away from this computer.');
      ctx.out('It is the only way back into the data if every password is lost, and it opens');
      ctx.out('every backup. Enamel cannot show it again.');
      return 0;
    } finally {
      await core.close();
    }
  },
};
