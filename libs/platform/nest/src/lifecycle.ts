/**
 * Process lifecycle shared by readiness and shutdown: once draining starts, `/ready` answers 503
 * so the load balancer stops sending work while in-flight requests finish.
 */
export class Lifecycle {
  readonly startedAt = new Date();
  #draining = false;

  get draining(): boolean {
    return this.#draining;
  }

  startDraining(): void {
    this.#draining = true;
  }

  uptimeSeconds(): number {
    return Math.round((Date.now() - this.startedAt.getTime()) / 1000);
  }
}
