import { describe, expect, it } from 'vitest';
import { canonicalJson, jsonLocator } from './json.js';

/** The text a pointer's location spans. */
const at = (text: string, pointer: string, fold?: (k: string) => string): string => {
  const { offset, length } = jsonLocator(text, fold)(pointer);
  return text.slice(offset, offset + length);
};

describe('jsonLocator', () => {
  const text = '{\n  "a": [1, {"b": "x,]}\\"y"}, [true]],\n  "c/d": {"e~f": null},\n  "g": -1.5e3 ,"h": {}\n}';

  it('finds values by JSON pointer: scalars span their token, objects and arrays their bracket', () => {
    expect(at(text, '')).toBe('{');
    expect(at(text, '/a')).toBe('[');
    expect(at(text, '/a/0')).toBe('1');
    expect(at(text, '/a/1/b')).toBe('"x,]}\\"y"');
    expect(at(text, '/a/2/0')).toBe('true');
    expect(at(text, '/c~1d/e~0f')).toBe('null');
    expect(at(text, '/g')).toBe('-1.5e3');
    expect(at(text, '/h')).toBe('{');
    expect(jsonLocator(text)('/a/1/b').offset).toBe(text.indexOf('"x,'));
  });

  it('stops at the deepest value a pointer reaches', () => {
    expect(at(text, '/a/7')).toBe('[');
    expect(at(text, '/a/1/zz/0')).toBe('{');
    expect(at(text, '/g/x')).toBe('-1.5e3');
    expect(at(text, '/a/01')).toBe('['); // not an array index
  });

  it('takes the last of duplicate keys, as JSON.parse does, and folds keys when asked', () => {
    const dup = '{"k": 1, "K": 2, "k": 3}';
    expect(at(dup, '/k')).toBe('3');
    expect(at(dup, '/K')).toBe('2');
    const lower = (k: string): string => k.toLowerCase();
    expect(at('{"k": 1, "K": 2}', '/k', lower)).toBe('2');
    expect(at('{"Syscalls": [{"ACTION": "x"}]}', '/syscalls/0/action', lower)).toBe('"x"');
  });

  it('reads any depth without recursion', () => {
    const depth = 200_000;
    const deep = `{"a": ${'['.repeat(depth)}${']'.repeat(depth)}, "b": 7}`;
    expect(at(deep, '/b')).toBe('7');
    expect(at(deep, '/a/0/0/0')).toBe('[');
  });

  it('leaves canonicalJson alone: sorted keys, trailing newline', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{\n  "a": [\n    {\n      "c": 2,\n      "d": 1\n    }\n  ],\n  "b": 1\n}\n');
  });
});
