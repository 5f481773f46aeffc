import { useEffect, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { displayName, type PatientSummary } from '../../../shared/domain/patient';
import { formatPhone } from '../../../shared/phone';
import { formatDate } from '../../format';
import { AlertBadges } from './AlertBadges';
import { STATUS_LABELS } from './labels';

export const ROW_HEIGHT = 52;
export const LISTBOX_ID = 'patient-listbox';
export const optionId = (index: number) => `patient-option-${index}`;

interface PatientListboxProps {
  label: string;
  count: number;
  rowAt(index: number): PatientSummary | undefined;
  activeIndex: number;
  country: string;
  locale: string;
  onOpen(id: string): void;
  /** Told which rows are on screen, so their pages can be fetched. */
  onRange?(first: number, last: number): void;
  /** Changes when the data behind the rows may have changed. */
  generation?: number;
}

/**
 * The patient list, search results included: only the rows on screen exist in the DOM, so a
 * clinic of 100,000 patients scrolls like one of ten. Focus stays in the search box, which points
 * at the active row with aria-activedescendant.
 */
export function PatientListbox({
  label,
  count,
  rowAt,
  activeIndex,
  country,
  locale,
  onOpen,
  onRange,
  generation = 0,
}: PatientListboxProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- this build has no React Compiler, so the virtualizer's unmemoizable functions are fine.
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    onRange?.(first, last);
  }, [onRange, first, last, generation, count]);

  useEffect(() => {
    if (activeIndex >= 0 && activeIndex < count) virtualizer.scrollToIndex(activeIndex);
  }, [activeIndex, count, virtualizer]);

  return (
    <div className="patient-list">
      <div className="patient-row patient-row--head" aria-hidden="true">
        <span>Name</span>
        <span>Date of birth</span>
        <span>Chart no.</span>
        <span>Phone</span>
        <span>Alerts</span>
      </div>
      <div className="patient-list__scroll" ref={scrollRef}>
        <div
          id={LISTBOX_ID}
          role="listbox"
          aria-label={label}
          className="patient-list__inner"
          style={{ height: virtualizer.getTotalSize() }}
        >
          {items.map((item) => {
            const row = rowAt(item.index);
            const active = item.index === activeIndex;
            return (
              <div
                key={item.key}
                id={optionId(item.index)}
                role="option"
                aria-selected={active}
                aria-setsize={count}
                aria-posinset={item.index + 1}
                aria-busy={row ? undefined : true}
                className={`patient-row${active ? ' patient-row--active' : ''}${row ? '' : ' patient-row--loading'}`}
                style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                onClick={row ? () => onOpen(row.id) : undefined}
              >
                {row ? (
                  <PatientRowCells row={row} country={country} locale={locale} />
                ) : (
                  <span className="muted">Loading…</span>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function PatientRowCells({
  row,
  country,
  locale,
}: {
  row: PatientSummary;
  country: string;
  locale: string;
}) {
  return (
    <>
      <span className="patient-row__name">
        {displayName(row)}
        {row.status !== 'active' ? (
          <span className={`status status--${row.status}`}>{STATUS_LABELS[row.status]}</span>
        ) : null}
      </span>
      <span>{formatDate(row.dateOfBirth, locale)}</span>
      <span className="mono">{row.chartNumber}</span>
      <span>{row.preferredPhone ? formatPhone(row.preferredPhone, country) : '—'}</span>
      <span>
        <AlertBadges kinds={row.alertKinds} />
      </span>
    </>
  );
}
