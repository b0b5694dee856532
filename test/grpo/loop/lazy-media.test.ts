import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRefAvs, openRevos, synthesizeDataset } from '../../../src/index.js';
import { refAvsTrainingProblems } from '../../../src/core/grpo/loop/refavs-problems.js';
import { vosGroundingTrainingProblems } from '../../../src/core/grpo/loop/grounding-problems.js';
import { vosTrainingProblems } from '../../../src/core/grpo/loop/vos-problems.js';
import type { TrainingProblem } from '../../../src/core/grpo/loop/problems.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'omni-lazy-media-'));
  await synthesizeDataset({ format: 'revos', out: join(root, 'revos'), videos: 2, frames: 4, width: 32, height: 32, seed: 5 });
  await synthesizeDataset({ format: 'refavs', out: join(root, 'refavs'), videos: 10, width: 32, height: 32, seed: 4 });
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The media files a problem's prompt reads, from its target. */
function mediaPaths(problem: TrainingProblem): string[] {
  const target = problem.target as { framePaths?: string[]; framePath?: string };
  return target.framePaths ?? (target.framePath ? [target.framePath] : []);
}

describe('training problems decode their media when a step asks for the prompt', () => {
  it('building problems reads no frame; the prompt does, every time it is asked for', async () => {
    const vos = await vosTrainingProblems(await openRevos(join(root, 'revos'), 'train'), { maxFrames: 4, withFrames: true, seed: 0, prefix: 'revos' });
    const grounding = await vosGroundingTrainingProblems(await openRevos(join(root, 'revos'), 'train'), { withMedia: true, seed: 0, prefix: 'revos-grounding' });
    const refavs = await refAvsTrainingProblems(await openRefAvs(join(root, 'refavs'), 'train'), { withMedia: true, prefix: 'refavs' });
    for (const problems of [vos, grounding, refavs]) {
      expect(problems.length).toBeGreaterThan(0);
      const [problem] = problems;
      const first = await problem!.messages();
      expect(await problem!.messages()).toEqual(first);
      // Move the frame files away: the problem still exists, and its prompt now fails naming the missing file.
      const [path] = mediaPaths(problem!);
      await rename(path!, `${path}.away`);
      try {
        await expect(problem!.messages()).rejects.toThrow(path!);
      } finally {
        await rename(`${path}.away`, path!);
      }
      expect(await problem!.messages()).toEqual(first);
    }
  }, 120_000);
});
