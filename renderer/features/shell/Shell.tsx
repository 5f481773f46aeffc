import type { CommandName } from '../../../shared/ipc/contract';
import { can } from '../../../shared/permissions';
import { useSession } from '../../stores/session';
import { AuditScreen } from '../audit/AuditScreen';
import { LockButton } from '../lock/LockButton';
import { PatientsScreen } from '../patients/PatientsScreen';
import { usePatients } from '../patients/store';
import { ScheduleScreen } from '../schedule/ScheduleScreen';
import { homeSection, useSection, type Section } from '../schedule/section';
import { SettingsScreen } from '../settings/SettingsScreen';
import { StaffScreen } from '../staff/StaffScreen';
import { SyncIndicator } from '../sync/SyncIndicator';
import { SyncScreen } from '../sync/SyncScreen';
import { UserMenu } from '../staff/UserMenu';

/**
 * The top bar's screens, each shown to the roles that may run the command it opens with. This only
 * hides what a role cannot use: the core refuses the commands either way.
 */
const NAV: ReadonlyArray<{ section: Section; label: string; needs: CommandName }> = [
  { section: 'schedule', label: 'Appointments', needs: 'appointments.range' },
  { section: 'patients', label: 'Patients', needs: 'patients.list' },
  { section: 'staff', label: 'Staff', needs: 'staff.list' },
  { section: 'audit', label: 'Audit', needs: 'audit.list' },
  { section: 'settings', label: 'Settings', needs: 'settings.security' },
];

export function Shell() {
  const clinic = useSession((s) => s.clinic);
  const session = useSession((s) => s.session);
  const logout = useSession((s) => s.logout);
  const showList = usePatients((s) => s.showList);
  const chosen = useSection((s) => s.section);
  const go = useSection((s) => s.go);
  if (!session) return null;
  const visible = NAV.filter((n) => can(session.role, n.needs));
  // The sync screen opens from the indicator, for everyone signed in.
  const allowed = (s: Section | null) => s === 'sync' || visible.some((n) => n.section === s);
  const home = homeSection(session.role);
  const section =
    chosen && allowed(chosen) ? chosen : allowed(home) ? home : (visible[0]?.section ?? null);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar__brand">
          <span className="topbar__logo" aria-hidden="true">
            E
          </span>
          <span className="sync-brand">
            <span className="topbar__clinic">{clinic?.name ?? 'Enamel'}</span>
            <SyncIndicator />
          </span>
        </div>
        <nav className="topbar__nav" aria-label="Main">
          {visible.map((n) => (
            <button
              key={n.section}
              type="button"
              className="topbar__navlink"
              aria-current={section === n.section ? 'page' : undefined}
              onClick={() => {
                go(n.section);
                if (n.section === 'patients') showList();
              }}
            >
              {n.label}
            </button>
          ))}
        </nav>
        <div className="topbar__user">
          <UserMenu />
          <LockButton />
          <button type="button" className="button button--quiet" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      </header>
      <main className="content" id="main" tabIndex={-1}>
        {section === 'schedule' ? (
          <ScheduleScreen />
        ) : section === 'patients' ? (
          <PatientsScreen />
        ) : section === 'staff' ? (
          <StaffScreen />
        ) : section === 'audit' ? (
          <AuditScreen />
        ) : section === 'settings' ? (
          <SettingsScreen />
        ) : section === 'sync' ? (
          <SyncScreen />
        ) : null}
      </main>
    </div>
  );
}
