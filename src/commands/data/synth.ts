import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { numberFlag, parseSize } from '../../core/input-checks.js';
import { synthesizeDataset, type SynthFormat } from '../../core/synth/index.js';

export default class DataSynth extends BaseCommand {
  static override description =
    'Write a deterministic synthetic omni-modal dataset (moving shapes, tones with a white rim on the object while it sounds, exact masks and expressions) in the ReVOS or RefAVS layout.';

  static override examples = [
    '<%= config.bin %> data synth --format revos --videos 20 --frames 48 --size 320x240 --seed 1 --out data/synth',
    '<%= config.bin %> data synth --format refavs --videos 50 --seed 2 --out data/synth-refavs',
  ];

  static override flags = {
    format: Flags.string({ description: 'Dataset layout to write.', options: ['revos', 'refavs'], required: true }),
    videos: Flags.string({ description: 'Number of videos.', default: '8', helpValue: '<n>' }),
    frames: Flags.string({ description: 'Frames per video. Default: 48 (revos); refavs clips always have 10.', helpValue: '<n>' }),
    size: Flags.string({ description: 'Frame size (even numbers, at least 32).', default: '320x240', helpValue: '<WxH>' }),
    fps: Flags.string({ description: 'Frames per second of the clip time line. Default: 2 (revos), 1 (refavs: 10 frames over 10 s).', helpValue: '<n>' }),
    seed: Flags.string({ description: 'Random seed; the same seed writes the same bytes.', default: '0', helpValue: '<n>' }),
    out: Flags.string({ description: 'Dataset folder to write (new or empty).', required: true, helpValue: '<dir>' }),
    force: Flags.boolean({ description: 'Replace --out if it holds a previous `omni data synth` output.', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DataSynth);
    const size = parseSize(flags.size);
    const showProgress = process.stderr.isTTY === true;
    const summary = await synthesizeDataset({
      format: flags.format as SynthFormat,
      out: flags.out,
      videos: numberFlag(flags.videos, 'videos', { min: 1, integer: true }),
      ...(flags.frames === undefined ? {} : { frames: numberFlag(flags.frames, 'frames', { min: 4, integer: true }) }),
      ...(flags.fps === undefined ? {} : { fps: numberFlag(flags.fps, 'fps', { min: 1, max: 30, integer: true }) }),
      width: size.width,
      height: size.height,
      seed: numberFlag(flags.seed, 'seed', { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }),
      force: flags.force,
      onProgress: showProgress ? ({ done, total, video }) => process.stderr.write(`\rvideo ${done}/${total} ${video}`) : undefined,
    });
    if (showProgress) process.stderr.write('\n');
    const splits = Object.entries(summary.splits)
      .map(([split, counts]) => `${split} ${counts.videos}`)
      .join(', ');
    this.log(
      `wrote ${summary.videos} videos (${summary.frames} frames, ${summary.width}x${summary.height}, ${summary.fps} fps) with ${summary.expressions} expressions in the ${summary.format} layout to ${summary.root} (${splits})`,
    );
  }
}
