import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACTIVITY_EVENTS, isLockShortcut, watchIdle } from '../../../renderer/features/lock/idle';

/** A stand-in for window: records listeners so activity can be simulated. */
class Target {
  readonly listeners = new Map<string, Set<() => void>>();
  addEventListener(name: string, listener: () => void) {
    const set = this.listeners.get(name) ?? new Set();
    set.add(listener);
    this.listeners.set(name, set);
  }
  removeEventListener(name: string, listener: () => void) {
    this.listeners.get(name)?.delete(listener);
  }
  fire(name: string) {
    for (const l of this.listeners.get(name) ?? []) l();
  }
  count(): number {
    return [...this.listeners.values()].reduce((n, s) => n + s.size, 0);
  }
}

const MINUTE = 60_000;
let target: Target;

beforeEach(() => {
  vi.useFakeTimers();
  target = new Target();
});
afterEach(() => {
  vi.useRealTimers();
});

const watch = (minutes: number, onIdle: () => void) =>
  watchIdle(minutes, onIdle, target as unknown as Window);

describe('idle lock timer', () => {
  it('fires once after the idle time and stops listening', () => {
    const onIdle = vi.fn();
    watch(2, onIdle);
    expect(target.count()).toBe(ACTIVITY_EVENTS.length);
    vi.advanceTimersByTime(2 * MINUTE - 1);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10 * MINUTE);
    expect(onIdle).toHaveBeenCalledTimes(1);
    expect(target.count()).toBe(0);
  });

  it.each(ACTIVITY_EVENTS)('counts %s as activity', (name) => {
    const onIdle = vi.fn();
    watch(1, onIdle);
    vi.advanceTimersByTime(50_000);
    target.fire(name);
    vi.advanceTimersByTime(50_000);
    expect(onIdle).not.toHaveBeenCalled();
    // A full minute after the last activity.
    vi.advanceTimersByTime(10_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('goes by the clock, not by timer ticks: a sleeping laptop locks as soon as it wakes', () => {
    const onIdle = vi.fn();
    watch(5, onIdle);
    vi.advanceTimersByTime(4 * MINUTE);
    target.fire('keydown');
    // Asleep for ten minutes: the wall clock moves on, no timer runs.
    vi.setSystemTime(Date.now() + 10 * MINUTE);
    // The first timer due after waking finds eleven idle minutes.
    vi.advanceTimersByTime(1 * MINUTE);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('does nothing once stopped', () => {
    const onIdle = vi.fn();
    const stop = watch(1, onIdle);
    stop();
    expect(target.count()).toBe(0);
    vi.advanceTimersByTime(10 * MINUTE);
    expect(onIdle).not.toHaveBeenCalled();
  });
});

describe('lock shortcut', () => {
  const key = (
    k: string,
    mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey', boolean>> = {},
  ) => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    shiftKey: false,
    ...mods,
  });

  it('is Ctrl+L, or Cmd+L on a Mac, and nothing else', () => {
    expect(isLockShortcut(key('l', { ctrlKey: true }))).toBe(true);
    expect(isLockShortcut(key('L', { ctrlKey: true }))).toBe(true);
    expect(isLockShortcut(key('l', { metaKey: true }))).toBe(true);
    expect(isLockShortcut(key('l'))).toBe(false);
    expect(isLockShortcut(key('l', { ctrlKey: true, shiftKey: true }))).toBe(false);
    expect(isLockShortcut(key('l', { ctrlKey: true, altKey: true }))).toBe(false);
    expect(isLockShortcut(key('k', { ctrlKey: true }))).toBe(false);
  });
});
