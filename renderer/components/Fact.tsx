import type { ReactNode } from 'react';

/** One term and its value in a `<dl className="facts">`. */
export function Fact({
  term,
  className,
  testId,
  children,
}: {
  term: string;
  /** On the value, e.g. `mono` for codes that are read character by character. */
  className?: string;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <div className="facts__row">
      <dt>{term}</dt>
      <dd className={className} data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}
