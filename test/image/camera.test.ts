import fc from 'fast-check';
import { backProject, cameraModelFromInfo, CameraInfoError, project } from '../../src/image';
import { cameraInfo, thrown } from './helpers';

describe('cameraModelFromInfo', () => {
  it('reads fx, fy, cx, cy from K and keeps the distortion', () => {
    const m = cameraModelFromInfo(cameraInfo(), { width: 640, height: 480 });
    expect(m).toEqual({
      width: 640,
      height: 480,
      fx: 615,
      fy: 616,
      cx: 320,
      cy: 240,
      distortionModel: 'plumb_bob',
      d: [0.1, -0.2, 0.001, 0.002, 0.05],
    });
  });

  it('accepts rational_polynomial (8), equidistant (4), and an empty D with any model', () => {
    expect(
      cameraModelFromInfo(cameraInfo({ distortion_model: 'rational_polynomial', d: new Float64Array(8) })).d,
    ).toHaveLength(8);
    expect(
      cameraModelFromInfo(cameraInfo({ distortion_model: 'equidistant', d: new Float64Array(4) })).d,
    ).toHaveLength(4);
    expect(cameraModelFromInfo(cameraInfo({ distortion_model: '', d: new Float64Array(0) })).d).toEqual([]);
    expect(cameraModelFromInfo(cameraInfo({ p: new Float64Array(0), r: new Float64Array(0) })).fx).toBe(615);
  });

  it('applies ROI then binning the way image_geometry does', () => {
    const roi = { x_offset: 100, y_offset: 40, width: 400, height: 300, do_rectify: false };
    const m = cameraModelFromInfo(cameraInfo({ roi, binning_x: 2, binning_y: 2 }), {
      width: 200,
      height: 150,
    });
    expect([m.width, m.height, m.fx, m.fy, m.cx, m.cy]).toEqual([200, 150, 307.5, 308, 110, 100]);
    const e = thrown(() =>
      cameraModelFromInfo(cameraInfo({ binning_x: 2, binning_y: 2 }), { width: 640, height: 480 }),
    );
    expect(e).toBeInstanceOf(CameraInfoError);
    expect((e as CameraInfoError).code).toBe('SIZE_MISMATCH');
    expect((e as CameraInfoError).message).toBe(
      'camera_info is 320x240 (after ROI/binning; sensor 640x480) but the image is 640x480',
    );
  });

  it('property: project inverts backProject', () => {
    const m = cameraModelFromInfo(cameraInfo());
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 639, noNaN: true }),
        fc.double({ min: 0, max: 479, noNaN: true }),
        fc.double({ min: 0.1, max: 5, noNaN: true }),
        (u, v, z) => {
          const p = backProject(m, u, v, z);
          const q = project(m, p);
          expect(Math.abs(q.u - u) + Math.abs(q.v - v)).toBeLessThan(1e-9);
          expect(p.z).toBe(z);
        },
      ),
      { seed: 615, numRuns: 100 },
    );
  });
});
