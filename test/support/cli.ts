/**
 * Test support: the built CLI (`dist/src/cli/main.js`) run as a user runs it, in a child process.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const CLI = join(process.cwd(), 'dist/src/cli/main.js');

export interface Run { code: number; stdout: string; stderr: string }

/** `riskcore ...args`: its exit code and output (a non-zero exit is a result, not a throw). */
export async function riskcore(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
