/**
 * Escaping for the HTML report and the SVG picture. Resource names, descriptions and remediation
 * texts come from clouds and tags an attacker may control, so every piece of text goes through
 * `escapeMarkup` before it reaches markup, in element content and in attribute values alike.
 */
import type { ComplianceStatus } from '../core/finding.ts';
import { visibleLine } from './terminal.ts';

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text safe in HTML/XML element content and in quoted attribute values, with its control and
 * bidirectional characters shown as `\x0a` / `\u202e` (terminal.ts `visibleLine`, as every report
 * shows them): a browser would draw an escape or a line feed as nothing or a space, hiding it, and a
 * right-to-left override would show a name reversed.
 */
export function escapeMarkup(text: string): string {
  return visibleLine(text).replaceAll(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

/** Escaped text with `inline code` spans as <code>: remediation texts quote commands that way. */
export function escapeWithCode(text: string): string {
  return escapeMarkup(text).replaceAll(/`([^`]+)`/g, '<code>$1</code>');
}

/** A fraction of a track width as a CSS percentage, rounded so the markup stays short. */
export function percent(fraction: number): string {
  return `${(Math.round(fraction * 100_000) / 1000).toString()}%`;
}

/** Status colours shared by the HTML report and the SVG (readable on white and in greyscale print). */
export const STATUS_COLORS: Readonly<Record<ComplianceStatus, string>> = {
  FAILED: '#b42318',
  NOT_AVAILABLE: '#6b4fa0',
  WARNING: '#b54708',
  PASSED: '#067647',
};

/** `NOT AVAILABLE` rather than the enum spelling, for people. */
export function statusWord(status: ComplianceStatus): string {
  return status.replace('_', ' ');
}

/** Only http(s) links are emitted; anything else is shown as text. */
export function isWebUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}
