/** The `sam2` segmenter backend of the plugin API: image mode, and video propagation when the folder has the video graphs. */
import { InputError, resolveModelRef } from 'omni-r1';
import type { BackendContext, BinaryMask, DeviceName, FrameMasks, FramePrompts, FrameSource, RgbImage, SegmentPrompt, SegmenterBackend } from 'omni-r1/plugin-api';
import { openSamFolder } from './model-folder.js';
import { SamImageSegmenter, type MultimaskMode } from './segmenter.js';
import { Sam2VideoPredictor } from './video/predictor.js';
import { openVideoGraphs } from './video/video-graphs.js';

export const DEFAULT_SAM2_MODEL = 'sam2.1-hiera-large';

const PROVIDERS: Record<DeviceName, string[]> = { cpu: ['cpu'], cuda: ['cuda'], webgpu: ['webgpu'] };


/** A model reference: a folder as given, else a name in the model store ($OMNI_HOME/models/<name>). */
/** A folder, a store name or a hub id already pulled (see `omni models pull`); the default is the store's SAM2.1-L. */
export async function resolveModelFolder(model: string | undefined, omniHome: string): Promise<string> {
  return (await resolveModelRef(model ?? DEFAULT_SAM2_MODEL, { omniHome, what: 'segmenter model', role: 'segmenter' })).path;
}

export class Sam2Backend implements SegmenterBackend {
  readonly name = 'sam2';
  readonly canPropagate: boolean;

  constructor(
    private readonly segmenter: SamImageSegmenter,
    private readonly video?: Sam2VideoPredictor,
  ) {
    this.canPropagate = video !== undefined;
  }

  /** Masks of every prompted object on every frame (each frame once, not in frame order), at the source resolution. */
  propagate(video: FrameSource, prompts: FramePrompts[]): AsyncIterable<FrameMasks> {
    if (!this.video) throw new InputError(`${this.segmenter.folder.dir} has no video graphs; segment frames one by one`, { hint: 'export the model with `omni export segmenter` from a sam2_video checkpoint' });
    return this.video.propagate(video, prompts);
  }

  async segmentImage(image: RgbImage, prompts: SegmentPrompt[]): Promise<Map<number, BinaryMask>> {
    const results = await this.segmenter.segment(image, prompts);
    return new Map([...results].map(([id, result]) => [id, result.mask]));
  }

  async close(): Promise<void> {
    await this.segmenter.folder.close();
    await this.video?.graphs.close();
  }
}

export async function createSam2Backend(context: BackendContext): Promise<Sam2Backend> {
  const dir = await resolveModelFolder(context.model, context.omniHome);
  const suffix = typeof context.options.suffix === 'string' ? context.options.suffix : '';
  const multimask = context.options.multimask;
  if (multimask !== undefined && multimask !== 'auto' && multimask !== 'always' && multimask !== 'never') {
    throw new InputError(`backends.sam2.multimask must be "auto", "always" or "never", got ${JSON.stringify(multimask)}`, { hint: 'fix the config file' });
  }
  const session = { executionProviders: PROVIDERS[context.device] };
  const folder = await openSamFolder(dir, { suffix, session });
  const graphs = folder.family === 'sam2' && suffix === '' ? await openVideoGraphs(dir, session).catch(async (error: unknown) => {
    await folder.close();
    throw error;
  }) : undefined;
  const video = graphs ? new Sam2VideoPredictor(folder, graphs, { warn: context.warn }) : undefined;
  return new Sam2Backend(new SamImageSegmenter(folder, context.warn, (multimask as MultimaskMode | undefined) ?? 'auto'), video);
}
