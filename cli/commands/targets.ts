import type { Command } from 'commander';
import { EXIT_OK, type CommandContext } from '../context.js';

export function registerTargets(program: Command, ctx: CommandContext): void {
  program
    .command('targets')
    .description('list the backends and what each can enforce')
    .action(async () => {
      const { TARGETS } = await import('../../targets/index.js');
      const width = Math.max(...TARGETS.map((t) => t.name.length));
      ctx.io.stdout(TARGETS.map((t) => `${t.name.padEnd(width)}  ${t.description}\n`).join(''));
      ctx.exit(EXIT_OK);
    });
}
