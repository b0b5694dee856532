/**
 * `--resume DIR` trains on with the run's stored configuration. Flags the user gave explicitly are checked against
 * it: a flag that changes what is trained (data, model, rewards, sampling, loss, optimizer, adapter, seed) stops the
 * command with one line naming the flags, since a resumed run must continue the same run; the flags that only
 * decide when the run stops, checkpoints or writes samples (RESUME_SAFE_FLAGS) are applied and recorded in
 * config.json. A changed --max-steps also changes the length of the cosine schedule from that point on.
 */
import { InputError } from '../../errors.js';
import type { RunConfigFile } from './train-command.js';
import { REFAVS_TASK } from './refavs-problems.js';

/** Flags that may change on --resume: they are applied and written back to config.json. */
export const RESUME_SAFE_FLAGS = ['max-steps', 'save-steps', 'sample-steps'] as const;

type Stored = (file: RunConfigFile) => unknown;
const lora = (file: RunConfigFile) => (file.training.adapter.kind === 'lora' ? file.training.adapter : undefined);

/** Where each `omni train` flag's value lives in config.json. */
const STORED_FLAGS: Record<string, Stored> = {
  dataset: (f) => f.datasets.map((d) => d.name),
  'data-root': (f) => f.datasets.map((d) => d.root),
  from: (f) => f.model,
  objective: (f) => f.training.objective,
  'alpha-g': (f) => f.rewards.alphaG,
  'alpha-k': (f) => f.rewards.alphaK,
  'alpha-k-ratio': (f) => f.rewards.alphaKRatio,
  'alpha-a': (f) => f.rewards.alphaA,
  'len-control': (f) => f.rewards.lenControl,
  'clip-reward': (f) => f.rewards.clipReward,
  'num-generations': (f) => f.training.sampling.numGenerations,
  temperature: (f) => f.training.sampling.temperature,
  'top-p': (f) => f.training.sampling.topP,
  'avs-temperature': (f) => f.training.sampling.taskTemperature?.[REFAVS_TASK],
  'max-completion-length': (f) => f.training.sampling.maxNewTokens,
  beta: (f) => f.training.loss.beta,
  'num-iterations': (f) => f.training.loss.numIterations,
  epsilon: (f) => f.training.loss.epsilon,
  'epsilon-high': (f) => f.training.loss.epsilonHigh,
  'loss-type': (f) => f.training.loss.lossType,
  'scale-rewards': (f) => f.training.loss.scaleRewards,
  lr: (f) => f.training.optimizer.lr,
  'weight-decay': (f) => f.training.optimizer.weightDecay,
  'max-grad-norm': (f) => f.training.optimizer.maxGradNorm,
  'warmup-ratio': (f) => f.training.optimizer.warmupRatio,
  full: (f) => f.training.adapter.kind === 'full',
  'lora-rank': (f) => lora(f)?.rank,
  'lora-alpha': (f) => lora(f)?.alpha,
  'lora-targets': (f) => lora(f)?.targets,
  seed: (f) => f.training.seed,
  'batch-size': (f) => f.training.batchSize,
  epochs: (f) => f.training.epochs,
  'max-frames': (f) => f.maxFrames,
  'vos-audio': (f) => f.vosAudio === true,
  'max-steps': (f) => f.training.maxSteps,
  'save-steps': (f) => f.training.saveSteps,
  'sample-steps': (f) => f.training.sampleSteps,
};

const show = (value: unknown) => (value === undefined ? 'unset' : Array.isArray(value) ? value.join(',') : String(value));

/**
 * The configuration a resumed run continues with: `stored`, with the safe flags of `requested` (the configuration
 * the command line resolves to) applied where the user gave them. `explicit` names the flags given on the command
 * line; flags left at their defaults never count as changes.
 */
export function resumeConfig(stored: RunConfigFile, requested: RunConfigFile, explicit: ReadonlySet<string>, runDir: string): { file: RunConfigFile; applied: string[] } {
  if (explicit.has('out')) {
    throw new InputError(`--resume continues ${runDir}, --out starts a new run: give one of them`, { file: runDir, hint: 'drop --out to continue the run, or --resume to start a new one' });
  }
  const changed: string[] = [];
  const applied: string[] = [];
  for (const flag of explicit) {
    const at = STORED_FLAGS[flag];
    if (!at) continue;
    const before = at(stored);
    const after = at(requested);
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    if ((RESUME_SAFE_FLAGS as readonly string[]).includes(flag)) applied.push(flag);
    else changed.push(`--${flag} ${show(after)} (run: ${show(before)})`);
  }
  if (changed.length > 0) {
    throw new InputError(`--resume keeps the run's settings, but ${changed.join(', ')} differ from ${runDir}/config.json`, {
      file: runDir,
      hint: `drop ${changed.length === 1 ? 'that flag' : 'those flags'} to continue the run, or start a new run with --out`,
    });
  }
  if (applied.length === 0) return { file: stored, applied };
  const training = { ...stored.training };
  if (applied.includes('max-steps')) {
    if (requested.training.maxSteps === undefined) delete training.maxSteps;
    else training.maxSteps = requested.training.maxSteps;
  }
  if (applied.includes('save-steps')) training.saveSteps = requested.training.saveSteps;
  if (applied.includes('sample-steps')) training.sampleSteps = requested.training.sampleSteps;
  return { file: { ...stored, training }, applied };
}
