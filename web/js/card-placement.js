// Where the network's weight / bias card goes: by the pointer, but never over what it
// describes (the link and the two neurons it joins, or the bias marker and its neuron),
// so the learner sees the thing whose value they read or type. Plain functions: the
// geometry is the page's, in the network container's coordinates.

const GAP = 6; // px between the card and what it must not cover
const SAMPLES = 48; // points taken along a link

/**
 * Boxes a card must not cover, for a link (an SVG path) or a bias marker (an SVG rect).
 * The SVG sits at the container's origin, so its coordinates are the container's.
 * @param {SVGGeometryElement} shape  the link's path, or the bias marker's rect
 * @param {{x: number, y: number}[]} nodes  top-left corners of the neurons it belongs to
 * @param {number} nodeSize  the side of a neuron, px
 * @returns {{left: number, top: number, right: number, bottom: number}[]}
 */
export function describedBoxes(shape, nodes, nodeSize) {
  const boxes = nodes.map(({ x, y }) => ({
    left: x, top: y, right: x + nodeSize, bottom: y + nodeSize,
  }));
  if (shape instanceof SVGPathElement) {
    const half = Math.max(1, parseFloat(getComputedStyle(shape).strokeWidth) || 1) / 2 + 1;
    const length = shape.getTotalLength();
    for (let i = 0; i <= SAMPLES; i++) {
      const { x, y } = shape.getPointAtLength((length * i) / SAMPLES);
      boxes.push({ left: x - half, top: y - half, right: x + half, bottom: y + half });
    }
  } else {
    const { x, y, width, height } = shape.getBBox();
    boxes.push({ left: x, top: y, right: x + width, bottom: y + height });
  }
  return boxes;
}

/**
 * The card's top-left: centred over the pointer, inside the container's width, and above
 * or below (whichever is nearer the pointer, above when it fits) everything in `avoid`
 * that lies in the card's columns.
 * @param {{width: number, height: number}} card
 * @param {{x: number, y: number}} pointer
 * @param {{left: number, top: number, right: number, bottom: number}[]} avoid
 * @param {number} containerWidth
 * @returns {{left: number, top: number}}
 */
export function cardPosition(card, pointer, avoid, containerWidth) {
  const left = Math.max(0, Math.min(pointer.x - card.width / 2, containerWidth - card.width));
  const right = left + card.width;
  const inColumns = avoid.filter((box) => box.right >= left - GAP && box.left <= right + GAP);
  if (inColumns.length === 0) return { left, top: Math.max(0, pointer.y - card.height - GAP) };
  const above = Math.min(...inColumns.map((box) => box.top)) - GAP - card.height;
  const below = Math.max(...inColumns.map((box) => box.bottom)) + GAP;
  if (above < 0) return { left, top: below };
  const nearer = pointer.y - (above + card.height) <= below - pointer.y ? above : below;
  return { left, top: nearer };
}
