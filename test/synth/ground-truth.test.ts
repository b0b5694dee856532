import { describe, expect, it } from 'vitest';
import { backgroundColour, colourByName, objectPixels, SOUND_RIM_RGB, soundRimPixels, type GeneratedVideo } from '../../src/core/synth/index.js';
import { smallVideos } from './helpers.js';

const videos = smallVideos({ seeds: [0, 1, 2, 3, 4, 5], perSeed: 3 });

/**
 * The sound rim re-derived pixel by pixel: shape pixels with some in-frame pixel within Chebyshev distance `width`
 * outside the shape (64 x 48 frames: a 1 px rim).
 */
function rimByDefinition(video: GeneratedVideo, objectId: number, t: number, width: number): Set<number> {
  const { scene } = video;
  const shape = new Set(objectPixels(scene, scene.objects[objectId], t));
  const rim = new Set<number>();
  for (const pixel of shape) {
    const x = pixel % scene.width;
    const y = Math.floor(pixel / scene.width);
    let edge = false;
    for (let dy = -width; dy <= width && !edge; dy += 1) {
      for (let dx = -width; dx <= width && !edge; dx += 1) {
        const [u, v] = [x + dx, y + dy];
        if (u >= 0 && v >= 0 && u < scene.width && v < scene.height && !shape.has(v * scene.width + u)) edge = true;
      }
    }
    if (edge) rim.add(pixel);
  }
  return rim;
}

/** Visible pixels re-derived from the geometry: the object's shape minus every shape drawn in front of it. */
function visibleByGeometry(video: GeneratedVideo, objectId: number, t: number): number[] {
  const { scene } = video;
  const front = new Set(scene.objects.filter((other) => other.id > objectId).flatMap((other) => objectPixels(scene, other, t)));
  return objectPixels(scene, scene.objects[objectId], t).filter((pixel) => !front.has(pixel));
}

