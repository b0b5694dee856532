import { Flags } from '@oclif/core';
import { BaseCommand, sharedFlagHelp, sharedFlags } from '../base-command.js';
import { chooseBackend, assertRegistered } from '../core/backends.js';
import { resolveDevice } from '../core/device.js';
import { InputError, OmniError } from '../core/errors.js';
import { numberFlag, parseList, requireDirectory } from '../core/input-checks.js';
import { runTrainCommand, type TrainablePolicyPlugin, type TrainCommandOptions } from '../core/grpo/loop/train-command.js';
import { createBackend } from './infer.js';

// Imported by name at run time: the plugin depends on omni-r1, so omni-r1's build cannot depend on its types.
const QWEN_OMNI_PLUGIN = '@omni-r1/plugin-qwen-omni';

async function loadTrainablePolicyPlugin(): Promise<TrainablePolicyPlugin> {
  try {
    const plugin = (await import(QWEN_OMNI_PLUGIN)) as { QwenTrainablePolicy: TrainablePolicyPlugin };
    return plugin.QwenTrainablePolicy;
  } catch (error) {
    throw new OmniError(`cannot load ${QWEN_OMNI_PLUGIN}, which trains policies`, { hint: 'reinstall omni-r1 (the plugin ships with it)', cause: error });
  }
}

const num = (description: string, defaultValue: string) => Flags.string({ description, default: defaultValue, helpValue: '<number>' });
const optionalNum = (description: string) => Flags.string({ description, helpValue: '<number>' });

export default class Train extends BaseCommand {
  static override description =
    'Train System 1 with GRPO and hierarchical rewards (System 2 in the loop), or with SFT. Defaults follow the authors\' grpo.py and training script.';

  static override examples = [
    '<%= config.bin %> train --dataset revos --data-root data/revos --alpha-g 0.5 --out runs/a',
    '<%= config.bin %> train --dataset refavs --data-root data/refavs --objective sft --dry-run',
  ];

  static override flags = {
    dataset: Flags.string({
      ...sharedFlagHelp.dataset,
      description:
        'Training dataset (repeatable; required unless --resume): revos, mevis, refavs, refcocog, or revos-grounding (one frame per ReVOS expression as a SegZero image grounding problem).',
      multiple: true,
    }),
    'data-root': Flags.string({ description: 'Dataset folder; one per --dataset, in the same order.', helpValue: '<dir>', multiple: true }),
    out: Flags.string({ description: 'Run directory (config, metrics.jsonl, checkpoints).', helpValue: '<dir>' }),
    resume: Flags.string({
      description: 'Continue the run in this directory from its last checkpoint, with its stored settings (only --max-steps, --save-steps, --sample-steps may change).',
      helpValue: '<dir>',
    }),
    policy: sharedFlags.policy,
    segmenter: sharedFlags.segmenter,
    device: sharedFlags.device,
    objective: Flags.string({ description: 'GRPO with rewards, or SFT on targets built from the ground truth.', options: ['grpo', 'sft'], default: 'grpo' }),
    'alpha-g': num('Weight of the SAM2 mask-IoU reward R_G; 0 never calls the segmenter.', '1.0'),
    'alpha-k': num('Weight of the keyframe rewards (frame count + overlap).', '1.0'),
    'alpha-k-ratio': num('Weight of the saliency (mask area ratio) reward.', '1.0'),
    'alpha-a': num('Weight of the box IoU reward R_A.', '1.0'),
    'len-control': Flags.boolean({ description: 'Length bonus: +1 for 320-750 token completions when >= 2 are accurate.', default: false }),
    'clip-reward': Flags.boolean({ description: 'Keep only the structure reward when the rest is <= 0.', default: false }),
    'num-generations': num('Completions per prompt (the GRPO group size G).', '8'),
    temperature: num('Sampling temperature of the rollouts.', '1.0'),
    'top-p': num('Nucleus sampling of the rollouts.', '0.95'),
    'avs-temperature': optionalNum("Sampling temperature of RefAVS batches (the authors' AVS_TEMPERATURE, 0.45 in their script, used with FUSE_TEMPERATURE=true); default: --temperature."),
    beta: num('KL coefficient (k3 estimator against the reference model).', '0.04'),
    lr: num('AdamW learning rate (cosine schedule).', '1e-6'),
    'weight-decay': num('AdamW weight decay.', '0.01'),
    'max-grad-norm': num('Gradient clipping norm.', '5'),
    'num-iterations': num('Optimisation steps per batch; > 1 uses the clipped TRL objective.', '1'),
    epsilon: num('Lower clip range of the ratio (with --num-iterations > 1).', '0.2'),
    'epsilon-high': optionalNum('Upper clip range of the ratio; default: --epsilon.'),
    'loss-type': Flags.string({ description: 'Loss aggregation (TRL family).', options: ['grpo', 'bnpo', 'dr_grpo', 'dapo'], default: 'grpo' }),
    'scale-rewards': Flags.string({ description: 'Divide advantages by the std of the group, the batch, or not at all.', options: ['group', 'batch', 'none'], default: 'group' }),
    'lora-rank': optionalNum('LoRA rank (default 16).'),
    'lora-alpha': optionalNum('LoRA alpha (default 32).'),
    'lora-targets': Flags.string({ description: 'Comma-separated module names that get LoRA adapters.', default: 'q_proj,k_proj,v_proj,o_proj', helpValue: '<names>' }),
    full: Flags.boolean({ description: 'Full fine-tuning with a frozen reference copy instead of LoRA (small models).', default: false }),
    'save-steps': num('Checkpoint every N steps.', '200'),
    seed: num('Random seed; the same seed and data give the same metrics on CPU.', '42'),
    from: Flags.string({ description: 'Checkpoint folder (config.json + safetensors + tokenizer) of the policy to train.', helpValue: '<dir>' }),
    'grounding-model': Flags.string({ description: 'Model of the policy backend that serves as System 2 (grounding) in the rewards; default: the configured policy model.', helpValue: '<ref>' }),
    'segmenter-model': Flags.string({ description: 'Segmenter model for R_G (alpha_g > 0); default: config "models.segmenter", else the backend\'s own.', helpValue: '<ref>' }),
    'batch-size': num('Prompts per optimizer step (each with its G completions; gradients accumulate over them).', '1'),
    epochs: num('Passes over the training problems.', '1'),
    'max-steps': optionalNum('Stop after this many batches.'),
    'max-completion-length': num('Most tokens per completion.', '800'),
    'max-frames': num('Frames per VOS sample (the authors sample 16-24).', '24'),
    'vos-audio': Flags.boolean({ description: "VOS samples (revos, mevis) carry the video's sound, audio.wav beside its frames (omni data synth writes it), as omni infer gives it; the authors train VOS on frames only.", default: false }),
    'warmup-ratio': num('Fraction of the steps with linear learning-rate warmup.', '0.1'),
    'sample-steps': num('Write sample completions every N steps (0: never).', '10'),
    'dry-run': Flags.boolean({ description: 'Print the resolved plan (datasets, steps, memory estimate) and exit.', default: false }),
  };

