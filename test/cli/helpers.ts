import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(repoRoot, 'bin', 'run.js');

export interface OmniRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A scratch folder with its own OMNI_HOME and oclif data/config/cache dirs, so tests never see the user's. */
export interface Sandbox {
  dir: string;
  env: Record<string, string>;
  run(args: string[], options?: { cwd?: string; env?: Record<string, string> }): Promise<OmniRun>;
  cleanup(): void;
}

export function createSandbox(): Sandbox {
  if (!existsSync(join(repoRoot, 'dist', 'commands', 'doctor.js'))) {
    throw new Error('the CLI is not built; run npm run build before these tests');
  }
  const dir = mkdtempSync(join(tmpdir(), 'omni-cli-test-'));
  const env = {
    OMNI_HOME: join(dir, 'home'),
    OMNI_DATA_DIR: join(dir, 'oclif-data'),
    OMNI_CONFIG_DIR: join(dir, 'oclif-config'),
    OMNI_CACHE_DIR: join(dir, 'oclif-cache'),
    // No bundled models unless a test puts some here: the CLI tests must not depend on the shipped models/nano.
    OMNI_BUNDLED_MODELS: join(dir, 'bundled-models'),
    // vitest sets NODE_ENV=test, which would make oclif look for TypeScript sources instead of dist/.
    NODE_ENV: 'production',
    OMNI_DEBUG: '',
    // CI=true makes chalk colour its output; tests compare plain text.
    FORCE_COLOR: '0',
    NO_COLOR: '1',
  };
  return {
    dir,
    env,
    async run(args, options = {}) {
      const result = await execa(process.execPath, [bin, ...args], {
        cwd: options.cwd ?? dir,
        env: { ...env, ...options.env },
        reject: false,
      });
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Non-empty lines of a stream. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}
