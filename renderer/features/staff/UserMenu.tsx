import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { ROLE_LABELS } from '../../../shared/roles';
import { useSession } from '../../stores/session';
import { ChangePasswordDialog } from './ChangePasswordDialog';
import './staff.css';

/** The signed-in person's name in the top bar; opens their own account actions. */
export function UserMenu() {
  const session = useSession((s) => s.session);
  const [open, setOpen] = useState(false);
  const [changing, setChanging] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const firstItem = useRef<HTMLButtonElement>(null);

  // Back on the name once the password dialog closes (its opener, the menu item, is gone).
  const wasChanging = useRef(false);
  useEffect(() => {
    if (wasChanging.current && !changing) button.current?.focus();
    wasChanging.current = changing;
  }, [changing]);

  useEffect(() => {
    if (!open) return;
    firstItem.current?.focus();
    const onPointer = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  if (!session) return null;

  const onMenuKey = (e: KeyboardEvent<HTMLUListElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      setOpen(false);
      button.current?.focus();
    } else if (e.key === 'Tab') setOpen(false);
  };

  return (
    <div className="user-menu" ref={root}>
      <button
        ref={button}
        type="button"
        className="user-menu__button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls="user-menu-list"
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        <span className="topbar__who">
          <span className="topbar__name">{session.displayName}</span>
          <span className="topbar__role">{ROLE_LABELS[session.role]}</span>
        </span>
        <span className="user-menu__caret" aria-hidden="true" />
      </button>
      {open ? (
        <ul
          id="user-menu-list"
          className="user-menu__list"
          role="menu"
          aria-label={`${session.displayName}’s account`}
          onKeyDown={onMenuKey}
        >
          <li role="none">
            <button
              ref={firstItem}
              type="button"
              role="menuitem"
              className="user-menu__item"
              onClick={() => {
                setOpen(false);
                setChanging(true);
              }}
            >
              Change my password
            </button>
          </li>
        </ul>
      ) : null}
      {changing ? <ChangePasswordDialog onClose={() => setChanging(false)} /> : null}
    </div>
  );
}
