/**
 * Other users' carets and selections, drawn over a <textarea>.
 *
 * A textarea cannot style ranges of its text, so a transparent copy of it (the mirror)
 * lies over it with the same font, padding, wrapping, width and scroll offset. The copy's
 * text is invisible; it is there only so that the browser lays out remote carets and
 * highlights exactly where those offsets fall in the textarea. The overlay ignores the
 * pointer, so every click and key still reaches the textarea.
 */
import { codePointToUtf16, type RemotePresence } from '@tandem/client';
import { h } from './dom.js';

/** Computed properties of the textarea that decide where its text wraps and lies. */
const MIRRORED_STYLES = [
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'font-variant',
  'font-stretch',
  'font-kerning',
  'font-feature-settings',
  'line-height',
  'letter-spacing',
  'word-spacing',
  'tab-size',
  'text-indent',
  'text-transform',
  'text-rendering',
  'white-space',
  'overflow-wrap',
  'word-break',
  'direction',
  'padding-top',
  'padding-right',
  'padding-bottom',
  'padding-left',
] as const;

/** A caret closer than this to the top of the text shows its name below rather than above. */
const LABEL_ROOM_PX = 16;

/** The palette of the server (colorOf), used when a color is not something CSS understands. */
const FALLBACK_COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#469990'];

function safeColor(color: string, key: string): string {
  if (globalThis.CSS?.supports('color', color)) return color;
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
  return FALLBACK_COLORS[hash % FALLBACK_COLORS.length] as string;
}

/** Black or white, whichever reads better on `color` (a #rgb or #rrggbb color; white otherwise). */
export function labelTextColor(color: string): string {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
  if (!m?.[1]) return '#fff';
  const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255) as [
    number,
    number,
    number,
  ];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.6 ? '#000' : '#fff';
}

interface Mark {
  user: RemotePresence;
  color: string;
  /** UTF-16 offsets in the shown text. */
  from: number;
  to: number;
  head: number;
}

export class PresenceOverlay {
  private readonly mirror: HTMLElement;
  private readonly resizeObserver: ResizeObserver;
  private readonly onScroll = () => this.syncScroll();

  constructor(
    private readonly textarea: HTMLTextAreaElement,
    private readonly overlay: HTMLElement,
  ) {
    const mirror = overlay.querySelector<HTMLElement>('.mirror');
    if (!mirror) throw new Error('The presence overlay needs a .mirror child');
    this.mirror = mirror;
    textarea.addEventListener('scroll', this.onScroll);
    this.resizeObserver = new ResizeObserver(() => this.layout());
    this.resizeObserver.observe(textarea);
    this.layout();
  }

  dispose(): void {
    this.textarea.removeEventListener('scroll', this.onScroll);
    this.resizeObserver.disconnect();
    this.mirror.replaceChildren();
  }

  /** Copies the textarea's text metrics and box to the mirror. */
  layout(): void {
    const ta = this.textarea;
    const computed = getComputedStyle(ta);
    for (const name of MIRRORED_STYLES) this.mirror.style.setProperty(name, computed.getPropertyValue(name));
    // The padding box without scrollbars: where the textarea lays out its text.
    Object.assign(this.overlay.style, {
      top: `${ta.offsetTop + ta.clientTop}px`,
      left: `${ta.offsetLeft + ta.clientLeft}px`,
      width: `${ta.clientWidth}px`,
      height: `${ta.clientHeight}px`,
    });
    this.mirror.style.width = `${ta.clientWidth}px`;
    this.syncScroll();
  }

  syncScroll(): void {
    this.mirror.style.transform = `translate(${-this.textarea.scrollLeft}px, ${-this.textarea.scrollTop}px)`;
  }

  /** Draws `users`' selections (code points of `text`, which the textarea shows). */
  render(text: string, users: readonly RemotePresence[]): void {
    this.layout();
    const toUtf16 = (pos: unknown) =>
      typeof pos === 'number' ? Math.min(codePointToUtf16(text, Math.max(0, pos)), text.length) : 0;
    const marks: Mark[] = [];
    for (const user of users) {
      const sel = user.selection;
      if (!sel || typeof sel.anchor !== 'number' || typeof sel.head !== 'number') continue;
      const anchor = toUtf16(sel.anchor);
      const head = toUtf16(sel.head);
      marks.push({
        user,
        color: safeColor(user.color, user.userId),
        from: Math.min(anchor, head),
        to: Math.max(anchor, head),
        head,
      });
    }
    if (marks.length === 0) {
      // Nobody else's cursor to place: no copy of the text to lay out on every keystroke.
      this.mirror.replaceChildren();
      return;
    }
    const points = [...new Set([0, text.length, ...marks.flatMap((m) => [m.from, m.to, m.head])])].sort(
      (a, b) => a - b,
    );
    const out = document.createDocumentFragment();
    for (let i = 0; i < points.length; i++) {
      const at = points[i] as number;
      for (const m of marks) if (m.head === at) out.append(this.caret(m));
      const next = points[i + 1];
      if (next === undefined) break;
      const chunk = text.slice(at, next);
      const covering = marks.filter((m) => m.from <= at && next <= m.to);
      if (covering.length === 0) {
        out.append(chunk);
        continue;
      }
      const highlight = h('span', { class: 'remote-selection' }, chunk);
      highlight.style.backgroundImage = covering
        .map((m) => {
          const tint = `color-mix(in srgb, ${m.color} 28%, transparent)`;
          return `linear-gradient(${tint}, ${tint})`;
        })
        .join(', ');
      out.append(highlight);
    }
    // A text that ends in a newline has an empty last line; this gives it a height, so a caret there shows.
    out.append('\u200b');
    this.mirror.replaceChildren(out);
    for (const caret of this.mirror.querySelectorAll<HTMLElement>('.remote-caret'))
      caret.classList.toggle('label-below', caret.offsetTop < LABEL_ROOM_PX);
  }

  private caret(m: Mark): HTMLElement {
    const label = h('span', { class: 'remote-caret-label' }, m.user.name || m.user.userId);
    label.style.backgroundColor = m.color;
    label.style.color = labelTextColor(m.color);
    const caret = h('span', { class: 'remote-caret', title: m.user.name }, label);
    caret.style.borderLeftColor = m.color;
    return caret;
  }
}
