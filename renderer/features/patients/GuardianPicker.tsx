import { useEffect, useState } from 'react';
import { displayName, type PatientSummary } from '../../../shared/domain/patient';
import { api, messageOf } from '../../api/client';
import { Field } from '../../components/Field';
import { useDebounced } from '../../components/useDebounced';
import { formatDate } from '../../format';
import { useSession } from '../../stores/session';
import { SEARCH_DELAY_MS } from './store';

interface Found {
  query: string;
  items: PatientSummary[];
  error: string | null;
}

/** Chooses a registered patient as guardian with the same search as the patient list. */
export function GuardianPicker({
  selfId,
  pickedName,
  error,
  onPick,
  onClear,
}: {
  selfId: string | null;
  pickedName: string | null;
  error?: string | undefined;
  onPick(id: string, name: string): void;
  onClear(): void;
}) {
  const locale = useSession((s) => s.clinic?.locale) || 'en-GB';
  const [query, setQuery] = useState('');
  const settled = useDebounced(query.trim(), SEARCH_DELAY_MS);
  const [found, setFound] = useState<Found | null>(null);

  useEffect(() => {
    if (!settled) return;
    let live = true;
    api
      .call('patients.search', { query: settled, limit: 8 })
      .then((r) => {
        if (live) setFound({ query: settled, items: r.items, error: null });
      })
      .catch((e: unknown) => {
        if (live) setFound({ query: settled, items: [], error: messageOf(e) });
      });
    return () => {
      live = false;
    };
  }, [settled]);

  if (pickedName) {
    return (
      <div className="picked">
        <span className="picked__label">Guardian</span>
        <span className="picked__name">{pickedName}</span>
        <button type="button" className="button button--small" onClick={onClear}>
          Choose someone else
        </button>
      </div>
    );
  }

  const current = found && found.query === query.trim() ? found : null;
  const items = (current?.items ?? []).filter((p) => p.id !== selfId);
  return (
    <div className="guardian-picker">
      <Field
        id="pf-guardian-search"
        label="Find the guardian"
        required
        error={error}
        hint="Type a name, phone or date of birth"
      >
        {(a) => (
          <input
            {...a}
            type="search"
            autoComplete="off"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        )}
      </Field>
      {query.trim() && current ? (
        current.error ? (
          <p className="field__error">{current.error}</p>
        ) : items.length === 0 ? (
          <p className="muted">No patient matches.</p>
        ) : (
          <ul className="picker-results" aria-label="Possible guardians">
            {items.map((p) => (
              <li key={p.id}>
                <button
                  type="button"
                  className="picker-results__item"
                  onClick={() => {
                    setQuery('');
                    onPick(p.id, displayName(p));
                  }}
                >
                  <strong>{displayName(p)}</strong>
                  <span className="muted">
                    {formatDate(p.dateOfBirth, locale)} · chart {p.chartNumber}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )
      ) : null}
    </div>
  );
}