describe('synthetic ground truth', () => {
  it('covers the cases it must test: entering/leaving objects, full occlusion, several kinds of motion', () => {
    const motions = new Set(videos.flatMap((video) => video.scene.objects.map((object) => object.motion.kind)));
    expect([...motions].sort()).toEqual(['bounce', 'enters', 'leaves', 'linear', 'static', 'stops', 'starts'].sort());
    const offScreen = videos.some((video) => video.rendered.onScreenArea.some((areas) => areas.includes(0)));
    const fullyOccluded = videos.some((video) => video.rendered.onScreenArea.some((areas, id) => areas.some((area, t) => area > 0 && video.rendered.visibleArea[id][t] === 0)));
    expect(offScreen).toBe(true);
    expect(fullyOccluded).toBe(true);
  });

  it('masks are the shape minus what is in front, and empty exactly when off-screen or fully occluded', () => {
    for (const video of videos) {
      for (const object of video.scene.objects) {
        for (let t = 0; t < video.scene.frames; t += 1) {
          const expected = visibleByGeometry(video, object.id, t);
          const mask = video.rendered.mask(object.id, t);
          const actual = [...mask.data.keys()].filter((pixel) => mask.data[pixel] === 1);
          expect(actual).toEqual(expected);
          const onScreen = objectPixels(video.scene, object, t).length > 0;
          const hidden = onScreen && expected.length === 0;
          expect(video.rendered.visibleArea[object.id][t] === 0).toBe(!onScreen || hidden);
        }
      }
    }
  });

  it("paints each mask pixel in its object's colour (white on its rim while it sounds) and every other pixel in the background's", () => {
    let rimPixels = 0;
    for (const video of videos) {
      const { scene, rendered } = video;
      for (let t = 0; t < scene.frames; t += 1) {
        const sounding = scene.objects.filter((object) => object.sound && object.sound.start <= t && t < object.sound.end);
        const rims = new Map(sounding.map((object) => [object.id, rimByDefinition(video, object.id, t, 1)]));
        const { data } = rendered.frames[t];
        const owner = new Int16Array(scene.width * scene.height).fill(-1);
        let overlaps = 0;
        for (const object of scene.objects) {
          rendered.mask(object.id, t).data.forEach((inside, pixel) => {
            if (!inside) return;
            if (owner[pixel] >= 0) overlaps += 1;
            owner[pixel] = object.id;
          });
        }
        expect(overlaps).toBe(0); // masks of one frame are disjoint
        const expected = new Uint8Array(data.length);
        for (let pixel = 0; pixel < owner.length; pixel += 1) {
          const x = pixel % scene.width;
          const y = Math.floor(pixel / scene.width);
          const id = owner[pixel];
          const onRim = id >= 0 && rims.get(id)?.has(pixel) === true;
          if (onRim) rimPixels += 1;
          expected.set(onRim ? SOUND_RIM_RGB : id >= 0 ? colourByName(scene.objects[id].colour).rgb : backgroundColour(scene.background, x, y), pixel * 3);
        }
        expect(Buffer.from(data).equals(expected), `${scene.name} frame ${t}`).toBe(true);
      }
    }
    expect(rimPixels).toBeGreaterThan(100);
  });

  it('the sound rim is the shape minus its erosion, as wide as 1.5 % of the shorter side', () => {
    const [video] = smallVideos({ seeds: [7], perSeed: 1 });
    const big = { ...video!.scene, width: 256, height: 192 };
    for (const object of big.objects) {
      for (const t of [0, 3]) {
        const wide = rimByDefinition({ ...video!, scene: big }, object.id, t, 3);
        expect(soundRimPixels(big, object, t)).toEqual([...wide].sort((a, b) => a - b));
      }
    }
  });

  it('keeps every object visible on at least two frames', () => {
    for (const video of videos) {
      for (const areas of video.rendered.visibleArea) expect(areas.filter((area) => area > 0).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('moves objects as their motion label says', () => {
    for (const video of videos) {
      const last = video.scene.frames - 1;
      for (const object of video.scene.objects) {
        const { motion, path } = object;
        const step = (t: number) => Math.hypot(path[t][0] - path[t - 1][0], path[t][1] - path[t - 1][1]);
        const area = video.rendered.onScreenArea[object.id];
        if (motion.kind === 'static') expect(new Set(path.map((point) => point.join()))).toHaveProperty('size', 1);
        if (motion.kind === 'stops') {
          expect(step(1)).toBeGreaterThan(0);
          for (let t = motion.frame + 1; t <= last; t += 1) expect(step(t)).toBe(0);
        }
        if (motion.kind === 'starts') {
          for (let t = 1; t <= motion.frame; t += 1) expect(step(t)).toBe(0);
          expect(step(last)).toBeGreaterThan(0);
        }
        if (motion.kind === 'enters') expect([area[0], area[last] > 0]).toEqual([0, true]);
        if (motion.kind === 'leaves') expect([area[0] > 0, area[last]]).toEqual([true, 0]);
        if (motion.kind === 'linear') {
          const dx = path[last][0] - path[0][0];
          const dy = path[last][1] - path[0][1];
          const expected = { right: dx > 0 && dy === 0, left: dx < 0 && dy === 0, down: dy > 0 && dx === 0, up: dy < 0 && dx === 0 }[motion.direction];
          expect(expected).toBe(true);
        }
      }
    }
  });

  it('is deterministic: the same (seed, index) draws the same scene and pixels', () => {
    const again = smallVideos({ seeds: [3], perSeed: 3 });
    const first = videos.filter((video) => video.scene.name.startsWith('t-3-'));
    expect(again.map((video) => video.scene)).toEqual(first.map((video) => video.scene));
    expect(again.map((video) => video.rendered.frames.map((frame) => Buffer.from(frame.data).toString('base64')))).toEqual(
      first.map((video) => video.rendered.frames.map((frame) => Buffer.from(frame.data).toString('base64'))),
    );
    expect(smallVideos({ seeds: [6], perSeed: 1 })[0].scene.objects).not.toEqual(first[0].scene.objects);
  });
});
