import { useEffect, useState } from 'react';
import type { PatientSummary } from '../../../shared/domain/patient';
import { api, messageOf } from '../../api/client';
import { useDebounced } from '../../components/useDebounced';
import { formatDate } from '../../format';
import { useSession } from '../../stores/session';
import { AlertBadges } from '../patients/AlertBadges';
import { SEARCH_DELAY_MS } from '../patients/store';
import { callName, fullName } from './labels';

interface Found {
  query: string;
  items: PatientSummary[];
  more: boolean;
  error: string | null;
}

/**
 * The book's patient type-ahead: the same `patients.search` as the patient list (name in any
 * order, phone, date of birth, chart number); arrows move, Enter picks.
 */
export function PatientSearch({
  id,
  label,
  error,
  autoFocus,
  onPick,
}: {
  id: string;
  label: string;
  error?: string | undefined;
  autoFocus?: boolean;
  onPick(patient: { id: string; name: string }): void;
}) {
  const locale = useSession((s) => s.clinic?.locale) || 'en-GB';
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const settled = useDebounced(query.trim(), SEARCH_DELAY_MS);
  const [found, setFound] = useState<Found | null>(null);

  useEffect(() => {
    if (!settled) return;
    let live = true;
    api
      .call('patients.search', { query: settled, limit: 8 })
      .then((r) => {
        if (live) setFound({ query: settled, items: r.items, more: r.more, error: null });
      })
      .catch((e: unknown) => {
        if (live) setFound({ query: settled, items: [], more: false, error: messageOf(e) });
      });
    return () => {
      live = false;
    };
  }, [settled]);

  const current = found && found.query === query.trim() ? found : null;
  const items = current?.items ?? [];
  const listId = `${id}-results`;
  const pick = (p: PatientSummary) => {
    setQuery('');
    setFound(null);
    onPick({ id: p.id, name: callName(p) });
  };

  return (
    <div className="patient-search">
      <div className={`field${error ? ' field--invalid' : ''}`}>
        <div className="field__label">
          <label htmlFor={id}>{label}</label>
        </div>
        <input
          id={id}
          type="search"
          role="combobox"
          aria-expanded={items.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={items.length > 0 ? `${listId}-${active}` : undefined}
          aria-invalid={!!error}
          aria-describedby={error ? `${id}-error` : undefined}
          autoComplete="off"
          spellCheck={false}
          // Focus moves here when the booking form opens: the patient is the first question.
          autoFocus={autoFocus}
          placeholder="Name, phone, date of birth or chart number"
          value={query}
          onChange={(e) => {
            setActive(0);
            setQuery(e.target.value);
          }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              setActive((a) => Math.min(a + 1, Math.max(0, items.length - 1)));
            } else if (e.key === 'ArrowUp') {
              e.preventDefault();
              setActive((a) => Math.max(0, a - 1));
            } else if (e.key === 'Enter') {
              e.preventDefault();
              const p = items[active];
              if (p) pick(p);
            }
          }}
        />
        {error ? (
          <div className="field__error" id={`${id}-error`}>
            {error}
          </div>
        ) : null}
      </div>
      {query.trim() && current ? (
        current.error ? (
          <p className="field__error">{current.error}</p>
        ) : items.length === 0 ? (
          <p className="muted">No patient matches.</p>
        ) : (
          <ul className="picker-results" id={listId} role="listbox" aria-label="Matching patients">
            {items.map((p, i) => (
              <li
                key={p.id}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                className={`picker-results__item${i === active ? ' picker-results__item--active' : ''}`}
                onClick={() => pick(p)}
              >
                <strong>{fullName(p)}</strong>
                <span className="muted">
                  {formatDate(p.dateOfBirth, locale)} · chart {p.chartNumber}{' '}
                  <AlertBadges kinds={p.alertKinds} />
                </span>
              </li>
            ))}
          </ul>
        )
      ) : null}
    </div>
  );
}
