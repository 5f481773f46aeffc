import { useMemo, useState } from 'react';
import { useWatch } from 'react-hook-form';
import { z } from 'zod';
import { clinicInput, password, username } from '../../../shared/domain/clinic';
import { requiredText } from '../../../shared/domain/common';
import { api } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { FormActions } from '../../components/FormActions';
import { NewPasswordFields, refusedAsWeak } from '../../components/NewPasswordFields';
import { ErrorNotice } from '../../components/Notice';
import { useZodForm } from '../../components/useZodForm';
import { applyServerErrors } from '../../forms';
import { useSession } from '../../stores/session';
import { RecoveryKeyPanel } from './RecoveryKeyPanel';

const setupForm = z
  .object({
    clinic: clinicInput,
    admin: z.object({
      displayName: requiredText(120, 'Full name'),
      username,
      password,
      confirm: z.string(),
    }),
  })
  .refine((v) => v.admin.password === v.admin.confirm, {
    message: 'The two passwords are not the same',
    path: ['admin', 'confirm'],
  });
type SetupFormOutput = z.output<typeof setupForm>;

const LOCALE = /^[a-z]{2,3}(-[A-Z]{2})?$/;

/** Sensible first guesses from this computer's settings; staff can change every one. */
export function guessClinicDefaults(): { timeZone: string; locale: string; country: string } {
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const language = typeof navigator !== 'undefined' ? navigator.language : 'en-GB';
  const locale = LOCALE.test(language) ? language : 'en-GB';
  let country: string;
  try {
    country = new Intl.Locale(language).maximize().region ?? '';
  } catch {
    country = '';
  }
  return { timeZone, locale, country: /^[A-Z]{2}$/.test(country) ? country : '' };
}

function timeZones(current: string): string[] {
  let zones: string[];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  return zones.includes(current) ? zones : [current, ...zones];
}

export function SetupScreen() {
  const defaults = useMemo(() => guessClinicDefaults(), []);
  const zones = useMemo(() => timeZones(defaults.timeZone), [defaults.timeZone]);
  const [recoveryKey, setRecoveryKey] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const refresh = useSession((s) => s.refresh);

  const form = useZodForm(setupForm, {
    clinic: {
      name: '',
      timeZone: defaults.timeZone,
      country: defaults.country,
      locale: defaults.locale,
      ageOfConsent: 16,
    },
    admin: { displayName: '', username: '', password: '', confirm: '' },
  });
  const {
    register,
    handleSubmit,
    control,
    setError,
    formState: { errors, isSubmitting },
  } = form;
  const [displayName = '', typedUsername = '', clinicName = ''] = useWatch({
    control,
    name: ['admin.displayName', 'admin.username', 'clinic.name'],
  });
  const userInputs = useMemo(
    () => [typedUsername, displayName, clinicName].filter((s) => s.trim() !== ''),
    [typedUsername, displayName, clinicName],
  );

  const onSubmit = async (values: SetupFormOutput) => {
    setProblem(null);
    if (await refusedAsWeak(setError, 'admin.password', values.admin.password, userInputs)) return;
    try {
      const result = await api.call('setup.createClinic', {
        clinic: values.clinic,
        admin: {
          displayName: values.admin.displayName,
          username: values.admin.username,
          password: values.admin.password,
        },
      });
      setRecoveryKey(result.recoveryKey);
    } catch (e) {
      setProblem(applyServerErrors(e, setError));
    }
  };

  if (recoveryKey) {
    return <RecoveryKeyPanel recoveryKey={recoveryKey} onContinue={() => void refresh()} />;
  }

  return (
    <main className="welcome">
      <div className="welcome__card welcome__card--wide">
        <h1>Set up Enamel</h1>
        <p className="lead">
          This workstation keeps the clinic’s records encrypted. Enter the clinic’s details and
          create the first administrator account.
        </p>
        <ErrorNotice message={problem} />
        <form onSubmit={handleSubmit(onSubmit)} noValidate>
          <fieldset className="fieldset">
            <legend>Clinic</legend>
            <div className="grid grid--2">
              <Field
                id="clinic-name"
                label="Clinic name"
                required
                error={errorAt(errors, 'clinic.name')}
              >
                {(a) => (
                  <input
                    {...a}
                    {...register('clinic.name')}
                    autoComplete="organization"
                    autoFocus
                  />
                )}
              </Field>
              <Field
                id="clinic-timezone"
                label="Time zone"
                required
                error={errorAt(errors, 'clinic.timeZone')}
              >
                {(a) => (
                  <select {...a} {...register('clinic.timeZone')}>
                    {zones.map((z) => (
                      <option key={z} value={z}>
                        {z.replace(/_/g, ' ')}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field
                id="clinic-country"
                label="Country"
                required
                hint="Two-letter code, e.g. GB. Phone numbers without a country code are read as this country."
                error={errorAt(errors, 'clinic.country')}
              >
                {(a) => (
                  <input
                    {...a}
                    {...register('clinic.country', {
                      setValueAs: (v: string) => v.trim().toUpperCase(),
                    })}
                    className="input--short"
                    maxLength={2}
                    autoComplete="country"
                  />
                )}
              </Field>
              <Field
                id="clinic-locale"
                label="Language and region"
                required
                hint="A locale such as en-GB: sets date and number formats."
                error={errorAt(errors, 'clinic.locale')}
              >
                {(a) => (
                  <input
                    {...a}
                    {...register('clinic.locale', { setValueAs: (v: string) => v.trim() })}
                    className="input--short"
                  />
                )}
              </Field>
              <Field
                id="clinic-age-of-consent"
                label="Age of consent"
                required
                hint="Younger patients act through a guardian."
                error={errorAt(errors, 'clinic.ageOfConsent')}
              >
                {(a) => (
                  <input
                    {...a}
                    {...register('clinic.ageOfConsent', { valueAsNumber: true })}
                    type="number"
                    min={12}
                    max={21}
                    className="input--short"
                  />
                )}
              </Field>
            </div>
          </fieldset>

          <fieldset className="fieldset">
            <legend>Administrator</legend>
            <div className="grid grid--2">
              <Field
                id="admin-name"
                label="Full name"
                required
                error={errorAt(errors, 'admin.displayName')}
              >
                {(a) => <input {...a} {...register('admin.displayName')} autoComplete="name" />}
              </Field>
              <Field
                id="admin-username"
                label="Username"
                required
                hint="Letters, digits, dots, dashes and underscores."
                error={errorAt(errors, 'admin.username')}
              >
                {(a) => (
                  <input
                    {...a}
                    {...register('admin.username')}
                    autoComplete="username"
                    autoCapitalize="none"
                    spellCheck={false}
                  />
                )}
              </Field>
              <NewPasswordFields
                form={form}
                name="admin.password"
                confirmName="admin.confirm"
                id="admin-password"
                confirmId="admin-confirm"
                label="Password"
                confirmLabel="Confirm password"
                required
                userInputs={userInputs}
              />
            </div>
          </fieldset>
          <FormActions
            variant="page"
            busy={isSubmitting}
            submitLabel="Create clinic"
            busyLabel="Creating the clinic…"
          />
        </form>
      </div>
    </main>
  );
}
