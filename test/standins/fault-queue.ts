/**
 * Faults on demand, shared by the stand-ins: one-shot faults taken by the first request they
 * match (after letting `skip` matching requests through), and a latency added to every request.
 */
export class FaultQueue<F extends { skip?: number }> {
  private readonly pending: F[] = [];
  latencyMs = 0;

  next(fault: F): void {
    this.pending.push({ ...fault });
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  clear(): void {
    this.pending.length = 0;
    this.latencyMs = 0;
  }

  take(matches: (fault: F) => boolean): F | undefined {
    const index = this.pending.findIndex(matches);
    if (index < 0) return undefined;
    const fault = this.pending[index]!;
    if ((fault.skip ?? 0) > 0) {
      fault.skip = fault.skip! - 1;
      return undefined;
    }
    return this.pending.splice(index, 1)[0];
  }

  /** The public face a test uses. */
  controls(): { next(fault: F): void; setLatency(ms: number): void; clear(): void } {
    return { next: (f) => this.next(f), setLatency: (ms) => this.setLatency(ms), clear: () => this.clear() };
  }
}
