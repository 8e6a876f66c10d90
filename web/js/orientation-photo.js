// A photo for an orientation model: read from a dropped or chosen file (EXIF orientation
// applied, kept at most MAX_PHOTO px), its centred square at the model's input size,
// that square as the model's input, and the whole photo turned upright by an answer.
// The orientation page's reader and the exported model's page both use these.

export const MAX_PHOTO = 1024; // px: a photo is kept at most this large on its longer side

/**
 * A photo kept on a canvas of its own, at most MAX_PHOTO px on its longer side.
 * @returns {{canvas: HTMLCanvasElement, width: number, height: number, name: string}}
 */
export function keepPhoto(source, width, height, name) {
  const scale = Math.min(1, MAX_PHOTO / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
  return { canvas, width: canvas.width, height: canvas.height, name };
}

/**
 * A dropped or chosen file, decoded by the browser (EXIF orientation applied): the photo
 * as `keepPhoto` keeps it. Rejects with a sentence naming the file when it is no image.
 */
export async function readPhoto(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    throw new Error(`${file.name} is not an image this browser can read.`);
  }
  const photo = keepPhoto(bitmap, bitmap.width, bitmap.height, file.name);
  bitmap.close();
  return photo;
}

/** The image file among `files` (the first file if none says it is an image). */
export function firstImage(files) {
  return [...files].find((f) => f.type.startsWith("image/")) ?? files[0] ?? null;
}

/** The centred square of `source` (w×h) at side×side, as the server crops (bilinear). */
export function centreSquare(source, width, height, side) {
  const canvas = document.createElement("canvas");
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  const size = Math.min(width, height);
  ctx.drawImage(source, (width - size) / 2, (height - size) / 2, size, size, 0, 0, side, side);
  return canvas;
}

/**
 * The model's input from a side×side canvas: pixels / 255, RGB, or grey for a digits
 * model (light paper turned dark, as MNIST's digits are white on black).
 */
export function modelInput(canvas, channels) {
  const side = canvas.width;
  const { data } = canvas.getContext("2d", { willReadFrequently: true }).getImageData(0, 0, side, side);
  const input = new Float32Array(side * side * channels);
  let sum = 0;
  for (let i = 0; i < side * side; i++) {
    if (channels === 3) {
      for (let c = 0; c < 3; c++) input[i * 3 + c] = data[i * 4 + c] / 255;
    } else {
      const grey = (0.299 * data[i * 4] + 0.587 * data[i * 4 + 1] + 0.114 * data[i * 4 + 2]) / 255;
      input[i] = grey;
      sum += grey;
    }
  }
  if (channels === 1 && sum / (side * side) > 0.5) {
    for (let i = 0; i < input.length; i++) input[i] = 1 - input[i];
  }
  return input;
}

/** A grey model input (side×side values in [0, 1]) drawn on `square`, as the model sees it. */
export function showGrey(square, grey) {
  const side = square.width;
  const image = square.getContext("2d").createImageData(side, side);
  grey.forEach((v, i) => {
    image.data.set([v * 255, v * 255, v * 255, 255], i * 4);
  });
  square.getContext("2d").putImageData(image, 0, 0);
}

/** The whole photo turned counter-clockwise by `direction` quarter turns, fitted in `target`. */
export function drawUpright(target, { canvas, width, height }, direction) {
  const ctx = target.getContext("2d");
  const view = Math.min(target.width, target.height);
  ctx.clearRect(0, 0, target.width, target.height);
  const turned = direction % 2 === 1;
  const [w, h] = turned ? [height, width] : [width, height];
  const scale = Math.min(view / w, view / h);
  ctx.save();
  ctx.translate(target.width / 2, target.height / 2);
  ctx.rotate((-direction * Math.PI) / 2);
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(canvas, (-width * scale) / 2, (-height * scale) / 2, width * scale, height * scale);
  ctx.restore();
}

/** How the photo was turned upright, for a sentence ("turned a quarter turn to the left"). */
export const TURNS = ["not at all", "a quarter turn to the left", "half a turn",
  "a quarter turn to the right"];
