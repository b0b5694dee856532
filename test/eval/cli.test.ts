import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalSummary } from '../../src/core/eval/index.js';
import { createSandbox, lines, type Sandbox } from '../cli/helpers.js';
import { DatasetFixture, REVOS_GT, writeRevosDataset, writeVosPredictions } from './fixtures.js';

// Needs `npm run build` first: the CLI runs from dist/.
let sandbox: Sandbox;
let data: DatasetFixture;
let preds: DatasetFixture;

beforeAll(async () => {
  sandbox = createSandbox();
  [data, preds] = await Promise.all([DatasetFixture.create(), DatasetFixture.create()]);
  await writeRevosDataset(data);
  await writeVosPredictions(preds, REVOS_GT);
});
afterAll(async () => {
  sandbox.cleanup();
  await Promise.all([data.dispose(), preds.dispose()]);
});

const base = (): string[] => ['eval', '--dataset', 'revos', '--data-root', data.root, '--split', 'valid', '--predictions', preds.root];

describe('omni eval --predictions (CLI)', () => {
  it('scores a predictions folder and prints the paper table; --json prints summary.json and no progress bar', async () => {
    const table = await sandbox.run([...base(), '--out', 'report']);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toContain('| 100.0 | 100.0 | 100.0 | 100.0 | 100.0 |');
    expect(table.stderr).toBe('');
    const json = await sandbox.run([...base(), '--out', 'report-json', '--json']);
    expect(json.exitCode).toBe(0);
    const summary = JSON.parse(json.stdout) as EvalSummary;
    expect(summary).toMatchObject({ schema: 'omni-r1/eval-summary@1', dataset: 'revos', split: 'valid', complete: true });
    expect(summary.metrics.revos!.overall.jf).toBe(100);
    const onDisk = JSON.parse(await readFile(`${sandbox.dir}/report-json/summary.json`, 'utf8')) as EvalSummary;
    expect(onDisk.metrics).toEqual(summary.metrics);
  });

  it('shards through the CLI and merges them with omni eval merge', async () => {
    const shards = await Promise.all([1, 2].map((index) => sandbox.run([...base(), '--shard', `${index}/2`, '--out', `shard-${index}`])));
    expect(shards.map((run) => run.exitCode)).toEqual([0, 0]);
    const merged = await sandbox.run(['eval', 'merge', 'shard-1', 'shard-2', '--out', 'merged', '--json']);
    expect(merged.exitCode).toBe(0);
    const summary = JSON.parse(merged.stdout) as EvalSummary;
    expect(summary.counts.scored).toBe(5);
    expect(summary.complete).toBe(true);
    expect(summary.metrics.jf).toEqual({ j: 100, f: 100, jf: 100, count: 5 });
  });

  it('fails with one line when a prediction is missing, and without --predictions', async () => {
    const empty = await DatasetFixture.create();
    try {
      const missing = await sandbox.run(['eval', '--dataset', 'revos', '--data-root', data.root, '--split', 'valid', '--predictions', empty.root, '--out', 'bad']);
      expect(missing.exitCode).toBe(2);
      expect(lines(missing.stderr)).toEqual([
        `omni: ${empty.path('vidA', '0', '00000.png')}: prediction is missing (write one PNG per frame (non-zero = object), or pass --skip-bad to score such items 0 as the reference evaluators do)`,
      ]);
    } finally {
      await empty.dispose();
    }
    const none = await sandbox.run(['eval', '--dataset', 'revos', '--data-root', data.root, '--split', 'valid', '--out', 'none']);
    expect(none.exitCode).toBe(2);
    expect(lines(none.stderr)).toHaveLength(1);
    // Without --predictions omni eval runs the configured models first; none is configured here.
    expect(none.stderr).toMatch(/^omni: no policy model configured for the qwen-omni backend/);
    // --vos-audio is for runs of the models; scored predictions have no System 1 to hear anything.
    const audio = await sandbox.run([...base(), '--vos-audio', '--out', 'audio']);
    expect(audio.exitCode).toBe(2);
    expect(lines(audio.stderr)).toEqual(['omni: --vos-audio applies when omni eval runs the models; --predictions are scored as they are (drop --vos-audio)']);
    const both = await sandbox.run([...base(), '--vos-audio', '--grounding-model', 'g', '--out', 'audio']);
    expect(lines(both.stderr)).toEqual(['omni: --vos-audio and --grounding-model apply when omni eval runs the models; --predictions are scored as they are (drop --vos-audio and --grounding-model)']);
  });
});
