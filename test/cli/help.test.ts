import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox } from './helpers.js';

const sandbox = createSandbox();
afterAll(() => sandbox.cleanup());

describe('omni --help', () => {
  it('lists every command and topic', async () => {
    const { exitCode, stdout } = await sandbox.run(['--help']);
    expect(exitCode).toBe(0);
    const listed = new Set([...stdout.matchAll(/^ {2}(\S+) {2,}/gm)].map((match) => match[1]));
    for (const name of ['infer', 'train', 'eval', 'export', 'models', 'data', 'doctor', 'plugins']) {
      expect(listed, name).toContain(name);
    }
  });

  it('shows the authors\' training defaults in train --help', async () => {
    const { stdout } = await sandbox.run(['train', '--help']);
    const flat = stdout.replace(/\s+/g, ' ');
    expect(flat).toMatch(/--alpha-g=<number> \[default: 1\.0\]/);
    expect(flat).toMatch(/--num-generations=<number> \[default: 8\]/);
    expect(flat).toMatch(/--beta=<number> \[default: 0\.04\]/);
    expect(flat).toMatch(/--lr=<number> \[default: 1e-6\]/);
    expect(flat).toMatch(/--max-grad-norm=<number> \[default: 5\]/);
    // Off by default as in the authors' script (FUSE_TEMPERATURE=false): RefAVS samples at --temperature unless given.
    expect(flat).toMatch(/--avs-temperature=<number> Sampling temperature of RefAVS batches/);
  });

  it('lists the subcommands of each topic', async () => {
    const [exportHelp, modelsHelp, dataHelp] = await Promise.all([
      sandbox.run(['export', '--help']),
      sandbox.run(['models', '--help']),
      sandbox.run(['data', '--help']),
    ]);
    for (const sub of ['export policy', 'export segmenter', 'export adapter']) expect(exportHelp.stdout).toContain(sub);
    for (const sub of ['models list', 'models info', 'models pull', 'models rm']) expect(modelsHelp.stdout).toContain(sub);
    expect(dataHelp.stdout).toContain('data synth');
  });
});
