import { describe, expect, it } from 'vitest';
import type { PolicyIR } from '../../compiler/ir.js';
import { planLandlock } from './landlock.js';
import { mustCompile } from '../../test/compile-text.js';

function ir(body: string, extra = ''): PolicyIR {
  const text = `policy p {\n  param home: path = "/home/u" where not under "/usr", "/etc"\n  param ws: path = "/w"\n${body}\n}\n${extra}`;
  return mustCompile(text).ir;
}

const grants = (p: ReturnType<typeof planLandlock>) => p.plan.grants.map((g) => ({ pattern: g.pattern, mode: g.mode, rights: g.rights, carve: g.carve, exclude: g.exclude }));

describe('Landlock plan: filesystem', () => {
  it('a plain hierarchy grant is exact', () => {
    const p = planLandlock(ir('fs { allow read, list, exec "/usr/**" }'));
    expect(grants(p)).toEqual([{ pattern: '/usr/**', mode: 'beneath', rights: ['execute', 'read_file', 'read_dir'], carve: [], exclude: [] }]);
    expect(p.fidelity).toEqual([{ rule: 'fs.0', fidelity: 'exact' }]);
    expect(p.diagnostics).toEqual([]);
  });

  it('a literal deny inside a grant is carved out, for the rights it denies only', () => {
    const p = planLandlock(ir('fs { allow read, write "~/**"\n deny read "~/.ssh/**" }'));
    expect(grants(p)).toEqual([
      { pattern: '${home}/**', mode: 'beneath', rights: ['read_file'], carve: ['${home}/.ssh/**'], exclude: [] },
      { pattern: '${home}/**', mode: 'beneath', rights: ['write_file'], carve: [], exclude: [] },
    ]);
    expect(p.fidelity.find((f) => f.rule === 'fs.0')).toMatchObject({ fidelity: 'stricter' });
    expect(p.fidelity.find((f) => f.rule === 'fs.0')!.note).toContain('if it exists at launch it is masked, covered by an inaccessible node (EACCES)');
    expect(p.fidelity.find((f) => f.rule === 'fs.0')!.note).toContain('if it does not, it is carved out');
    expect(p.fidelity.find((f) => f.rule === 'fs.1')).toMatchObject({ rule: 'fs.1', fidelity: 'exact' });
    expect(p.fidelity.find((f) => f.rule === 'fs.1')!.note).toContain('masked at launch where it exists');
    expect(p.plan.masks).toEqual([]);
  });

  it('a deny with wildcards inside a grant is masked, weaker, and an error unless accepted', () => {
    const policy = 'fs { allow read "${ws}/**"\n deny read "**/.env" }';
    const p = planLandlock(ir(policy));
    expect(p.plan.masks).toEqual([{ pattern: '/**/.env', rights: ['read_file'], rule: 'fs.1' }]);
    expect(p.fidelity.find((f) => f.rule === 'fs.1')!.note).toContain('"/**/.env" covered by an inaccessible node (EACCES); matches created after launch are not masked');
    expect(p.fidelity.find((f) => f.rule === 'fs.1')).toMatchObject({ fidelity: 'weaker' });
    expect(p.diagnostics.map((d) => d.code)).toEqual(['MXC3102']);
    expect(p.diagnostics[0]!.help).toContain('target linux { accept weaker "/**/.env" }');
    const accepted = planLandlock(ir(`${policy}\n target linux { accept weaker "**/.env" }`));
    expect(accepted.diagnostics).toEqual([]);
    expect(accepted.fidelity.find((f) => f.rule === 'fs.1')!.note).toContain('accepted by the policy');
  });

  it('masks carry the rights they deny: delete and refer of .git keep its contents writable', () => {
    const p = planLandlock(ir('fs { allow read, write, create, delete, refer "${ws}/**"\n deny delete, refer "**/.git"\n deny write "**/.git/config" }\n target linux { accept weaker "**/.git", "**/.git/config" }'));
    expect(p.plan.masks).toEqual([
      { pattern: '/**/.git', rights: ['remove_dir', 'remove_file', 'refer'], rule: 'fs.1' },
      { pattern: '/**/.git/config', rights: ['write_file'], rule: 'fs.2' },
    ]);
    const note = p.fidelity.find((f) => f.rule === 'fs.1')!.note!;
    expect(note).toContain('"/**/.git" bound onto itself (a mount point: removing or renaming it fails with EBUSY; a matching directory keeps its contents writable)');
    expect(p.fidelity.find((f) => f.rule === 'fs.2')!.note).toContain('bound onto itself read-only if it is a file (EROFS)');
  });

  it('a deny that covers the whole grant removes the right (exact)', () => {
    const p = planLandlock(ir('fs { allow read, write "/srv/a/**"\n deny write "/srv/**" }'));
    expect(grants(p)).toEqual([{ pattern: '/srv/a/**', mode: 'beneath', rights: ['read_file'], carve: [], exclude: [] }]);
    expect(p.plan.masks).toEqual([]);
  });

  it('single files take file rights only and test denies at launch', () => {
    const p = planLandlock(ir('fs { allow read, list, write "/etc/app.conf", "/etc/x/*.conf"\n deny write "/etc/x/secret*" }'));
    expect(grants(p)).toEqual([
      { pattern: '/etc/app.conf', mode: 'exact', rights: ['write_file', 'read_file'], carve: [], exclude: [] },
      { pattern: '/etc/x/*.conf', mode: 'expand', rights: ['read_file'], carve: [], exclude: [] },
      { pattern: '/etc/x/*.conf', mode: 'expand', rights: ['write_file'], carve: [], exclude: ['/etc/x/secret*'] },
    ]);
    expect(p.diagnostics).toEqual([]);
  });

  it('create and delete need the parent directory: on single files they are not granted (stricter)', () => {
    const p = planLandlock(ir('fs { allow create, delete, write "/data/out.txt" }'));
    expect(grants(p)).toEqual([{ pattern: '/data/out.txt', mode: 'exact', rights: ['write_file'], carve: [], exclude: [] }]);
    expect(p.fidelity[0]).toMatchObject({ fidelity: 'stricter' });
    expect(p.fidelity[0]!.note).toContain('create, delete on "/data/out.txt" would need its parent directory granted');
  });

  it("a deny's except clause is granted back, and other denies still apply to it", () => {
    const p = planLandlock(ir('fs { allow read "/srv/**"\n deny read "/srv/shared/**" except "/srv/shared/inbox/**"\n deny read "/srv/shared/inbox/private/**" }'));
    expect(grants(p)).toEqual([
      { pattern: '/srv/**', mode: 'beneath', rights: ['read_file'], carve: ['/srv/shared/**', '/srv/shared/inbox/private/**'], exclude: [] },
      { pattern: '/srv/shared/inbox/**', mode: 'beneath', rights: ['read_file'], carve: ['/srv/shared/inbox/private/**'], exclude: [] },
    ]);
  });

  it("param constraints rule out overlaps: ${home} is not under /usr", () => {
    const p = planLandlock(ir('fs { allow read "/usr/**", "/tmp/**"\n deny read "~/.ssh/**" }'));
    expect(p.plan.grants.find((g) => g.pattern === '/usr/**')!.carve).toEqual([]);
    // ${home} could be under /tmp: the carve is resolved at launch.
    expect(p.plan.grants.find((g) => g.pattern === '/tmp/**')!.carve).toEqual(['${home}/.ssh/**']);
  });

  it('requires the ABI of every handled right unless the policy makes it best-effort', () => {
    expect(planLandlock(ir('fs { allow read "/usr/**" }')).plan.minAbi).toBe(6);
    const be = planLandlock(ir('fs { allow read "/usr/**" }\n target linux { best_effort "landlock.scopes", "landlock.ioctl_dev", "landlock.truncate" }'));
    expect(be.plan.minAbi).toBe(2);
    expect(be.plan.bestEffort).toEqual(['landlock.ioctl_dev', 'landlock.scopes', 'landlock.truncate']);
    const bad = planLandlock(ir('fs { allow read "/usr/**" }\n target linux { best_effort "landlock.everything" }'));
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['MXC3103']);
  });
});