  async run(): Promise<void> {
    const { flags, raw } = await this.parse(Train);
    // Flags typed on the command line, told apart from oclif's defaults (a resumed run refuses changed ones).
    const explicitFlags = new Set(raw.flatMap((token) => (token.type === 'flag' ? [token.flag] : [])));
    const resume = flags.resume === undefined ? undefined : requireDirectory(flags.resume, '--resume run directory');
    const names = flags.dataset ?? [];
    const roots = flags['data-root'] ?? [];
    if (names.length === 0 && !resume) {
      throw new InputError('no training data: --dataset is missing', { hint: 'e.g. --dataset revos --data-root data/revos, or --resume DIR' });
    }
    if (roots.length !== names.length) {
      throw new InputError(`${names.length} --dataset but ${roots.length} --data-root flags`, {
        hint: 'give one --data-root per --dataset, in the same order',
      });
    }
    const datasets = names.map((name, i) => ({ name, root: requireDirectory(roots[i], `--data-root of ${name}`) }));
    if (flags.full && (flags['lora-rank'] !== undefined || flags['lora-alpha'] !== undefined)) {
      throw new InputError('--full trains every weight, so --lora-rank/--lora-alpha do not apply', { hint: 'drop one of them' });
    }
    const epsilon = numberFlag(flags.epsilon, 'epsilon', { min: 0, minExclusive: true, max: 1 });
    const from = flags.from === undefined ? undefined : requireDirectory(flags.from, '--from checkpoint');
    const options = {
      datasets,
      resume,
      out: flags.out,
      objective: flags.objective,
      rewards: {
        alphaG: numberFlag(flags['alpha-g'], 'alpha-g', { min: 0 }),
        alphaK: numberFlag(flags['alpha-k'], 'alpha-k', { min: 0 }),
        alphaKRatio: numberFlag(flags['alpha-k-ratio'], 'alpha-k-ratio', { min: 0 }),
        alphaA: numberFlag(flags['alpha-a'], 'alpha-a', { min: 0 }),
        lenControl: flags['len-control'],
        clipReward: flags['clip-reward'],
      },
      sampling: {
        numGenerations: numberFlag(flags['num-generations'], 'num-generations', { min: 2, integer: true }),
        temperature: numberFlag(flags.temperature, 'temperature', { min: 0, minExclusive: true }),
        topP: numberFlag(flags['top-p'], 'top-p', { min: 0, minExclusive: true, max: 1 }),
        avsTemperature: flags['avs-temperature'] === undefined ? undefined : numberFlag(flags['avs-temperature'], 'avs-temperature', { min: 0, minExclusive: true }),
      },
      loss: {
        beta: numberFlag(flags.beta, 'beta', { min: 0 }),
        numIterations: numberFlag(flags['num-iterations'], 'num-iterations', { min: 1, integer: true }),
        epsilon,
        epsilonHigh: flags['epsilon-high'] === undefined ? epsilon : numberFlag(flags['epsilon-high'], 'epsilon-high', { min: 0, minExclusive: true }),
        lossType: flags['loss-type'],
        scaleRewards: flags['scale-rewards'],
      },
      optimizer: {
        lr: numberFlag(flags.lr, 'lr', { min: 0, minExclusive: true }),
        weightDecay: numberFlag(flags['weight-decay'], 'weight-decay', { min: 0 }),
        maxGradNorm: numberFlag(flags['max-grad-norm'], 'max-grad-norm', { min: 0, minExclusive: true }),
      },
      adapter: flags.full
        ? { kind: 'full' as const }
        : {
            kind: 'lora' as const,
            rank: numberFlag(flags['lora-rank'] ?? '16', 'lora-rank', { min: 1, integer: true }),
            alpha: numberFlag(flags['lora-alpha'] ?? '32', 'lora-alpha', { min: 0, minExclusive: true }),
            targets: parseList(flags['lora-targets'], 'lora-targets'),
          },
      saveSteps: numberFlag(flags['save-steps'], 'save-steps', { min: 1, integer: true }),
      seed: numberFlag(flags.seed, 'seed', { min: 0, integer: true }),
      dryRun: flags['dry-run'],
      from,
      batchSize: numberFlag(flags['batch-size'], 'batch-size', { min: 1, integer: true }),
      epochs: numberFlag(flags.epochs, 'epochs', { min: 1, integer: true }),
      maxSteps: flags['max-steps'] === undefined ? undefined : numberFlag(flags['max-steps'], 'max-steps', { min: 1, integer: true }),
      maxCompletionLength: numberFlag(flags['max-completion-length'], 'max-completion-length', { min: 1, integer: true }),
      maxFrames: numberFlag(flags['max-frames'], 'max-frames', { min: 1, integer: true }),
      vosAudio: flags['vos-audio'],
      warmupRatio: numberFlag(flags['warmup-ratio'], 'warmup-ratio', { min: 0, max: 1 }),
      sampleSteps: numberFlag(flags['sample-steps'], 'sample-steps', { min: 0, integer: true }),
    };

    const loaded = this.loadConfig();
    const registry = await this.loadBackends();
    const policy = chooseBackend('policy', flags.policy, loaded);
    assertRegistered(registry, policy);
    // The segmenter only takes part when R_G has weight (the authors call SAM only when alpha_g > 1e-6).
    const segmenter = options.rewards.alphaG > 0 && options.objective === 'grpo' ? chooseBackend('segmenter', flags.segmenter, loaded) : undefined;
    if (segmenter) assertRegistered(registry, segmenter);
    const device = await resolveDevice(this.deviceRequest(flags.device, loaded));

    if (!resume && from === undefined) throw new InputError('no policy checkpoint to train: --from is missing', { hint: 'e.g. --from Qwen2.5-Omni-7B/ (config.json + safetensors + tokenizer files)' });
    const command: TrainCommandOptions = {
      ...options,
      objective: options.objective === 'sft' ? 'sft' : 'grpo',
      explicitFlags,
      trainable: loadTrainablePolicyPlugin,
      openSystem2: async (needsSegmenter) => {
        const context = { device: device.device, model: flags['grounding-model'] ?? loaded.config.models?.policy, loaded, log: (m: string) => void process.stderr.write(`${m}\n`), warn: (m: string) => void this.warn(m) };
        const grounding = await createBackend(registry, 'policy', policy, context);
        // The run's own alpha_g decides (a resumed run keeps its configuration).
        const choice = needsSegmenter ? (segmenter ?? chooseBackend('segmenter', flags.segmenter, loaded)) : undefined;
        if (choice) assertRegistered(registry, choice);
        const seg = choice ? await createBackend(registry, 'segmenter', choice, { ...context, model: flags['segmenter-model'] ?? loaded.config.models?.segmenter }) : undefined;
        return { grounding, segmenter: seg, close: async () => void (await Promise.all([grounding.close(), seg?.close()])) };
      },
      log: (message) => process.stderr.write(`${message}\n`),
      warn: (message) => this.warn(message),
      write: (text) => process.stdout.write(text),
    };
    await runTrainCommand(command);
  }
}
