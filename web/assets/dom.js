/* global document */
// Small DOM helpers. Text always goes in as text nodes (never innerHTML), so whatever a team names
// itself or prints is shown, not interpreted.
import { sparklinePoints, seriesTrend } from './sparkline.js';
import { formatSignedPercent } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * An element with attributes and children; strings become text nodes.
 * @param {string} tag
 * @param {Record<string, string | boolean | undefined>} [attributes]
 * @param {...(Node | string | null | undefined)} children
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

/** Sets an element's text only when it differs (keeps screen readers and layout calm). */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** An inline SVG sparkline of `values` (oldest first) with a spoken description. */
export function sparkline(values) {
  const width = 100;
  const height = 28;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  const trend = seriesTrend(values);
  const label =
    trend.change === null
      ? 'Not enough minutes for a trend yet'
      : `Equity ${trend.direction === 'flat' ? 'flat' : `${trend.direction} ${formatSignedPercent(trend.change)}`} over the last ${values.length} minutes`;
  svg.setAttribute('aria-label', label);
  const points = sparklinePoints(values, width, height, 2);
  if (points !== '') {
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points);
    svg.append(line);
    svg.classList.add(trend.direction);
  }
  return svg;
}
