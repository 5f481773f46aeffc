// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setTransport } from '../../../renderer/api/client';
import { PAGE_SIZE, SEARCH_DELAY_MS, usePatients } from '../../../renderer/features/patients/store';
import { clearPatientData } from '../../../renderer/stores/reset';
import { useSession } from '../../../renderer/stores/session';
import type { PatientSummary } from '../../../shared/domain/patient';
import type { PatientRecord } from '../../../shared/ipc/patients';
import { FakeTransport, flush } from './fake-transport';

const summary = (i: number): PatientSummary => ({
  id: `id-${i}`,
  chartNumber: String(1000 + i),
  givenNames: 'Alex',
  familyName: `Test${i}`,
  preferredName: null,
  dateOfBirth: '1990-01-01',
  status: 'active',
  preferredPhone: null,
  alertKinds: [],
});

const TOTAL = 1234;
let fake: FakeTransport;

beforeEach(() => {
  vi.useFakeTimers();
  fake = new FakeTransport()
    .handle('patients.search', (a) => {
      const { query } = a as { query: string };
      return { items: [summary(query.length)], more: query.length < 3 };
    })
    .handle('patients.list', (a) => {
      const { offset, limit } = a as { offset: number; limit: number };
      const items = [];
      for (let i = offset; i < Math.min(TOTAL, offset + limit); i += 1) items.push(summary(i));
      return { total: TOTAL, offset, items };
    })
    .handle('patients.get', (a) => ({ id: (a as { id: string }).id, givenNames: 'Zoë' }));
  setTransport(fake);
  usePatients.getState().reset();
});

afterEach(() => {
  vi.useRealTimers();
  setTransport(null);
});

describe('patients store', () => {
  it('searches once typing pauses, with the latest text', async () => {
    const s = usePatients.getState();
    s.setQuery('z');
    s.setQuery('zo');
    s.setQuery('zoe');
    expect(usePatients.getState().searching).toBe(true);
    vi.advanceTimersByTime(SEARCH_DELAY_MS - 1);
    expect(fake.callsOf('patients.search')).toEqual([]);
    vi.advanceTimersByTime(1);
    await flush();
    expect(fake.callsOf('patients.search')).toEqual([{ query: 'zoe', limit: 50 }]);
    expect(usePatients.getState().results?.map((p) => p.id)).toEqual(['id-3']);
    expect(usePatients.getState().more).toBe(false);

    // Clearing the box shows the full list again, without asking the core.
    usePatients.getState().setQuery('  ');
    vi.advanceTimersByTime(SEARCH_DELAY_MS * 2);
    expect(usePatients.getState().results).toBeNull();
    expect(fake.callsOf('patients.search')).toHaveLength(1);
  });

  it('drops an answer that arrives after a newer search', async () => {
    fake.holding = true;
    usePatients.getState().setQuery('zo');
    vi.advanceTimersByTime(SEARCH_DELAY_MS);
    usePatients.getState().setQuery('zoe');
    vi.advanceTimersByTime(SEARCH_DELAY_MS);
    expect(fake.callsOf('patients.search')).toHaveLength(2);
    fake.release(true); // 'zoe' answers first, then the stale 'zo'
    await flush(10);
    expect(usePatients.getState().results?.map((p) => p.id)).toEqual(['id-3']);
    expect(usePatients.getState().more).toBe(false);
  });

  it('fetches the pages of the full list that come into view, each once', async () => {
    const s = usePatients.getState();
    s.ensureRows(0, 20);
    await flush();
    expect(fake.callsOf('patients.list')).toEqual([{ offset: 0, limit: PAGE_SIZE }]);
    expect(usePatients.getState().total).toBe(TOTAL);

    // Scrolling far down asks for the pages on screen only, by offset.
    s.ensureRows(1190, 1233);
    s.ensureRows(1195, 1233);
    await flush();
    expect(fake.callsOf('patients.list').map((a) => (a as { offset: number }).offset)).toEqual([
      0, 1100, 1200,
    ]);
    const pages = usePatients.getState().pages;
    expect(Object.keys(pages).sort()).toEqual(['0', '11', '12']);
    expect(pages[12]!.at(-1)!.id).toBe('id-1233');
    expect(pages[12]).toHaveLength(TOTAL - 1200);
  });

  it('refreshes the list, the search and the open record when patients change', async () => {
    const s = usePatients.getState();
    s.ensureRows(0, 10);
    s.open('id-7');
    s.setQuery('zoe');
    vi.advanceTimersByTime(SEARCH_DELAY_MS);
    await flush();
    const before = fake.calls.length;

    usePatients.getState().changed(['id-7']);
    await flush();
    const generation = usePatients.getState().listGeneration;
    expect(generation).toBe(1);
    // The visible page is fetched again for the new generation; the old copy stays meanwhile.
    expect(usePatients.getState().pages[0]).toHaveLength(PAGE_SIZE);
    usePatients.getState().ensureRows(0, 10);
    await flush();
    const names = fake.calls.slice(before).map((c) => c.name);
    expect(names).toContain('patients.search');
    expect(names).toContain('patients.get');
    expect(names).toContain('patients.list');

    // A change to someone else does not reload the open record.
    const gets = fake.callsOf('patients.get').length;
    usePatients.getState().changed(['id-99']);
    await flush();
    expect(fake.callsOf('patients.get')).toHaveLength(gets);
  });

  it('forgets every patient on sign-out, including answers still on their way', async () => {
    const s = usePatients.getState();
    s.ensureRows(0, 10);
    s.setQuery('zoe');
    vi.advanceTimersByTime(SEARCH_DELAY_MS);
    await flush();
    s.saved({ id: 'id-1', givenNames: 'Zoë' } as PatientRecord);
    fake.holding = true;
    usePatients.getState().changed([]);
    usePatients.getState().ensureRows(0, 10);
    usePatients.getState().setQuery('mül');
    vi.advanceTimersByTime(SEARCH_DELAY_MS);

    clearPatientData();
    fake.release();
    await flush(10);
    vi.advanceTimersByTime(SEARCH_DELAY_MS * 2);
    const after = usePatients.getState();
    expect(after.query).toBe('');
    expect(after.results).toBeNull();
    expect(after.pages).toEqual({});
    expect(after.total).toBeNull();
    expect(after.patient).toBeNull();
    expect(after.view).toEqual({ kind: 'list' });
  });

  it('clears patient data when the core ends the session', async () => {
    useSession.setState({ phase: 'signed-in' });
    usePatients.getState().saved({ id: 'id-1', givenNames: 'Zoë' } as PatientRecord);
    fake.handle('app.status', () => ({ setUp: true, session: null, clinic: null }));
    useSession.getState().ended();
    expect(usePatients.getState().patient).toBeNull();
    expect(useSession.getState().phase).toBe('signed-out');
    await flush();
    expect(useSession.getState().phase).toBe('signed-out');
  });
});
