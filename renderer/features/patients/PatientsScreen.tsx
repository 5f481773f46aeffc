import { useEffect } from 'react';
import { PatientDetail } from './PatientDetail';
import { PatientFinder, SEARCH_INPUT_ID } from './PatientFinder';
import { PatientForm } from './PatientForm';
import { usePatients } from './store';

function typingInField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  );
}

export function PatientsScreen() {
  const view = usePatients((s) => s.view);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { view: current, showList, startNew } = usePatients.getState();
      const findKey =
        (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !typingInField(e.target)) ||
        ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k');
      if (findKey) {
        // A half-filled form is never thrown away by a shortcut.
        if (current.kind === 'new' || current.kind === 'edit') return;
        e.preventDefault();
        if (current.kind !== 'list') showList();
        else document.getElementById(SEARCH_INPUT_ID)?.focus();
        return;
      }
      if (e.altKey && !e.ctrlKey && !e.metaKey && e.code === 'KeyN') {
        if (current.kind === 'list' || current.kind === 'detail') {
          e.preventDefault();
          startNew();
        }
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  switch (view.kind) {
    case 'list':
      return <PatientFinder />;
    case 'detail':
      return <PatientDetail id={view.id} />;
    case 'new':
      return <PatientForm key="new" mode="create" />;
    case 'edit':
      return <PatientForm key={`edit-${view.id}`} mode="edit" id={view.id} />;
  }
}
