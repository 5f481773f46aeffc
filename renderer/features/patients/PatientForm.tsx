import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  FormProvider,
  useFieldArray,
  useForm,
  useFormContext,
  useWatch,
  type Path,
} from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { ageOn, isIsoDate, parseTypedDate, todayIn } from '../../../shared/dates';
import {
  ALERT_KINDS,
  ALERT_SEVERITIES,
  CONTACT_CHANNELS,
  DOCUMENT_TYPES,
  PATIENT_STATUSES,
  PHONE_TYPES,
  SEXES,
  patientInput,
  type DuplicateCandidate,
  type Patient,
  type PatientData,
  type PatientInput,
} from '../../../shared/domain/patient';
import { AppError } from '../../../shared/errors';
import { seesClinicalDetails } from '../../../shared/permissions';
import { api, messageOf } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { datePattern, formatDate } from '../../format';
import { applyServerErrors, humanIssue } from '../../forms';
import { useSession } from '../../stores/session';
import { DuplicatesDialog } from './DuplicatesDialog';
import { GuardianPicker } from './GuardianPicker';
import {
  ALERT_KIND_LABELS,
  CHANNEL_LABELS,
  DOCUMENT_TYPE_LABELS,
  PHONE_TYPE_LABELS,
  SEVERITY_LABELS,
  SEX_LABELS,
  STATUS_LABELS,
} from './labels';
import {
  baselineOf,
  changedFields,
  emptyPatient,
  patientToForm,
  withoutClinical,
  withoutLoneCountry,
} from './patient-form-values';
import { usePatients } from './store';

type FormPath = Path<PatientInput>;
type Options = ReadonlyArray<readonly [string, string]>;

const options = <K extends string>(keys: readonly K[], labels: Record<K, string>): Options =>
  keys.map((k) => [k, labels[k]] as const);

const fieldId = (name: string) => `pf-${name.replace(/\./g, '-')}`;
const blankToNull = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? null : v);
const countryCase = (v: unknown) =>
  typeof v === 'string' ? v.trim().toUpperCase() || null : (v ?? null);
const requiredCountryCase = (v: unknown) => (typeof v === 'string' ? v.trim().toUpperCase() : v);

export function PatientForm(props: { mode: 'create' } | { mode: 'edit'; id: string }) {
  const clinic = useSession((s) => s.clinic);
  const patient = usePatients((s) =>
    props.mode === 'edit' && s.patient?.id === props.id ? s.patient : null,
  );
  const error = usePatients((s) => s.patientError);
  const country = clinic?.country || 'GB';
  if (props.mode === 'edit' && !patient) {
    return (
      <section className="record">
        {error ? (
          <div className="notice notice--error" role="alert">
            {error}
          </div>
        ) : (
          <p className="muted" role="status">
            Opening the record…
          </p>
        )}
      </section>
    );
  }
  return <PatientFormBody patient={patient} country={country} />;
}

