import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeCocoRle, type CocoRle } from '../metrics/rle.js';
import { encodeWav, synthesizeAudio } from './audio.js';
import { encodeSynthMedia } from './encode.js';
import type { GeneratedVideo } from './video.js';

export interface RevosExpressionEntry {
  exp: string;
  obj_id: number[];
  anno_id: string[];
  type_id: number;
  /** Not in ReVOS: the expression's objects described by their looks alone (SynthExpression.grounding). */
  grounding_description: string;
}

export interface RevosVideoEntry {
  vid_id: string;
  height: number;
  width: number;
  frames: string[];
  expressions: Record<string, RevosExpressionEntry>;
}

/** Frame `t` is `<root>/<video>/<5-digit t>.jpg`. */
export function revosFrameName(t: number): string {
  return String(t).padStart(5, '0');
}

/**
 * Writes the ReVOS layout (Sa2VA training copy): `meta_expressions_<split>_.json` per split, one shared
 * `mask_dict.json` (anno_id -> per-frame COCO RLE, null where the object has no visible pixel), frames
 * `<root>/<video>/<frame>.jpg`, plus `<root>/<video>/audio.wav` and `<root>/<video>/video.mp4` (frames + sound)
 * for audio-visual use and demos. Every object of a video gets an anno_id, referred to or not.
 */
export class RevosWriter {
  private readonly metaBySplit = new Map<string, Record<string, RevosVideoEntry>>();
  private readonly maskDict: Record<string, Array<CocoRle | null>> = {};
  private nextAnnoId = 0;

  constructor(readonly root: string) {}

  async addVideo(video: GeneratedVideo, split: string, signal?: AbortSignal): Promise<void> {
    const { scene, rendered, expressions } = video;
    const folder = join(this.root, scene.name);
    await mkdir(folder, { recursive: true });
    const audioPath = join(folder, 'audio.wav');
    await writeFile(audioPath, encodeWav(synthesizeAudio(scene)));
    await encodeSynthMedia({
      frames: rendered.frames,
      fps: scene.fps,
      jpegPattern: join(folder, '%05d.jpg'),
      mp4: { path: join(folder, 'video.mp4'), audioPath },
      ...(signal ? { signal } : {}),
    });

    const annoIds = scene.objects.map(() => String(this.nextAnnoId++));
    scene.objects.forEach((object, index) => {
      this.maskDict[annoIds[index]] = rendered.visibleArea[object.id].map((area, t) => (area > 0 ? encodeCocoRle(rendered.mask(object.id, t)) : null));
    });
    const entries: Record<string, RevosExpressionEntry> = {};
    expressions.forEach((expression, index) => {
      entries[String(index)] = {
        exp: expression.text,
        obj_id: [...expression.objectIds],
        anno_id: expression.objectIds.map((id) => annoIds[id]),
        type_id: expression.typeId,
        grounding_description: expression.grounding,
      };
    });
    const meta = this.metaBySplit.get(split) ?? {};
    meta[scene.name] = {
      vid_id: scene.name,
      height: scene.height,
      width: scene.width,
      frames: Array.from({ length: scene.frames }, (_, t) => revosFrameName(t)),
      expressions: entries,
    };
    this.metaBySplit.set(split, meta);
  }

  async finish(): Promise<void> {
    for (const [split, videos] of this.metaBySplit) {
      await writeFile(join(this.root, `meta_expressions_${split}_.json`), `${JSON.stringify({ videos })}\n`);
    }
    await writeFile(join(this.root, 'mask_dict.json'), `${JSON.stringify(this.maskDict)}\n`);
  }
}
