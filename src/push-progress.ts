import type { PushEvent } from './push-stream.js';

export interface ProgressOptions {
  log: (line: string) => void;
  now?: () => number;
  /** Least time between two upload progress lines. */
  intervalMs?: number;
}

interface LayerState {
  status: string;
  current: number;
  total: number;
}

/**
 * Turns push events into log lines a person can read: one line when a layer
 * changes state, and an upload summary over all layers throttled by time,
 * so a large push logs about as much as a small one.
 */
export class PushProgress {
  private readonly layers = new Map<string, LayerState>();
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private lastProgressAt: number;

  constructor(options: ProgressOptions) {
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.intervalMs = options.intervalMs ?? 10_000;
    this.lastProgressAt = this.now();
  }

  handle(event: PushEvent): void {
    if (event.type === 'info') this.log(event.message);
    if (event.type !== 'layer') return;

    const state = this.layers.get(event.id) ?? {
      status: '',
      current: 0,
      total: 0,
    };
    const status = stateOf(event.status);
    if (status !== state.status) {
      this.log(`${event.id}: ${status === 'Retrying' ? event.status : status}`);
      state.status = status;
    }
    if (status === 'Pushing' && event.total) {
      state.current = event.current ?? state.current;
      state.total = event.total;
    } else if (status !== 'Pushing' && state.total) {
      state.current = state.total;
    }
    this.layers.set(event.id, state);
    if (status === 'Pushing') this.maybeLogUpload();
  }

  private maybeLogUpload(): void {
    const now = this.now();
    if (now - this.lastProgressAt < this.intervalMs) return;
    this.lastProgressAt = now;
    let current = 0;
    let total = 0;
    let done = 0;
    for (const layer of this.layers.values()) {
      current += layer.current;
      total += layer.total;
      if (isFinished(layer.status)) done += 1;
    }
    this.log(
      `Uploaded ${formatBytes(current)} of ${formatBytes(total)} ` +
        `(${done} of ${this.layers.size} layers done)`,
    );
  }
}

// "Retrying in 5 seconds" counts down every second; one line is enough.
function stateOf(status: string): string {
  return status.startsWith('Retrying in') ? 'Retrying' : status;
}

function isFinished(status: string): boolean {
  return (
    status === 'Pushed' ||
    status === 'Layer already exists' ||
    status.startsWith('Mounted from')
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
