/**
 * The train command's resolved configuration: --avs-temperature reaches RefAVS rollouts (and only them), and
 * --resume keeps the stored settings, refusing explicitly changed flags except the safe ones.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import {
  createRolloutWorker,
  REFAVS_TASK,
  resolveTrainingConfig,
  resumeConfig,
  RunDir,
  runTrainCommand,
  VOS_TASK,
  type GenerateRequest,
  type PolicyGenerator,
  type RunConfigFile,
  type TrainablePolicy,
  type TrainCommandOptions,
  type TrainingProblem,
} from '../../../src/core/grpo/index.js';

/** The options `omni train` resolves with every flag at its default, overridden where given. */
function commandOptions(overrides: Partial<TrainCommandOptions> = {}): TrainCommandOptions {
  return {
    datasets: [],
    objective: 'grpo',
    rewards: { alphaG: 1, alphaK: 1, alphaKRatio: 1, alphaA: 1, lenControl: false, clipReward: false },
    sampling: { numGenerations: 8, temperature: 1, topP: 0.95 },
    loss: { beta: 0.04, numIterations: 1, epsilon: 0.2, epsilonHigh: 0.2, lossType: 'grpo', scaleRewards: 'group' },
    optimizer: { lr: 1e-6, weightDecay: 0.01, maxGradNorm: 5 },
    adapter: { kind: 'lora', rank: 16, alpha: 32, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] },
    saveSteps: 200,
    seed: 42,
    dryRun: false,
    batchSize: 1,
    epochs: 1,
    maxCompletionLength: 800,
    maxFrames: 24,
    warmupRatio: 0.1,
    sampleSteps: 10,
    trainable: () => Promise.reject(new Error('not loaded in this test')),
    openSystem2: () => Promise.reject(new Error('not opened in this test')),
    log: () => {},
    warn: () => {},
    write: () => {},
    ...overrides,
  };
}

function storedRun(options: TrainCommandOptions): RunConfigFile {
  return { format: 1, model: '/models/tiny', datasets: [{ name: 'revos', root: '/data/revos' }], rewards: options.rewards, maxFrames: options.maxFrames, training: resolveTrainingConfig(options) };
}

describe('--avs-temperature', () => {
  const problem = (id: string, task: string): TrainingProblem => ({ id, task, messages: async () => [{ role: 'user', content: [{ type: 'text', text: id }] }], target: {} });

  async function temperatures(options: TrainCommandOptions): Promise<Record<string, number>> {
    const seen: Record<string, number> = {};
    const policy = { encodePrompt: async () => ({ length: 1 }) } as unknown as TrainablePolicy;
    let current = '';
    const generator: PolicyGenerator = {
      async generate(_prompt, _weights, request: GenerateRequest) {
        seen[current] = request.temperature;
        return Array.from({ length: request.numSamples }, () => ({ tokenIds: [1], text: 'x', logProbs: [-1] }));
      },
      async release() {},
    };
    const problems = new Map([problem('a', REFAVS_TASK), problem('b', VOS_TASK)].map((p) => [p.id, p]));
    const scorer = async (_p: TrainingProblem, completions: readonly unknown[]) => ({ total: completions.map(() => 0), components: {} });
    const worker = createRolloutWorker({ policy, generator, problems, rewards: { [REFAVS_TASK]: scorer, [VOS_TASK]: scorer } });
    const config = resolveTrainingConfig(options);
    for (const id of ['a', 'b']) {
      current = problems.get(id)!.task;
      await worker.rollout({ step: 0, problemIds: [id], sampling: config.sampling, seed: 1 });
    }
    return seen;
  }

  it('samples RefAVS problems at --avs-temperature and VOS problems at --temperature, recorded in the config', async () => {
    const options = commandOptions({ sampling: { numGenerations: 2, temperature: 0.9, topP: 0.95, avsTemperature: 0.45 } });
    expect(resolveTrainingConfig(options).sampling.taskTemperature).toEqual({ [REFAVS_TASK]: 0.45 });
    expect(await temperatures(options)).toEqual({ [REFAVS_TASK]: 0.45, [VOS_TASK]: 0.9 });
  });

  it('without it, RefAVS samples at --temperature (the authors\' FUSE_TEMPERATURE=false default)', async () => {
    const options = commandOptions({ sampling: { numGenerations: 2, temperature: 0.9, topP: 0.95 } });
    expect(resolveTrainingConfig(options).sampling.taskTemperature).toBeUndefined();
    expect(await temperatures(options)).toEqual({ [REFAVS_TASK]: 0.9, [VOS_TASK]: 0.9 });
  });
});

