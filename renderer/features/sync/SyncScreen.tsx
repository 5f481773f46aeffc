import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { AppError } from '../../../shared/errors';
import type { JoinCode, JoinRequestView, SyncDevice, SyncProblem } from '../../../shared/ipc/sync';
import { can } from '../../../shared/permissions';
import { api, messageOf } from '../../api/client';
import { AdminScreen, Card } from '../../components/AdminScreen';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Fact } from '../../components/Fact';
import { Field } from '../../components/Field';
import { FormActions } from '../../components/FormActions';
import { ListTable } from '../../components/ListTable';
import { ErrorNotice } from '../../components/Notice';
import { useSession } from '../../stores/session';
import { useSection } from '../schedule/section';
import { useSchedule } from '../schedule/store';
import { sinceText, summary, useSync } from './store';
import './sync.css';

/** One form's busy flag, message and error, and a runner that sets them around a command. */
function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const run = useCallback(async <T,>(fn: () => Promise<T>): Promise<T | null> => {
    setBusy(true);
    setError(null);
    setFields({});
    try {
      return await fn();
    } catch (e) {
      setError(messageOf(e));
      if (e instanceof AppError && e.fields)
        setFields(Object.fromEntries(e.fields.map((f) => [f.path.split('.')[0]!, f.message])));
      return null;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, fields, run };
}

function TextField(props: {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  error?: string | undefined;
  hint?: ReactNode;
  required?: boolean;
  autoComplete?: string;
  type?: string;
}) {
  return (
    <Field
      id={props.id}
      label={props.label}
      error={props.error}
      hint={props.hint}
      required={props.required ?? false}
    >
      {(control) => (
        <input
          {...control}
          className="input"
          type={props.type ?? 'text'}
          value={props.value}
          autoComplete={props.autoComplete ?? 'off'}
          spellCheck={false}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/**
 * Sync with the clinic's other workstations: the state of this one, setting the clinic up on a
 * relay or joining one, approving a new workstation (pairing code and fingerprint), the clinic's
 * workstations, and the changes that did not go through.
 */
export function SyncScreen() {
  const status = useSync((s) => s.status);
  const session = useSession((s) => s.session);
  const manager = session ? can(session.role, 'sync.devices') : false;
  // Bumped by an approval, so the list of workstations shows the new one.
  const [approvals, setApprovals] = useState(0);

  useEffect(() => {
    void useSync.getState().refresh();
  }, []);

  return (
    <AdminScreen
      titleId="sync-title"
      title="Sync"
      lead="This workstation and the clinic’s others share their records through the relay, which only ever holds them encrypted."
      className="sync-screen"
    >
      {!status ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : (
        <div className="sync-screen__grid">
          <StatusCard />
          {status.enrolment === 'none' || status.enrolment === 'joining' ? (
            manager ? (
              <>
                {status.enrolment === 'none' ? <CreateCard /> : null}
                <JoinCard />
              </>
            ) : (
              <Card title="Not set up">
                <p>Ask a practice manager to set up sync on this workstation.</p>
              </Card>
            )
          ) : null}
          {status.enrolment === 'enrolled' && manager ? (
            <ApproveCard onApproved={() => setApprovals((n) => n + 1)} />
          ) : null}
          {status.enrolment === 'enrolled' && manager ? <DevicesCard version={approvals} /> : null}
          <ProblemsCard />
          <ConflictsLink />
        </div>
      )}
    </AdminScreen>
  );
}

function StatusCard() {
  const status = useSync((s) => s.status)!;
  const action = useAction();
  const { state, more } = summary(status);
  return (
    <Card titleId="sync-status-title" title="This workstation">
      <dl className="facts">
        <Fact term="State">
          {state} ({more})
        </Fact>
        {status.deviceName ? <Fact term="Name">{status.deviceName}</Fact> : null}
        {status.relayUrl ? (
          <Fact term="Relay" className="mono">
            {status.relayUrl}
          </Fact>
        ) : null}
        {status.clinicCode ? (
          <Fact term="Clinic code" className="mono">
            {status.clinicCode}
          </Fact>
        ) : null}
        {status.enrolment === 'enrolled' ? (
          <>
            <Fact term="Last successful sync">{sinceText(status.lastSyncAt)}</Fact>
            <Fact term="Changes waiting to be sent">{status.pending}</Fact>
          </>
        ) : null}
      </dl>
      {status.bootstrap ? (
        <div className="sync-screen__bootstrap">
          <label htmlFor="sync-bootstrap">Fetching the clinic’s records</label>
          <progress
            id="sync-bootstrap"
            max={Math.max(status.bootstrap.total, 1)}
            {...(status.bootstrap.total > 0
              ? { value: Math.min(status.bootstrap.applied, status.bootstrap.total) }
              : {})}
          />
          <p className="muted">Work goes on meanwhile; records appear as they arrive.</p>
        </div>
      ) : null}
      {status.error ? (
        <div className="notice notice--warning" role="status">
          {status.error}
        </div>
      ) : null}
      <ErrorNotice message={action.error} />
      {status.enrolment === 'enrolled' || status.enrolment === 'joining' ? (
        <div className="form-actions">
          <button
            type="button"
            className="button"
            disabled={action.busy}
            onClick={() =>
              void action.run(async () =>
                useSync.getState().received(await api.call('sync.now', {})),
              )
            }
          >
            {action.busy ? 'Syncing…' : 'Sync now'}
          </button>
        </div>
      ) : null}
    </Card>
  );
}

function CreateCard() {
  const status = useSync((s) => s.status)!;
  const [relayUrl, setRelayUrl] = useState(status.relayUrl ?? '');
  const [deviceName, setDeviceName] = useState('Front desk');
  const [secret, setSecret] = useState('');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await api.call('sync.configure', { relayUrl });
      const next = await api.call('sync.createClinicOnRelay', {
        deviceName,
        ...(secret ? { setupSecret: secret } : {}),
      });
      useSync.getState().received(next);
    });
  };
  return (
    <Card titleId="sync-create-title" title="Set up this clinic on a relay">
      <p>
        For the clinic’s first workstation. Everything recorded here is sent, encrypted, and the
        other workstations join afterwards.
      </p>
      <form onSubmit={submit} noValidate>
        <TextField
          id="sync-create-relay"
          label="Relay address"
          value={relayUrl}
          onChange={setRelayUrl}
          error={action.fields.relayUrl}
          hint="For example https://relay.example.org"
          required
        />
        <TextField
          id="sync-create-name"
          label="Name of this workstation"
          value={deviceName}
          onChange={setDeviceName}
          error={action.fields.deviceName}
          required
        />
        <TextField
          id="sync-create-secret"
          label="Relay set-up code"
          type="password"
          value={secret}
          onChange={setSecret}
          hint="Only if the relay’s operator gave you one."
        />
        <ErrorNotice message={action.error} />
        <FormActions
          variant="page"
          busy={action.busy}
          submitLabel="Set up on the relay"
          busyLabel="Setting up…"
        />
      </form>
    </Card>
  );
}

function JoinCard() {
  const status = useSync((s) => s.status)!;
  const [relayUrl, setRelayUrl] = useState(status.relayUrl ?? '');
  const [clinicCode, setClinicCode] = useState('');
  const [deviceName, setDeviceName] = useState('');
  const [shown, setShown] = useState<JoinCode | null>(status.join);
  const action = useAction();
  const join = status.join ?? shown;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      setShown(await api.call('sync.startJoin', { relayUrl, clinicCode, deviceName }));
      await useSync.getState().refresh();
    });
  };
  return (
    <Card titleId="sync-join-title" title="Join a clinic">
      {join ? (
        <div className="sync-join">
          <p>
            On a workstation that already syncs, a practice manager opens Sync, enters this pairing
            code and checks that the fingerprint there is the same as here.
          </p>
          <dl className="facts">
            <Fact term="Pairing code" className="mono sync-join__code" testId="pairing-code">
              {join.code}
            </Fact>
            <Fact term="Fingerprint" className="mono" testId="pairing-fingerprint">
              {join.fingerprint}
            </Fact>
          </dl>
          <p className="muted">
            Valid until{' '}
            {new Date(join.expiresAt).toLocaleTimeString(undefined, { timeStyle: 'short' })}. This
            screen moves on by itself once approved.
          </p>
          <ErrorNotice message={action.error} />
          <div className="form-actions">
            <button
              type="button"
              className="button"
              disabled={action.busy}
              onClick={() =>
                void action.run(async () =>
                  useSync.getState().received(await api.call('sync.joinResult', {})),
                )
              }
            >
              Check for approval
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={submit} noValidate>
          <p>For a new workstation of a clinic that already syncs. It must hold no patients yet.</p>
          <TextField
            id="sync-join-relay"
            label="Relay address"
            value={relayUrl}
            onChange={setRelayUrl}
            error={action.fields.relayUrl}
            required
          />
          <TextField
            id="sync-join-clinic"
            label="Clinic code"
            value={clinicCode}
            onChange={setClinicCode}
            error={action.fields.clinicCode}
            hint="Shown on the Sync screen of a workstation that already syncs."
            required
          />
          <TextField
            id="sync-join-name"
            label="Name of this workstation"
            value={deviceName}
            onChange={setDeviceName}
            error={action.fields.deviceName}
            hint="For example Surgery 2"
            required
          />
          <ErrorNotice message={action.error} />
          <FormActions
            variant="page"
            busy={action.busy}
            submitLabel="Ask to join"
            busyLabel="Asking…"
          />
        </form>
      )}
    </Card>
  );
}

