import { Args, Flags } from '@oclif/core';
import ora, { type Ora } from 'ora';
import { BaseCommand, sharedFlags } from '../base-command.js';
import { selectBackends, type BackendChoice } from '../core/backends.js';
import { omniHome } from '../core/config.js';
import { resolveDevice } from '../core/device.js';
import { InputError, OmniError } from '../core/errors.js';
import { BUNDLED_NOTICE, bundledNanoFolder, missingNanoDetail, NANO_BACKENDS, SHIP_COMMAND, type BundledRole } from '../core/models/bundled.js';
import { numberFlag, requirePath } from '../core/input-checks.js';
import { infer, type InferOptions } from '../core/pipeline/infer.js';
import type { InferTaskRequest, VosPromptVariant, GroundingPromptStyle } from '../core/pipeline/prompts.js';
import type { InferResult, StageName } from '../core/pipeline/result.js';
import type { BackendKind, DeviceName } from '../plugins/api.js';
import type { BackendRegistry } from '../plugins/registry.js';
import type { LoadedConfig } from '../core/config.js';

const STAGE_TEXT: Record<StageName, string> = {
  probe: 'Reading the video',
  frames: 'Sampling frames and audio',
  system1: 'System 1: reasoning over the video',
  grounding: 'System 2: grounding the keyframes',
  segmentation: 'Segmenting',
  write: 'Writing masks and overlay.mp4',
};

export default class Infer extends BaseCommand {
  static override description =
    'Answer a question about a video (System 1: reasoning over frames and audio), then ground and segment the objects it names (System 2).';

  static override examples = [
    '<%= config.bin %> infer clip.mp4 "who is speaking?" --model ./omni-r1-onnx --out result/',
    '<%= config.bin %> infer clip.mp4 "what instrument plays first?" --no-segment',
  ];

  static override args = {
    video: Args.string({ description: 'Video file or folder of frames.', required: true }),
    question: Args.string({ description: 'The question or referring expression.', required: true }),
  };

