import { loadSettings } from '../config/settings';
import { createDb } from '../db/client';
import { createDomains } from '../domains';

// Creates the demo lot once; later starts reuse it.
const DEMO_LOT = 'Demo lot';
const db = await createDb(loadSettings().DATABASE_URL);
const { parking } = createDomains(db, { faultsEnabled: false });
const existing = await db.lot.findFirst({ where: { name: DEMO_LOT }, orderBy: { createdAt: 'asc' } });
const lot = existing ? await parking.getLot(existing.id) : await parking.createLot({ name: DEMO_LOT, capacity: 50 });
console.log(`\n  Demo lot       ${lot.id}  (${lot.free} free of ${lot.capacity})`);
console.log(`                 export LOT=${lot.id}`);
await db.$disconnect();
