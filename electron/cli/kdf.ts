import type { KdfParams } from '../core/crypto/keyring';
import { UsageError } from './usage';

/** Fast Argon2id parameters, the same as the test suites use. */
const TEST_KDF: KdfParams = { opslimit: 1, memlimit: 8 * 1024 * 1024 };

/**
 * `ENAMEL_KDF=test` gives new keyring entries weak Argon2id parameters, so that the CLI's own tests
 * (which run it as a child process) take seconds rather than minutes. It is honoured only under a
 * test runner (NODE_ENV=test or VITEST set) and never inside Electron; anywhere else the variable
 * is refused with an error rather than ignored, so nobody believes they got it. The packaged app
 * does not include the CLI. Returns undefined for the production default.
 */
export function kdfFromEnvironment(env: NodeJS.ProcessEnv = process.env): KdfParams | undefined {
  const requested = env.ENAMEL_KDF;
  if (requested === undefined || requested === '') return undefined;
  const underTestRunner = env.NODE_ENV === 'test' || env.VITEST !== undefined;
  if (requested !== 'test' || !underTestRunner || process.versions.electron !== undefined) {
    throw new UsageError(
      'ENAMEL_KDF is only for the test suite (ENAMEL_KDF=test with NODE_ENV=test); unset it.',
    );
  }
  return TEST_KDF;
}
