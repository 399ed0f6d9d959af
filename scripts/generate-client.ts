/**
 * Writes the typed client's generated part from the API's OpenAPI document:
 * client/openapi.json (the document) and client/schema.ts (its types, by openapi-typescript).
 * `npm run client:generate` after changing a route's schema; test/openapi.test.ts fails while
 * the checked-in files differ from what the API describes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLIENT_DIR, describeApi, generateTypes } from '../client/generate';

const document = await describeApi();
await writeFile(join(CLIENT_DIR, 'openapi.json'), `${JSON.stringify(document, null, 2)}\n`);
await writeFile(join(CLIENT_DIR, 'schema.ts'), await generateTypes(document));
console.log(`wrote client/openapi.json and client/schema.ts (${Object.keys(document.paths ?? {}).length} paths)`);
