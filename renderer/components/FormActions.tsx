interface FormActionsProps {
  /** In a dialog the way back is a plain Cancel; on a page it is a link-styled switch. */
  variant: 'dialog' | 'page';
  busy: boolean;
  submitLabel: string;
  /** Said on the submit button while the command runs. */
  busyLabel?: string;
  back?: { label: string; onClick(): void };
}

/** A form's buttons: the way back (if any) first, then the submit, disabled while it runs. */
export function FormActions({ variant, busy, submitLabel, busyLabel, back }: FormActionsProps) {
  const row =
    variant === 'dialog'
      ? 'dialog__actions'
      : back
        ? 'form-actions form-actions--spread'
        : 'form-actions';
  return (
    <div className={row}>
      {back ? (
        <button
          type="button"
          className={variant === 'dialog' ? 'button' : 'button button--link'}
          onClick={back.onClick}
        >
          {back.label}
        </button>
      ) : null}
      <button type="submit" className="button button--primary" disabled={busy}>
        {busy ? (busyLabel ?? submitLabel) : submitLabel}
      </button>
    </div>
  );
}
