/**
 * Child process of sync-crash.test.ts: a workstation that keeps registering patients and syncing
 * (pushing them, pulling the clinic's large log) until the parent kills it with SIGKILL. It
 * prints `created <id>` once a registration has returned, i.e. was acknowledged to staff.
 */
import { Core } from '../../electron/core/core';
import { ADMIN, patientInput, TEST_KDF } from '../support/core';

async function main(): Promise<void> {
  const [dataDir, tag] = process.argv.slice(2);
  if (!dataDir || !tag) throw new Error('usage: sync-crash-child <data dir> <tag>');
  const core = new Core({ dataDir, kdf: TEST_KDF, sync: { background: false } });
  await core.call('session.login', { username: ADMIN.username, password: ADMIN.password });
  process.stdout.write('ready\n');
  for (let i = 0; i < 10_000; i++) {
    const p = await core.call('patients.create', {
      patient: patientInput({
        givenNames: `Crash${tag}`,
        familyName: `Run${i}`,
        phones: [],
        email: null,
        alerts: [],
      }),
      duplicatesReviewed: true,
    });
    process.stdout.write(`created ${p.id}\n`);
    await core.call('sync.now', {});
    process.stdout.write('synced\n');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? `${error.name}: ${error.message}` : 'error'}\n`);
  process.exit(1);
});
