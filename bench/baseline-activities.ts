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
};

export type BaselineActivities = typeof baselineActivities;
