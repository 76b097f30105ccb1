import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CORRAL_BIN = fileURLToPath(new URL('../../bin/corral', import.meta.url));

/** `bin/corral ARGS` as its own process, to its exit: the exit code and everything it printed. */
export function runCorral(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CORRAL_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
