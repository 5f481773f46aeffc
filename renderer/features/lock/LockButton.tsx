import { useEffect } from 'react';
import { useSession } from '../../stores/session';
import { isLockShortcut, watchIdle } from './idle';

/**
 * The top bar's Lock button. While it is on screen (someone is signed in) it also locks on Ctrl+L
 * and after the workstation's idle time. The core is asked to lock: the store closes and keys
 * are wiped there, and every store of patient data here is cleared.
 */
export function LockButton() {
  const lock = useSession((s) => s.lock);
  const minutes = useSession((s) => s.idleLockMinutes);

  useEffect(() => {
    if (!minutes || minutes <= 0) return;
    return watchIdle(minutes, () => void useSession.getState().lock());
  }, [minutes]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!isLockShortcut(e)) return;
      e.preventDefault();
      void useSession.getState().lock();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  return (
    <button
      type="button"
      className="button button--quiet"
      onClick={() => void lock()}
      aria-keyshortcuts="Control+L"
      title="Lock this workstation (Ctrl+L)"
    >
      Lock{' '}
      <kbd aria-hidden="true" className="lock__kbd">
        Ctrl L
      </kbd>
    </button>
  );
}
