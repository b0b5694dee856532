import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { InputError, OmniError } from '../../core/errors.js';
import { numberFlag, requireDirectory } from '../../core/input-checks.js';

/** What the sam2 plugin exports for this command (loaded at run time: the core does not depend on plugins). */
interface Sam2TrainModule {
  trainSegmenter(options: {
    out: string;
    steps: number;
    seed: number;
    resume?: string;
    from?: string;
    imageSize?: number;
    batch?: number;
    objects?: number;
    clickProbability?: number;
    lr?: number;
    checkpointEvery?: number;
    stopAfter?: number;
    threads?: number;
    log?: (message: string) => void;
  }): Promise<{ steps: number; lastLoss: number; checkpoint: string; model?: string; seconds: number }>;
  trainVideoStage(options: {
    out: string;
    from: string;
    memoryFrom?: string;
    steps: number;
    seed: number;
    frames?: number;
    batch?: number;
    lr?: number;
    checkpointEvery?: number;
    stopAfter?: number;
    threads?: number;
    log?: (message: string) => void;
  }): Promise<{ steps: number; lastLoss: number; checkpoint: string; model?: string; seconds: number }>;
}

const SAM2_PLUGIN = '@omni-r1/plugin-sam2';

export default class TrainSegmenter extends BaseCommand {
  static override description =
    'Train a nano SAM2 (box prompt -> mask) on synthetic frames with the graph engine, then export it as a segmenter model folder (<out>/model).';

  static override examples = [
    '<%= config.bin %> train segmenter --out runs/nano-sam2 --steps 5000 --seed 0 --threads 1',
    '<%= config.bin %> train segmenter --out runs/nano-sam2 --steps 6000 --seed 0 --resume runs/nano-sam2',
    '<%= config.bin %> train segmenter --stage video --from runs/nano-sam2 --out runs/nano-sam2-video --steps 300 --seed 0',
    '<%= config.bin %> train segmenter --from runs/nano-sam2 --image-size 256 --out runs/nano-sam2-256 --steps 1500 --seed 1',
  ];

  static override flags = {
    out: Flags.string({ description: 'Run directory (config.json, run.json, metrics.jsonl, checkpoints/, model/).', required: true, helpValue: '<dir>' }),
    steps: Flags.string({ description: 'Optimizer steps in total (the cosine schedule ends here).', default: '5000', helpValue: '<number>' }),
    seed: Flags.string({ description: 'Seed of the initial weights and of the synthetic training samples.', default: '0', helpValue: '<number>' }),
    resume: Flags.string({ description: 'Continue from the newest checkpoint of this run directory.', helpValue: '<dir>' }),
    'image-size': Flags.string({ description: 'Model input side in pixels (a multiple of 64; masks are a quarter of it).', default: '128', helpValue: '<pixels>' }),
    batch: Flags.string({ description: 'Images per optimizer step (default 8); clips per step in the video stage (default 4).', helpValue: '<number>' }),
    objects: Flags.string({ description: 'Prompted objects per image, each with its own prompt and target mask.', default: '4', helpValue: '<number>' }),
    'click-probability': Flags.string({ description: 'Probability that an object is prompted with one click inside it instead of its box.', default: '0', helpValue: '<0..1>' }),
    lr: Flags.string({ description: 'AdamW peak learning rate, linear warmup and cosine decay (default 1e-3; 3e-4 in the video stage).', helpValue: '<number>' }),
    'checkpoint-every': Flags.string({ description: 'Write a checkpoint every N steps (and at the end).', default: '500', helpValue: '<number>' }),
    'stop-after': Flags.string({
      description: 'End this session after this many steps of the run (checkpointed; the schedule still spans --steps, and running again continues).',
      helpValue: '<number>',
    }),
    threads: Flags.string({ description: 'onnxruntime intra-op threads for training (default: all cores).', helpValue: '<number>' }),
    stage: Flags.string({ description: 'image: box/click -> mask training from scratch; video: the memory path on clips, from an image-stage run (--from).', options: ['image', 'video'], default: 'image' }),
    from: Flags.string({
      description:
        'Video stage: the image-stage run directory (its newest checkpoint) or a checkpoint directory. Image stage: start from this run or checkpoint instead of fresh weights (another --image-size resamples its position embedding).',
      helpValue: '<dir>',
    }),
    'memory-from': Flags.string({ description: 'Video stage: start the memory modules from this video-stage run or checkpoint instead of fresh.', helpValue: '<dir>' }),
    frames: Flags.string({ description: 'Video stage: frames per training clip (frame 0 prompted with its box, the rest tracked from memory).', default: '3', helpValue: '<number>' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TrainSegmenter);
    const whole = (value: string, flag: string, min: number) => numberFlag(value, flag, { min, integer: true });
    const options = {
      out: flags.out,
      steps: whole(flags.steps, 'steps', 1),
      seed: whole(flags.seed, 'seed', 0),
      resume: flags.resume === undefined ? undefined : requireDirectory(flags.resume, '--resume run directory'),
      from: flags.from === undefined || flags.stage === 'video' ? undefined : requireDirectory(flags.from, '--from run or checkpoint directory'),
      imageSize: whole(flags['image-size'], 'image-size', 64),
      batch: flags.batch === undefined ? undefined : whole(flags.batch, 'batch', 1),
      objects: whole(flags.objects, 'objects', 1),
      clickProbability: numberFlag(flags['click-probability'], 'click-probability', { min: 0, max: 1 }),
      lr: flags.lr === undefined ? undefined : numberFlag(flags.lr, 'lr', { min: 0 }),
      checkpointEvery: whole(flags['checkpoint-every'], 'checkpoint-every', 1),
      stopAfter: flags['stop-after'] === undefined ? undefined : whole(flags['stop-after'], 'stop-after', 1),
      threads: flags.threads === undefined ? undefined : whole(flags.threads, 'threads', 1),
      log: (message: string) => this.logToStderr(message),
    };
    if (flags.stage !== 'video' && flags['memory-from'] !== undefined) throw new InputError('--memory-from is a video-stage option', { hint: 'add --stage video, or drop --memory-from' });
    if (flags.stage === 'video' && flags.from === undefined) throw new InputError('--stage video needs --from <image-stage run or checkpoint directory>', { hint: 'pass --from runs/nano-sam2' });
    let plugin: Sam2TrainModule;
    try {
      plugin = (await import(SAM2_PLUGIN)) as Sam2TrainModule;
    } catch (cause) {
      throw new OmniError(`the ${SAM2_PLUGIN} plugin cannot be loaded`, { cause, hint: 'reinstall omni-r1 or run `npm run build`' });
    }
    const result =
      flags.stage === 'video'
        ? await plugin.trainVideoStage({
            out: options.out,
            from: requireDirectory(flags.from!, '--from image-stage directory'),
            memoryFrom: flags['memory-from'] === undefined ? undefined : requireDirectory(flags['memory-from'], '--memory-from video-stage directory'),
            steps: options.steps,
            seed: options.seed,
            frames: whole(flags.frames, 'frames', 2),
            batch: options.batch,
            lr: options.lr,
            checkpointEvery: options.checkpointEvery,
            stopAfter: options.stopAfter,
            threads: options.threads,
            log: options.log,
          })
        : await plugin.trainSegmenter(options);
    this.logToStderr(`trained ${result.steps} steps in ${result.seconds.toFixed(0)} s, last loss ${result.lastLoss.toFixed(4)}; checkpoint ${result.checkpoint}; model ${result.model ?? '(not exported)'}`);
  }
}