function PatientFormBody({ patient, country }: { patient: Patient | null; country: string }) {
  const clinic = useSession((s) => s.clinic);
  const role = useSession((s) => s.session?.role);
  // Fixed at mount with the values. Other roles never send clinical details (the core refuses
  // them), so those fields are left out of the form, and of the patch, altogether.
  const [clinical] = useState(() => !!role && seesClinicalDetails(role));
  const saved = usePatients((s) => s.saved);
  const open = usePatients((s) => s.open);
  const showList = usePatients((s) => s.showList);
  const locale = clinic?.locale || 'en-GB';
  const ageOfConsent = clinic?.ageOfConsent ?? 16;
  const timeZone = clinic?.timeZone || 'UTC';

  // Fixed at mount: the form edits the record as it was opened.
  const [initial] = useState(() => {
    const values = patient ? patientToForm(patient, country) : emptyPatient(country);
    return clinical ? values : withoutClinical(values);
  });
  const [baseline] = useState(() => (patient ? baselineOf(initial) : null));
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [duplicates, setDuplicates] = useState<DuplicateCandidate[] | null>(null);
  const [pending, setPending] = useState<PatientData | null>(null);
  const [saving, setSaving] = useState(false);
  const topRef = useRef<HTMLHeadingElement>(null);
  // The store's copy follows changes made elsewhere; the form keeps what was opened.
  const [openedVersion] = useState(() => patient?.version ?? null);
  const changedElsewhere = usePatients(
    (s) =>
      openedVersion !== null &&
      s.patient?.id === patient?.id &&
      s.patient?.version !== openedVersion,
  );

  const form = useForm<PatientInput, unknown, PatientData>({
    resolver: zodResolver(patientInput, { error: humanIssue }),
    defaultValues: initial,
    mode: 'onSubmit',
    reValidateMode: 'onChange',
  });
  const {
    handleSubmit,
    setError,
    formState: { errors, isSubmitting, submitCount },
  } = form;

  useEffect(() => {
    topRef.current?.focus();
  }, []);

  const showServerError = (e: unknown) => {
    const message = applyServerErrors(e, setError, { stripPrefixes: ['patient', 'patch'] });
    setProblem(
      e instanceof AppError && e.code === 'VALIDATION'
        ? 'Some details need attention: see the highlighted fields.'
        : message,
    );
  };

  const create = async (data: PatientData, duplicatesReviewed: boolean) => {
    setSaving(true);
    try {
      const created = await api.call('patients.create', { patient: data, duplicatesReviewed });
      saved(created);
    } catch (e) {
      setDuplicates(null);
      showServerError(e);
    } finally {
      setSaving(false);
    }
  };

  const onValid = async (values: PatientData) => {
    const data = withoutLoneCountry(values);
    setProblem(null);
    setNotice(null);
    if (!patient) {
      try {
        const found = await api.call('patients.findDuplicates', {
          givenNames: data.givenNames,
          familyName: data.familyName,
          dateOfBirth: data.dateOfBirth,
          phones: data.phones.map((p) => p.number),
          email: data.email ?? null,
        });
        if (found.length > 0) {
          setPending(data);
          setDuplicates(found);
          return;
        }
      } catch (e) {
        setProblem(messageOf(e));
        return;
      }
      await create(data, false);
      return;
    }
    const patch = changedFields(baseline, data);
    if (Object.keys(patch).length === 0) {
      setNotice('Nothing was changed.');
      return;
    }
    try {
      const updated = await api.call('patients.update', { id: patient.id, patch });
      saved(updated);
    } catch (e) {
      showServerError(e);
    }
  };

  const hasErrors = Object.keys(errors).length > 0;
  const title = patient ? `Edit ${patient.familyName}, ${patient.givenNames}` : 'New patient';

  return (
    <FormProvider {...form}>
      <form
        className="patient-form"
        onSubmit={handleSubmit(onValid)}
        noValidate
        aria-labelledby="patient-form-title"
      >
        <div className="patient-form__head">
          <h1 id="patient-form-title" ref={topRef} tabIndex={-1}>
            {title}
          </h1>
          <p className="muted">
            Fields marked <span aria-hidden="true">*</span>
            <span className="visually-hidden">as required</span> are required.
          </p>
        </div>
        {problem ? (
          <div className="notice notice--error" role="alert">
            {problem}
          </div>
        ) : hasErrors && submitCount > 0 ? (
          <div className="notice notice--error" role="alert">
            Some details need attention: see the highlighted fields.
          </div>
        ) : null}
        {notice ? (
          <div className="notice" role="status">
            {notice}
          </div>
        ) : null}
        {changedElsewhere && !saving && !isSubmitting ? (
          <div className="notice notice--warning" role="status">
            Someone else changed this record while you were editing. Fields you change here will
            replace theirs; the others keep their new values.
          </div>
        ) : null}

        <div className="patient-form__body">
          <Section title="Personal details">
            <div className="grid grid--4">
              <TextField name="givenNames" label="Given names" required className="span-2" />
              <TextField name="familyName" label="Family name" required className="span-2" />
              <TextField name="title" label="Title" />
              <TextField name="preferredName" label="Preferred name" />
              <TextField name="patronymic" label="Patronymic" className="span-2" />
              <DateOfBirthField locale={locale} timeZone={timeZone} />
              <SelectField name="sex" label="Sex" required options={options(SEXES, SEX_LABELS)} />
              <TextField
                name="gender"
                label="Gender (as the patient describes it)"
                className="span-2"
              />
            </div>
          </Section>

          <Section title="Contact">
            <PhonesEditor country={country} />
            <div className="grid grid--4">
              <TextField
                name="email"
                label="Email"
                type="email"
                className="span-2"
                setValueAs={blankToNull}
              />
              <SelectField
                name="preferredChannel"
                label="Preferred contact"
                emptyLabel="No preference"
                options={options(CONTACT_CHANNELS, CHANNEL_LABELS)}
              />
              <TextField name="preferredLanguage" label="Preferred language" />
            </div>
          </Section>

          <Section title="Address">
            <div className="grid grid--4">
              <TextField name="address.line1" label="Address line 1" className="span-2" />
              <TextField name="address.line2" label="Address line 2" className="span-2" />
              <TextField name="address.city" label="Town or city" />
              <TextField name="address.region" label="County or region" />
              <TextField name="address.postalCode" label="Postcode" />
              <TextField
                name="address.country"
                label="Country code"
                hint="Two letters, e.g. GB"
                maxLength={2}
                setValueAs={countryCase}
              />
            </div>
          </Section>

          {clinical ? (
            <AlertsEditor />
          ) : (
            <Section title="Medical alerts">
              <p className="muted clinical-withheld">
                Medical alerts are recorded by clinical staff.
              </p>
            </Section>
          )}
          <DocumentsEditor />
          <InsuranceEditor />
          <EmergencyContactEditor country={country} />
          <GuardianEditor
            selfId={patient?.id ?? null}
            initialName={
              patient?.guardian?.kind === 'patient' ? patient.guardian.displayName : null
            }
            ageOfConsent={ageOfConsent}
            timeZone={timeZone}
            country={country}
          />

          <Section title={clinical ? 'Notes and status' : 'Status'}>
            <div className="grid grid--4">
              <SelectField
                name="status"
                label="Status"
                required
                options={options(PATIENT_STATUSES, STATUS_LABELS)}
              />
              <TextField
                name="chartNumber"
                label="Chart number"
                hint={patient ? undefined : 'Leave empty to number automatically'}
              />
              {clinical ? <TextAreaField name="notes" label="Notes" className="span-4" /> : null}
            </div>
          </Section>
        </div>

        <div className="patient-form__actions">
          <button
            type="button"
            className="button"
            onClick={() => (patient ? open(patient.id) : showList())}
          >
            Cancel
          </button>
          <button
            type="submit"
            className="button button--primary"
            disabled={isSubmitting || saving}
          >
            {isSubmitting || saving ? 'Saving…' : patient ? 'Save changes' : 'Register patient'}
          </button>
        </div>
      </form>
      <DuplicatesDialog
        candidates={duplicates}
        saving={saving}
        onOpen={(id) => {
          setDuplicates(null);
          open(id);
        }}
        onConfirmNew={() => {
          if (pending) void create(pending, true);
        }}
        onBack={() => setDuplicates(null)}
      />
    </FormProvider>
  );
}

