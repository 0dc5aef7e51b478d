// The prebuilt bundles are what every other suite runs: this suite fails when they are older than the sources.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENTRY_SOURCES, GuardEntry } from '../../lib/private/guard-entries';
import { ASSET_DIR, readManifest, sha256, sourceHash } from '../../scripts/build-lambda';

describe('assets/manifest.json', () => {
  it('records the hash of the current lambda/ sources, lockfile and build inputs (run `npm run build` when this fails)', () => {
    // GIVEN the manifest the last build wrote
    const manifest = readManifest();
    // THEN it exists and matches the sources as they are now
    expect(manifest).toBeDefined();
    expect(manifest!.sourceHash).toBe(sourceHash());
  });

  it('lists exactly one bundle per entry point, each with the bytes the build wrote', () => {
    const manifest = readManifest()!;
    expect(Object.keys(manifest.entries).sort()).toEqual(Object.values(GuardEntry).sort());
    for (const entry of Object.values(GuardEntry)) {
      const file = path.join(ASSET_DIR, `${entry}.js`);
      expect(manifest.entries[entry].source).toBe(ENTRY_SOURCES[entry]);
      expect(sha256(file)).toBe(manifest.entries[entry].sha256);
    }
    // Nothing else is zipped into the functions' code.
    expect(fs.readdirSync(ASSET_DIR).sort()).toEqual(Object.values(GuardEntry).map((e) => `${e}.js`).sort());
  });

  it('names an existing source file for every entry point', () => {
    for (const source of Object.values(ENTRY_SOURCES)) expect(fs.existsSync(path.join(__dirname, '..', '..', source))).toBe(true);
  });
});
