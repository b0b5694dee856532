import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, lines } from './helpers.js';

const sandbox = createSandbox();
let video: string;
let dataRoot: string;
beforeAll(() => {
  video = join(sandbox.dir, 'clip.mp4');
  writeFileSync(video, 'not really a video; these commands only check that it exists');
  dataRoot = join(sandbox.dir, 'revos');
  mkdirSync(dataRoot);
});
afterAll(() => sandbox.cleanup());

/** Exactly one stderr line, `omni: ...`, no stack frames. */
function expectOneLine(stderr: string): string {
  const printed = lines(stderr);
  expect(printed, stderr).toHaveLength(1);
  expect(printed[0]).toMatch(/^omni: /);
  expect(stderr).not.toMatch(/^\s+at /m);
  return printed[0];
}

describe('user errors: one line, exit 2, no stack', () => {
  it('an unknown backend names itself, its source and the registered ones', async () => {
    const { exitCode, stderr } = await sandbox.run(['infer', video, 'who is speaking?', '--segmenter', 'nope']);
    expect(exitCode).toBe(2);
    expect(expectOneLine(stderr)).toBe('omni: unknown segmenter backend "nope" given by --segmenter (registered: sam2)');
  });

  it.each([
    [['train'], 'omni: no training data: --dataset is missing (e.g. --dataset revos --data-root data/revos, or --resume DIR)'],
    [['train', '--dataset', 'revos', '--dataset', 'refavs', '--data-root', 'REVOS'], 'omni: 2 --dataset but 1 --data-root flags (give one --data-root per --dataset, in the same order)'],
    [['train', '--dataset', 'revos', '--data-root', 'REVOS', '--alpha-g', '-1'], 'omni: --alpha-g -1 is out of range (it must be >= 0)'],
    [['train', '--dataset', 'revos', '--data-root', 'REVOS', '--top-p', 'lots'], 'omni: --top-p "lots" is not a number'],
    [['train', '--dataset', 'revos', '--data-root', 'REVOS', '--num-generations', '1'], 'omni: --num-generations 1 is out of range (it must be an integer >= 2)'],
    [['train', '--dataset', 'revos', '--data-root', 'REVOS', '--full', '--lora-rank', '8'], 'omni: --full trains every weight, so --lora-rank/--lora-alpha do not apply (drop one of them)'],
    [['eval', '--dataset', 'revos', '--data-root', 'REVOS', '--out', 'r', '--shard', '3/2'], 'omni: --shard "3/2" is not a shard (use k/n with 1 <= k <= n, e.g. 2/4)'],
    [['eval', '--dataset', 'revos', '--data-root', 'REVOS', '--out', 'r', '--limit', '0'], 'omni: --limit 0 is out of range (it must be an integer >= 1)'],
    [['infer', 'VIDEO', 'q', '--max-frames', '2.5'], 'omni: --max-frames 2.5 is out of range (it must be an integer >= 4)'],
    [['infer', 'missing.mp4', 'q'], 'omni: video missing.mp4 does not exist (check the path)'],
    [['data', 'synth', '--format', 'revos', '--out', 'd', '--size', '33x20'], 'omni: --size "33x20" is not a frame size (use WxH with even numbers, e.g. 320x240)'],
    [['export', 'policy', '--from', 'nowhere', '--out', 'm'], 'omni: --from checkpoint nowhere does not exist (check the path)'],
    [['train', 'segmenter', '--out', 'r', '--memory-from', 'REVOS'], 'omni: --memory-from is a video-stage option (add --stage video, or drop --memory-from)'],
    [['train', 'segmenter', '--out', 'r', '--from', 'nowhere', '--image-size', '256'], 'omni: --from run or checkpoint directory nowhere does not exist (check the path)'],
    [['train', 'segmenter', '--out', 'r', '--stop-after', '0'], 'omni: --stop-after 0 is out of range (it must be an integer >= 1)'],
  ])('omni %j', async (args, expected) => {
    const resolved = args.map((arg) => (arg === 'REVOS' ? dataRoot : arg === 'VIDEO' ? video : arg));
    const { exitCode, stderr } = await sandbox.run(resolved);
    expect(exitCode).toBe(2);
    expect(expectOneLine(stderr)).toBe(expected);
  });

  it('a missing data folder names the flag and the path', async () => {
    const { exitCode, stderr } = await sandbox.run(['eval', '--dataset', 'revos', '--data-root', 'no/such/dir', '--out', 'r']);
    expect(exitCode).toBe(2);
    expect(expectOneLine(stderr)).toBe('omni: --data-root no/such/dir does not exist (check the path)');
  });

  it('--debug adds the stack trace', async () => {
    const { exitCode, stderr } = await sandbox.run(['infer', 'missing.mp4', 'q', '--debug']);
    expect(exitCode).toBe(2);
    expect(lines(stderr)[0]).toBe('omni: video missing.mp4 does not exist (check the path)');
    expect(stderr).toMatch(/^InputError: video missing\.mp4 does not exist$/m);
    expect(stderr).toMatch(/^\s+at requirePath \(.*input-checks\.js/m);
  });

  it('oclif\'s own parse errors still exit 2 with oclif\'s message', async () => {
    const unknownFlag = await sandbox.run(['doctor', '--frobnicate']);
    expect(unknownFlag.exitCode).toBe(2);
    expect(unknownFlag.stderr).toContain('Nonexistent flag: --frobnicate');
    const badOption = await sandbox.run(['infer', video, 'q', '--device', 'tpu']);
    expect(badOption.exitCode).toBe(2);
    expect(badOption.stderr).toContain('Expected --device=tpu to be one of: cpu, cuda, webgpu, auto');
    const missingArg = await sandbox.run(['infer', video]);
    expect(missingArg.exitCode).toBe(2);
    expect(missingArg.stderr).toContain('Missing 1 required arg');
  });
});

describe('validated commands whose engine has not landed', () => {
  it('train without a policy checkpoint says how to give one', async () => {
    const run = await sandbox.run(['train', '--dataset', 'revos', '--data-root', dataRoot, '--alpha-g', '0.5']);
    expect(run.exitCode).toBe(2);
    expect(expectOneLine(run.stderr)).toMatch(/^omni: no policy checkpoint to train: --from is missing/);
  });

  it('infer without a policy model says how to configure one', async () => {
    const run = await sandbox.run(['infer', video, 'who is speaking?']);
    expect(run.exitCode).toBe(2);
    expect(expectOneLine(run.stderr)).toMatch(/^omni: no policy model configured for the qwen-omni backend/);
  });

  it('--device cuda without the CUDA EP says how to fetch it', async () => {
    const { exitCode, stderr } = await sandbox.run(['infer', video, 'q', '--device', 'cuda']);
    expect(exitCode).toBe(1);
    const line = expectOneLine(stderr);
    // On a machine where the CUDA EP is installed and works this reaches the library call instead.
    if (!line.includes('not implemented')) {
      expect(line).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js');
    }
  });
});
