/** The backup bench's original tree: the `app` shape of bench/lib/shapes.ts. */
export { generateApp as generateTree, type ShapeStats as TreeStats } from '../lib/shapes';
