/**
 * The only two IPC channels between the page and the main process. Kept beside the preload because
 * a sandboxed preload can require nothing but 'electron': this file must stay import-free.
 */
export const INVOKE_CHANNEL = 'enamel:invoke';
export const EVENT_CHANNEL = 'enamel:event';
