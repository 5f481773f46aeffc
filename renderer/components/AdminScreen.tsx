import { useEffect, useRef, type ReactNode } from 'react';

interface AdminScreenProps {
  /** The heading's id, which names the screen. */
  titleId: string;
  title: string;
  lead: ReactNode;
  className?: string;
  /** The screen's main button, beside the heading. */
  action?: ReactNode;
  children: ReactNode;
}

/**
 * A management screen (staff, settings, sync). Its heading takes focus on arrival, so a screen
 * reader says where the person now is and Tab starts from the top of the screen.
 */
export function AdminScreen({
  titleId,
  title,
  lead,
  className,
  action,
  children,
}: AdminScreenProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  return (
    <section className={className ? `admin ${className}` : 'admin'} aria-labelledby={titleId}>
      <header className="admin__head">
        <div>
          <h1 id={titleId} ref={heading} tabIndex={-1}>
            {title}
          </h1>
          <p className="muted">{lead}</p>
        </div>
        {action}
      </header>
      {children}
    </section>
  );
}

interface CardProps {
  /** The title's id; a card with one is a named region of the page. */
  titleId?: string;
  title: string;
  className?: string;
  children: ReactNode;
}

/** One titled part of a screen. */
export function Card({ titleId, title, className, children }: CardProps) {
  return (
    <section className={className ? `card ${className}` : 'card'} aria-labelledby={titleId}>
      <h2 id={titleId} className="card__title">
        {title}
      </h2>
      {children}
    </section>
  );
}
