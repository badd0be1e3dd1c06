/**
 * Characters a reader cannot see or tell from others: controls (a tab, U+001F, DEL, C1), format
 * characters (bidi overrides such as U+202E, zero-width ones such as U+200B, U+FEFF), line and
 * paragraph separators, and every space but U+0020 (U+00A0 looks like one). "/srv/\u{200B}secrets"
 * shown raw would look like "/srv/secrets" in a review. The formatter prints them escaped in
 * string literals, and requests and counterexamples show a path holding one as a JSON string.
 */
export const UNSEEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u;
