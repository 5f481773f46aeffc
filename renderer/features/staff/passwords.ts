import { api } from '../../api/client';

/**
 * The core's verdict on a new password, asked before a form is sent so the answer lands next to
 * the field. Null when it is strong enough or the check could not run (the core checks again).
 */
export async function weakPasswordMessage(
  password: string,
  userInputs: string[],
): Promise<string | null> {
  const checked = await api.call('setup.checkPassword', { password, userInputs }).catch(() => null);
  if (!checked || checked.acceptable) return null;
  return `This password is too easy to guess. ${checked.warning}`.trim();
}