describe('Landlock plan: network', () => {
  it('no net rules: no network (own namespace)', () => {
    const p = planLandlock(ir(''));
    expect(p.plan.netMode).toBe('none');
    expect(p.plan.net).toBeNull();
  });

  it('only denies: nothing is allowed, so no network at all, exactly', () => {
    const p = planLandlock(ir('net { deny connect any "169.254.169.254"\n deny connect tcp "evil.example":443 }'));
    expect(p.plan.netMode).toBe('none');
    expect(p.plan.net).toBeNull();
    expect(p.fidelity.filter((f) => f.rule.startsWith('net.')).map((f) => f.fidelity)).toEqual(['exact', 'exact']);
  });

  it('any-host TCP rules become port rules, minus denied ports', () => {
    const p = planLandlock(ir('net { allow connect tcp any:440-450\n deny connect tcp any:443\n allow bind tcp any:8080 }'));
    expect(p.plan.netMode).toBe('ports');
    expect(p.plan.net!.handled).toEqual(['bind_tcp', 'connect_tcp']);
    expect(p.plan.net!.ports.map((x) => `${x.port}:${x.rights.join('|')}`)).toEqual([
      '440:connect_tcp', '441:connect_tcp', '442:connect_tcp', '444:connect_tcp', '445:connect_tcp', '446:connect_tcp',
      '447:connect_tcp', '448:connect_tcp', '449:connect_tcp', '450:connect_tcp', '8080:bind_tcp',
    ]);
  });

  it('all ports allowed leaves that right unhandled', () => {
    const p = planLandlock(ir('net { allow connect tcp any }'));
    expect(p.plan.net).toEqual({ handled: ['bind_tcp'], ports: [] });
  });

  it('host names, UDP or resolve go through the proxy', () => {
    expect(planLandlock(ir('net { allow connect tcp "example.com":443 }')).plan.netMode).toBe('proxy');
    expect(planLandlock(ir('net { allow connect udp any:53 }')).plan.netMode).toBe('proxy');
    expect(planLandlock(ir('net { allow connect tcp any:443\n allow resolve "example.com" }')).plan.netMode).toBe('proxy');
  });
});
