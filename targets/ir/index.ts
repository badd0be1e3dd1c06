import { canonicalJson } from '../../compiler/json.js';
import type { Target } from '../index.js';

/** The IR itself, as canonical JSON: exact by definition. */
export const irTarget: Target = {
  name: 'ir',
  description: 'the resolved policy as JSON (schemas/ir.schema.json); every rule exact',
  compile(ir) {
    return {
      files: [{ path: 'ir.json', content: canonicalJson(ir) }],
      fidelity: [],
      diagnostics: [],
    };
  },
};
