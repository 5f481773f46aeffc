/** What counts as someone at the workstation: any key, click, pointer movement, wheel or touch. */
export const ACTIVITY_EVENTS = [
  'keydown',
  'mousedown',
  'mousemove',
  'pointerdown',
  'wheel',
  'touchstart',
] as const;

/**
 * Calls `onIdle` once after `minutes` without activity on `target`. Activity only notes the time:
 * the timer is re-armed when it fires early, so moving the mouse costs nothing, and a timer that
 * fires late (a throttled background window, a sleeping laptop) still locks at once. Returns a
 * function that stops watching.
 */
export function watchIdle(
  minutes: number,
  onIdle: () => void,
  target: Pick<Window, 'addEventListener' | 'removeEventListener'> = window,
): () => void {
  const limit = minutes * 60_000;
  let last = Date.now();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const noteActivity = () => {
    last = Date.now();
  };
  const check = () => {
    const idle = Date.now() - last;
    if (idle >= limit) {
      timer = null;
      stop();
      onIdle();
      return;
    }
    timer = setTimeout(check, limit - idle);
  };
  const stop = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    for (const name of ACTIVITY_EVENTS) target.removeEventListener(name, noteActivity, true);
  };
  for (const name of ACTIVITY_EVENTS)
    target.addEventListener(name, noteActivity, { capture: true, passive: true });
  timer = setTimeout(check, limit);
  return stop;
}

/** Ctrl+L (Cmd+L on a Mac) locks the workstation. */
export function isLockShortcut(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>,
): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'l';
}