function ApproveCard({ onApproved }: { onApproved(): void }) {
  const [code, setCode] = useState('');
  const [request, setRequest] = useState<JoinRequestView | null>(null);
  const [fingerprint, setFingerprint] = useState('');
  const [approved, setApproved] = useState<SyncDevice | null>(null);
  const lookup = useAction();
  const approve = useAction();
  return (
    <Card titleId="sync-approve-title" title="Approve a new workstation">
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setApproved(null);
          void lookup.run(async () => {
            const [found] = await api.call('sync.pendingJoins', { code });
            setRequest(found ?? null);
            if (!found)
              throw new AppError('NOT_FOUND', 'No workstation is asking to join with this code.');
          });
        }}
      >
        <TextField
          id="sync-approve-code"
          label="Pairing code"
          value={code}
          onChange={setCode}
          error={lookup.fields.code}
          hint="Shown on the new workstation."
          required
        />
        <ErrorNotice message={lookup.error} />
        <div className="form-actions">
          <button type="submit" className="button" disabled={lookup.busy}>
            Look up
          </button>
        </div>
      </form>
      {request ? (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void approve.run(async () => {
              setApproved(await api.call('sync.approveJoin', { code: request.code, fingerprint }));
              setRequest(null);
              setCode('');
              setFingerprint('');
              onApproved();
            });
          }}
        >
          <p>
            <strong>{request.deviceName}</strong> asks to join. Its fingerprint, worked out here:
          </p>
          <p className="mono sync-join__fingerprint" data-testid="approve-fingerprint">
            {request.fingerprint}
          </p>
          <TextField
            id="sync-approve-fingerprint"
            label="Fingerprint shown on the new workstation"
            value={fingerprint}
            onChange={setFingerprint}
            error={approve.fields.fingerprint}
            hint="Type it from the new workstation’s screen; approve only if both are the same."
            required
          />
          <ErrorNotice message={approve.error} />
          <FormActions variant="page" busy={approve.busy} submitLabel="Approve" />
        </form>
      ) : null}
      {approved ? (
        <p className="notice" role="status">
          {approved.name} is approved. It now fetches the clinic’s records.
        </p>
      ) : null}
    </Card>
  );
}

