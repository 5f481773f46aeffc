import { EventEmitter } from 'node:events';
import { vi, type Mock } from 'vitest';

/**
 * A stand-in for the 'electron' module, for unit tests of the shell without the Electron binary.
 * It records what our code asks of Electron and lets tests play Chromium's part: emit navigation
 * events, call IPC handlers as a given frame, request permissions. Use it with
 *
 *   vi.mock('electron', async () => (await import('../../support/fake-electron')).fakeElectron);
 *
 * and import `fakeElectron` in the test to drive it; `resetFakeElectron()` between tests.
 */

export const APP_PAGE = 'app://enamel/index.html';

export class FakeFrame {
  constructor(
    public url: string,
    public readonly parent: FakeFrame | null,
    public readonly processId: number,
    public readonly routingId: number,
  ) {}
}

interface NavigationDetails {
  url: string;
  preventDefault(): void;
}

let nextContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly mainFrame: FakeFrame;
  readonly sent: unknown[][] = [];
  destroyed = false;
  private windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;

  constructor(url = APP_PAGE) {
    super();
    this.mainFrame = new FakeFrame(url, null, 100 + this.id, 1);
  }

  /** A child frame of this page, as an iframe would be. */
  subframe(url = APP_PAGE): FakeFrame {
    return new FakeFrame(url, this.mainFrame, this.mainFrame.processId, 2);
  }

  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }

  /** Fires a navigation event the way Chromium does; true when our code prevented it. */
  navigate(event: 'will-navigate' | 'will-redirect' | 'will-frame-navigate', url: string): boolean {
    let prevented = false;
    const details: NavigationDetails = {
      url,
      preventDefault: () => {
        prevented = true;
      },
    };
    this.emit(event, details, url);
    return prevented;
  }

  /** A page asking for a <webview>; true when our code prevented it. */
  attachWebview(): boolean {
    let prevented = false;
    this.emit('will-attach-webview', { preventDefault: () => (prevented = true) }, {}, {});
    return prevented;
  }

  /** `window.open(url)` or a target=_blank link: what the window-open handler answers. */
  openWindow(url: string): { action: string } | 'no handler' {
    return this.windowOpenHandler ? this.windowOpenHandler({ url }) : 'no handler';
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  loadedUrl: string | null = null;
  shown = false;
  destroyed = false;

  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.instances.push(this);
    // Electron announces every new web contents on the app before the window is returned.
    fakeElectron.app.emit('web-contents-created', {}, this.webContents);
  }

  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    return Promise.resolve();
  }

  show(): void {
    this.shown = true;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  isMinimized(): boolean {
    return false;
  }

  restore(): void {}
  focus(): void {}
}

type PermissionRequestHandler = (
  contents: unknown,
  permission: string,
  callback: (granted: boolean) => void,
  details: unknown,
) => void;

export class FakeSession extends EventEmitter {
  permissionRequestHandler: PermissionRequestHandler | null = null;
  permissionCheckHandler: ((...args: unknown[]) => boolean) | null = null;
  devicePermissionHandler: ((...args: unknown[]) => boolean) | null = null;
  spellCheckerEnabled = true;

  setPermissionRequestHandler(handler: PermissionRequestHandler | null): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: ((...args: unknown[]) => boolean) | null): void {
    this.permissionCheckHandler = handler;
  }
  setDevicePermissionHandler(handler: ((...args: unknown[]) => boolean) | null): void {
    this.devicePermissionHandler = handler;
  }
  setSpellCheckerEnabled(enabled: boolean): void {
    this.spellCheckerEnabled = enabled;
  }

  /** A page asking for a permission: what it is granted (undefined if never answered). */
  requestPermission(permission: string): boolean | undefined {
    let granted: boolean | undefined;
    this.permissionRequestHandler?.({}, permission, (g) => (granted = g), {});
    return granted;
  }

  /** A download starting in the page; true when our code prevented it. */
  download(url: string): boolean {
    let prevented = false;
    this.emit('will-download', { preventDefault: () => (prevented = true) }, { getURL: () => url });
    return prevented;
  }
}

