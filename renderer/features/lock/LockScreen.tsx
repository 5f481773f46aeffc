import { useState } from 'react';
import { SignInForm } from '../../components/SignInForm';
import { useSession } from '../../stores/session';
import './lock.css';

/**
 * Shown while the workstation is locked: the store is closed and nothing of a patient is left on
 * screen. The person who locked it unlocks with their password; anyone else at a shared front-desk
 * PC switches user with their own username and password (the core ends the locked session).
 */
export function LockScreen() {
  const lockedBy = useSession((s) => s.lockedBy);
  const clinic = useSession((s) => s.clinic);
  const [mode, setMode] = useState<'unlock' | 'switch'>('unlock');
  if (!lockedBy) return null;
  const { displayName } = lockedBy;
  return (
    <main className="welcome lock">
      <div className="welcome__card">
        <p className="welcome__brand">Enamel{clinic?.name ? ` · ${clinic.name}` : ''}</p>
        <div className="lock__badge" aria-hidden="true">
          <span className="lock__shackle" />
          <span className="lock__body" />
        </div>
        {mode === 'unlock' ? (
          <>
            <h1>Locked by {displayName}</h1>
            <p className="lead">
              Patient records are closed on this workstation. {displayName} can unlock it with their
              password; anyone else can switch user.
            </p>
            <SignInForm
              key="unlock"
              idPrefix="unlock"
              username={lockedBy.username}
              label={`Unlock as ${displayName}`}
              submitLabel="Unlock"
              busyLabel="Unlocking…"
              other={{ label: 'Switch user', onClick: () => setMode('switch') }}
            />
          </>
        ) : (
          <>
            <h1>Switch user</h1>
            <p className="lead">
              Sign in with your own account. Whatever {displayName} had open stays closed.
            </p>
            <SignInForm
              key="switch"
              idPrefix="switch"
              label="Switch user"
              submitLabel="Sign in"
              busyLabel="Signing in…"
              other={{ label: 'Back to unlock', onClick: () => setMode('unlock') }}
            />
          </>
        )}
      </div>
    </main>
  );
}
