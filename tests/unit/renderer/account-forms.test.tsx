// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTransport } from '../../../renderer/api/client';
import { LockScreen } from '../../../renderer/features/lock/LockScreen';
import { SettingsScreen } from '../../../renderer/features/settings/SettingsScreen';
import { RecoveryKeyPanel } from '../../../renderer/features/setup/RecoveryKeyPanel';
import { EnableDialog } from '../../../renderer/features/staff/EnableDialog';
import { useSession } from '../../../renderer/stores/session';
import type { StaffMember } from '../../../shared/ipc/staff';
import { checkPasswordStrength } from '../../../shared/password';
import { FakeTransport } from './fake-transport';
import { buttonNamed, byLabel, click, render, settle, typeInto, type Rendered } from './render';

const RITA: StaffMember = {
  id: 'u-rita',
  username: 'rita',
  displayName: 'Rita Reception',
  role: 'receptionist',
  providerId: null,
  status: 'disabled',
  canSignIn: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

let fake: FakeTransport;
let view: Rendered | null = null;

beforeEach(() => {
  fake = new FakeTransport();
  setTransport(fake);
  useSession.setState({
    phase: 'signed-out',
    session: null,
    problem: null,
    clinic: null,
    lockedBy: { username: 'ada', displayName: 'Ada Admin' },
  });
});

afterEach(() => {
  view?.unmount();
  view = null;
  setTransport(null);
  Reflect.deleteProperty(navigator, 'clipboard');
});

/** Polls, a bounded number of times, until `check` holds (the strength meter is debounced). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 40 && !check(); i += 1) {
    await act(async () => {
      await new Promise((r) => setTimeout(r, 50));
    });
    await settle();
  }
  expect(check()).toBe(true);
}

describe('signing in at the lock screen', () => {
  it('says to wait when sign-in is throttled, and clears and focuses the password', async () => {
    fake.handle('session.login', () => {
      throw { code: 'TOO_MANY_ATTEMPTS', message: 'Too many attempts.' };
    });
    view = await render(<LockScreen />);
    const { container } = view;
    await typeInto(byLabel(container, 'Password'), 'guess');
    await click(buttonNamed(container, 'Unlock'));
    await settle();
    expect(fake.callsOf('session.login')).toEqual([{ username: 'ada', password: 'guess' }]);
    expect(container.querySelector('[role="alert"]')?.textContent).toBe(
      'Too many attempts. Wait a minute before trying again.',
    );
    expect(byLabel(container, 'Password').value).toBe('');
    expect(document.activeElement?.id).toBe('unlock-password');
  });

  it('starts the unlock form afresh when coming back from switching user', async () => {
    fake.handle('session.login', () => {
      throw { code: 'WRONG_CREDENTIALS', message: 'The username or password is not right.' };
    });
    view = await render(<LockScreen />);
    const { container } = view;
    await click(buttonNamed(container, 'Switch user'));
    expect(document.activeElement?.id).toBe('switch-username');
    await typeInto(byLabel(container, 'Username'), 'rita');
    await typeInto(byLabel(container, 'Password'), 'wrong');
    await click(buttonNamed(container, 'Sign in'));
    await settle();
    expect(container.querySelector('[role="alert"]')).not.toBeNull();

    await click(buttonNamed(container, 'Back to unlock'));
    expect(container.querySelector('h1')?.textContent).toBe('Locked by Ada Admin');
    expect(container.querySelector('[role="alert"]')).toBeNull();
    expect(container.querySelector('#switch-username')).toBeNull();
    expect(container.querySelector('form')?.getAttribute('aria-label')).toBe('Unlock as Ada Admin');
    expect(document.activeElement?.id).toBe('unlock-password');
  });
});

describe('choosing a new password', () => {
  it('meters the password against the person’s own names, and refuses a weak one by its field', async () => {
    fake.handle('setup.checkPassword', (args) => {
      const { password, userInputs } = args as { password: string; userInputs: string[] };
      return checkPasswordStrength(password, userInputs);
    });
    fake.handle('staff.enable', () => ({ ...RITA, status: 'active', canSignIn: true }));
    const done: string[] = [];
    view = await render(
      <EnableDialog member={RITA} onDone={(_m, note) => done.push(note)} onCancel={() => {}} />,
    );
    const { container } = view;
    const meter = () => container.querySelector('#enable-password-hint [role="meter"]');
    expect(meter()?.getAttribute('aria-valuetext')).toBe('Not entered yet');

    await typeInto(byLabel(container, 'New first password'), 'rita2024');
    await typeInto(byLabel(container, 'Confirm password'), 'rita2024');
    await until(() => meter()?.getAttribute('aria-valuetext') !== 'Checking…');
    expect(container.querySelector('.strength__text')?.textContent).toMatch(/not strong enough/);
    expect(fake.callsOf('setup.checkPassword')[0]).toEqual({
      password: 'rita2024',
      userInputs: ['rita', 'Rita Reception'],
    });
    await click(buttonNamed(container, 'Enable account'));
    await settle();
    expect(container.querySelector('#enable-password-error')?.textContent).toMatch(
      /too easy to guess/,
    );
    expect(fake.callsOf('staff.enable')).toEqual([]);

    const strong = 'walnut comet saffron island';
    await typeInto(byLabel(container, 'New first password'), strong);
    await typeInto(byLabel(container, 'Confirm password'), `${strong}x`);
    await click(buttonNamed(container, 'Enable account'));
    await settle();
    expect(container.querySelector('#enable-confirm-error')?.textContent).toBe(
      'The two passwords are not the same',
    );
    expect(fake.callsOf('staff.enable')).toEqual([]);

    await typeInto(byLabel(container, 'Confirm password'), strong);
    await until(() =>
      /good to use/.test(container.querySelector('.strength__text')?.textContent ?? ''),
    );
    await click(buttonNamed(container, 'Enable account'));
    await settle();
    expect(fake.callsOf('staff.enable')).toEqual([{ id: RITA.id, password: strong }]);
    expect(done).toEqual(['Rita Reception can sign in again with the new first password.']);
  });
});

describe('the recovery key, shown once', () => {
  it('goes on only once the key is said to be stored, and copies the key', async () => {
    const copied: string[] = [];
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText: async (text: string) => void copied.push(text) },
    });
    let continued = 0;
    view = await render(
      <RecoveryKeyPanel recoveryKey="ABCD-EFGH-IJKL" onContinue={() => (continued += 1)} />,
    );
    const { container } = view;
    expect(container.querySelector('[data-testid="recovery-key"]')?.textContent).toBe(
      'ABCD-EFGH-IJKL',
    );
    const go = buttonNamed(container, 'Continue to Enamel');
    expect(go.disabled).toBe(true);

    await click(buttonNamed(container, 'Copy to clipboard'));
    await settle();
    expect(copied).toEqual(['ABCD-EFGH-IJKL']);
    expect(container.querySelector('[role="status"]')?.textContent).toMatch(/^Copied\./);

    await click(byLabel(container, 'I have stored this key safely'));
    expect(go.disabled).toBe(false);
    await click(go);
    expect(continued).toBe(1);
  });

  it('says to copy by hand where the clipboard cannot be used', async () => {
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: undefined });
    view = await render(<RecoveryKeyPanel recoveryKey="ABCD-EFGH-IJKL" onContinue={() => {}} />);
    await click(buttonNamed(view.container, 'Copy to clipboard'));
    expect(view.container.querySelector('[role="status"]')?.textContent).toMatch(/copy it by hand/);
  });
});

describe('management screens', () => {
  it('moves focus to the screen’s heading on arrival', async () => {
    fake.handle('settings.security', () => ({
      idleLockMinutes: 5,
      deviceBinding: { active: false, reason: 'No keystore.' },
    }));
    view = await render(<SettingsScreen />);
    await settle();
    expect(document.activeElement?.id).toBe('settings-title');
    expect(view.container.querySelector('section')?.getAttribute('aria-labelledby')).toBe(
      'settings-title',
    );
    expect(byLabel(view.container, 'Lock after (minutes)').value).toBe('5');
  });
});
