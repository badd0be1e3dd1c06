import { describe, expect, it } from 'vitest';
import { loadTargets, IMPLEMENTED_TARGETS } from './catalog.js';
import { TARGETS } from './index.js';

describe('the target catalog', () => {
  it('names every target, in the order of TARGETS, and loads the same objects', async () => {
    expect(IMPLEMENTED_TARGETS).toEqual(TARGETS.map((t) => t.name));
    expect(await loadTargets(IMPLEMENTED_TARGETS)).toEqual([...TARGETS]);
    expect((await loadTargets(['oci', 'nope', 'ir'])).map((t) => t.name)).toEqual(['ir', 'oci']);
  });
});
