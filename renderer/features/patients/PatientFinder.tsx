import { useCallback, useState, type KeyboardEvent } from 'react';
import { useSession } from '../../stores/session';
import { LISTBOX_ID, optionId, PatientListbox } from './PatientListbox';
import { PAGE_SIZE, usePatients } from './store';

export const SEARCH_INPUT_ID = 'patient-search';
const PAGE_STEP = 10;

/** The one search box and the list under it: type to narrow, arrows to move, Enter to open. */
export function PatientFinder() {
  const clinic = useSession((s) => s.clinic);
  const query = usePatients((s) => s.query);
  const results = usePatients((s) => s.results);
  const more = usePatients((s) => s.more);
  const searching = usePatients((s) => s.searching);
  const searchError = usePatients((s) => s.searchError);
  const total = usePatients((s) => s.total);
  const pages = usePatients((s) => s.pages);
  const listGeneration = usePatients((s) => s.listGeneration);
  const listError = usePatients((s) => s.listError);
  const setQuery = usePatients((s) => s.setQuery);
  const open = usePatients((s) => s.open);
  const startNew = usePatients((s) => s.startNew);
  const ensureRows = usePatients((s) => s.ensureRows);
  const [active, setActive] = useState(-1);

  const searchMode = query.trim() !== '';
  const count = searchMode ? (results?.length ?? 0) : (total ?? 0);
  const activeIndex = Math.min(active, count - 1);

  const rowAt = useCallback(
    (index: number) =>
      searchMode ? results?.[index] : pages[Math.floor(index / PAGE_SIZE)]?.[index % PAGE_SIZE],
    [searchMode, results, pages],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    const move = (to: number) => {
      e.preventDefault();
      if (count > 0) setActive(Math.max(0, Math.min(count - 1, to)));
    };
    switch (e.key) {
      case 'ArrowDown':
        return move(activeIndex + 1);
      case 'ArrowUp':
        return move(activeIndex <= 0 ? 0 : activeIndex - 1);
      case 'PageDown':
        return move(activeIndex + PAGE_STEP);
      case 'PageUp':
        return move(activeIndex - PAGE_STEP);
      case 'Enter': {
        e.preventDefault();
        // One match is opened straight away; otherwise the highlighted row.
        const index = activeIndex >= 0 ? activeIndex : searchMode && count === 1 ? 0 : -1;
        const row = index >= 0 ? rowAt(index) : undefined;
        if (row) open(row.id);
        return;
      }
      case 'Escape':
        if (query) {
          e.preventDefault();
          setActive(-1);
          setQuery('');
        }
        return;
    }
  };

  let status: string;
  if (searchMode) {
    if (searchError) status = searchError;
    else if (results === null) status = 'Searching…';
    else if (results.length === 0) status = searching ? 'Searching…' : 'No patient matches.';
    else
      status = `${results.length} ${results.length === 1 ? 'match' : 'matches'}${more ? ' shown' : ''}`;
  } else if (listError) status = listError;
  else if (total === null) status = 'Loading patients…';
  else status = `${total.toLocaleString(clinic?.locale || undefined)} patients`;

  return (
    <section className="finder" aria-labelledby="finder-title">
      <div className="finder__bar">
        <h1 id="finder-title" className="finder__title">
          Patients
        </h1>
        <div className="finder__search">
          <label htmlFor={SEARCH_INPUT_ID} className="visually-hidden">
            Find a patient
          </label>
          <input
            id={SEARCH_INPUT_ID}
            type="search"
            role="combobox"
            aria-controls={LISTBOX_ID}
            aria-expanded={count > 0}
            aria-autocomplete="list"
            aria-activedescendant={activeIndex >= 0 ? optionId(activeIndex) : undefined}
            aria-describedby="finder-status finder-keys"
            placeholder="Find a patient: name, phone, date of birth or chart number"
            autoComplete="off"
            spellCheck={false}
            autoFocus
            value={query}
            onChange={(e) => {
              setActive(-1);
              setQuery(e.target.value);
            }}
            onKeyDown={onKeyDown}
          />
        </div>
        <button
          type="button"
          className="button button--primary"
          onClick={startNew}
          aria-keyshortcuts="Alt+N"
        >
          New patient <kbd>Alt+N</kbd>
        </button>
      </div>
      <div className="finder__status">
        <span id="finder-status" role="status">
          {status}
        </span>
        {searchMode && more ? (
          <span className="finder__more">More matches — keep typing to narrow the list.</span>
        ) : null}
        <span id="finder-keys" className="finder__keys muted">
          <kbd>/</kbd> search · <kbd>↑</kbd>
          <kbd>↓</kbd> move · <kbd>Enter</kbd> open
        </span>
      </div>
      <PatientListbox
        key={searchMode ? 'matches' : 'all'}
        label={searchMode ? 'Matching patients' : 'All patients'}
        count={count}
        rowAt={rowAt}
        activeIndex={activeIndex}
        country={clinic?.country || 'GB'}
        locale={clinic?.locale || 'en-GB'}
        onOpen={open}
        onRange={searchMode ? undefined : ensureRows}
        generation={searchMode ? 0 : listGeneration}
      />
    </section>
  );
}
