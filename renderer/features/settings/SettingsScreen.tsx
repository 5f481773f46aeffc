import { useEffect, useState } from 'react';
import { z } from 'zod';
import { IDLE_LOCK_MINUTES, type SecuritySettings } from '../../../shared/ipc/staff';
import { api, messageOf } from '../../api/client';
import { AdminScreen, Card } from '../../components/AdminScreen';
import { errorAt, Field } from '../../components/Field';
import { ErrorNotice } from '../../components/Notice';
import { useZodForm } from '../../components/useZodForm';
import { applyServerErrors } from '../../forms';
import { useSession } from '../../stores/session';
import '../staff/staff.css';
import './settings.css';

const idleForm = z.object({
  minutes: z.coerce
    .number<string>()
    .int('Whole minutes')
    .min(IDLE_LOCK_MINUTES.min, `At least ${IDLE_LOCK_MINUTES.min} minute`)
    .max(IDLE_LOCK_MINUTES.max, `At most ${IDLE_LOCK_MINUTES.max} minutes`),
});
type IdleOutput = z.output<typeof idleForm>;

/** This workstation's security: when it locks itself, and whether its keys are device-bound. */
export function SettingsScreen() {
  const [settings, setSettings] = useState<SecuritySettings | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api
      .call('settings.security', {})
      .then((s) => {
        if (live) setSettings(s);
      })
      .catch((e: unknown) => {
        if (live) setProblem(messageOf(e));
      });
    return () => {
      live = false;
    };
  }, []);

  return (
    <AdminScreen
      titleId="settings-title"
      title="Settings"
      lead="Security of this workstation."
      className="settings"
    >
      <ErrorNotice message={problem} />
      {settings ? (
        <div className="settings__grid">
          <IdleLockCard minutes={settings.idleLockMinutes} onSaved={setSettings} />
          <DeviceBindingCard binding={settings.deviceBinding} />
        </div>
      ) : problem ? null : (
        <p className="muted" role="status">
          Loading settings…
        </p>
      )}
    </AdminScreen>
  );
}

function IdleLockCard({
  minutes,
  onSaved,
}: {
  minutes: number;
  onSaved(settings: SecuritySettings): void;
}) {
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting },
  } = useZodForm(idleForm, { minutes: String(minutes) });

  const onSubmit = async (values: IdleOutput) => {
    setNote(null);
    setProblem(null);
    try {
      const saved = await api.call('settings.setIdleLock', { minutes: values.minutes });
      // The idle timer in the top bar restarts with the new time.
      useSession.setState({ idleLockMinutes: saved.idleLockMinutes });
      onSaved(saved);
      setNote(
        `Saved. This workstation locks after ${saved.idleLockMinutes} ${saved.idleLockMinutes === 1 ? 'minute' : 'minutes'} without input.`,
      );
    } catch (e) {
      setProblem(applyServerErrors(e, setError, { isField: (p) => p === 'minutes' }));
    }
  };

  return (
    <Card titleId="idle-title" title="Automatic lock">
      <p>
        After this long without a key press or mouse movement, the records close and the lock screen
        asks for a password. It also locks when the computer locks or goes to sleep.
      </p>
      <ErrorNotice message={problem} />
      <form onSubmit={handleSubmit(onSubmit)} noValidate className="settings__row">
        <Field
          id="idle-minutes"
          label="Lock after (minutes)"
          hint={`From ${IDLE_LOCK_MINUTES.min} to ${IDLE_LOCK_MINUTES.max} minutes. Applies to everyone on this workstation.`}
          error={errorAt(errors, 'minutes')}
        >
          {(a) => (
            <input
              {...a}
              {...register('minutes')}
              type="number"
              inputMode="numeric"
              min={IDLE_LOCK_MINUTES.min}
              max={IDLE_LOCK_MINUTES.max}
              step={1}
              className="input--short"
            />
          )}
        </Field>
        <button type="submit" className="button button--primary" disabled={isSubmitting}>
          {isSubmitting ? 'Saving…' : 'Save'}
        </button>
      </form>
      <p className="admin__note" role="status">
        {note}
      </p>
    </Card>
  );
}

function DeviceBindingCard({ binding }: { binding: SecuritySettings['deviceBinding'] }) {
  return (
    <Card titleId="binding-title" title="Device binding">
      <p>
        <span className={`status${binding.active ? ' status--active' : ''} settings__state`}>
          {binding.active ? 'In use' : 'Not in use'}
        </span>
      </p>
      <p data-testid="binding-reason">{binding.reason}</p>
      <p className="muted">
        Where the operating system has a real keystore, staff keys are also locked to this computer,
        so a copied data folder cannot be attacked by guessing passwords.
      </p>
    </Card>
  );
}
