// Runs `grasp-perception <args>` in-process through main(), capturing what it writes and its exit code.
import { main } from '../../src/cli/main';

export async function runMain(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const so = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const se = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(['node', 'grasp-perception', ...args]), out, err };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}
