import { useMemo, useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { id } from '../../../shared/domain/common';
import { isIsoDate } from '../../../shared/dates';
import type { StaffMember } from '../../../shared/ipc/staff';
import { errorAt, Field } from '../../components/Field';
import { humanIssue } from '../../forms';
import { PatientSearch } from '../schedule/PatientSearch';
import { actionChoices, shortId } from './labels';
import { NO_FILTERS, type AuditFilters as Filters } from './store';

const optionalId = z
  .string()
  .trim()
  .refine((v) => v === '' || id.safeParse(v).success, 'Not a record id: paste the whole id');
const optionalDate = z.string().refine((v) => v === '' || isIsoDate(v), 'Enter a real date');

const filterForm = z
  .object({
    patientId: optionalId,
    actorId: optionalId,
    action: z.string(),
    from: optionalDate,
    to: optionalDate,
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, {
    message: 'The end is before the start',
    path: ['to'],
  });
type FilterInput = z.input<typeof filterForm>;
type FilterOutput = z.output<typeof filterForm>;

/**
 * Filters of the audit trail. Who may search patients picks one by name; others (the auditor)
 * paste a patient id. Likewise staff are chosen by name only where the staff list may be read.
 */
export function AuditFilters({
  current,
  staff,
  canSearchPatients,
  seenActions,
  onApply,
}: {
  current: Filters;
  /** Null when this role may not list staff: a user id is typed instead. */
  staff: StaffMember[] | null;
  canSearchPatients: boolean;
  seenActions: string[];
  onApply(filters: Filters): void;
}) {
  const [picked, setPicked] = useState<{ id: string; name: string } | null>(
    current.patientLabel ? { id: current.patientId, name: current.patientLabel } : null,
  );
  const {
    register,
    handleSubmit,
    setValue,
    reset,
    formState: { errors },
  } = useForm<FilterInput, unknown, FilterOutput>({
    resolver: zodResolver(filterForm, { error: humanIssue }),
    defaultValues: {
      patientId: current.patientId,
      actorId: current.actorId,
      action: current.action,
      from: current.from,
      to: current.to,
    },
  });
  const choices = useMemo(() => actionChoices(seenActions), [seenActions]);
  const submit = (values: FilterOutput) =>
    onApply({
      ...values,
      patientLabel: picked && picked.id === values.patientId ? picked.name : null,
    });

  return (
    <form
      className="card audit-filters"
      aria-label="Filter the audit trail"
      onSubmit={handleSubmit(submit)}
      noValidate
    >
      <div className="audit-filters__patient">
        {canSearchPatients && !picked ? (
          <PatientSearch
            id="audit-patient-search"
            label="Patient"
            onPick={(p) => {
              setPicked(p);
              setValue('patientId', p.id, { shouldValidate: true });
            }}
          />
        ) : null}
        {picked ? (
          <div className="field">
            <div className="field__label">
              <span id="audit-patient-label">Patient</span>
            </div>
            <div
              className="audit-filters__picked"
              aria-labelledby="audit-patient-label"
              role="group"
            >
              <strong>{picked.name}</strong>
              <span className="mono muted">{shortId(picked.id)}</span>
              <button
                type="button"
                className="button button--small"
                onClick={() => {
                  setPicked(null);
                  setValue('patientId', '');
                }}
              >
                Clear patient
              </button>
            </div>
            <input type="hidden" {...register('patientId')} />
          </div>
        ) : (
          <Field
            id="audit-patient-id"
            label={canSearchPatients ? 'or patient id' : 'Patient id'}
            hint={canSearchPatients ? undefined : 'Paste the id from a record or an export.'}
            error={errorAt(errors, 'patientId')}
          >
            {(a) => (
              <input
                {...a}
                {...register('patientId')}
                className="mono"
                autoComplete="off"
                spellCheck={false}
                placeholder="e.g. 0193c1e4-…"
              />
            )}
          </Field>
        )}
      </div>
      <div className="audit-filters__row">
        {staff ? (
          <Field id="audit-actor" label="User" error={errorAt(errors, 'actorId')}>
            {(a) => (
              <select {...a} {...register('actorId')}>
                <option value="">Everyone</option>
                {staff.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.displayName}
                    {m.status === 'active' ? '' : ` (${m.status})`}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : (
          <Field id="audit-actor" label="User id" error={errorAt(errors, 'actorId')}>
            {(a) => (
              <input
                {...a}
                {...register('actorId')}
                className="mono"
                autoComplete="off"
                spellCheck={false}
              />
            )}
          </Field>
        )}
        <Field id="audit-action" label="Action" error={errorAt(errors, 'action')}>
          {(a) => (
            <select {...a} {...register('action')}>
              <option value="">All actions</option>
              {choices.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          id="audit-from"
          label="From"
          hint="Days in the clinic's time zone"
          error={errorAt(errors, 'from')}
        >
          {(a) => <input {...a} {...register('from')} type="date" />}
        </Field>
        <Field id="audit-to" label="To" hint="Included" error={errorAt(errors, 'to')}>
          {(a) => <input {...a} {...register('to')} type="date" />}
        </Field>
        <div className="audit-filters__buttons">
          <button type="submit" className="button button--primary">
            Apply filters
          </button>
          <button
            type="button"
            className="button"
            onClick={() => {
              setPicked(null);
              reset({ patientId: '', actorId: '', action: '', from: '', to: '' });
              onApply(NO_FILTERS);
            }}
          >
            Clear
          </button>
        </div>
      </div>
    </form>
  );
}
