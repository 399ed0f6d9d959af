/** The baseline's activities: no I/O, each hands a small value on (bench/baseline-workflow.ts). */
export const baselineActivities = {
  async verify(id: string): Promise<string> {
    return id;
  },
  async findReservation(id: string): Promise<string> {
    return id;
  },
  async allocate(id: string): Promise<string> {
    return id;
  },
  async createEntryRecord(id: string): Promise<string> {
    return id;
  },
  /** A fair baseline's database step (local or ordinary): nothing. */
  async noop(id: string): Promise<string> {
    return id;
  },
};

/**
 * A fair baseline's vendor step: one HTTP round trip to a simulator that answers at once
 * (BASELINE_VENDOR_URL, the payment simulator's /health in the bench).
 */
export function createVendorActivity(url: string) {
  return {
    async vendorRoundTrip(id: string): Promise<string> {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`vendor answered ${res.status}`);
      return id;
    },
  };
}

export type BaselineActivities = typeof baselineActivities & ReturnType<typeof createVendorActivity>;
