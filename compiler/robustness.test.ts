/** The checker never throws: any bytes, any syntactically valid document, only diagnostics. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { printDocument } from '../format/printer.js';
import { arbitraryDocument } from '../test/arbitraries.js';
import { compileText } from '../test/compile-text.js';

const RUNS = Number(process.env.MXCC_PROPERTY_RUNS ?? 300);

function compileBytes(bytes: Uint8Array, params: Record<string, string> = {}) {
  return compileText(bytes, { params });
}

describe('the checker never throws', () => {
  it('on arbitrary byte strings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const r = compileBytes(bytes);
        expect(Array.isArray(r.diagnostics)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400, unit: 'binary' }), (text) => {
        const r = compileBytes(Buffer.from(text));
        // A text that is not a policy always explains why.
        if (!r.ir) expect(r.diagnostics.length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('on random syntactically valid policies (every construct, nonsense values)', () => {
    fc.assert(
      fc.property(arbitraryDocument(), fc.dictionary(fc.constantFrom('home', 'workspace', 'x'), fc.string({ maxLength: 12 })), (doc, params) => {
        const r = compileBytes(Buffer.from(printDocument(doc)), params);
        for (const d of r.diagnostics) {
          expect(d.code).toMatch(/^MXC\d{4}$/);
          expect(d.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('on policy-shaped text with random glob, host and number fragments', () => {
    const fragment = fc.string({ maxLength: 16, unit: fc.constantFrom(...'/*?[]{},.~$-!^a0:'.split('')) });
    fc.assert(
      fc.property(fragment, fragment, fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }), (glob, host, n) => {
        const text = `policy p {
          param home: path = "/home/u"
          fs { allow read ${JSON.stringify(glob)} except ${JSON.stringify(glob + '/x')} }
          net { allow connect tcp ${JSON.stringify(host)}:443 }
          syscalls { allow socket(domain == ${n}) }
        }`;
        const r = compileBytes(Buffer.from(text));
        expect(Array.isArray(r.diagnostics)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
