/** Formatting through Prettier with the .mxc plugin (the path editors and `prettier --write` take). */
import * as prettier from 'prettier';
import plugin from './prettier-plugin.js';

export async function formatWithPrettier(text: string, filepath: string): Promise<string> {
  return prettier.format(text, { parser: 'mxc', plugins: [plugin], filepath });
}
