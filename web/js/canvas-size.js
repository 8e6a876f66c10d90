// Sizing a canvas for the screen: its backing store gets as many pixels as the device
// shows for its CSS box (devicePixelRatio of them per CSS pixel), and its 2-D context
// draws in CSS pixels. Every chart and plot of the pages sizes its canvases here.

/**
 * Size `canvas` for the CSS box of `box` (the canvas itself unless given: an offscreen
 * layer takes the size of the canvas it is copied onto) and return its context, cleared
 * and scaled to draw in CSS pixels.
 * @param {HTMLCanvasElement} canvas
 * @param {{box?: HTMLElement}} options
 * @returns {{ctx: CanvasRenderingContext2D, width: number, height: number, resized: boolean} | null}
 *   width and height in CSS pixels; resized: the backing store changed size; null while
 *   the box is not displayed (it has no size)
 */
export function fitCanvas(canvas, { box = canvas } = {}) {
  const width = box.clientWidth;
  const height = box.clientHeight;
  if (width === 0 || height === 0) return null;
  const ratio = window.devicePixelRatio || 1;
  const pixelsWide = Math.round(width * ratio);
  const pixelsHigh = Math.round(height * ratio);
  const resized = canvas.width !== pixelsWide || canvas.height !== pixelsHigh;
  if (resized) {
    canvas.width = pixelsWide;
    canvas.height = pixelsHigh;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height, resized };
}
