import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { compileFile } from '../compiler/index.js';
import type { PolicyIR } from '../compiler/ir.js';
import { compileSeccomp } from '../targets/linux/seccomp/compile.js';
import type { Insn } from '../targets/linux/seccomp/bpf.js';
import { validateSeccomp } from './translation.js';

const ROOT = path.resolve(import.meta.dirname, '..');

function corpus(name: string): PolicyIR {
  const r = compileFile(path.join(ROOT, 'corpus', name), { cwd: ROOT });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.ir;
}

function small(): PolicyIR {
  const files = new Map([['/v/p.mxc', Buffer.from('policy p { syscalls { allow read, write  allow socket(domain != AF_VSOCK)  deny ioctl(request == TIOCSTI) kill_process  allow ioctl } }')]]);
  const r = compileFile('/v/p.mxc', { host: { readFile: (p) => files.get(p) }, cwd: '/v', stdDir: '/nostd' });
  return r.ir!;
}

describe('translation validation of seccomp programs', () => {
  it('the compiled programs agree with the policy on every call (corpus, both architectures)', async () => {
    for (const name of ['docker-default.mxc', 'coding-agent.mxc']) {
      const ir = corpus(name);
      for (const arch of ['x86_64', 'aarch64'] as const) {
        expect(await validateSeccomp(ir, arch, compileSeccomp(ir, arch).program), `${name} ${arch}`).toEqual([]);
      }
    }
  });

  it('catches deliberately miscompiled programs: each mutation is reported', async () => {
    const ir = small();
    const good = compileSeccomp(ir, 'x86_64').program;
    const mutate = (f: (p: Insn[]) => void): Insn[] => {
      const p = good.map((i) => ({ ...i }));
      f(p);
      return p;
    };
    const firstIndex = (pred: (i: Insn) => boolean): number => {
      const i = good.findIndex(pred);
      if (i < 0) throw new Error('mutation target not found');
      return i;
    };
    const mutations: [string, Insn[]][] = [
      ['swap the branches of the first jge', mutate((p) => { const i = firstIndex((x) => x.code === 0x35); [p[i]!.jt, p[i]!.jf] = [p[i]!.jf, p[i]!.jt]; })],
      ['move a tree split point by one', mutate((p) => { const i = firstIndex((x) => x.code === 0x35 && x.k > 1); p[i]!.k += 1; })],
      ['turn the default errno into allow', mutate((p) => { const i = firstIndex((x) => x.code === 0x06 && x.k === 0x00050001); p[i]!.k = 0x7fff0000; })],
      ['change the TIOCSTI constant', mutate((p) => { const i = firstIndex((x) => x.code === 0x15 && x.k === 0x5412); p[i]!.k = 0x5413; })],
      ['change the AF_VSOCK constant', mutate((p) => { const i = firstIndex((x) => x.code === 0x15 && x.k === 40); p[i]!.k = 41; })],
      ['break the architecture check', mutate((p) => { p[1]!.k = 0xc00000b7; })],
    ];
    for (const [what, program] of mutations) {
      const findings = await validateSeccomp(ir, 'x86_64', program);
      expect(findings.length, what).toBeGreaterThan(0);
    }
    expect(await validateSeccomp(ir, 'x86_64', good)).toEqual([]);
  });
});