type InvokeHandler = (event: unknown, ...args: unknown[]) => unknown;

export class FakeIpcMain {
  readonly handlers = new Map<string, InvokeHandler>();

  handle(channel: string, handler: InvokeHandler): void {
    // Electron refuses a second handler on one channel; so does the fake.
    if (this.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  /** Calls the handler as Electron would for `ipcRenderer.invoke` from `frame` in `sender`. */
  async invokeFrom(
    sender: FakeWebContents,
    frame: FakeFrame | null,
    channel: string,
    ...args: unknown[]
  ): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler({ sender, senderFrame: frame, processId: frame?.processId ?? 0 }, ...args);
  }
}

export class FakeIpcRenderer extends EventEmitter {
  readonly invoke: Mock<(channel: string, ...args: unknown[]) => Promise<unknown>> = vi.fn();
}

export type FakeApp = EventEmitter & {
  isPackaged: boolean;
  enableSandbox: Mock<() => void>;
  quit: Mock<() => void>;
  exit: Mock<(code?: number) => void>;
  setPath: Mock<(name: string, value: string) => void>;
  requestSingleInstanceLock: Mock<() => boolean>;
  whenReady: Mock<() => Promise<void>>;
};

export interface FakeElectron {
  app: FakeApp;
  BrowserWindow: typeof FakeBrowserWindow;
  ipcMain: FakeIpcMain;
  ipcRenderer: FakeIpcRenderer;
  contextBridge: { exposeInMainWorld: Mock<(key: string, api: unknown) => void> };
  protocol: {
    registerSchemesAsPrivileged: Mock<(schemes: unknown[]) => void>;
    handle: Mock<(scheme: string, handler: (request: Request) => Promise<Response>) => void>;
  };
  session: { defaultSession: FakeSession };
  shell: { openExternal: Mock<(url: string) => Promise<void>> };
  powerMonitor: EventEmitter;
  Menu: {
    buildFromTemplate: Mock<(template: unknown) => unknown>;
    setApplicationMenu: Mock<(menu: unknown) => void>;
  };
}

function createFakeElectron(): FakeElectron {
  const app: FakeApp = Object.assign(new EventEmitter(), {
    isPackaged: false,
    enableSandbox: vi.fn<() => void>(),
    quit: vi.fn<() => void>(),
    exit: vi.fn<(code?: number) => void>(),
    setPath: vi.fn<(name: string, value: string) => void>(),
    requestSingleInstanceLock: vi.fn(() => true),
    whenReady: vi.fn(() => Promise.resolve()),
  });
  return {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain: new FakeIpcMain(),
    ipcRenderer: new FakeIpcRenderer(),
    contextBridge: { exposeInMainWorld: vi.fn<(key: string, api: unknown) => void>() },
    protocol: {
      registerSchemesAsPrivileged: vi.fn<(schemes: unknown[]) => void>(),
      handle: vi.fn<(scheme: string, handler: (request: Request) => Promise<Response>) => void>(),
    },
    session: { defaultSession: new FakeSession() },
    shell: { openExternal: vi.fn<(url: string) => Promise<void>>(() => Promise.resolve()) },
    powerMonitor: new EventEmitter(),
    Menu: {
      buildFromTemplate: vi.fn((template: unknown) => template),
      setApplicationMenu: vi.fn<(menu: unknown) => void>(),
    },
  };
}

export const fakeElectron: FakeElectron = createFakeElectron();

/** Forgets listeners, windows and recorded calls, so each test starts from a fresh Electron. */
export function resetFakeElectron(): void {
  fakeElectron.app.removeAllListeners();
  fakeElectron.app.isPackaged = false;
  fakeElectron.powerMonitor.removeAllListeners();
  fakeElectron.ipcMain.handlers.clear();
  fakeElectron.ipcRenderer.removeAllListeners();
  FakeBrowserWindow.instances = [];
  fakeElectron.session.defaultSession = new FakeSession();
  vi.clearAllMocks();
}
