import { devServerArgs } from './temporal-dev-server';

// Prints the dev server's arguments for scripts/start.sh: node scripts/print-dev-server-args.ts PORT DBFILE UIPORT
const [port = '7233', dbFile = 'data/temporal.db', uiPort = '8233'] = process.argv.slice(2);
console.log(devServerArgs({ port: Number(port), dbFile, uiPort: Number(uiPort) }).join('\n'));
