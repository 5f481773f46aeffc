import { useEffect, useId, useRef, type ReactNode } from 'react';

interface FormDialogProps {
  title: string;
  children: ReactNode;
  /** Escape and the close button; left out while the dialog must not be dismissed. */
  onClose?: () => void;
  wide?: boolean;
}

/**
 * A modal on the native <dialog>, open while mounted: focus moves in and stays there, Escape
 * closes (unless `onClose` is left out), and focus goes back to where it was when it closes.
 */
export function FormDialog({ title, children, onClose, wide }: FormDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? 'dialog dialog--wide' : 'dialog'}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose?.();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}
