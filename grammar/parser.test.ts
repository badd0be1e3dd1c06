import { describe, expect, it } from 'vitest';
import { MxcParser } from './parser.js';

describe('the grammar', () => {
  it("passes chevrotain's validations (the shared parser skips them at start-up)", () => {
    // chevrotain throws on definition errors unless they are deferred; with them deferred
    // (as here) they are listed on the parser, which its typings do not declare.
    const deferred = MxcParser as unknown as { DEFER_DEFINITION_ERRORS_HANDLING: boolean };
    deferred.DEFER_DEFINITION_ERRORS_HANDLING = true;
    try {
      const parser = new MxcParser({ validateGrammar: true }) as unknown as { definitionErrors: { message: string }[] };
      expect(parser.definitionErrors.map((e) => e.message)).toEqual([]);
    } finally {
      deferred.DEFER_DEFINITION_ERRORS_HANDLING = false;
    }
  });
});
