import type { BinaryMask, RgbImage } from '../../plugins/api.js';
import { objectPixels, type Background, type SynthObject, type SynthScene } from './scene.js';
import { colourByName, SOUND_RIM_FRACTION, SOUND_RIM_RGB, type Rgb } from './vocabulary.js';

export interface RenderedScene {
  /** Raw RGB frames, before any encoding. */
  frames: RgbImage[];
  /** Per frame, who owns each pixel: 0 = background, `id + 1` = object `id` (visible there). */
  labels: Uint8Array[];
  /** `[object][frame]`: pixels of the whole shape inside the frame, occluded or not (0 = off-screen). */
  onScreenArea: number[][];
  /** `[object][frame]`: visible pixel count (0 = off-screen or fully occluded). */
  visibleArea: number[][];
  /** The visible pixels of some objects on frame `t` (their union; one id gives that object's mask). */
  mask(objectIds: number | readonly number[], t: number): BinaryMask;
}

export function backgroundColour(background: Background, x: number, y: number): Rgb {
  switch (background.kind) {
    case 'plain':
      return background.rgb;
    case 'checker':
      return background.rgb[(Math.floor(x / background.cell) + Math.floor(y / background.cell)) % 2];
    case 'stripes':
      return background.rgb[Math.floor((x + y) / (background.period / 2)) % 2];
  }
}

/** Paints the background, then every object back to front; each pixel's last painter owns its mask pixel. */
export function renderScene(scene: SynthScene): RenderedScene {
  const { width, height, objects } = scene;
  const pixelCount = width * height;
  const backgroundFrame = new Uint8Array(pixelCount * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const [r, g, b] = backgroundColour(scene.background, x, y);
      const at = (y * width + x) * 3;
      backgroundFrame[at] = r;
      backgroundFrame[at + 1] = g;
      backgroundFrame[at + 2] = b;
    }
  }
  const colours = objects.map((object) => colourByName(object.colour).rgb);
  const labels: Uint8Array[] = [];
  const onScreenArea: number[][] = objects.map(() => []);
  const visibleArea: number[][] = objects.map(() => []);
  const frames: RgbImage[] = [];
  for (let t = 0; t < scene.frames; t += 1) {
    const data = backgroundFrame.slice();
    const label = new Uint8Array(pixelCount);
    const covered = objects.map((object) => objectPixels(scene, object, t));
    for (const object of objects) {
      const pixels = covered[object.id];
      onScreenArea[object.id].push(pixels.length);
      const [r, g, b] = colours[object.id];
      for (const pixel of pixels) {
        label[pixel] = object.id + 1;
        data[pixel * 3] = r;
        data[pixel * 3 + 1] = g;
        data[pixel * 3 + 2] = b;
      }
    }
    for (const object of objects) {
      let area = 0;
      for (const pixel of covered[object.id]) if (label[pixel] === object.id + 1) area += 1;
      visibleArea[object.id].push(area);
    }
    frames.push({ width, height, data });
    labels.push(label);
  }
  return {
    frames,
    labels,
    onScreenArea,
    visibleArea,
    mask(objectIds, t) {
      const wanted = new Uint8Array(objects.length + 1);
      for (const id of typeof objectIds === 'number' ? [objectIds] : objectIds) wanted[id + 1] = 1;
      const label = labels[t];
      const data = new Uint8Array(pixelCount);
      for (let pixel = 0; pixel < pixelCount; pixel += 1) data[pixel] = wanted[label[pixel]];
      return { width, height, data };
    },
  };
}

/** The sound rim's width in pixels for a scene's frame size. */
export function soundRimWidth(scene: Pick<SynthScene, 'width' | 'height'>): number {
  return Math.max(1, Math.round(SOUND_RIM_FRACTION * Math.min(scene.width, scene.height)));
}

/**
 * The object's shape pixels on frame t within `soundRimWidth` of its outline (Chebyshev distance: the shape minus
 * its erosion by a square; the frame's edge is not an outline). Occlusion is not applied.
 */
export function soundRimPixels(scene: SynthScene, object: SynthObject, t: number): number[] {
  const { width, height } = scene;
  const r = soundRimWidth(scene);
  const shape = new Uint8Array(width * height);
  const pixels = objectPixels(scene, object, t);
  for (const pixel of pixels) shape[pixel] = 1;
  // Separable erosion: a pixel stays when every in-frame pixel within r along x (then along y) is in the shape.
  const across = new Uint8Array(width * height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      let all = 1;
      for (let dx = Math.max(0, x - r); dx <= Math.min(width - 1, x + r) && all; dx += 1) all = shape[y * width + dx];
      across[y * width + x] = all;
    }
  }
  return pixels.filter((pixel) => {
    const x = pixel % width;
    const y = (pixel - x) / width;
    for (let dy = Math.max(0, y - r); dy <= Math.min(height - 1, y + r); dy += 1) if (!across[dy * width + x]) return true;
    return false;
  });
}

/**
 * Paints the sound rims into the rendered frames: on every frame of an object's sound interval, its visible rim
 * pixels turn white. Masks and areas do not change (the rim is part of the object).
 */
export function paintSoundRims(scene: SynthScene, rendered: RenderedScene): void {
  const [r, g, b] = SOUND_RIM_RGB;
  for (const object of scene.objects) {
    if (!object.sound) continue;
    for (let t = object.sound.start; t < object.sound.end; t += 1) {
      const { data } = rendered.frames[t];
      const label = rendered.labels[t];
      for (const pixel of soundRimPixels(scene, object, t)) {
        if (label[pixel] !== object.id + 1) continue;
        data[pixel * 3] = r;
        data[pixel * 3 + 1] = g;
        data[pixel * 3 + 2] = b;
      }
    }
  }
}