function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  const id = `pf-section-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section className="form-section" role="group" aria-labelledby={id}>
      <div className="form-section__head">
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

interface TextFieldProps {
  name: FormPath;
  label: string;
  required?: boolean;
  hint?: ReactNode;
  type?: 'text' | 'email' | 'tel' | 'date';
  className?: string;
  maxLength?: number;
  setValueAs?: (v: unknown) => unknown;
  autoComplete?: string;
}

function TextField({
  name,
  label,
  required,
  hint,
  type = 'text',
  className,
  maxLength,
  setValueAs,
  autoComplete = 'off',
}: TextFieldProps) {
  const {
    register,
    formState: { errors },
  } = useFormContext<PatientInput>();
  return (
    <Field
      id={fieldId(name)}
      label={label}
      required={required}
      hint={hint}
      error={errorAt(errors, name)}
      className={className}
    >
      {(a) => (
        <input
          {...a}
          type={type}
          maxLength={maxLength}
          autoComplete={autoComplete}
          {...register(name, setValueAs ? { setValueAs } : {})}
        />
      )}
    </Field>
  );
}

function TextAreaField({
  name,
  label,
  className,
}: {
  name: FormPath;
  label: string;
  className?: string;
}) {
  const {
    register,
    formState: { errors },
  } = useFormContext<PatientInput>();
  return (
    <Field id={fieldId(name)} label={label} error={errorAt(errors, name)} className={className}>
      {(a) => <textarea {...a} rows={3} {...register(name)} />}
    </Field>
  );
}

function SelectField({
  name,
  label,
  options: choices,
  required,
  emptyLabel,
  className,
}: {
  name: FormPath;
  label: string;
  options: Options;
  required?: boolean;
  emptyLabel?: string;
  className?: string;
}) {
  const {
    register,
    formState: { errors },
  } = useFormContext<PatientInput>();
  return (
    <Field
      id={fieldId(name)}
      label={label}
      required={required}
      error={errorAt(errors, name)}
      className={className}
    >
      {(a) => (
        <select {...a} {...register(name, emptyLabel ? { setValueAs: blankToNull } : {})}>
          {emptyLabel ? <option value="">{emptyLabel}</option> : null}
          {choices.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function DateOfBirthField({ locale, timeZone }: { locale: string; timeZone: string }) {
  const { control } = useFormContext<PatientInput>();
  const value = useWatch({ control, name: 'dateOfBirth' });
  let hint = `Type it as ${datePattern(locale)} or YYYY-MM-DD`;
  if (value && isIsoDate(value)) {
    const today = todayIn(timeZone);
    hint =
      value > today
        ? `${formatDate(value, locale)} is in the future`
        : `${formatDate(value, locale)} · age ${ageOn(value, today)}`;
  }
  return (
    <TextField
      name="dateOfBirth"
      label="Date of birth"
      required
      hint={hint}
      setValueAs={(v) => (typeof v === 'string' ? (parseTypedDate(v, locale) ?? v.trim()) : v)}
    />
  );
}

function RemoveButton({ label, onClick }: { label: string; onClick(): void }) {
  return (
    <button type="button" className="button button--quiet button--small" onClick={onClick}>
      Remove <span className="visually-hidden">{label}</span>
    </button>
  );
}

function ListError({ name }: { name: FormPath }) {
  const {
    formState: { errors },
  } = useFormContext<PatientInput>();
  const message = errorAt(errors, name);
  return message ? (
    <div className="field__error" role="alert">
      {message}
    </div>
  ) : null;
}

function PhonesEditor({ country }: { country: string }) {
  const { control, register, setValue, getValues } = useFormContext<PatientInput>();
  const { fields, append, remove } = useFieldArray({ control, name: 'phones', keyName: 'key' });
  return (
    <div className="list-editor">
      <div className="list-editor__head">
        <h3>Phone numbers</h3>
        <button
          type="button"
          className="button button--small"
          onClick={() =>
            append(
              { number: '', type: 'mobile', preferred: fields.length === 0 },
              { shouldFocus: true },
            )
          }
        >
          Add phone
        </button>
      </div>
      <ListError name="phones" />
      {fields.length === 0 ? <p className="muted">No phone number yet.</p> : null}
      {fields.map((f, i) => (
        <div key={f.key} className="list-editor__row grid grid--phone">
          <TextField
            name={`phones.${i}.number`}
            label={`Phone ${i + 1}`}
            type="tel"
            required
            hint={`Without a country code it is read as ${country}`}
          />
          <SelectField
            name={`phones.${i}.type`}
            label="Type"
            options={options(PHONE_TYPES, PHONE_TYPE_LABELS)}
          />
          <div className="checkbox checkbox--inline">
            <input
              id={fieldId(`phones.${i}.preferred`)}
              type="checkbox"
              {...register(`phones.${i}.preferred`, {
                onChange: (e: { target: { checked: boolean } }) => {
                  if (!e.target.checked) return;
                  // One preferred number: choosing one clears the others.
                  getValues('phones').forEach((_, j) => {
                    if (j !== i) setValue(`phones.${j}.preferred`, false, { shouldDirty: true });
                  });
                },
              })}
            />
            <label htmlFor={fieldId(`phones.${i}.preferred`)}>Preferred</label>
          </div>
          <RemoveButton label={`phone ${i + 1}`} onClick={() => remove(i)} />
        </div>
      ))}
    </div>
  );
}

function AlertsEditor() {
  const { control } = useFormContext<PatientInput>();
  const { fields, append, remove } = useFieldArray({ control, name: 'alerts', keyName: 'key' });
  return (
    <Section
      title="Medical alerts"
      actions={
        <button
          type="button"
          className="button button--small"
          onClick={() =>
            append({ kind: 'allergy', description: '', severity: 'high' }, { shouldFocus: false })
          }
        >
          Add alert
        </button>
      }
    >
      <ListError name="alerts" />
      {fields.length === 0 ? (
        <p className="muted">No allergies, conditions or medications recorded.</p>
      ) : null}
      {fields.map((f, i) => (
        <div key={f.key} className="list-editor__row grid grid--alert">
          <SelectField
            name={`alerts.${i}.kind`}
            label={`Alert ${i + 1} type`}
            options={options(ALERT_KINDS, ALERT_KIND_LABELS)}
          />
          <TextField name={`alerts.${i}.description`} label="Description" required />
          <SelectField
            name={`alerts.${i}.severity`}
            label="Severity"
            options={options(ALERT_SEVERITIES, SEVERITY_LABELS)}
          />
          <RemoveButton label={`alert ${i + 1}`} onClick={() => remove(i)} />
        </div>
      ))}
    </Section>
  );
}

function DocumentsEditor() {
  const { control } = useFormContext<PatientInput>();
  const clinic = useSession((s) => s.clinic);
  const { fields, append, remove } = useFieldArray({
    control,
    name: 'documents',
    keyName: 'key',
  });
  return (
    <Section
      title="Identity documents"
      actions={
        <button
          type="button"
          className="button button--small"
          onClick={() =>
            append({ type: 'passport', number: '', issuingCountry: clinic?.country ?? '' })
          }
        >
          Add document
        </button>
      }
    >
      <ListError name="documents" />
      {fields.length === 0 ? <p className="muted">None recorded.</p> : null}
      {fields.map((f, i) => (
        <div key={f.key} className="list-editor__row grid grid--document">
          <SelectField
            name={`documents.${i}.type`}
            label={`Document ${i + 1} type`}
            options={options(DOCUMENT_TYPES, DOCUMENT_TYPE_LABELS)}
          />
          <TextField name={`documents.${i}.number`} label="Number" required />
          <TextField
            name={`documents.${i}.issuingCountry`}
            label="Issuing country"
            required
            maxLength={2}
            setValueAs={requiredCountryCase}
          />
          <RemoveButton label={`document ${i + 1}`} onClick={() => remove(i)} />
        </div>
      ))}
    </Section>
  );
}

function InsuranceEditor() {
  const { control } = useFormContext<PatientInput>();
  const { fields, append, remove } = useFieldArray({
    control,
    name: 'insurance',
    keyName: 'key',
  });
  return (
    <Section
      title="Insurance"
      actions={
        <button
          type="button"
          className="button button--small"
          onClick={() => append({ payer: '', memberNumber: '', validFrom: null, validTo: null })}
        >
          Add policy
        </button>
      }
    >
      <ListError name="insurance" />
      {fields.length === 0 ? <p className="muted">None recorded.</p> : null}
      {fields.map((f, i) => (
        <div key={f.key} className="list-editor__row grid grid--insurance">
          <TextField name={`insurance.${i}.payer`} label={`Policy ${i + 1} payer`} required />
          <TextField name={`insurance.${i}.memberNumber`} label="Member number" required />
          <TextField
            name={`insurance.${i}.validFrom`}
            label="Valid from"
            type="date"
            setValueAs={blankToNull}
          />
          <TextField
            name={`insurance.${i}.validTo`}
            label="Valid to"
            type="date"
            setValueAs={blankToNull}
          />
          <RemoveButton label={`policy ${i + 1}`} onClick={() => remove(i)} />
        </div>
      ))}
    </Section>
  );
}

function EmergencyContactEditor({ country }: { country: string }) {
  const { control, setValue } = useFormContext<PatientInput>();
  const contact = useWatch({ control, name: 'emergencyContact' });
  return (
    <Section
      title="Emergency contact"
      actions={
        contact ? (
          <button
            type="button"
            className="button button--quiet button--small"
            onClick={() => setValue('emergencyContact', null, { shouldDirty: true })}
          >
            Remove emergency contact
          </button>
        ) : (
          <button
            type="button"
            className="button button--small"
            onClick={() =>
              setValue(
                'emergencyContact',
                { name: '', relationship: null, phone: '' },
                { shouldDirty: true },
              )
            }
          >
            Add emergency contact
          </button>
        )
      }
    >
      {contact ? (
        <div className="grid grid--4">
          <TextField
            name="emergencyContact.name"
            label="Contact name"
            required
            className="span-2"
          />
          <TextField name="emergencyContact.relationship" label="Relationship" />
          <TextField
            name="emergencyContact.phone"
            label="Contact phone"
            type="tel"
            required
            hint={`Without a country code it is read as ${country}`}
          />
        </div>
      ) : (
        <p className="muted">None recorded.</p>
      )}
    </Section>
  );
}

function GuardianEditor({
  selfId,
  initialName,
  ageOfConsent,
  timeZone,
  country,
}: {
  selfId: string | null;
  initialName: string | null;
  ageOfConsent: number;
  timeZone: string;
  country: string;
}) {
  const {
    control,
    setValue,
    formState: { errors },
  } = useFormContext<PatientInput>();
  const guardian = useWatch({ control, name: 'guardian' });
  const dateOfBirth = useWatch({ control, name: 'dateOfBirth' });
  const [pickedName, setPickedName] = useState<string | null>(initialName);
  const minor = useMemo(() => {
    if (!dateOfBirth || !isIsoDate(dateOfBirth)) return false;
    const today = todayIn(timeZone);
    return dateOfBirth <= today && ageOn(dateOfBirth, today) < ageOfConsent;
  }, [dateOfBirth, ageOfConsent, timeZone]);
  const kind = guardian?.kind ?? 'none';
  const patientIdError = errorAt(errors, 'guardian.patientId');

  return (
    <Section title="Guardian">
      {minor ? (
        <div className="notice notice--warning" role="note">
          This patient is under {ageOfConsent}, so a guardian must be recorded.
        </div>
      ) : null}
      <ListError name="guardian" />
      <div className="grid grid--4">
        <Field id="pf-guardian-kind" label="Who is the guardian">
          {(a) => (
            <select
              {...a}
              value={kind}
              onChange={(e) => {
                const next = e.target.value;
                setPickedName(null);
                setValue(
                  'guardian',
                  next === 'patient'
                    ? { kind: 'patient', patientId: '', relationship: '' }
                    : next === 'contact'
                      ? { kind: 'contact', name: '', relationship: '', phone: '' }
                      : null,
                  { shouldDirty: true },
                );
              }}
            >
              <option value="none">No guardian</option>
              <option value="patient">A registered patient</option>
              <option value="contact">Another person</option>
            </select>
          )}
        </Field>
        {guardian?.kind === 'patient' ? (
          <>
            <div className="span-2">
              <GuardianPicker
                selfId={selfId}
                pickedName={guardian.patientId ? pickedName : null}
                error={
                  patientIdError
                    ? guardian.patientId
                      ? patientIdError
                      : 'Find and choose the guardian'
                    : undefined
                }
                onPick={(id, name) => {
                  setPickedName(name);
                  setValue('guardian.patientId', id, { shouldDirty: true, shouldValidate: true });
                }}
                onClear={() => {
                  setPickedName(null);
                  setValue('guardian.patientId', '', { shouldDirty: true });
                }}
              />
            </div>
            <TextField name="guardian.relationship" label="Relationship" required />
          </>
        ) : null}
        {guardian?.kind === 'contact' ? (
          <>
            <TextField name="guardian.name" label="Guardian name" required />
            <TextField name="guardian.relationship" label="Relationship" required />
            <TextField
              name="guardian.phone"
              label="Guardian phone"
              type="tel"
              required
              hint={`Without a country code it is read as ${country}`}
            />
          </>
        ) : null}
      </div>
    </Section>
  );
}