describe('--resume and changed flags', () => {
  const original = commandOptions({ sampling: { numGenerations: 4, temperature: 1, topP: 0.95, avsTemperature: 0.45 }, maxSteps: 10 });
  const stored = storedRun(original);

  it('flags left at their defaults never count as changes: the stored run wins', () => {
    // The command line resolves to defaults (G 8, no avs temperature, no max steps), none of them typed.
    const requested = storedRun(commandOptions());
    const { file, applied } = resumeConfig(stored, requested, new Set(['resume']), '/runs/a');
    expect(file).toBe(stored);
    expect(applied).toEqual([]);
  });

  it('an explicitly given flag equal to the stored value is accepted', () => {
    const requested = storedRun(commandOptions({ sampling: { numGenerations: 4, temperature: 1, topP: 0.95 } }));
    expect(resumeConfig(stored, requested, new Set(['num-generations']), '/runs/a').applied).toEqual([]);
  });

  it('explicitly changed flags that alter the run -> one InputError naming each with both values', () => {
    const requested = storedRun(commandOptions({ optimizer: { lr: 1e-5, weightDecay: 0.01, maxGradNorm: 5 }, sampling: { numGenerations: 4, temperature: 1, topP: 0.95, avsTemperature: 0.3 } }));
    let error: unknown;
    try {
      resumeConfig(stored, requested, new Set(['lr', 'avs-temperature', 'weight-decay']), '/runs/a');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    // --weight-decay was typed with its stored value: not a change.
    expect(message).toBe("--resume keeps the run's settings, but --lr 0.00001 (run: 0.000001), --avs-temperature 0.3 (run: 0.45) differ from /runs/a/config.json");
    expect(message).not.toContain('\n');
    expect((error as InputError).hint).toContain('--out');
  });

  it('--max-steps, --save-steps, --sample-steps are applied and reported', () => {
    const requested = storedRun(commandOptions({ maxSteps: 20, saveSteps: 5, sampleSteps: 0 }));
    const { file, applied } = resumeConfig(stored, requested, new Set(['max-steps', 'save-steps', 'sample-steps']), '/runs/a');
    expect(applied).toEqual(['max-steps', 'save-steps', 'sample-steps']);
    expect(file.training).toEqual({ ...stored.training, maxSteps: 20, saveSteps: 5, sampleSteps: 0 });
    expect(stored.training.maxSteps).toBe(10);
  });

  it('--out with --resume is refused', () => {
    expect(() => resumeConfig(stored, stored, new Set(['out']), '/runs/a')).toThrow(/--resume continues \/runs\/a, --out starts a new run/);
  });

  describe('through runTrainCommand', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'omni-resume-'));
      await RunDir.create(join(dir, 'run'), { ...stored, datasets: [] } satisfies RunConfigFile);
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('refuses a changed --beta before loading anything', async () => {
      const options = commandOptions({ resume: join(dir, 'run'), loss: { ...original.loss, beta: 0 }, explicitFlags: new Set(['resume', 'beta']) });
      await expect(runTrainCommand(options)).rejects.toThrow(/--beta 0 \(run: 0\.04\) differ/);
    });

    it('--dry-run shows the stored plan with the new --max-steps and the RefAVS temperature', async () => {
      let printed = '';
      const options = commandOptions({
        resume: join(dir, 'run'),
        dryRun: true,
        maxSteps: 3,
        explicitFlags: new Set(['resume', 'max-steps', 'dry-run']),
        trainable: async () => ({
          open: () => Promise.reject(new Error('no training in a dry run')),
          estimate: async () => ({ description: 'tiny', parameters: 1000, loraParameters: 10 }),
        }),
        write: (text) => (printed += text),
      });
      await runTrainCommand(options);
      expect(printed).toContain('sampling: temperature 1 (refavs 0.45), top-p 0.95, at most 800 new tokens');
      expect(printed).toContain('steps: 0');
      // A dry run records nothing.
      expect((await (await RunDir.open(join(dir, 'run'))).readConfig<RunConfigFile>()).training.maxSteps).toBe(10);
    });
  });
});