function DevicesCard({ version }: { version: number }) {
  const [devices, setDevices] = useState<SyncDevice[] | null>(null);
  const [revoking, setRevoking] = useState<SyncDevice | null>(null);
  const action = useAction();
  const { run } = action;
  useEffect(() => {
    void run(async () => setDevices(await api.call('sync.devices', {})));
  }, [run, version]);
  return (
    <Card titleId="sync-devices-title" title="The clinic’s workstations" className="card--wide">
      <ErrorNotice message={action.error} />
      {devices === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <ListTable className="sync-table" columns={['Name', 'Last seen', 'State']} actions>
          {devices.map((d) => (
            <tr key={d.id}>
              <td>
                {d.name}
                {d.thisDevice ? <span className="muted"> (this workstation)</span> : null}
              </td>
              <td>{d.lastSeen ? sinceText(d.lastSeen) : 'never'}</td>
              <td>{d.status === 'active' ? 'Active' : 'Revoked'}</td>
              <td>
                {d.status === 'active' && !d.thisDevice ? (
                  <button
                    type="button"
                    className="button button--danger-quiet button--small"
                    onClick={() => setRevoking(d)}
                  >
                    Revoke {d.name}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </ListTable>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke ${revoking?.name ?? ''}?`}
        confirmLabel="Revoke"
        danger
        busy={action.busy}
        onCancel={() => setRevoking(null)}
        onConfirm={() => {
          const target = revoking;
          setRevoking(null);
          if (target)
            void action.run(async () => {
              await api.call('sync.revokeDevice', { id: target.id });
              setDevices(await api.call('sync.devices', {}));
            });
        }}
      >
        <p>
          The relay will refuse this workstation from now on. Changes it has not sent yet stay on
          it.
        </p>
      </ConfirmDialog>
    </Card>
  );
}

function ProblemsCard() {
  const status = useSync((s) => s.status);
  const [problems, setProblems] = useState<SyncProblem[] | null>(null);
  const problemCount = status?.problems ?? 0;
  useEffect(() => {
    let live = true;
    api
      .call('sync.rejected', {})
      .then((p) => {
        if (live) setProblems(p);
      })
      .catch(() => {
        if (live) setProblems([]);
      });
    return () => {
      live = false;
    };
  }, [problemCount]);
  return (
    <Card
      titleId="sync-problems-title"
      title="Changes that did not go through"
      className="card--wide"
    >
      {problems === null ? (
        <p className="muted">Loading…</p>
      ) : problems.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ListTable className="sync-table" columns={['Change', 'Record', 'Reason', 'Since']}>
          {problems.map((p, i) => (
            <tr key={`${p.direction}-${p.rowId}-${i}`}>
              <td>{p.direction === 'outgoing' ? 'Made here' : 'From another workstation'}</td>
              <td>
                {p.table.replace(/_/g, ' ')} <span className="mono muted">{p.rowId}</span>
              </td>
              <td>
                {p.reason}
                {p.retrying ? <span className="muted"> It is tried again by itself.</span> : null}
              </td>
              <td>{sinceText(p.at)}</td>
            </tr>
          ))}
        </ListTable>
      )}
    </Card>
  );
}

function ConflictsLink() {
  const session = useSession((s) => s.session);
  if (!session || !can(session.role, 'conflicts.list')) return null;
  return (
    <Card titleId="sync-conflicts-title" title="Double bookings">
      <p>
        Bookings made on two workstations while they were apart can clash. Every workstation shows
        the same clashes in the appointment book’s conflict inbox.
      </p>
      <div className="form-actions">
        <button
          type="button"
          className="button"
          onClick={() => {
            useSection.getState().go('schedule');
            useSchedule.getState().openPanel({ kind: 'conflicts' });
          }}
        >
          Open the conflict inbox
        </button>
      </div>
    </Card>
  );
}
