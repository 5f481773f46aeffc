import { useEffect } from 'react';
import { api } from './api/client';
import { LockScreen } from './features/lock/LockScreen';
import { LoginScreen } from './features/login/LoginScreen';
import { usePatients } from './features/patients/store';
import { SetupScreen } from './features/setup/SetupScreen';
import { Shell } from './features/shell/Shell';
import { useSession } from './stores/session';

export function App() {
  const phase = useSession((s) => s.phase);
  const problem = useSession((s) => s.problem);
  const locked = useSession((s) => s.lockedBy !== null);
  const refresh = useSession((s) => s.refresh);

  useEffect(() => {
    void useSession.getState().refresh();
    const offEnded = api.on('session.ended', (payload) =>
      useSession.getState().ended(payload?.reason === 'locked' ? 'locked' : 'logout'),
    );
    const offChanged = api.on('patients.changed', (payload) => {
      if (useSession.getState().phase !== 'signed-in') return;
      usePatients.getState().changed(Array.isArray(payload?.ids) ? payload.ids : []);
    });
    return () => {
      offEnded();
      offChanged();
    };
  }, []);

  switch (phase) {
    case 'starting':
      return (
        <main className="welcome">
          <p className="muted" role="status">
            Opening Enamel…
          </p>
        </main>
      );
    case 'unreachable':
      return (
        <main className="welcome">
          <div className="welcome__card">
            <h1>Enamel cannot be reached</h1>
            <p role="alert">{problem}</p>
            <button type="button" className="button button--primary" onClick={() => void refresh()}>
              Try again
            </button>
          </div>
        </main>
      );
    case 'setup':
      return <SetupScreen />;
    case 'signed-out':
      return locked ? <LockScreen /> : <LoginScreen />;
    case 'signed-in':
      return <Shell />;
  }
}
