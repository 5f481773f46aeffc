import { useEffect, useState } from 'react';
import type { StaffMember } from '../../../shared/ipc/staff';
import { can } from '../../../shared/permissions';
import { ROLE_LABELS } from '../../../shared/roles';
import { api, messageOf } from '../../api/client';
import { AdminScreen, Card } from '../../components/AdminScreen';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ListTable } from '../../components/ListTable';
import { ErrorNotice } from '../../components/Notice';
import { useSession } from '../../stores/session';
import { EnableDialog } from './EnableDialog';
import { RecoveryKeyDialog } from './RecoveryKeyDialog';
import { StaffForm } from './StaffForm';
import { statusText } from './labels';
import { useStaff } from './store';
import './staff.css';

type Dialog =
  | { kind: 'add' }
  | { kind: 'edit'; member: StaffMember }
  | { kind: 'enable'; member: StaffMember }
  | { kind: 'disable'; member: StaffMember }
  | { kind: 'remove'; member: StaffMember }
  | { kind: 'recovery' };

/**
 * The practice manager's staff accounts: add, edit, disable, enable and remove, and replace the
 * recovery key. Disabled and removed accounts stay listed so the audit trail keeps their names.
 */
export function StaffScreen() {
  const session = useSession((s) => s.session);
  const members = useStaff((s) => s.members);
  const providers = useStaff((s) => s.providers);
  const error = useStaff((s) => s.error);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void useStaff.getState().load();
    return api.on('staff.changed', (payload) => {
      void useStaff.getState().load();
      // A change to one's own account (name, username) shows in the top bar too.
      const self = useSession.getState().session?.userId;
      if (self && payload?.ids?.includes(self)) void useSession.getState().refresh();
    });
  }, []);

  if (!session) return null;
  const withdrawing =
    dialog?.kind === 'disable' || dialog?.kind === 'remove'
      ? { how: dialog.kind, member: dialog.member }
      : null;
  const providerName = (id: string | null) =>
    id ? (providers.find((p) => p.id === id)?.name ?? 'A provider') : '—';

  const done = (member: StaffMember, message: string) => {
    useStaff.getState().replaced(member);
    setDialog(null);
    setProblem(null);
    setNote(message);
  };

  const withdraw = async (member: StaffMember, how: 'disable' | 'remove') => {
    setBusy(true);
    setProblem(null);
    setNote(null);
    try {
      const changed = await api.call(how === 'disable' ? 'staff.disable' : 'staff.remove', {
        id: member.id,
      });
      useStaff.getState().replaced(changed);
      setNote(
        how === 'disable'
          ? `${member.displayName} is disabled and can no longer sign in.`
          : `${member.displayName} was removed. Their name stays in the audit trail.`,
      );
    } catch (e) {
      setProblem(messageOf(e));
    } finally {
      setBusy(false);
      setDialog(null);
    }
  };

  return (
    <AdminScreen
      titleId="staff-title"
      title="Staff"
      lead="Everyone who signs in to this clinic, with their role. Each account has its own key."
      action={
        <button
          type="button"
          className="button button--primary"
          onClick={() => {
            setNote(null);
            setDialog({ kind: 'add' });
          }}
        >
          Add member of staff
        </button>
      }
    >
      <ErrorNotice message={problem ?? error} />
      <p className="admin__note" role="status">
        {note}
      </p>

      <div className="card admin__table">
        {members === null ? (
          error ? null : (
            <p className="muted" role="status">
              Loading staff…
            </p>
          )
        ) : (
          <ListTable
            className="table staff-table"
            caption="Staff accounts"
            columns={['Name', 'Username', 'Role', 'Books as', 'Status']}
            actions
          >
            {members.map((m) => {
              const self = m.id === session.userId;
              return (
                <tr key={m.id} className={m.status === 'active' ? undefined : 'staff-table__off'}>
                  <th scope="row" className="staff-table__name">
                    {m.displayName}
                    {self ? (
                      <>
                        {' '}
                        <span className="tag">You</span>
                      </>
                    ) : null}
                  </th>
                  <td className="mono">{m.username}</td>
                  <td>{ROLE_LABELS[m.role]}</td>
                  <td>{providerName(m.providerId)}</td>
                  <td>
                    <span
                      className={`status${m.status === 'active' && m.canSignIn ? ' status--active' : ''}`}
                    >
                      {statusText(m)}
                    </span>
                  </td>
                  <td className="staff-table__actions">
                    {m.status === 'removed' ? null : (
                      <MemberActions
                        member={m}
                        self={self}
                        onEdit={() => setDialog({ kind: 'edit', member: m })}
                        onEnable={() => setDialog({ kind: 'enable', member: m })}
                        onDisable={() => setDialog({ kind: 'disable', member: m })}
                        onRemove={() => setDialog({ kind: 'remove', member: m })}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </ListTable>
        )}
      </div>

      {can(session.role, 'staff.replaceRecoveryKey') ? (
        <Card titleId="recovery-title" title="Recovery key" className="admin__section">
          <p>
            The recovery key opens this clinic’s records if every password is lost, and can reset
            any password. Replace it if it may have been seen by someone else, or when a practice
            manager leaves.
          </p>
          <button
            type="button"
            className="button"
            onClick={() => {
              setNote(null);
              setDialog({ kind: 'recovery' });
            }}
          >
            Replace recovery key…
          </button>
        </Card>
      ) : null}

      {dialog?.kind === 'add' || dialog?.kind === 'edit' ? (
        <StaffForm
          editing={dialog.kind === 'edit' ? dialog.member : null}
          onDone={done}
          onCancel={() => setDialog(null)}
        />
      ) : null}
      {dialog?.kind === 'enable' ? (
        <EnableDialog member={dialog.member} onDone={done} onCancel={() => setDialog(null)} />
      ) : null}
      {dialog?.kind === 'recovery' ? (
        <RecoveryKeyDialog
          onClose={(replaced) => {
            setDialog(null);
            if (replaced) setNote('The recovery key was replaced. The old one no longer works.');
          }}
        />
      ) : null}
      {/* One confirmation at a time: the dialog's title id is fixed. */}
      <ConfirmDialog
        open={withdrawing !== null}
        title={
          withdrawing
            ? `${withdrawing.how === 'disable' ? 'Disable' : 'Remove'} ${withdrawing.member.displayName}?`
            : ''
        }
        confirmLabel={withdrawing?.how === 'remove' ? 'Remove member of staff' : 'Disable account'}
        danger
        busy={busy}
        onConfirm={() => withdrawing && void withdraw(withdrawing.member, withdrawing.how)}
        onCancel={() => setDialog(null)}
      >
        {withdrawing?.how === 'remove' ? (
          <p>
            This cannot be undone: the account can never sign in again. Their name stays in the
            audit trail and on the records they wrote.
          </p>
        ) : (
          <p>They cannot sign in until you enable the account again with a new password.</p>
        )}
        <p>
          Any session they have open ends at once, their key is deleted, and the database key is
          rotated so that nothing they could unlock before still opens the records. This takes a
          moment.
        </p>
      </ConfirmDialog>
    </AdminScreen>
  );
}

function MemberActions({
  member,
  self,
  onEdit,
  onEnable,
  onDisable,
  onRemove,
}: {
  member: StaffMember;
  self: boolean;
  onEdit(): void;
  onEnable(): void;
  onDisable(): void;
  onRemove(): void;
}) {
  const who = member.displayName;
  return (
    <div className="staff-table__buttons">
      <RowButton text="Edit" name={`Edit ${who}`} onClick={onEdit} />
      {member.status === 'disabled' ? (
        <RowButton text="Enable" name={`Enable ${who}`} onClick={onEnable} />
      ) : !member.canSignIn ? (
        <RowButton text="New password" name={`Set a new password for ${who}`} onClick={onEnable} />
      ) : null}
      {/* Nobody disables or removes themselves: another practice manager does. */}
      {self ? null : (
        <>
          {member.status === 'active' ? (
            <RowButton text="Disable" name={`Disable ${who}`} onClick={onDisable} />
          ) : null}
          <RowButton text="Remove" name={`Remove ${who}`} onClick={onRemove} danger />
        </>
      )}
    </div>
  );
}

/** A row's button: its text is short, its accessible name says whose row it acts on. */
function RowButton({
  text,
  name,
  onClick,
  danger,
}: {
  text: string;
  name: string;
  onClick(): void;
  danger?: boolean;
}) {
  return (
    <button
      type="button"
      className={danger ? 'button button--small button--danger-quiet' : 'button button--small'}
      onClick={onClick}
      aria-label={name}
    >
      {text}
    </button>
  );
}
