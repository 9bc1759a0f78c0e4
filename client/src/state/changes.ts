/**
 * How the views learn of changes: a version bumped on each one, the listeners told once per
 * microtask however many came; and the live events (messages and mentions as they arrive).
 */
import type { LiveEvent } from "./chatTypes.js";

export class Changes {
  /** Bumped on every change. */
  version = 0;
  private readonly listeners = new Set<() => void>();
  private readonly liveListeners = new Set<(e: LiveEvent) => void>();
  private notifyQueued = false;

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Messages from others and mentions as they come live (see `LiveEvent`). */
  onLive(fn: (e: LiveEvent) => void): () => void {
    this.liveListeners.add(fn);
    return () => this.liveListeners.delete(fn);
  }

  protected live(e: LiveEvent) {
    for (const fn of this.liveListeners) fn(e);
  }

  protected changed() {
    this.version++;
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      for (const fn of this.listeners) fn();
    });
  }
}
