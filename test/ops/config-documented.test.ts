import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_URLS } from '../../config/external-services';
import { DEV_DEFAULTS, parseSettings } from '../../config/settings';
import { documentedNames, platformEnvNames, repoPath, scriptEnvNames } from './env-names';

/** docs/configuration.md lists every environment variable the code reads, and only those. */
const doc = readFileSync(repoPath('docs/configuration.md'), 'utf8');
const sections = documentedNames(doc);
const platformDoc = sections.get('Platform processes') ?? [];
const scriptsDoc = sections.get('Scripts and tests') ?? [];
const composeDoc = sections.get('Compose stack only') ?? [];
const platform = platformEnvNames();
const scripts = scriptEnvNames();

/** The default column of a row in the platform table, without backticks. */
function documentedDefault(name: string): string | undefined {
  const start = doc.indexOf('## Platform processes');
  const end = doc.indexOf('\n## ', start + 1);
  const row = doc.slice(start, end).split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
  return row?.split('|')[2]?.trim().replaceAll('`', '');
}

describe('docs/configuration.md', () => {
  it('has the three tables', () => {
    expect(platformDoc.length).toBeGreaterThan(20);
    expect(scriptsDoc.length).toBeGreaterThan(5);
    expect(composeDoc.length).toBeGreaterThan(3);
  });

  it('documents every variable the platform processes read', () => {
    const missing = [...platform].filter(([name]) => !platformDoc.includes(name)).map(([name, files]) => `${name} (${[...files].join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('documents every variable the scripts and the test harness read', () => {
    const missing = [...scripts]
      .filter(([name]) => !scriptsDoc.includes(name) && !platformDoc.includes(name))
      .map(([name, files]) => `${name} (${[...files].join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('documents no variable that nothing reads', () => {
    expect(platformDoc.filter((name) => !platform.has(name))).toEqual([]);
    expect(scriptsDoc.filter((name) => !scripts.has(name))).toEqual([]);
  });

  it('lists each variable once per table', () => {
    for (const names of [platformDoc, scriptsDoc, composeDoc]) expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('states the defaults the code has', () => {
    const defaults = parseSettings({}, { serving: false }); // unset NODE_ENV: the production defaults
    const wrong: string[] = [];
    for (const [name, value] of Object.entries(defaults)) {
      if (name in DEV_DEFAULTS || !['string', 'number', 'boolean'].includes(typeof value)) continue;
      if (documentedDefault(name) !== String(value)) wrong.push(`${name}: code ${String(value)}, docs ${documentedDefault(name)}`);
    }
    for (const [name, value] of Object.entries(DEFAULT_SERVICE_URLS)) {
      if (documentedDefault(name) !== value) wrong.push(`${name}: code ${value}, docs ${documentedDefault(name)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('lists exactly the variables docker-compose.temporal.yml interpolates', () => {
    const compose = readFileSync(repoPath('docker-compose.temporal.yml'), 'utf8');
    const interpolated = new Set([...compose.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    expect([...interpolated].filter((name) => !composeDoc.includes(name))).toEqual([]);
    expect(composeDoc.filter((name) => !interpolated.has(name))).toEqual([]);
  });
});
