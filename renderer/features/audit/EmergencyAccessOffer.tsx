import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { requiredText } from '../../../shared/domain/common';
import { api } from '../../api/client';
import { errorAt, Field } from '../../components/Field';
import { applyServerErrors, humanIssue } from '../../forms';
import './audit.css';

// The same rule as 'access.breakGlass': a reason in a few words.
const reasonForm = z.object({
  reason: requiredText(500, 'A reason').pipe(
    z.string().min(10, 'Explain the emergency in a few words'),
  ),
});
type ReasonInput = z.input<typeof reasonForm>;
type ReasonOutput = z.output<typeof reasonForm>;

/**
 * Offered when the core withholds a patient record from this role (`refused`: the whole record;
 * `restricted`: its clinical details, the badges showing): opening it anyway ("break glass") needs
 * a reason, is recorded in the audit trail, expires, and is reviewed by the practice manager.
 */
export function EmergencyAccessOffer({
  patientId,
  onGranted,
  withheld = 'refused',
}: {
  patientId: string;
  onGranted(): void;
  withheld?: 'refused' | 'restricted';
}) {
  const [asking, setAsking] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors, isSubmitting },
  } = useForm<ReasonInput, unknown, ReasonOutput>({
    resolver: zodResolver(reasonForm, { error: humanIssue }),
    defaultValues: { reason: '' },
  });

  const onSubmit = async (values: ReasonOutput) => {
    setProblem(null);
    try {
      await api.call('access.breakGlass', { patientId, reason: values.reason });
      onGranted();
    } catch (e) {
      setProblem(applyServerErrors(e, setError, { isField: (p) => p === 'reason' }));
    }
  };

  if (!asking && withheld === 'restricted')
    return (
      <section
        className="notice notice--warning emergency-offer emergency-offer--restricted"
        aria-labelledby="emergency-offer-title"
      >
        <h2 id="emergency-offer-title" className="emergency-offer__title">
          Restricted — emergency access
        </h2>
        <p>
          Alert details and clinical notes are shown to clinical staff. In an emergency you can open
          them for a limited time: you will be asked why, and the practice manager reviews every
          emergency access.
        </p>
        <button
          type="button"
          className="button button--danger-quiet"
          onClick={() => setAsking(true)}
        >
          Emergency access…
        </button>
      </section>
    );

  if (!asking)
    return (
      <div className="notice notice--warning emergency-offer">
        <p>
          Your role does not open this record. In an emergency you can open it anyway: you will be
          asked why, and the practice manager reviews every emergency access.
        </p>
        <button
          type="button"
          className="button button--danger-quiet"
          onClick={() => setAsking(true)}
        >
          Emergency access…
        </button>
      </div>
    );

  return (
    <form
      className="card emergency-offer"
      onSubmit={handleSubmit(onSubmit)}
      noValidate
      aria-labelledby="emergency-offer-title"
    >
      <h2 id="emergency-offer-title" className="card__title">
        {withheld === 'restricted' ? 'Restricted — emergency access' : 'Emergency access'}
      </h2>
      <p>
        {withheld === 'restricted'
          ? 'Alert details and clinical notes open for a limited time, for reading.'
          : 'The record opens for a limited time.'}{' '}
        Your name, the time and your reason go into the audit trail, and the practice manager
        reviews it.
      </p>
      {problem ? (
        <div className="notice notice--error" role="alert">
          {problem}
        </div>
      ) : null}
      <Field
        id="emergency-reason"
        label="Reason for emergency access"
        required
        hint="For example: patient collapsed in the chair, need their medication list."
        error={errorAt(errors, 'reason')}
      >
        {(a) => <textarea {...a} {...register('reason')} rows={3} autoFocus />}
      </Field>
      <div className="form-actions">
        <button type="button" className="button" onClick={() => setAsking(false)}>
          Cancel
        </button>
        <button type="submit" className="button button--danger" disabled={isSubmitting}>
          {isSubmitting ? 'Opening…' : 'Open with emergency access'}
        </button>
      </div>
    </form>
  );
}