  static override flags = {
    policy: sharedFlags.policy,
    segmenter: sharedFlags.segmenter,
    device: sharedFlags.device,
    model: Flags.string({ description: 'Policy model (System 1): a local folder, store name, hub id or nano. Default: config "models.policy", else the bundled nano policy.', helpValue: '<ref>' }),
    'grounding-model': Flags.string({ description: 'A separate grounding model (System 2) for the policy backend. Default: the policy model itself.', helpValue: '<ref>' }),
    'segmenter-model': Flags.string({ description: 'Segmenter model. Default: config "models.segmenter", else the bundled nano segmenter (sam2 backend) or the backend\'s own.', helpValue: '<ref>' }),
    out: Flags.string({ description: 'Write result.json, masks and overlay.mp4 into this folder.', helpValue: '<dir>' }),
    json: Flags.boolean({ description: 'Print result.json to stdout.', default: false }),
    rle: Flags.boolean({ description: 'Write masks as COCO RLE JSON instead of PNG files.', default: false }),
    segment: Flags.boolean({ description: 'Ground and segment (System 2); --no-segment answers with System 1 alone.', default: true, allowNo: true }),
    audio: Flags.boolean({ description: 'Give System 1 the audio track; --no-audio for video only (as VOS training).', default: true, allowNo: true }),
    task: Flags.string({ description: 'Prompt: vos (Fig. 3), refavs (Fig. 4, audio questions) or auto (refavs when the question refers to sound).', options: ['auto', 'vos', 'refavs'], default: 'auto' }),
    'prompt-variant': Flags.string({ description: 'VOS prompt: force (example timestamps, the paper\'s) or no-hint.', options: ['force', 'no-hint'], default: 'force' }),
    'prompt-seed': Flags.string({ description: 'Seed of the example timestamps in the force prompt.', default: '0', helpValue: '<n>' }),
    verbose: Flags.boolean({ description: 'Stream the reasoning as it is generated.', default: false }),
    'grounding-prompt': Flags.string({
      description: 'System 2 grounding prompt: the authors\' default, or the VisionReasoner bbox+point variant.',
      options: ['default', 'visionreasoner'],
      default: 'default',
    }),
    'max-frames': Flags.string({ description: 'Most frames System 1 sees (an integer >= 4).', default: '24', helpValue: '<n>' }),
    fps: Flags.string({ description: 'Pseudo frames per second the sampled frames are presented at (Omni-R1 was trained at 2).', default: '2', helpValue: '<fps>' }),
    'max-new-tokens': Flags.string({ description: 'Most tokens each generation may produce.', default: '1024', helpValue: '<n>' }),
    temperature: Flags.string({ description: 'System 1 sampling temperature (0 = greedy, the default). Grounding is always greedy.', helpValue: '<t>' }),
    'top-p': Flags.string({ description: 'System 1 nucleus sampling.', helpValue: '<p>' }),
    'top-k': Flags.string({ description: 'System 1 top-k sampling.', helpValue: '<k>' }),
    seed: Flags.string({ description: 'Sampling seed.', helpValue: '<n>' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Infer);
    const video = requirePath(args.video, 'video');
    if (args.question.trim() === '') throw new InputError('the question is empty', { hint: 'e.g. omni infer clip.mp4 "who is speaking?"' });
    const maxFrames = numberFlag(flags['max-frames'], 'max-frames', { min: 4, integer: true });
    const fps = numberFlag(flags.fps, 'fps', { min: 0, minExclusive: true });
    const maxNewTokens = numberFlag(flags['max-new-tokens'], 'max-new-tokens', { min: 1, integer: true });
    const promptSeed = numberFlag(flags['prompt-seed'], 'prompt-seed', { min: 0, integer: true });
    const optional = (value: string | undefined, flag: string, range: Parameters<typeof numberFlag>[2]) => (value === undefined ? undefined : numberFlag(value, flag, range));
    const temperature = optional(flags.temperature, 'temperature', { min: 0 });
    const topP = optional(flags['top-p'], 'top-p', { min: 0, max: 1, minExclusive: true });
    const topK = optional(flags['top-k'], 'top-k', { min: 0, integer: true });
    const seed = optional(flags.seed, 'seed', { min: 0, integer: true });
    if (flags.rle && !flags.out) throw new InputError('--rle writes mask files, so it needs --out <dir>');

    const loaded = this.loadConfig();
    const registry = await this.loadBackends();
    const backends = selectBackends(registry, flags, loaded);
    const { device } = await resolveDevice(this.deviceRequest(flags.device, loaded));
    const spinner = ora({ stream: process.stderr, isEnabled: process.stderr.isTTY === true && !flags.verbose });
    const log = (message: string) => (spinner.isSpinning ? (spinner.text = message) : process.stderr.write(`${message}\n`));
    const warn = (message: string) => this.printWarning(spinner, message);

    const onBundled = bundledNoticeOnce((message) => process.stderr.write(`${message}\n`));
    const create = <K extends 'policy' | 'segmenter'>(kind: K, choice: BackendChoice, model: string | undefined) =>
      createBackend(registry, kind, choice, { device, model, loaded, log, warn, onBundled });
    const policy = await create('policy', backends.policy, flags.model ?? loaded.config.models?.policy);
    const grounding = flags['grounding-model'] ? await create('policy', backends.policy, flags['grounding-model']) : undefined;
    const segmenter = flags.segment ? await create('segmenter', backends.segmenter, flags['segmenter-model'] ?? loaded.config.models?.segmenter) : undefined;

    const options: InferOptions = {
      policy,
      grounding,
      segmenter,
      segment: flags.segment,
      audio: flags.audio,
      task: flags.task as InferTaskRequest,
      promptVariant: flags['prompt-variant'] as VosPromptVariant,
      promptSeed,
      groundingPrompt: flags['grounding-prompt'] as GroundingPromptStyle,
      maxFrames,
      pseudoFps: fps,
      maxNewTokens,
      groundingMaxNewTokens: maxNewTokens,
      temperature,
      topP,
      topK,
      seed,
      out: flags.out,
      rle: flags.rle,
      warn,
      onStage: (stage, phase, detail) => this.showStage(spinner, stage, phase, detail, flags.verbose),
      onToken: flags.verbose ? (text) => process.stderr.write(text) : undefined,
    };
    let result: InferResult;
    try {
      result = await infer(video, args.question, options);
    } finally {
      spinner.stop();
      await Promise.all([policy.close(), grounding?.close(), segmenter?.close()]);
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(renderSummary(result));
  }

  private printWarning(spinner: Ora, message: string): void {
    const spinning = spinner.isSpinning;
    if (spinning) spinner.clear();
    process.stderr.write(`omni: warning: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (spinning) spinner.render();
  }

  private showStage(spinner: Ora, stage: StageName, phase: 'start' | 'end', detail: string | undefined, verbose: boolean): void {
    const text = detail ? `${STAGE_TEXT[stage]} (${detail})` : STAGE_TEXT[stage];
    if (verbose) {
      process.stderr.write(phase === 'start' ? `\n== ${text}\n` : '\n');
      return;
    }
    if (phase === 'start') spinner.start(text);
    else spinner.succeed(text);
  }
}

/** Calls `say` with the bundled-models notice the first time a backend falls back to them. */
export function bundledNoticeOnce(say: (message: string) => void): (role: BundledRole) => void {
  let said = false;
  return () => {
    if (said) return;
    said = true;
    say(BUNDLED_NOTICE);
  };
}

function configHint(kind: 'policy' | 'segmenter', where: string): string {
  return kind === 'policy' ? `pass --model <dir> or set {"models": {"policy": "<dir>"}} in ${where}` : `pass --segmenter-model <ref> or set {"models": {"segmenter": "<ref>"}} in ${where}`;
}

/**
 * The bundled nano folder for `kind` when no model is given and the selected backend is the one it was built for;
 * undefined for other backends (they keep their own defaults). A missing bundle is a one-line error.
 */
function bundledDefault(kind: 'policy' | 'segmenter', choice: BackendChoice, loaded: LoadedConfig): string | undefined {
  if (choice.name !== NANO_BACKENDS[kind]) return undefined;
  const folder = bundledNanoFolder(kind);
  if (folder) return folder;
  throw new OmniError(`no ${kind} model configured for the ${choice.name} backend: the bundled nano models are missing (${missingNanoDetail(kind)})`, {
    exitCode: 2,
    hint: `${configHint(kind, loaded.path ?? 'omni.config.json')}, or install the nano pair with ${SHIP_COMMAND}`,
  });
}

/**
 * A policy or segmenter backend for `model` (or the config's). With `onBundled`, a missing model means the bundled
 * nano one (for the backend it was built for; `onBundled` is told); without, or for other backends, a missing model
 * reads as "no model configured" unless the backend has its own default. Also used by `omni eval` and `omni train`.
 */
export async function createBackend<K extends 'policy' | 'segmenter'>(
  registry: BackendRegistry,
  kind: K,
  choice: BackendChoice,
  context: { device: DeviceName; model: string | undefined; loaded: LoadedConfig; log: (m: string) => void; warn: (m: string) => void; onBundled?: (role: BundledRole) => void },
) {
  const bundled = context.model === undefined && context.onBundled ? bundledDefault(kind, choice, context.loaded) : undefined;
  if (bundled) context.onBundled?.(kind);
  const model = context.model ?? bundled;
  try {
    return await registry.create(kind as BackendKind & K, choice.name, {
      device: context.device,
      model,
      omniHome: omniHome(),
      options: context.loaded.config.backends?.[choice.name] ?? {},
      log: context.log,
      warn: context.warn,
    });
  } catch (error) {
    if (model !== undefined || !(error instanceof OmniError)) throw error;
    throw new OmniError(`no ${kind} model configured for the ${choice.name} backend: ${error.message}`, {
      exitCode: 2,
      hint: configHint(kind, context.loaded.path ?? 'omni.config.json'),
      cause: error,
    });
  }
}

/** The human-readable result on stdout (result.json has everything). */
export function renderSummary(result: InferResult): string {
  const lines: string[] = [];
  const answer = result.answer;
  if (answer?.reasoning) lines.push(`Reasoning: ${answer.reasoning}`);
  if (answer) lines.push(`Answer: ${answer.text || answer.raw.trim() || '(empty)'}`);
  for (const moment of answer?.moments ?? []) lines.push(`  ${moment.startTime}-${moment.endTime} (frames ${moment.frames.join(', ')}): ${moment.description}`);
  for (const keyframe of result.keyframes) {
    const time = keyframe.time === null ? '' : ` at ${keyframe.time.toFixed(2)} s`;
    const boxes = keyframe.boxes.map((b) => `#${b.objectId} [${b.box.map((v) => Math.round(v)).join(', ')}]`).join(' ') || 'no box';
    lines.push(`Keyframe ${keyframe.frame}${time}: ${keyframe.description} -> ${boxes}`);
  }
  if (result.segmentation.mode !== 'skipped') {
    lines.push(`Masks: ${result.segmentation.framesWithMask} of ${result.input.frameCount} frames (${result.segmentation.mode}, ${result.segmentation.segmenter})`);
  }
  for (const [name, path] of [['result', result.files.result], ['masks', result.files.masks], ['overlay', result.files.overlay]] as const) {
    if (path) lines.push(`Wrote ${name}: ${path}`);
  }
  return `${lines.join('\n')}\n`;
}
